//! Verify monban's access tokens offline, in microseconds.
//!
//! ```no_run
//! # async fn run(token: &str) -> Result<(), Box<dyn std::error::Error>> {
//! let verifier = monban_verify::Verifier::discover("https://login.example.org", "wiki").await?;
//! let claims = verifier.verify(token).await?;
//! println!("{} <{:?}> roles {:?}", claims.sub, claims.email, claims.roles);
//! # Ok(()) }
//! ```
//!
//! [`Verifier::discover`] reads monban's discovery document and JWKS once. After that a token
//! whose key is known is verified with no network call at all: the signature with the algorithm
//! of the key (never the token's), `iss`, `aud`, `exp`/`nbf` with a small leeway, and the header
//! `typ: at+jwt` (so an ID token is not an access token). The keys are refreshed in the
//! background when the JWKS's `Cache-Control: max-age` runs out; a token with an unknown `kid`
//! triggers at most one refetch per interval, so a flood of forged kids cannot become a flood of
//! requests; and when monban is unreachable the cached keys keep working (stale-if-error).

#[cfg(feature = "actix")]
pub mod actix;
pub mod contract;
mod logout;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{Duration, Instant};

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

pub use contract::{ACCESS_TOKEN_TYP, Claims, LogoutClaims};

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// Not a JWT, or an algorithm no key is made for (`none` included). Reject the request.
    #[error("the token is malformed")]
    Malformed,
    /// No key has this `kid`, even after a refetch of the JWKS (or one was made too recently).
    /// Reject the request; a genuinely new key is found on the next refetch.
    #[error("the token was signed with an unknown key")]
    UnknownKey,
    /// The header's `alg` is not the algorithm of the key: a forgery attempt. Reject.
    #[error("the token's algorithm does not match its key")]
    AlgorithmMismatch,
    /// Not an access token (`typ` is not `at+jwt`): e.g. an ID token. Reject.
    #[error("the token is not an access token")]
    WrongType,
    /// The signature does not verify: the token was altered or forged. Reject.
    #[error("the token's signature is invalid")]
    BadSignature,
    /// `iss` is not the monban this verifier trusts. Reject.
    #[error("the token was issued by someone else")]
    WrongIssuer,
    /// `aud` is not this service: the token was meant for another one. Reject.
    #[error("the token is for another audience")]
    WrongAudience,
    /// `exp` has passed (beyond the leeway): the client should refresh its token.
    #[error("the token has expired")]
    Expired,
    /// `nbf` is in the future (beyond the leeway): clocks disagree. Reject.
    #[error("the token is not valid yet")]
    NotYetValid,
    /// A required claim (`sub`, `exp`, `iss`, `aud`) is missing or has the wrong shape. Reject.
    #[error("the token lacks a required claim")]
    MissingClaim,
    /// A logout token without the back-channel logout event or `iat`, or with a `nonce`
    /// (§2.6): it is some other kind of token. Reject.
    #[error("the token is not a back-channel logout token")]
    NotALogoutToken,
}

/// Why [`Verifier::discover`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DiscoveryError {
    /// monban could not be reached or answered with an error. Retry later.
    #[error("cannot fetch {url}: {reason}")]
    Unreachable {
        /// What was fetched.
        url: String,
        /// Why it failed.
        reason: String,
    },
    /// The discovery document or JWKS is not what monban publishes (wrong issuer, bad JSON).
    #[error("unexpected document at {url}: {reason}")]
    Invalid {
        /// What was fetched.
        url: String,
        /// What is wrong.
        reason: String,
    },
}

/// Settings of a [`Verifier`].
#[derive(Debug, Clone)]
pub struct Options {
    /// Clock skew tolerated on `exp` and `nbf`. Default 30 s.
    pub leeway: Duration,
    /// At most one JWKS refetch per this interval for unknown kids, and the retry delay after a
    /// failed background refresh. Default 60 s.
    pub refetch_interval: Duration,
    /// JWKS lifetime when monban sends no `max-age`. Default 900 s.
    pub default_max_age: Duration,
    /// Timeout of every request to monban. Default 5 s.
    pub timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            leeway: Duration::from_secs(30),
            refetch_interval: Duration::from_secs(60),
            default_max_age: Duration::from_secs(900),
            timeout: Duration::from_secs(5),
        }
    }
}

