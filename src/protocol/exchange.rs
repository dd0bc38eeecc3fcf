//! Token exchange (RFC 8693) for a service calling an API on behalf of the signed-in user: it
//! presents the user's access token that monban issued to it (`aud` = its `client_id`) and gets one
//! for an API it may call (`resource` or `audience`: one of its `apis`), for the same user, with an
//! `act` claim naming the service (and any earlier actor). Nothing is stored.
//!
//! The exchanged token never outlives the one it came from and carries only the API's scopes. Its
//! user is re-admitted under the running configuration, as at a refresh: signed out or removed is
//! refused, and the roles are today's.
//! Refusals of the subject token are `invalid_request` (RFC 8693 §2.2.2); of the target,
//! `invalid_target`.

use monban_verify::contract::Actor;

use super::claims::{AccessClaims, readmit_subject};
use super::error::OAuthError;
use super::resource::api_for;
use super::scope::service_scope;
use crate::config::{Api, Client, Config, Secret};
use crate::session::random_token;
use crate::tokens::Tokens;
use monban_verify::contract::ACCESS_TOKEN_TYP;

/// `grant_type` of a token exchange.
pub const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// The only token type monban exchanges and issues.
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

/// What a token-exchange request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    /// The user's access token.
    pub subject_token: Secret,
    /// Its type, as sent: must be [`ACCESS_TOKEN_TYPE`].
    pub subject_token_type: Option<String>,
    /// The type asked for, if any: must be [`ACCESS_TOKEN_TYPE`].
    pub requested_token_type: Option<String>,
    /// The API, by `resource`.
    pub resource: Option<String>,
    /// The API, by `audience` (RFC 8693's logical name; here an `[[apis]]` id too).
    pub audience: Option<String>,
    /// The scopes asked for, among the API's.
    pub scope: Option<String>,
    /// Whether an `actor_token` was sent (monban takes the authenticated client as the actor).
    pub actor_token: bool,
}

impl Exchange {
    /// The API named by `resource` and/or `audience` (the same one if both).
    fn target<'a>(&self, apis: &'a [Api], client: &Client) -> Result<&'a Api, OAuthError> {
        let named = match (self.resource.as_deref(), self.audience.as_deref()) {
            (Some(r), Some(a)) if r != a => {
                return Err(OAuthError::InvalidTarget(
                    "resource and audience name different APIs".into(),
                ));
            }
            (Some(t), _) | (None, Some(t)) => t,
            (None, None) => {
                return Err(OAuthError::InvalidTarget(
                    "name the API to call with resource (or audience)".into(),
                ));
            }
        };
        api_for(apis, client, named)
    }
}

impl Exchange {
    /// The claims of the exchanged token: `subject` (verified by `tokens`) presented by the
    /// `client` it was issued to, for an API the client may call, at `now`. Minting and the
    /// response are `/token`'s ([`super::grants`]).
    pub fn claims(
        &self,
        tokens: &Tokens,
        config: &Config,
        client: &Client,
        now: u64,
    ) -> Result<AccessClaims, OAuthError> {
        let bad = |why: &str| OAuthError::InvalidRequest(format!("subject_token: {why}"));
        if self.subject_token_type.as_deref() != Some(ACCESS_TOKEN_TYPE) {
            return Err(OAuthError::InvalidRequest(format!(
                "subject_token_type must be {ACCESS_TOKEN_TYPE}: only access tokens are exchanged"
            )));
        }
        if let Some(other) = self
            .requested_token_type
            .as_deref()
            .filter(|t| *t != ACCESS_TOKEN_TYPE)
        {
            return Err(OAuthError::InvalidRequest(format!(
                "requested_token_type {other}: monban issues access tokens only"
            )));
        }
        if self.actor_token {
            return Err(OAuthError::InvalidRequest(
                "actor_token is not accepted: the authenticated client is the actor".into(),
            ));
        }
        let subject: AccessClaims = tokens
            .verify(self.subject_token.expose(), ACCESS_TOKEN_TYP, now)
            .map_err(|e| bad(&format!("not a valid monban access token ({e})")))?;
        if subject.aud != client.id {
            return Err(bad("it was not issued to this client"));
        }
        if subject.email.is_none() {
            return Err(bad("it names no user (a client's own token)"));
        }
        // The running configuration decides, as for a refresh: signed out, removed, or today's
        // roles.
        let roles =
            readmit_subject(config, &subject).map_err(|denial| bad(denial.explanation()))?;
        let api = self.target(&config.apis, client)?;
        Ok(AccessClaims {
            aud: api.id.clone(),
            exp: subject
                .exp
                .min(now + config.lifetimes.access_token.as_secs()),
            iat: now,
            jti: random_token(),
            client_id: Some(client.id.clone()),
            scope: service_scope(self.scope.as_deref(), &api.scopes),
            roles,
            act: Some(Actor {
                sub: client.id.clone(),
                act: subject.act.clone().map(Box::new),
            }),
            ..subject
        })
    }
}
