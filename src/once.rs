//! What an instance remembers for a while, and only that: keys it has seen once, each until its own
//! end (an authorization code until it expires, a signed-out sign-in until its session would have
//! ended). It is the instance's own memory, bounded and lost on restart, like the rate limit's
//! counters: it narrows a replay to one use per instance, and losing it (a restart, another
//! instance, a full table) only widens that again, never breaks a flow. docs/security.md states the
//! bounds.

use std::collections::HashMap;
use std::sync::Mutex;

/// How many keys one memory holds (a few hundred KiB at most).
const REMEMBERED: usize = 10_000;

/// Keys seen once, each remembered until its end.
#[derive(Debug, Default)]
pub struct Once {
    until: Mutex<HashMap<String, u64>>,
}

impl Once {
    /// Whether `key` is seen here for the first time at `now` (and is remembered until `until`).
    /// When full, keys already past their end are forgotten first, then all.
    pub fn first(&self, key: &str, until: u64, now: u64) -> bool {
        let mut seen = self.until.lock().unwrap_or_else(|p| p.into_inner());
        if seen.get(key).is_some_and(|end| *end > now) {
            return false;
        }
        if seen.len() >= REMEMBERED {
            seen.retain(|_, end| *end > now);
            if seen.len() >= REMEMBERED {
                seen.clear();
            }
        }
        seen.insert(key.to_string(), until);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_new_once_until_its_end() {
        let once = Once::default();
        assert!(once.first("sid-1", 2000, 1000));
        assert!(!once.first("sid-1", 2000, 1500));
        assert!(once.first("sid-2", 2000, 1500));
        assert!(once.first("sid-1", 3000, 2000));
    }
}
