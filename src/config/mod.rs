//! Configuration: typed settings, loaded once at start-up and validated at the edge.
//!
//! Sources, later ones winning: defaults, an optional TOML file (`MONBAN_CONFIG`, else
//! `./monban.toml` if it exists), then environment variables `MONBAN_<KEY>` with nested keys joined
//! by `__` (`MONBAN_UPSTREAM__CLIENT_ID`). Cloud Run's `PORT` sets the port.
//!
//! Every problem becomes a [`ConfigError`] that names the key, so a bad deployment stops at start-up
//! with one clear line instead of failing at the first login.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use url::Url;

use crate::jwks::KeySet;

mod admission;
mod apis;
pub mod client_block;
mod clients;
mod email;
#[cfg(test)]
pub(crate) mod fixtures;
mod lifetimes;
mod pages;
pub mod policy;
mod rate_limit;
mod raw;
mod secret;
mod sign_outs;
mod ssh;
mod summary;
#[cfg(test)]
mod tests;
mod upstream;
mod urls;
mod validate;

pub use admission::Admission;
pub use apis::Api;
pub use email::{normalize_domain, normalize_email};
pub use lifetimes::Lifetimes;
pub use pages::PageSettings;
pub use rate_limit::{MAX_PROXY_HOPS, RateLimitSettings};
pub use secret::{SealingSecret, Secret, generate_session_secret};
pub use sign_outs::SignOuts;
pub use ssh::{KNOWN_EXTENSIONS, SshSettings};
pub use upstream::Upstream;
pub use urls::{http_url, parse_issuer};
pub use validate::parse_port;

/// The scopes every person may be granted, and no service's own token ever is.
pub const STANDARD_SCOPES: &[&str] = &["openid", "email", "profile"];

use raw::{RawConfig, from_config_crate};

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
    /// PKCE (S256) is required even though the client is confidential (public clients always
    /// need it).
    pub require_pkce: bool,
    /// Scopes beyond the standard ones (`openid`, `email`, `profile`) this client may be granted.
    pub allowed_scopes: Vec<String>,
    /// What it may ask `/token` for (`grant_types`, RFC 7591 names).
    pub grant_types: Vec<GrantType>,
    /// How it must authenticate at `/token`; `None`: `client_secret_basic` or `client_secret_post`
    /// for a confidential client, `none` for a public one.
    pub auth_method: Option<AuthMethod>,
    /// Roles of its own tokens under the client-credentials grant (the client acting as itself).
    pub roles: Vec<String>,
    /// The APIs (`[[apis]]` ids) it may ask tokens for with `resource=`.
    pub apis: Vec<String>,
    /// Where the public keys of its `private_key_jwt` assertions come from; `None` for a client
    /// with a secret or a public one.
    pub assertion_keys: Option<AssertionKeys>,
    /// Where monban posts a logout token when a sign-in it received a code in ends
    /// (Back-Channel Logout 1.0).
    pub backchannel_logout_uri: Option<Url>,
    /// The name people know the application by (`name`; the id when not set).
    pub name: String,
    /// Where the application lives, for the portal on monban's home page.
    pub home_url: Option<Url>,
    /// This client's own end of a refresh chain after the sign-in; `None`: the confidential
    /// default (`refresh_token_absolute_ttl_secs`), or for a public client the SSO session's
    /// lifetime (`session_ttl_secs`).
    pub refresh_token_absolute_ttl: Option<Duration>,
}

/// Where a `private_key_jwt` client's keys come from (one of `jwks`, `jwks_uri`,
/// `google_service_account`).
#[derive(Clone, Debug)]
pub enum AssertionKeys {
    /// `jwks`: its public keys, written in the configuration.
    Jwks(Arc<KeySet>),
    /// `jwks_uri`: fetched when it authenticates, and cached as the answer's `Cache-Control` says.
    JwksUri(Url),
    /// `google_service_account` (workload identity): the client's assertion is a Google-signed ID
    /// token for this service account (canonical email), checked against Google's keys.
    GoogleServiceAccount(String),
}

/// A grant a client may use, by its RFC 7591 name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GrantType {
    /// `authorization_code`.
    AuthorizationCode,
    /// `refresh_token`.
    RefreshToken,
    /// `client_credentials` (RFC 6749 §4.4): a service acting as itself.
    ClientCredentials,
    /// `urn:ietf:params:oauth:grant-type:token-exchange` (RFC 8693): a service calling an API on
    /// behalf of its signed-in user.
    TokenExchange,
}

