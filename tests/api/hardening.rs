//! Security headers, size limits and the per-address rate limit, over HTTP.

use std::collections::HashMap;
use std::net::TcpListener;

use monban::config::Config;
use monban::http::Application;
use monban::keys::{KeyAlg, KeyStore};
use reqwest::StatusCode;

use crate::helpers::{CLIENT_ORIGIN, TestApp, location};
use monban::dev::mock_upstream::Fault;

fn cache_control(response: &reqwest::Response) -> &str {
    response.headers()["cache-control"].to_str().unwrap()
}

#[tokio::test]
async fn nothing_carrying_a_code_token_or_page_is_cacheable_but_the_public_documents() {
    let app = TestApp::builder().provider().spawn().await;
    // The redirect that carries a code, and the one that carries the login state to Google.
    let url = format!(
        "{}/authorize?response_type=code&client_id=wiki&redirect_uri={CLIENT_ORIGIN}/wiki/callback&scope=openid",
        app.issuer
    );
    let to_login = app.get_url(&url).await;
    assert_eq!(cache_control(&to_login), "no-store");
    let to_google = app
        .get_url(&app.here(&app.sign_in_link(to_login).await))
        .await;
    assert_eq!(cache_control(&to_google), "no-store");
    let callback = app.choose_user(&location(&to_google), "ada").await;
    let signed_in = app.get_url(&app.here(&callback)).await;
    assert_eq!(cache_control(&signed_in), "no-store");
    let with_code = app.get_url(&app.here(&location(&signed_in))).await;
    assert!(location(&with_code).query().unwrap().contains("code="));
    assert_eq!(cache_control(&with_code), "no-store");
    // Pages, errors and 404s too.
    for path in ["/", "/callback", "/nope", "/userinfo"] {
        let response = app.get(path).await;
        assert_eq!(cache_control(&response), "no-store", "{path}");
        assert_eq!(
            response.headers()["referrer-policy"],
            "no-referrer",
            "{path}"
        );
    }
    // Over http there is no HSTS (browsers ignore it there, and it would break local dev).
    assert!(
        app.get("/")
            .await
            .headers()
            .get("strict-transport-security")
            .is_none()
    );
    // The public documents keep their own caching.
    let jwks = app.get("/.well-known/jwks.json").await;
    assert!(cache_control(&jwks).starts_with("public"));
}

