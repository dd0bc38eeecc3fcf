//! Discovery, JWKS and health, as a sibling service and a cache see them.

use monban::keys::KeyAlg;
use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, ETAG, IF_NONE_MATCH};
use serde_json::Value;

use crate::helpers::TestApp;

#[tokio::test]
async fn discovery_and_jwks_agree_on_issuer_and_location() {
    let app = TestApp::builder().key(KeyAlg::Rs256).spawn().await;
    let discovery = app.discovery().await;
    assert_eq!(discovery["issuer"], app.address.as_str());
    let jwks_uri = discovery["jwks_uri"].as_str().unwrap();
    assert_eq!(jwks_uri, format!("{}/.well-known/jwks.json", app.address));
    assert_eq!(
        discovery["id_token_signing_alg_values_supported"][0],
        "RS256"
    );
    let jwks: Value = app
        .client
        .get(jwks_uri)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = &jwks["keys"][0];
    assert_eq!(key["kty"], "RSA");
    assert_eq!(key["alg"], "RS256");
    assert_eq!(key["use"], "sig");
    assert!(key["kid"].is_string() && key["n"].is_string() && key["e"].is_string());
    assert!(key.get("d").is_none(), "a private part was published");
}

#[tokio::test]
async fn discovery_advertises_only_endpoints_that_answer() {
    let app = TestApp::builder().key(KeyAlg::Es256).spawn().await;
    let discovery = app.discovery().await;
    for (name, value) in discovery.as_object().unwrap() {
        if name.ends_with("_endpoint") || name.ends_with("_uri") {
            let url = value.as_str().unwrap();
            let status = app.client.get(url).send().await.unwrap().status();
            assert_ne!(
                status,
                StatusCode::NOT_FOUND,
                "{name} = {url} is advertised but absent"
            );
        }
    }
}

#[tokio::test]
async fn jwks_is_cacheable_and_revalidates_with_304() {
    let app = TestApp::builder().key(KeyAlg::EdDsa).spawn().await;
    let first = app.get("/.well-known/jwks.json").await;
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(first.headers()[CACHE_CONTROL], "public, max-age=600");
    let etag = first.headers()[ETAG].to_str().unwrap().to_string();
    let again = app
        .client
        .get(format!("{}/.well-known/jwks.json", app.address))
        .header(IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(again.headers()[ETAG], etag.as_str());
    assert!(again.bytes().await.unwrap().is_empty());
    let stale = app
        .client
        .get(format!("{}/.well-known/jwks.json", app.address))
        .header(IF_NONE_MATCH, "\"something-else\"")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::OK);
}

#[tokio::test]
async fn health_answers_and_unknown_paths_are_404() {
    let app = TestApp::builder().key(KeyAlg::Es256).spawn().await;
    let health = app.get("/healthz").await;
    assert_eq!(health.status(), StatusCode::OK);
    assert_eq!(health.text().await.unwrap(), "ok");
    assert_eq!(app.get("/nope").await.status(), StatusCode::NOT_FOUND);
    let post = app
        .client
        .post(format!("{}/.well-known/jwks.json", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
}
