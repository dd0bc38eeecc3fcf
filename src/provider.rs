//! monban as the OpenID provider of the sibling services: parsing `/authorize`, authenticating
//! clients, redeeming codes and refresh tokens, and minting the token response. Plain functions
//! over plain data; the handlers in `routes::provider` only adapt HTTP.
//!
//! Codes and refresh tokens are sealed values, not database rows: a code is the signed-in user,
//! the client, the redirect URI, the PKCE challenge, the nonce and the scope, sealed for 60 s; a
//! refresh token is the user and the client, sealed for `refresh_token_ttl_secs`. Without shared
//! state a code cannot be made single-use; PKCE and the short lifetime bound that (see
//! docs/security.md).

use aws_lc_rs::digest;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD as B64};
use jsonwebtoken::Algorithm;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::config::{Client, Config};
use crate::login::{Session, random_token};
use crate::policy;
use crate::seal::{Purpose, SealError, Sealer};
use crate::tokens::{TYP_ACCESS_TOKEN, TYP_ID_TOKEN, Tokens};
use crate::upstream::Identity;

/// How long an authorization code lives.
pub const CODE_TTL_SECS: u64 = 60;

/// An OAuth 2.0 / OIDC protocol error, printed as its wire code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OAuthError {
    /// The request is missing a parameter or is otherwise malformed.
    #[error("invalid_request")]
    InvalidRequest(String),
    /// Client authentication failed (RFC 6749 §5.2: 401 with `WWW-Authenticate`).
    #[error("invalid_client")]
    InvalidClient(String),
    /// The code or refresh token is invalid, expired, or for another client or redirect URI.
    #[error("invalid_grant")]
    InvalidGrant(String),
    /// Only `authorization_code` and `refresh_token` exist here.
    #[error("unsupported_grant_type")]
    UnsupportedGrantType(String),
    /// Only `response_type=code` exists here.
    #[error("unsupported_response_type")]
    UnsupportedResponseType(String),
    /// The scope lacks `openid`.
    #[error("invalid_scope")]
    InvalidScope(String),
    /// `prompt=none` and nobody is signed in.
    #[error("login_required")]
    LoginRequired(String),
    /// The user is no longer allowed to sign in.
    #[error("access_denied")]
    AccessDenied(String),
}

impl OAuthError {
    /// The human-readable `error_description`.
    pub fn description(&self) -> &str {
        match self {
            OAuthError::InvalidRequest(d)
            | OAuthError::InvalidClient(d)
            | OAuthError::InvalidGrant(d)
            | OAuthError::UnsupportedGrantType(d)
            | OAuthError::UnsupportedResponseType(d)
            | OAuthError::InvalidScope(d)
            | OAuthError::LoginRequired(d)
            | OAuthError::AccessDenied(d) => d,
        }
    }

    /// The HTTP status of this error at the token endpoint (RFC 6749 §5.2).
    pub fn status(&self) -> u16 {
        match self {
            OAuthError::InvalidClient(_) => 401,
            _ => 400,
        }
    }
}

/// `/authorize` parameters as received.
#[derive(Debug, Default, Deserialize)]
pub struct AuthorizeQuery {
    /// The client.
    pub client_id: Option<String>,
    /// Where to send the code.
    pub redirect_uri: Option<String>,
    /// Must be `code`.
    pub response_type: Option<String>,
    /// Must contain `openid`.
    pub scope: Option<String>,
    /// Returned untouched.
    pub state: Option<String>,
    /// Copied into the ID token.
    pub nonce: Option<String>,
    /// PKCE challenge.
    pub code_challenge: Option<String>,
    /// PKCE method: only `S256`.
    pub code_challenge_method: Option<String>,
    /// `none`, `login`, `select_account` (space separated).
    pub prompt: Option<String>,
    /// Maximum age of the authentication, in seconds.
    pub max_age: Option<String>,
    /// Passed on to Google.
    pub login_hint: Option<String>,
}

