//! What the gate keeps between requests, in its own cookies on the app's host (so it works on any
//! domain): the person (sealed, small whatever their roles), the access token monban issued to
//! the gate (signed by monban; passed to the app), the refresh token that renews it and the ID
//! token that signs the person out at monban (both as monban issued them), and the sign-in in
//! flight (sealed, ten minutes). Sealed with the gate's own `MONBAN_GATE__SESSION_SECRETS`, bound
//! to its URL.
//!
//! When the access token has expired, the gate renews it with the refresh token on the first
//! request that needs it, server to server, and sets the new cookies on that same response
//! ([`super::renewal`]). monban decides whether the person is still admitted (its refresh bounds,
//! sign-out times, allow-list and roles), so a revocation reaches the gate within one access-token
//! lifetime, as before.
//!
//! The token cookie is bound to the person: the sealed person carries the hash of the very token
//! that verified, for that person, at the callback. A token cookie swapped for another person's
//! (or garbage) matches no sealed person, and the check needs no key set and no call to monban,
//! so a gate that restarts while monban is down still serves everyone signed in.

use actix_web::HttpRequest;
use actix_web::cookie::Cookie;
use serde::{Deserialize, Serialize};

use super::headers::{Identity, cookie_pairs};
use crate::session::cookies::CookieNames;
use crate::session::seal::{Purpose, Sealer};

/// How long a sign-in may take, from the gate's redirect to monban to its callback.
pub const LOGIN_TTL_SECS: u64 = 600;

/// The longest the gate renews a sign-in without sending the person to monban again: monban's own
/// refresh bounds (14 days idle, 30 days after the sign-in, by default) usually end it sooner.
pub const RENEWAL_WINDOW_SECS: u64 = 30 * 24 * 3600;

/// The signed-in person, as the gate passes them to the app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatePerson {
    /// monban's `sub`.
    pub sub: String,
    /// Their address.
    #[serde(default)]
    pub email: Option<String>,
    /// Their roles at monban.
    #[serde(default)]
    pub roles: Vec<String>,
    /// [`token_hash`] of monban's access token for them, verified when it was sealed.
    #[serde(default)]
    pub token: String,
    /// When that access token expires: from then on the gate renews it before passing it on.
    #[serde(default)]
    pub exp: u64,
    /// Until when the gate may renew it (the end of the sealed person, and of the cookies).
    #[serde(default)]
    pub until: u64,
}

impl GatePerson {
    /// The person an access token names (verified by the caller), bound to that token, renewable
    /// until `until`.
    pub fn of(claims: monban_verify::Claims, token: &str, until: u64) -> Self {
        Self {
            sub: claims.sub,
            email: claims.email,
            roles: claims.roles,
            token: token_hash(token),
            exp: claims.exp,
            until,
        }
    }

    /// The person as the app is told, with the access token that is theirs.
    pub fn with_token(self, token: String) -> Identity {
        Identity {
            sub: self.sub,
            email: self.email,
            roles: self.roles,
            token,
        }
    }
}

/// A short hash of an access token (the first 128 bits of its SHA-256, base64url): enough to
/// bind it to the sealed person, small enough to keep the cookie small.
pub fn token_hash(token: &str) -> String {
    use base64::Engine;
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest.as_ref()[..16])
}

/// A sign-in in flight: what the callback must match, and where to go afterwards.
#[derive(Debug, Serialize, Deserialize)]
pub struct GateLogin {
    /// The `state` sent to monban.
    pub state: String,
    /// The `nonce` sent to monban.
    pub nonce: String,
    /// The PKCE verifier.
    pub verifier: String,
    /// A path on the gate's origin.
    pub return_to: String,
}

/// The gate's cookie names: `__Host-` prefixed when its URL is https.
#[derive(Debug, Clone)]
pub struct GateCookies {
    /// Attributes (and whether `Secure`).
    pub attributes: CookieNames,
    /// The sealed person.
    pub person: &'static str,
    /// monban's access token.
    pub token: &'static str,
    /// monban's refresh token.
    pub refresh: &'static str,
    /// monban's ID token (the hint of the sign-out).
    pub id: &'static str,
    /// The sign-in in flight.
    pub login: &'static str,
}

impl GateCookies {
    /// Names for a gate served over https (`secure`) or plain loopback http.
    pub fn new(secure: bool) -> Self {
        let name = |plain: &'static str, host: &'static str| if secure { host } else { plain };
        Self {
            attributes: CookieNames::new(secure),
            person: name("monban_gate", "__Host-monban_gate"),
            token: name("monban_gate_token", "__Host-monban_gate_token"),
            refresh: name("monban_gate_refresh", "__Host-monban_gate_refresh"),
            id: name("monban_gate_id", "__Host-monban_gate_id"),
            login: name("monban_gate_login", "__Host-monban_gate_login"),
        }
    }

    /// Every cookie name of the gate (never passed on to the app).
    pub fn names(&self) -> [&'static str; 5] {
        [self.person, self.token, self.refresh, self.id, self.login]
    }

    /// A cookie that clears `name`.
    pub fn removal(&self, name: &'static str) -> Cookie<'static> {
        self.attributes.removal(name)
    }
}

/// The person of this request's gate cookie at `now`, if it is genuine and not expired (a stale
/// or tampered cookie is no one: sign in again).
pub fn person(
    req: &HttpRequest,
    cookies: &GateCookies,
    sealer: &Sealer,
    now: u64,
) -> Option<GatePerson> {
    sealer
        .open(Purpose::Session, cookie_value(req, cookies.person)?, now)
        .ok()
}

/// The value of the gate's cookie `name`, as the request sent it ([`cookie_pairs`]).
pub fn cookie_value<'r>(req: &'r HttpRequest, name: &str) -> Option<&'r str> {
    cookie_pairs(req.headers()).find_map(|(n, value)| (n == name).then_some(value))
}
