//! Validation at the edge: a [`RawConfig`] becomes a [`Config`] whose every field is known good,
//! or a [`ConfigError`] that names the key and says what to do. The settings of the server itself
//! are read here; each section converts its own ([`Upstream`], [`Admission`], [`Lifetimes`],
//! [`PageSettings`], [`RateLimitSettings`], [`Api`], the clients).

use std::time::Duration;

use super::raw::RawConfig;
use super::secret::SealingSecret;
use super::urls::parse_issuer;
use super::{
    Admission, Api, Config, ConfigError, Lifetimes, PageSettings, RateLimitSettings, Upstream,
};

impl RawConfig {
    pub(super) fn validate(self, port: Option<&str>) -> Result<Config, ConfigError> {
        let issuer = match self.issuer.as_deref().map(str::trim) {
            None | Some("") => {
                return Err(ConfigError::new(
                    "issuer",
                    "missing: set it to monban's public base URL, e.g. MONBAN_ISSUER=https://login.example.org",
                ));
            }
            Some(s) => parse_issuer("issuer", s)?,
        };
        let upstream = Upstream::from_raw(&self.upstream)?;
        let port = parse_port(port)?;
        if self.org_name.trim().is_empty() {
            return Err(ConfigError::new("org_name", "must not be empty"));
        }
        let pages = PageSettings::from_raw(&self)?;
        let session_secrets = SealingSecret::parse_all(
            "session_secrets",
            self.session_secrets.0.iter().map(|s| s.expose()),
        )?;
        let admission = Admission::from_raw(&self)?;
        let lifetimes = Lifetimes::from_raw(&self)?;
        let rate_limit = RateLimitSettings::from_raw(&self)?;
        let apis = Api::from_raw(&self.apis)?;
        let backchannel_logout_timeout = match self.backchannel_logout_timeout_secs {
            secs @ 1..=30 => Duration::from_secs(secs),
            _ => {
                return Err(ConfigError::new(
                    "backchannel_logout_timeout_secs",
                    "must be 1 to 30 seconds",
                ));
            }
        };
        let ssh = super::ssh::SshSettings::from_raw(self.ssh)?;
        Ok(Config {
            ssh,
            clients: super::clients::validate(self.clients, &apis)?,
            issuer,
            port,
            keys_dir: self.keys_dir,
            signing_keys_pem: self.signing_keys.filter(|s| !s.expose().trim().is_empty()),
            signing_kid: self.signing_kid.filter(|s| !s.trim().is_empty()),
            org_name: self.org_name.trim().to_string(),
            pages,
            upstream,
            admission,
            session_secrets,
            apis,
            lifetimes,
            jwks_max_age: Duration::from_secs(self.jwks_max_age_secs),
            log_format: self.log_format,
            shutdown_grace: Duration::from_secs(self.shutdown_grace_secs),
            backchannel_logout_timeout,
            rate_limit,
        })
    }
}

/// The TCP port from `PORT` (Cloud Run sets it), 8080 when unset; 0 is refused.
pub fn parse_port(port: Option<&str>) -> Result<u16, ConfigError> {
    match port {
        None => Ok(8080),
        Some(p) => p
            .trim()
            .parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| ConfigError::new("PORT", format!("{p:?} is not a TCP port"))),
    }
}
