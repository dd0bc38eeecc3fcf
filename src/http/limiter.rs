//! A per-client-address rate limit on the endpoints that cost work or guard secrets: `/login`,
//! `/callback`, `/authorize`, `/token`, `/introspect` and `/logout` (a sign-out posts logout
//! tokens to services).
//!
//! Each instance keeps its own counters (GCRA, from the `governor` crate), so the limit needs no
//! shared store: with N instances an address gets at most N times the configured rate, which is
//! still enough to stop a brute-force or a CPU-exhaustion loop. The counters are the one thing an
//! instance remembers between requests, and losing them (a restart, a new instance) only resets
//! the budget. `actix-governor` would wrap the same crate, but it is GPL-3.0 and monban is MIT.
//! governor's `quanta` clock is left out: it calibrates the TSC when the limiter is built, which
//! added about 1.7 ms to every cold start (docs/performance.md); the standard monotonic clock is
//! plenty for seconds.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::http::header::{self, HeaderMap};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::RateLimitSettings;

/// Addresses tracked before idle ones are dropped: bounds memory under a spray of source addresses.
const TRACKED_ADDRESSES: usize = 10_000;

/// The limiter of one instance.
pub struct RateLimit {
    limiter: Option<DefaultKeyedRateLimiter<IpAddr>>,
    trusted_proxy_hops: usize,
    checks: AtomicU64,
}

impl std::fmt::Debug for RateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimit")
            .field("enabled", &self.limiter.is_some())
            .field("trusted_proxy_hops", &self.trusted_proxy_hops)
            .finish()
    }
}

/// What the limiter says about one request.
#[derive(Debug, PartialEq, Eq)]
pub enum Decision {
    /// Go on.
    Allow,
    /// Refuse; the client may try again after this many seconds.
    Deny {
        /// Whole seconds, rounded up, for `Retry-After`.
        retry_after_secs: u64,
    },
}

impl RateLimit {
    /// A limiter per the configuration; `per_minute == 0` allows everything.
    pub fn new(settings: &RateLimitSettings) -> Self {
        let limiter = NonZeroU32::new(settings.per_minute).map(|per_minute| {
            let burst = NonZeroU32::new(settings.burst).unwrap_or(NonZeroU32::MIN);
            RateLimiter::dashmap(Quota::per_minute(per_minute).allow_burst(burst))
        });
        Self {
            limiter,
            trusted_proxy_hops: settings.trusted_proxy_hops,
            checks: AtomicU64::new(0),
        }
    }

    /// Counts one request from `ip`.
    pub fn check(&self, ip: IpAddr) -> Decision {
        let Some(limiter) = &self.limiter else {
            return Decision::Allow;
        };
        if self.checks.fetch_add(1, Ordering::Relaxed) % 1024 == 1023
            && limiter.len() > TRACKED_ADDRESSES
        {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        match limiter.check_key(&budget_key(ip)) {
            Ok(()) => Decision::Allow,
            Err(not_until) => {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                Decision::Deny {
                    retry_after_secs: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
                }
            }
        }
    }

    /// The address a request is counted against (see [`client_ip`]).
    pub fn client_ip(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        client_ip(peer, headers, self.trusted_proxy_hops)
    }
}

/// What an address is counted as: itself for IPv4, its /64 for IPv6, since one subscriber (one
/// router, one cloud VM) is handed a whole /64 and can pick a fresh address from it per request.
pub fn budget_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
    }
}

/// The client's address: the TCP peer when no proxy is trusted, else the entry of
/// `X-Forwarded-For` that the outermost trusted proxy appended: `hops`-th from the right, since
/// everything left of it was written by the client and can be forged. A header too short for
/// `hops` (the request skipped a proxy) or an unparsable entry falls back to the peer.
pub fn client_ip(peer: Option<IpAddr>, headers: &HeaderMap, hops: usize) -> Option<IpAddr> {
    if hops == 0 {
        return peer;
    }
    let entries = forwarded_for(headers);
    entries
        .len()
        .checked_sub(hops)
        .and_then(|i| entries[i].parse().ok())
        .or(peer)
}

/// The entries of every `X-Forwarded-For` header, leftmost (the client's own writing) first.
pub fn forwarded_for(headers: &HeaderMap) -> Vec<&str> {
    headers
        .get_all(header::X_FORWARDED_FOR)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;

    fn xff(values: &[&'static str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(header::X_FORWARDED_FOR, HeaderValue::from_static(v));
        }
        h
    }

    const PEER: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1)));

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        assert_eq!(client_ip(PEER, &xff(&["203.0.113.9"]), 0), PEER);
    }

    #[test]
    fn with_proxies_the_entry_the_outermost_trusted_proxy_wrote_counts() {
        let forged = xff(&["1.2.3.4, 203.0.113.9"]);
        assert_eq!(
            client_ip(PEER, &forged, 1),
            Some("203.0.113.9".parse().unwrap())
        );
        let two = xff(&["1.2.3.4", "203.0.113.9, 198.51.100.7"]);
        assert_eq!(
            client_ip(PEER, &two, 2),
            Some("203.0.113.9".parse().unwrap())
        );
        assert_eq!(client_ip(PEER, &xff(&[]), 1), PEER);
        assert_eq!(client_ip(PEER, &xff(&["not-an-ip"]), 1), PEER);
        assert_eq!(client_ip(PEER, &xff(&["203.0.113.9"]), 2), PEER);
    }

    #[test]
    fn the_burst_passes_then_the_next_request_waits() {
        let limit = RateLimit::new(&RateLimitSettings {
            per_minute: 6,
            burst: 3,
            trusted_proxy_hops: 0,
        });
        let ip: IpAddr = "203.0.113.9".parse().unwrap();
        for _ in 0..3 {
            assert_eq!(limit.check(ip), Decision::Allow);
        }
        let Decision::Deny { retry_after_secs } = limit.check(ip) else {
            panic!("the fourth request in a burst of three must wait");
        };
        assert!((1..=10).contains(&retry_after_secs), "{retry_after_secs}");
        // Another address has its own budget.
        assert_eq!(
            limit.check("203.0.113.10".parse().unwrap()),
            Decision::Allow
        );
    }

    #[test]
    fn an_ipv6_client_is_counted_by_its_64_bit_prefix() {
        let limit = RateLimit::new(&RateLimitSettings {
            per_minute: 6,
            burst: 2,
            trusted_proxy_hops: 0,
        });
        // Fresh addresses from one /64 share one budget; another /64 has its own.
        assert_eq!(
            limit.check("2001:db8:1:2::1".parse().unwrap()),
            Decision::Allow
        );
        assert_eq!(
            limit.check("2001:db8:1:2::2".parse().unwrap()),
            Decision::Allow
        );
        assert!(matches!(
            limit.check("2001:db8:1:2:ffff::3".parse().unwrap()),
            Decision::Deny { .. }
        ));
        assert_eq!(
            limit.check("2001:db8:1:3::1".parse().unwrap()),
            Decision::Allow
        );
        let v4: IpAddr = "203.0.113.9".parse().unwrap();
        assert_eq!(budget_key(v4), v4);
    }

    #[test]
    fn zero_per_minute_turns_the_limit_off() {
        let limit = RateLimit::new(&RateLimitSettings {
            per_minute: 0,
            burst: 0,
            trusted_proxy_hops: 0,
        });
        let ip: IpAddr = "203.0.113.9".parse().unwrap();
        assert!((0..1000).all(|_| limit.check(ip) == Decision::Allow));
    }
}
