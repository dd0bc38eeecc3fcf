//! The configuration as written (TOML or environment), before validation: every field optional
//! or defaulted, unknown keys refused, so a misspelt `MONBAN_*` variable stops start-up.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use super::{ConfigError, LogFormat, Secret};

/// The configuration as written, before validation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    pub(super) issuer: Option<String>,
    #[serde(default = "default_keys_dir")]
    pub(super) keys_dir: PathBuf,
    pub(super) signing_keys: Option<Secret>,
    pub(super) signing_kid: Option<String>,
    #[serde(default = "default_org_name")]
    pub(super) org_name: String,
    pub(super) default_locale: Option<String>,
    pub(super) logo_url: Option<String>,
    #[serde(default)]
    pub(super) skip_sign_in_page: bool,
    #[serde(default)]
    pub(super) upstream: RawUpstream,
    #[serde(default)]
    pub(super) allowed_domains: CommaList,
    #[serde(default)]
    pub(super) allowed_emails: CommaList,
    #[serde(default)]
    pub(super) roles: BTreeMap<String, CommaList>,
    pub(super) sign_out_before: Option<String>,
    #[serde(default)]
    pub(super) sign_outs: SignOutList,
    #[serde(default)]
    pub(super) session_secrets: SecretList,
    #[serde(default)]
    pub(super) clients: Vec<RawClient>,
    #[serde(default)]
    pub(super) apis: Vec<RawApi>,
    #[serde(default = "default_access_ttl")]
    pub(super) access_token_ttl_secs: u64,
    #[serde(default = "default_id_ttl")]
    pub(super) id_token_ttl_secs: u64,
    #[serde(default = "default_refresh_ttl")]
    pub(super) refresh_token_ttl_secs: u64,
    #[serde(default = "default_refresh_absolute_ttl")]
    pub(super) refresh_token_absolute_ttl_secs: u64,
    #[serde(default = "default_session_ttl")]
    pub(super) session_ttl_secs: u64,
    #[serde(default = "default_jwks_max_age")]
    pub(super) jwks_max_age_secs: u64,
    #[serde(default = "default_log_format")]
    pub(super) log_format: LogFormat,
    #[serde(default = "default_shutdown_grace")]
    pub(super) shutdown_grace_secs: u64,
    #[serde(default = "default_backchannel_timeout")]
    pub(super) backchannel_logout_timeout_secs: u64,
    #[serde(default = "default_rate_limit_per_minute")]
    pub(super) rate_limit_per_minute: u32,
    #[serde(default = "default_rate_limit_burst")]
    pub(super) rate_limit_burst: u32,
    #[serde(default)]
    pub(super) trusted_proxy_hops: usize,
    #[serde(default)]
    pub(super) ssh: super::ssh::RawSsh,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawUpstream {
    #[serde(default = "default_upstream_issuer")]
    pub(super) issuer: String,
    pub(super) client_id: Option<String>,
    pub(super) client_secret: Option<Secret>,
    #[serde(default = "default_upstream_timeout")]
    pub(super) timeout_secs: u64,
    #[serde(default)]
    pub(super) trust_email_domain: bool,
}

impl Default for RawUpstream {
    fn default() -> Self {
        Self {
            issuer: default_upstream_issuer(),
            client_id: None,
            client_secret: None,
            timeout_secs: default_upstream_timeout(),
            trust_email_domain: false,
        }
    }
}

/// Secrets written as a TOML array or, from an environment variable, as `a,b` (kept as written).
#[derive(Default, Deserialize)]
#[serde(from = "ListOrString")]
pub(super) struct SecretList(pub(super) Vec<Secret>);

