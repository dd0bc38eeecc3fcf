//! Configuration: typed settings, loaded once at start-up and validated at the edge.
//!
//! Sources, later ones winning: defaults, an optional TOML file (`MONBAN_CONFIG`, else
//! `./monban.toml` if it exists), then environment variables `MONBAN_<KEY>` with nested keys joined
//! by `__` (`MONBAN_UPSTREAM__CLIENT_ID`). Cloud Run's `PORT` sets the port.
//!
//! Every problem becomes a [`ConfigError`] that names the key, so a bad deployment stops at start-up
//! with one clear line instead of failing at the first login.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use url::Url;

/// Name of the environment variable that points at the TOML configuration file.
pub const CONFIG_FILE_VAR: &str = "MONBAN_CONFIG";
/// Name of the environment variable that may hold signing keys as PEM blocks.
pub const SIGNING_KEYS_VAR: &str = "MONBAN_SIGNING_KEYS";
/// The configuration file read when `MONBAN_CONFIG` is not set, if it exists.
pub const DEFAULT_CONFIG_FILE: &str = "monban.toml";

/// A configuration problem: which key, and what is wrong with it.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {key}: {problem}")]
pub struct ConfigError {
    /// The key as the operator writes it in `monban.toml` (or the variable name for env-only keys).
    pub key: String,
    /// What is wrong, in words an operator can act on.
    pub problem: String,
}

impl ConfigError {
    /// A problem with `key`.
    pub fn new(key: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            problem: problem.into(),
        }
    }
}

/// A string that must never be printed: its `Debug` and `Display` are redacted.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Text when run by hand, JSON when `K_SERVICE` says we are on Cloud Run.
    Auto,
    /// Human-readable lines.
    Text,
    /// One JSON object per line, in the shape Google Cloud Logging reads.
    Json,
}

/// The upstream OpenID provider monban federates login to (Google by default).
#[derive(Clone, Debug)]
pub struct Upstream {
    /// The upstream's issuer URL, compared exactly by discovery.
    pub issuer: Url,
    /// monban's OAuth client id at the upstream.
    pub client_id: String,
    /// monban's OAuth client secret at the upstream.
    pub client_secret: Secret,
    /// Timeout of every call to the upstream.
    pub timeout: Duration,
}

/// A relying party (sibling service) registered with monban.
#[derive(Clone, Debug)]
pub struct Client {
    /// The `client_id`.
    pub id: String,
    /// Confidential clients have a secret; public clients (SPAs, CLIs) have none and use PKCE.
    pub secret: Option<Secret>,
    /// Exactly matched redirect URIs.
    pub redirect_uris: Vec<Url>,
    /// Exactly matched post-logout redirect URIs.
    pub post_logout_redirect_uris: Vec<Url>,
}

/// How long each kind of credential lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lifetimes {
    /// Access tokens (`typ: at+jwt`).
    pub access_token: Duration,
    /// ID tokens.
    pub id_token: Duration,
    /// Refresh tokens.
    pub refresh_token: Duration,
    /// The browser's SSO session.
    pub session: Duration,
}

/// The validated configuration. Built only by [`Config::load`], so every field is known good.
#[derive(Clone, Debug)]
pub struct Config {
    /// The public base URL, without a trailing slash; the `iss` of every token.
    pub issuer: Url,
    /// The TCP port, from `PORT`.
    pub port: u16,
    /// Folder holding the PKCS#8 PEM signing keys.
    pub keys_dir: PathBuf,
    /// Signing keys given inline as PEM blocks (`MONBAN_SIGNING_KEYS`).
    pub signing_keys_pem: Option<Secret>,
    /// The key to sign with, instead of the newest.
    pub signing_kid: Option<String>,
    /// The organisation's name, shown on the login page.
    pub org_name: String,
    /// The upstream provider.
    pub upstream: Upstream,
    /// Email domains allowed to sign in (lower-case).
    pub allowed_domains: Vec<String>,
    /// Email addresses allowed to sign in (lower-case).
    pub allowed_emails: Vec<String>,
    /// Role name to the (lower-case) emails that hold it.
    pub roles: BTreeMap<String, Vec<String>>,
    /// Secrets that seal login state and sessions; the first seals, all open. Empty: derived from
    /// the signing keys.
    pub session_secrets: Vec<Secret>,
    /// Registered relying parties.
    pub clients: Vec<Client>,
    /// Credential lifetimes.
    pub lifetimes: Lifetimes,
    /// `Cache-Control: max-age` of the JWKS and discovery documents.
    pub jwks_max_age: Duration,
    /// Log format as configured (see [`Config::json_logs`]).
    pub log_format: LogFormat,
    /// How long in-flight requests may take to finish after SIGTERM.
    pub shutdown_grace: Duration,
    /// Per-client-address limit on the login and token endpoints.
    pub rate_limit: RateLimitSettings,
}

