//! What `/userinfo` (OIDC Core §5.3) answers for an access token that verified: the person it
//! names as the running configuration sees them. Like introspection, it re-admits them through
//! [`readmit_subject`]: a person signed out by the administrator or removed from the allow-list
//! since is refused, and the roles are today's, not those the token was minted with.

use serde_json::Value;

use super::claims::{AccessClaims, Profile, readmit_subject};
use super::error::OAuthError;
use crate::config::Config;
use crate::config::policy::Denial;

/// The profile of `claims`' person under `config`, or why no profile is given.
pub fn userinfo(config: &Config, claims: AccessClaims) -> Result<Value, OAuthError> {
    // A client's own token (client credentials) has no user to describe.
    if !claims.has_scope("openid") || claims.email.is_none() {
        return Err(OAuthError::InvalidToken(
            "this access token was not issued for a user (no openid scope)".into(),
        ));
    }
    let roles = readmit_subject(config, &claims).map_err(|denial| {
        OAuthError::InvalidToken(
            match denial {
                Denial::SignedOut => "the administrator signed this sign-in out",
                _ => "this person is no longer allowed to sign in",
            }
            .into(),
        )
    })?;
    let mut profile = Profile::of_access_token(&claims);
    profile.roles = roles;
    let mut body = serde_json::to_value(profile).expect("a profile serializes");
    body["sub"] = claims.sub.into();
    Ok(body)
}
