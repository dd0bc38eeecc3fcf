//! `monban gate`: a reverse proxy in front of one app that speaks no OpenID Connect (a notebook
//! server, a dashboard, a static site). It is an ordinary client of monban (discovery, code flow
//! with PKCE, state and nonce), keeps the person in its own sealed cookie on the app's host, checks
//! monban's access token offline against monban's JWKS, and passes the person to the app as
//! headers it alone sets: `X-Forwarded-User` (the `sub`), `X-Forwarded-Email`,
//! `X-Forwarded-Roles` (comma list) and `X-Monban-Token` (the access token, which the app may
//! verify itself; it verified at sign-in, and the gate passes it only for the person its sealed
//! cookie names), renewing that token at monban when it expires ([`renewal`]). It also answers
//! forward-auth subrequests for a proxy that is already there.
//!
//! Like monban it stores nothing: any instance serves any request, and while monban is briefly
//! down everyone already signed in keeps working (only signing in needs monban).

use std::net::TcpListener;

use actix_web::HttpRequest;
use monban_verify::Verifier;
use tokio::sync::OnceCell;

use crate::clock::Clock;
use crate::config::{SealingSecret, Upstream as UpstreamSettings};
use crate::session::seal::Sealer;
use crate::upstream::Upstream;

mod app;
pub mod config;
mod forward_auth;
mod handlers;
pub mod headers;
mod kind;
pub mod proxy;
mod renewal;
pub mod session;

pub use app::server;
pub use config::GateConfig;
use headers::Hop;
use session::GateCookies;

/// Where the gate starts a sign-in (`?rd=` where to return).
pub const START_PATH: &str = "/_monban/start";
/// Where monban sends the browser back (register `{MONBAN_GATE__URL}/_monban/callback`).
pub const CALLBACK_PATH: &str = "/_monban/callback";
/// A page with the sign-out button (GET); a same-origin POST clears the gate's cookies, then signs
/// out at monban.
pub const LOGOUT_PATH: &str = "/_monban/logout";
/// The forward-auth endpoint.
pub const AUTH_PATH: &str = "/_monban/auth";
/// Answers 200 while the process runs (a start-up probe; never proxied).
pub const HEALTH_PATH: &str = "/_monban/healthz";

/// What every request of the gate reads.
pub struct Gate {
    /// Its settings.
    pub config: GateConfig,
    sealer: Sealer,
    cookies: GateCookies,
    /// monban, as this gate's OpenID provider.
    monban: Upstream,
    /// Checks monban's access tokens offline; made on first need, so the gate starts without
    /// monban.
    verifier: OnceCell<Verifier>,
    clock: Clock,
}

impl Gate {
    /// The gate for `config`, reading time from `clock`.
    pub fn new(config: GateConfig, clock: Clock) -> anyhow::Result<Self> {
        let origin = config.origin().to_string();
        let sealer = Sealer::new(
            &origin,
            config.session_secrets.iter().map(SealingSecret::bytes),
        );
        let settings = UpstreamSettings {
            issuer: config.issuer.clone(),
            client_id: config.client_id.clone(),
            client_secret: config.client_secret.clone(),
            timeout: config.timeout,
        };
        let callback = url::Url::parse(&format!("{origin}{CALLBACK_PATH}"))?;
        Ok(Self {
            cookies: GateCookies::new(config.url.scheme() == "https"),
            monban: Upstream::new(&settings, callback),
            sealer,
            verifier: OnceCell::new(),
            clock,
            config,
        })
    }

    fn now(&self) -> u64 {
        self.clock.now()
    }

    /// What the gate knows of the way `req` came.
    fn hop<'a>(&'a self, req: &HttpRequest) -> Hop<'a> {
        Hop {
            peer: req.peer_addr().map(|a| a.ip()),
            trusted_proxies: self.config.trusted_proxy_hops,
            host: &self.config.url[url::Position::BeforeHost..url::Position::AfterPort],
            proto: self.config.url.scheme(),
        }
    }

    async fn verifier(&self) -> Result<&Verifier, String> {
        let issuer = self.config.issuer.as_str().trim_end_matches('/');
        self.verifier
            .get_or_try_init(|| Verifier::discover(issuer, &self.config.client_id))
            .await
            .map_err(|e| e.to_string())
    }
}

/// `monban gate`: serves on `PORT` until SIGTERM.
pub async fn serve(config: GateConfig) -> anyhow::Result<()> {
    let listener = TcpListener::bind(("0.0.0.0", config.port))?;
    tracing::info!(port = config.port, upstream = %config.upstream, "monban gate listening");
    println!("monban gate listening on {}", listener.local_addr()?);
    server(Gate::new(config, Clock::system())?, listener)?.await?;
    Ok(())
}
