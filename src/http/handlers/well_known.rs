//! `GET /.well-known/jwks.json` and `GET /.well-known/openid-configuration`, served from the
//! documents [`crate::http::cached_json`] serialized at start-up.

use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse};

use crate::http::state::AppState;

/// The JWK Set.
pub async fn jwks(req: HttpRequest, state: Data<AppState>) -> HttpResponse {
    state.jwks.respond(&req)
}

/// The discovery document.
pub async fn discovery(req: HttpRequest, state: Data<AppState>) -> HttpResponse {
    state.discovery.respond(&req)
}
