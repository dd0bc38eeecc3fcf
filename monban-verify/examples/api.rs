//! An API registered in monban (`[[apis]]`), verifying tokens whose audience is its own identifier
//! rather than any one front end's client id: tokens a service got for it (client credentials or
//! a user's code with `resource=`), or exchanged for a user (RFC 8693, with `act`).
//!
//! ```sh
//! API_ID=https://inventory.lab.example.org/ cargo run -p monban-verify --features actix --example api
//! curl -H "Authorization: Bearer $ACCESS_TOKEN" localhost:8082/items
//! ```

use actix_web::{App, HttpServer, Responder, get, web};
use monban_verify::Verifier;
use monban_verify::actix::{AuthError, Verified};

/// Needs the API's `inventory:read` scope; says who asks, and through which service.
#[get("/items")]
async fn items(token: Verified) -> Result<impl Responder, AuthError> {
    let claims = token.require_scope("inventory:read")?;
    Ok(web::Json(serde_json::json!({
        "for": claims.sub,
        "email": claims.email,
        // The service acting for the user, when the token came from a token exchange.
        "via": claims.act.as_ref().map(|a| a.sub.clone()),
        "items": ["pipette", "centrifuge"],
    })))
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let issuer = std::env::var("MONBAN_ISSUER").unwrap_or_else(|_| "http://localhost:8080".into());
    // The API's identifier is the audience: the `id` of its `[[apis]]` table.
    let api =
        std::env::var("API_ID").unwrap_or_else(|_| "https://inventory.lab.example.org/".into());
    let verifier = Verifier::discover(&issuer, &api)
        .await
        .map_err(std::io::Error::other)?;
    println!("protecting http://localhost:8082/items for {api}, tokens from {issuer}");
    let data = web::Data::new(verifier);
    HttpServer::new(move || App::new().app_data(data.clone()).service(items))
        .bind(("127.0.0.1", 8082))?
        .run()
        .await
}
