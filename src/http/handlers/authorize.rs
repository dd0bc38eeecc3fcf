//! `GET /authorize`: single sign-on when the session suffices, else a sign-in at Google.

use actix_web::http::StatusCode;
use actix_web::web::{Data, Query};
use actix_web::{HttpRequest, HttpResponse};

use super::see_other;
use crate::http::error::refusal_page;
use crate::http::state::AppState;
use crate::protocol::authorize::{AuthorizeError, AuthorizeQuery, AuthorizeRequest, Outcome};

/// The authorization endpoint.
pub async fn authorize(
    req: HttpRequest,
    query: Query<AuthorizeQuery>,
    state: Data<AppState>,
) -> HttpResponse {
    let issuer = state.config.issuer_str();
    let request = match AuthorizeRequest::parse(&query, &state.config.clients) {
        Ok(request) => request,
        Err(AuthorizeError::NoRedirect(message)) => {
            return refusal_page(
                StatusCode::BAD_REQUEST,
                &state.config.org_name,
                "This sign-in request cannot be accepted",
                &message,
                &[],
            );
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
        Outcome::SignIn(path) => see_other(&path),
    }
}