impl GrantType {
    /// Every grant monban serves, by name.
    pub const ALL: [(GrantType, &'static str); 4] = [
        (GrantType::AuthorizationCode, "authorization_code"),
        (GrantType::RefreshToken, "refresh_token"),
        (GrantType::ClientCredentials, "client_credentials"),
        (
            GrantType::TokenExchange,
            "urn:ietf:params:oauth:grant-type:token-exchange",
        ),
    ];
    /// What a client may use unless configured otherwise.
    pub const DEFAULT: [GrantType; 2] = [GrantType::AuthorizationCode, GrantType::RefreshToken];
}

/// How a client authenticates at `/token`, by its RFC 7591 name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthMethod {
    /// `client_secret_basic`: HTTP Basic.
    ClientSecretBasic,
    /// `client_secret_post`: `client_id` and `client_secret` in the form.
    ClientSecretPost,
    /// `none`: a public client, `client_id` only.
    None,
    /// `private_key_jwt` (RFC 7523): a JWT the client signs with its private key.
    PrivateKeyJwt,
}

impl AuthMethod {
    /// Every method monban supports, by name.
    pub const ALL: [(AuthMethod, &'static str); 4] = [
        (AuthMethod::ClientSecretBasic, "client_secret_basic"),
        (AuthMethod::ClientSecretPost, "client_secret_post"),
        (AuthMethod::PrivateKeyJwt, "private_key_jwt"),
        (AuthMethod::None, "none"),
    ];
}

impl Client {
    /// A public client `id` with every option at its default (what a `[[clients]]` table with only
    /// its `id` means), for code that registers clients itself.
    pub fn new(id: &str) -> Self {
        Self {
            id: id.to_string(),
            name: id.to_string(),
            home_url: None,
            secret: None,
            redirect_uris: Vec::new(),
            post_logout_redirect_uris: Vec::new(),
            require_pkce: false,
            allowed_scopes: Vec::new(),
            grant_types: GrantType::DEFAULT.to_vec(),
            auth_method: None,
            roles: Vec::new(),
            apis: Vec::new(),
            assertion_keys: None,
            backchannel_logout_uri: None,
            refresh_token_absolute_ttl: None,
        }
    }

    /// How long after the sign-in this client's refresh chain ends.
    pub fn refresh_chain(&self, lifetimes: &Lifetimes) -> Duration {
        match (self.refresh_token_absolute_ttl, self.is_confidential()) {
            (Some(ttl), _) => ttl,
            (None, true) => lifetimes.refresh_token_absolute,
            (None, false) => lifetimes.session,
        }
    }

    /// Whether it authenticates (a secret or keys), unlike a public client.
    pub fn is_confidential(&self) -> bool {
        self.secret.is_some() || self.assertion_keys.is_some()
    }
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
    /// How the pages look: language, logo, whether a client's sign-in shows monban's page.
    pub pages: PageSettings,
    /// The upstream provider.
    pub upstream: Upstream,
    /// Who may sign in, and with which roles.
    pub admission: Admission,
    /// Secrets that seal login state and sessions; the first seals, all open. Empty: derived from
    /// the signing keys.
    pub session_secrets: Vec<SealingSecret>,
    /// Registered relying parties.
    pub clients: Vec<Client>,
    /// APIs tokens may be issued for (`[[apis]]`, RFC 8707 resource indicators).
    pub apis: Vec<Api>,
    /// Credential lifetimes.
    pub lifetimes: Lifetimes,
    /// `Cache-Control: max-age` of the JWKS and discovery documents.
    pub jwks_max_age: Duration,
    /// Log format as configured (see [`Config::json_logs`]).
    pub log_format: LogFormat,
    /// How long in-flight requests may take to finish after SIGTERM.
    pub shutdown_grace: Duration,
    /// How long a sign-out waits for the clients it tells (back-channel logout).
    pub backchannel_logout_timeout: Duration,
    /// Per-client-address limit on the login and token endpoints.
    pub rate_limit: RateLimitSettings,
    /// The OpenSSH user CA (`[ssh]`), when CA keys are configured.
    pub ssh: Option<SshSettings>,
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
}
