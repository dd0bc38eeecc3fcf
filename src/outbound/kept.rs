//! A document kept for as long as its owner allows, fetched by one caller at a time, never more
//! often than once per [`REFETCH_INTERVAL_SECS`].

use std::future::Future;
use std::sync::Arc;

use tokio::sync::Mutex;

use super::{FetchError, REFETCH_INTERVAL_SECS};

/// After a fetch that failed with nothing kept, how long until the next one may try.
const RETRY_AFTER_FAILURE_SECS: u64 = 5;

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

/// The error of a [`Kept::get`] that made no fetch (`None`: the last one failed moments ago).
pub fn or_not_fetched<E: From<FetchError>>(e: Option<E>) -> E {
    e.unwrap_or_else(|| {
        FetchError::Unreachable("it failed moments ago; not asked again yet".into()).into()
    })
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