/// A validated `/authorize` request.
#[derive(Debug, Clone)]
pub struct AuthorizeRequest {
    /// The registered client.
    pub client: Client,
    /// A redirect URI registered for it.
    pub redirect_uri: Url,
    /// The requested scope (contains `openid`).
    pub scope: String,
    /// The client's `state`.
    pub state: Option<String>,
    /// The client's `nonce`.
    pub nonce: Option<String>,
    /// The S256 PKCE challenge.
    pub code_challenge: Option<String>,
    /// `prompt=none`.
    pub prompt_none: bool,
    /// `prompt=login`.
    pub prompt_login: bool,
    /// `prompt=select_account`.
    pub prompt_select_account: bool,
    /// `max_age`.
    pub max_age: Option<u64>,
    /// `login_hint`.
    pub login_hint: Option<String>,
}

/// Why an `/authorize` request failed: shown as a page (never redirect to an unverified URI,
/// RFC 6749 §4.1.2.1) or sent back to the client.
#[derive(Debug)]
pub enum AuthorizeError {
    /// Unknown client or unregistered redirect URI: an error page, no redirect.
    NoRedirect(String),
    /// Any other error: `error=` on the registered redirect URI.
    Redirect(Box<ErrorRedirect>),
}

/// An error to send back to a verified redirect URI.
#[derive(Debug)]
pub struct ErrorRedirect {
    /// The registered redirect URI.
    pub redirect_uri: Url,
    /// The client's state.
    pub state: Option<String>,
    /// The error.
    pub error: OAuthError,
}

impl AuthorizeRequest {
    /// Validates `/authorize` parameters against the registered clients.
    pub fn parse(q: &AuthorizeQuery, clients: &[Client]) -> Result<Self, AuthorizeError> {
        let client_id = q.client_id.as_deref().ok_or_else(|| {
            AuthorizeError::NoRedirect("The request does not say which application asks.".into())
        })?;
        let client = clients.iter().find(|c| c.id == client_id).ok_or_else(|| {
            AuthorizeError::NoRedirect(format!(
                "The application \"{client_id}\" is not registered with this sign-in service."
            ))
        })?;
        let redirect_uri = match q.redirect_uri.as_deref() {
            None if client.redirect_uris.len() == 1 => client.redirect_uris[0].clone(),
            None => {
                return Err(AuthorizeError::NoRedirect(format!(
                    "The application \"{client_id}\" did not say where to return."
                )));
            }
            Some(raw) => Url::parse(raw)
                .ok()
                .filter(|u| client.redirect_uris.contains(u))
                .ok_or_else(|| {
                    AuthorizeError::NoRedirect(format!(
                        "The application \"{client_id}\" asked to return to an address it has not registered."
                    ))
                })?,
        };
        let fail = |error: OAuthError| {
            AuthorizeError::Redirect(Box::new(ErrorRedirect {
                redirect_uri: redirect_uri.clone(),
                state: q.state.clone(),
                error,
            }))
        };
        if q.response_type.as_deref() != Some("code") {
            return Err(fail(OAuthError::UnsupportedResponseType(
                "only response_type=code is supported".into(),
            )));
        }
        let scope = q.scope.clone().unwrap_or_default();
        if !scope.split(' ').any(|s| s == "openid") {
            return Err(fail(OAuthError::InvalidScope(
                "the scope must contain openid".into(),
            )));
        }
        let code_challenge = match (&q.code_challenge, q.code_challenge_method.as_deref()) {
            (Some(c), Some("S256")) if (43..=128).contains(&c.len()) => Some(c.clone()),
            (Some(_), Some("S256")) => {
                return Err(fail(OAuthError::InvalidRequest(
                    "code_challenge must be 43 to 128 characters".into(),
                )));
            }
            (Some(_), _) => {
                return Err(fail(OAuthError::InvalidRequest(
                    "code_challenge_method must be S256".into(),
                )));
            }
            (None, _) if client.secret.is_none() => {
                return Err(fail(OAuthError::InvalidRequest(
                    "public clients must use PKCE (code_challenge with S256)".into(),
                )));
            }
            (None, _) => None,
        };
        let prompt = q.prompt.clone().unwrap_or_default();
        let has = |p: &str| prompt.split(' ').any(|x| x == p);
        let max_age = match q.max_age.as_deref() {
            None => None,
            Some(m) => Some(m.parse::<u64>().map_err(|_| {
                fail(OAuthError::InvalidRequest(
                    "max_age must be a number of seconds".into(),
                ))
            })?),
        };
        Ok(Self {
            client: client.clone(),
            redirect_uri: redirect_uri.clone(),
            scope,
            state: q.state.clone(),
            nonce: q.nonce.clone(),
            code_challenge,
            prompt_none: has("none"),
            prompt_login: has("login"),
            prompt_select_account: has("select_account"),
            max_age,
            login_hint: q.login_hint.clone(),
        })
    }

