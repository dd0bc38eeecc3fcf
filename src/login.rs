//! The browser side of signing in, as plain data and functions: the sealed login state, the
//! browser binding, the SSO session, and where a login may return to.
//!
//! `/login` seals what `/callback` will need (nonce, PKCE verifier, where to return, and a hash of
//! a random per-browser binding cookie) into the `state` sent to the upstream. The callback opens
//! it and checks the binding cookie: a state replayed in another browser, or planted by an
//! attacker (login CSRF), carries a binding that browser does not have. Two tabs share the cookie,
//! so two logins at once both succeed.

use aws_lc_rs::digest;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde::{Deserialize, Serialize};

/// How long a login may take between `/login` and `/callback`.
pub const LOGIN_STATE_TTL_SECS: u64 = 600;

/// What `/callback` needs, sealed into the upstream `state`.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
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

/// The SSO session, sealed into the session cookie.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Session {
    /// The upstream subject: stable for one Google account.
    pub sub: String,
    /// The verified email address.
    pub email: String,
    /// Display name.
    pub name: Option<String>,
    /// Picture URL (https only).
    pub picture: Option<String>,
    /// Roles from the configuration at sign-in.
    pub roles: Vec<String>,
    /// When the user authenticated at the upstream (seconds since the epoch).
    pub auth_time: u64,
    /// Google Workspace domain, kept so a refresh can re-check the allow-list.
    #[serde(default)]
    pub hosted_domain: Option<String>,
}

/// 256 random bits, base64url: nonces, PKCE verifiers and binding cookies.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes).expect("the system RNG works");
    B64.encode(bytes)
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

/// Cookie names: `__Host-` prefixed (which browsers accept only with `Secure`, `Path=/` and no
/// domain) when the issuer is https.
#[derive(Debug, Clone)]
pub struct CookieNames {
    /// The SSO session cookie.
    pub session: &'static str,
    /// The per-browser binding cookie.
    pub binding: &'static str,
    /// Whether cookies are `Secure`.
    pub secure: bool,
}

impl CookieNames {
    /// Names for an issuer served over https (`secure`) or plain loopback http.
    pub fn new(secure: bool) -> Self {
        if secure {
            Self {
                session: "__Host-monban_session",
                binding: "__Host-monban_binding",
                secure,
            }
        } else {
            Self {
                session: "monban_session",
                binding: "monban_binding",
                secure,
            }
        }
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
    fn tokens_are_random_and_bindings_hash() {
        assert_ne!(random_token(), random_token());
        assert_eq!(random_token().len(), 43);
        assert_eq!(binding_hash("a"), binding_hash("a"));
        assert_ne!(binding_hash("a"), binding_hash("b"));
    }
}
