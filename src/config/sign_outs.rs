//! The admin's sign-out switch, without storage: a time for one address, or for everyone, before
//! which every sign-in is void. A session, code or refresh token whose sign-in (`auth_time`) is
//! older is refused wherever monban checks (SSO, `/token`, `/userinfo`); the person signs in
//! again and carries on. Access tokens already handed to other services live on until their
//! `exp` (they are verified offline): docs/security.md.

use std::collections::BTreeMap;

use super::{ConfigError, normalize_email};

/// When sign-ins became void: for everyone, and per address.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SignOuts {
    /// Every sign-in before this (seconds since the epoch) is void (`sign_out_before`).
    pub everyone_before: Option<u64>,
    /// An address's sign-ins before its time are void (`sign_outs`).
    pub by_email: BTreeMap<String, u64>,
}

impl SignOuts {
    /// Whether a sign-in of `email` at `auth_time` has been signed out.
    pub fn signed_out(&self, email: &str, auth_time: u64) -> bool {
        let before = |cutoff: Option<&u64>| cutoff.is_some_and(|t| auth_time < *t);
        before(self.everyone_before.as_ref()) || before(self.by_email.get(email))
    }

    /// Parses `sign_out_before` and the `sign_outs` entries (address to time).
    pub(super) fn parse(
        everyone: Option<&str>,
        entries: &[(String, String)],
    ) -> Result<Self, ConfigError> {
        let everyone_before = everyone
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| parse_time("sign_out_before", t))
            .transpose()?;
        let mut by_email = BTreeMap::new();
        for (email, time) in entries {
            let key = format!("sign_outs.{email}");
            let address = normalize_email(email).ok_or_else(|| {
                ConfigError::new(&key, format!("{email:?} is not an email address"))
            })?;
            by_email.insert(address, parse_time(&key, time.trim())?);
        }
        Ok(Self {
            everyone_before,
            by_email,
        })
    }
}

/// An RFC 3339 time (`2026-12-01T09:30:00Z`) or seconds since the epoch.
fn parse_time(key: &str, text: &str) -> Result<u64, ConfigError> {
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(secs);
    }
    humantime::parse_rfc3339(text)
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs())
        .ok_or_else(|| {
            ConfigError::new(
                key,
                format!("{text:?} is not a time: write it as 2026-12-01T09:30:00Z (UTC)"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_ins_before_the_cutoff_are_void() {
        let s = SignOuts::parse(
            None,
            &[("Ada@Lab.Example.org".into(), "2026-12-01T09:30:00Z".into())],
        )
        .unwrap();
        let cutoff = 1_796_117_400; // 2026-12-01T09:30:00Z
        assert!(s.signed_out("ada@lab.example.org", cutoff - 1));
        assert!(!s.signed_out("ada@lab.example.org", cutoff));
        assert!(!s.signed_out("grace@lab.example.org", 0));
        let all = SignOuts::parse(Some("1000"), &[]).unwrap();
        assert!(all.signed_out("grace@lab.example.org", 999));
        assert!(SignOuts::parse(Some("yesterday"), &[]).is_err());
        assert_eq!(
            SignOuts::parse(None, &[("nobody".into(), "1".into())])
                .unwrap_err()
                .key,
            "sign_outs.nobody"
        );
    }
}