    /// Whether `session` may be used as it is (single sign-on) at `now`.
    pub fn session_suffices(&self, session: &Session, now: u64) -> bool {
        !self.prompt_login
            && !self.prompt_select_account
            && self
                .max_age
                .is_none_or(|max| now.saturating_sub(session.auth_time) <= max)
    }

    /// The code for `session`, sealed for 60 s.
    pub fn code(&self, sealer: &Sealer, session: &Session, now: u64) -> String {
        let grant = CodeGrant {
            client_id: self.client.id.clone(),
            redirect_uri: self.redirect_uri.to_string(),
            code_challenge: self.code_challenge.clone(),
            nonce: self.nonce.clone(),
            scope: self.scope.clone(),
            session: session.clone(),
        };
        sealer.seal(Purpose::Code, &grant, now + CODE_TTL_SECS)
    }
}

/// What an authorization code carries.
#[derive(Debug, Serialize, Deserialize)]
pub struct CodeGrant {
    client_id: String,
    redirect_uri: String,
    code_challenge: Option<String>,
    nonce: Option<String>,
    scope: String,
    session: Session,
}

/// What a refresh token carries.
#[derive(Debug, Serialize, Deserialize)]
struct RefreshGrant {
    client_id: String,
    scope: String,
    session: Session,
}

/// `/token` form parameters as received.
#[derive(Debug, Default, Deserialize)]
pub struct TokenForm {
    /// `authorization_code` or `refresh_token`.
    pub grant_type: Option<String>,
    /// The code.
    pub code: Option<String>,
    /// Must equal the one of `/authorize`.
    pub redirect_uri: Option<String>,
    /// The PKCE verifier.
    pub code_verifier: Option<String>,
    /// The refresh token.
    pub refresh_token: Option<String>,
    /// `client_secret_post` or public clients.
    pub client_id: Option<String>,
    /// `client_secret_post`.
    pub client_secret: Option<String>,
}

/// Client credentials as sent: HTTP Basic (`client_secret_basic`, both parts form-urlencoded per
/// RFC 6749 §2.3.1) if present, else the form's `client_id` and `client_secret` (`client_secret_post`,
/// or a public client's bare `client_id`). `None` if malformed or absent.
pub fn client_credentials(
    authorization: Option<&str>,
    form_id: Option<&str>,
    form_secret: Option<&str>,
) -> Option<(String, Option<String>)> {
    match authorization.and_then(|h| h.strip_prefix("Basic ")) {
        Some(basic) => {
            let decoded = String::from_utf8(STANDARD.decode(basic.trim()).ok()?).ok()?;
            let (id, secret) = decoded.split_once(':')?;
            Some((form_decode(id), Some(form_decode(secret))))
        }
        None => Some((form_id?.to_string(), form_secret.map(str::to_string))),
    }
}

/// The PKCE S256 challenge of `verifier` (RFC 7636 §4.2).
pub fn pkce_s256(verifier: &str) -> String {
    B64.encode(digest::digest(&digest::SHA256, verifier.as_bytes()))
}

