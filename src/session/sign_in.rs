//! Signing in at Google and back, as plain functions: [`begin`] seals the login state `/login`
//! sends along, [`complete`] is the whole work of `/callback` at the `now` passed in.

use super::login_state::{LOGIN_STATE_TTL_SECS, LoginState, binding_hash, safe_return_to};
use super::seal::{Purpose, SealError, Sealer};
use super::{Session, random_token};
use crate::config::Config;
use crate::config::policy::{self, Denial};
use crate::upstream::{Upstream, UpstreamError};

/// Why a sign-in did not complete.
#[derive(Debug)]
pub enum SignInError {
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
    /// The account is not allowed in: why, its address, and where the sign-in was to return
    /// (an `/authorize` request names the application that asked).
    Denied(Denial, Option<String>, String),
}

impl SignInError {
    /// A stable code for the audit log.
    pub fn reason(&self) -> &'static str {
        match self {
            SignInError::BadState => "bad_state",
            SignInError::ExpiredState => "expired_state",
            SignInError::OtherBrowser => "other_browser",
            SignInError::Cancelled => "cancelled",
            SignInError::Upstream(UpstreamError::Unreachable(_)) => "upstream_unreachable",
            SignInError::Upstream(_) => "upstream_unverified",
            SignInError::Denied(denial, ..) => denial.code(),
        }
    }

    /// What went wrong upstream, for the administrator (upstream errors carry no code or token).
    pub fn detail(&self) -> Option<String> {
        match self {
            SignInError::Upstream(e) => Some(e.to_string()),
            _ => None,
        }
    }

    /// The address Google gave, when the refusal is about the account.
    pub fn email(&self) -> Option<&str> {
        match self {
            SignInError::Denied(_, email, _) => email.as_deref(),
            _ => None,
        }
    }
}

/// A login about to leave for Google.
#[derive(Debug)]
pub struct Begun {
    /// The browser's binding cookie value (kept if it had a well-formed one).
    pub binding: String,
    /// What the callback will need.
    pub state: LoginState,
    /// `state`, sealed: the upstream `state` parameter.
    pub sealed: String,
}

/// Seals a new login state for the browser whose binding cookie is `binding_cookie`.
pub fn begin(
    sealer: &Sealer,
    binding_cookie: Option<&str>,
    return_to: Option<&str>,
    now: u64,
) -> Begun {
    let binding = binding_cookie
        .filter(|v| v.len() == 43)
        .map_or_else(random_token, str::to_string);
    let state = LoginState {
        nonce: random_token(),
        pkce_verifier: random_token(),
        binding: binding_hash(&binding),
        return_to: safe_return_to(return_to),
    };
    let sealed = sealer.seal(Purpose::LoginState, &state, now + LOGIN_STATE_TTL_SECS);
    Begun {
        binding,
        state,
        sealed,
    }
}

/// What `/callback` received.
#[derive(Debug, Clone, Copy)]
pub struct Callback<'a> {
    /// The sealed login state, as Google returned it.
    pub state: Option<&'a str>,
    /// Google's code.
    pub code: Option<&'a str>,
    /// Whether Google sent an error instead.
    pub error: bool,
    /// The browser's binding cookie.
    pub binding_cookie: Option<&'a str>,
}

/// Finishes a sign-in at `now`: opens the state and checks the browser's binding, exchanges the
/// code, applies the allow-list. Returns the new session and where to go next.
pub async fn complete(
    callback: Callback<'_>,
    sealer: &Sealer,
    upstream: &Upstream,
    config: &Config,
    now: u64,
) -> Result<(Session, String), SignInError> {
    let sealed = callback.state.ok_or(SignInError::BadState)?;
    let login: LoginState = sealer
        .open(Purpose::LoginState, sealed, now)
        .map_err(|e| match e {
            SealError::Expired => SignInError::ExpiredState,
            SealError::Invalid => SignInError::BadState,
        })?;
    let binding = callback.binding_cookie.ok_or(SignInError::OtherBrowser)?;
    if binding_hash(binding) != login.binding {
        return Err(SignInError::OtherBrowser);
    }
    if callback.error {
        return Err(SignInError::Cancelled);
    }
    let code = callback.code.ok_or(SignInError::BadState)?;
    let identity = upstream
        .exchange(code, &login.pkce_verifier, &login.nonce, now)
        .await
        .map_err(SignInError::Upstream)?;
    let roles = policy::admit(&config.admission, &identity.claimant())
        .map_err(|d| SignInError::Denied(d, identity.email.clone(), login.return_to.clone()))?;
    let session = Session {
        sub: identity.sub,
        email: identity.email.unwrap_or_default(),
        name: identity.name,
        picture: identity.picture,
        given_name: identity.given_name,
        family_name: identity.family_name,
        locale: identity.locale,
        roles,
        auth_time: identity.auth_time.unwrap_or(now),
        hosted_domain: identity.hosted_domain,
        sid: random_token(),
        clients: vec![],
    };
    Ok((session, login.return_to))
}
