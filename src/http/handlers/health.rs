//! `GET /healthz`: answers as soon as the server accepts requests. monban has no database or
//! upstream it must reach to serve tokens' keys, so liveness and readiness are the same thing.

use actix_web::{HttpResponse, http::header};

/// Always `200 ok`, never cached.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type("text/plain; charset=utf-8")
        .body("ok")
}
