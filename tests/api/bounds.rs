//! The bounds statelessness must still keep (docs/security.md, "What statelessness costs"): what
//! would be a database row elsewhere is a check here, each tested across instances.

use monban::config::generate_session_secret;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, WIKI_SECRET};

#[tokio::test]
async fn seals_of_one_issuer_open_nowhere_else_even_with_the_same_keys_and_secret() {
    let secret = generate_session_secret();
    let production = TestApp::builder()
        .provider()
        .env(&[("MONBAN_SESSION_SECRETS", &secret)])
        .spawn()
        .await;
    let tokens = production.tokens_for("ada").await;
    let (code, verifier) = production.code_for("wiki", "ada").await;
    // Staging: the same keys dir and secret, another issuer; the same browser.
    let staging = production
        .spawn_sibling_with(&[("MONBAN_ISSUER", "http://127.0.0.1:2")])
        .await;

    let home = staging.get("/").await.text().await.unwrap();
    assert!(home.contains("Sign in with Google"), "the session opened");
    let redeemed = staging.redeem(&code, &verifier).await;
    assert_eq!(redeemed.status(), StatusCode::BAD_REQUEST);
    let body: Value = redeemed.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    let refreshed = staging
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ("client_id", "wiki"),
            ("client_secret", WIKI_SECRET),
        ])
        .await;
    let body: Value = refreshed.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant", "{body}");
    // Production itself still opens them all.
    let home = production.get("/").await.text().await.unwrap();
    assert!(home.contains("Ada Lovelace"));
}
