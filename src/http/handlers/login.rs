//! `GET /login`: seals the login state and sends the browser to Google.

use actix_web::web::{Data, Query};
use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::http::error::sign_in_page;
use crate::http::state::AppState;
use crate::session::sign_in::{self, Begun, SignInError};
use crate::upstream::{AuthorizationRequest, IDENTITY_SCOPES};

/// Query of `/login`.
#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    /// `select_account` shows Google's account chooser; `login` forces re-authentication.
    prompt: Option<String>,
    /// A local path to come back to.
    return_to: Option<String>,
    /// Pre-fill the Google account.
    login_hint: Option<String>,
    /// Ask Google to re-authenticate someone whose last authentication is older (seconds).
    max_age: Option<u64>,
}

impl LoginQuery {
    /// What Google's authorization URL carries for the sign-in `begun`, as this query asks.
    fn authorization_request<'a>(&'a self, begun: &'a Begun) -> AuthorizationRequest<'a> {
        let prompt = self.prompt.as_deref().unwrap_or_default();
        AuthorizationRequest {
            state: &begun.sealed,
            nonce: &begun.state.nonce,
            pkce_verifier: &begun.state.pkce_verifier,
            select_account: prompt.split(' ').any(|p| p == "select_account"),
            force_login: prompt.split(' ').any(|p| p == "login"),
            max_age: self.max_age,
            login_hint: self.login_hint.as_deref(),
            scopes: IDENTITY_SCOPES,
            resource: None,
        }
    }
}

/// Starts a sign-in.
pub async fn login(
    req: HttpRequest,
    query: Query<LoginQuery>,
    state: Data<AppState>,
) -> HttpResponse {
    let now = state.now();
    let binding = req.cookie(state.cookies.binding);
    let begun = sign_in::begin(
        &state.sealer,
        binding.as_ref().map(|c| c.value()),
        query.return_to.as_deref(),
        now,
    );
    let request = query.authorization_request(&begun);
    match state.upstream.authorization_url(&request, now).await {
        Ok(url) => {
            let mut response = super::see_other(url.as_str());
            let cookie = state
                .cookies
                .build(state.cookies.binding, begun.binding, None);
            response
                .add_cookie(&cookie)
                .expect("a cookie is a valid header");
            response
        }
        Err(e) => sign_in_page(
            &SignInError::Upstream(e),
            &state.frame(req.headers()),
            &state.config.clients,
        ),
    }
}
