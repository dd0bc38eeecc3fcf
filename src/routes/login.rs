//! `GET /login`, `GET /callback`, `GET|POST /logout`: thin handlers over `login`, `upstream` and
//! `policy`. Every failure becomes one [`LoginError`], mapped to a status and a page in one place.

use actix_web::cookie::{Cookie, SameSite, time};
use actix_web::http::{StatusCode, header};
use actix_web::web::{Data, Query};
use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::login::{
    LOGIN_STATE_TTL_SECS, LoginState, Session, binding_hash, random_token, safe_return_to,
};
use crate::pages::{self, Action};
use crate::policy::{self, Denial};
use crate::seal::{Purpose, SealError};
use crate::startup::AppState;
use crate::tokens::unix_now;
use crate::upstream::{AuthorizationRequest, UpstreamError};

/// Why a sign-in did not complete.
#[derive(Debug)]
pub enum LoginError {
    /// The callback had no `state`, or one that does not open (forged, tampered, other purpose).
    BadState,
    /// The state is genuine but older than ten minutes.
    ExpiredState,
    /// The state belongs to another browser (replay or login CSRF).
    OtherBrowser,
    /// The upstream sent the user back with an error (e.g. they cancelled).
    Cancelled,
    /// Talking to the upstream failed.
    Upstream(UpstreamError),
    /// The account (email) is not allowed in; the application that asked, if one did.
    Denied(Denial, Option<String>, Option<String>),
}

impl LoginError {
    fn status(&self) -> StatusCode {
        match self {
            LoginError::BadState
            | LoginError::ExpiredState
            | LoginError::OtherBrowser
            | LoginError::Cancelled => StatusCode::BAD_REQUEST,
            LoginError::Upstream(UpstreamError::Unreachable(_)) => StatusCode::SERVICE_UNAVAILABLE,
            LoginError::Upstream(UpstreamError::BadResponse(_)) => StatusCode::BAD_GATEWAY,
            LoginError::Upstream(UpstreamError::Refused(_) | UpstreamError::InvalidIdToken(_)) => {
                StatusCode::BAD_REQUEST
            }
            LoginError::Denied(..) => StatusCode::FORBIDDEN,
        }
    }

    /// The page: what happened, in words a lab member can act on.
    fn page(&self, org: &str) -> String {
        let again = [Action {
            label: "Sign in again",
            href: "/login",
        }];
        let other_account = [Action {
            label: "Use another account",
            href: "/login?prompt=select_account",
        }];
        match self {
            LoginError::BadState => pages::error(
                org,
                "This sign-in link is not valid",
                "The sign-in could not be matched to one this browser started. Please start again.",
                &again,
            ),
            LoginError::ExpiredState => pages::error(
                org,
                "This sign-in took too long",
                "Sign-ins must be finished within ten minutes. Please start again.",
                &again,
            ),
            LoginError::OtherBrowser => pages::error(
                org,
                "This sign-in was started elsewhere",
                "It was started in another browser, or this browser lost its cookies. Please start again here.",
                &again,
            ),
            LoginError::Cancelled => pages::error(
                org,
                "Sign-in was cancelled",
                "Google did not complete the sign-in. You can try again.",
                &again,
            ),
            LoginError::Upstream(UpstreamError::Unreachable(_)) => pages::error(
                org,
                "Google sign-in is unreachable",
                "Google could not be reached just now. Please try again in a minute.",
                &again,
            ),
            LoginError::Upstream(UpstreamError::BadResponse(_)) => pages::error(
                org,
                "Google sign-in failed",
                "Google answered in a way this service did not expect. Please try again later.",
                &again,
            ),
            LoginError::Upstream(_) => pages::error(
                org,
                "Google sign-in could not be verified",
                "The answer from Google could not be verified, so nobody was signed in. Please start again.",
                &again,
            ),
            LoginError::Denied(Denial::EmailNotVerified, email, _) => pages::error(
                org,
                "This account is not verified",
                &format!(
                    "Google has not verified the address {}, so it cannot be used to sign in to {org}.",
                    email.as_deref().unwrap_or("of this account")
                ),
                &other_account,
            ),
            LoginError::Denied(_, email, app) => pages::error(
                org,
                "This account is not allowed",
                &format!(
                    "The account {} is not allowed to sign in to {org}{}. If you think it should be, ask {org}'s administrator.",
                    email.as_deref().unwrap_or("you used"),
                    app.as_deref()
                        .map(|a| format!(" (the application \"{a}\" asked)"))
                        .unwrap_or_default()
                ),
                &other_account,
            ),
        }
    }

