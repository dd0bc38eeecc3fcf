//! The Basic plan's modules of what must be refused, and how: an error page where the redirect
//! URI is not known to be the client's, an error on the redirect URI otherwise, and a code that is
//! used once.

use reqwest::StatusCode;
use reqwest::header::LOCATION;

use crate::helpers::{CLIENT_ORIGIN, TestApp, location, param};

/// The error a signed-in browser's request at `url` is sent back to `wiki`'s callback with, at
/// once, after checking what every such module checks: the state comes back and no code.
async fn error_sent_back(app: &TestApp, url: &str) -> String {
    let response = app.get_url(url).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let back = location(&response);
    let callback = format!("{CLIENT_ORIGIN}/wiki/callback");
    assert!(back.as_str().starts_with(&callback), "{back}");
    assert_eq!(param(&back, "state").as_deref(), Some("st"));
    assert_eq!(param(&back, "code"), None);
    param(&back, "error").expect("an error")
}

/// `oidcc-response-type-missing`: without `response_type`, an error on the (registered) redirect
/// URI, `invalid_request` or `unsupported_response_type`, with the state and no code.
#[tokio::test]
async fn oidcc_response_type_missing() {
    let app = TestApp::builder().provider().spawn().await;
    app.login_as("ada").await;
    let (url, _) = app.authorize_url("wiki", "");
    let url = url.replace("response_type=code&", "");
    let error = error_sent_back(&app, &url).await;
    assert!(["invalid_request", "unsupported_response_type"].contains(&error.as_str()));
}

/// `oidcc-ensure-registered-redirect-uri`: a redirect URI the client did not register gets an
/// error page, and the browser is sent nowhere.
#[tokio::test]
async fn oidcc_ensure_registered_redirect_uri() {
    let app = TestApp::builder().provider().spawn().await;
    app.login_as("ada").await;
    let (url, _) = app.authorize_url("wiki", "");
    let url = url.replace("/wiki/callback", "/wiki/elsewhere");
    let response = app.get_url(&url).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().get(LOCATION).is_none());
    assert!(response.text().await.unwrap().contains("not registered"));
}

/// `oidcc-request-uri-unsigned-supported-correctly-or-rejected-as-unsupported`: `request_uri` is
/// refused with `request_uri_not_supported` on the redirect URI (monban fetches no URL a request
/// names), and discovery says so.
#[tokio::test]
async fn oidcc_request_uri_unsigned_supported_correctly_or_rejected_as_unsupported() {
    let app = TestApp::builder().provider().spawn().await;
    assert_eq!(
        app.discovery().await["request_uri_parameter_supported"],
        false
    );
    app.login_as("ada").await;
    let (url, _) = app.authorize_url("wiki", "&request_uri=https%3A%2F%2Frp.example%2Fr.jwt");
    assert_eq!(
        error_sent_back(&app, &url).await,
        "request_uri_not_supported"
    );
}

/// `oidcc-ensure-request-object-with-redirect-uri`: the suite runs it only for a provider that
/// takes request objects; monban refuses one even when it carries its own `redirect_uri`, rather
/// than honour the query and ignore the object.
#[tokio::test]
async fn oidcc_ensure_request_object_with_redirect_uri() {
    let app = TestApp::builder().provider().spawn().await;
    app.login_as("ada").await;
    // {"alg":"none"} . {"redirect_uri":"http://127.0.0.1:9/wiki/callback","client_id":"wiki"} .
    let object = "eyJhbGciOiJub25lIn0.eyJyZWRpcmVjdF91cmkiOiJodHRwOi8vMTI3LjAuMC4xOjkvd2lraS9jYWxsYmFjayIsImNsaWVudF9pZCI6Indpa2kifQ.";
    let (url, _) = app.authorize_url("wiki", &format!("&request={object}"));
    assert_eq!(error_sent_back(&app, &url).await, "request_not_supported");
}