#[tokio::test]
async fn an_https_issuer_sends_hsts_on_every_response() {
    let keys = tempfile::tempdir().unwrap();
    crate::helpers::keygen_at(keys.path(), KeyAlg::Es256, 0);
    let env: HashMap<String, String> = [
        ("MONBAN_ISSUER", "https://login.example.org"),
        ("MONBAN_KEYS_DIR", keys.path().to_str().unwrap()),
        ("MONBAN_UPSTREAM__CLIENT_ID", "id"),
        ("MONBAN_UPSTREAM__CLIENT_SECRET", "secret"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let config = Config::load(&env).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = Application::build(&config, &KeyStore::load(&config).unwrap(), listener).unwrap();
    tokio::spawn(app.run_until_stopped());
    for path in ["/healthz", "/.well-known/jwks.json", "/nope"] {
        let response = reqwest::get(format!("http://127.0.0.1:{port}{path}"))
            .await
            .unwrap();
        assert_eq!(
            response.headers()["strict-transport-security"],
            "max-age=31536000",
            "{path}"
        );
    }
}

#[tokio::test]
async fn oversized_input_gets_414_431_or_413_before_any_work() {
    let app = TestApp::builder().provider().spawn().await;
    let long_query = format!("/authorize?client_id=wiki&state={}", "a".repeat(9000));
    let response = app.get(&long_query).await;
    assert_eq!(response.status(), StatusCode::URI_TOO_LONG);
    assert!(response.text().await.unwrap().contains("at most 8192"));

    let response = app
        .client
        .get(format!("{}/login", app.address))
        .header("cookie", format!("x={}", "a".repeat(9000)))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
    );
    assert!(response.text().await.unwrap().contains("cookie header"));

    let mut many = app.client.get(format!("{}/", app.address));
    for i in 0..4 {
        many = many.header(format!("x-filler-{i}"), "b".repeat(5000));
    }
    let response = many.send().await.unwrap();
    assert_eq!(
        response.status(),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
    );

    let response = app
        .client
        .post(format!("{}/token", app.address))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &"c".repeat(20_000)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");

    let response = app
        .client
        .post(format!("{}/token", app.address))
        .json(&serde_json::json!({"grant_type": "authorization_code"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
}

#[tokio::test]
async fn the_login_endpoints_are_rate_limited_per_address_with_retry_after() {
    let app = TestApp::builder()
        .mock_google(Fault::None)
        .env(&[
            ("MONBAN_RATE_LIMIT_PER_MINUTE", "1"),
            ("MONBAN_RATE_LIMIT_BURST", "2"),
        ])
        .spawn()
        .await;
    for _ in 0..2 {
        assert_eq!(app.get("/login").await.status(), StatusCode::SEE_OTHER);
    }
    let refused = app.get("/login").await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("Too many sign-in attempts")
    );
    // The token endpoint shares the address's budget and answers in JSON.
    let refused = app
        .client
        .post(format!("{}/token", app.address))
        .form(&[("grant_type", "refresh_token")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "too_many_requests");
    // What sibling services and browsers fetch all the time is never limited.
    for path in [
        "/.well-known/jwks.json",
        "/.well-known/openid-configuration",
        "/healthz",
        "/",
    ] {
        assert_eq!(app.get(path).await.status(), StatusCode::OK, "{path}");
    }
}

/// A monban behind one trusted proxy that lets each address sign in once a minute.
async fn one_login_a_minute_behind_a_proxy() -> TestApp {
    TestApp::builder()
        .mock_google(Fault::None)
        .env(&[
            ("MONBAN_RATE_LIMIT_PER_MINUTE", "1"),
            ("MONBAN_RATE_LIMIT_BURST", "1"),
            ("MONBAN_TRUSTED_PROXY_HOPS", "1"),
        ])
        .spawn()
        .await
}

/// `GET /login` as the proxy forwards it for `forwarded`; its status.
async fn login_from(app: &TestApp, forwarded: &str) -> StatusCode {
    app.client
        .get(format!("{}/login", app.address))
        .header("x-forwarded-for", forwarded)
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_address_has_its_own_budget() {
    let app = one_login_a_minute_behind_a_proxy().await;
    assert_eq!(login_from(&app, "203.0.113.1").await, StatusCode::SEE_OTHER);
    assert_eq!(
        login_from(&app, "203.0.113.1").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(login_from(&app, "203.0.113.2").await, StatusCode::SEE_OTHER);
    // A client cannot buy a fresh budget by forging entries left of the proxy's.
    assert_eq!(
        login_from(&app, "198.51.100.9, 203.0.113.1").await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn ipv6_clients_share_a_budget_per_64_bit_prefix() {
    let app = one_login_a_minute_behind_a_proxy().await;
    assert_eq!(
        login_from(&app, "2001:db8:5:6::1").await,
        StatusCode::SEE_OTHER
    );
    // A fresh address from the same /64 is no fresh budget; another /64 is.
    assert_eq!(
        login_from(&app, "2001:db8:5:6:abcd::9").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        login_from(&app, "2001:db8:5:7::1").await,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn the_limit_can_be_turned_off() {
    let app = TestApp::builder().key(KeyAlg::Es256).spawn().await;
    let app = app
        .spawn_sibling_with(&[("MONBAN_RATE_LIMIT_PER_MINUTE", "0")])
        .await;
    for _ in 0..100 {
        assert_ne!(
            app.get("/login").await.status(),
            StatusCode::TOO_MANY_REQUESTS
        );
    }
}
