//! Services and command-line tools sign in too: a service acting as itself (client credentials)
//! and a CLI that listens on whatever loopback port it gets (RFC 8252 §7.3).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use monban_verify::{Options, Verifier};
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, WIKI_SECRET, param};

fn basic(id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

async fn client_credentials(app: &TestApp, auth: &str, scope: Option<&str>) -> reqwest::Response {
    for_resource(app, auth, scope, None).await
}

async fn for_resource(
    app: &TestApp,
    auth: &str,
    scope: Option<&str>,
    resource: Option<&str>,
) -> reqwest::Response {
    let mut form = vec![("grant_type", "client_credentials")];
    if let Some(scope) = scope {
        form.push(("scope", scope));
    }
    if let Some(resource) = resource {
        form.push(("resource", resource));
    }
    app.client
        .post(format!("{}/token", app.address))
        .header("authorization", auth)
        .form(&form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_service_gets_a_token_of_its_own_with_its_roles_and_no_user() {
    let app = TestApp::builder().provider().spawn().await;
    let response = client_credentials(&app, &basic("reports", "reports-client-secret"), None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert!(
        body.get("refresh_token").is_none() && body.get("id_token").is_none(),
        "{body}"
    );
    assert_eq!(body["scope"], "inventory:read");
    let access = body["access_token"].as_str().unwrap();
    let sibling = Verifier::from_jwks(
        &app.issuer,
        "reports",
        &app.jwks().await,
        Options::default(),
    );
    let claims = sibling.verify_cached(access).unwrap();
    assert_eq!(claims.sub, "reports");
    assert_eq!(claims.client_id.as_deref(), Some("reports"));
    assert_eq!(claims.roles, ["reader"]);
    assert!(claims.email.is_none() && claims.auth_time.is_none());
    // No user to describe.
    let userinfo = app
        .client
        .get(format!("{}/userinfo", app.address))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo.status(), StatusCode::UNAUTHORIZED);
    // A scope it may not have is dropped; none of a user's scopes is granted.
    let narrow = client_credentials(
        &app,
        &basic("reports", "reports-client-secret"),
        Some("openid email inventory:write"),
    )
    .await;
    let narrow: Value = narrow.json().await.unwrap();
    assert_eq!(narrow["scope"], "");
    let discovery = app.discovery().await;
    assert!(
        discovery["grant_types_supported"]
            .as_array()
            .unwrap()
            .contains(&"client_credentials".into())
    );
}

#[tokio::test]
async fn only_a_client_configured_for_it_gets_client_credentials() {
    let app = TestApp::builder().provider().spawn().await;
    // wiki has the default grants: authorization_code and refresh_token.
    let refused = client_credentials(&app, &basic("wiki", "wiki-client-secret"), None).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "unauthorized_client", "{body}");
    assert!(body.get("access_token").is_none());
    // A wrong secret is 401 before the grant is looked at.
    let wrong = client_credentials(&app, &basic("reports", "nope"), None).await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    // And the service cannot sign people in: it may only use client_credentials.
    let (url, _) = app.authorize_url("reports", "");
    let page = app.get_url(&url.replace(&app.issuer, &app.address)).await;
    assert_eq!(
        page.status(),
        StatusCode::OK,
        "the sign-in page still shows"
    );
    let code = app
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", "x"),
            ("client_id", "reports"),
            ("client_secret", "reports-client-secret"),
        ])
        .await;
    let code: Value = code.json().await.unwrap();
    assert_eq!(code["error"], "unauthorized_client");
}

#[tokio::test]
async fn a_command_line_tool_may_listen_on_any_loopback_port() {
    let app = TestApp::builder().provider().spawn().await;
    for port in [49152, 61234] {
        let redirect = format!("http://127.0.0.1:{port}/callback");
        let (challenge, verifier) = openidconnect::PkceCodeChallenge::new_random_sha256();
        let url = format!(
            "{}/authorize?response_type=code&client_id=cli&redirect_uri={redirect}&scope=openid\
             &state=st&code_challenge={}&code_challenge_method=S256",
            app.issuer,
            challenge.as_str()
        );
        let back = app.follow_until(&url, "ada", &redirect).await;
        let code = param(&back, "code").expect("a code");
        let tokens: Value = app
            .token(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", &redirect),
                ("code_verifier", verifier.secret()),
                ("client_id", "cli"),
            ])
            .await
            .json()
            .await
            .unwrap();
        assert!(tokens["access_token"].is_string(), "{tokens}");
    }
    // Another path, another host (`localhost` is not a loopback IP literal), https: not registered.
    for other in [
        "http://127.0.0.1:5000/other",
        "http://localhost:5000/callback",
        "https://127.0.0.1:5000/callback",
        "http://[::1]:5000/callback",
    ] {
        let url = format!(
            "/authorize?response_type=code&client_id=cli&redirect_uri={other}&scope=openid&code_challenge=abc&code_challenge_method=S256"
        );
        let response = app.get(&url).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{other}");
        assert!(response.headers().get("location").is_none());
    }
}

const INVENTORY: &str = "https://inventory.lab.example.org/";

