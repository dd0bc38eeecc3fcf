//! Building the server: the one application state and the whole route table.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::web::{self, Data};
use actix_web::{App, HttpResponse, HttpServer};
use anyhow::Context;

use crate::config::Config;
use crate::keys::KeyStore;
use crate::oidc::{DISCOVERY_PATH, Discovery, HEALTH_PATH, JWKS_PATH};
use crate::routes::{health, well_known};
use crate::telemetry::log_request;

/// What every handler may read. Built once; immutable while the process lives.
#[derive(Debug)]
pub struct AppState {
    /// The JWK Set, pre-serialized.
    pub jwks: well_known::CachedJson,
    /// The discovery document, pre-serialized.
    pub discovery: well_known::CachedJson,
}

impl AppState {
    /// Serializes the documents that never change while the process lives.
    pub fn new(config: &Config, keys: &KeyStore) -> anyhow::Result<Self> {
        let max_age = config.jwks_max_age.as_secs();
        let discovery = Discovery::new(config.issuer_str(), keys.algorithms());
        Ok(Self {
            jwks: well_known::CachedJson::new(&keys.jwks(), max_age).context("serializing JWKS")?,
            discovery: well_known::CachedJson::new(&discovery, max_age)
                .context("serializing discovery")?,
        })
    }
}

/// A bound, ready-to-run server.
pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Builds the server on a bound listener (tests bind port 0 and put the port in the issuer).
    /// Must run inside an actix or tokio runtime.
    pub fn build(config: &Config, keys: &KeyStore, listener: TcpListener) -> anyhow::Result<Self> {
        let port = listener.local_addr()?.port();
        let state = Data::new(AppState::new(config, keys)?);
        let server = HttpServer::new(move || {
            App::new()
                .wrap(from_fn(log_request))
                .app_data(state.clone())
                .service(web::resource(JWKS_PATH).get(well_known::jwks))
                .service(web::resource(DISCOVERY_PATH).get(well_known::discovery))
                .service(web::resource(HEALTH_PATH).get(health::healthz))
                .default_service(web::to(not_found))
        })
        // Cloud Run allows about 10 s between SIGTERM and SIGKILL; in-flight requests get this long.
        .shutdown_timeout(config.shutdown_grace.as_secs())
        .listen(listener)?
        .run();
        Ok(Self { port, server })
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGTERM/SIGINT, then lets in-flight requests finish within the grace period.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

async fn not_found() -> HttpResponse {
    HttpResponse::NotFound()
        .content_type("text/plain; charset=utf-8")
        .body("not found")
}
