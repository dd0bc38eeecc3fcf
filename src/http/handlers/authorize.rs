//! `GET|POST /authorize` (OIDC Core §3.1.2.1: both): single sign-on when the session suffices,
//! else "Sign in to <app>" with the button that leaves for Google (or straight to Google with
//! `skip_sign_in_page`). A POST's form body is the same parameters, and is what a sign-in replays.

use actix_web::http::{StatusCode, header};
use actix_web::web::{Bytes, Data, Query};
use actix_web::{HttpRequest, HttpResponse};

use super::see_other;
use crate::http::error::refusal_page;
use crate::http::pages;
use crate::http::state::AppState;
use crate::protocol::authorize::oob::{self, OOB_CODE_TTL_SECS};
use crate::protocol::authorize::{AuthorizeError, AuthorizeQuery, AuthorizeRequest, Outcome};
use crate::session::Session;

/// The answer for the client at `url` (its redirect URI with the code or the error): a redirect,
/// or for the out-of-band URI monban's own page, with the code to copy (`app` asked) or the error.
/// With `remember`, the session cookie is sealed again: it must now remember this client
/// (back-channel logout).
fn to_client(
    req: &HttpRequest,
    state: &AppState,
    app: &str,
    url: &url::Url,
    remember: Option<&Session>,
) -> HttpResponse {
    let mut bare = url.clone();
    bare.set_query(None);
    let mut response = if oob::is_oob(&bare) {
        code_page(req, state, app, url)
    } else {
        see_other(url.as_str())
    };
    if let Some(session) = remember {
        response
            .add_cookie(&state.session_cookie(session))
            .expect("a cookie is a valid header");
    }
    response
}

/// monban's page with the out-of-band `url`'s code to copy, or its error.
fn code_page(req: &HttpRequest, state: &AppState, app: &str, url: &url::Url) -> HttpResponse {
    let param = |name: &str| {
        (url.query_pairs())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    let Some(code) = param("code") else {
        return bad_request(req, state, &param("error_description").unwrap_or_default());
    };
    let frame = state.frame(req.headers());
    let time = crate::clock::time_of_day(state.now());
    let page = pages::code_to_copy(&frame, app, &code, &time, OOB_CODE_TTL_SECS / 60);
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::CONTENT_SECURITY_POLICY, code_page_policy()))
        .body(page)
}

/// The code page's policy: every other page's, and its one script, by hash.
fn code_page_policy() -> String {
    use base64::Engine;
    let digest =
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, pages::CODE_SCRIPT.as_bytes());
    let hash = base64::engine::general_purpose::STANDARD.encode(digest.as_ref());
    format!(
        "default-src 'none'; style-src 'self'; img-src 'self' https:; script-src 'sha256-{hash}'; \
         form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
}

/// The authorization endpoint, by GET.
pub async fn authorize(
    req: HttpRequest,
    query: Query<AuthorizeQuery>,
    state: Data<AppState>,
) -> HttpResponse {
    answer(&req, &query, req.query_string(), &state).await
}

/// The authorization endpoint, by POST: the parameters form-encoded in the body.
pub async fn authorize_post(req: HttpRequest, body: Bytes, state: Data<AppState>) -> HttpResponse {
    let form = std::str::from_utf8(&body).ok();
    match form.map(|raw| (raw, Query::<AuthorizeQuery>::from_query(raw))) {
        Some((raw, Ok(query))) => answer(&req, &query, raw, &state).await,
        _ => bad_request(
            &req,
            &state,
            "The form is not application/x-www-form-urlencoded parameters.",
        ),
    }
}

/// The 400 page for a request that names no registered client and redirect URI.
fn bad_request(req: &HttpRequest, state: &AppState, message: &str) -> HttpResponse {
    let frame = state.frame(req.headers());
    let title = frame.t("bad-request-title", &[]);
    let message = format!("{} {message}", frame.t("developer-detail", &[]));
    refusal_page(StatusCode::BAD_REQUEST, &frame, &title, &message, &[])
}

/// The answer to `query` (whose parameters as sent are `raw`, replayed after a sign-in).
async fn answer(
    req: &HttpRequest,
    query: &AuthorizeQuery,
    raw: &str,
    state: &AppState,
) -> HttpResponse {
    let issuer = state.config.issuer_str();
    let request = match AuthorizeRequest::parse(query, &state.config.clients, &state.config.apis) {
        Ok(request) => request,
        Err(AuthorizeError::NoRedirect(message)) => return bad_request(req, state, &message),
        Err(AuthorizeError::Redirect(r)) => {
            let app = (state.config.clients.iter())
                .find(|c| query.client_id.as_deref() == Some(c.id.as_str()))
                .map_or("", |c| c.name.as_str());
            return to_client(req, state, app, &r.url(issuer), None);
        }
    };
    let now = state.now();
    let session = state.session(req, now);
    match request.decide(session.as_ref(), raw, &state.sealer, &state.config, now) {
        Outcome::ToClient(url) => to_client(req, state, &request.client.name, &url, None),
        Outcome::Code(url, remember) => {
            to_client(req, state, &request.client.name, &url, remember.as_deref())
        }
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
