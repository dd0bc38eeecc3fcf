//! The protocol vocabulary: endpoint paths and the discovery document.
//!
//! # Why every handler looks stateless
//!
//! monban keeps nothing between requests: no database, no in-memory session table. Whatever must
//! survive from one request to the next travels sealed with the client instead, so any instance
//! answers any request, instances can be added or stopped at will, and Cloud Run may scale to zero
//! without logging anyone out. Sibling services never ask monban whether a token is good: they
//! verify its signature offline against [`JWKS_PATH`], found through [`DISCOVERY_PATH`].
//!
//! The router and the discovery document are both built from the constants below, so an
//! endpoint is advertised exactly when it is routed.

use jsonwebtoken::Algorithm;
use serde::Serialize;

/// OIDC Discovery 1.0 metadata.
pub const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";
/// The public signing keys (RFC 7517 JWK Set).
pub const JWKS_PATH: &str = "/.well-known/jwks.json";
/// Liveness and readiness for Cloud Run and Knative probes.
pub const HEALTH_PATH: &str = "/healthz";
/// The page for people who come to monban directly.
pub const HOME_PATH: &str = "/";
/// Starts a sign-in with the upstream.
pub const LOGIN_PATH: &str = "/login";
/// Where the upstream sends the browser back: `{issuer}/callback`.
pub const CALLBACK_PATH: &str = "/callback";
/// Ends the SSO session; also RP-initiated logout (`end_session_endpoint`).
pub const LOGOUT_PATH: &str = "/logout";
/// The authorization endpoint.
pub const AUTHORIZE_PATH: &str = "/authorize";
/// The token endpoint.
pub const TOKEN_PATH: &str = "/token";
/// The UserInfo endpoint.
pub const USERINFO_PATH: &str = "/userinfo";

/// The OpenID Provider Metadata monban publishes. It lists only what works.
#[derive(Debug, Serialize)]
pub struct Discovery {
    /// Exactly the `iss` of every token.
    pub issuer: String,
    /// Where the JWK Set is.
    pub jwks_uri: String,
    /// `/authorize`.
    pub authorization_endpoint: String,
    /// `/token`.
    pub token_endpoint: String,
    /// `/userinfo`.
    pub userinfo_endpoint: String,
    /// `/logout` (RP-initiated logout).
    pub end_session_endpoint: String,
    /// Both grants monban implements.
    pub grant_types_supported: Vec<&'static str>,
    /// PKCE: S256 only.
    pub code_challenge_methods_supported: Vec<&'static str>,
    /// Client authentication methods; `none` for public clients with PKCE.
    pub token_endpoint_auth_methods_supported: Vec<&'static str>,
    /// Scopes.
    pub scopes_supported: Vec<&'static str>,
    /// Claims in tokens and at `/userinfo`.
    pub claims_supported: Vec<&'static str>,
    /// The `iss` parameter on authorization responses (RFC 9207).
    pub authorization_response_iss_parameter_supported: bool,
    /// Only the authorization code flow.
    pub response_types_supported: Vec<&'static str>,
    /// `sub` is the same for every client.
    pub subject_types_supported: Vec<&'static str>,
    /// The algorithms of the published keys, signing key first.
    pub id_token_signing_alg_values_supported: Vec<Algorithm>,
}

impl Discovery {
    /// The discovery document for `issuer` (without a trailing slash) and the keys' algorithms.
    pub fn new(issuer: &str, algorithms: Vec<Algorithm>) -> Self {
        Self {
            issuer: issuer.to_string(),
            jwks_uri: format!("{issuer}{JWKS_PATH}"),
            authorization_endpoint: format!("{issuer}{AUTHORIZE_PATH}"),
            token_endpoint: format!("{issuer}{TOKEN_PATH}"),
            userinfo_endpoint: format!("{issuer}{USERINFO_PATH}"),
            end_session_endpoint: format!("{issuer}{LOGOUT_PATH}"),
            grant_types_supported: vec!["authorization_code", "refresh_token"],
            code_challenge_methods_supported: vec!["S256"],
            token_endpoint_auth_methods_supported: vec![
                "client_secret_basic",
                "client_secret_post",
                "none",
            ],
            scopes_supported: vec!["openid", "email", "profile"],
            claims_supported: vec![
                "iss",
                "sub",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "nonce",
                "at_hash",
                "email",
                "email_verified",
                "name",
                "picture",
                "roles",
            ],
            authorization_response_iss_parameter_supported: true,
            response_types_supported: vec!["code"],
            subject_types_supported: vec!["public"],
            id_token_signing_alg_values_supported: algorithms,
        }
    }
}
