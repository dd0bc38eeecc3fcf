//! A mock Google: the upstream OpenID provider of `monban dev` and of the tests (one
//! implementation, not two).
//!
//! It serves discovery, a JWKS, an authorization page that offers a few lab users and one
//! outsider ("sign in as …"), and a token endpoint that checks the client secret, the redirect URI
//! and PKCE before it signs an ID token. Like monban it keeps no state: its codes are the login's
//! details, base64-encoded (a mock needs no secrecy), so it also works across monban instances.
//! Tests can make it misbehave with a [`Fault`]. It also plays the metadata server that hands
//! Cloud Run services their ID tokens ([`super::mock_metadata`]).

use std::net::TcpListener;
use std::sync::OnceLock;

use crate::i18n::Locale;
use actix_web::http::header;
use actix_web::web::{self, Data, Form, Query};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::mock_metadata::{MetadataState, identity};
use crate::clock::Clock;
use crate::keys::{KeyAlg, KeyStore, generate_pem};
use crate::protocol::pkce::pkce_s256;
use crate::protocol::token_request::client_credentials;
use crate::tokens::Tokens;

/// A person the mock can sign in as.
#[derive(Debug, Clone, Copy)]
pub struct MockUser {
    /// The `user` parameter and the `sub` suffix.
    pub id: &'static str,
    /// Display name.
    pub name: &'static str,
    /// Email address.
    pub email: &'static str,
    /// Workspace domain (`hd`), for Workspace accounts.
    pub hosted_domain: Option<&'static str>,
    /// Whether Google "verified" the address.
    pub email_verified: bool,
    /// Whether the sign-in page offers this user (the unverified one is for tests).
    pub offered: bool,
}

/// The people of the mock: three lab members (one with a Gmail address), one outsider, and two that
/// only tests use: a personal Google account registered under a lab address (no `hd`: Google does
/// not vouch for the domain) and an unverified address.
pub const USERS: &[MockUser] = &[
    MockUser {
        id: "ada",
        name: "Ada Lovelace",
        email: "ada@lab.example.org",
        hosted_domain: Some("lab.example.org"),
        email_verified: true,
        offered: true,
    },
    MockUser {
        id: "grace",
        name: "Grace Hopper",
        email: "grace@lab.example.org",
        hosted_domain: Some("lab.example.org"),
        email_verified: true,
        offered: true,
    },
    MockUser {
        id: "alan",
        name: "Alan Turing",
        email: "alan.turing@gmail.com",
        hosted_domain: None,
        email_verified: true,
        offered: true,
    },
    MockUser {
        id: "mallory",
        name: "Mallory Outsider",
        email: "mallory@outsider.example",
        hosted_domain: None,
        email_verified: true,
        offered: true,
    },
    MockUser {
        id: "paul",
        name: "Paul Personal",
        email: "paul@lab.example.org",
        hosted_domain: None,
        email_verified: true,
        offered: false,
    },
    MockUser {
        id: "eve",
        name: "Eve Unverified",
        email: "eve@lab.example.org",
        hosted_domain: None,
        email_verified: false,
        offered: false,
    },
];

/// A way for the mock to misbehave, for tests of monban's ID-token validation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Fault {
    /// Behave.
    #[default]
    None,
    /// Put another nonce in the ID token.
    WrongNonce,
    /// Issue the ID token to another audience.
    WrongAudience,
    /// Sign the ID token with a key the JWKS does not publish.
    UnknownKey,
    /// Answer the token request with a 500 and an HTML page.
    TokenServerError,
    /// Answer the token request with 200 and a body that is not JSON.
    TokenGarbage,
    /// Answer the token request only after this long.
    SlowToken(std::time::Duration),
    /// Serve a discovery document that is not JSON.
    DiscoveryGarbage,
}

/// Settings of a mock upstream.
#[derive(Debug, Clone)]
pub struct MockOptions {
    /// The client id monban must use.
    pub client_id: String,
    /// The client secret monban must present.
    pub client_secret: String,
    /// Misbehaviour, if any.
    pub fault: Fault,
    /// Its time (`iat`, `exp`, `auth_time`): a test's manual clock moves Google's too.
    pub clock: Clock,
}

struct MockState {
    issuer: String,
    options: MockOptions,
    /// Signs ID tokens with the key the JWKS publishes.
    tokens: Tokens,
    /// Signs with a key the JWKS does not publish ([`Fault::UnknownKey`]).
    rogue_tokens: Tokens,
    token_requests: tokio::sync::watch::Sender<usize>,
}

/// A running mock upstream on 127.0.0.1.
pub struct MockUpstream {
    issuer: String,
    handle: actix_web::dev::ServerHandle,
    token_requests: tokio::sync::watch::Receiver<usize>,
}

