//! The key sets clients publish at their `jwks_uri`, for `private_key_jwt`: fetched on first need,
//! kept for their `Cache-Control: max-age`, and fetched again for an unknown `kid` at most once per
//! [`super::REFETCH_INTERVAL_SECS`], by one caller at a time ([`Kept`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use url::Url;

use super::{FetchError, Kept, Outbound, or_not_fetched};
use crate::jwks::KeySet;

/// Clients' key sets by URL (at most one per configured client).
#[derive(Default)]
pub struct KeySets(Mutex<HashMap<Url, Arc<Kept<KeySet>>>>);

impl std::fmt::Debug for KeySets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeySets")
    }
}

impl KeySets {
    /// The set at `url` at `now`. `refetch`: a token named a key the kept set lacks, so fetch
    /// again unless that was done within the last minute.
    pub async fn get(
        &self,
        http: &Outbound,
        url: &Url,
        refetch: bool,
        now: u64,
    ) -> Result<Arc<KeySet>, FetchError> {
        let kept = self
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(url.clone())
            .or_default()
            .clone();
        kept.get(now, refetch, || http.fetch_jwks(url.as_str(), now))
            .await
            .map_err(or_not_fetched)
    }
}
