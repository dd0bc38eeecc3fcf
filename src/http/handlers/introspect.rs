//! `POST /introspect` (RFC 7662): a confidential client asks whether a token may be honoured now.

use actix_web::http::header;
use actix_web::web::{Data, Form};
use actix_web::{HttpRequest, HttpResponse};

use crate::http::client_auth::authenticate;
use crate::http::error::oauth_response;
use crate::http::state::AppState;
use crate::protocol::error::OAuthError;
use crate::protocol::introspection::{IntrospectionForm, introspect};

/// The introspection endpoint: only clients that authenticate (a secret or keys) may ask.
pub async fn introspection(
    req: HttpRequest,
    form: Form<IntrospectionForm>,
    state: Data<AppState>,
) -> HttpResponse {
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let client_form = form.client_form();
    let answer = match authenticate(&state, authorization, &client_form).await {
        Ok(client) if !client.is_confidential() => Err(OAuthError::InvalidClient(
            "only clients that authenticate may introspect".into(),
        )),
        Ok(_) => form
            .token
            .as_ref()
            .map(|token| introspect(&state.tokens, &state.config, token.expose(), state.now()))
            .ok_or_else(|| OAuthError::InvalidRequest("token is missing".into())),
        Err(e) => Err(e),
    };
    match answer {
        Ok(answer) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(answer),
        Err(e) => oauth_response(&e),
    }
}
