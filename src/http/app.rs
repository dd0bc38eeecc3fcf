//! Building the server: the one application state and the whole route table, on one screen.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};

use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::error::InternalError;
use actix_web::http::header;
use actix_web::middleware::from_fn;
use actix_web::web::{self, Data, QueryConfig};
use actix_web::{App, HttpResponse, HttpServer};
use anyhow::Context;

use super::handlers::{
    authorize, callback, health, home, introspect, login, logout, ssh, token, userinfo, well_known,
};
use super::middleware::rate_limit::limit;
use super::middleware::request_log::log_request;
use super::middleware::security_headers::security_headers;
use super::middleware::size_limits::{MAX_FORM_BYTES, form_config, reject_oversized};
use super::pages::STYLESHEET_PATH;
use super::state::AppState;
use crate::clock::Clock;
use crate::config::Config;
use crate::keys::KeyStore;
use crate::protocol::paths::{
    AUTHORIZE_PATH, CALLBACK_PATH, DISCOVERY_PATH, HEALTH_PATH, HOME_PATH, INTROSPECTION_PATH,
    JWKS_PATH, LOGIN_PATH, LOGOUT_PATH, SSH_CA_PATH, SSH_CERTIFICATE_PATH, SSH_KNOWN_HOSTS_PATH,
    TOKEN_PATH, USERINFO_PATH,
};

/// CORS for the endpoints single-page apps call from the browser: any origin, no cookies (they
/// authenticate with PKCE and Bearer tokens, never with monban's cookies).
fn api_cors() -> Cors {
    Cors::default()
        .allow_any_origin()
        .allowed_methods(["GET", "POST"])
        .allowed_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .max_age(3600)
}

/// The route table: every path constant, its methods, and what wraps it.
fn routes(cfg: &mut web::ServiceConfig) {
    let limited = || from_fn(limit);
    cfg.service(web::resource(JWKS_PATH).get(well_known::jwks))
        .service(web::resource(DISCOVERY_PATH).get(well_known::discovery))
        .service(web::resource(HEALTH_PATH).get(health::healthz))
        .service(web::resource(HOME_PATH).get(home::home))
        .service(web::resource(STYLESHEET_PATH).get(home::stylesheet))
        .service(web::resource(LOGIN_PATH).wrap(limited()).get(login::login))
        .service(
            web::resource(CALLBACK_PATH)
                .wrap(limited())
                .get(callback::callback),
        )
        .service(
            web::resource(AUTHORIZE_PATH)
                .wrap(limited())
                .app_data(web::PayloadConfig::new(MAX_FORM_BYTES))
                .get(authorize::authorize)
                .post(authorize::authorize_post),
        )
        .service(
            web::resource(TOKEN_PATH)
                .wrap(limited())
                .wrap(api_cors())
                .post(token::token),
        )
        .service(
            web::resource(INTROSPECTION_PATH)
                .wrap(limited())
                .post(introspect::introspection),
        )
        .service(
            web::resource(USERINFO_PATH)
                .wrap(api_cors())
                .get(userinfo::userinfo)
                .post(userinfo::userinfo),
        )
        .service(
            web::resource(LOGOUT_PATH)
                .wrap(limited())
                .get(logout::logout)
                .post(logout::logout_form),
        )
        .service(web::resource(SSH_CA_PATH).get(ssh::ca_pub))
        .service(web::resource(SSH_KNOWN_HOSTS_PATH).get(ssh::known_hosts))
        .service(
            web::resource(SSH_CERTIFICATE_PATH)
                .wrap(limited())
                .post(ssh::issue),
        );
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
        Self::build_with_clock(config, keys, listener, Clock::system())
    }

    /// [`Application::build`] with a clock of the caller's (tests move it to test lifetimes).
    pub fn build_with_clock(
        config: &Config,
        keys: &KeyStore,
        listener: TcpListener,
        clock: Clock,
    ) -> anyhow::Result<Self> {
        let port = listener.local_addr()?.port();
        let state = Data::new(AppState::new(config, keys, clock)?);
        let https = config.issuer.scheme() == "https";
        let server = HttpServer::new(move || {
            App::new()
                .wrap(from_fn(reject_oversized))
                .wrap(security_headers(https))
                .wrap(from_fn(log_request))
                .app_data(state.clone())
                .app_data(form_config())
                .app_data(query_config())
                .configure(routes)
                .default_service(web::to(not_found))
        })
        // Cloud Run allows about 10 s between SIGTERM and SIGKILL; in-flight requests get this long.
        .shutdown_timeout(config.shutdown_grace.as_secs())
        .listen(listener)?
        .run();
        Ok(Self { port, server })
    }

    /// A handle to stop the server (tests stop one instance and start another).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
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

/// Binds `0.0.0.0:$PORT` and serves until SIGTERM: what `monban serve` and `monban dev` run.
pub async fn serve(config: &Config, keys: &KeyStore) -> anyhow::Result<()> {
    let addr = SocketAddr::from((Ipv4Addr::UNSPECIFIED, config.port));
    let listener = TcpListener::bind(addr).with_context(|| format!("cannot listen on {addr}"))?;
    let app = Application::build(config, keys, listener)?;
    tracing::info!(
        port = app.port(),
        issuer = config.issuer_str(),
        signing_kid = keys.active().kid.as_str(),
        keys = keys.all().len(),
        "monban listening on port {}",
        app.port()
    );
    app.run_until_stopped().await?;
    tracing::info!("monban stopped");
    Ok(())
}

/// A query string that does not fit the endpoint's parameters: 400 with the reason, not actix's
/// generic text.
fn query_config() -> QueryConfig {
    QueryConfig::default().error_handler(|err, _req| {
        let response = HttpResponse::BadRequest()
            .content_type("text/plain; charset=utf-8")
            .body(format!("the query string cannot be read: {err}"));
        InternalError::from_response(err, response).into()
    })
}

async fn not_found() -> HttpResponse {
    HttpResponse::NotFound()
        .content_type("text/plain; charset=utf-8")
        .body("not found")
}
