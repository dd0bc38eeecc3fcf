//! The `[upstream]` section: the OpenID provider monban federates login to (Google by default).

use std::time::Duration;

use url::Url;

use super::raw::RawUpstream;
use super::summary::Summary;
use super::urls::parse_issuer;
use super::{ConfigError, Secret};

/// The upstream OpenID provider and monban's client there.
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

impl Upstream {
    /// The section as written, validated; a problem names `upstream.FIELD`.
    pub(super) fn from_raw(raw: &RawUpstream) -> Result<Self, ConfigError> {
        Ok(Self {
            issuer: parse_issuer("upstream.issuer", raw.issuer.trim())?,
            client_id: raw
                .client_id
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .ok_or_else(|| {
                    ConfigError::new(
                        "upstream.client_id",
                        "missing: create an OAuth client (type \"Web application\") for monban at the upstream \
                         and set MONBAN_UPSTREAM__CLIENT_ID (see docs/login.md)",
                    )
                })?,
            client_secret: raw
                .client_secret
                .clone()
                .filter(|s| !s.expose().is_empty())
                .ok_or_else(|| {
                    ConfigError::new(
                        "upstream.client_secret",
                        "missing: set MONBAN_UPSTREAM__CLIENT_SECRET to the OAuth client's secret",
                    )
                })?,
            timeout: match raw.timeout_secs {
                0 => {
                    return Err(ConfigError::new(
                        "upstream.timeout_secs",
                        "must be at least 1",
                    ));
                }
                t => Duration::from_secs(t),
            },
        })
    }

    /// Its lines of `monban check` (the secret only as "set").
    pub(super) fn summarize(&self, out: &mut Summary) {
        out.line("upstream.issuer", &self.issuer);
        out.line("upstream.client_id", &self.client_id);
        out.set("upstream.client_secret", true);
        out.secs("upstream.timeout_secs", self.timeout);
    }
}
