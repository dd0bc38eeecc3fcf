//! The one thing back-channel logout remembers: which sign-ins this instance has already told the services
//! about, so that a session cookie replayed after its sign-out posts no logout token again.

use std::collections::HashMap;
use std::sync::Mutex;

/// How many signed-out sign-ins an instance remembers (a few hundred KiB at most).
const REMEMBERED_SIGN_OUTS: usize = 10_000;

/// The sign-ins this instance has told the services about, until each session would have ended:
/// a session cookie replayed after its sign-out still clears the cookie, but tells no one again.
/// Like the rate limit's counters, this is the instance's own memory, lost on restart: with N
/// instances a replay is told at most N times, and the rate limit on `/logout` bounds the rest.
#[derive(Debug, Default)]
pub struct RecentSignOuts {
    until: Mutex<HashMap<String, u64>>,
}

impl RecentSignOuts {
    /// Whether `sign_in` is signed out here for the first time at `now`; it is remembered until
    /// `until`. When full, sign-ins already past their end are forgotten first, then all.
    pub fn first(&self, sign_in: &str, until: u64, now: u64) -> bool {
        let mut seen = self.until.lock().unwrap_or_else(|p| p.into_inner());
        if seen.get(sign_in).is_some_and(|end| *end > now) {
            return false;
        }
        if seen.len() >= REMEMBERED_SIGN_OUTS {
            seen.retain(|_, end| *end > now);
            if seen.len() >= REMEMBERED_SIGN_OUTS {
                seen.clear();
            }
        }
        seen.insert(sign_in.to_string(), until);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sign_in_is_told_once_until_its_session_would_have_ended() {
        let recent = RecentSignOuts::default();
        assert!(recent.first("sid-1", 2000, 1000));
        assert!(!recent.first("sid-1", 2000, 1500));
        assert!(recent.first("sid-2", 2000, 1500));
        assert!(recent.first("sid-1", 3000, 2000));
    }
}