struct Key {
    alg: Algorithm,
    decoding: DecodingKey,
    /// Built once per key, not per token: the hot path allocates nothing for its checks.
    validation: Validation,
}

/// What every token must satisfy, whatever its key.
struct Expectations<'a> {
    issuer: &'a str,
    audience: &'a str,
    leeway: Duration,
}

struct Inner {
    issuer: String,
    audience: String,
    jwks_uri: String,
    http: reqwest::Client,
    options: Options,
    keys: RwLock<Arc<HashMap<String, Arc<Key>>>>,
    /// When the last unknown-kid refetch was made: the gate of the refetch rate limit.
    last_refetch: Mutex<Option<Instant>>,
}

/// Verifies monban's access tokens for one service (audience). Cheap to clone; clones share the
/// key cache. No globals: several verifiers can live in one process.
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("issuer", &self.inner.issuer)
            .field("audience", &self.inner.audience)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct Discovery {
    issuer: String,
    jwks_uri: String,
}

impl Verifier {
    /// Reads `{issuer}/.well-known/openid-configuration` and the JWKS, and starts refreshing the
    /// keys in the background. `audience` is this service's client id at monban. Must be called
    /// inside a tokio runtime (actix-web's is one).
    pub async fn discover(issuer: &str, audience: &str) -> Result<Self, DiscoveryError> {
        Self::discover_with(issuer, audience, Options::default()).await
    }

    /// [`Verifier::discover`] with explicit [`Options`].
    pub async fn discover_with(
        issuer: &str,
        audience: &str,
        options: Options,
    ) -> Result<Self, DiscoveryError> {
        let issuer = contract::canonical_issuer(issuer).to_string();
        let issuer_url = trusted_issuer(&issuer)?;
        let http = reqwest::Client::builder()
            .timeout(options.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| DiscoveryError::Unreachable {
                url: issuer.clone(),
                reason: e.to_string(),
            })?;
        let url = format!("{issuer}/.well-known/openid-configuration");
        let discovery: Discovery = fetch_json(&http, &url).await?.0;
        if discovery.issuer != issuer {
            return Err(DiscoveryError::Invalid {
                url,
                reason: format!("it names issuer {}, expected {issuer}", discovery.issuer),
            });
        }
        same_origin(&issuer_url, &discovery.jwks_uri).map_err(|reason| {
            DiscoveryError::Invalid {
                url: url.clone(),
                reason,
            }
        })?;
        let (jwks, max_age) = fetch_json::<JwkSet>(&http, &discovery.jwks_uri).await?;
        let verifier = Self::build(issuer, audience, discovery.jwks_uri, http, options, &jwks);
        verifier.schedule_refresh(max_age.unwrap_or(verifier.inner.options.default_max_age));
        Ok(verifier)
    }

    /// A verifier over a fixed JWK Set, with no network at all (tests, benchmarks, air-gapped
    /// services that ship the JWKS). Unknown kids are simply refused.
    pub fn from_jwks(issuer: &str, audience: &str, jwks: &JwkSet, options: Options) -> Self {
        Self::build(
            contract::canonical_issuer(issuer).to_string(),
            audience,
            String::new(),
            reqwest::Client::new(),
            options,
            jwks,
        )
    }

    fn build(
        issuer: String,
        audience: &str,
        jwks_uri: String,
        http: reqwest::Client,
        options: Options,
        jwks: &JwkSet,
    ) -> Self {
        let keys = RwLock::new(Arc::new(key_map(
            jwks,
            &Expectations {
                issuer: &issuer,
                audience,
                leeway: options.leeway,
            },
        )));
        Self {
            inner: Arc::new(Inner {
                issuer,
                audience: audience.to_string(),
                jwks_uri,
                http,
                options,
                keys,
                last_refetch: Mutex::new(None),
            }),
        }
    }