#[tokio::test]
async fn a_token_for_an_api_has_that_api_as_its_audience_and_only_its_scopes() {
    let app = TestApp::builder().provider().spawn().await;
    let reports = basic("reports", "reports-client-secret");
    let response = for_resource(&app, &reports, Some("inventory:read"), Some(INVENTORY)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["scope"], "inventory:read");
    let access = body["access_token"].as_str().unwrap();
    // The API checks its own identifier as the audience (monban-verify, as docs/integrate.md shows).
    let jwks = app.jwks().await;
    let inventory = Verifier::from_jwks(&app.issuer, INVENTORY, &jwks, Options::default());
    let claims = inventory.verify_cached(access).unwrap();
    assert_eq!(
        (claims.aud.as_str(), claims.sub.as_str()),
        (INVENTORY, "reports")
    );
    let as_client = Verifier::from_jwks(&app.issuer, "reports", &jwks, Options::default());
    assert!(
        as_client.verify_cached(access).is_err(),
        "not for the client itself"
    );
    // No scope asked: all of the API's.
    let all: Value = for_resource(&app, &reports, None, Some(INVENTORY))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all["scope"], "inventory:read inventory:write");
}

#[tokio::test]
async fn an_unknown_or_unallowed_resource_is_invalid_target() {
    let app = TestApp::builder().provider().spawn().await;
    let reports = basic("reports", "reports-client-secret");
    for resource in [
        "https://nowhere.example.org/",
        "https://payroll.lab.example.org/",
    ] {
        let response = for_resource(&app, &reports, None, Some(resource)).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{resource}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_target", "{body}");
        assert!(body.get("access_token").is_none());
    }
}

/// A signed-in user's code for `wiki` with `resource` and the scope `openid email` plus `more`.
async fn code_with_resource(app: &TestApp, user: &str, resource: &str, more: &str) -> reqwest::Url {
    let (url, verifier) = app.authorize_url("wiki", &format!("&resource={resource}"));
    let url = url.replace("scope=openid+email", &format!("scope=openid+email{more}"));
    let mut back = app.follow_to_client(&url, user).await;
    back.query_pairs_mut().append_pair("verifier", &verifier);
    back
}

#[tokio::test]
async fn a_users_token_for_an_api_names_it_from_authorize_through_every_refresh() {
    let app = TestApp::builder().provider().spawn().await;
    let back = code_with_resource(&app, "ada", INVENTORY, "+inventory%3Awrite").await;
    let (code, verifier) = (
        param(&back, "code").unwrap(),
        param(&back, "verifier").unwrap(),
    );
    let body: Value = app.redeem(&code, &verifier).await.json().await.unwrap();
    // The access token is the API's, with only the API's scopes (inventory:write: the API's,
    // though not among the client's own allowed_scopes); the ID token stays the client's.
    assert_eq!(body["scope"], "inventory:write", "{body}");
    let jwks = app.jwks().await;
    let inventory = Verifier::from_jwks(&app.issuer, INVENTORY, &jwks, Options::default());
    let claims = inventory
        .verify_cached(body["access_token"].as_str().unwrap())
        .unwrap();
    assert_eq!(claims.email.as_deref(), Some("ada@lab.example.org"));
    assert_eq!(claims.client_id.as_deref(), Some("wiki"));
    let wiki = Verifier::from_jwks(&app.issuer, "wiki", &jwks, Options::default());
    assert!(
        wiki.verify_cached(body["access_token"].as_str().unwrap())
            .is_err()
    );
    assert!(body["id_token"].is_string());
    // Every refresh keeps the API.
    let refreshed: Value = app
        .refresh("wiki", body["refresh_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert!(
        inventory
            .verify_cached(refreshed["access_token"].as_str().unwrap())
            .is_ok()
    );
    // A refresh for another API than the grant's is invalid_target.
    let other: Value = app
        .token(&[
            ("grant_type", "refresh_token"),
            (
                "refresh_token",
                refreshed["refresh_token"].as_str().unwrap(),
            ),
            ("resource", "https://payroll.lab.example.org/"),
            ("client_id", "wiki"),
            ("client_secret", WIKI_SECRET),
        ])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(other["error"], "invalid_target", "{other}");
}

#[tokio::test]
async fn a_resource_the_client_may_not_call_is_invalid_target_at_authorize_and_token() {
    let app = TestApp::builder().provider().spawn().await;
    // At /authorize: back to the client with the error, no code.
    let (url, _) = app.authorize_url("wiki", "&resource=https://payroll.lab.example.org/");
    let response = app.client.get(&url).send().await.unwrap();
    let back = crate::helpers::location(&response);
    assert_eq!(param(&back, "error").as_deref(), Some("invalid_target"));
    assert!(param(&back, "code").is_none());
    // At /token: a code without a resource, redeemed for an API the client may not call.
    let (code, verifier) = app.code_for("wiki", "ada").await;
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("code_verifier", verifier.as_str()),
        ("client_id", "wiki"),
        ("client_secret", WIKI_SECRET),
        ("resource", "https://payroll.lab.example.org/"),
    ];
    let redirect = format!("{}/wiki/callback", crate::helpers::CLIENT_ORIGIN);
    form.push(("redirect_uri", &redirect));
    let body: Value = app.token(&form).await.json().await.unwrap();
    assert_eq!(body["error"], "invalid_target", "{body}");
    assert!(body.get("access_token").is_none());
}
