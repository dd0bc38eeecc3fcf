//! Token introspection (RFC 7662) for the few calls where a service must be sure *now*: a token is
//! `active` only when it verifies (monban's signature, `typ` at+jwt, issuer, expiry) and the
//! running configuration still admits its subject: the user is not signed out by the
//! administrator and still allowed, and still holds every role the token claims (a service's own
//! token: the client is still configured for it, with those roles). Offline verification stays
//! the default (docs/integrate.md says why).

use serde::{Deserialize, Serialize};

use super::claims::{AccessClaims, readmit_subject};
use super::token_request::TokenForm;
use crate::config::{Config, GrantType, Secret};
use crate::tokens::Tokens;
use monban_verify::contract::ACCESS_TOKEN_TYP;

/// `/introspect`'s form: the token, and the caller's client authentication.
#[derive(Debug, Default, Deserialize)]
pub struct IntrospectionForm {
    /// The token asked about.
    pub token: Option<Secret>,
    /// A hint (`access_token`); monban issues only one kind that can be introspected.
    pub token_type_hint: Option<String>,
    /// `client_secret_post`, or with an assertion.
    pub client_id: Option<String>,
    /// `client_secret_post`.
    pub client_secret: Option<Secret>,
    /// `private_key_jwt`.
    pub client_assertion_type: Option<String>,
    /// `private_key_jwt`.
    pub client_assertion: Option<Secret>,
}

impl IntrospectionForm {
    /// The client authentication part, as `/token` reads it.
    pub fn client_form(&self) -> TokenForm {
        TokenForm {
            client_id: self.client_id.clone(),
            client_secret: self.client_secret.clone(),
            client_assertion_type: self.client_assertion_type.clone(),
            client_assertion: self.client_assertion.clone(),
            ..TokenForm::default()
        }
    }
}

/// The answer (RFC 7662 §2.2): `{"active": false}` alone, or the token's claims with today's roles.
#[derive(Debug, Serialize, PartialEq)]
pub struct Introspection {
    /// Whether the token may be honoured now.
    pub active: bool,
    /// What an active token says.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub token: Option<ActiveToken>,
}

/// The claims of an active token.
#[derive(Debug, Serialize, PartialEq)]
pub struct ActiveToken {
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Granted scopes.
    pub scope: String,
    /// The client it was issued to.
    pub client_id: Option<String>,
    /// The user, or the client acting as itself.
    pub sub: String,
    /// Whom it is for.
    pub aud: String,
    /// monban.
    pub iss: String,
    /// Expiry.
    pub exp: u64,
    /// Issued at.
    pub iat: u64,
    /// Its id.
    pub jti: String,
    /// The user's address (none for a client's own token).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The roles the subject holds today.
    pub roles: Vec<String>,
}

/// What monban says of `raw` at `now`.
pub fn introspect(tokens: &Tokens, config: &Config, raw: &str, now: u64) -> Introspection {
    let inactive = Introspection {
        active: false,
        token: None,
    };
    let Ok(claims) = tokens.verify::<AccessClaims>(raw, ACCESS_TOKEN_TYP, now) else {
        return inactive;
    };
    let Some(roles) = todays_roles(config, &claims) else {
        return inactive;
    };
    if !claims.roles.iter().all(|r| roles.contains(r)) {
        return inactive;
    }
    Introspection {
        active: true,
        token: Some(ActiveToken {
            token_type: "Bearer",
            scope: claims.scope,
            client_id: claims.client_id,
            sub: claims.sub,
            aud: claims.aud,
            iss: claims.iss,
            exp: claims.exp,
            iat: claims.iat,
            jti: claims.jti,
            email: claims.email,
            roles,
        }),
    }
}

/// The roles the token's subject holds under the running configuration, `None` when it is no
/// longer admitted: a user signed out or removed, a client gone or no longer acting as itself.
fn todays_roles(config: &Config, claims: &AccessClaims) -> Option<Vec<String>> {
    match claims.email.as_deref() {
        Some(_) => readmit_subject(config, claims).ok(),
        None => config
            .clients
            .iter()
            .find(|c| c.id == claims.sub && c.grant_types.contains(&GrantType::ClientCredentials))
            .map(|c| c.roles.clone()),
    }
}
