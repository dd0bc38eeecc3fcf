//! Token exchange (RFC 8693): a service the user signed in to calls an API on their behalf with a
//! token for that API, naming itself in `act`; verified by the API with monban-verify.

use monban::keys::KeyStore;
use monban::tokens::Tokens;
use monban_verify::{Options, Verifier};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, WIKI_SECRET};

const EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS: &str = "urn:ietf:params:oauth:token-type:access_token";
const INVENTORY: &str = "https://inventory.lab.example.org/";

/// `wiki` (or another client) exchanging `subject` for a token for `resource`.
async fn exchange(
    app: &TestApp,
    client: (&str, &str),
    subject: &str,
    subject_type: &str,
    resource: Option<&str>,
) -> reqwest::Response {
    let mut form = vec![
        ("grant_type", EXCHANGE),
        ("client_id", client.0),
        ("client_secret", client.1),
        ("subject_token", subject),
        ("subject_token_type", subject_type),
    ];
    form.extend(resource.map(|r| ("resource", r)));
    app.token(&form).await
}

const WIKI: (&str, &str) = ("wiki", WIKI_SECRET);

#[tokio::test]
async fn a_service_calls_an_api_for_its_user_with_an_exchanged_token() {
    let app = TestApp::builder().provider().spawn().await;
    let discovery = app.discovery().await;
    assert!(
        discovery["grant_types_supported"]
            .to_string()
            .contains(EXCHANGE),
        "{discovery}"
    );
    let tokens = app.tokens_for("ada").await;
    let subject = tokens["access_token"].as_str().unwrap();
    let response = exchange(&app, WIKI, subject, ACCESS, Some(INVENTORY)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["issued_token_type"], ACCESS);
    assert_eq!(body["token_type"], "Bearer");
    assert!(body.get("refresh_token").is_none() && body.get("id_token").is_none());
    // The API verifies it offline with its own identifier as the audience.
    let jwks = app.jwks().await;
    let inventory = Verifier::from_jwks(&app.issuer, INVENTORY, &jwks, Options::default());
    let claims = inventory
        .verify_cached(body["access_token"].as_str().unwrap())
        .unwrap();
    let wiki = Verifier::from_jwks(&app.issuer, "wiki", &jwks, Options::default());
    let original = wiki.verify_cached(subject).unwrap();
    assert_eq!(claims.sub, original.sub);
    assert_eq!(claims.email.as_deref(), Some("ada@lab.example.org"));
    assert_eq!(claims.roles, ["admin"]);
    assert_eq!(claims.act.as_ref().map(|a| a.sub.as_str()), Some("wiki"));
    assert_eq!(claims.scope, "inventory:read inventory:write");
    assert!(
        claims.exp <= original.exp,
        "never outlives the token it came from"
    );
    // The exchanged token is the API's: it cannot be exchanged again by wiki.
    let again = exchange(
        &app,
        WIKI,
        body["access_token"].as_str().unwrap(),
        ACCESS,
        Some(INVENTORY),
    )
    .await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
}

/// Asserts a 400 with `error` and no token.
async fn refused(response: reqwest::Response, error: &str) {
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], error, "{body}");
    assert!(body.get("access_token").is_none(), "{body}");
}

#[tokio::test]
async fn every_bad_exchange_is_refused_with_the_rfcs_code() {
    let app = TestApp::builder().provider().manual_clock().spawn().await;
    let tokens = app.tokens_for("ada").await;
    let access = tokens["access_token"].as_str().unwrap();
    let id_token = tokens["id_token"].as_str().unwrap();
    // An ID token, whether typed as one or passed off as an access token.
    let id_type = "urn:ietf:params:oauth:token-type:id_token";
    refused(
        exchange(&app, WIKI, id_token, id_type, Some(INVENTORY)).await,
        "invalid_request",
    )
    .await;
    refused(
        exchange(&app, WIKI, id_token, ACCESS, Some(INVENTORY)).await,
        "invalid_request",
    )
    .await;
    // A token of another audience: wiki's token presented by another service.
    let reports = ("reports", "reports-client-secret");
    refused(
        exchange(&app, reports, access, ACCESS, Some(INVENTORY)).await,
        "invalid_request",
    )
    .await;
    // A service's own token (no user).
    let own = app.service_token().await;
    refused(
        exchange(&app, reports, &own, ACCESS, Some(INVENTORY)).await,
        "invalid_request",
    )
    .await;
    // Another issuer's token, signed with the same keys.
    let keys = KeyStore::load(&app.config()).unwrap();
    let forged = Tokens::new(keys, "https://other.example.org")
        .mint("at+jwt", &json!({"iss": "https://other.example.org", "sub": "x", "aud": "wiki",
                                 "exp": monban::clock::unix_now() + 60, "email": "ada@lab.example.org"}))
        .unwrap();
    refused(
        exchange(&app, WIKI, &forged, ACCESS, Some(INVENTORY)).await,
        "invalid_request",
    )
    .await;
    // No API, an unknown one, or one the client may not call.
    refused(
        exchange(&app, WIKI, access, ACCESS, None).await,
        "invalid_target",
    )
    .await;
    for api in [
        "https://nowhere.example.org/",
        "https://payroll.lab.example.org/",
    ] {
        refused(
            exchange(&app, WIKI, access, ACCESS, Some(api)).await,
            "invalid_target",
        )
        .await;
    }
    // A client not configured for the grant.
    let strict = ("strict", "strict-client-secret");
    refused(
        exchange(&app, strict, access, ACCESS, Some(INVENTORY)).await,
        "unauthorized_client",
    )
    .await;
    // Its user removed from the configuration since (an instance running the new one).
    let removed = app
        .spawn_sibling_with(&[
            ("MONBAN_ALLOWED_DOMAINS", "other.example.org"),
            ("MONBAN_ROLES__ADMIN", "grace@lab.example.org"),
        ])
        .await;
    refused(
        exchange(&removed, WIKI, access, ACCESS, Some(INVENTORY)).await,
        "invalid_request",
    )
    .await;
    // An expired subject token.
    app.advance_clock(3600 + 61);
    refused(
        exchange(&app, WIKI, access, ACCESS, Some(INVENTORY)).await,
        "invalid_request",
    )
    .await;
}
