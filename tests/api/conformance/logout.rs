//! The RP-Initiated Logout plan's modules and the Back-Channel Logout plan's: where the browser
//! may be sent after signing out (only to a URI registered for the client the request names),
//! that the person is signed out whatever the parameters, and that clients with a back channel are
//! told.

use reqwest::StatusCode;
use reqwest::header::LOCATION;
use serde_json::Value;

use super::{answered_at_once, sign_in};
use crate::backchannel::Receivers;
use crate::helpers::{CLIENT_ORIGIN, TestApp, claims_of, location, param};

/// The `post_logout_redirect_uri` the `wiki` client registered.
fn wiki_signed_out() -> String {
    format!("{CLIENT_ORIGIN}/wiki/signed-out")
}

/// What each module checks last: the browser's session at monban has ended (`prompt=none` gets
/// `login_required`).
async fn assert_signed_out(app: &TestApp) {
    let (url, _) = app.authorize_url("wiki", "&prompt=none");
    let back = answered_at_once(app, &url).await.expect("answered at once");
    assert_eq!(
        param(&back, "error").as_deref(),
        Some("login_required"),
        "{back}"
    );
}

/// A page of monban's, or a redirect to one: never to a client.
fn assert_stays(response: &reqwest::Response) {
    if response.headers().contains_key(LOCATION) {
        let to = location(response);
        assert!(!to.as_str().starts_with(CLIENT_ORIGIN), "sent to {to}");
        assert_eq!(to.path(), "/", "monban's own page");
    }
}

/// `/logout` with `query`.
async fn logout(app: &TestApp, query: &str) -> reqwest::Response {
    app.get(&format!("/logout?{query}")).await
}

/// `oidcc-rp-initiated-logout`: `id_token_hint`, a registered `post_logout_redirect_uri` and
/// `state`: signed out at once and sent there with the state.
#[tokio::test]
async fn oidcc_rp_initiated_logout() {
    let app = TestApp::builder().provider().spawn().await;
    let signed = sign_in(&app, "").await;
    let query = format!(
        "id_token_hint={}&post_logout_redirect_uri={}&state=s1",
        signed.id_token(),
        wiki_signed_out()
    );
    let response = logout(&app, &query).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let back = location(&response);
    assert_eq!(
        back.as_str().split('?').next(),
        Some(wiki_signed_out().as_str())
    );
    assert_eq!(param(&back, "state").as_deref(), Some("s1"));
    assert_signed_out(&app).await;
}

