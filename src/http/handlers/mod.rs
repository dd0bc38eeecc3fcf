//! One thin handler file per URL group, named after it: each handler reads the request, calls the
//! protocol's plain functions with `now`, and maps the result (errors through `http::error`).

pub mod authorize;
pub mod callback;
pub mod health;
pub mod home;
pub mod introspect;
pub mod login;
pub mod logout;
pub mod ssh;
pub mod token;
pub mod userinfo;
pub mod well_known;

use actix_web::HttpResponse;
use actix_web::http::header;

/// `303 See Other` to `location`, never cached (it may carry a code or a state).
fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}
