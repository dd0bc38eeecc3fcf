//! `monban gate`'s settings: environment variables only (`MONBAN_GATE__*` and Cloud Run's
//! `PORT`), validated at start-up; each problem names the variable. Any other `MONBAN_*` variable
//! is an error here, so a typo (or monban's own settings given to the gate) does not pass silently.

use std::collections::HashMap;
use std::time::Duration;

use url::Url;

use crate::config::{
    ConfigError, MAX_PROXY_HOPS, SealingSecret, Secret, http_url, normalize_email, parse_issuer,
    parse_port,
};

/// The variables `monban gate` reads, besides `PORT`.
const KNOWN: [&str; 9] = [
    "MONBAN_GATE__ISSUER",
    "MONBAN_GATE__CLIENT_ID",
    "MONBAN_GATE__CLIENT_SECRET",
    "MONBAN_GATE__URL",
    "MONBAN_GATE__UPSTREAM",
    "MONBAN_GATE__ALLOWED_ROLES",
    "MONBAN_GATE__ALLOWED_EMAILS",
    "MONBAN_GATE__SESSION_SECRETS",
    "MONBAN_GATE__TRUSTED_PROXY_HOPS",
];

/// The gate in front of one app.
#[derive(Clone, Debug)]
pub struct GateConfig {
    /// monban's issuer URL.
    pub issuer: Url,
    /// The gate's client at monban.
    pub client_id: String,
    /// Its secret.
    pub client_secret: Secret,
    /// The gate's own public base URL (its callback is `/_monban/callback` under it).
    pub url: Url,
    /// The app's URL, e.g. `http://127.0.0.1:8888`.
    pub upstream: Url,
    /// Roles any one of which lets a person in (with `allowed_emails`; both empty: anyone monban
    /// signs in).
    pub allowed_roles: Vec<String>,
    /// Addresses that may use the app whatever their roles.
    pub allowed_emails: Vec<String>,
    /// Sealing secrets, newest first (as monban's `session_secrets`).
    pub session_secrets: Vec<SealingSecret>,
    /// The port to listen on (`PORT`, else 8080).
    pub port: u16,
    /// Timeout of the gate's calls to monban.
    pub timeout: Duration,
    /// How many proxies in front of the gate append to `X-Forwarded-For` (1 on Cloud Run:
    /// Google's front end); their entries are passed on to the app, anything left of them is the
    /// client's own writing and is dropped.
    pub trusted_proxy_hops: usize,
}

impl GateConfig {
    /// Reads and validates the gate's variables from `env`.
    pub fn load(env: &HashMap<String, String>) -> Result<Self, ConfigError> {
        if let Some(unknown) = env
            .keys()
            .filter(|k| k.starts_with("MONBAN_") && !KNOWN.contains(&k.as_str()))
            .min()
        {
            return Err(ConfigError::new(
                unknown,
                format!(
                    "monban gate does not read it (it reads {})",
                    KNOWN.join(", ")
                ),
            ));
        }
        // The gate's own origin follows the issuer's rules: https, or http on a loopback host.
        let gate_url = parse_issuer("MONBAN_GATE__URL", required(env, "MONBAN_GATE__URL")?)?;
        if gate_url.path() != "/" {
            return Err(ConfigError::new(
                "MONBAN_GATE__URL",
                "must be the gate's origin, without a path (the app is served at its root)",
            ));
        }
        Ok(Self {
            issuer: parse_issuer("MONBAN_GATE__ISSUER", required(env, "MONBAN_GATE__ISSUER")?)?,
            client_id: required(env, "MONBAN_GATE__CLIENT_ID")?.to_string(),
            client_secret: Secret::new(required(env, "MONBAN_GATE__CLIENT_SECRET")?),
            url: gate_url,
            upstream: http_url(
                "MONBAN_GATE__UPSTREAM",
                required(env, "MONBAN_GATE__UPSTREAM")?,
            )?,
            allowed_roles: list(env, "MONBAN_GATE__ALLOWED_ROLES"),
            allowed_emails: emails(env, "MONBAN_GATE__ALLOWED_EMAILS")?,
            session_secrets: SealingSecret::parse_all(
                "MONBAN_GATE__SESSION_SECRETS",
                required(env, "MONBAN_GATE__SESSION_SECRETS")?
                    .split(',')
                    .map(str::trim),
            )?,
            port: parse_port(env.get("PORT").map(String::as_str))?,
            timeout: Duration::from_secs(5),
            trusted_proxy_hops: hops(env, "MONBAN_GATE__TRUSTED_PROXY_HOPS")?,
        })
    }

    /// The gate's origin as a string, without the trailing slash.
    pub fn origin(&self) -> &str {
        self.url.as_str().trim_end_matches('/')
    }

    /// Whether a person with `email` and `roles` may use the app.
    pub fn admits(&self, email: Option<&str>, roles: &[String]) -> bool {
        if self.allowed_roles.is_empty() && self.allowed_emails.is_empty() {
            return true;
        }
        roles.iter().any(|r| self.allowed_roles.contains(r))
            || email.is_some_and(|e| self.allowed_emails.iter().any(|a| a == e))
    }
}

