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

/// `HH:MM:SS` of `secs` (seconds since the epoch), UTC: what the code page and the terminal
/// commands show people, who compare the two.
pub fn time_of_day(secs: u64) -> String {
    let secs = secs % 86_400;
    format!(
        "{:02}:{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
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

#[cfg(test)]
mod tests {
    #[test]
    fn the_time_of_day_is_utc_hours_minutes_and_seconds() {
        assert_eq!(super::time_of_day(1_796_662_188), "16:49:48");
        assert_eq!(super::time_of_day(86_400 + 61), "00:01:01");
    }
}
