//! Scopes are what monban grants, not what a client asks for: the standard ones monban serves
//! plus those configured for the client (`allowed_scopes`). Anything else is dropped, as OIDC Core
//! §3.1.2.1 says unknown scopes are ignored, so `scope=openid inventory:write` never reaches a
//! token unless the admin allowed `inventory:write` for that client.

use super::error::OAuthError;
pub use crate::config::STANDARD_SCOPES;
use crate::config::{Api, Client};

/// What `client` is granted of the space-separated `requested`: in the order asked, once each;
/// with an `api` (RFC 8707 `resource`) the API's scopes too.
pub fn granted(requested: &str, client: &Client, api: Option<&Api>) -> String {
    let mut out: Vec<&str> = Vec::new();
    for scope in requested.split(' ').filter(|s| !s.is_empty()) {
        let allowed = STANDARD_SCOPES.contains(&scope)
            || client.allowed_scopes.iter().any(|a| a == scope)
            || api.is_some_and(|api| api.scopes.iter().any(|a| a == scope));
        if allowed && !out.contains(&scope) {
            out.push(scope);
        }
    }
    out.join(" ")
}

/// The scope of a client's own token (client credentials): the scopes asked for among
/// `available` (its `allowed_scopes`, or the API's scopes), or all of them when none are asked.
/// Never `openid`, `email` or `profile`: there is no user.
pub fn service_scope(requested: Option<&str>, available: &[String]) -> String {
    let asked: Vec<&str> = requested.unwrap_or_default().split(' ').collect();
    let none_asked = asked.iter().all(|s| s.is_empty());
    available
        .iter()
        .filter(|a| !STANDARD_SCOPES.contains(&a.as_str()))
        .filter(|a| none_asked || asked.contains(&a.as_str()))
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The scope of a refresh (RFC 6749 §6): the original grant when none is asked, a subset of it
/// when one is, never more.
pub fn narrowed(original: &str, requested: Option<&str>) -> Result<String, OAuthError> {
    let Some(requested) = requested.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(original.to_string());
    };
    let had: Vec<&str> = original.split(' ').collect();
    let mut out: Vec<&str> = Vec::new();
    for scope in requested.split(' ').filter(|s| !s.is_empty()) {
        if !had.contains(&scope) {
            return Err(OAuthError::InvalidScope(format!(
                "the scope {scope} was not granted to this refresh token"
            )));
        }
        if !out.contains(&scope) {
            out.push(scope);
        }
    }
    Ok(out.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(allowed: &[&str]) -> Client {
        Client {
            allowed_scopes: allowed.iter().map(|s| s.to_string()).collect(),
            ..crate::config::fixtures::client("wiki", None, "https://wiki.example.org/cb")
        }
    }

    #[test]
    fn only_standard_and_configured_scopes_are_granted() {
        let c = client(&["inventory:read"]);
        assert_eq!(
            granted(
                "openid inventory:write inventory:read email openid",
                &c,
                None
            ),
            "openid inventory:read email"
        );
        assert_eq!(
            granted("openid  profile", &client(&[]), None),
            "openid profile"
        );
    }

    #[test]
    fn a_refresh_may_narrow_the_scope_but_never_widen_it() {
        assert_eq!(narrowed("openid email", None).unwrap(), "openid email");
        assert_eq!(narrowed("openid email", Some("openid")).unwrap(), "openid");
        assert!(matches!(
            narrowed("openid", Some("openid email")),
            Err(OAuthError::InvalidScope(_))
        ));
    }
}
