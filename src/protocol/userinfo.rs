//! What `/userinfo` (OIDC Core §5.3) answers for an access token that verified: the person it
//! names as the running configuration sees them. Like introspection, it re-admits them through
//! [`readmit_subject`]: a person signed out by the administrator or removed from the allow-list
//! since is refused, and the roles are today's, not those the token was minted with.

use serde_json::Value;

use super::claims::{AccessClaims, Profile, readmit_subject};
use super::error::OAuthError;
use crate::config::Config;

/// The access token a request presents: in its `Authorization: Bearer` header or in its form body,
/// exactly one of them (RFC 6750 §2: a client uses one method).
pub fn presented_token<'t>(
    header: Option<&'t str>,
    body: Option<&'t str>,
) -> Result<&'t str, OAuthError> {
    match (header, body) {
        (Some(token), None) | (None, Some(token)) => Ok(token),
        (Some(_), Some(_)) => Err(OAuthError::InvalidRequest(
            "the access token was sent twice (header and body): send it once".into(),
        )),
        (None, None) => Err(OAuthError::InvalidToken(
            "no access token: send it as Authorization: Bearer".into(),
        )),
    }
}

/// The profile of `claims`' person under `config`, or why no profile is given.
pub fn userinfo(config: &Config, claims: AccessClaims) -> Result<Value, OAuthError> {
    // A client's own token (client credentials) has no user to describe.
    if !claims.has_scope("openid") || claims.email.is_none() {
        return Err(OAuthError::InvalidToken(
            "this access token was not issued for a user (no openid scope)".into(),
        ));
    }
    let roles = readmit_subject(config, &claims)
        .map_err(|denial| OAuthError::InvalidToken(denial.explanation().into()))?;
    let mut profile = Profile::of_access_token(&claims);
    profile.roles = roles;
    let mut body = serde_json::to_value(profile).expect("a profile serializes");
    body["sub"] = claims.sub.into();
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_comes_in_the_header_or_the_body_once() {
        assert_eq!(presented_token(Some("a"), None).unwrap(), "a");
        assert_eq!(presented_token(None, Some("b")).unwrap(), "b");
        assert!(matches!(
            presented_token(Some("a"), Some("b")),
            Err(OAuthError::InvalidRequest(_))
        ));
        assert!(matches!(
            presented_token(None, None),
            Err(OAuthError::InvalidToken(_))
        ));
    }
}