/// The per-IP rate limit on `/login`, `/callback`, `/authorize` and `/token`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimitSettings {
    /// Sustained requests per minute per address; 0 turns the limit off.
    pub per_minute: u32,
    /// Requests an address may make at once before the sustained rate applies.
    pub burst: u32,
    /// How many proxies in front of monban append to `X-Forwarded-For` (Cloud Run: 1). 0 trusts
    /// no header and uses the TCP peer's address.
    pub trusted_proxy_hops: usize,
}

impl Config {
    /// Loads the configuration from the process environment (and the file it points at).
    pub fn from_process_env() -> Result<Self, ConfigError> {
        Self::load(&std::env::vars().collect())
    }

    /// Loads and validates the configuration from the given environment variables, reading the
    /// TOML file they name (or `./monban.toml` if it exists).
    pub fn load(env: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let mut builder = config::Config::builder();
        match env.get(CONFIG_FILE_VAR) {
            Some(path) => {
                if !Path::new(path).is_file() {
                    return Err(ConfigError::new(
                        CONFIG_FILE_VAR,
                        format!("the file {path} does not exist"),
                    ));
                }
                builder = builder.add_source(config::File::new(path, config::FileFormat::Toml));
            }
            None if Path::new(DEFAULT_CONFIG_FILE).is_file() => {
                builder = builder.add_source(config::File::new(
                    DEFAULT_CONFIG_FILE,
                    config::FileFormat::Toml,
                ));
            }
            None => {}
        }
        // MONBAN_CONFIG names the file; it is not a setting. `try_parsing` stays off: it would turn
        // a digit-only secret into a number ("0123" into 123). Numbers still parse from strings.
        let monban_vars: config::Map<String, String> = env
            .iter()
            .filter(|(k, _)| k.starts_with("MONBAN_") && k.as_str() != CONFIG_FILE_VAR)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        builder = builder.add_source(
            config::Environment::with_prefix("MONBAN")
                .prefix_separator("_")
                .separator("__")
                .source(Some(monban_vars)),
        );
        let raw: RawConfig = builder
            .build()
            .and_then(|c| c.try_deserialize())
            .map_err(from_config_crate)?;
        raw.validate(env.get("PORT").map(String::as_str))
    }

    /// Whether logs are written as Cloud Logging JSON.
    pub fn json_logs(&self, env: &HashMap<String, String>) -> bool {
        match self.log_format {
            LogFormat::Json => true,
            LogFormat::Text => false,
            LogFormat::Auto => env.contains_key("K_SERVICE"),
        }
    }

    /// The issuer as a string without a trailing slash, exactly as it appears in `iss`.
    pub fn issuer_str(&self) -> &str {
        self.issuer.as_str().trim_end_matches('/')
    }

