//! The Basic plan's modules of the authorization request's optional parameters: each request
//! succeeds, and `prompt`, `max_age` and `id_token_hint` are honoured.

use super::{SignedIn, answered_at_once, sign_in, sign_in_at};
use crate::helpers::{TestApp, param};

/// A sign-in with `extra` on the request succeeds as any other.
async fn succeeds_with(extra: &str) -> SignedIn {
    let app = TestApp::builder().provider().spawn().await;
    let signed = sign_in(&app, extra).await;
    assert_eq!(param(&signed.back, "state").as_deref(), Some("st"));
    assert_eq!(signed.id["sub"], "mock-ada");
    signed
}

/// `oidcc-ensure-request-without-nonce-succeeds-for-code-flow`: `nonce` is optional in the code
/// flow; the ID token then carries none.
#[tokio::test]
async fn oidcc_ensure_request_without_nonce_succeeds_for_code_flow() {
    let app = TestApp::builder().provider().spawn().await;
    let (url, verifier) = app.authorize_url("wiki", "");
    let url = url.replace("&nonce=nn", "");
    let signed = sign_in_at(&app, &url, &verifier).await;
    assert!(signed.id.get("nonce").is_none(), "{}", signed.id);
}

/// `oidcc-display-page`.
#[tokio::test]
async fn oidcc_display_page() {
    succeeds_with("&display=page").await;
}

/// `oidcc-display-popup`.
#[tokio::test]
async fn oidcc_display_popup() {
    succeeds_with("&display=popup").await;
}

/// `oidcc-ensure-request-with-unknown-parameter-succeeds`: an unknown parameter is ignored.
#[tokio::test]
async fn oidcc_ensure_request_with_unknown_parameter_succeeds() {
    succeeds_with("&extra=foobar").await;
}

/// `oidcc-login-hint` (passed on to Google).
#[tokio::test]
async fn oidcc_login_hint() {
    succeeds_with("&login_hint=ada%40lab.example.org").await;
}

/// `oidcc-ui-locales`: a language monban does not have falls back to the browser's.
#[tokio::test]
async fn oidcc_ui_locales() {
    succeeds_with("&ui_locales=se").await;
}

/// `oidcc-claims-locales`.
#[tokio::test]
async fn oidcc_claims_locales() {
    succeeds_with("&claims_locales=se").await;
}

/// `oidcc-ensure-request-with-valid-pkce-succeeds` (every flow here sends S256 PKCE).
#[tokio::test]
async fn oidcc_ensure_request_with_valid_pkce_succeeds() {
    let signed = succeeds_with("").await;
    assert!(signed.tokens["access_token"].is_string());
}

/// A sign-in, then, `age` seconds later, a request with `extra`: whether monban answered it at
/// once (single sign-on), and the `auth_time` of both ID tokens.
async fn again_after(age: u64, extra: &str) -> (bool, u64, u64) {
    let app = TestApp::builder().manual_clock().provider().spawn().await;
    let first = sign_in(&app, "").await;
    app.advance_clock(age);
    let (url, verifier) = app.authorize_url("wiki", extra);
    let at_once = answered_at_once(&app, &url).await.is_some();
    let second = sign_in_at(&app, &url, &verifier).await;
    assert_eq!(second.id["sub"], first.id["sub"]);
    let auth_time = |s: &SignedIn| s.id["auth_time"].as_u64().unwrap();
    (at_once, auth_time(&first), auth_time(&second))
}

/// `oidcc-prompt-login`: a browser signed in at monban is sent to sign in again, and the second
/// ID token's `auth_time` is the new sign-in's.
#[tokio::test]
async fn oidcc_prompt_login() {
    let (at_once, first, second) = again_after(5, "&prompt=login").await;
    assert!(!at_once && second > first);
}

/// `oidcc-prompt-none-not-logged-in`: no session: `login_required` on the redirect URI at once,
/// with the state, and no code.
#[tokio::test]
async fn oidcc_prompt_none_not_logged_in() {
    let app = TestApp::builder().provider().spawn().await;
    let (url, _) = app.authorize_url("wiki", "&prompt=none");
    let back = answered_at_once(&app, &url)
        .await
        .expect("sent back at once");
    assert_eq!(param(&back, "error").as_deref(), Some("login_required"));
    assert_eq!(param(&back, "state").as_deref(), Some("st"));
    assert_eq!(param(&back, "code"), None);
}

/// `oidcc-prompt-none-logged-in`: with a session, a code at once, for the same person and sign-in.
#[tokio::test]
async fn oidcc_prompt_none_logged_in() {
    let (at_once, first, second) = again_after(0, "&prompt=none").await;
    assert!(at_once && second == first);
}

/// `oidcc-max-age-1`: a sign-in older than `max_age` is not reused: the person signs in again
/// and `auth_time` is the new one.
#[tokio::test]
async fn oidcc_max_age_1() {
    let (at_once, first, second) = again_after(2, "&max_age=1").await;
    assert!(!at_once && second > first);
}

/// `oidcc-max-age-10000`: a sign-in younger than `max_age` is reused, `auth_time` unchanged.
#[tokio::test]
async fn oidcc_max_age_10000() {
    let (at_once, first, second) = again_after(2, "&max_age=10000").await;
    assert!(at_once && second == first);
}

/// `oidcc-id-token-hint`: the first ID token as `id_token_hint`, with `prompt=none`: a code at
/// once, for the same person.
#[tokio::test]
async fn oidcc_id_token_hint() {
    let app = TestApp::builder().provider().spawn().await;
    let first = sign_in(&app, "").await;
    let extra = format!("&prompt=none&id_token_hint={}", first.id_token());
    let (url, verifier) = app.authorize_url("wiki", &extra);
    assert!(answered_at_once(&app, &url).await.is_some());
    let second = sign_in_at(&app, &url, &verifier).await;
    assert_eq!(second.id["sub"], first.id["sub"]);
}

/// `oidcc-ensure-request-with-acr-values-succeeds`: a request with `acr_values` (a voluntary
/// claim) succeeds. monban asserts no `acr` (docs/integrate.md says why: Google's ID token says
/// nothing of how the person authenticated) and discovery lists no `acr_values_supported`.
#[tokio::test]
async fn oidcc_ensure_request_with_acr_values_succeeds() {
    let app = TestApp::builder().provider().spawn().await;
    assert!(app.discovery().await.get("acr_values_supported").is_none());
    let (url, verifier) = app.authorize_url("wiki", "&acr_values=1+2");
    let back = app.follow_to_client(&url, "ada").await;
    let code = param(&back, "code").expect("a code");
    let tokens: serde_json::Value = app.redeem(&code, &verifier).await.json().await.unwrap();
    let id = crate::helpers::claims_of(tokens["id_token"].as_str().unwrap());
    assert_eq!(id["sub"], "mock-ada");
    assert!(id.get("acr").is_none());
}
