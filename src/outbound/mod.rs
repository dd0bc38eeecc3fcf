//! What monban reads from and posts to other servers: Google's discovery, JWKS and token responses,
//! the key sets clients publish at `jwks_uri`, logout tokens posted to clients, and the gate's
//! calls to monban. Every answer is as hostile as what browsers send: it is read against a size
//! cap ([`read_capped`]), no redirect is followed (an SSRF hole, as openidconnect's docs warn),
//! every call has a timeout, and a document that is kept ([`Kept`]) is fetched by one caller at a
//! time, never more often than once per [`REFETCH_INTERVAL_SECS`].

use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

use crate::jwks::KeySet;

mod capped;
mod kept;
mod key_sets;

pub use capped::{MAX_BODY_BYTES, OidcFuture, OidcHttpError, ReadError, oidc_client, read_capped};
pub use kept::{Kept, or_not_fetched};
pub use key_sets::KeySets;

/// The shortest time between two fetches of one kept document (a key set asked for again because
/// a token names an unknown `kid`, or one its owner said not to keep): anyone can send such a
/// token, and it must not turn monban into a fetching machine against the client or Google.
pub const REFETCH_INTERVAL_SECS: u64 = 60;

/// How long a key set is kept when its answer has no usable `Cache-Control`.
const DEFAULT_JWKS_MAX_AGE: Duration = Duration::from_secs(3600);

/// Why a fetch gave nothing usable.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The server could not be reached or did not answer in time.
    #[error("unreachable: {0}")]
    Unreachable(String),
    /// It answered, but not with what was asked for (a failure status, too large, not JSON).
    #[error("{0}")]
    BadResponse(String),
}

/// An HTTP client for other servers: one connection pool, made on first use (the TLS set-up costs
/// about 1 ms and 2 MiB that start-up, and instances that only serve JWKS, need not pay).
pub struct Outbound {
    http: OnceLock<reqwest::Client>,
    timeout: Duration,
}

impl std::fmt::Debug for Outbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbound")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Outbound {
    /// A client whose every call gives up after `timeout`.
    pub fn new(timeout: Duration) -> Self {
        Self {
            http: OnceLock::new(),
            timeout,
        }
    }

    /// The reqwest client: no redirects, the timeout, a shorter connect timeout.
    pub fn http(&self) -> Result<&reqwest::Client, FetchError> {
        if let Some(client) = self.http.get() {
            return Ok(client);
        }
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(self.timeout)
            .connect_timeout(self.timeout.min(Duration::from_secs(3)))
            .build()
            .map_err(|e| FetchError::Unreachable(format!("cannot set up HTTP: {e}")))?;
        Ok(self.http.get_or_init(|| client))
    }

    /// The body of a successful GET of `url`, at most [`MAX_BODY_BYTES`], and its response's
    /// `Cache-Control: max-age`.
    pub async fn get(&self, url: &str) -> Result<(Vec<u8>, Option<Duration>), FetchError> {
        let response = self
            .http()?
            .get(url)
            .send()
            .await
            .map_err(|e| FetchError::Unreachable(without_url(e)))?;
        if !response.status().is_success() {
            return Err(FetchError::BadResponse(format!(
                "{url} answered {}",
                response.status()
            )));
        }
        let max_age = response
            .headers()
            .get(reqwest::header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_max_age);
        let body = read_capped(response, MAX_BODY_BYTES)
            .await
            .map_err(|e| FetchError::BadResponse(format!("{url}: {e}")))?;
        Ok((body, max_age))
    }

    /// Fetches a JWK Set and, from `Cache-Control: max-age`, until when (after `now`) to keep it.
    pub async fn fetch_jwks(&self, url: &str, now: u64) -> Result<(KeySet, u64), FetchError> {
        let (body, max_age) = self.get(url).await?;
        let keys =
            KeySet::parse(&body).map_err(|e| FetchError::BadResponse(format!("JWKS: {e}")))?;
        Ok((
            keys,
            now + max_age.unwrap_or(DEFAULT_JWKS_MAX_AGE).as_secs(),
        ))
    }

    /// A POST of `form` to `url` that waits at most `timeout`, resolving to whether the answer was
    /// a 2xx (its body is not read). Owns everything it needs, so it can be spawned.
    pub fn post_form(
        &self,
        url: url::Url,
        form: &[(&str, &str)],
        timeout: Duration,
    ) -> impl Future<Output = bool> + Send + 'static {
        let request = self
            .http()
            .map(|http| http.post(url).timeout(timeout).form(form));
        async move {
            match request {
                Ok(request) => request.send().await.is_ok_and(|r| r.status().is_success()),
                Err(_) => false,
            }
        }
    }
}

/// reqwest's errors print the URL; ours are logged, and a URL could one day carry a code.
fn without_url(e: reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    format!("{kind}: {}", e.without_url())
}

/// Reads `max-age` from a `Cache-Control` value; `no-store`/`no-cache` mean "do not keep".
fn parse_max_age(value: &str) -> Option<Duration> {
    let mut max_age = None;
    for directive in value.split(',').map(str::trim) {
        let lower = directive.to_ascii_lowercase();
        if lower == "no-store" || lower == "no-cache" {
            return Some(Duration::ZERO);
        }
        if let Some(secs) = lower.strip_prefix("max-age=") {
            max_age = secs.trim_matches('"').parse().ok().map(Duration::from_secs);
        }
    }
    max_age
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_control_max_age_is_read() {
        assert_eq!(
            parse_max_age("public, max-age=21600, must-revalidate"),
            Some(Duration::from_secs(21600))
        );
        assert_eq!(parse_max_age("no-store"), Some(Duration::ZERO));
        assert_eq!(parse_max_age("public"), None);
    }
}