/// `oidcc-rp-initiated-logout-bad-post-logout-redirect-uri`: a URI the client did not register:
/// an error page, never a redirect there.
#[tokio::test]
async fn oidcc_rp_initiated_logout_bad_post_logout_redirect_uri() {
    let app = TestApp::builder().provider().spawn().await;
    let signed = sign_in(&app, "").await;
    let query = format!(
        "id_token_hint={}&post_logout_redirect_uri={CLIENT_ORIGIN}/wiki/elsewhere&state=s1",
        signed.id_token()
    );
    let response = logout(&app, &query).await;
    assert_stays(&response);
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

/// `oidcc-rp-initiated-logout-modified-id-token-hint`: a hint whose signature does not verify is
/// no hint: an error page, never a redirect.
#[tokio::test]
async fn oidcc_rp_initiated_logout_modified_id_token_hint() {
    let app = TestApp::builder().provider().spawn().await;
    let signed = sign_in(&app, "").await;
    let (head, signature) = signed.id_token().rsplit_once('.').unwrap();
    let flipped = if signature.starts_with('A') { "B" } else { "A" };
    let forged = format!("{head}.{flipped}{}", &signature[1..]);
    let query = format!(
        "id_token_hint={forged}&post_logout_redirect_uri={}&state=s1",
        wiki_signed_out()
    );
    let response = logout(&app, &query).await;
    assert_stays(&response);
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

/// `oidcc-rp-initiated-logout-no-id-token-hint`: a logout request with a registered
/// `post_logout_redirect_uri` but neither `id_token_hint` nor `client_id` must not send the
/// browser to that URI (RP-Initiated Logout §3: without them the OP cannot tell who asks). The
/// person is still signed out, after confirming, and monban's page offers a link back; with the
/// `client_id`, the same URI is followed.
#[tokio::test]
async fn oidcc_rp_initiated_logout_no_id_token_hint() {
    let app = TestApp::builder().provider().spawn().await;
    app.login_as("ada").await;
    let wiki_out = format!("{CLIENT_ORIGIN}/wiki/signed-out");
    let asked = app
        .get(&format!(
            "/logout?post_logout_redirect_uri={wiki_out}&state=s1"
        ))
        .await;
    assert_eq!(asked.status(), StatusCode::OK, "a confirmation page");
    let confirmed = app.press_sign_out(&asked.text().await.unwrap(), &[]).await;
    assert_eq!(confirmed.status(), StatusCode::OK);
    assert!(
        confirmed.headers().get(LOCATION).is_none(),
        "not sent to the RP"
    );
    let page = confirmed.text().await.unwrap();
    assert!(page.contains(r#"<a href=""#) && page.contains("Lab Wiki"));
    let home = app.get("/").await.text().await.unwrap();
    assert!(
        !home.contains("You are signed in"),
        "signed out all the same"
    );
    // Naming the client, the registered URI is followed (after the confirmation).
    app.login_as("ada").await;
    let asked = app
        .get(&format!(
            "/logout?client_id=wiki&post_logout_redirect_uri={wiki_out}&state=s2"
        ))
        .await;
    let confirmed = app.press_sign_out(&asked.text().await.unwrap(), &[]).await;
    assert_eq!(confirmed.status(), StatusCode::SEE_OTHER);
    let back = location(&confirmed);
    assert_eq!(back.path(), "/wiki/signed-out");
    assert_eq!(param(&back, "state").as_deref(), Some("s2"));
}

/// `oidcc-rp-initiated-logout-no-params`: `/logout` alone: the confirmation page, then signed out
/// on monban's own page.
#[tokio::test]
async fn oidcc_rp_initiated_logout_no_params() {
    let app = TestApp::builder().provider().spawn().await;
    sign_in(&app, "").await;
    let asked = app.get("/logout").await;
    assert_eq!(asked.status(), StatusCode::OK);
    let confirmed = app.press_sign_out(&asked.text().await.unwrap(), &[]).await;
    assert_stays(&confirmed);
    assert_signed_out(&app).await;
}

/// `oidcc-rp-initiated-logout-no-post-logout-redirect-uri`: the hint alone: signed out at once, on
/// monban's own page.
#[tokio::test]
async fn oidcc_rp_initiated_logout_no_post_logout_redirect_uri() {
    let app = TestApp::builder().provider().spawn().await;
    let signed = sign_in(&app, "").await;
    let response = logout(&app, &format!("id_token_hint={}", signed.id_token())).await;
    assert_stays(&response);
    assert_signed_out(&app).await;
}

/// `oidcc-rp-initiated-logout-no-state`: without `state`, the redirect carries none.
#[tokio::test]
async fn oidcc_rp_initiated_logout_no_state() {
    let app = TestApp::builder().provider().spawn().await;
    let signed = sign_in(&app, "").await;
    let query = format!(
        "id_token_hint={}&post_logout_redirect_uri={}",
        signed.id_token(),
        wiki_signed_out()
    );
    let response = logout(&app, &query).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let back = location(&response);
    assert_eq!(back.as_str(), wiki_signed_out());
    assert_signed_out(&app).await;
}

/// `oidcc-rp-initiated-logout-only-state`: `state` alone names no client: the confirmation page,
/// then signed out on monban's own page.
#[tokio::test]
async fn oidcc_rp_initiated_logout_only_state() {
    let app = TestApp::builder().provider().spawn().await;
    sign_in(&app, "").await;
    let asked = logout(&app, "state=s1").await;
    assert_eq!(asked.status(), StatusCode::OK);
    let confirmed = app.press_sign_out(&asked.text().await.unwrap(), &[]).await;
    assert_stays(&confirmed);
    assert_signed_out(&app).await;
}

/// `oidcc-backchannel-rp-initiated-logout`: a client with a `backchannel_logout_uri` signs the
/// person out with its ID token as the hint: the browser goes to its registered URI with the
/// state, and the client's endpoint receives a logout token that verifies (Back-Channel Logout
/// §2.4–2.6: `iss`, `aud`, `iat`, `exp`, `jti`, the event, the `sid` of the ID token, no `nonce`,
/// `typ` `logout+jwt`).
#[tokio::test]
async fn oidcc_backchannel_rp_initiated_logout() {
    let receivers = Receivers::start();
    let notes = format!(
        "{}post_logout_redirect_uris = [\"{CLIENT_ORIGIN}/notes/signed-out\"]\n",
        receivers.client("notes")
    );
    let app = TestApp::builder()
        .provider()
        .more_clients(&notes)
        .spawn()
        .await;
    receivers.trust(&app, &["notes"]).await;
    let (url, verifier) = app.authorize_url("notes", "");
    let back = app.follow_to_client(&url, "ada").await;
    let tokens: Value = app
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &param(&back, "code").unwrap()),
            ("redirect_uri", &format!("{CLIENT_ORIGIN}/notes/callback")),
            ("code_verifier", &verifier),
            ("client_id", "notes"),
            ("client_secret", "notes-client-secret"),
        ])
        .await
        .json()
        .await
        .unwrap();
    let id_token = tokens["id_token"].as_str().unwrap();
    let query = format!(
        "id_token_hint={id_token}&post_logout_redirect_uri={CLIENT_ORIGIN}/notes/signed-out&state=s1"
    );
    let response = logout(&app, &query).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(param(&location(&response), "state").as_deref(), Some("s1"));
    let received = receivers.received();
    assert_eq!(received.len(), 1, "{received:?}");
    let (client, checked) = &received[0];
    let claims = checked.as_ref().unwrap();
    assert_eq!((client.as_str(), claims.aud.as_str()), ("notes", "notes"));
    assert_eq!(
        claims.sid,
        claims_of(id_token)["sid"].as_str().map(str::to_string)
    );
    assert_signed_out(&app).await;
}
