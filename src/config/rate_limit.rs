//! The per-address rate limit and the proxies in front of monban whose `X-Forwarded-For` entries
//! it trusts.

use super::ConfigError;
use super::raw::RawConfig;
use super::summary::Summary;

/// The per-address rate limit on `/login`, `/callback`, `/authorize`, `/token`, `/introspect` and
/// `/logout` ([`crate::http::limiter`]).
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

/// The most proxies monban (or the gate) believes can stand in front of it.
pub const MAX_PROXY_HOPS: usize = 8;

impl RateLimitSettings {
    /// The settings as written.
    pub(super) fn from_raw(raw: &RawConfig) -> Result<Self, ConfigError> {
        if raw.rate_limit_per_minute > 0 && raw.rate_limit_burst == 0 {
            return Err(ConfigError::new(
                "rate_limit_burst",
                "must be at least 1 while rate_limit_per_minute is set (0 per minute turns the limit off)",
            ));
        }
        if raw.trusted_proxy_hops > MAX_PROXY_HOPS {
            return Err(ConfigError::new(
                "trusted_proxy_hops",
                format!(
                    "{} proxies is implausible: count the proxies that append to X-Forwarded-For (Cloud Run: 1)",
                    raw.trusted_proxy_hops
                ),
            ));
        }
        Ok(Self {
            per_minute: raw.rate_limit_per_minute,
            burst: raw.rate_limit_burst,
            trusted_proxy_hops: raw.trusted_proxy_hops,
        })
    }

    /// Its lines of `monban check`.
    pub(super) fn summarize(&self, out: &mut Summary) {
        if self.per_minute == 0 {
            out.line("rate_limit_per_minute", "0 (off)");
        } else {
            out.line("rate_limit_per_minute", self.per_minute);
        }
        out.line("rate_limit_burst", self.burst);
        out.line("trusted_proxy_hops", self.trusted_proxy_hops);
    }
}
