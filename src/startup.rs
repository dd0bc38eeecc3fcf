//! Building the server: the one application state and the whole route table.

use std::net::TcpListener;

use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::error::InternalError;
use actix_web::http::header;
use actix_web::middleware::{DefaultHeaders, from_fn};
use actix_web::web::{self, Data, QueryConfig};
use actix_web::{App, HttpResponse, HttpServer};
use anyhow::Context;

use crate::config::Config;
use crate::keys::KeyStore;
use crate::login::CookieNames;
use crate::oidc::{
    AUTHORIZE_PATH, CALLBACK_PATH, DISCOVERY_PATH, Discovery, HEALTH_PATH, HOME_PATH, JWKS_PATH,
    LOGIN_PATH, LOGOUT_PATH, TOKEN_PATH, USERINFO_PATH,
};
use crate::pages::STYLESHEET_PATH;
use crate::rate_limit::{self, RateLimit};
use crate::request_limits::{form_config, reject_oversized};
use crate::routes::{health, home, login, provider, well_known};
use crate::seal::Sealer;
use crate::telemetry::log_request;
use crate::tokens::Tokens;
use crate::upstream::Upstream;

/// What every handler may read. Built once; immutable while the process lives (the upstream
/// client's discovery and JWKS caches aside, which any instance can refill).
#[derive(Debug)]
pub struct AppState {
    /// The validated configuration.
    pub config: Config,
    /// The JWK Set, pre-serialized.
    pub jwks: well_known::CachedJson,
    /// The discovery document, pre-serialized.
    pub discovery: well_known::CachedJson,
    /// Seals login state, sessions, codes and refresh tokens.
    pub sealer: Sealer,
    /// Mints and verifies monban's JWTs.
    pub tokens: Tokens,
    /// The upstream (Google) client.
    pub upstream: Upstream,
    /// Cookie names and attributes.
    pub cookies: CookieNames,
    /// This instance's per-address counters for the login and token endpoints.
    pub rate_limit: RateLimit,
}

impl AppState {
    /// Serializes the documents that never change while the process lives and derives the
    /// sealing keys: from `session_secrets`, or else from the signing keys.
    pub fn new(config: &Config, keys: &KeyStore) -> anyhow::Result<Self> {
        let max_age = config.jwks_max_age.as_secs();
        let discovery = Discovery::new(config.issuer_str(), keys.algorithms());
        let sealer = if config.session_secrets.is_empty() {
            Sealer::new(keys.seal_materials())
        } else {
            Sealer::new(config.session_secrets.iter().map(|s| s.expose().as_bytes()))
        };
        let redirect_uri = url::Url::parse(&format!("{}{CALLBACK_PATH}", config.issuer_str()))
            .context("building the callback URL")?;
        Ok(Self {
            config: config.clone(),
            jwks: well_known::CachedJson::new(&keys.jwks(), max_age).context("serializing JWKS")?,
            discovery: well_known::CachedJson::new(&discovery, max_age)
                .context("serializing discovery")?,
            sealer,
            tokens: Tokens::new(keys.clone(), config.issuer_str()),
            upstream: Upstream::new(&config.upstream, redirect_uri),
            cookies: CookieNames::new(config.issuer.scheme() == "https"),
            rate_limit: RateLimit::new(&config.rate_limit),
        })
    }
}

/// CORS for the endpoints single-page apps call from the browser: any origin, no cookies (they
/// authenticate with PKCE and Bearer tokens, never with monban's cookies).
fn api_cors() -> Cors {
    Cors::default()
        .allow_any_origin()
        .allowed_methods(["GET", "POST"])
        .allowed_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .max_age(3600)
}

/// Headers on every response: pages load nothing from elsewhere and cannot be framed, nothing is
/// cached unless the handler says so (codes and tokens travel in redirects and bodies), and over
/// https browsers are told to stay on https. HSTS leaves out `includeSubDomains`: monban cannot know
/// whether every sibling host of the organisation already serves https.
fn security_headers(https: bool) -> DefaultHeaders {
    let headers = if https {
        DefaultHeaders::new().add((header::STRICT_TRANSPORT_SECURITY, "max-age=31536000"))
    } else {
        DefaultHeaders::new()
    };
    headers
        .add((header::CACHE_CONTROL, "no-store"))
        .add((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; img-src 'self' https:; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::REFERRER_POLICY, "no-referrer"))
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
        let https = config.issuer.scheme() == "https";
        let server = HttpServer::new(move || {
            App::new()
                .wrap(from_fn(reject_oversized))
                .wrap(security_headers(https))
                .wrap(from_fn(log_request))
                .app_data(state.clone())
                .app_data(form_config())
                .app_data(query_config())
                .service(web::resource(JWKS_PATH).get(well_known::jwks))
                .service(web::resource(DISCOVERY_PATH).get(well_known::discovery))
                .service(web::resource(HEALTH_PATH).get(health::healthz))
                .service(web::resource(HOME_PATH).get(home::home))
                .service(web::resource(STYLESHEET_PATH).get(home::stylesheet))
                .service(
                    web::resource(LOGIN_PATH)
                        .wrap(from_fn(rate_limit::limit))
                        .get(login::login),
                )
                .service(
                    web::resource(CALLBACK_PATH)
                        .wrap(from_fn(rate_limit::limit))
                        .get(login::callback),
                )
                .service(
                    web::resource(AUTHORIZE_PATH)
                        .wrap(from_fn(rate_limit::limit))
                        .get(provider::authorize),
                )
                .service(
                    web::resource(TOKEN_PATH)
                        .wrap(from_fn(rate_limit::limit))
                        .wrap(api_cors())
                        .post(provider::token),
                )
                .service(
                    web::resource(USERINFO_PATH)
                        .wrap(api_cors())
                        .get(provider::userinfo)
                        .post(provider::userinfo),
                )
                .service(
                    web::resource(LOGOUT_PATH)
                        .get(login::logout)
                        .post(login::logout),
                )
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