impl From<ListOrString> for SecretList {
    fn from(v: ListOrString) -> Self {
        let items = match v {
            ListOrString::List(items) => items,
            ListOrString::String(s) => s.split(',').map(str::to_string).collect(),
        };
        SecretList(
            items
                .into_iter()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .map(Secret::new)
                .collect(),
        )
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawClient {
    pub(super) id: String,
    pub(super) name: Option<String>,
    pub(super) home_url: Option<String>,
    pub(super) grant_types: Option<Vec<String>>,
    pub(super) token_endpoint_auth_method: Option<String>,
    #[serde(default)]
    pub(super) roles: Vec<String>,
    #[serde(default)]
    pub(super) apis: Vec<String>,
    pub(super) jwks: Option<serde_json::Value>,
    pub(super) jwks_uri: Option<String>,
    pub(super) google_service_account: Option<String>,
    pub(super) backchannel_logout_uri: Option<String>,
    pub(super) secret: Option<Secret>,
    #[serde(default)]
    pub(super) redirect_uris: Vec<String>,
    #[serde(default)]
    pub(super) post_logout_redirect_uris: Vec<String>,
    #[serde(default)]
    pub(super) require_pkce: bool,
    #[serde(default)]
    pub(super) allowed_scopes: Vec<String>,
    pub(super) refresh_token_absolute_ttl_secs: Option<u64>,
}

/// An `[[apis]]` table as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawApi {
    pub(super) id: String,
    #[serde(default)]
    pub(super) scopes: Vec<String>,
}

/// `sign_outs`: a TOML table (`"ada@lab.example.org" = "2026-12-01T09:30:00Z"`) or, from
/// `MONBAN_SIGN_OUTS`, `address=time, address=time`.
#[derive(Default, Deserialize)]
#[serde(from = "TableOrString")]
pub(super) struct SignOutList(pub(super) Vec<(String, String)>);

#[derive(Deserialize)]
#[serde(untagged)]
enum TableOrString {
    Table(BTreeMap<String, String>),
    String(String),
}

impl From<TableOrString> for SignOutList {
    fn from(v: TableOrString) -> Self {
        SignOutList(match v {
            TableOrString::Table(t) => t.into_iter().collect(),
            TableOrString::String(s) => s
                .split(',')
                .filter(|e| !e.trim().is_empty())
                .map(|e| match e.split_once('=') {
                    Some((k, v)) => (k.trim().to_string(), v.trim().to_string()),
                    None => (e.trim().to_string(), String::new()),
                })
                .collect(),
        })
    }
}

/// A list written either as a TOML array or, from an environment variable, as `a, b, c`.
#[derive(Default, Deserialize)]
#[serde(from = "ListOrString")]
pub(super) struct CommaList(pub(super) Vec<String>);

#[derive(Deserialize)]
#[serde(untagged)]
enum ListOrString {
    List(Vec<String>),
    String(String),
}

impl From<ListOrString> for CommaList {
    fn from(v: ListOrString) -> Self {
        let items = match v {
            ListOrString::List(items) => items,
            ListOrString::String(s) => s.split(',').map(str::to_string).collect(),
        };
        CommaList(
            items
                .into_iter()
                .map(|s| s.trim().to_ascii_lowercase())
                .filter(|s| !s.is_empty())
                .collect(),
        )
    }
}

fn default_keys_dir() -> PathBuf {
    PathBuf::from("./keys")
}
fn default_org_name() -> String {
    "monban".into()
}
fn default_upstream_issuer() -> String {
    "https://accounts.google.com".into()
}
fn default_upstream_timeout() -> u64 {
    5
}
fn default_access_ttl() -> u64 {
    3600
}
fn default_id_ttl() -> u64 {
    3600
}
// A lab: a refresh token unused for two weeks ends (sign in again, one click with SSO), and no
// chain outlives a month after the sign-in that started it.
fn default_refresh_ttl() -> u64 {
    14 * 24 * 3600
}
fn default_refresh_absolute_ttl() -> u64 {
    30 * 24 * 3600
}
fn default_session_ttl() -> u64 {
    12 * 3600
}
fn default_jwks_max_age() -> u64 {
    900
}
fn default_log_format() -> LogFormat {
    LogFormat::Auto
}
fn default_shutdown_grace() -> u64 {
    8
}
// A sign-out waits for the clients' answers at most this long: a hung client must not keep a
// person on a blank page.
fn default_backchannel_timeout() -> u64 {
    2
}
// A lab behind one NAT address: 30 people signing in at once make about 120 limited requests
// (two `/authorize`, `/login`, `/callback` each). Still 2 RS256 mints a second at most per address.
fn default_rate_limit_per_minute() -> u32 {
    120
}
fn default_rate_limit_burst() -> u32 {
    120
}

/// Turns the `config` crate's error into one that names the key as the operator writes it.
pub(super) fn from_config_crate(e: config::ConfigError) -> ConfigError {
    let text = e.to_string();
    // The crate words its messages as "... for key `upstream.client_id` in ..."; pull the key out.
    let key = text
        .split_once("for key `")
        .and_then(|(_, rest)| rest.split_once('`'))
        .map(|(k, _)| k.to_string())
        .or_else(|| {
            text.split_once("unknown field `")
                .and_then(|(_, rest)| rest.split_once('`'))
                .map(|(k, _)| k.to_string())
        })
        .unwrap_or_else(|| "configuration".into());
    ConfigError::new(key, text)
}
