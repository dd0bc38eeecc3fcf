//! `/authorize` (RFC 6749 §4.1.1, OIDC Core §3.1.2): the raw query parsed once into an
//! [`AuthorizeRequest`] that cannot be wrong, and the decision it leads to: a code sealed for
//! [`CODE_TTL_SECS`] when the SSO session suffices, a sign-in at Google otherwise, or an error sent
//! back to a verified redirect URI (never to an unverified one, §4.1.2.1).
//!
//! The code is the signed-in user, the client, the redirect URI, the PKCE challenge, the nonce and
//! the scope, sealed: not a database row. Without shared state it cannot be made single-use
//! everywhere: each instance refuses a code it has redeemed already (a bounded memory), and PKCE
//! and the short lifetime bound the rest (docs/security.md).

use serde::{Deserialize, Serialize};
use url::Url;

pub mod oob;

use super::error::OAuthError;
use super::paths::{AUTHORIZE_PATH, LOGIN_PATH};
use super::resource::api_for;
use super::scope::granted;
use crate::audit::Event;
use crate::config::{Api, Client, Config};
use crate::session::Session;
use crate::session::seal::{Purpose, Sealer};

/// How long an authorization code lives: a relying party redeems it within a second of the redirect
/// (a few, when it is starting cold on Cloud Run). Well under the 30 s after which the OP test
/// `oidcc-codereuse-30seconds` presents it again. A code shown to be copied by hand lives longer,
/// [`oob::OOB_CODE_TTL_SECS`].
pub const CODE_TTL_SECS: u64 = 20;

/// The longest a code of either kind lives: how long an instance remembers the codes it redeemed.
pub const MAX_CODE_TTL_SECS: u64 = oob::OOB_CODE_TTL_SECS;

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
    /// The API the access token is for (RFC 8707).
    pub resource: Option<String>,
    /// A request object: refused with `request_not_supported`.
    pub request: Option<String>,
    /// A request object's URL: refused with `request_uri_not_supported`.
    pub request_uri: Option<String>,
}

/// A validated `/authorize` request.
#[derive(Debug, Clone)]
pub struct AuthorizeRequest {
    /// The registered client.
    pub client: Client,
    /// A redirect URI registered for it.
    pub redirect_uri: Url,
    /// The granted scope ([`super::scope::granted`]; contains `openid`).
    pub scope: String,
    /// The API (`[[apis]]` id) the access tokens are for, if `resource` named one.
    pub resource: Option<String>,
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
    /// Validates `/authorize` parameters against the registered clients and APIs.
    pub fn parse(
        q: &AuthorizeQuery,
        clients: &[Client],
        apis: &[Api],
    ) -> Result<Self, AuthorizeError> {
        let (client, redirect_uri) = client_and_redirect(q, clients)?;
        let fail = |error: OAuthError| {
            AuthorizeError::Redirect(Box::new(ErrorRedirect {
                redirect_uri: redirect_uri.clone(),
                state: q.state.clone(),
                error,
            }))
        };
        // Request objects (OIDC Core §6) are refused, not ignored: their parameters would win over
        // the query's, and fetching a `request_uri` would make monban a fetcher of any URL.
        if q.request.is_some() {
            return Err(fail(OAuthError::RequestNotSupported(
                "monban does not take request objects: send the parameters in the query".into(),
            )));
        }
        if q.request_uri.is_some() {
            return Err(fail(OAuthError::RequestUriNotSupported(
                "monban fetches no request_uri: send the parameters in the query".into(),
            )));
        }
        if q.response_type.as_deref() != Some("code") {
            return Err(fail(OAuthError::UnsupportedResponseType(
                "only response_type=code is supported".into(),
            )));
        }
        let api = match q.resource.as_deref() {
            Some(resource) => Some(api_for(apis, client, resource).map_err(fail)?),
            None => None,
        };
        let scope = granted(q.scope.as_deref().unwrap_or_default(), client, api);
        if !scope.split(' ').any(|s| s == "openid") {
            return Err(fail(OAuthError::InvalidScope(
                "the scope must contain openid".into(),
            )));
        }
        let code_challenge = pkce_challenge(q, client).map_err(fail)?;
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
            redirect_uri,
            scope,
            resource: api.map(|a| a.id.clone()),
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

    /// The code for `session`, sealed for [`CODE_TTL_SECS`] ([`oob::OOB_CODE_TTL_SECS`] when it is
    /// shown to be copied).
    pub fn code(&self, sealer: &Sealer, session: &Session, now: u64) -> String {
        let grant = CodeGrant {
            client_id: self.client.id.clone(),
            redirect_uri: self.redirect_uri.to_string(),
            code_challenge: self.code_challenge.clone(),
            nonce: self.nonce.clone(),
            scope: self.scope.clone(),
            resource: self.resource.clone(),
            // Which clients the SSO session told nothing about this grant: not carried on.
            session: Session {
                clients: Vec::new(),
                ..session.clone()
            },
        };
        let ttl = if oob::is_oob(&self.redirect_uri) {
            oob::OOB_CODE_TTL_SECS
        } else {
            CODE_TTL_SECS
        };
        sealer.seal(Purpose::Code, &grant, now + ttl)
    }
}

/// The registered client and the registered redirect URI the request names: until both are known,
/// an error is a page, never a redirect.
fn client_and_redirect<'c>(
    q: &AuthorizeQuery,
    clients: &'c [Client],
) -> Result<(&'c Client, Url), AuthorizeError> {
    let client_id = q.client_id.as_deref().ok_or_else(|| {
        AuthorizeError::NoRedirect("The request does not say which application asks.".into())
    })?;
    let client = clients.iter().find(|c| c.id == client_id).ok_or_else(|| {
        AuthorizeError::NoRedirect(format!(
            "The application \"{client_id}\" is not registered with this sign-in service."
        ))
    })?;
    // OIDC Core §3.1.2.1: `redirect_uri` is required, even when the client registered only one
    // (the OP test `oidcc-ensure-redirect-uri-in-authorization-request` expects this page).
    let redirect_uri = match q.redirect_uri.as_deref() {
        None => {
            return Err(AuthorizeError::NoRedirect(format!(
                "The application \"{client_id}\" did not say where to return (redirect_uri is missing)."
            )));
        }
        Some(raw) => Url::parse(raw)
            .ok()
            .filter(|u| registered_redirect(client, u))
            .ok_or_else(|| {
                AuthorizeError::NoRedirect(format!(
                    "The application \"{client_id}\" asked to return to an address it has not registered."
                ))
            })?,
    };
    Ok((client, redirect_uri))
}