    /// Verifies `token`. A known key means no network call; an unknown `kid` refetches the JWKS
    /// once (at most once per `refetch_interval` across all calls) and tries again.
    pub async fn verify(&self, token: &str) -> Result<Claims, VerifyError> {
        match self.verify_cached(token) {
            Err(VerifyError::UnknownKey) if self.claim_refetch() => {
                if let Err(e) = self.inner.refetch().await {
                    tracing::warn!(error = %e, "monban JWKS refetch failed; keeping cached keys");
                }
                self.verify_cached(token)
            }
            other => other,
        }
    }

    /// Verifies `token` with the cached keys only: never a network call.
    pub fn verify_cached(&self, token: &str) -> Result<Claims, VerifyError> {
        self.decode(token, ACCESS_TOKEN_TYP)
    }

    /// The signature with the key's own algorithm, the header `typ`, and the validation every
    /// key carries (`iss`, `aud`, `exp`, required claims).
    pub(crate) fn decode<T: serde::de::DeserializeOwned>(
        &self,
        token: &str,
        typ: &str,
    ) -> Result<T, VerifyError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| VerifyError::Malformed)?;
        let key = {
            let keys = self.inner.keys.read().unwrap_or_else(|p| p.into_inner());
            header
                .kid
                .as_deref()
                .and_then(|kid| keys.get(kid))
                .cloned()
                .ok_or(VerifyError::UnknownKey)?
        };
        if header.alg != key.alg {
            return Err(VerifyError::AlgorithmMismatch);
        }
        if header.typ.as_deref() != Some(typ) {
            return Err(VerifyError::WrongType);
        }
        jsonwebtoken::decode::<T>(token, &key.decoding, &key.validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                ErrorKind::InvalidSignature => VerifyError::BadSignature,
                ErrorKind::InvalidIssuer => VerifyError::WrongIssuer,
                ErrorKind::InvalidAudience => VerifyError::WrongAudience,
                ErrorKind::ExpiredSignature => VerifyError::Expired,
                ErrorKind::ImmatureSignature => VerifyError::NotYetValid,
                ErrorKind::InvalidAlgorithm => VerifyError::AlgorithmMismatch,
                ErrorKind::MissingRequiredClaim(_) | ErrorKind::Json(_) => {
                    VerifyError::MissingClaim
                }
                _ => VerifyError::Malformed,
            })
    }

    /// Takes the refetch slot if the last unknown-kid refetch is older than the interval.
    pub(crate) fn claim_refetch(&self) -> bool {
        if self.inner.jwks_uri.is_empty() {
            return false;
        }
        let mut last = self
            .inner
            .last_refetch
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        match *last {
            Some(at) if now.duration_since(at) < self.inner.options.refetch_interval => false,
            _ => {
                *last = Some(now);
                true
            }
        }
    }

    /// Refreshes the keys when `after` has passed, then again per the new `max-age`; on failure,
    /// keeps the cached keys and retries after `refetch_interval`. Stops with the last clone.
    fn schedule_refresh(&self, after: Duration) {
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        tokio::spawn(async move {
            let mut wait = after;
            loop {
                tokio::time::sleep(wait).await;
                let Some(inner) = weak.upgrade() else { return };
                wait = match inner.refetch().await {
                    Ok(max_age) => max_age.unwrap_or(inner.options.default_max_age),
                    Err(e) => {
                        tracing::warn!(error = %e, "monban JWKS refresh failed; keeping cached keys");
                        inner.options.refetch_interval
                    }
                }
                .max(Duration::from_secs(1));
            }
        });
    }
}

impl Inner {
    async fn refetch(&self) -> Result<Option<Duration>, DiscoveryError> {
        let (jwks, max_age) = fetch_json::<JwkSet>(&self.http, &self.jwks_uri).await?;
        let keys = key_map(
            &jwks,
            &Expectations {
                issuer: &self.issuer,
                audience: &self.audience,
                leeway: self.options.leeway,
            },
        );
        *self.keys.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(keys);
        Ok(max_age)
    }
}

