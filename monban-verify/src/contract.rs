//! The token contract between monban and the services that verify its tokens: the claims of an
//! access token, the header `typ` values, and the issuer and audience rules. monban mints exactly
//! these types and this crate reads them, so the two cannot drift apart.
//!
//! - **`typ`**: access tokens carry [`ACCESS_TOKEN_TYP`] (RFC 9068), ID tokens [`ID_TOKEN_TYP`];
//!   a verifier of one refuses the other.
//! - **`iss`**: the issuer URL exactly, without a trailing slash ([`canonical_issuer`]).
//! - **`aud`**: the `client_id` of the one service the token was issued to (a single string), so
//!   a token for one sibling service is refused by every other.
//! - **required**: [`REQUIRED_CLAIMS`]; `exp` is checked against the verifier's clock.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The header `typ` of monban's access tokens (RFC 9068).
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";

/// The header `typ` of monban's ID tokens.
pub const ID_TOKEN_TYP: &str = "JWT";

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
    /// The service the token was issued to (its `client_id`).
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
    /// Roles from monban's configuration.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Any other claim (none in tokens monban mints today).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
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
