//! Validating the upstream's (Google's) ID token at `/callback`, OIDC Core §3.1.3.7: signature with
//! a key from the upstream's JWKS and that key's own algorithm, `iss`, `aud` (monban's client id
//! there, and no one else), `azp` when present, `exp`, the presence of `iat`, and the login's
//! `nonce`.
//!
//! Why not `openidconnect`'s verifier, which the rest of the upstream client uses: it checks
//! signatures with RustCrypto's pure-Rust RSA, 0.27 ms per Google (RS256) token against 0.02 ms in
//! aws-lc, about a tenth of a whole sign-in's CPU (docs/performance.md). jsonwebtoken on aws-lc is
//! what signs and verifies monban's own tokens; the claim checks it does not make (`nonce`, `azp`,
//! a single audience) are spelt out here.

use jsonwebtoken::Validation;
use serde::Deserialize;
use serde_json::Value;

use super::Identity;
use crate::config::{normalize_domain, normalize_email};
use crate::jwks::{KeyError, KeySet};

/// Clock skew allowed on `exp` between Google and this instance.
const LEEWAY_SECS: u64 = 60;

/// Why an upstream ID token was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum IdTokenError {
    /// It names a key the JWKS does not hold: the upstream may have rotated (fetch it again).
    #[error("signed with a key the provider does not publish")]
    UnknownKey,
    /// Anything else: bad signature, wrong issuer, audience, nonce, expired, malformed.
    #[error("{0}")]
    Invalid(String),
}

/// The claims monban reads; `hd` is Google's (Workspace domain).
#[derive(Deserialize)]
struct Claims {
    sub: String,
    exp: u64,
    auth_time: Option<u64>,
    #[serde(default)]
    aud: Audience,
    azp: Option<String>,
    nonce: Option<String>,
    email: Option<String>,
    #[serde(default)]
    email_verified: Value,
    name: Option<String>,
    picture: Option<String>,
    given_name: Option<String>,
    family_name: Option<String>,
    locale: Option<String>,
    hd: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
    #[default]
    None,
}

