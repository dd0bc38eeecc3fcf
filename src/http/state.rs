//! The one application state every handler and middleware reads. Built once at start-up;
//! immutable while the process lives (the upstream client's discovery and JWKS caches aside,
//! which any instance can refill).

use actix_web::HttpRequest;
use actix_web::http::header::{self, HeaderMap};
use anyhow::Context;

use super::cached_json::CachedJson;
use super::limiter::RateLimit;
use super::pages::Frame;
use crate::backchannel::Notifier;
use crate::clock::Clock;
use crate::config::{Config, SealingSecret};
use crate::i18n::Locale;
use crate::keys::KeyStore;
use crate::once::Once;
use crate::outbound::{KeySets, Outbound};
use crate::protocol::discovery::Discovery;
use crate::protocol::grants::TokenService;
use crate::protocol::logout::SignOutProof;
use crate::protocol::paths::CALLBACK_PATH;
use crate::session::Session;
use crate::session::cookies::CookieNames;
use crate::session::seal::{Purpose, Sealer};
use crate::tokens::Tokens;
use crate::upstream::Upstream;

/// What every handler may read.
#[derive(Debug)]
pub struct AppState {
    /// The validated configuration.
    pub config: Config,
    /// The JWK Set, pre-serialized.
    pub jwks: CachedJson,
    /// The discovery document, pre-serialized.
    pub discovery: CachedJson,
    /// Seals login state, sessions, codes and refresh tokens.
    pub sealer: Sealer,
    /// Mints and verifies monban's JWTs.
    pub tokens: Tokens,
    /// The upstream (Google) client.
    pub upstream: Upstream,
    /// Calls to other servers than the upstream: clients' key sets, logout tokens.
    pub outbound: Outbound,
    /// Clients' `jwks_uri` key sets, as last fetched.
    pub client_keys: KeySets,
    /// Cookie names and attributes.
    pub cookies: CookieNames,
    /// This instance's per-address counters for the login and token endpoints.
    pub rate_limit: RateLimit,
    /// The sign-ins this instance already told the services about.
    pub recent_sign_outs: Once,
    /// The authorization codes this instance has redeemed, until they expire.
    pub spent_codes: Once,
    /// The OpenSSH user CA and its published files, when `[ssh]` has CA keys.
    pub ssh: Option<SshCa>,
    /// The time, as handlers read it.
    pub clock: Clock,
}

/// The OpenSSH user CA, with its public keys and `known_hosts` line made once, like the JWKS.
#[derive(Debug)]
pub struct SshCa {
    /// Signs certificates.
    pub ca: crate::ssh::Ca,
    /// `/ssh/ca.pub`.
    pub public_keys: CachedJson,
    /// `/ssh/known_hosts`.
    pub known_hosts: CachedJson,
}

impl SshCa {
    fn load(settings: &crate::config::SshSettings, max_age: u64) -> anyhow::Result<Self> {
        let ca = crate::ssh::Ca::load(settings)?;
        Ok(Self {
            public_keys: CachedJson::text(ca.public_lines(), max_age),
            known_hosts: CachedJson::text(ca.known_hosts(), max_age),
            ca,
        })
    }
}

impl AppState {
    /// Serializes the documents that never change while the process lives and derives the
    /// sealing keys ([`sealer`]).
    pub fn new(config: &Config, keys: &KeyStore, clock: Clock) -> anyhow::Result<Self> {
        let max_age = config.jwks_max_age.as_secs();
        let discovery = Discovery::new(config.issuer_str(), keys.algorithms());
        let redirect_uri = url::Url::parse(&format!("{}{CALLBACK_PATH}", config.issuer_str()))
            .context("building the callback URL")?;
        Ok(Self {
            config: config.clone(),
            jwks: CachedJson::new(&keys.jwks(), max_age).context("serializing JWKS")?,
            discovery: CachedJson::new(&discovery, max_age).context("serializing discovery")?,
            sealer: sealer(config, keys),
            tokens: Tokens::new(keys.clone(), config.issuer_str()),
            upstream: Upstream::new(&config.upstream, redirect_uri),
            outbound: Outbound::new(config.upstream.timeout),
            client_keys: KeySets::default(),
            cookies: CookieNames::new(config.issuer.scheme() == "https"),
            rate_limit: RateLimit::new(&config.rate_limit),
            recent_sign_outs: Once::default(),
            spent_codes: Once::default(),
            ssh: config
                .ssh
                .as_ref()
                .map(|s| SshCa::load(s, max_age))
                .transpose()?,
            clock,
        })
    }

    /// Seconds since the epoch, from this state's clock.
    pub fn now(&self) -> u64 {
        self.clock.now()
    }

    /// The signed-in user at `now`, if the request carries a valid session cookie that the
    /// administrator has not signed out.
    pub fn session(&self, req: &HttpRequest, now: u64) -> Option<Session> {
        let cookie = req.cookie(self.cookies.session)?;
        let session: Session = self
            .sealer
            .open(Purpose::Session, cookie.value(), now)
            .ok()?;
        let signed_out = self
            .config
            .admission
            .sign_outs
            .signed_out(&session.email, session.auth_time);
        (!signed_out).then_some(session)
    }

    /// The SSO session cookie for `session`: sealed until the session ends (its sign-in plus
    /// `session_ttl_secs`), and kept by the browser as long.
    pub fn session_cookie(&self, session: &Session) -> actix_web::cookie::Cookie<'static> {
        let end = session.auth_time + self.config.lifetimes.session.as_secs();
        let sealed = self.sealer.seal(Purpose::Session, session, end);
        let left = std::time::Duration::from_secs(end.saturating_sub(self.now()));
        self.cookies.build(self.cookies.session, sealed, Some(left))
    }

    /// The sealed proof, for monban's own sign-out forms, that they were made for `session`; it
    /// lasts as long as the session.
    pub fn sign_out_proof(&self, session: &Session) -> String {
        let end = session.auth_time + self.config.lifetimes.session.as_secs();
        self.sealer
            .seal(Purpose::SignOut, &SignOutProof::of(session), end)
    }

    /// What every page of this request shows: the language its `Accept-Language` asks for
    /// (else `default_locale`), the organisation, its logo and monban's host.
    pub fn frame(&self, headers: &HeaderMap) -> Frame<'_> {
        let accept = headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok());
        Frame {
            locale: Locale::negotiate(accept, self.config.pages.default_locale),
            org: &self.config.org_name,
            host: self.config.issuer.host_str().unwrap_or_default(),
            logo: self.config.pages.logo_url.as_ref().map(url::Url::as_str),
        }
    }

    /// Tells clients that a sign-in ended (back-channel logout).
    pub fn notifier(&self) -> Notifier<'_> {
        Notifier {
            tokens: &self.tokens,
            http: &self.outbound,
            timeout: self.config.backchannel_logout_timeout,
        }
    }

    /// The token endpoint's service over this state.
    pub fn token_service(&self) -> TokenService<'_> {
        TokenService {
            tokens: &self.tokens,
            sealer: &self.sealer,
            config: &self.config,
            spent_codes: &self.spent_codes,
        }
    }
}

/// The sealer of a deployment: keyed with its `session_secrets`, or else with seeds derived from
/// its signing keys.
pub fn sealer(config: &Config, keys: &KeyStore) -> Sealer {
    if config.session_secrets.is_empty() {
        Sealer::new(config.issuer_str(), keys.seal_materials())
    } else {
        let secrets = config.session_secrets.iter().map(SealingSecret::bytes);
        Sealer::new(config.issuer_str(), secrets)
    }
}