/// `oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported`: a request
/// object (`request=`, here unsigned, `alg: none`) is either honoured or refused with
/// `request_not_supported` on the redirect URI; monban refuses it, and says so in discovery.
#[tokio::test]
async fn oidcc_unsigned_request_object_supported_correctly_or_rejected_as_unsupported() {
    let app = TestApp::builder().provider().spawn().await;
    let discovery = app.discovery().await;
    assert_eq!(discovery["request_parameter_supported"], false);
    assert_eq!(discovery["request_uri_parameter_supported"], false);
    app.login_as("ada").await;
    // {"alg":"none"} . {"client_id":"wiki", ...} . (no signature)
    let object = "eyJhbGciOiJub25lIn0.eyJjbGllbnRfaWQiOiJ3aWtpIiwic2NvcGUiOiJvcGVuaWQifQ.";
    let (url, _) = app.authorize_url("wiki", &format!("&request={object}"));
    assert_eq!(error_sent_back(&app, &url).await, "request_not_supported");
}

/// `oidcc-ensure-post-request-succeeds`: the authorization endpoint takes POST as well as GET
/// (OIDC Core §3.1.2.1), and the POSTed request gets a code.
#[tokio::test]
async fn oidcc_ensure_post_request_succeeds() {
    let app = TestApp::builder().provider().spawn().await;
    app.login_as("ada").await;
    let (url, _) = app.authorize_url("wiki", "");
    let (endpoint, form) = url.split_once('?').unwrap();
    let response = app
        .client
        .post(endpoint.replace(&app.issuer, &app.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let back = location(&response);
    assert!(param(&back, "code").is_some(), "{back}");
    assert_eq!(param(&back, "state").as_deref(), Some("st"));
    // Not signed in: the POSTed request is replayed after the sign-in, as a GET, and gets a code.
    let stranger = TestApp::builder().provider().spawn().await;
    let (url, _) = stranger.authorize_url("wiki", "");
    let (endpoint, form) = url.split_once('?').unwrap();
    let asked = stranger
        .client
        .post(endpoint.replace(&stranger.issuer, &stranger.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(asked.status(), StatusCode::OK, "the sign-in page");
    let link = stranger.sign_in_link(asked).await;
    let back = stranger.follow_to_client(link.as_str(), "ada").await;
    assert!(param(&back, "code").is_some(), "{back}");
    // A body that is not a form of parameters: a page, no redirect.
    let garbage = app
        .client
        .post(format!("{}/authorize", app.address))
        .body(vec![0xff, 0xfe])
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), StatusCode::BAD_REQUEST);
    assert!(garbage.headers().get(LOCATION).is_none());
}

/// `oidcc-codereuse`: a code redeemed twice: the second redemption is `invalid_grant`. Without
/// shared state this holds per instance (each remembers the codes it redeemed until they expire);
/// the module presents the code again to the same provider at once.
#[tokio::test]
async fn oidcc_codereuse() {
    let app = TestApp::builder().provider().spawn().await;
    let (code, verifier) = app.code_for("wiki", "ada").await;
    assert_eq!(app.redeem(&code, &verifier).await.status(), StatusCode::OK);
    let again = app.redeem(&code, &verifier).await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = again.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    assert!(body.get("access_token").is_none());
}

/// `oidcc-codereuse-30seconds`: the same, 30 seconds later: by then the code has expired
/// everywhere (codes live 20 s), whichever instance is asked.
#[tokio::test]
async fn oidcc_codereuse_30seconds() {
    let app = TestApp::builder().provider().manual_clock().spawn().await;
    let (code, verifier) = app.code_for("wiki", "ada").await;
    assert_eq!(app.redeem(&code, &verifier).await.status(), StatusCode::OK);
    app.advance_clock(30);
    let sibling = app.spawn_sibling().await;
    for instance in [&app, &sibling] {
        let again = instance.redeem(&code, &verifier).await;
        assert_eq!(again.status(), StatusCode::BAD_REQUEST);
        let body: serde_json::Value = again.json().await.unwrap();
        assert_eq!(body["error"], "invalid_grant");
    }
}

/// `oidcc-ensure-redirect-uri-in-authorization-request`: without `redirect_uri` (required by OIDC
/// Core §3.1.2.1), monban shows an error page saying so, and sends nobody anywhere, even for a
/// client that registered a single URI.
#[tokio::test]
async fn oidcc_ensure_redirect_uri_in_authorization_request() {
    let app = TestApp::builder().provider().spawn().await;
    app.login_as("ada").await;
    let (url, _) = app.authorize_url("strict", "");
    let without = url.replace(
        &format!("&redirect_uri={CLIENT_ORIGIN}/strict/callback"),
        "",
    );
    assert!(!without.contains("redirect_uri"), "{without}");
    let response = app.get_url(&without).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().get(LOCATION).is_none());
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("redirect_uri is missing")
    );
}
