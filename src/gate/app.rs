//! The gate's route table: its own paths under `/_monban/`, and everything else proxied to the app.

use std::net::TcpListener;

use actix_web::web::{self, Data};
use actix_web::{App, HttpServer};

use super::{
    AUTH_PATH, CALLBACK_PATH, Gate, HEALTH_PATH, LOGOUT_PATH, START_PATH, forward_auth, handlers,
};

/// How long the gate waits for the app to start answering a request.
const APP_ANSWER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// The gate's server on `listener` (not yet running).
pub fn server(gate: Gate, listener: TcpListener) -> anyhow::Result<actix_web::dev::Server> {
    let gate = Data::new(gate);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(gate.clone())
            // awc's client lives in one worker thread; each worker has its own pool. An app may
            // take a while to answer (an export, a large save): awc's own 5 s would cut it, so the
            // gate waits as long as nginx does by default (`proxy_read_timeout`).
            .app_data(Data::new(
                awc::Client::builder()
                    .disable_redirects()
                    .timeout(APP_ANSWER_TIMEOUT)
                    .finish(),
            ))
            .route(START_PATH, web::route().to(handlers::start))
            .route(CALLBACK_PATH, web::get().to(handlers::callback))
            .route(LOGOUT_PATH, web::get().to(handlers::logout_page))
            .route(LOGOUT_PATH, web::post().to(handlers::logout))
            .route(AUTH_PATH, web::route().to(forward_auth::auth))
            .route(HEALTH_PATH, web::get().to(|| async { "ok" }))
            .default_service(web::to(handlers::app))
    })
    .listen(listener)?
    .run();
    Ok(server)
}
