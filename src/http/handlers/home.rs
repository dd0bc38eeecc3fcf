//! `GET /`: who is signed in and the organisation's services (the portal), or the sign-in
//! button; and the stylesheet.

use actix_web::http::header;
use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse};

use crate::http::pages::{self, Service};
use crate::http::state::AppState;

/// The home page: the person as today's configuration sees them (a person removed since is
/// signed out here too; roles are today's).
pub async fn home(req: HttpRequest, state: Data<AppState>) -> HttpResponse {
    let frame = state.frame(req.headers());
    let today = state
        .session(&req, state.now())
        .and_then(|s| s.as_of(&state.config).ok());
    let page = match today {
        Some(session) => {
            let proof = state.sign_out_proof(&session);
            pages::signed_in(&frame, &session, &services(&state), &proof)
        }
        None => pages::signed_out(&frame),
    };
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(page)
}

/// The portal: every client with a `home_url`, in the configuration's order.
fn services(state: &AppState) -> Vec<Service<'_>> {
    state
        .config
        .clients
        .iter()
        .filter_map(|c| {
            c.home_url.as_ref().map(|url| Service {
                name: &c.name,
                url: url.as_str(),
            })
        })
        .collect()
}

/// The stylesheet, cacheable for a day.
pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(pages::STYLESHEET)
}
