//! The time, read in one place. Only handlers (and commands) read a clock; everything below them
//! takes `now` as an argument, so lifetimes of days are tested without waiting.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Seconds since the Unix epoch, from the system clock.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Where handlers read the time: the system clock, or one a test sets and moves.
#[derive(Clone, Debug, Default)]
pub struct Clock(Option<Arc<AtomicU64>>);

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self(None)
    }

    /// A clock that reads `at` (seconds since the epoch), which its owner moves.
    pub fn manual(at: Arc<AtomicU64>) -> Self {
        Self(Some(at))
    }

    /// Seconds since the epoch.
    pub fn now(&self) -> u64 {
        match &self.0 {
            Some(at) => at.load(Ordering::Relaxed),
            None => unix_now(),
        }
    }
}
