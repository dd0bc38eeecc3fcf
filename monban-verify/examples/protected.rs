//! A sibling service with one protected endpoint, verifying monban's tokens offline.
//!
//! ```sh
//! cargo run --release -- dev                                   # monban on :8080, demo client
//! cargo run -p monban-verify --features actix --example protected
//! curl -H "Authorization: Bearer $ACCESS_TOKEN" localhost:8081/me
//! ```

use actix_web::{App, HttpServer, Responder, get, web};
use monban_verify::Verifier;
use monban_verify::actix::{AuthError, Verified};

#[get("/me")]
async fn me(user: Verified) -> impl Responder {
    web::Json(
        serde_json::json!({ "sub": user.0.sub, "email": user.0.email, "roles": user.0.roles }),
    )
}

#[get("/admin")]
async fn admin(user: Verified) -> Result<impl Responder, AuthError> {
    let claims = user.require_role("admin")?;
    Ok(format!("hello, admin {}", claims.sub))
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let issuer = std::env::var("MONBAN_ISSUER").unwrap_or_else(|_| "http://localhost:8080".into());
    let audience = std::env::var("CLIENT_ID").unwrap_or_else(|_| "demo".into());
    let verifier = Verifier::discover(&issuer, &audience)
        .await
        .map_err(std::io::Error::other)?;
    println!("protecting http://localhost:8081/me and /admin with tokens from {issuer}");
    let data = web::Data::new(verifier);
    HttpServer::new(move || App::new().app_data(data.clone()).service(me).service(admin))
        .bind(("127.0.0.1", 8081))?
        .run()
        .await
}
