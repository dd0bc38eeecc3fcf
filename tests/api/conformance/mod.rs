//! The OpenID Foundation's OP test plans, module by module, for a provider with static clients
//! (the conformance suite's `src/main/java/net/openid/conformance/openid/`): each test is named
//! after its module and asserts what the module asserts, with the suite's grading. The four plans:
//!
//! - `oidcc-basic-certification-test-plan`: [`basic`] (the code flow, the ID token, `/userinfo`,
//!   claims by scope, refresh tokens), [`requests`] (the optional parameters of the authorization
//!   request) and [`refusals`] (what must be refused, and how);
//! - `oidcc-config-certification-test-plan`: [`discovery`];
//! - `oidcc-rp-initiated-logout-certification-test-plan` and
//!   `oidcc-backchannel-rp-initiated-logout-certification-test-plan`: [`logout`] and the
//!   discovery modules of both in [`discovery`].
//!
//! A module the suite skips for a provider like monban (a scope discovery does not list, an
//! unsigned ID token it never issues, a request object it refuses) is a test that the reason for
//! skipping holds. docs/security.md has the table; docs/integrate.md says how to run the suite
//! itself against a deployment.

use reqwest::Url;
use serde_json::Value;

use crate::helpers::{TestApp, claims_of, param};

mod basic;
mod discovery;
mod logout;
mod refusals;
mod requests;

/// A sign-in to `wiki`, as far as its callback, and what its code was redeemed for.
struct SignedIn {
    /// The client's callback URL, with the code and state.
    back: Url,
    /// The token response.
    tokens: Value,
    /// The ID token's claims.
    id: Value,
}

impl SignedIn {
    fn access(&self) -> &str {
        self.tokens["access_token"].as_str().unwrap()
    }

    fn id_token(&self) -> &str {
        self.tokens["id_token"].as_str().unwrap()
    }
}

/// `app`'s browser signs ada in to `wiki` with `extra` on the authorization request (through
/// Google when it holds no session at monban), and `wiki` redeems the code.
async fn sign_in(app: &TestApp, extra: &str) -> SignedIn {
    let (url, verifier) = app.authorize_url("wiki", extra);
    sign_in_at(app, &url, &verifier).await
}

/// [`sign_in`] from an authorization URL made by [`TestApp::authorize_url`].
async fn sign_in_at(app: &TestApp, url: &str, verifier: &str) -> SignedIn {
    let back = app.follow_to_client(url, "ada").await;
    let code = param(&back, "code").unwrap_or_else(|| panic!("no code: {back}"));
    let tokens: Value = app.redeem(&code, verifier).await.json().await.unwrap();
    let id = claims_of(tokens["id_token"].as_str().unwrap());
    SignedIn { back, tokens, id }
}

/// Whether monban answered `url` at once with the client's callback (single sign-on), rather
/// than with a sign-in.
async fn answered_at_once(app: &TestApp, url: &str) -> Option<Url> {
    let response = app.get_url(url).await;
    (response.status() == reqwest::StatusCode::SEE_OTHER)
        .then(|| crate::helpers::location(&response))
        .filter(|to| to.as_str().starts_with(crate::helpers::CLIENT_ORIGIN))
}
