//! Tokens minted by monban verify with nothing but the JWKS the server publishes.

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use monban::clock::unix_now;
use monban::keys::KeyAlg;
use monban::tokens::Tokens;
use monban_verify::contract::ACCESS_TOKEN_TYP;
use serde_json::{Value, json};

use crate::helpers::{TestApp, keygen_at};

fn mint(tokens: &Tokens, sub: &str) -> String {
    let claims = json!({"iss": tokens.issuer(), "sub": sub, "aud": "wiki", "exp": unix_now() + 60});
    tokens.mint(ACCESS_TOKEN_TYP, &claims).unwrap()
}

/// Verifies as a sibling service would: the key found by `kid` in the fetched JWKS, the algorithm
/// taken from the JWK (never from the token).
fn verify_like_a_sibling(jwks: &JwkSet, token: &str, issuer: &str) -> Result<Value, String> {
    let kid = jsonwebtoken::decode_header(token)
        .map_err(|e| e.to_string())?
        .kid
        .ok_or("no kid")?;
    let jwk = jwks.find(&kid).ok_or("unknown kid")?;
    let alg: Algorithm = jwk
        .common
        .key_algorithm
        .ok_or("no alg")?
        .to_string()
        .parse()
        .map_err(|_| "bad alg")?;
    let mut validation = Validation::new(alg);
    validation.set_issuer(&[issuer]);
    validation.set_audience(&["wiki"]);
    let key = DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())?;
    jsonwebtoken::decode::<Value>(token, &key, &validation)
        .map(|d| d.claims)
        .map_err(|e| e.to_string())
}

fn tamper(token: &str) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_string).collect();
    // Flip one character of the payload.
    let payload = &mut parts[1];
    let last = payload.pop().unwrap();
    payload.push(if last == 'A' { 'B' } else { 'A' });
    parts.join(".")
}

async fn check_algorithm(alg: KeyAlg) {
    let app: TestApp = TestApp::builder().key(alg).spawn().await;
    let jwks = app.jwks().await;
    let token = mint(&app.tokens(), "ada");
    let claims = verify_like_a_sibling(&jwks, &token, &app.address).unwrap();
    assert_eq!(claims["sub"], "ada");
    assert!(verify_like_a_sibling(&jwks, &tamper(&token), &app.address).is_err());
}

#[tokio::test]
async fn rs256_tokens_verify_against_the_published_jwks() {
    check_algorithm(KeyAlg::Rs256).await;
}

#[tokio::test]
async fn es256_tokens_verify_against_the_published_jwks() {
    check_algorithm(KeyAlg::Es256).await;
}

#[tokio::test]
async fn eddsa_tokens_verify_against_the_published_jwks() {
    check_algorithm(KeyAlg::EdDsa).await;
}

#[tokio::test]
async fn with_two_keys_both_are_published_the_newer_signs_and_old_tokens_still_verify() {
    let dir = tempfile::tempdir().unwrap();
    let old_kid = keygen_at(dir.path(), KeyAlg::Rs256, 86_400);
    let new_kid = keygen_at(dir.path(), KeyAlg::Es256, 0);
    let app = TestApp::builder().keys_dir(dir).spawn().await;

    let jwks = app.jwks().await;
    let published: Vec<String> = jwks
        .keys
        .iter()
        .map(|k| k.common.key_id.clone().unwrap())
        .collect();
    assert_eq!(published, [new_kid.clone(), old_kid.clone()]);

    let fresh = mint(&app.tokens(), "ada");
    let header = jsonwebtoken::decode_header(&fresh).unwrap();
    assert_eq!(header.kid.as_deref(), Some(new_kid.as_str()));
    assert_eq!(header.alg, Algorithm::ES256);
    verify_like_a_sibling(&jwks, &fresh, &app.address).unwrap();

    // A token issued while the old key was the signing one.
    let issued_earlier = mint(&app.tokens_signed_by(&old_kid), "bob");
    assert_eq!(
        jsonwebtoken::decode_header(&issued_earlier).unwrap().alg,
        Algorithm::RS256
    );
    let claims = verify_like_a_sibling(&jwks, &issued_earlier, &app.address).unwrap();
    assert_eq!(claims["sub"], "bob");
}
