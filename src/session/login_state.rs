//! The login in flight between `/login` and `/callback`, sealed into the upstream `state`.
//!
//! `/login` seals what `/callback` will need (nonce, PKCE verifier, where to return, and a hash of
//! a random per-browser binding cookie) into the `state` sent to the upstream. The callback opens
//! it and checks the binding cookie: a state replayed in another browser, or planted by an
//! attacker (login CSRF), carries a binding that browser does not have. Two tabs share the cookie,
//! so two logins at once both succeed.

use std::fmt;

use aws_lc_rs::digest;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde::{Deserialize, Serialize};

/// How long a login may take between `/login` and `/callback`.
pub const LOGIN_STATE_TTL_SECS: u64 = 600;

/// What `/callback` needs, sealed into the upstream `state`.
#[derive(Serialize, Deserialize, PartialEq, Eq)]
pub struct LoginState {
    /// The nonce the upstream ID token must carry.
    pub nonce: String,
    /// The PKCE verifier for the code exchange.
    pub pkce_verifier: String,
    /// SHA-256 of the browser's binding cookie.
    pub binding: String,
    /// A local path to return to after signing in.
    pub return_to: String,
}

impl fmt::Debug for LoginState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginState")
            .field("nonce", &"[redacted]")
            .field("pkce_verifier", &"[redacted]")
            .field("binding", &"[redacted]")
            .field("return_to", &self.return_to)
            .finish()
    }
}

/// The value stored in the login state for a binding cookie.
pub fn binding_hash(cookie: &str) -> String {
    B64.encode(digest::digest(&digest::SHA256, cookie.as_bytes()))
}

/// A return path that stays on monban: a single leading `/`, no scheme-relative `//` or `/\`
/// tricks, no control characters. Anything else returns to `/`.
pub fn safe_return_to(candidate: Option<&str>) -> String {
    match candidate {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.starts_with("/\\")
                && !p.chars().any(char::is_control)
                && p.len() <= 2048 =>
        {
            p.to_string()
        }
        _ => "/".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_paths_stay_on_monban() {
        assert_eq!(safe_return_to(Some("/authorize?x=1")), "/authorize?x=1");
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "evil",
            "/a\nb",
        ] {
            assert_eq!(safe_return_to(Some(bad)), "/", "{bad}");
        }
        assert_eq!(safe_return_to(None), "/");
    }

    #[test]
    fn bindings_hash_and_secrets_never_show_in_debug_output() {
        let state = LoginState {
            nonce: "the-nonce-value".into(),
            pkce_verifier: "the-verifier-value".into(),
            binding: binding_hash("b"),
            return_to: "/".into(),
        };
        let shown = format!("{state:?}");
        assert!(!shown.contains("the-nonce-value") && !shown.contains("the-verifier-value"));
        assert_eq!(binding_hash("a"), binding_hash("a"));
        assert_ne!(binding_hash("a"), binding_hash("b"));
    }
}
