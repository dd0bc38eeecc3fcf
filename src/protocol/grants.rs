//! Redeeming a parsed [`TokenRequest`]: codes and refresh tokens are opened, checked against the
//! client (and the redirect URI and PKCE for a code), and answered with freshly minted tokens.
//!
//! A refresh token is the user, the client and the scope, sealed for `refresh_token_ttl_secs` (its
//! idle lifetime) but never past the sign-in plus the client's absolute lifetime
//! (`refresh_token_absolute_ttl_secs`, or the session's for a public client): a stolen refresh
//! token cannot renew itself forever. Not a database row. Every redemption, of a code or a refresh token, re-checks the running
//! allow-list and recomputes roles: a user removed from the configuration, or a role taken away,
//! counts from the next request, whatever the session or the grant says.

use std::fmt;

use serde::{Deserialize, Serialize};
use url::Url;

use super::authorize::{CodeGrant, MAX_CODE_TTL_SECS};
use super::claims::{AccessClaims, IdClaims, Profile, access_claims, at_hash, service_claims};
use super::error::OAuthError;
use super::exchange::{ACCESS_TOKEN_TYPE, Exchange};
use super::pkce;
use super::resource::{api_for, grant_api, scope_for_api};
use super::scope::{granted, narrowed, service_scope};
use super::token_request::{Grant, TokenRequest};
use crate::audit::Event;
use crate::config::{Api, Client, Config, Secret};
use crate::once::Once;
use crate::session::Session;
use crate::session::seal::{Purpose, SealError, Sealer};
use crate::tokens::Tokens;
use monban_verify::contract::{ACCESS_TOKEN_TYP, ID_TOKEN_TYP};

/// What a refresh token carries.
#[derive(Debug, Serialize, Deserialize)]
struct RefreshGrant {
    client_id: String,
    scope: String,
    /// The API its access tokens are for, if the grant named one (RFC 8707).
    #[serde(default)]
    resource: Option<String>,
    session: Session,
}

/// The token response (RFC 6749 §5.1 plus `id_token`). Its tokens redact themselves in `Debug`.
#[derive(Serialize)]
pub struct TokenResponse {
    /// A JWT, `typ: at+jwt`.
    pub access_token: String,
    /// Token exchange only (RFC 8693 §2.2.1): the access-token type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued_token_type: Option<&'static str>,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// The ID token (none for a client acting as itself).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// A sealed refresh token (none for a client acting as itself: it asks again).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// The granted scope.
    pub scope: String,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &"[redacted]")
            .field("expires_in", &self.expires_in)
            .field("id_token", &"[redacted]")
            .field("refresh_token", &"[redacted]")
            .field("scope", &self.scope)
            .finish()
    }
}

/// The scope a token response grants, the one its new refresh token keeps, and the API its
/// access token is for (its `aud`; the client itself when `None`).
#[derive(Clone, Copy)]
struct Scopes<'a> {
    granted: &'a str,
    kept: &'a str,
    api: Option<&'a Api>,
}

/// Everything `/token` needs: minting, sealing, and the running configuration.
pub struct TokenService<'a> {
    /// Minting.
    pub tokens: &'a Tokens,
    /// Sealing codes and refresh tokens.
    pub sealer: &'a Sealer,
    /// Lifetimes, allow-list and roles.
    pub config: &'a Config,
    /// The codes this instance has redeemed: a second redemption here is refused.
    pub spent_codes: &'a Once,
}