/// Authenticates the client (see [`client_credentials`]); public clients send only `client_id`.
/// Secrets are compared in constant time.
pub fn authenticate_client<'c>(
    authorization: Option<&str>,
    form: &TokenForm,
    clients: &'c [Client],
) -> Result<&'c Client, OAuthError> {
    let bad = || OAuthError::InvalidClient("client authentication failed".into());
    let (id, secret) = client_credentials(
        authorization,
        form.client_id.as_deref(),
        form.client_secret.as_deref(),
    )
    .ok_or_else(bad)?;
    let client = clients.iter().find(|c| c.id == id).ok_or_else(bad)?;
    match (&client.secret, secret) {
        (Some(expected), Some(given))
            if aws_lc_rs::constant_time::verify_slices_are_equal(
                expected.expose().as_bytes(),
                given.as_bytes(),
            )
            .is_ok() =>
        {
            Ok(client)
        }
        (None, None) => Ok(client),
        _ => Err(bad()),
    }
}

fn form_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// The token response (RFC 6749 §5.1 plus `id_token`).
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    /// A JWT, `typ: at+jwt`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// The ID token.
    pub id_token: String,
    /// A sealed refresh token.
    pub refresh_token: String,
    /// The granted scope.
    pub scope: String,
}

/// Everything `/token` needs.
pub struct Issuer<'a> {
    /// Minting.
    pub tokens: &'a Tokens,
    /// Sealing codes and refresh tokens.
    pub sealer: &'a Sealer,
    /// Lifetimes, allow-list and roles.
    pub config: &'a Config,
}

