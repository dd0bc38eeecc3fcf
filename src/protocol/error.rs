//! Protocol errors: one enum whose `Display` is the wire code (RFC 6749 §4.1.2.1 and §5.2, RFC
//! 6750 §3, OIDC Core §3.1.2.6). How each becomes a status and headers is decided in exactly one
//! place, `http::error::oauth_response`.

/// An OAuth 2.0 / OIDC protocol error, printed as its wire code. The string is the
/// `error_description`, except for [`OAuthError::ServerError`], whose string is the cause: logged,
/// never sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OAuthError {
    /// The request is missing a parameter or is otherwise malformed.
    #[error("invalid_request")]
    InvalidRequest(String),
    /// The form body is larger than monban reads (413).
    #[error("invalid_request")]
    PayloadTooLarge(String),
    /// The body is not a form (415).
    #[error("invalid_request")]
    UnsupportedMediaType(String),
    /// Client authentication failed (RFC 6749 §5.2: 401 with `WWW-Authenticate`).
    #[error("invalid_client")]
    InvalidClient(String),
    /// The `resource` is no registered API, or not one this client may call (RFC 8707 §2).
    #[error("invalid_target")]
    InvalidTarget(String),
    /// The client may not use this grant (its `grant_types`, RFC 6749 §5.2).
    #[error("unauthorized_client")]
    UnauthorizedClient(String),
    /// The code or refresh token is invalid, expired, or for another client or redirect URI.
    #[error("invalid_grant")]
    InvalidGrant(String),
    /// A `grant_type` monban does not serve (it serves the four of [`crate::config::GrantType::ALL`]).
    #[error("unsupported_grant_type")]
    UnsupportedGrantType(String),
    /// Only `response_type=code` exists here.
    #[error("unsupported_response_type")]
    UnsupportedResponseType(String),
    /// A request object (`request=`): monban does not take them (OIDC Core §3.1.2.6).
    #[error("request_not_supported")]
    RequestNotSupported(String),
    /// A request object by reference (`request_uri=`): monban fetches none (OIDC Core §3.1.2.6).
    #[error("request_uri_not_supported")]
    RequestUriNotSupported(String),
    /// The scope lacks `openid`.
    #[error("invalid_scope")]
    InvalidScope(String),
    /// `prompt=none` and nobody is signed in.
    #[error("login_required")]
    LoginRequired(String),
    /// The user is no longer allowed to sign in.
    #[error("access_denied")]
    AccessDenied(String),
    /// A Bearer token that verifies but lacks the scope the endpoint needs (RFC 6750 §3.1: 403).
    #[error("insufficient_scope")]
    InsufficientScope(String),
    /// A Bearer token that does not verify (RFC 6750 §3: 401 with `WWW-Authenticate: Bearer`).
    #[error("invalid_token")]
    InvalidToken(String),
    /// The client's address is over its rate limit (429 with `Retry-After`).
    #[error("too_many_requests")]
    TooManyRequests {
        /// Whole seconds until the next request may pass.
        retry_after_secs: u64,
    },
    /// Something monban needs from elsewhere (a client's `jwks_uri`, Google's keys) did not
    /// answer: try again shortly (503).
    #[error("temporarily_unavailable")]
    TemporarilyUnavailable(String),
    /// monban itself failed (a key the crypto library refuses): an opaque 500. The string is the
    /// cause, for the log only.
    #[error("server_error")]
    ServerError(String),
}

impl OAuthError {
    /// The human-readable `error_description`: safe to show to anyone.
    pub fn description(&self) -> String {
        match self {
            OAuthError::InvalidRequest(d)
            | OAuthError::PayloadTooLarge(d)
            | OAuthError::UnsupportedMediaType(d)
            | OAuthError::InvalidClient(d)
            | OAuthError::UnauthorizedClient(d)
            | OAuthError::InvalidTarget(d)
            | OAuthError::InvalidGrant(d)
            | OAuthError::UnsupportedGrantType(d)
            | OAuthError::UnsupportedResponseType(d)
            | OAuthError::RequestNotSupported(d)
            | OAuthError::RequestUriNotSupported(d)
            | OAuthError::InvalidScope(d)
            | OAuthError::LoginRequired(d)
            | OAuthError::AccessDenied(d)
            | OAuthError::InvalidToken(d)
            | OAuthError::InsufficientScope(d)
            | OAuthError::TemporarilyUnavailable(d) => d.clone(),
            OAuthError::TooManyRequests { retry_after_secs } => format!(
                "too many requests from your address; try again in {retry_after_secs} seconds"
            ),
            OAuthError::ServerError(_) => "the server could not complete the request".into(),
        }
    }
}