    /// A human summary of the configuration with every secret left out, for `monban check`.
    pub fn summary(&self) -> String {
        let set = |present: bool| if present { "set" } else { "not set" };
        let list = |v: &[String]| {
            if v.is_empty() {
                "(none)".to_string()
            } else {
                v.join(", ")
            }
        };
        let mut out = String::new();
        let mut line = |k: &str, v: String| out.push_str(&format!("{k:<26} {v}\n"));
        line("issuer", self.issuer_str().to_string());
        line("port", self.port.to_string());
        line("org_name", self.org_name.clone());
        line("keys_dir", self.keys_dir.display().to_string());
        line(
            "signing_keys (env)",
            set(self.signing_keys_pem.is_some()).into(),
        );
        line(
            "signing_kid",
            self.signing_kid
                .clone()
                .unwrap_or_else(|| "(newest)".into()),
        );
        line("upstream.issuer", self.upstream.issuer.to_string());
        line("upstream.client_id", self.upstream.client_id.clone());
        line("upstream.client_secret", "set".into());
        line("allowed_domains", list(&self.allowed_domains));
        line("allowed_emails", list(&self.allowed_emails));
        for (role, members) in &self.roles {
            line(&format!("roles.{role}"), list(members));
        }
        line(
            "session_secrets",
            if self.session_secrets.is_empty() {
                "(derived from the signing keys)".into()
            } else {
                format!("{} set", self.session_secrets.len())
            },
        );
        line(
            "upstream.timeout_secs",
            self.upstream.timeout.as_secs().to_string(),
        );
        for c in &self.clients {
            let kind = if c.secret.is_some() {
                "confidential"
            } else {
                "public"
            };
            let uris: Vec<String> = c.redirect_uris.iter().map(Url::to_string).collect();
            line(
                &format!("client {}", c.id),
                format!("{kind}, redirect_uris: {}", uris.join(" ")),
            );
        }
        let l = &self.lifetimes;
        line(
            "access_token_ttl_secs",
            l.access_token.as_secs().to_string(),
        );
        line("id_token_ttl_secs", l.id_token.as_secs().to_string());
        line(
            "refresh_token_ttl_secs",
            l.refresh_token.as_secs().to_string(),
        );
        line("session_ttl_secs", l.session.as_secs().to_string());
        line("jwks_max_age_secs", self.jwks_max_age.as_secs().to_string());
        line(
            "log_format",
            format!("{:?}", self.log_format).to_lowercase(),
        );
        line(
            "shutdown_grace_secs",
            self.shutdown_grace.as_secs().to_string(),
        );
        let r = &self.rate_limit;
        line(
            "rate_limit_per_minute",
            if r.per_minute == 0 {
                "0 (off)".into()
            } else {
                r.per_minute.to_string()
            },
        );
        line("rate_limit_burst", r.burst.to_string());
        line("trusted_proxy_hops", r.trusted_proxy_hops.to_string());
        out
    }
}

/// The configuration as written, before validation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    issuer: Option<String>,
    #[serde(default = "default_keys_dir")]
    keys_dir: PathBuf,
    signing_keys: Option<Secret>,
    signing_kid: Option<String>,
    #[serde(default = "default_org_name")]
    org_name: String,
    #[serde(default)]
    upstream: RawUpstream,
    #[serde(default)]
    allowed_domains: CommaList,
    #[serde(default)]
    allowed_emails: CommaList,
    #[serde(default)]
    roles: BTreeMap<String, CommaList>,
    #[serde(default)]
    session_secrets: SecretList,
    #[serde(default)]
    clients: Vec<RawClient>,
    #[serde(default = "default_access_ttl")]
    access_token_ttl_secs: u64,
    #[serde(default = "default_id_ttl")]
    id_token_ttl_secs: u64,
    #[serde(default = "default_refresh_ttl")]
    refresh_token_ttl_secs: u64,
    #[serde(default = "default_session_ttl")]
    session_ttl_secs: u64,
    #[serde(default = "default_jwks_max_age")]
    jwks_max_age_secs: u64,
    #[serde(default = "default_log_format")]
    log_format: LogFormat,
    #[serde(default = "default_shutdown_grace")]
    shutdown_grace_secs: u64,
    #[serde(default = "default_rate_limit_per_minute")]
    rate_limit_per_minute: u32,
    #[serde(default = "default_rate_limit_burst")]
    rate_limit_burst: u32,
    #[serde(default)]
    trusted_proxy_hops: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUpstream {
    #[serde(default = "default_upstream_issuer")]
    issuer: String,
    client_id: Option<String>,
    client_secret: Option<Secret>,
    #[serde(default = "default_upstream_timeout")]
    timeout_secs: u64,
}

impl Default for RawUpstream {
    fn default() -> Self {
        Self {
            issuer: default_upstream_issuer(),
            client_id: None,
            client_secret: None,
            timeout_secs: default_upstream_timeout(),
        }
    }
}

/// Secrets written as a TOML array or, from an environment variable, as `a,b` (kept as written).
#[derive(Default, Deserialize)]
#[serde(from = "ListOrString")]
struct SecretList(Vec<Secret>);

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
                .map(Secret)
                .collect(),
        )
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClient {
    id: String,
    secret: Option<Secret>,
    #[serde(default)]
    redirect_uris: Vec<String>,
    #[serde(default)]
    post_logout_redirect_uris: Vec<String>,
}