    /// The response for this error, with the cause logged once (never a secret: the upstream
    /// errors carry no codes or tokens).
    pub fn respond(&self, org: &str) -> HttpResponse {
        tracing::warn!(reason = ?self, "sign-in failed");
        HttpResponse::build(self.status())
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(self.page(org))
    }
}

/// Query of `/login`.
#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    /// `select_account` shows Google's account chooser; `login` forces re-authentication.
    prompt: Option<String>,
    /// A local path to come back to.
    return_to: Option<String>,
    /// Pre-fill the Google account.
    login_hint: Option<String>,
}

/// Starts a login: seals its state and sends the browser to the upstream.
pub async fn login(
    req: HttpRequest,
    query: Query<LoginQuery>,
    state: Data<AppState>,
) -> HttpResponse {
    let binding = req
        .cookie(state.cookies.binding)
        .map(|c| c.value().to_string())
        .filter(|v| v.len() == 43)
        .unwrap_or_else(random_token);
    let login_state = LoginState {
        nonce: random_token(),
        pkce_verifier: random_token(),
        binding: binding_hash(&binding),
        return_to: safe_return_to(query.return_to.as_deref()),
    };
    let sealed = state.sealer.seal(
        Purpose::LoginState,
        &login_state,
        unix_now() + LOGIN_STATE_TTL_SECS,
    );
    let prompt = query.prompt.as_deref().unwrap_or_default();
    let request = AuthorizationRequest {
        state: &sealed,
        nonce: &login_state.nonce,
        pkce_verifier: &login_state.pkce_verifier,
        select_account: prompt.split(' ').any(|p| p == "select_account"),
        force_login: prompt.split(' ').any(|p| p == "login"),
        login_hint: query.login_hint.as_deref(),
    };
    match state.upstream.authorization_url(&request).await {
        Ok(url) => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, url.as_str()))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .cookie(state.cookie(state.cookies.binding, binding, None))
            .finish(),
        Err(e) => LoginError::Upstream(e).respond(&state.config.org_name),
    }
}

/// Query of `/callback`.
#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    state: Option<String>,
    code: Option<String>,
    error: Option<String>,
}

/// Finishes a login: checks state and binding, exchanges the code, applies the allow-list, and
/// sets the session cookie.
pub async fn callback(
    req: HttpRequest,
    query: Query<CallbackQuery>,
    state: Data<AppState>,
) -> HttpResponse {
    match complete(&req, &query, &state).await {
        Ok((session, return_to)) => {
            tracing::info!(email = session.email.as_str(), "signed in");
            let sealed = state.sealer.seal(
                Purpose::Session,
                &session,
                session.auth_time + state.config.lifetimes.session.as_secs(),
            );
            HttpResponse::SeeOther()
                .insert_header((header::LOCATION, return_to))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .cookie(state.cookie(
                    state.cookies.session,
                    sealed,
                    Some(state.config.lifetimes.session),
                ))
                .finish()
        }
        Err(e) => e.respond(&state.config.org_name),
    }
}

async fn complete(
    req: &HttpRequest,
    query: &CallbackQuery,
    state: &AppState,
) -> Result<(Session, String), LoginError> {
    let sealed = query.state.as_deref().ok_or(LoginError::BadState)?;
    let now = unix_now();
    let login: LoginState = state
        .sealer
        .open(Purpose::LoginState, sealed, now)
        .map_err(|e| match e {
            SealError::Expired => LoginError::ExpiredState,
            SealError::Invalid => LoginError::BadState,
        })?;
    let binding = req
        .cookie(state.cookies.binding)
        .ok_or(LoginError::OtherBrowser)?;
    if binding_hash(binding.value()) != login.binding {
        return Err(LoginError::OtherBrowser);
    }
    if query.error.is_some() {
        return Err(LoginError::Cancelled);
    }
    let code = query.code.as_deref().ok_or(LoginError::BadState)?;
    let identity = state
        .upstream
        .exchange(code, &login.pkce_verifier, &login.nonce)
        .await
        .map_err(LoginError::Upstream)?;
    let roles = policy::admit(&state.config, &identity).map_err(|d| {
        LoginError::Denied(d, identity.email.clone(), asking_client(&login.return_to))
    })?;
    let session = Session {
        sub: identity.sub,
        email: identity.email.unwrap_or_default(),
        name: identity.name,
        picture: identity.picture,
        roles,
        auth_time: now,
        hosted_domain: identity.hosted_domain,
    };
    Ok((session, login.return_to))
}

