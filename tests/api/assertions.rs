//! No shared secret: services authenticate at `/token` with a JWT (`private_key_jwt`, RFC 7523)
//! signed by their own key (`jwks`, `jwks_uri`) or by Google for their service account, as the
//! Cloud Run metadata server hands it (workload identity; the mock Google plays that server).

use std::sync::{Arc, Mutex};

use actix_web::{App, HttpResponse, HttpServer, web};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use monban::keys::{KeyAlg, generate_pem};
use monban_verify::{Options, Verifier};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{BATCH_KEY_PEM, TestApp, WORKLOAD_ACCOUNT};

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const INVENTORY: &str = "https://inventory.lab.example.org/";

/// A client's own assertion for `app`'s token endpoint, valid for five minutes from `now`.
fn own_assertion(app: &TestApp, client: &str, key: &EncodingKey, kid: &str, now: u64) -> String {
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(kid.into());
    let claims = json!({"iss": client, "sub": client, "aud": format!("{}/token", app.issuer),
                        "iat": now, "exp": now + 300, "jti": format!("{client}-{now}")});
    jsonwebtoken::encode(&header, &claims, key).unwrap()
}

fn batch_key() -> EncodingKey {
    EncodingKey::from_ec_pem(BATCH_KEY_PEM.as_bytes()).unwrap()
}

/// What the metadata server answers a Cloud Run service asking for an ID token.
async fn google_id_token(app: &TestApp, account: &str, audience: &str, full: bool) -> String {
    let mock = app.mock.as_ref().unwrap();
    let url = format!(
        "{}/computeMetadata/v1/instance/service-accounts/{account}/identity",
        mock.issuer()
    );
    let mut query = vec![("audience", audience)];
    if full {
        query.push(("format", "full"));
    }
    let response = app
        .client
        .get(url)
        .header("Metadata-Flavor", "Google")
        .query(&query)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.text().await.unwrap()
}

/// A client-credentials request authenticated by `assertion`, naming `client_id` if given.
async fn with_assertion(
    app: &TestApp,
    client_id: Option<&str>,
    assertion: &str,
    resource: Option<&str>,
) -> reqwest::Response {
    let mut form = vec![
        ("grant_type", "client_credentials"),
        ("client_assertion_type", ASSERTION_TYPE),
        ("client_assertion", assertion),
    ];
    form.extend(client_id.map(|id| ("client_id", id)));
    form.extend(resource.map(|r| ("resource", r)));
    app.token(&form).await
}

/// The access token of a 200 response, verified as the inventory API verifies it.
async fn for_inventory(app: &TestApp, response: reqwest::Response) -> monban_verify::Claims {
    let body: Value = response.json().await.unwrap();
    let jwks = app.jwks().await;
    let api = Verifier::from_jwks(&app.issuer, INVENTORY, &jwks, Options::default());
    api.verify_cached(body["access_token"].as_str().unwrap())
        .unwrap()
}

/// Asserts a 401 `invalid_client` without a token, whose description says `why`.
async fn refused(response: reqwest::Response, why: &str) {
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client", "{body}");
    assert!(body.get("access_token").is_none(), "{body}");
    let description = body["error_description"].as_str().unwrap();
    assert!(description.contains(why), "{description} / {why}");
}

