//! The public keys a `private_key_jwt` client's assertion is checked with: written in the
//! configuration, fetched from the client's `jwks_uri`, or Google's own (workload identity).
//!
//! Fetched sets are kept for their `Cache-Control: max-age`. A token naming an unknown key may
//! make monban fetch again, but not more than once a minute per set, by one caller at a time
//! ([`Kept`]): anyone can send such a token, and it must not turn monban into a fetching
//! machine against the client or Google.

use std::sync::Arc;

use super::{Upstream, UpstreamError, not_fetched};
use crate::config::AssertionKeys;
use crate::jwks::KeySet;
use crate::outbound::Kept;

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
            AssertionKeys::GoogleServiceAccount(_) => Ok(self.metadata(refetch, now).await?.1),
            AssertionKeys::JwksUri(url) => {
                let kept: Arc<Kept<KeySet>> = self
                    .client_keys
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .entry(url.clone())
                    .or_default()
                    .clone();
                kept.get(now, refetch, || self.fetch_jwks(url.as_str(), now))
                    .await
                    .map_err(not_fetched)
            }
        }
    }
}