/// Validates `raw` (everything in it is attacker-controlled until this returns) as an ID token
/// from `issuer` for `client_id` carrying `nonce`, at `now` (seconds since the epoch).
pub fn verify(
    keys: &KeySet,
    issuer: &str,
    client_id: &str,
    raw: &str,
    nonce: &str,
    now: u64,
) -> Result<Identity, IdTokenError> {
    let invalid = |reason: &str| IdTokenError::Invalid(reason.to_string());
    let header = jsonwebtoken::decode_header(raw).map_err(|_| invalid("not a signed JWT"))?;
    let (alg, key) = keys.key_for(header.kid.as_deref()).map_err(|e| match e {
        KeyError::Unknown => IdTokenError::UnknownKey,
        KeyError::Ambiguous => invalid("no key id, and the provider publishes more than one key"),
    })?;
    if header.alg != *alg {
        return Err(invalid("signed with an algorithm its key is not for"));
    }
    let mut validation = Validation::new(*alg);
    // Expiry is checked below against the `now` passed in, not jsonwebtoken's own clock.
    validation.validate_exp = false;
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[client_id]);
    validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
    let claims = jsonwebtoken::decode::<Claims>(raw, key, &validation)
        .map_err(|e| IdTokenError::Invalid(format!("{e}")))?
        .claims;
    // The same rule as jsonwebtoken's: expired once `exp` is more than the leeway behind `now`.
    if claims.exp.saturating_add(LEEWAY_SECS) < now {
        return Err(invalid("ExpiredSignature: the token has expired"));
    }
    // One audience, monban's: a token also meant for another party is not ours to accept.
    let only_us = match &claims.aud {
        Audience::One(aud) => aud == client_id,
        Audience::Many(auds) => auds.iter().all(|aud| aud == client_id),
        Audience::None => false,
    };
    if !only_us {
        return Err(invalid("issued for other audiences too"));
    }
    if claims.azp.as_deref().is_some_and(|azp| azp != client_id) {
        return Err(invalid("issued to another party (azp)"));
    }
    if claims.nonce.as_deref() != Some(nonce) {
        return Err(invalid("the nonce does not match this login"));
    }
    Ok(Identity {
        sub: claims.sub,
        email: claims.email.as_deref().and_then(normalize_email),
        // Google sends a boolean; some providers send the string "true".
        email_verified: claims.email_verified == Value::Bool(true)
            || claims.email_verified == Value::String("true".into()),
        name: claims.name,
        picture: claims.picture,
        given_name: claims.given_name,
        family_name: claims.family_name,
        locale: claims.locale,
        hosted_domain: claims.hd.as_deref().and_then(normalize_domain),
        // Never later than now: a clock ahead of ours does not make a sign-in younger.
        auth_time: claims.auth_time.map(|t| t.min(now)),
    })
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
    use jsonwebtoken::jwk::Jwk;
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    use serde_json::json;

    use super::*;
    use crate::clock::unix_now;
    use crate::keys::{KeyAlg, generate_pem};

    const ISS: &str = "https://accounts.example.com";
    const CLIENT: &str = "monban-at-google";

    /// An upstream with one ES256 key "k1"; returns its JWKS and signing key.
    fn upstream() -> (String, EncodingKey) {
        let pem = generate_pem(KeyAlg::Es256).unwrap();
        let key = EncodingKey::from_ec_pem(pem.as_bytes()).unwrap();
        let mut jwk = Jwk::from_encoding_key(&key, Algorithm::ES256).unwrap();
        jwk.common.key_id = Some("k1".into());
        (json!({ "keys": [jwk] }).to_string(), key)
    }

    fn claims() -> Value {
        json!({"iss": ISS, "aud": CLIENT, "sub": "42", "iat": unix_now(), "exp": unix_now() + 300,
               "nonce": "n-1", "email": "Ada@Lab.Example.org", "email_verified": "true",
               "hd": "Lab.Example.org", "name": "Ada"})
    }

    fn sign(key: &EncodingKey, kid: Option<&str>, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = kid.map(str::to_string);
        jsonwebtoken::encode(&header, claims, key).unwrap()
    }

    fn check(jwks: &str, token: &str) -> Result<Identity, IdTokenError> {
        verify(
            &KeySet::parse(jwks.as_bytes()).unwrap(),
            ISS,
            CLIENT,
            token,
            "n-1",
            unix_now(),
        )
    }

    fn refused_with(jwks: &str, token: &str, reason: &str) {
        match check(jwks, token) {
            Err(IdTokenError::Invalid(r)) => assert!(r.contains(reason), "{r}"),
            other => panic!("expected a refusal ({reason}), got {other:?}"),
        }
    }

    #[test]
    fn a_genuine_token_gives_the_identity_in_canonical_form() {
        let (jwks, key) = upstream();
        let id = check(&jwks, &sign(&key, Some("k1"), &claims())).unwrap();
        assert_eq!(id.sub, "42");
        assert_eq!(id.email.as_deref(), Some("ada@lab.example.org"));
        assert!(id.email_verified);
        assert_eq!(id.hosted_domain.as_deref(), Some("lab.example.org"));
        assert_eq!(id.name.as_deref(), Some("Ada"));
    }

    #[test]
    fn every_claim_check_refuses() {
        let (jwks, key) = upstream();
        let with = |k: &str, v: Value| {
            let mut c = claims();
            c[k] = v;
            sign(&key, Some("k1"), &c)
        };
        refused_with(&jwks, &with("nonce", json!("other")), "nonce");
        refused_with(
            &jwks,
            &with("aud", json!("someone-else")),
            "InvalidAudience",
        );
        refused_with(
            &jwks,
            &with("aud", json!([CLIENT, "other"])),
            "other audiences",
        );
        refused_with(&jwks, &with("azp", json!("other")), "azp");
        refused_with(
            &jwks,
            &with("iss", json!("https://evil.example")),
            "InvalidIssuer",
        );
        refused_with(
            &jwks,
            &with("exp", json!(unix_now() - 600)),
            "ExpiredSignature",
        );
        let mut no_nonce = claims();
        no_nonce.as_object_mut().unwrap().remove("nonce");
        refused_with(&jwks, &sign(&key, Some("k1"), &no_nonce), "nonce");
        // Audience given as a one-element list is fine.
        assert!(check(&jwks, &with("aud", json!([CLIENT]))).is_ok());
    }

    #[test]
    fn keys_are_pinned_to_their_own_algorithm() {
        let (jwks, key) = upstream();
        let token = sign(&key, Some("k1"), &claims());
        let (_, rest) = token.split_once('.').unwrap();
        let forged = |header: Value| format!("{}.{rest}", B64.encode(header.to_string()));
        refused_with(
            &jwks,
            &forged(json!({"alg": "ES384", "kid": "k1"})),
            "algorithm",
        );
        refused_with(
            &jwks,
            &forged(json!({"alg": "HS256", "kid": "k1"})),
            "algorithm",
        );
        refused_with(
            &jwks,
            &forged(json!({"alg": "none", "kid": "k1"})),
            "not a signed JWT",
        );
        assert_eq!(
            check(&jwks, &sign(&key, Some("k2"), &claims())).unwrap_err(),
            IdTokenError::UnknownKey
        );
    }

    #[test]
    fn symmetric_and_unusable_keys_are_skipped() {
        let (jwks, _) = upstream();
        let mut set: Value = serde_json::from_str(&jwks).unwrap();
        let keys = set["keys"].as_array_mut().unwrap();
        keys.push(json!({"kty": "oct", "kid": "hmac", "k": "c2VjcmV0", "alg": "HS256"}));
        keys.push(json!({"kty": "future", "kid": "new"}));
        let set = set.to_string();
        let parsed = KeySet::parse(set.as_bytes()).unwrap();
        assert_eq!(parsed.len(), 1, "{parsed:?}");
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("hmac".into());
        let hs = jsonwebtoken::encode(&header, &claims(), &EncodingKey::from_secret(b"secret"));
        assert_eq!(
            check(&set, &hs.unwrap()).unwrap_err(),
            IdTokenError::UnknownKey
        );
        assert!(KeySet::parse(b"<html>").is_err());
    }

    #[test]
    fn a_token_without_kid_uses_the_only_unnamed_key() {
        let (jwks, key) = upstream();
        let unnamed = jwks.replace(r#""kid":"k1","#, "");
        assert!(check(&unnamed, &sign(&key, None, &claims())).is_ok());
        refused_with(&jwks, &sign(&key, None, &claims()), "no key id");
    }
}