/// The usable signing keys of a JWK Set by kid, each pinned to its own algorithm and carrying
/// its validation rules.
/// The issuer as a URL, if it may be trusted: https, or plain http on a loopback host (a local
/// monban in development or tests). Anything else could be read or altered on the way.
fn trusted_issuer(issuer: &str) -> Result<reqwest::Url, DiscoveryError> {
    let invalid = |reason: String| DiscoveryError::Invalid {
        url: issuer.to_string(),
        reason,
    };
    let url = reqwest::Url::parse(issuer).map_err(|e| invalid(format!("not a URL: {e}")))?;
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback => Ok(url),
        _ => Err(invalid(
            "the issuer must use https (plain http only on a loopback host)".into(),
        )),
    }
}

/// The JWKS must come from the issuer's own origin: a discovery document pointing elsewhere would
/// let whoever controls that place choose the keys.
fn same_origin(issuer: &reqwest::Url, jwks_uri: &str) -> Result<(), String> {
    let jwks = reqwest::Url::parse(jwks_uri).map_err(|e| format!("jwks_uri is not a URL: {e}"))?;
    if jwks.origin() == issuer.origin() {
        Ok(())
    } else {
        Err(format!("jwks_uri {jwks_uri} is not on the issuer's origin"))
    }
}

fn key_map(jwks: &JwkSet, expect: &Expectations<'_>) -> HashMap<String, Arc<Key>> {
    jwks.keys
        .iter()
        .filter_map(|jwk| {
            let kid = jwk.common.key_id.clone()?;
            let alg: Algorithm = jwk.common.key_algorithm?.to_string().parse().ok()?;
            let decoding = DecodingKey::from_jwk(jwk).ok()?;
            let mut validation = Validation::new(alg);
            validation.leeway = expect.leeway.as_secs();
            validation.validate_nbf = true;
            validation.set_issuer(&[expect.issuer]);
            validation.set_audience(&[expect.audience]);
            validation.set_required_spec_claims(contract::REQUIRED_CLAIMS);
            Some((
                kid,
                Arc::new(Key {
                    alg,
                    decoding,
                    validation,
                }),
            ))
        })
        .collect()
}

/// The largest discovery document or JWKS a verifier reads (monban's are under 2 KiB).
const MAX_DOCUMENT_BYTES: usize = 256 * 1024;

async fn fetch_json<T: serde::de::DeserializeOwned>(
    http: &reqwest::Client,
    url: &str,
) -> Result<(T, Option<Duration>), DiscoveryError> {
    let unreachable = |reason: String| DiscoveryError::Unreachable {
        url: url.to_string(),
        reason,
    };
    let response = http
        .get(url)
        .send()
        .await
        .map_err(|e| unreachable(e.without_url().to_string()))?;
    if !response.status().is_success() {
        return Err(unreachable(format!("status {}", response.status())));
    }
    let max_age = response
        .headers()
        .get(reqwest::header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.split(',')
                .find_map(|d| d.trim().strip_prefix("max-age="))
                .and_then(|s| s.parse().ok())
        })
        .map(Duration::from_secs);
    let mut response = response;
    if response
        .content_length()
        .is_some_and(|n| n > MAX_DOCUMENT_BYTES as u64)
    {
        return Err(unreachable(format!(
            "larger than {MAX_DOCUMENT_BYTES} bytes"
        )));
    }
    // Read against the cap chunk by chunk: a hostile or broken server must not fill our memory.
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| unreachable(e.without_url().to_string()))?
    {
        if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
            return Err(unreachable(format!(
                "larger than {MAX_DOCUMENT_BYTES} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    let value = serde_json::from_slice(&body).map_err(|e| DiscoveryError::Invalid {
        url: url.to_string(),
        reason: e.to_string(),
    })?;
    Ok((value, max_age))
}
