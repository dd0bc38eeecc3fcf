//! The public keys a `private_key_jwt` client's assertion is checked with: written in the
//! configuration, fetched from the client's `jwks_uri`, or Google's own (workload identity).
//!
//! Fetched sets are kept for their `Cache-Control: max-age`. A token naming an unknown key may
//! make monban fetch again, but not more than once a minute per set: anyone can send such a token,
//! and it must not turn monban into a fetching machine against the client or Google.

use std::sync::Arc;

use super::{Upstream, UpstreamError};
use crate::config::AssertionKeys;
use crate::jwks::KeySet;

/// The shortest time between two fetches of one key set.
const REFETCH_INTERVAL_SECS: u64 = 60;

/// A client's fetched key set.
pub(super) struct CachedKeys {
    keys: Arc<KeySet>,
    expires: u64,
    fetched: u64,
}

impl Upstream {
    /// The keys to verify an assertion with at `now`. `refetch`: the assertion named a key the
    /// cached set lacks, so fetch again unless that was done within the last minute.
    pub async fn assertion_keys(
        &self,
        source: &AssertionKeys,
        refetch: bool,
        now: u64,
    ) -> Result<Arc<KeySet>, UpstreamError> {
        match source {
            AssertionKeys::Jwks(keys) => Ok(keys.clone()),
            AssertionKeys::GoogleServiceAccount(_) => {
                let recent = {
                    let guard = self.cache.read().unwrap_or_else(|p| p.into_inner());
                    guard
                        .as_ref()
                        .is_some_and(|c| c.jwks_fetched + REFETCH_INTERVAL_SECS > now)
                };
                Ok(self.metadata(refetch && !recent, now).await?.1)
            }
            AssertionKeys::JwksUri(url) => {
                let cached = {
                    let guard = self.client_keys.read().unwrap_or_else(|p| p.into_inner());
                    guard
                        .get(url)
                        .map(|c| (c.keys.clone(), c.expires, c.fetched))
                };
                match cached {
                    Some((keys, expires, fetched))
                        if (expires > now && !refetch) || fetched + REFETCH_INTERVAL_SECS > now =>
                    {
                        Ok(keys)
                    }
                    _ => {
                        let (keys, expires) = self.fetch_jwks(url.as_str(), now).await?;
                        let keys = Arc::new(keys);
                        let entry = CachedKeys {
                            keys: keys.clone(),
                            expires,
                            fetched: now,
                        };
                        self.client_keys
                            .write()
                            .unwrap_or_else(|p| p.into_inner())
                            .insert(url.clone(), entry);
                        Ok(keys)
                    }
                }
            }
        }
    }
}
