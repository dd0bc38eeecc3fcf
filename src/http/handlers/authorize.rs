//! `GET /authorize`: single sign-on when the session suffices, else "Sign in to <app>" with the
//! button that leaves for Google (or straight to Google with `skip_sign_in_page`).

use actix_web::http::{StatusCode, header};
use actix_web::web::{Data, Query};
use actix_web::{HttpRequest, HttpResponse};

use super::see_other;
use crate::http::error::refusal_page;
use crate::http::pages;
use crate::http::state::AppState;
use crate::protocol::authorize::{AuthorizeError, AuthorizeQuery, AuthorizeRequest, Outcome};
use crate::session::Session;

/// Back to the client with a code, the session cookie sealed again when it must now remember
/// this client (back-channel logout).
fn with_code(state: &AppState, url: &url::Url, remember: Option<Session>) -> HttpResponse {
    let mut response = see_other(url.as_str());
    if let Some(session) = remember {
        response
            .add_cookie(&state.session_cookie(&session))
            .expect("a cookie is a valid header");
    }
    response
}

/// The authorization endpoint.
pub async fn authorize(
    req: HttpRequest,
    query: Query<AuthorizeQuery>,
    state: Data<AppState>,
) -> HttpResponse {
    let issuer = state.config.issuer_str();
    let request = match AuthorizeRequest::parse(&query, &state.config.clients, &state.config.apis) {
        Ok(request) => request,
        Err(AuthorizeError::NoRedirect(message)) => {
            let frame = state.frame(req.headers());
            let title = frame.t("bad-request-title", &[]);
            let message = format!("{} {message}", frame.t("developer-detail", &[]));
            return refusal_page(StatusCode::BAD_REQUEST, &frame, &title, &message, &[]);
        }
        Err(AuthorizeError::Redirect(r)) => return see_other(r.url(issuer).as_str()),
    };
    let now = state.now();
    let session = state.session(&req, now);
    match request.decide(
        session.as_ref(),
        req.query_string(),
        &state.sealer,
        &state.config,
        now,
    ) {
        Outcome::ToClient(url) => see_other(url.as_str()),
        Outcome::Code(url, remember) => with_code(&state, &url, remember),
        Outcome::SignIn(path) if state.config.pages.skip_sign_in_page => see_other(&path),
        Outcome::SignIn(path) => {
            let frame = state.frame(req.headers());
            HttpResponse::Ok()
                .content_type("text/html; charset=utf-8")
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .body(pages::sign_in_to(&frame, &request.client.name, &path))
        }
    }
}