/// Whether `given` is one of `client`'s redirect URIs: exactly, or, for a public client that
/// registered a loopback IP literal without a port (`http://127.0.0.1/cb`, `http://[::1]/cb`),
/// the same URI on any port (RFC 8252 §7.3: a command-line tool listens where it can), and never
/// with userinfo (`http://evil@127.0.0.1:PORT/cb`).
fn registered_redirect(client: &Client, given: &Url) -> bool {
    client
        .redirect_uris
        .iter()
        .any(|r| r == given || (!client.is_confidential() && loopback_any_port(r, given)))
}

fn loopback_any_port(registered: &Url, given: &Url) -> bool {
    let literal = match registered.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        _ => false,
    };
    literal
        && registered.scheme() == "http"
        && registered.port().is_none()
        && given.scheme() == "http"
        && given.username().is_empty()
        && given.password().is_none()
        && given.host() == registered.host()
        && given.path() == registered.path()
        && given.query() == registered.query()
        && given.fragment().is_none()
}

/// The S256 challenge (RFC 7636 §4.3), required of public clients and of clients configured with
/// `require_pkce`.
fn pkce_challenge(q: &AuthorizeQuery, client: &Client) -> Result<Option<String>, OAuthError> {
    match (&q.code_challenge, q.code_challenge_method.as_deref()) {
        (Some(c), Some("S256")) if (43..=128).contains(&c.len()) => Ok(Some(c.clone())),
        (Some(_), Some("S256")) => Err(OAuthError::InvalidRequest(
            "code_challenge must be 43 to 128 characters".into(),
        )),
        (Some(_), _) => Err(OAuthError::InvalidRequest(
            "code_challenge_method must be S256".into(),
        )),
        (None, _) if !client.is_confidential() => Err(OAuthError::InvalidRequest(
            "public clients must use PKCE (code_challenge with S256)".into(),
        )),
        (None, _) if client.require_pkce => Err(OAuthError::InvalidRequest(
            "this client must use PKCE (code_challenge with S256)".into(),
        )),
        (None, _) => Ok(None),
    }
}