impl Issuer<'_> {
    /// Redeems an authorization code for `client`.
    pub fn redeem_code(
        &self,
        client: &Client,
        form: &TokenForm,
        now: u64,
    ) -> Result<TokenResponse, OAuthError> {
        let code = form
            .code
            .as_deref()
            .ok_or_else(|| OAuthError::InvalidRequest("code is missing".into()))?;
        let grant: CodeGrant = self
            .sealer
            .open(Purpose::Code, code, now)
            .map_err(|e| invalid_grant("code", e))?;
        if grant.client_id != client.id {
            return Err(OAuthError::InvalidGrant(
                "the code was issued to another client".into(),
            ));
        }
        let redirect_ok = form
            .redirect_uri
            .as_deref()
            .and_then(|r| Url::parse(r).ok())
            .is_some_and(|r| r.as_str() == grant.redirect_uri);
        if !redirect_ok {
            return Err(OAuthError::InvalidGrant(
                "redirect_uri does not match the authorization request".into(),
            ));
        }
        match (&grant.code_challenge, form.code_verifier.as_deref()) {
            (Some(challenge), Some(verifier)) => {
                let computed = pkce_s256(verifier);
                if aws_lc_rs::constant_time::verify_slices_are_equal(
                    computed.as_bytes(),
                    challenge.as_bytes(),
                )
                .is_err()
                {
                    return Err(OAuthError::InvalidGrant(
                        "code_verifier does not match the code_challenge".into(),
                    ));
                }
            }
            (Some(_), None) => {
                return Err(OAuthError::InvalidGrant("code_verifier is missing".into()));
            }
            (None, Some(_)) => {
                return Err(OAuthError::InvalidGrant(
                    "code_verifier given but no code_challenge was".into(),
                ));
            }
            (None, None) => {}
        }
        self.respond(
            client,
            &grant.session,
            &grant.scope,
            grant.nonce.as_deref(),
            now,
        )
    }

    /// Redeems a refresh token for `client`, re-checking the current allow-list and roles.
    pub fn refresh(
        &self,
        client: &Client,
        form: &TokenForm,
        now: u64,
    ) -> Result<TokenResponse, OAuthError> {
        let token = form
            .refresh_token
            .as_deref()
            .ok_or_else(|| OAuthError::InvalidRequest("refresh_token is missing".into()))?;
        let grant: RefreshGrant = self
            .sealer
            .open(Purpose::RefreshToken, token, now)
            .map_err(|e| invalid_grant("refresh token", e))?;
        if grant.client_id != client.id {
            return Err(OAuthError::InvalidGrant(
                "the refresh token was issued to another client".into(),
            ));
        }
        let mut session = grant.session;
        let identity = Identity {
            sub: session.sub.clone(),
            email: Some(session.email.clone()),
            email_verified: true,
            name: session.name.clone(),
            picture: session.picture.clone(),
            hosted_domain: session.hosted_domain.clone(),
        };
        session.roles = policy::admit(self.config, &identity).map_err(|_| {
            OAuthError::InvalidGrant("the user is no longer allowed to sign in".into())
        })?;
        self.respond(client, &session, &grant.scope, None, now)
    }

    fn respond(
        &self,
        client: &Client,
        session: &Session,
        scope: &str,
        nonce: Option<&str>,
        now: u64,
    ) -> Result<TokenResponse, OAuthError> {
        let lifetimes = &self.config.lifetimes;
        let issuer = self.tokens.issuer();
        let access = AccessClaims {
            iss: issuer.to_string(),
            sub: session.sub.clone(),
            aud: client.id.clone(),
            exp: now + lifetimes.access_token.as_secs(),
            iat: now,
            jti: random_token(),
            client_id: client.id.clone(),
            scope: scope.to_string(),
            profile: Profile::of(session),
        };
        let access_token = self
            .tokens
            .mint(TYP_ACCESS_TOKEN, &access)
            .map_err(|_| OAuthError::InvalidRequest("signing failed".into()))?;
        let id = IdClaims {
            iss: issuer.to_string(),
            sub: session.sub.clone(),
            aud: client.id.clone(),
            exp: now + lifetimes.id_token.as_secs(),
            iat: now,
            auth_time: session.auth_time,
            nonce: nonce.map(str::to_string),
            at_hash: at_hash(self.tokens.keys().active().alg, &access_token),
            profile: Profile::of(session),
        };
        let id_token = self
            .tokens
            .mint(TYP_ID_TOKEN, &id)
            .map_err(|_| OAuthError::InvalidRequest("signing failed".into()))?;
        let refresh = RefreshGrant {
            client_id: client.id.clone(),
            scope: scope.to_string(),
            session: session.clone(),
        };
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: lifetimes.access_token.as_secs(),
            id_token,
            refresh_token: self.sealer.seal(
                Purpose::RefreshToken,
                &refresh,
                now + lifetimes.refresh_token.as_secs(),
            ),
            scope: scope.to_string(),
        })
    }
}

fn invalid_grant(what: &str, e: SealError) -> OAuthError {
    OAuthError::InvalidGrant(match e {
        SealError::Expired => format!("the {what} has expired"),
        SealError::Invalid => format!("the {what} is not valid"),
    })
}

/// The profile claims carried by access tokens, ID tokens and `/userinfo`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Profile {
    /// Verified email address.
    pub email: String,
    /// Always true: unverified addresses never sign in.
    pub email_verified: bool,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Picture URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
    /// Roles from the configuration.
    #[serde(default)]
    pub roles: Vec<String>,
}

impl Profile {
    fn of(session: &Session) -> Self {
        Self {
            email: session.email.clone(),
            email_verified: true,
            name: session.name.clone(),
            picture: session.picture.clone(),
            roles: session.roles.clone(),
        }
    }
}

/// Access-token claims (RFC 9068).
#[derive(Debug, Serialize, Deserialize)]
pub struct AccessClaims {
    /// Issuer.
    pub iss: String,
    /// The user.
    pub sub: String,
    /// The client.
    pub aud: String,
    /// Expiry.
    pub exp: u64,
    /// Issued at.
    pub iat: u64,
    /// Unique id.
    pub jti: String,
    /// The client.
    pub client_id: String,
    /// Granted scope.
    pub scope: String,
    /// Who the user is.
    #[serde(flatten)]
    pub profile: Profile,
}