/// Query of `/logout` (OIDC RP-Initiated Logout 1.0).
#[derive(Debug, Deserialize)]
pub struct LogoutQuery {
    id_token_hint: Option<String>,
    client_id: Option<String>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
}

/// The `client_id` of the `/authorize` request a login will return to, if any.
fn asking_client(return_to: &str) -> Option<String> {
    let query = return_to
        .strip_prefix(crate::oidc::AUTHORIZE_PATH)?
        .strip_prefix('?')?;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "client_id")
        .map(|(_, v)| v.into_owned())
}

/// Signs out: clears the session cookie, then goes home, or back to the client's registered
/// `post_logout_redirect_uri` (with its `state`).
pub async fn logout(query: Query<LogoutQuery>, state: Data<AppState>) -> HttpResponse {
    let target = match post_logout_target(&query, &state) {
        Ok(target) => target,
        Err(message) => {
            return HttpResponse::BadRequest()
                .content_type("text/html; charset=utf-8")
                .body(pages::error(
                    &state.config.org_name,
                    "This sign-out request cannot be followed",
                    message,
                    &[Action {
                        label: "Go to the sign-in page",
                        href: "/",
                    }],
                ));
        }
    };
    let mut gone = state.cookie(state.cookies.session, String::new(), None);
    gone.make_removal();
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, target))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .cookie(gone)
        .finish()
}

/// Where to go after signing out: `/`, or a URI registered for the client named by `client_id`
/// or by the `aud` of `id_token_hint` (a token of ours, possibly expired).
fn post_logout_target(query: &LogoutQuery, state: &AppState) -> Result<String, &'static str> {
    let Some(raw) = query.post_logout_redirect_uri.as_deref() else {
        return Ok("/".into());
    };
    let hinted = query.id_token_hint.as_deref().and_then(|hint| {
        // `now = 0`: an expired ID token still says which client it was for.
        state
            .tokens
            .verify::<serde_json::Value>(hint, crate::tokens::TYP_ID_TOKEN, 0)
            .ok()
            .and_then(|claims| claims["aud"].as_str().map(str::to_string))
    });
    let client_id = query
        .client_id
        .clone()
        .or(hinted)
        .ok_or("The request does not say which application it comes from.")?;
    let client = state
        .config
        .clients
        .iter()
        .find(|c| c.id == client_id)
        .ok_or("The application is not registered with this sign-in service.")?;
    let mut uri = url::Url::parse(raw)
        .ok()
        .filter(|u| client.post_logout_redirect_uris.contains(u))
        .ok_or("The application asked to return to an address it has not registered.")?;
    if let Some(s) = &query.state {
        uri.query_pairs_mut().append_pair("state", s);
    }
    Ok(uri.to_string())
}

impl AppState {
    /// A cookie with monban's attributes: HttpOnly, SameSite=Lax, Path=/, Secure over https.
    pub fn cookie(
        &self,
        name: &'static str,
        value: String,
        max_age: Option<std::time::Duration>,
    ) -> Cookie<'static> {
        let mut cookie = Cookie::build(name, value)
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.cookies.secure)
            .finish();
        if let Some(age) = max_age {
            cookie.set_max_age(time::Duration::seconds(age.as_secs() as i64));
        }
        cookie
    }

    /// The signed-in user, if the request carries a valid session cookie.
    pub fn session(&self, req: &HttpRequest) -> Option<Session> {
        let cookie = req.cookie(self.cookies.session)?;
        self.sealer
            .open(Purpose::Session, cookie.value(), unix_now())
            .ok()
    }
}
