//! `POST /token`: the form parsed into a grant, then redeemed (RFC 6749 §5).

use actix_web::http::header;
use actix_web::web::{Data, Form};
use actix_web::{HttpRequest, HttpResponse};

use crate::http::client_auth::authenticate;
use crate::http::error::oauth_response;
use crate::http::state::AppState;
use crate::protocol::token_request::{TokenForm, TokenRequest};

/// The token endpoint: the client authenticated, its grant read and redeemed.
pub async fn token(req: HttpRequest, form: Form<TokenForm>, state: Data<AppState>) -> HttpResponse {
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let issued = authenticate(&state, authorization, &form)
        .await
        .and_then(|client| TokenRequest::parse(client, &form))
        .and_then(|request| state.token_service().issue(&request, state.now()));
    match issued {
        Ok(response) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::PRAGMA, "no-cache"))
            .json(response),
        Err(e) => oauth_response(&e),
    }
}
