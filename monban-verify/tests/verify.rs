//! The verifier against a real running monban: what it accepts, what it refuses and why.

mod common;

use base64::Engine;
use monban::keys::KeyAlg;
use monban_verify::{Verifier, VerifyError};
use serde_json::json;

use common::{keygen, start};

fn b64(v: serde_json::Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
}

#[tokio::test]
async fn accepts_good_tokens_and_refuses_each_bad_one_with_the_right_error() {
    let dir = tempfile::tempdir().unwrap();
    keygen(dir.path(), KeyAlg::Rs256, 0);
    let monban = start(dir.path(), 0);
    let verifier = Verifier::discover(&monban.issuer, "wiki").await.unwrap();

    let claims = verifier
        .verify(&monban.access_token("wiki", json!({})))
        .await
        .unwrap();
    assert_eq!(claims.sub, "mock-ada");
    assert_eq!(claims.email.as_deref(), Some("ada@lab.example.org"));
    assert!(claims.has_role("admin") && claims.has_scope("email"));
    assert_eq!(claims.jti, "j");

    let good = monban.access_token("wiki", json!({}));
    let (head, rest) = good.split_once('.').unwrap();
    let (_, sig) = rest.split_once('.').unwrap();
    let tampered = format!(
        "{head}.{}.{sig}",
        b64(monban.claims("wiki", json!({"sub": "root"})))
    );
    let now = monban::clock::unix_now();
    let kid = monban.tokens().keys().active().kid.clone();
    let none = format!(
        "{}.{}.",
        b64(json!({"alg": "none", "typ": "at+jwt", "kid": kid})),
        b64(monban.claims("wiki", json!({})))
    );
    let mut hs = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    hs.kid = Some(kid);
    hs.typ = Some("at+jwt".into());
    let public = reqwest::get(format!("{}/.well-known/jwks.json", monban.issuer))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let hs256 = jsonwebtoken::encode(
        &hs,
        &monban.claims("wiki", json!({})),
        &jsonwebtoken::EncodingKey::from_secret(&public),
    )
    .unwrap();
    let id_token = monban
        .tokens()
        .mint("JWT", &monban.claims("wiki", json!({})))
        .unwrap();
    let cases = [
        (tampered, VerifyError::BadSignature),
        (
            monban.access_token("wiki", json!({"exp": now - 120})),
            VerifyError::Expired,
        ),
        (
            monban.access_token("wiki", json!({"nbf": now + 600})),
            VerifyError::NotYetValid,
        ),
        (
            monban.access_token("other-service", json!({})),
            VerifyError::WrongAudience,
        ),
        (
            monban.access_token("wiki", json!({"iss": "https://evil.example"})),
            VerifyError::WrongIssuer,
        ),
        (none, VerifyError::Malformed),
        (hs256, VerifyError::AlgorithmMismatch),
        (id_token, VerifyError::WrongType),
        ("not a token".to_string(), VerifyError::Malformed),
    ];
    for (token, expected) in cases {
        assert_eq!(verifier.verify(&token).await.unwrap_err(), expected);
    }
    // A token just past `exp` is still inside the default 30 s leeway.
    assert!(
        verifier
            .verify(&monban.access_token("wiki", json!({"exp": now - 5})))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn keeps_verifying_from_cache_when_monban_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    keygen(dir.path(), KeyAlg::Es256, 0);
    let monban = start(dir.path(), 0);
    let verifier = Verifier::discover(&monban.issuer, "wiki").await.unwrap();
    let token = monban.access_token("wiki", json!({}));
    monban.stop().await;
    assert_eq!(verifier.verify(&token).await.unwrap().sub, "mock-ada");
    // An unknown kid while monban is down: refused, and the cached keys still work after.
    let other = tempfile::tempdir().unwrap();
    keygen(other.path(), KeyAlg::Es256, 0);
    let stranger = start(other.path(), 0);
    let foreign = stranger.access_token("wiki", json!({"iss": monban.issuer}));
    assert_eq!(
        verifier.verify(&foreign).await.unwrap_err(),
        VerifyError::UnknownKey
    );
    assert!(verifier.verify(&token).await.is_ok());
}

#[tokio::test]
async fn discovery_of_an_unreachable_monban_fails_cleanly() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = Verifier::discover(&format!("http://127.0.0.1:{port}"), "wiki")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("cannot fetch"), "{err}");
}

#[tokio::test]
async fn discovery_refuses_a_plain_http_issuer_and_keys_from_another_origin() {
    let plain = Verifier::discover("http://login.example.org", "wiki").await;
    assert!(
        matches!(plain, Err(monban_verify::DiscoveryError::Invalid { ref reason, .. }) if reason.contains("https")),
        "{plain:?}"
    );
    // A "monban" on loopback whose discovery document sends the keys elsewhere.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let issuer = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let document =
        json!({"issuer": issuer, "jwks_uri": "http://127.0.0.2:9/jwks.json"}).to_string();
    let server = actix_web::HttpServer::new(move || {
        let document = document.clone();
        actix_web::App::new().route(
            "/.well-known/openid-configuration",
            actix_web::web::get().to(move || {
                let document = document.clone();
                async move {
                    actix_web::HttpResponse::Ok()
                        .content_type("application/json")
                        .body(document)
                }
            }),
        )
    })
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    let elsewhere = Verifier::discover(&issuer, "wiki").await;
    assert!(
        matches!(elsewhere, Err(monban_verify::DiscoveryError::Invalid { ref reason, .. }) if reason.contains("origin")),
        "{elsewhere:?}"
    );
    handle.stop(true).await;
}

#[tokio::test]
async fn a_logout_token_is_validated_as_the_back_channel_spec_says() {
    let dir = tempfile::tempdir().unwrap();
    keygen(dir.path(), KeyAlg::Es256, 0);
    let monban = start(dir.path(), 0);
    let verifier = Verifier::discover(&monban.issuer, "wiki").await.unwrap();
    let now = monban::clock::unix_now();
    let event = json!({"http://schemas.openid.net/event/backchannel-logout": {}});
    let logout = |typ: &str, extra: serde_json::Value| {
        let mut claims = json!({"iss": monban.issuer, "aud": "wiki", "iat": now, "exp": now + 120,
                                "jti": "j", "sub": "mock-ada", "sid": "s", "events": event});
        for (k, v) in extra.as_object().unwrap() {
            claims[k] = v.clone();
        }
        monban.tokens().mint(typ, &claims).unwrap()
    };
    let claims = verifier
        .verify_logout_token(&logout("logout+jwt", json!({})))
        .await
        .unwrap();
    assert_eq!(
        (claims.sub.as_str(), claims.sid.as_deref()),
        ("mock-ada", Some("s"))
    );
    let refused = [
        (
            logout("logout+jwt", json!({"nonce": "n"})),
            VerifyError::NotALogoutToken,
        ),
        (
            logout("logout+jwt", json!({"events": {}})),
            VerifyError::NotALogoutToken,
        ),
        (
            logout("logout+jwt", json!({"aud": "spa"})),
            VerifyError::WrongAudience,
        ),
        (logout("at+jwt", json!({})), VerifyError::WrongType),
        (
            monban.access_token("wiki", json!({})),
            VerifyError::WrongType,
        ),
    ];
    for (token, error) in refused {
        assert_eq!(
            verifier.verify_logout_token(&token).await.unwrap_err(),
            error
        );
    }
}
