//! `GET /`: who is signed in, or the sign-in button; and the stylesheet.

use actix_web::http::header;
use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse};

use crate::http::pages;
use crate::http::state::AppState;

/// The home page.
pub async fn home(req: HttpRequest, state: Data<AppState>) -> HttpResponse {
    let org = &state.config.org_name;
    let page = match state.session(&req, state.now()) {
        Some(session) => pages::signed_in(org, &session),
        None => pages::signed_out(org),
    };
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(page)
}

/// The stylesheet, cacheable for a day.
pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(pages::STYLESHEET)
}
