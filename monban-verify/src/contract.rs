//! The token contract between monban and the services that verify its tokens: the claims of an
//! access token, the header `typ` values, and the issuer and audience rules. monban mints exactly
//! these types and this crate reads them, so the two cannot drift apart.
//!
//! - **`typ`**: access tokens carry [`ACCESS_TOKEN_TYP`] (RFC 9068), ID tokens [`ID_TOKEN_TYP`];
//!   a verifier of one refuses the other.
//! - **`iss`**: the issuer URL exactly, without a trailing slash ([`canonical_issuer`]).
//! - **`aud`**: one string: the `client_id` of the one service the token was issued to, or the
//!   identifier of the API it is for (RFC 8707 `resource`), so a token for one sibling service is
//!   refused by every other.
//! - **`act`**: present when a service exchanged the user's token to call an API on their behalf
//!   (RFC 8693): the service acting, and before it any earlier actor.
//! - **required**: [`REQUIRED_CLAIMS`]; `exp` is checked against the verifier's clock.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The header `typ` of monban's access tokens (RFC 9068).
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";

/// The header `typ` of monban's ID tokens.
pub const ID_TOKEN_TYP: &str = "JWT";

/// The header `typ` of monban's back-channel logout tokens (OIDC Back-Channel Logout 1.0 §2.4).
pub const LOGOUT_TOKEN_TYP: &str = "logout+jwt";

/// The event a logout token carries in `events`.
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// Claims every access token carries and every verifier requires.
pub const REQUIRED_CLAIMS: &[&str] = &["exp", "iss", "aud", "sub"];

/// An issuer URL as it appears in `iss` and in discovery: without a trailing slash.
pub fn canonical_issuer(issuer: &str) -> &str {
    issuer.trim_end_matches('/')
}

/// The claims of a monban access token (RFC 9068 plus the user's profile): what monban signs and
/// what [`crate::Verifier::verify`] returns once the signature, `iss`, `aud` and `exp` hold.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Claims {
    /// The issuer: monban's URL.
    pub iss: String,
    /// The user: stable for one Google account.
    pub sub: String,
    /// Whom the token is for: the service it was issued to (its `client_id`), or an API's
    /// identifier.
    pub aud: String,
    /// Expiry, seconds since the epoch.
    pub exp: u64,
    /// Issued at, seconds since the epoch.
    #[serde(default)]
    pub iat: u64,
    /// The token's unique id.
    #[serde(default)]
    pub jti: String,
    /// When the user signed in, seconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<u64>,
    /// The client the token was issued to.
    #[serde(default)]
    pub client_id: Option<String>,
    /// Granted scopes, space separated.
    #[serde(default)]
    pub scope: String,
    /// The user's verified email address.
    #[serde(default)]
    pub email: Option<String>,
    /// Whether the address is verified (always true in tokens monban mints).
    #[serde(default)]
    pub email_verified: bool,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Picture URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
    /// Given name (Google's `given_name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    /// Family name (Google's `family_name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    /// Preferred language, a BCP 47 tag (Google's `locale`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Roles from monban's configuration.
    #[serde(default)]
    pub roles: Vec<String>,
    /// The Google Workspace domain the user signed in with (Google's `hd`), so monban can re-check
    /// its allow-list when asked about the token (introspection).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hd: Option<String>,
    /// The service acting for the user (RFC 8693 §4.1), if the token came from a token exchange.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub act: Option<Actor>,
    /// Any other claim (none in tokens monban mints today).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Who acts for the token's subject (RFC 8693 §4.1): a service's `client_id`, and the actor it
/// acted for in turn when the exchanged token had one already.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Actor {
    /// The acting service's `client_id`.
    pub sub: String,
    /// The previous actor, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub act: Option<Box<Actor>>,
}

impl Claims {
    /// Whether the user holds `role`.
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    /// Whether the token was granted `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scope.split(' ').any(|s| s == scope)
    }
}

/// The claims of a back-channel logout token (§2.4): monban posts one to a client's
/// `backchannel_logout_uri` when the user signs out (`sid` names the sign-in) or when the
/// administrator signs them out everywhere (`sub` only). Never a `nonce`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LogoutClaims {
    /// The issuer: monban's URL.
    pub iss: String,
    /// The client told (its `client_id`).
    pub aud: String,
    /// Issued at.
    pub iat: u64,
    /// Expiry: two minutes after `iat`.
    pub exp: u64,
    /// The token's unique id (a receiver may remember it to refuse a replay).
    pub jti: String,
    /// `{BACKCHANNEL_LOGOUT_EVENT: {}}`.
    pub events: Map<String, Value>,
    /// The user signed out.
    pub sub: String,
    /// The sign-in ended (the `sid` of its ID tokens); absent when every sign-in of `sub` ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}
