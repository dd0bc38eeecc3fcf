//! `GET|POST /logout`: clears the SSO session, then goes back to the client or to `/`. A GET
//! without a valid `id_token_hint` asks first ([`LogoutRequest`] says why).

use actix_web::http::StatusCode;
use actix_web::web::{Data, Form, Query};
use actix_web::{HttpRequest, HttpResponse};

use crate::audit::Event;
use crate::http::backchannel::tell;
use crate::http::error::refusal_page;
use crate::http::pages::{self, Action};
use crate::http::state::AppState;
use crate::protocol::backchannel::receivers;
use crate::protocol::logout::{LogoutQuery, LogoutRequest};
use crate::protocol::paths::HOME_PATH;

/// A GET: at once with a valid hint (or when nobody is signed in), else a confirmation page.
pub async fn logout(
    req: HttpRequest,
    query: Query<LogoutQuery>,
    state: Data<AppState>,
) -> HttpResponse {
    let request = match LogoutRequest::parse(&query, &state.config.clients, &state.tokens) {
        Ok(request) => request,
        Err(message) => return cannot_follow(&req, &state, message),
    };
    if !request.hinted && state.session(&req, state.now()).is_some() {
        return HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(pages::confirm_sign_out(&state.frame(req.headers()), &query));
    }
    sign_out(&req, &state, &request.target).await
}

/// A POST (the confirmation form, monban's own sign-out button, or a client's form). The session
/// cookie only comes along from the same site (SameSite=Lax), and a request the browser marks as
/// cross-site (`Sec-Fetch-Site`, or a foreign `Origin`) is refused, so no other site can sign
/// anyone out. An empty or unreadable body is a sign-out that goes to `/`.
pub async fn logout_form(
    req: HttpRequest,
    form: Option<Form<LogoutQuery>>,
    state: Data<AppState>,
) -> HttpResponse {
    if cross_site(&req, state.config.issuer_str()) {
        let frame = state.frame(req.headers());
        let title = frame.t("bad-sign-out-title", &[]);
        let message = frame.t("foreign-sign-out", &[]);
        return refusal_page(StatusCode::BAD_REQUEST, &frame, &title, &message, &[]);
    }
    let form = form.map(Form::into_inner).unwrap_or_default();
    match LogoutRequest::parse(&form, &state.config.clients, &state.tokens) {
        Ok(request) => sign_out(&req, &state, &request.target).await,
        Err(message) => cannot_follow(&req, &state, message),
    }
}

/// Whether the browser says the request comes from another site. `Origin: null` (sent by pages
/// with `Referrer-Policy: no-referrer`, monban's own) proves nothing either way.
fn cross_site(req: &HttpRequest, issuer: &str) -> bool {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let ours = url::Url::parse(issuer).map(|u| u.origin().ascii_serialization());
    let foreign_origin =
        header("origin").is_some_and(|o| o != "null" && ours.as_deref().ok() != Some(o));
    foreign_origin || header("sec-fetch-site") == Some("cross-site")
}

/// Clears the session cookie, if the browser sent one, tells the clients that received codes in
/// it (back-channel logout), and goes to `target`; to monban's own page, that page says which
/// services were told.
async fn sign_out(req: &HttpRequest, state: &AppState, target: &str) -> HttpResponse {
    let mut told = Vec::new();
    if let Some(session) = state.session(req, state.now()) {
        Event::SignedOut {
            email: &session.email,
            sub: &session.sub,
        }
        .record();
        let receivers = receivers(&state.config.clients, &session);
        told = tell(state, receivers, &session.sub, Some(&session.sid)).await;
    }
    let mut response = if target == HOME_PATH && !told.is_empty() {
        let told: Vec<(&str, bool)> = told
            .iter()
            .map(|t| (t.client.name.as_str(), t.delivered))
            .collect();
        HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(pages::signed_out_told(&state.frame(req.headers()), &told))
    } else {
        super::see_other(target)
    };
    if req.cookie(state.cookies.session).is_some() {
        response
            .add_cookie(&state.cookies.session_removal())
            .expect("a cookie is a valid header");
    }
    response
}

/// The refusal page: the reason is for the application's developer (the protocol's words).
fn cannot_follow(req: &HttpRequest, state: &AppState, message: &str) -> HttpResponse {
    let frame = state.frame(req.headers());
    let title = frame.t("bad-sign-out-title", &[]);
    let message = format!("{} {message}", frame.t("developer-detail", &[]));
    let home = Action {
        label: frame.t("go-home", &[]),
        href: "/",
    };
    refusal_page(StatusCode::BAD_REQUEST, &frame, &title, &message, &[home])
}
