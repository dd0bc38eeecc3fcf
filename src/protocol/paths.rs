//! Every URL monban answers, as constants: the route table (`http::app`) and the discovery
//! document ([`super::discovery`]) are both built from them, so an endpoint is advertised exactly
//! when it is routed.

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
/// Token introspection (RFC 7662).
pub const INTROSPECTION_PATH: &str = "/introspect";
/// The OpenSSH user CA's public keys, for `TrustedUserCAKeys` (only with `[ssh]` CA keys).
pub const SSH_CA_PATH: &str = "/ssh/ca.pub";
/// A user certificate for a signed-in person's public key (only with `[ssh]` CA keys).
pub const SSH_CERTIFICATE_PATH: &str = "/ssh/certificate";
/// The `@cert-authority` line for `known_hosts` (only with `[ssh]` CA keys).
pub const SSH_KNOWN_HOSTS_PATH: &str = "/ssh/known_hosts";