#[tokio::test]
async fn a_service_signs_in_with_its_own_key_and_no_secret() {
    let app = TestApp::builder().provider().spawn().await;
    let discovery = app.discovery().await;
    let methods = discovery["token_endpoint_auth_methods_supported"].to_string();
    assert!(methods.contains("\"private_key_jwt\""), "{methods}");
    let algs = discovery["token_endpoint_auth_signing_alg_values_supported"].to_string();
    assert!(
        algs.contains("ES256") && !algs.contains("HS") && !algs.contains("none"),
        "{algs}"
    );
    let now = monban::clock::unix_now();
    let assertion = own_assertion(&app, "batch", &batch_key(), "batch-1", now);
    // The client is named by the assertion's sub alone (RFC 7523 §3).
    let response = with_assertion(&app, None, &assertion, Some(INVENTORY)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let claims = for_inventory(&app, response).await;
    assert_eq!(claims.sub, "batch");
    assert_eq!(claims.roles, ["reader"]);
    // The same client cannot fall back to its id alone, or to a made-up secret.
    let bare = app
        .token(&[("grant_type", "client_credentials"), ("client_id", "batch")])
        .await;
    assert_eq!(bare.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_cloud_run_service_signs_in_with_its_google_identity() {
    let app = TestApp::builder().provider().spawn().await;
    let token_endpoint = format!("{}/token", app.issuer);
    let id_token = google_id_token(&app, WORKLOAD_ACCOUNT, &token_endpoint, true).await;
    let response = with_assertion(&app, Some("workload"), &id_token, Some(INVENTORY)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let claims = for_inventory(&app, response).await;
    assert_eq!(claims.sub, "workload");
}

#[tokio::test]
async fn every_bad_assertion_is_a_clean_invalid_client() {
    let app = TestApp::builder().provider().manual_clock().spawn().await;
    let token_endpoint = format!("{}/token", app.issuer);
    let now = monban::clock::unix_now();
    // Google's token for another audience (monban's issuer: what invoking it as a Cloud Run
    // service uses), for another account, or without the email (no format=full).
    let cases = [
        (
            google_id_token(&app, WORKLOAD_ACCOUNT, &app.issuer, true).await,
            "InvalidAudience",
        ),
        (
            google_id_token(&app, "default", &token_endpoint, true).await,
            "another service account",
        ),
        (
            google_id_token(&app, WORKLOAD_ACCOUNT, &token_endpoint, false).await,
            "another service account",
        ),
    ];
    for (assertion, why) in cases {
        refused(
            with_assertion(&app, Some("workload"), &assertion, None).await,
            why,
        )
        .await;
    }
    // Signed by a key the client does not publish.
    let rogue = EncodingKey::from_ec_pem(generate_pem(KeyAlg::Es256).unwrap().as_bytes()).unwrap();
    let forged = own_assertion(&app, "batch", &rogue, "batch-1", now);
    refused(
        with_assertion(&app, None, &forged, None).await,
        "does not verify",
    )
    .await;
    let unknown = own_assertion(&app, "batch", &rogue, "batch-2", now);
    refused(
        with_assertion(&app, None, &unknown, None).await,
        "key the client",
    )
    .await;
    // One client's assertion presented for another.
    let batch = own_assertion(&app, "batch", &batch_key(), "batch-1", now);
    refused(
        with_assertion(&app, Some("workload"), &batch, None).await,
        "",
    )
    .await;
    // Good ones, replayed after they expired.
    let google = google_id_token(&app, WORKLOAD_ACCOUNT, &token_endpoint, true).await;
    assert_eq!(
        with_assertion(&app, Some("workload"), &google, None)
            .await
            .status(),
        StatusCode::OK
    );
    // Well past both expiries: the mock Google mints its token at the real time, which under a
    // loaded machine is seconds after this test's clock started.
    app.advance_clock(2 * 3600);
    refused(
        with_assertion(&app, Some("workload"), &google, None).await,
        "expired",
    )
    .await;
    refused(with_assertion(&app, None, &batch, None).await, "expired").await;
}

/// A client's key set served over HTTP, which the test can change (a rotation).
struct KeyServer {
    url: String,
    jwks: Arc<Mutex<Value>>,
}

impl KeyServer {
    fn start(jwks: Value) -> Self {
        let jwks = Arc::new(Mutex::new(jwks));
        let served = jwks.clone();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/jwks", listener.local_addr().unwrap());
        let server = HttpServer::new(move || {
            let served = served.clone();
            App::new().route(
                "/jwks",
                web::get().to(move || {
                    let body = served.lock().unwrap().clone();
                    async move { HttpResponse::Ok().json(body) }
                }),
            )
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        Self { url, jwks }
    }
}

fn jwk(key: &EncodingKey, kid: &str) -> Jwk {
    let mut jwk = Jwk::from_encoding_key(key, Algorithm::ES256).unwrap();
    jwk.common.key_id = Some(kid.into());
    jwk
}

#[tokio::test]
async fn keys_at_a_jwks_uri_are_fetched_and_fetched_again_for_a_new_key() {
    let old = EncodingKey::from_ec_pem(generate_pem(KeyAlg::Es256).unwrap().as_bytes()).unwrap();
    let new = EncodingKey::from_ec_pem(generate_pem(KeyAlg::Es256).unwrap().as_bytes()).unwrap();
    let keys = KeyServer::start(json!({ "keys": [jwk(&old, "old")] }));
    let app = TestApp::builder()
        .mock_google(monban::dev::mock_upstream::Fault::None)
        .more_clients(&format!(
            "[[clients]]\nid = \"rotating\"\ngrant_types = [\"client_credentials\"]\njwks_uri = \"{}\"\n",
            keys.url
        ))
        .manual_clock()
        .spawn()
        .await;
    let now = monban::clock::unix_now();
    let old_assertion = own_assertion(&app, "rotating", &old, "old", now);
    let ok = with_assertion(&app, None, &old_assertion, None).await;
    assert_eq!(ok.status(), StatusCode::OK);
    // The client rotates: a new key is fetched, but not more than once a minute.
    *keys.jwks.lock().unwrap() = json!({ "keys": [jwk(&new, "new"), jwk(&old, "old")] });
    let new_assertion = own_assertion(&app, "rotating", &new, "new", now);
    let early = with_assertion(&app, None, &new_assertion, None).await;
    refused(early, "key the client").await;
    app.advance_clock(61);
    let later = with_assertion(&app, None, &new_assertion, None).await;
    assert_eq!(later.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_assertion_names_one_audience_and_a_loopback_redirect_carries_no_userinfo() {
    let app = TestApp::builder().provider().spawn().await;
    let now = monban::clock::unix_now();
    let token_endpoint = format!("{}/token", app.issuer);
    let sign = |aud: Value| {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some("batch-1".into());
        let claims = json!({"iss": "batch", "sub": "batch", "aud": aud, "iat": now,
                            "exp": now + 300, "jti": format!("batch-{aud}")});
        jsonwebtoken::encode(&header, &claims, &batch_key()).unwrap()
    };
    for aud in [
        json!([token_endpoint, "https://other.example/token"]),
        json!([app.issuer, token_endpoint]),
        json!(["https://other.example/token", app.issuer]),
        json!([]),
    ] {
        refused(
            with_assertion(&app, None, &sign(aud.clone()), None).await,
            "udience",
        )
        .await;
    }
    for aud in [json!(token_endpoint), json!([app.issuer])] {
        let ok = with_assertion(&app, None, &sign(aud.clone()), None).await;
        assert_eq!(ok.status(), StatusCode::OK, "{aud}");
    }

    // The command-line client registered http://127.0.0.1/callback: any port, never userinfo.
    let (challenge, _) = openidconnect::PkceCodeChallenge::new_random_sha256();
    let authorize = |redirect: &str| {
        format!(
            "/authorize?response_type=code&client_id=cli&scope=openid&state=s&nonce=n\
             &code_challenge={}&code_challenge_method=S256&redirect_uri={}",
            challenge.as_str(),
            url::form_urlencoded::byte_serialize(redirect.as_bytes()).collect::<String>()
        )
    };
    for evil in [
        "http://evil@127.0.0.1:4711/callback",
        "http://evil:pw@127.0.0.1:4711/callback",
    ] {
        let page = app.get(&authorize(evil)).await;
        assert_eq!(page.status(), StatusCode::BAD_REQUEST, "{evil}");
        assert!(page.headers().get("location").is_none());
    }
    let fine = app.get(&authorize("http://127.0.0.1:4711/callback")).await;
    assert_ne!(fine.status(), StatusCode::BAD_REQUEST);
}