/// A variable that must be set and not blank.
fn required<'e>(env: &'e HashMap<String, String>, key: &str) -> Result<&'e str, ConfigError> {
    env.get(key)
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ConfigError::new(key, "missing"))
}

/// A number of proxy hops, as monban's `trusted_proxy_hops`; unset is 0.
fn hops(env: &HashMap<String, String>, key: &str) -> Result<usize, ConfigError> {
    match env.get(key).map(|v| v.trim()) {
        None | Some("") => Ok(0),
        Some(raw) => raw
            .parse()
            .ok()
            .filter(|h| *h <= MAX_PROXY_HOPS)
            .ok_or_else(|| {
                ConfigError::new(
                    key,
                    format!("{raw:?} is not a number from 0 to {MAX_PROXY_HOPS}"),
                )
            }),
    }
}

/// A comma list; unset is empty.
fn list(env: &HashMap<String, String>, key: &str) -> Vec<String> {
    env.get(key)
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// A comma list of addresses, in canonical form.
fn emails(env: &HashMap<String, String>, key: &str) -> Result<Vec<String>, ConfigError> {
    list(env, key)
        .iter()
        .map(|e| {
            normalize_email(e)
                .ok_or_else(|| ConfigError::new(key, format!("{e:?} is not an email address")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(extra: &[(&str, &str)]) -> HashMap<String, String> {
        let mut env: HashMap<String, String> = [
            ("MONBAN_GATE__ISSUER", "https://login.example.org"),
            ("MONBAN_GATE__CLIENT_ID", "notebooks"),
            ("MONBAN_GATE__CLIENT_SECRET", "s3cret"),
            ("MONBAN_GATE__URL", "https://notebooks.example.org"),
            ("MONBAN_GATE__UPSTREAM", "http://127.0.0.1:8888"),
            (
                "MONBAN_GATE__SESSION_SECRETS",
                "DDWpQgde_2tuFStCu4bg9LNSJ1FVKzW7l3sBkWX7kfg",
            ),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        env
    }

    #[test]
    fn rules_admit_by_role_or_address_and_everyone_without_rules() {
        let open = GateConfig::load(&env(&[])).unwrap();
        assert!(open.admits(None, &[]));
        let ruled = GateConfig::load(&env(&[
            ("MONBAN_GATE__ALLOWED_ROLES", "admin, staff"),
            ("MONBAN_GATE__ALLOWED_EMAILS", "Grace@Lab.Example.org"),
        ]))
        .unwrap();
        assert!(ruled.admits(Some("ada@lab.example.org"), &["staff".into()]));
        assert!(ruled.admits(Some("grace@lab.example.org"), &[]));
        assert!(!ruled.admits(Some("alan@lab.example.org"), &["student".into()]));
    }

    #[test]
    fn a_bad_or_unknown_variable_is_named() {
        for (extra, key) in [
            (("MONBAN_GATE__UPSTREM", "http://x"), "MONBAN_GATE__UPSTREM"),
            (("MONBAN_ISSUER", "https://x"), "MONBAN_ISSUER"),
            (
                ("MONBAN_GATE__URL", "https://x.example.org/app"),
                "MONBAN_GATE__URL",
            ),
            (
                ("MONBAN_GATE__SESSION_SECRETS", "short"),
                "MONBAN_GATE__SESSION_SECRETS",
            ),
            (
                ("MONBAN_GATE__ALLOWED_EMAILS", "nobody"),
                "MONBAN_GATE__ALLOWED_EMAILS",
            ),
            (("PORT", "http"), "PORT"),
            (("PORT", "0"), "PORT"),
            (
                ("MONBAN_GATE__ISSUER", "http://login.example.org"),
                "MONBAN_GATE__ISSUER",
            ),
            (
                ("MONBAN_GATE__UPSTREAM", "ftp://127.0.0.1"),
                "MONBAN_GATE__UPSTREAM",
            ),
            (
                ("MONBAN_GATE__TRUSTED_PROXY_HOPS", "9"),
                "MONBAN_GATE__TRUSTED_PROXY_HOPS",
            ),
        ] {
            let e = GateConfig::load(&env(&[extra])).unwrap_err();
            assert_eq!(e.key, key, "{extra:?}");
        }
        let mut missing = env(&[]);
        missing.remove("MONBAN_GATE__CLIENT_ID");
        assert_eq!(
            GateConfig::load(&missing).unwrap_err().key,
            "MONBAN_GATE__CLIENT_ID"
        );
    }

    #[test]
    fn the_gates_debug_prints_no_secret() {
        let config = GateConfig::load(&env(&[])).unwrap();
        let debug = format!("{config:?}");
        for secret in ["s3cret", "DDWpQgde_2tuFStCu4bg9LNSJ1FVKzW7l3sBkWX7kfg"] {
            assert!(!debug.contains(secret), "{debug}");
        }
        let bytes = format!("{:?}", config.session_secrets[0].bytes());
        assert!(!debug.contains(&bytes[1..20]), "{debug}");
    }
}