/// A list written either as a TOML array or, from an environment variable, as `a, b, c`.
#[derive(Default, Deserialize)]
#[serde(from = "ListOrString")]
struct CommaList(Vec<String>);

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
fn default_refresh_ttl() -> u64 {
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
// A lab behind one NAT address: 30 people signing in at once make about 120 limited requests
// (two `/authorize`, `/login`, `/callback` each). Still 2 RS256 mints a second at most per address.
fn default_rate_limit_per_minute() -> u32 {
    120
}
fn default_rate_limit_burst() -> u32 {
    120
}

impl RawConfig {
    fn validate(self, port: Option<&str>) -> Result<Config, ConfigError> {
        let issuer = match self.issuer.as_deref().map(str::trim) {
            None | Some("") => {
                return Err(ConfigError::new(
                    "issuer",
                    "missing: set it to monban's public base URL, e.g. MONBAN_ISSUER=https://login.example.org",
                ));
            }
            Some(s) => parse_issuer("issuer", s)?,
        };
        let upstream_issuer = parse_issuer("upstream.issuer", self.upstream.issuer.trim())?;
        let port = match port {
            None => 8080,
            Some(p) => p
                .trim()
                .parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| ConfigError::new("PORT", format!("{p:?} is not a TCP port")))?,
        };
        if self.org_name.trim().is_empty() {
            return Err(ConfigError::new("org_name", "must not be empty"));
        }
        let signing_keys_pem = self.signing_keys.filter(|s| !s.expose().trim().is_empty());
        let signing_kid = self.signing_kid.filter(|s| !s.trim().is_empty());
        let upstream = Upstream {
            issuer: upstream_issuer,
            client_id: self
                .upstream
                .client_id
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .ok_or_else(|| {
                    ConfigError::new(
                        "upstream.client_id",
                        "missing: create an OAuth client (type \"Web application\") for monban at the upstream \
                         and set MONBAN_UPSTREAM__CLIENT_ID (see docs/login.md)",
                    )
                })?,
            client_secret: self
                .upstream
                .client_secret
                .filter(|s| !s.expose().is_empty())
                .ok_or_else(|| {
                    ConfigError::new(
                        "upstream.client_secret",
                        "missing: set MONBAN_UPSTREAM__CLIENT_SECRET to the OAuth client's secret",
                    )
                })?,
            timeout: match self.upstream.timeout_secs {
                0 => {
                    return Err(ConfigError::new(
                        "upstream.timeout_secs",
                        "must be at least 1",
                    ));
                }
                t => Duration::from_secs(t),
            },
        };
        for (i, secret) in self.session_secrets.0.iter().enumerate() {
            if secret.expose().len() < 32 {
                return Err(ConfigError::new(
                    "session_secrets",
                    format!(
                        "secret {} is {} characters; use at least 32 random ones (e.g. `openssl rand -base64 32`)",
                        i + 1,
                        secret.expose().len()
                    ),
                ));
            }
        }
        let emails = |key: &str, list: Vec<String>| -> Result<Vec<String>, ConfigError> {
            list.iter()
                .map(|e| {
                    crate::policy::normalize_email(e).ok_or_else(|| {
                        ConfigError::new(key, format!("{e:?} is not an email address"))
                    })
                })
                .collect()
        };
        let mut roles = BTreeMap::new();
        for (role, members) in self.roles {
            let members = emails(&format!("roles.{role}"), members.0)?;
            roles.insert(role, members);
        }
        let allowed_domains = self
            .allowed_domains
            .0
            .iter()
            .map(|d| {
                crate::policy::normalize_domain(d)
                    .filter(|_| !d.contains('@'))
                    .ok_or_else(|| {
                        ConfigError::new(
                            "allowed_domains",
                            format!(
                                "{d:?} is not a domain name (write example.org, not an address)"
                            ),
                        )
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let allowed_emails = emails("allowed_emails", self.allowed_emails.0)?;
        let clients = validate_clients(self.clients)?;
        let secs = |key: &str, v: u64| {
            if v == 0 {
                Err(ConfigError::new(key, "must be at least 1 second"))
            } else {
                Ok(Duration::from_secs(v))
            }
        };
        if self.rate_limit_per_minute > 0 && self.rate_limit_burst == 0 {
            return Err(ConfigError::new(
                "rate_limit_burst",
                "must be at least 1 while rate_limit_per_minute is set (0 per minute turns the limit off)",
            ));
        }
        if self.trusted_proxy_hops > 8 {
            return Err(ConfigError::new(
                "trusted_proxy_hops",
                format!(
                    "{} proxies is implausible: count the proxies that append to X-Forwarded-For (Cloud Run: 1)",
                    self.trusted_proxy_hops
                ),
            ));
        }
        let lifetimes = Lifetimes {
            access_token: secs("access_token_ttl_secs", self.access_token_ttl_secs)?,
            id_token: secs("id_token_ttl_secs", self.id_token_ttl_secs)?,
            refresh_token: secs("refresh_token_ttl_secs", self.refresh_token_ttl_secs)?,
            session: secs("session_ttl_secs", self.session_ttl_secs)?,
        };
        Ok(Config {
            issuer,
            port,
            keys_dir: self.keys_dir,
            signing_keys_pem,
            signing_kid,
            org_name: self.org_name.trim().to_string(),
            upstream,
            allowed_domains,
            allowed_emails,
            roles,
            session_secrets: self.session_secrets.0,
            clients,
            lifetimes,
            jwks_max_age: Duration::from_secs(self.jwks_max_age_secs),
            log_format: self.log_format,
            shutdown_grace: Duration::from_secs(self.shutdown_grace_secs),
            rate_limit: RateLimitSettings {
                per_minute: self.rate_limit_per_minute,
                burst: self.rate_limit_burst,
                trusted_proxy_hops: self.trusted_proxy_hops,
            },
        })
    }
}

fn validate_clients(raw: Vec<RawClient>) -> Result<Vec<Client>, ConfigError> {
    let mut clients: Vec<Client> = Vec::with_capacity(raw.len());
    for c in raw {
        let key = format!("clients[{}]", c.id);
        if c.id.trim().is_empty() {
            return Err(ConfigError::new("clients.id", "must not be empty"));
        }
        if clients.iter().any(|o| o.id == c.id) {
            return Err(ConfigError::new(key, "client id registered twice"));
        }
        if c.redirect_uris.is_empty() {
            return Err(ConfigError::new(
                format!("{key}.redirect_uris"),
                "at least one redirect URI is required",
            ));
        }
        let parse = |field: &str, list: &[String]| -> Result<Vec<Url>, ConfigError> {
            list.iter()
                .map(|u| {
                    let url = Url::parse(u).map_err(|e| {
                        ConfigError::new(
                            format!("{key}.{field}"),
                            format!("{u:?} is not an absolute URL ({e})"),
                        )
                    })?;
                    if url.fragment().is_some() {
                        return Err(ConfigError::new(
                            format!("{key}.{field}"),
                            format!("{u:?} must not have a #fragment"),
                        ));
                    }
                    Ok(url)
                })
                .collect()
        };
        clients.push(Client {
            redirect_uris: parse("redirect_uris", &c.redirect_uris)?,
            post_logout_redirect_uris: parse(
                "post_logout_redirect_uris",
                &c.post_logout_redirect_uris,
            )?,
            secret: c.secret.filter(|s| !s.expose().is_empty()),
            id: c.id,
        });
    }
    Ok(clients)
}

/// Parses an issuer URL: absolute, https unless the host is loopback, no query or fragment.
fn parse_issuer(key: &str, value: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(value).map_err(|e| {
        ConfigError::new(
            key,
            format!("{value:?} is not an absolute URL ({e}); write e.g. https://login.example.org"),
        )
    })?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ConfigError::new(
            key,
            format!("{value:?} must not have a query or fragment"),
        ));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(ConfigError::new(
                key,
                format!(
                    "{value:?} must use https (plain http is allowed only for a loopback host)"
                ),
            ));
        }
        other => {
            return Err(ConfigError::new(
                key,
                format!("{value:?} has scheme {other:?}; it must be https"),
            ));
        }
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ConfigError::new(
            key,
            format!("{value:?} must not carry credentials"),
        ));
    }
    // The `iss` claim is compared byte for byte: keep one canonical form, without a trailing slash.
    let trimmed = url.as_str().trim_end_matches('/').to_string();
    Url::parse(&trimmed).map_err(|e| ConfigError::new(key, e.to_string()))
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// Turns the `config` crate's error into one that names the key as the operator writes it.
fn from_config_crate(e: config::ConfigError) -> ConfigError {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `pairs` plus an upstream client, which every deployment needs.
    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        let mut env: HashMap<String, String> = [
            ("MONBAN_UPSTREAM__CLIENT_ID", "id"),
            ("MONBAN_UPSTREAM__CLIENT_SECRET", "secret"),
        ]
        .iter()
        .chain(pairs)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        env.retain(|_, v| !v.is_empty());
        env
    }

    #[test]
    fn minimal_environment_gives_documented_defaults() {
        let c = Config::load(&env(&[("MONBAN_ISSUER", "https://login.example.org/")])).unwrap();
        assert_eq!(c.issuer_str(), "https://login.example.org");
        assert_eq!(c.port, 8080);
        assert_eq!(c.lifetimes.access_token, Duration::from_secs(3600));
        assert_eq!(c.upstream.issuer.as_str(), "https://accounts.google.com/");
        assert_eq!(c.keys_dir, PathBuf::from("./keys"));
    }

    #[test]
    fn comma_lists_and_nested_keys_come_from_the_environment() {
        let c = Config::load(&env(&[
            ("MONBAN_ISSUER", "http://127.0.0.1:8080"),
            ("MONBAN_ALLOWED_EMAILS", "Ada@Example.org, bob@example.org"),
            ("MONBAN_ALLOWED_DOMAINS", "lab.example.org"),
            (
                "MONBAN_UPSTREAM__CLIENT_ID",
                "abc.apps.googleusercontent.com",
            ),
            ("MONBAN_UPSTREAM__CLIENT_SECRET", "0123"),
            ("MONBAN_ACCESS_TOKEN_TTL_SECS", "600"),
            ("PORT", "9000"),
        ]))
        .unwrap();
        assert_eq!(c.allowed_emails, ["ada@example.org", "bob@example.org"]);
        assert_eq!(c.allowed_domains, ["lab.example.org"]);
        assert_eq!(c.upstream.client_id, "abc.apps.googleusercontent.com");
        // A digit-only secret stays a string, leading zero included.
        assert_eq!(c.upstream.client_secret.expose(), "0123");
        assert_eq!(c.lifetimes.access_token, Duration::from_secs(600));
        assert_eq!(c.port, 9000);
    }

    fn error_for(pairs: &[(&str, &str)]) -> ConfigError {
        Config::load(&env(pairs)).unwrap_err()
    }

    #[test]
    fn bad_values_name_their_key() {
        assert_eq!(error_for(&[]).key, "issuer");
        assert_eq!(
            error_for(&[("MONBAN_ISSUER", "login.example.org")]).key,
            "issuer"
        );
        assert_eq!(
            error_for(&[("MONBAN_ISSUER", "http://example.org")]).key,
            "issuer"
        );
        let e = error_for(&[
            ("MONBAN_ISSUER", "https://example.org"),
            ("MONBAN_UPSTREAM__ISSUER", "http://accounts.example.com"),
        ]);
        assert_eq!(e.key, "upstream.issuer");
        let e = error_for(&[("MONBAN_ISSUER", "https://example.org"), ("PORT", "http")]);
        assert_eq!(e.key, "PORT");
        let e = error_for(&[
            ("MONBAN_ISSUER", "https://example.org"),
            ("MONBAN_ACCESS_TOKEN_TTL_SECS", "an hour"),
        ]);
        assert_eq!(e.key, "access_token_ttl_secs", "{e}");
        let e = error_for(&[
            ("MONBAN_ISSUER", "https://example.org"),
            ("MONBAN_ALLOWED_EMAILS", "not-an-address"),
        ]);
        assert_eq!(e.key, "allowed_emails");
        let e = error_for(&[
            ("MONBAN_ISSUER", "https://example.org"),
            ("MONBAN_UPSTREAM__CLIENT_ID", ""),
        ]);
        assert_eq!(e.key, "upstream.client_id");
        let e = error_for(&[
            ("MONBAN_ISSUER", "https://example.org"),
            ("MONBAN_UPSTREAM__CLIENT_SECRET", ""),
        ]);
        assert_eq!(e.key, "upstream.client_secret");
        let e = error_for(&[
            ("MONBAN_ISSUER", "https://example.org"),
            ("MONBAN_SESSION_SECRETS", "too-short"),
        ]);
        assert_eq!(e.key, "session_secrets");
    }

    #[test]
    fn loopback_issuers_may_use_plain_http() {
        for issuer in [
            "http://localhost:8080",
            "http://127.0.0.1:1",
            "http://[::1]:8080",
        ] {
            assert!(parse_issuer("issuer", issuer).is_ok(), "{issuer}");
        }
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let s = Secret::new("hunter2");
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}
