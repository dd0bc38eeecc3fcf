//! What monban reads from other servers (Google's discovery and JWKS, its token responses, the key
//! sets clients publish at `jwks_uri`) is as hostile as what browsers send: every body is read
//! against a size cap, and a document that is kept is fetched by one caller at a time, never more
//! often than once per [`REFETCH_INTERVAL_SECS`].
//!
//! The capped read is a few lines over reqwest's `chunk()`: a body-limiting crate
//! (`http-body-util`'s `Limited`) would first need the response turned into an `http` body.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::Mutex;

/// The largest answer monban reads from another server. Google's discovery and JWKS are under
/// 2 KiB, a client's key set a few KiB, a token response under 4 KiB.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// The shortest time between two fetches of one kept document (a key set asked for again because
/// a token names an unknown `kid`, or one its owner said not to keep): anyone can send such a
/// token, and it must not turn monban into a fetching machine against the client or Google.
pub const REFETCH_INTERVAL_SECS: u64 = 60;

/// After a fetch that failed with nothing kept, how long until the next one may try.
const RETRY_AFTER_FAILURE_SECS: u64 = 5;

/// Why an answer was not read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// It was larger than the cap.
    #[error("the answer is larger than {0} bytes")]
    TooLarge(usize),
    /// The connection failed while reading.
    #[error("reading the answer failed: {0}")]
    Broken(String),
}

/// The body of `response`, refused once it passes `cap` bytes (before reading anything when its
/// `Content-Length` says so already).
pub async fn read_capped(
    mut response: reqwest::Response,
    cap: usize,
) -> Result<Vec<u8>, ReadError> {
    if response.content_length().is_some_and(|n| n > cap as u64) {
        return Err(ReadError::TooLarge(cap));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| ReadError::Broken(e.without_url().to_string()))?
    {
        if body.len() + chunk.len() > cap {
            return Err(ReadError::TooLarge(cap));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// An HTTP client for `openidconnect` (the code exchange) that reads answers with
/// [`read_capped`] and follows no redirects (`http` is built without).
pub fn oidc_client(http: &reqwest::Client) -> impl Fn(openidconnect::HttpRequest) -> OidcFuture {
    let http = http.clone();
    move |request| {
        let http = http.clone();
        Box::pin(async move {
            let request = reqwest::Request::try_from(request)
                .map_err(|e| OidcHttpError(e.without_url().to_string()))?;
            let response = http
                .execute(request)
                .await
                .map_err(|e| OidcHttpError(e.without_url().to_string()))?;
            let mut builder = openidconnect::http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                builder = builder.header(name, value);
            }
            let body = read_capped(response, MAX_BODY_BYTES)
                .await
                .map_err(|e| OidcHttpError(e.to_string()))?;
            builder.body(body).map_err(|e| OidcHttpError(e.to_string()))
        })
    }
}

/// What [`oidc_client`] answers.
pub type OidcFuture = std::pin::Pin<
    Box<dyn Future<Output = Result<openidconnect::HttpResponse, OidcHttpError>> + Send>,
>;

/// A failed exchange with the upstream's token endpoint.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct OidcHttpError(String);

/// One document kept for as long as its owner allows, fetched by one caller at a time: callers
/// that arrive during a fetch wait for it and share its result.
pub struct Kept<T> {
    slot: Mutex<Slot<T>>,
}

struct Slot<T> {
    value: Option<Arc<T>>,
    /// Until when `value` may be used without asking again (seconds since the epoch).
    expires: u64,
    /// When the last fetch started, successful or not.
    started: Option<u64>,
}

impl<T> Default for Kept<T> {
    fn default() -> Self {
        Self {
            slot: Mutex::new(Slot {
                value: None,
                expires: 0,
                started: None,
            }),
        }
    }
}

impl<T> Kept<T> {
    /// The document at `now`: the kept one while it has not expired (unless `refetch`: a token
    /// named a key it lacks), else a fresh one from `fetch` (the document and until when to keep
    /// it). Whatever is asked, at most one fetch starts per [`REFETCH_INTERVAL_SECS`] while a
    /// document is kept (the kept one is answered meanwhile), and one per few seconds while
    /// fetches fail with nothing kept (`Err(None)` meanwhile). The time of a fetch is taken when
    /// it starts, so a slow answer does not open the way for another.
    pub async fn get<F, Fut, E>(
        &self,
        now: u64,
        refetch: bool,
        fetch: F,
    ) -> Result<Arc<T>, Option<E>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(T, u64), E>>,
    {
        let mut slot = self.slot.lock().await;
        let since = slot.started.map(|at| now.saturating_sub(at));
        match &slot.value {
            Some(value) if slot.expires > now && !refetch => return Ok(value.clone()),
            Some(value) if since.is_some_and(|s| s < REFETCH_INTERVAL_SECS) => {
                return Ok(value.clone());
            }
            None if since.is_some_and(|s| s < RETRY_AFTER_FAILURE_SECS) => return Err(None),
            _ => {}
        }
        slot.started = Some(now);
        let (value, expires) = fetch().await.map_err(Some)?;
        let value = Arc::new(value);
        slot.value = Some(value.clone());
        slot.expires = expires;
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    async fn fetch_counting(
        kept: &Kept<u32>,
        now: u64,
        refetch: bool,
        fetches: &AtomicUsize,
        ok: bool,
    ) -> Result<Arc<u32>, Option<&'static str>> {
        kept.get(now, refetch, || async {
            let n = fetches.fetch_add(1, Ordering::SeqCst) as u32;
            if ok { Ok((n, now + 3600)) } else { Err("down") }
        })
        .await
    }

    #[tokio::test]
    async fn a_kept_document_is_fetched_at_most_once_a_minute_however_often_it_is_asked_for() {
        let (kept, fetches) = (Kept::default(), AtomicUsize::new(0));
        assert_eq!(
            *fetch_counting(&kept, 1000, false, &fetches, true)
                .await
                .unwrap(),
            0
        );
        for i in 0..40 {
            fetch_counting(&kept, 1000 + i, true, &fetches, true)
                .await
                .unwrap();
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        // A minute after the last fetch started, an unknown kid may fetch again.
        assert_eq!(
            *fetch_counting(&kept, 1060, true, &fetches, true)
                .await
                .unwrap(),
            1
        );
    }

    #[tokio::test]
    async fn concurrent_callers_share_one_fetch() {
        let (kept, fetches) = (Kept::default(), AtomicUsize::new(0));
        let calls = (0..40).map(|_| fetch_counting(&kept, 1000, true, &fetches, true));
        let values = futures_util::future::join_all(calls).await;
        assert!(values.iter().all(|v| **v.as_ref().unwrap() == 0));
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn failures_with_nothing_kept_are_retried_only_after_a_pause() {
        let (kept, fetches) = (Kept::default(), AtomicUsize::new(0));
        assert_eq!(
            fetch_counting(&kept, 1000, false, &fetches, false).await,
            Err(Some("down"))
        );
        assert_eq!(
            fetch_counting(&kept, 1001, false, &fetches, false).await,
            Err(None)
        );
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        assert!(
            fetch_counting(&kept, 1005, false, &fetches, true)
                .await
                .is_ok()
        );
    }
}
