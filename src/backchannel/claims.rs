//! What a logout token says, and to whom: plain functions, no network.

use monban_verify::contract::{BACKCHANNEL_LOGOUT_EVENT, LogoutClaims};
use serde_json::{Map, Value};

use crate::config::Client;
use crate::session::{Session, random_token};

/// How long a logout token is valid: long enough to arrive, short enough to be useless later.
pub const LOGOUT_TOKEN_TTL_SECS: u64 = 120;

/// A logout token's claims for `client_id`: `sub`, and `sid` when one sign-in ended (none when
/// the administrator ends all of them).
pub fn logout_claims(
    issuer: &str,
    client_id: &str,
    sub: &str,
    sid: Option<&str>,
    now: u64,
) -> LogoutClaims {
    let mut events = Map::new();
    events.insert(BACKCHANNEL_LOGOUT_EVENT.into(), Value::Object(Map::new()));
    LogoutClaims {
        iss: issuer.to_string(),
        aud: client_id.to_string(),
        iat: now,
        exp: now + LOGOUT_TOKEN_TTL_SECS,
        jti: random_token(),
        events,
        sub: sub.to_string(),
        sid: sid.filter(|s| !s.is_empty()).map(str::to_string),
    }
}

/// The clients to tell that `session` ended: those it remembers that still have a
/// `backchannel_logout_uri` in the running configuration.
pub fn receivers<'c>(clients: &'c [Client], session: &Session) -> Vec<&'c Client> {
    clients
        .iter()
        .filter(|c| c.backchannel_logout_uri.is_some() && session.clients.contains(&c.id))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_logout_token_has_the_event_and_no_nonce() {
        let claims = logout_claims("https://login.example.org", "wiki", "42", Some("s1"), 100);
        let json = serde_json::to_value(&claims).unwrap();
        assert_eq!(
            json["events"][BACKCHANNEL_LOGOUT_EVENT],
            serde_json::json!({})
        );
        assert_eq!(
            (json["sub"].as_str(), json["sid"].as_str()),
            (Some("42"), Some("s1"))
        );
        assert_eq!(json["exp"], 220);
        assert!(json.get("nonce").is_none());
        let everywhere = logout_claims("https://login.example.org", "wiki", "42", None, 100);
        assert!(
            serde_json::to_value(&everywhere)
                .unwrap()
                .get("sid")
                .is_none()
        );
    }
}
