//! `GET|POST /logout`: clears the SSO session, then goes back to the client or to `/`. Without a
//! hint of this very sign-in, or the proof of monban's own form, it asks first ([`LogoutRequest`]
//! says why).

use actix_web::http::StatusCode;
use actix_web::web::{Data, Form, Query};
use actix_web::{HttpRequest, HttpResponse};

use crate::audit::Event;
use crate::backchannel::{self, Told};
use crate::http::error::refusal_page;
use crate::http::pages::{self, Action};
use crate::http::state::AppState;
use crate::protocol::logout::{LogoutQuery, LogoutRequest, SignOutProof};
use crate::protocol::paths::HOME_PATH;
use crate::session::Session;
use crate::session::seal::Purpose;

/// A GET: at once with a hint of this very sign-in (or when nobody is signed in), else a
/// confirmation page.
pub async fn logout(
    req: HttpRequest,
    query: Query<LogoutQuery>,
    state: Data<AppState>,
) -> HttpResponse {
    match LogoutRequest::parse(&query, &state.config.clients, &state.tokens) {
        Ok(request) => answer(&req, &state, &request, &query, None).await,
        Err(message) => cannot_follow(&req, &state, message),
    }
}

/// A POST (the confirmation form, monban's own sign-out button, or a client's form). The session
/// cookie only comes along from the same site (SameSite=Lax), and a request the browser marks as
/// cross-site (`Sec-Fetch-Site`, or a foreign `Origin`) is refused. Without a hint of this
/// sign-in, only monban's own forms sign out (their sealed proof); any other form gets the
/// confirmation page. An empty or unreadable body asks the same.
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
    let proof: Option<SignOutProof> = form.confirm.as_deref().and_then(|sealed| {
        state
            .sealer
            .open(Purpose::SignOut, sealed, state.now())
            .ok()
    });
    match LogoutRequest::parse(&form, &state.config.clients, &state.tokens) {
        Ok(request) => answer(&req, &state, &request, &form, proof.as_ref()).await,
        Err(message) => cannot_follow(&req, &state, message),
    }
}

/// Signs out when `request` may end this browser's session at once (or there is none), else
/// shows the confirmation page, whose form carries the proof for this session.
async fn answer(
    req: &HttpRequest,
    state: &AppState,
    request: &LogoutRequest,
    asked: &LogoutQuery,
    proof: Option<&SignOutProof>,
) -> HttpResponse {
    match state.session(req, state.now()) {
        Some(session) if !request.ends_at_once(&session, proof) => {
            let form = LogoutQuery {
                id_token_hint: None,
                client_id: request.client_id.clone(),
                post_logout_redirect_uri: asked.post_logout_redirect_uri.clone(),
                state: asked.state.clone(),
                confirm: Some(state.sign_out_proof(&session)),
            };
            HttpResponse::Ok()
                .content_type("text/html; charset=utf-8")
                .body(pages::confirm_sign_out(&state.frame(req.headers()), &form))
        }
        session => sign_out(req, state, session, request).await,
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
/// it (back-channel logout; once per sign-in at this instance, so a replayed cookie is no louder
/// than the first sign-out), and goes to the request's target; when that is monban's own page, it
/// says which services were told and offers the link back, if any.
async fn sign_out(
    req: &HttpRequest,
    state: &AppState,
    session: Option<Session>,
    request: &LogoutRequest,
) -> HttpResponse {
    let told = match &session {
        Some(session) => tell_once(state, session).await,
        None => Vec::new(),
    };
    let back = request.link_back.as_ref();
    let mut response = if request.target == HOME_PATH && (!told.is_empty() || back.is_some()) {
        let told: Vec<(&str, bool)> = told
            .iter()
            .map(|t| (t.client.name.as_str(), t.delivered))
            .collect();
        let back = back.map(|(app, uri)| (app.as_str(), uri.as_str()));
        HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(pages::signed_out_told(
                &state.frame(req.headers()),
                &told,
                back,
            ))
    } else {
        super::see_other(&request.target)
    };
    if req.cookie(state.cookies.session).is_some() {
        response
            .add_cookie(&state.cookies.session_removal())
            .expect("a cookie is a valid header");
    }
    response
}

/// Records the sign-out and tells the clients that received codes in `session`, unless this
/// instance told them about this sign-in already.
async fn tell_once<'s>(state: &'s AppState, session: &Session) -> Vec<Told<'s>> {
    Event::SignedOut {
        email: &session.email,
        sub: &session.sub,
    }
    .record();
    let now = state.now();
    let end = session.auth_time + state.config.lifetimes.session.as_secs();
    if !(state.recent_sign_outs).first(&session.sign_in_id(), end, now) {
        return Vec::new();
    }
    let receivers = backchannel::receivers(&state.config.clients, session);
    (state.notifier())
        .tell(receivers, &session.sub, Some(&session.sid), now)
        .await
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
