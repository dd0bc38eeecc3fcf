//! What monban's tokens say about the user. Access-token claims are the contract `monban-verify`
//! exports (one definition for the minter and the verifiers); ID-token claims and the `/userinfo`
//! profile are monban's alone.

use aws_lc_rs::digest;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::Algorithm;
use serde::{Deserialize, Serialize};

pub use monban_verify::contract::Claims as AccessClaims;

use crate::config::policy::{self, Claimant, Denial};
use crate::config::{Client, Config};
use crate::session::{Session, random_token};

/// The profile claims carried by ID tokens and `/userinfo`, released by the scopes granted (OIDC
/// Core §5.4): the address with `email`, the name and picture with `profile`. `roles` is monban's
/// own claim and always comes. (Access tokens carry the same fields, flat in [`AccessClaims`],
/// for the APIs that check them.)
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Profile {
    /// Verified email address (`email` scope).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Always true where the address is given: unverified addresses never sign in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    /// Display name (`profile` scope).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Picture URL (`profile` scope).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
    /// Given name (`profile` scope).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    /// Family name (`profile` scope).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    /// Preferred language (`profile` scope).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Roles from the configuration.
    #[serde(default)]
    pub roles: Vec<String>,
}

impl Profile {
    /// The profile of a signed-in user, as far as `scope` releases it.
    pub fn of(session: &Session, scope: &str) -> Self {
        Self {
            email: Some(session.email.clone()),
            email_verified: Some(true),
            name: session.name.clone(),
            picture: session.picture.clone(),
            given_name: session.given_name.clone(),
            family_name: session.family_name.clone(),
            locale: session.locale.clone(),
            roles: session.roles.clone(),
        }
        .released_by(scope)
    }

    /// The profile an access token carries (for `/userinfo`), as far as its scope releases it.
    pub fn of_access_token(claims: &AccessClaims) -> Self {
        Self {
            email: claims.email.clone(),
            email_verified: Some(claims.email_verified),
            name: claims.name.clone(),
            picture: claims.picture.clone(),
            given_name: claims.given_name.clone(),
            family_name: claims.family_name.clone(),
            locale: claims.locale.clone(),
            roles: claims.roles.clone(),
        }
        .released_by(&claims.scope)
    }

    /// Only the claims `scope`'s standard scopes release.
    fn released_by(mut self, scope: &str) -> Self {
        let has = |wanted: &str| scope.split(' ').any(|s| s == wanted);
        if !has("email") {
            (self.email, self.email_verified) = (None, None);
        }
        if !has("profile") {
            (self.name, self.picture) = (None, None);
            (self.given_name, self.family_name, self.locale) = (None, None, None);
        }
        self
    }
}

/// The claims of an access token for `session`, issued to `client_id` for `audience` (the client
/// itself, or an API) at `now`.
pub fn access_claims(
    issuer: &str,
    session: &Session,
    client_id: &str,
    audience: &str,
    scope: &str,
    now: u64,
    ttl_secs: u64,
) -> AccessClaims {
    AccessClaims {
        iss: issuer.to_string(),
        sub: session.sub.clone(),
        aud: audience.to_string(),
        exp: now + ttl_secs,
        iat: now,
        jti: random_token(),
        auth_time: Some(session.auth_time),
        client_id: Some(client_id.to_string()),
        scope: scope.to_string(),
        email: Some(session.email.clone()),
        email_verified: true,
        name: session.name.clone(),
        picture: session.picture.clone(),
        given_name: session.given_name.clone(),
        family_name: session.family_name.clone(),
        locale: session.locale.clone(),
        roles: session.roles.clone(),
        hd: session.hosted_domain.clone(),
        act: None,
        extra: Default::default(),
    }
}

/// The access-token claims of a client acting as itself (client credentials): `sub` is the
/// client, with its configured roles, for `audience` (the client, or an API); no user, so no
/// email, profile or `auth_time`.
pub fn service_claims(
    issuer: &str,
    client: &Client,
    audience: &str,
    scope: &str,
    now: u64,
    ttl_secs: u64,
) -> AccessClaims {
    AccessClaims {
        iss: issuer.to_string(),
        sub: client.id.clone(),
        aud: audience.to_string(),
        exp: now + ttl_secs,
        iat: now,
        jti: random_token(),
        auth_time: None,
        client_id: Some(client.id.clone()),
        scope: scope.to_string(),
        email: None,
        email_verified: false,
        name: None,
        picture: None,
        given_name: None,
        family_name: None,
        locale: None,
        roles: client.roles.clone(),
        hd: None,
        act: None,
        extra: Default::default(),
    }
}

/// The person an access token names, re-admitted under the running configuration
/// ([`policy::readmit`]): their roles today.
pub fn readmit_subject(config: &Config, claims: &AccessClaims) -> Result<Vec<String>, Denial> {
    let claimant = Claimant {
        email: claims.email.as_deref(),
        email_verified: claims.email_verified,
        hosted_domain: claims.hd.as_deref(),
    };
    policy::readmit(
        &config.admission,
        &claimant,
        claims.auth_time.unwrap_or(claims.iat),
    )
}

/// ID-token claims (OIDC Core §2).
#[derive(Debug, Serialize)]
pub struct IdClaims {
    /// Issuer.
    pub iss: String,
    /// The user.
    pub sub: String,
    /// The client.
    pub aud: String,
    /// Expiry.
    pub exp: u64,
    /// Issued at.
    pub iat: u64,
    /// When the user signed in at the upstream.
    pub auth_time: u64,
    /// The client's nonce from `/authorize`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// The access token's hash ([`at_hash`]).
    pub at_hash: String,
    /// The sign-in (SSO session) it came from, as back-channel logout tokens name it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Who the user is.
    #[serde(flatten)]
    pub profile: Profile,
}

/// `at_hash`: the left half of the access token's hash, with the hash of the signing algorithm
/// (SHA-512 for Ed25519, OIDC Core §3.1.3.6 and the EdDSA registration).
pub fn at_hash(alg: Algorithm, access_token: &str) -> String {
    let algorithm = match alg {
        Algorithm::EdDSA => &digest::SHA512,
        _ => &digest::SHA256,
    };
    let hash = digest::digest(algorithm, access_token.as_bytes());
    let bytes = hash.as_ref();
    B64.encode(&bytes[..bytes.len() / 2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_hash_is_the_left_half_of_the_hash() {
        assert_eq!(at_hash(Algorithm::RS256, "token").len(), 22);
        assert_eq!(at_hash(Algorithm::EdDSA, "token").len(), 43);
    }

    #[test]
    fn access_claims_serialize_as_before() {
        let session = Session {
            roles: vec!["admin".into()],
            ..Session::ada(5)
        };
        let claims = access_claims(
            "https://login.example.org",
            &session,
            "wiki",
            "wiki",
            "openid",
            10,
            60,
        );
        let json = serde_json::to_value(&claims).unwrap();
        let mut keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "aud",
                "auth_time",
                "client_id",
                "email",
                "email_verified",
                "exp",
                "iat",
                "iss",
                "jti",
                "roles",
                "scope",
                "sub"
            ]
        );
        assert_eq!(json["exp"], 70);
    }
}