/// What an authorization code carries.
#[derive(Debug, Serialize, Deserialize)]
pub struct CodeGrant {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) code_challenge: Option<String>,
    pub(crate) nonce: Option<String>,
    pub(crate) scope: String,
    /// The API of `resource=`, if named.
    #[serde(default)]
    pub(crate) resource: Option<String>,
    pub(crate) session: Session,
}

/// What `/authorize` answers: a 303 either way.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// To the client's registered redirect URI, with an error.
    ToClient(Url),
    /// To the client's registered redirect URI with a code; the session to seal again into the
    /// cookie when it must now remember this client (for back-channel logout).
    Code(Url, Option<Box<Session>>),
    /// To `/login`, which signs in at Google and comes back to this same request.
    SignIn(String),
}

impl AuthorizeRequest {
    /// Single sign-on when `session` suffices and today's configuration still admits its user
    /// (`access_denied` otherwise), `login_required` for `prompt=none`, else a sign-in.
    /// `raw_query` is the request's query string, replayed after the sign-in.
    pub fn decide(
        &self,
        session: Option<&Session>,
        raw_query: &str,
        sealer: &Sealer,
        config: &Config,
        now: u64,
    ) -> Outcome {
        let issuer = config.issuer_str();
        let refuse = |error: OAuthError| {
            let redirect = ErrorRedirect {
                redirect_uri: self.redirect_uri.clone(),
                state: self.state.clone(),
                error,
            };
            Outcome::ToClient(redirect.url(issuer))
        };
        match session {
            Some(session) if self.session_suffices(session, now) => {
                let session = match session.as_of(config) {
                    Ok(session) => session,
                    Err(denial) => {
                        Event::RevocationHit {
                            via: "session",
                            reason: denial.code(),
                            email: &session.email,
                        }
                        .record();
                        return refuse(OAuthError::AccessDenied(denial.explanation().into()));
                    }
                };
                let code = self.code(sealer, &session, now);
                let mut target = self.redirect_uri.clone();
                target
                    .query_pairs_mut()
                    .append_pair("code", &code)
                    .append_pair("iss", issuer);
                if let Some(s) = &self.state {
                    target.query_pairs_mut().append_pair("state", s);
                }
                let remember = self.client.backchannel_logout_uri.is_some()
                    && !session.clients.contains(&self.client.id);
                Outcome::Code(
                    target,
                    remember.then(|| Box::new(session.with_client(&self.client.id))),
                )
            }
            _ if self.prompt_none => {
                refuse(OAuthError::LoginRequired("nobody is signed in".into()))
            }
            _ => Outcome::SignIn(self.login_path(raw_query)),
        }
    }

    /// `/login` that comes back to this same `/authorize` request, minus the `prompt` that sent it
    /// there (or it would loop).
    fn login_path(&self, raw_query: &str) -> String {
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw_query.as_bytes())
            .filter(|(k, _)| k != "prompt")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let back = format!(
            "{AUTHORIZE_PATH}?{}",
            url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(pairs)
                .finish()
        );
        let mut login = url::form_urlencoded::Serializer::new(String::new());
        login.append_pair("return_to", &back);
        if self.prompt_select_account {
            login.append_pair("prompt", "select_account");
        } else if self.prompt_login {
            login.append_pair("prompt", "login");
        }
        if let Some(hint) = &self.login_hint {
            login.append_pair("login_hint", hint);
        }
        if let Some(max_age) = self.max_age {
            login.append_pair("max_age", &max_age.to_string());
        }
        format!("{LOGIN_PATH}?{}", login.finish())
    }
}

impl ErrorRedirect {
    /// The redirect URI with `error`, `error_description`, `iss` and the client's `state`.
    pub fn url(&self, issuer: &str) -> Url {
        let mut url = self.redirect_uri.clone();
        url.query_pairs_mut()
            .append_pair("error", &self.error.to_string())
            .append_pair("error_description", &self.error.description())
            .append_pair("iss", issuer);
        if let Some(s) = &self.state {
            url.query_pairs_mut().append_pair("state", s);
        }
        url
    }
}

/// The `client_id` of the `/authorize` request a sign-in will return to, if any: the
/// refusal page names the application that asked.
pub fn asking_client(return_to: &str) -> Option<String> {
    let query = return_to.strip_prefix(AUTHORIZE_PATH)?.strip_prefix('?')?;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "client_id")
        .map(|(_, v)| v.into_owned())
}

#[cfg(test)]
mod tests;
