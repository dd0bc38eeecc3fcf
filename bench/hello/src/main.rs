//! The floor for `bench/run.sh`: the smallest actix-web server that answers JSON, built with the
//! workspace's release profile. It serves the bytes of the file `HELLO_JSON` (or `{"hello":"world"}`)
//! at every path, on 127.0.0.1:`PORT`, with actix-web's default worker count, as monban does.

use actix_web::{App, HttpResponse, HttpServer, web};

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(8080);
    let body = match std::env::var("HELLO_JSON") {
        Ok(path) => web::Bytes::from(std::fs::read(path)?),
        Err(_) => web::Bytes::from_static(br#"{"hello":"world"}"#),
    };
    HttpServer::new(move || {
        let body = body.clone();
        App::new().default_service(web::to(move || {
            let body = body.clone();
            async move {
                HttpResponse::Ok()
                    .content_type("application/json")
                    .body(body)
            }
        }))
    })
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