impl MockUpstream {
    /// Starts the mock on a free loopback port. Must run inside a tokio runtime.
    pub fn start(options: MockOptions) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let issuer = format!("http://127.0.0.1:{}", listener.local_addr()?.port());
        let keys = mock_keys()?;
        let (token_requests, seen) = tokio::sync::watch::channel(0);
        let state = Data::new(MockState {
            token_requests,
            issuer: issuer.clone(),
            options,
            tokens: Tokens::new(keys.published.clone(), issuer.clone()),
            rogue_tokens: Tokens::new(keys.rogue.clone(), issuer.clone()),
        });
        let metadata = Data::new(MetadataState {
            issuer: issuer.clone(),
            tokens: Tokens::new(keys.published.clone(), issuer.clone()),
        });
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(metadata.clone())
                .route(
                    "/.well-known/openid-configuration",
                    web::get().to(discovery),
                )
                .route("/jwks", web::get().to(jwks))
                .route("/authorize", web::get().to(authorize))
                .route("/authorize/as", web::get().to(sign_in_as))
                .route("/token", web::post().to(token))
                .route(
                    "/computeMetadata/v1/instance/service-accounts/{account}/identity",
                    web::get().to(identity),
                )
        })
        .workers(1)
        .disable_signals()
        .listen(listener)?
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Ok(Self {
            issuer,
            handle,
            token_requests: seen,
        })
    }

    /// How many token requests have arrived so far (counted on arrival, before any delay), to
    /// wait on: `mock.token_requests().wait_for(|n| *n >= 10).await`.
    pub fn token_requests(&self) -> tokio::sync::watch::Receiver<usize> {
        self.token_requests.clone()
    }

    /// The mock's issuer URL (no trailing slash).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Stops the mock, as when Google is down.
    pub async fn stop(&self) {
        self.handle.stop(false).await;
    }
}

/// The mock's signing key and a key it never publishes.
struct MockKeys {
    published: KeyStore,
    rogue: KeyStore,
}

/// Google signs ID tokens with RS256 (its JWKS holds RSA keys only), so the mock does too: what
/// monban verifies at `/callback` here is what it verifies in production. The keys go through
/// monban's own key store and token core (one parse per key, RSA signing with the parsed key). An
/// RSA key takes tens of milliseconds to generate, so a process makes the mock's keys once and
/// every mock in it shares them (throwaway keys, like everything else about the mock).
fn mock_keys() -> anyhow::Result<&'static MockKeys> {
    static KEYS: OnceLock<MockKeys> = OnceLock::new();
    if let Some(keys) = KEYS.get() {
        return Ok(keys);
    }
    let rsa =
        || -> anyhow::Result<KeyStore> { Ok(KeyStore::from_pem(&generate_pem(KeyAlg::Rs256)?)?) };
    let keys = MockKeys {
        published: rsa()?,
        rogue: rsa()?,
    };
    Ok(KEYS.get_or_init(|| keys))
}

async fn discovery(state: Data<MockState>) -> HttpResponse {
    if state.options.fault == Fault::DiscoveryGarbage {
        return HttpResponse::Ok()
            .content_type("text/html")
            .body("<!doctype html><title>Captive portal</title>");
    }
    let iss = &state.issuer;
    HttpResponse::Ok().json(json!({
        "issuer": iss,
        "authorization_endpoint": format!("{iss}/authorize"),
        "token_endpoint": format!("{iss}/token"),
        "jwks_uri": format!("{iss}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "profile"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": ["sub", "email", "email_verified", "name", "hd", "nonce"],
    }))
}

async fn jwks(state: Data<MockState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .json(state.tokens.keys().jwks())
}

#[derive(Debug, Deserialize)]
struct AuthorizeQuery {
    client_id: String,
    redirect_uri: String,
    response_type: String,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    /// Like Google: when asked, the ID token says when the user authenticated (`auth_time`).
    max_age: Option<String>,
    user: Option<String>,
}

fn mock_page(locale: Locale, title: &str, body: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(crate::http::pages::plain(locale, title, body))
}

fn check_authorize(state: &MockState, q: &AuthorizeQuery) -> Result<(), &'static str> {
    let problem = if q.client_id != state.options.client_id {
        Some("unknown client_id")
    } else if q.response_type != "code" {
        Some("response_type must be code")
    } else if q.code_challenge.is_none() || q.code_challenge_method.as_deref() != Some("S256") {
        Some("PKCE with S256 is required")
    } else {
        None
    };
    problem.map_or(Ok(()), Err)
}

/// The "sign in as …" page.
async fn authorize(
    req: HttpRequest,
    q: Query<AuthorizeQuery>,
    state: Data<MockState>,
) -> HttpResponse {
    if let Err(problem) = check_authorize(&state, &q) {
        return HttpResponse::BadRequest().body(format!("mock upstream: {problem}"));
    }
    let locale = Locale::negotiate(
        req.headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
        Locale::En,
    );
    let links: String = USERS
        .iter()
        .filter(|u| u.offered)
        .map(|u| {
            let href = format!("/authorize/as?user={}&{}", u.id, req.query_string());
            format!(
                "<p><a href=\"{}\" id=\"user-{}\">{} &lt;{}&gt;</a></p>",
                attr(&href),
                u.id,
                text(u.name),
                text(u.email)
            )
        })
        .collect();
    mock_page(
        locale,
        &locale.t("mock-title"),
        &format!("<p>{}</p>{links}", text(&locale.t("mock-intro"))),
    )
}