impl TokenService<'_> {
    /// Answers a parsed token request at `now`.
    pub fn issue(&self, request: &TokenRequest<'_>, now: u64) -> Result<TokenResponse, OAuthError> {
        match &request.grant {
            Grant::AuthorizationCode {
                code,
                redirect_uri,
                code_verifier,
                resource,
            } => self.redeem_code(
                request.client,
                code,
                redirect_uri.as_deref(),
                code_verifier.as_ref().map(Secret::expose),
                resource.as_deref(),
                now,
            ),
            Grant::RefreshToken {
                refresh_token,
                scope,
                resource,
            } => self.refresh(
                request.client,
                refresh_token,
                scope.as_deref(),
                resource.as_deref(),
                now,
            ),
            Grant::ClientCredentials { scope, resource } => {
                self.client_credentials(request.client, scope.as_deref(), resource.as_deref(), now)
            }
            Grant::TokenExchange(exchange) => self.exchange(request.client, exchange, now),
        }
    }

    fn redeem_code(
        &self,
        client: &Client,
        code: &Secret,
        redirect_uri: Option<&str>,
        code_verifier: Option<&str>,
        resource: Option<&str>,
        now: u64,
    ) -> Result<TokenResponse, OAuthError> {
        let grant: CodeGrant = self
            .sealer
            .open(Purpose::Code, code.expose(), now)
            .map_err(|e| invalid_grant("code", e))?;
        if grant.client_id != client.id {
            return Err(OAuthError::InvalidGrant(
                "the code was issued to another client".into(),
            ));
        }
        let redirect_ok = redirect_uri
            .and_then(|r| Url::parse(r).ok())
            .is_some_and(|r| r.as_str() == grant.redirect_uri);
        if !redirect_ok {
            return Err(OAuthError::InvalidGrant(
                "redirect_uri does not match the authorization request".into(),
            ));
        }
        pkce::check(grant.code_challenge.as_deref(), code_verifier)?;
        // Spent only once the redemption is the client's own (its secret, redirect URI and PKCE
        // verifier): a stranger holding the code cannot use it up.
        if !(self.spent_codes).first(&code_id(code.expose()), now + MAX_CODE_TTL_SECS, now) {
            return Err(OAuthError::InvalidGrant("the code was already used".into()));
        }
        let api = grant_api(
            &self.config.apis,
            client,
            grant.resource.as_deref(),
            resource,
        )?;
        let scope = Scopes {
            granted: &grant.scope,
            kept: &grant.scope,
            api,
        };
        let session = self.as_of_today(&grant.session, "code")?;
        let response = self.respond(client, &session, scope, grant.nonce.as_deref(), now)?;
        issued(client, "authorization_code", &session);
        Ok(response)
    }

    /// Redeems a refresh token, re-checking the current allow-list and roles.
    fn refresh(
        &self,
        client: &Client,
        token: &Secret,
        scope: Option<&str>,
        resource: Option<&str>,
        now: u64,
    ) -> Result<TokenResponse, OAuthError> {
        let grant: RefreshGrant = self
            .sealer
            .open(Purpose::RefreshToken, token.expose(), now)
            .map_err(|e| invalid_grant("refresh token", e))?;
        if grant.client_id != client.id {
            return Err(OAuthError::InvalidGrant(
                "the refresh token was issued to another client".into(),
            ));
        }
        if now >= self.chain_end(client, &grant.session) {
            return Err(OAuthError::InvalidGrant(
                "the sign-in is too old to refresh: sign in again".into(),
            ));
        }
        let session = self.as_of_today(&grant.session, "refresh_token")?;
        // What the client may have today: the grant, narrowed as asked, within today's
        // configuration of the client (an admin may take a scope away).
        // RFC 6749 §6: the new refresh token keeps the original scope, so a later refresh may ask
        // for all of it again.
        let api = grant_api(
            &self.config.apis,
            client,
            grant.resource.as_deref(),
            resource,
        )?;
        let kept = granted(&grant.scope, client, api);
        let scope = granted(&narrowed(&grant.scope, scope)?, client, api);
        let response = self.respond(
            client,
            &session,
            Scopes {
                granted: &scope,
                kept: &kept,
                api,
            },
            None,
            now,
        )?;
        issued(client, "refresh_token", &session);
        Ok(response)
    }

    /// The client acting as itself (RFC 6749 §4.4): an access token whose `sub` is the client,
    /// with its roles and its own scopes; no ID token (there is no user) and no refresh token
    /// (it authenticates and asks again). With a `resource` (RFC 8707) among the client's `apis`,
    /// the token's `aud` is that API and its scopes are the API's.
    fn client_credentials(
        &self,
        client: &Client,
        scope: Option<&str>,
        resource: Option<&str>,
        now: u64,
    ) -> Result<TokenResponse, OAuthError> {
        let ttl = self.config.lifetimes.access_token.as_secs();
        // The audience and the scopes it may have: the client's own, or the API's.
        let (audience, available) = match resource {
            None => (&client.id, &client.allowed_scopes),
            Some(resource) => {
                let api = api_for(&self.config.apis, client, resource)?;
                (&api.id, &api.scopes)
            }
        };
        let scope = service_scope(scope, available);
        let claims = service_claims(self.tokens.issuer(), client, audience, &scope, now, ttl);
        let access_token = self.mint_access(&claims)?;
        Event::TokenIssued {
            client_id: &client.id,
            grant: "client_credentials",
            sub: &client.id,
            email: None,
        }
        .record();
        Ok(TokenResponse {
            access_token,
            issued_token_type: None,
            token_type: "Bearer",
            expires_in: ttl,
            id_token: None,
            refresh_token: None,
            scope,
        })
    }

    /// Token exchange (RFC 8693, [`Exchange::claims`]): a token for the API, no refresh or ID
    /// token, `issued_token_type` set.
    fn exchange(
        &self,
        client: &Client,
        exchange: &Exchange,
        now: u64,
    ) -> Result<TokenResponse, OAuthError> {
        let claims = exchange.claims(self.tokens, self.config, client, now)?;
        let access_token = self.mint_access(&claims)?;
        Event::TokenIssued {
            client_id: &client.id,
            grant: "token_exchange",
            sub: &claims.sub,
            email: claims.email.as_deref(),
        }
        .record();
        Ok(TokenResponse {
            access_token,
            issued_token_type: Some(ACCESS_TOKEN_TYPE),
            token_type: "Bearer",
            expires_in: claims.exp.saturating_sub(now),
            id_token: None,
            refresh_token: None,
            scope: claims.scope,
        })
    }

    /// Signs access-token claims; a refusal of the key is monban's own failure.
    fn mint_access(&self, claims: &AccessClaims) -> Result<String, OAuthError> {
        self.tokens
            .mint(ACCESS_TOKEN_TYP, claims)
            .map_err(|e| OAuthError::ServerError(format!("signing the access token: {e}")))
    }

    /// When `client`'s refresh chain for `session` ends: the sign-in plus the client's absolute
    /// lifetime ([`Client::refresh_chain`]), under today's configuration.
    fn chain_end(&self, client: &Client, session: &Session) -> u64 {
        let chain = client.refresh_chain(&self.config.lifetimes);
        session.auth_time.saturating_add(chain.as_secs())
    }

    /// The grant's session under the running configuration: still admitted, with today's roles.
    /// A refusal is a revocation hit, `via` the code or the refresh token.
    fn as_of_today(&self, session: &Session, via: &'static str) -> Result<Session, OAuthError> {
        session.as_of(self.config).map_err(|denial| {
            Event::RevocationHit {
                via,
                reason: denial.code(),
                email: &session.email,
            }
            .record();
            OAuthError::InvalidGrant(denial.explanation().into())
        })
    }

    fn respond(
        &self,
        client: &Client,
        session: &Session,
        scope: Scopes<'_>,
        nonce: Option<&str>,
        now: u64,
    ) -> Result<TokenResponse, OAuthError> {
        let lifetimes = &self.config.lifetimes;
        let issuer = self.tokens.issuer();
        // For an API: its identifier as the audience, and only its scopes.
        let (audience, access_scope) = match scope.api {
            Some(api) => (api.id.as_str(), scope_for_api(scope.granted, api)),
            None => (client.id.as_str(), scope.granted.to_string()),
        };
        let access = access_claims(
            issuer,
            session,
            &client.id,
            audience,
            &access_scope,
            now,
            lifetimes.access_token.as_secs(),
        );
        let access_token = self.mint_access(&access)?;
        let id = IdClaims {
            iss: issuer.to_string(),
            sub: session.sub.clone(),
            aud: client.id.clone(),
            exp: now + lifetimes.id_token.as_secs(),
            iat: now,
            auth_time: session.auth_time,
            nonce: nonce.map(str::to_string),
            at_hash: at_hash(self.tokens.keys().active().alg, &access_token),
            sid: Some(session.sid.clone()).filter(|s| !s.is_empty()),
            profile: Profile::of(session, scope.granted),
        };
        let id_token = self
            .tokens
            .mint(ID_TOKEN_TYP, &id)
            .map_err(|e| OAuthError::ServerError(format!("signing the ID token: {e}")))?;
        let refresh = RefreshGrant {
            client_id: client.id.clone(),
            scope: scope.kept.to_string(),
            resource: scope.api.map(|a| a.id.clone()),
            session: session.clone(),
        };
        Ok(TokenResponse {
            access_token,
            issued_token_type: None,
            token_type: "Bearer",
            expires_in: lifetimes.access_token.as_secs(),
            id_token: Some(id_token),
            // Idle for at most `refresh_token_ttl_secs`, and never past the end of the chain.
            refresh_token: Some(self.sealer.seal(
                Purpose::RefreshToken,
                &refresh,
                (now + lifetimes.refresh_token.as_secs()).min(self.chain_end(client, session)),
            )),
            scope: access_scope,
        })
    }
}

/// What the memory of spent codes keeps of a code: the first 128 bits of its SHA-256 (a code is
/// a few hundred bytes; the hash names it as well).
fn code_id(code: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, code.as_bytes());
    digest.as_ref()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The audit entry of a token response.
fn issued(client: &Client, grant: &'static str, session: &Session) {
    Event::TokenIssued {
        client_id: &client.id,
        grant,
        sub: &session.sub,
        email: Some(&session.email),
    }
    .record();
}

fn invalid_grant(what: &str, e: SealError) -> OAuthError {
    OAuthError::InvalidGrant(match e {
        SealError::Expired => format!("the {what} has expired"),
        SealError::Invalid => format!("the {what} is not valid"),
    })
}
