//! actix-web integration: [`Verified`] extracts verified claims from `Authorization: Bearer`, or
//! answers 401 with a `WWW-Authenticate` challenge (RFC 6750); [`Verified::require_role`] and
//! [`Verified::require_scope`] answer 403.
//!
//! Register the verifier as app data: `App::new().app_data(web::Data::new(verifier))`.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::web::Data;
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError};
use actix_web_httpauth::extractors::bearer::BearerAuth;

use crate::{Claims, Verifier, VerifyError};

/// Why a request was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// No bearer token: 401 with a bare `Bearer` challenge.
    #[error("a bearer token is required")]
    Missing,
    /// The token failed verification: 401, `error="invalid_token"`.
    #[error("{0}")]
    Invalid(VerifyError),
    /// Valid token without the role or scope required: 403, `error="insufficient_scope"`.
    #[error("the token lacks {0}")]
    Insufficient(String),
    /// No [`Verifier`] was registered as app data: a server bug, 500.
    #[error("no monban Verifier is registered as app data")]
    NotConfigured,
}

impl ResponseError for AuthError {
    fn status_code(&self) -> StatusCode {
        match self {
            AuthError::Missing | AuthError::Invalid(_) => StatusCode::UNAUTHORIZED,
            AuthError::Insufficient(_) => StatusCode::FORBIDDEN,
            AuthError::NotConfigured => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let challenge = match self {
            AuthError::Missing => Some("Bearer".to_string()),
            AuthError::Invalid(e) => Some(format!(
                "Bearer error=\"invalid_token\", error_description=\"{e}\""
            )),
            AuthError::Insufficient(what) => Some(format!(
                "Bearer error=\"insufficient_scope\", error_description=\"the token lacks {what}\""
            )),
            AuthError::NotConfigured => None,
        };
        let mut response = HttpResponse::build(self.status_code());
        if let Some(c) = challenge {
            response.insert_header((header::WWW_AUTHENTICATE, c));
        }
        response.json(serde_json::json!({ "error": self.to_string() }))
    }
}

/// The verified claims of the request's bearer token.
#[derive(Debug, Clone)]
pub struct Verified(pub Claims);

impl Verified {
    /// 403 unless the user holds `role`.
    pub fn require_role(&self, role: &str) -> Result<&Claims, AuthError> {
        if self.0.has_role(role) {
            Ok(&self.0)
        } else {
            Err(AuthError::Insufficient(format!("the role {role}")))
        }
    }

    /// 403 unless the token was granted `scope`.
    pub fn require_scope(&self, scope: &str) -> Result<&Claims, AuthError> {
        if self.0.has_scope(scope) {
            Ok(&self.0)
        } else {
            Err(AuthError::Insufficient(format!("the scope {scope}")))
        }
    }
}

impl FromRequest for Verified {
    type Error = AuthError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let verifier = req.app_data::<Data<Verifier>>().cloned();
        let bearer = BearerAuth::from_request(req, payload).into_inner();
        Box::pin(async move {
            let verifier = verifier.ok_or(AuthError::NotConfigured)?;
            let bearer = bearer.map_err(|_| AuthError::Missing)?;
            verifier
                .verify(bearer.token())
                .await
                .map(Verified)
                .map_err(AuthError::Invalid)
        })
    }
}
