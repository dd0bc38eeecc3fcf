//! The discovery document (OIDC Discovery 1.0): what any standard client library reads from the
//! issuer URL alone.

use jsonwebtoken::Algorithm;
use serde::Serialize;

use super::paths::{
    AUTHORIZE_PATH, INTROSPECTION_PATH, JWKS_PATH, LOGOUT_PATH, TOKEN_PATH, USERINFO_PATH,
};
use super::scope::STANDARD_SCOPES;
use crate::config::{AuthMethod, GrantType};

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
    /// `/introspect` (RFC 7662), for confidential clients.
    pub introspection_endpoint: String,
    /// Client authentication at `/introspect`: the token endpoint's.
    pub introspection_endpoint_auth_methods_supported: Vec<&'static str>,
    /// Back-Channel Logout 1.0: clients with a `backchannel_logout_uri` are told of sign-outs.
    pub backchannel_logout_supported: bool,
    /// Logout tokens carry `sid`, and ID tokens too.
    pub backchannel_logout_session_supported: bool,
    /// The grants monban implements.
    pub grant_types_supported: Vec<&'static str>,
    /// PKCE: S256 only.
    pub code_challenge_methods_supported: Vec<&'static str>,
    /// Client authentication methods; `none` for public clients with PKCE.
    pub token_endpoint_auth_methods_supported: Vec<&'static str>,
    /// What a `private_key_jwt` assertion may be signed with: any asymmetric algorithm, pinned
    /// to the client's key (never `none`, never HMAC).
    pub token_endpoint_auth_signing_alg_values_supported: Vec<Algorithm>,
    /// Scopes.
    pub scopes_supported: Vec<&'static str>,
    /// Claims in tokens and at `/userinfo`.
    pub claims_supported: Vec<&'static str>,
    /// The `iss` parameter on authorization responses (RFC 9207).
    pub authorization_response_iss_parameter_supported: bool,
    /// Request objects (`request=`) are refused with `request_not_supported`.
    pub request_parameter_supported: bool,
    /// `request_uri=` is refused with `request_uri_not_supported` (the default, when not said, is
    /// that it is supported).
    pub request_uri_parameter_supported: bool,
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
            introspection_endpoint: format!("{issuer}{INTROSPECTION_PATH}"),
            introspection_endpoint_auth_methods_supported: AuthMethod::ALL
                .iter()
                .filter(|(m, _)| *m != AuthMethod::None)
                .map(|(_, name)| *name)
                .collect(),
            backchannel_logout_supported: true,
            backchannel_logout_session_supported: true,
            grant_types_supported: GrantType::ALL.iter().map(|(_, name)| *name).collect(),
            code_challenge_methods_supported: vec!["S256"],
            token_endpoint_auth_methods_supported: AuthMethod::ALL
                .iter()
                .map(|(_, name)| *name)
                .collect(),
            token_endpoint_auth_signing_alg_values_supported: {
                use Algorithm::{ES256, ES384, EdDSA, PS256, PS384, PS512, RS256, RS384, RS512};
                vec![
                    RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA,
                ]
            },
            scopes_supported: STANDARD_SCOPES.to_vec(),
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
                "given_name",
                "family_name",
                "picture",
                "locale",
                "roles",
                "sid",
                "act",
            ],
            authorization_response_iss_parameter_supported: true,
            request_parameter_supported: false,
            request_uri_parameter_supported: false,
            response_types_supported: vec!["code"],
            subject_types_supported: vec!["public"],
            id_token_signing_alg_values_supported: algorithms,
        }
    }
}
