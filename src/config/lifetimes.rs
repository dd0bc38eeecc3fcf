//! How long each kind of credential lives (`*_ttl_secs`).

use std::time::Duration;

use super::ConfigError;
use super::raw::RawConfig;
use super::summary::Summary;

/// How long each kind of credential lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lifetimes {
    /// Access tokens (`typ: at+jwt`).
    pub access_token: Duration,
    /// ID tokens.
    pub id_token: Duration,
    /// A refresh token's idle lifetime: each refresh seals a new one for this long.
    pub refresh_token: Duration,
    /// How long after the sign-in (`auth_time`) a confidential client's refresh chain ends, however
    /// often it refreshes.
    pub refresh_token_absolute: Duration,
    /// The browser's SSO session.
    pub session: Duration,
}

impl Lifetimes {
    /// The lifetimes as written: each at least one second.
    pub(super) fn from_raw(raw: &RawConfig) -> Result<Self, ConfigError> {
        let secs = |key: &str, v: u64| {
            if v == 0 {
                Err(ConfigError::new(key, "must be at least 1 second"))
            } else {
                Ok(Duration::from_secs(v))
            }
        };
        Ok(Self {
            access_token: secs("access_token_ttl_secs", raw.access_token_ttl_secs)?,
            id_token: secs("id_token_ttl_secs", raw.id_token_ttl_secs)?,
            refresh_token: secs("refresh_token_ttl_secs", raw.refresh_token_ttl_secs)?,
            refresh_token_absolute: secs(
                "refresh_token_absolute_ttl_secs",
                raw.refresh_token_absolute_ttl_secs,
            )?,
            session: secs("session_ttl_secs", raw.session_ttl_secs)?,
        })
    }

    /// Its lines of `monban check`.
    pub(super) fn summarize(&self, out: &mut Summary) {
        out.secs("access_token_ttl_secs", self.access_token);
        out.secs("id_token_ttl_secs", self.id_token);
        out.secs("refresh_token_ttl_secs", self.refresh_token);
        out.secs(
            "refresh_token_absolute_ttl_secs",
            self.refresh_token_absolute,
        );
        out.secs("session_ttl_secs", self.session);
    }
}