#[derive(Debug, Serialize)]
struct IdClaims {
    iss: String,
    sub: String,
    aud: String,
    exp: u64,
    iat: u64,
    auth_time: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<String>,
    at_hash: String,
    #[serde(flatten)]
    profile: Profile,
}

/// `at_hash`: the left half of the access token's hash, with the hash of the signing algorithm
/// (SHA-512 for Ed25519, OIDC Core §3.1.3.6 and the EdDSA registration).
pub fn at_hash(alg: Algorithm, access_token: &str) -> String {
    let algorithm = match alg {
        Algorithm::EdDSA => &digest::SHA512,
        _ => &digest::SHA256,
    };
    let hash = digest::digest(algorithm, access_token.as_bytes());
    let bytes = hash.as_ref();
    B64.encode(&bytes[..bytes.len() / 2])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    fn clients() -> Vec<Client> {
        vec![
            Client {
                id: "wiki".into(),
                secret: Some(Secret::new("wiki-secret")),
                redirect_uris: vec![Url::parse("https://wiki.example.org/cb").unwrap()],
                post_logout_redirect_uris: vec![],
            },
            Client {
                id: "spa".into(),
                secret: None,
                redirect_uris: vec![Url::parse("https://spa.example.org/cb").unwrap()],
                post_logout_redirect_uris: vec![],
            },
        ]
    }

    fn query(client: &str, redirect: &str) -> AuthorizeQuery {
        AuthorizeQuery {
            client_id: Some(client.into()),
            redirect_uri: Some(redirect.into()),
            response_type: Some("code".into()),
            scope: Some("openid email".into()),
            state: Some("s".into()),
            code_challenge: Some("a".repeat(43)),
            code_challenge_method: Some("S256".into()),
            ..Default::default()
        }
    }

    #[test]
    fn unknown_clients_and_unregistered_redirects_are_never_redirected_to() {
        let c = clients();
        let e = AuthorizeRequest::parse(&query("nope", "https://wiki.example.org/cb"), &c);
        assert!(matches!(e, Err(AuthorizeError::NoRedirect(_))));
        let e = AuthorizeRequest::parse(&query("wiki", "https://evil.example/cb"), &c);
        assert!(matches!(e, Err(AuthorizeError::NoRedirect(_))));
        assert!(AuthorizeRequest::parse(&query("wiki", "https://wiki.example.org/cb"), &c).is_ok());
    }

    #[test]
    fn public_clients_must_use_s256() {
        let c = clients();
        let mut q = query("spa", "https://spa.example.org/cb");
        q.code_challenge = None;
        assert!(matches!(
            AuthorizeRequest::parse(&q, &c),
            Err(AuthorizeError::Redirect(r)) if matches!(r.error, OAuthError::InvalidRequest(_))
        ));
        let mut q = query("spa", "https://spa.example.org/cb");
        q.code_challenge_method = Some("plain".into());
        assert!(AuthorizeRequest::parse(&q, &c).is_err());
    }

    #[test]
    fn client_secrets_are_checked() {
        let c = clients();
        let form = |id: &str, secret: Option<&str>| TokenForm {
            client_id: Some(id.into()),
            client_secret: secret.map(str::to_string),
            ..Default::default()
        };
        assert!(authenticate_client(None, &form("wiki", Some("wiki-secret")), &c).is_ok());
        assert!(authenticate_client(None, &form("wiki", Some("wrong")), &c).is_err());
        assert!(authenticate_client(None, &form("wiki", None), &c).is_err());
        assert!(authenticate_client(None, &form("spa", None), &c).is_ok());
        let basic = format!("Basic {}", STANDARD.encode("wiki:wiki-secret"));
        assert!(authenticate_client(Some(&basic), &TokenForm::default(), &c).is_ok());
    }

    #[test]
    fn at_hash_is_the_left_half_of_the_hash() {
        assert_eq!(at_hash(Algorithm::RS256, "token").len(), 22);
        assert_eq!(at_hash(Algorithm::EdDSA, "token").len(), 43);
    }
}
