//! `GET|POST /logout`: clears the SSO session, then goes home or back to the client.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::{Data, Query};

use crate::http::error::refusal_page;
use crate::http::pages::Action;
use crate::http::state::AppState;
use crate::protocol::logout::{LogoutQuery, post_logout_target};

/// Signs out: clears the session cookie, then goes to `/`, or to the client's registered
/// `post_logout_redirect_uri` (with its `state`).
pub async fn logout(query: Query<LogoutQuery>, state: Data<AppState>) -> HttpResponse {
    match post_logout_target(&query, &state.config.clients, &state.tokens) {
        Ok(target) => {
            let mut response = super::see_other(&target);
            response
                .add_cookie(&state.cookies.session_removal())
                .expect("a cookie is a valid header");
            response
        }
        Err(message) => refusal_page(
            StatusCode::BAD_REQUEST,
            &state.config.org_name,
            "This sign-out request cannot be followed",
            message,
            &[Action {
                label: "Go to the sign-in page",
                href: "/",
            }],
        ),
    }
}