/// What a mock code carries.
#[derive(Debug, Serialize, Deserialize)]
struct MockCode {
    user: String,
    nonce: Option<String>,
    challenge: String,
    client_id: String,
    redirect_uri: String,
    exp: u64,
    auth_time: Option<u64>,
}

async fn sign_in_as(q: Query<AuthorizeQuery>, state: Data<MockState>) -> HttpResponse {
    if let Err(problem) = check_authorize(&state, &q) {
        return HttpResponse::BadRequest().body(format!("mock upstream: {problem}"));
    }
    let Some(user) = q
        .user
        .as_deref()
        .filter(|u| USERS.iter().any(|m| m.id == *u))
    else {
        return HttpResponse::BadRequest().body("mock upstream: unknown user");
    };
    let code = MockCode {
        user: user.to_string(),
        nonce: q.nonce.clone(),
        challenge: q.code_challenge.clone().unwrap_or_default(),
        client_id: q.client_id.clone(),
        redirect_uri: q.redirect_uri.clone(),
        exp: state.options.clock.now() + 60,
        auth_time: q.max_age.as_ref().map(|_| state.options.clock.now()),
    };
    let code = B64.encode(serde_json::to_vec(&code).expect("serializes"));
    let Ok(mut target) = url::Url::parse(&q.redirect_uri) else {
        return HttpResponse::BadRequest().body("mock upstream: bad redirect_uri");
    };
    target.query_pairs_mut().append_pair("code", &code);
    if let Some(s) = &q.state {
        target.query_pairs_mut().append_pair("state", s);
    }
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, target.as_str()))
        .finish()
}

#[derive(Debug, Deserialize)]
struct TokenForm {
    grant_type: String,
    code: String,
    redirect_uri: String,
    code_verifier: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

fn oauth_error(status: u16, error: &str) -> HttpResponse {
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).expect("valid status"))
        .json(json!({ "error": error }))
}

async fn token(req: HttpRequest, form: Form<TokenForm>, state: Data<MockState>) -> HttpResponse {
    state.token_requests.send_modify(|n| *n += 1);
    let options = &state.options;
    match options.fault {
        Fault::TokenServerError => {
            return HttpResponse::InternalServerError()
                .content_type("text/html")
                .body("<h1>500 Internal Server Error</h1>");
        }
        Fault::TokenGarbage => {
            return HttpResponse::Ok()
                .content_type("application/json")
                .body("{\"access_token\": [truncated");
        }
        Fault::SlowToken(delay) => actix_web::rt::time::sleep(delay).await,
        _ => {}
    }
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    match client_credentials(
        authorization,
        form.client_id.as_deref(),
        form.client_secret.as_deref(),
    ) {
        Some((id, Some(secret), _))
            if id == options.client_id && secret == options.client_secret => {}
        _ => return oauth_error(401, "invalid_client"),
    }
    if form.grant_type != "authorization_code" {
        return oauth_error(400, "unsupported_grant_type");
    }
    let Some(code) = B64
        .decode(&form.code)
        .ok()
        .and_then(|b| serde_json::from_slice::<MockCode>(&b).ok())
    else {
        return oauth_error(400, "invalid_grant");
    };
    let verifier_ok = form
        .code_verifier
        .as_deref()
        .is_some_and(|v| pkce_s256(v) == code.challenge);
    if code.exp <= state.options.clock.now()
        || code.redirect_uri != form.redirect_uri
        || code.client_id != options.client_id
        || !verifier_ok
    {
        return oauth_error(400, "invalid_grant");
    }
    let Some(user) = USERS.iter().find(|u| u.id == code.user) else {
        return oauth_error(400, "invalid_grant");
    };
    let now = state.options.clock.now();
    let mut claims = json!({
        "iss": state.issuer,
        "aud": if options.fault == Fault::WrongAudience { "someone-else" } else { options.client_id.as_str() },
        "sub": format!("mock-{}", user.id),
        "email": user.email,
        "email_verified": user.email_verified,
        "name": user.name,
        "given_name": user.name.split(' ').next(),
        "family_name": user.name.split_once(' ').map(|(_, family)| family),
        "locale": "en",
        "iat": now,
        "exp": now + 3600,
    });
    if let Some(hd) = user.hosted_domain {
        claims["hd"] = hd.into();
    }
    if let Some(auth_time) = code.auth_time {
        claims["auth_time"] = auth_time.into();
    }
    if let Some(nonce) = code.nonce {
        claims["nonce"] = if options.fault == Fault::WrongNonce {
            "not-the-nonce".into()
        } else {
            nonce.into()
        };
    }
    let tokens = if options.fault == Fault::UnknownKey {
        &state.rogue_tokens
    } else {
        &state.tokens
    };
    let Ok(id_token) = tokens.mint("JWT", &claims) else {
        return oauth_error(500, "server_error");
    };
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({
            "access_token": B64.encode(now.to_be_bytes()),
            "token_type": "Bearer",
            "expires_in": 3600,
            "scope": "openid email profile",
            "id_token": id_token,
        }))
}
