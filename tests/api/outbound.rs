//! What monban fetches from other servers is bounded: a key set or discovery document of 300 MB is
//! refused after a few hundred KiB (the process's peak memory stays where it was), and a flood of
//! assertions naming unknown keys makes one fetch, not one each.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::{App, HttpResponse, HttpServer, web};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use monban::keys::{KeyAlg, generate_pem};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, keygen_at, serve_process};

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A server whose every answer is `megabytes` of JSON-looking bytes, streamed without a length;
/// returns its URL.
fn start_hostile(megabytes: usize) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = HttpServer::new(move || {
        App::new().default_service(web::to(move || async move {
            let chunk = web::Bytes::from(vec![b' '; 1 << 20]);
            let body = futures_util::stream::iter(
                (0..megabytes).map(move |_| Ok::<_, actix_web::Error>(chunk.clone())),
            );
            HttpResponse::Ok()
                .content_type("application/json")
                .streaming(body)
        }))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    url
}

/// The peak resident memory of process `pid` (`VmHWM`), in KiB.
fn peak_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// A `private_key_jwt` assertion of `client` for `issuer`'s token endpoint, naming `kid`.
fn assertion(issuer: &str, client: &str, key: &EncodingKey, kid: &str) -> String {
    let now = monban::clock::unix_now();
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(kid.into());
    let claims = json!({"iss": client, "sub": client, "aud": format!("{issuer}/token"),
                        "iat": now, "exp": now + 300, "jti": format!("{client}-{kid}")});
    jsonwebtoken::encode(&header, &claims, key).unwrap()
}

fn es256() -> EncodingKey {
    EncodingKey::from_ec_pem(generate_pem(KeyAlg::Es256).unwrap().as_bytes()).unwrap()
}

#[tokio::test]
async fn a_300_mb_answer_is_refused_without_filling_monbans_memory() {
    let hostile = start_hostile(300);
    let dir = tempfile::tempdir().unwrap();
    keygen_at(dir.path(), KeyAlg::Es256, 0);
    let config = dir.path().join("monban.toml");
    std::fs::write(
        &config,
        format!(
            "[[clients]]\nid = \"greedy\"\ngrant_types = [\"client_credentials\"]\n\
             jwks_uri = \"{hostile}/jwks\"\n"
        ),
    )
    .unwrap();
    let (child, issuer) = serve_process(&[
        ("MONBAN_KEYS_DIR", dir.path().to_str().unwrap()),
        ("MONBAN_CONFIG", config.to_str().unwrap()),
        ("MONBAN_UPSTREAM__ISSUER", &hostile),
        ("MONBAN_UPSTREAM__CLIENT_ID", "monban"),
        ("MONBAN_UPSTREAM__CLIENT_SECRET", "upstream-secret"),
        ("MONBAN_ALLOWED_DOMAINS", "lab.example.org"),
    ])
    .await;
    let pid = child.id().unwrap();
    let before = peak_kib(pid);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    // A client's key set: no token, a clean invalid_client.
    let token = http
        .post(format!("{issuer}/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", ASSERTION_TYPE),
            (
                "client_assertion",
                &assertion(&issuer, "greedy", &es256(), "k"),
            ),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), StatusCode::UNAUTHORIZED);
    let body: Value = token.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client", "{body}");
    assert!(body.get("access_token").is_none());

    // The upstream's discovery document: the sign-in page says Google is unavailable.
    let login = http.get(format!("{issuer}/login")).send().await.unwrap();
    assert!(login.status().is_server_error() || login.status().is_client_error());
    assert!(login.headers().get("location").is_none());

    let after = peak_kib(pid);
    assert!(
        after < before + 32 * 1024,
        "peak memory went from {before} KiB to {after} KiB"
    );
}

/// A client's key set that counts its fetches and answers each after a pause, so that
/// concurrent requests overlap.
fn start_counting(jwks: Value) -> (String, Arc<AtomicUsize>) {
    let fetches = Arc::new(AtomicUsize::new(0));
    let counted = fetches.clone();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/jwks", listener.local_addr().unwrap());
    let server = HttpServer::new(move || {
        let (counted, jwks) = (counted.clone(), jwks.clone());
        App::new().route(
            "/jwks",
            web::get().to(move || {
                let (counted, jwks) = (counted.clone(), jwks.clone());
                async move {
                    counted.fetch_add(1, Ordering::SeqCst);
                    actix_web::rt::time::sleep(std::time::Duration::from_millis(200)).await;
                    HttpResponse::Ok().json(jwks)
                }
            }),
        )
    })
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    (url, fetches)
}

#[tokio::test]
async fn forty_assertions_naming_unknown_keys_at_once_make_one_fetch() {
    let key = es256();
    let mut jwk = Jwk::from_encoding_key(&key, Algorithm::ES256).unwrap();
    jwk.common.key_id = Some("known".into());
    let (url, fetches) = start_counting(json!({ "keys": [jwk] }));
    let app = TestApp::builder()
        .mock_google(monban::dev::mock_upstream::Fault::None)
        .more_clients(&format!(
            "[[clients]]\nid = \"flooded\"\ngrant_types = [\"client_credentials\"]\njwks_uri = \"{url}\"\n"
        ))
        .spawn()
        .await;
    let requests = (0..40).map(|i| {
        let assertion = assertion(&app.issuer, "flooded", &key, &format!("unknown-{i}"));
        let form = [
            ("grant_type", "client_credentials".to_string()),
            ("client_assertion_type", ASSERTION_TYPE.to_string()),
            ("client_assertion", assertion),
        ];
        let (client, address) = (app.client.clone(), app.address.clone());
        async move {
            client
                .post(format!("{address}/token"))
                .form(&form)
                .send()
                .await
                .unwrap()
                .status()
        }
    });
    let statuses = futures_util::future::join_all(requests).await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::UNAUTHORIZED),
        "{statuses:?}"
    );
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
    // The known key still works, from the set kept.
    let ok = app
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", ASSERTION_TYPE),
            (
                "client_assertion",
                &assertion(&app.issuer, "flooded", &key, "known"),
            ),
        ])
        .await;
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(fetches.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_verifier_refuses_a_discovery_document_of_300_mb() {
    let hostile = start_hostile(300);
    let Err(error) = monban_verify::Verifier::discover(&hostile, "wiki").await else {
        panic!("a verifier from a 300 MB document");
    };
    assert!(error.to_string().contains("larger than"), "{error}");
}
