//! `GET /callback`: where Google sends the browser back; the work is [`sign_in::complete`].

use actix_web::web::{Data, Query};
use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::audit::Event;
use crate::http::error::sign_in_page;
use crate::http::state::AppState;
use crate::session::Session;
use crate::session::sign_in::{self, Callback};

/// Query of `/callback`.
#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    state: Option<String>,
    code: Option<String>,
    error: Option<String>,
}

/// Finishes a sign-in and sets the session cookie.
pub async fn callback(
    req: HttpRequest,
    query: Query<CallbackQuery>,
    state: Data<AppState>,
) -> HttpResponse {
    let binding = req.cookie(state.cookies.binding);
    let received = Callback {
        state: query.state.as_deref(),
        code: query.code.as_deref(),
        error: query.error.is_some(),
        binding_cookie: binding.as_ref().map(|c| c.value()),
    };
    let now = state.now();
    match sign_in::complete(received, &state.sealer, &state.upstream, &state.config, now).await {
        Ok((session, return_to)) => signed_in(&state, &session, &return_to),
        Err(e) => sign_in_page(&e, &state.frame(req.headers()), &state.config.clients),
    }
}

/// The new SSO session, sealed into its cookie, and on to where the sign-in was to return.
fn signed_in(state: &AppState, session: &Session, return_to: &str) -> HttpResponse {
    Event::SignInAllowed {
        email: &session.email,
        sub: &session.sub,
    }
    .record();
    let mut response = super::see_other(return_to);
    response
        .add_cookie(&state.session_cookie(session))
        .expect("a cookie is a valid header");
    response
}
