//! Client assertions at `/token` (`private_key_jwt`: RFC 7523 §2.2 and §3, OIDC Core §9): a JWT
//! instead of a secret. Two kinds, by where the client's keys come from:
//!
//! - the client's own (`jwks` or `jwks_uri`): `iss` = `sub` = its `client_id`, `aud` monban's
//!   token endpoint URL or its issuer;
//! - Google's (`google_service_account`, workload identity): an ID token Google signed for that
//!   service account, as the Cloud Run metadata server hands any service, whose only audience is
//!   monban's token endpoint URL (never just the issuer, which is also the audience of tokens that
//!   invoke monban as a Cloud Run service), with the account's `email`, verified.
//!
//! Nothing is stored, so an assertion is not remembered once used (no `jti` list): it may be
//! replayed until it expires. That is bounded: an assertion must expire within
//! [`MAX_LIFETIME_SECS`] of the moment it is presented, and only ever travels to monban over TLS.

use jsonwebtoken::Validation;
use serde::Deserialize;
use serde_json::Value;

use crate::jwks::{KeyError, KeySet};

/// `client_assertion_type` for a JWT (RFC 7523 §2.2).
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The latest an assertion may expire, after the moment it is used: one hour, the lifetime of
/// Google's ID tokens and Authlib's default. It is also the bound on replaying one.
pub const MAX_LIFETIME_SECS: u64 = 3600;

/// Clock skew allowed between the client (or Google) and this instance.
const LEEWAY_SECS: u64 = 60;

/// Why an assertion was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum AssertionError {
    /// Its `kid` is not among the keys: they may have rotated (fetch them again, once).
    #[error("signed with a key the client does not publish")]
    UnknownKey,
    /// Anything else, in words for the client's developer.
    #[error("{0}")]
    Invalid(String),
}

/// Whom an assertion must be addressed to.
#[derive(Debug, Clone, Copy)]
pub struct Audience<'a> {
    /// monban's issuer URL.
    pub issuer: &'a str,
    /// monban's token endpoint URL.
    pub token_endpoint: &'a str,
}

#[derive(Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    exp: u64,
    nbf: Option<u64>,
    #[serde(default)]
    aud: Value,
    email: Option<String>,
    #[serde(default)]
    email_verified: Value,
}

/// The client's own assertion: signed by one of `keys`, `iss` = `sub` = `client_id`, for `to`.
pub fn verify_client_jwt(
    keys: &KeySet,
    client_id: &str,
    to: Audience<'_>,
    raw: &str,
    now: u64,
) -> Result<(), AssertionError> {
    let claims = decode(keys, &[to.token_endpoint, to.issuer], raw, now)?;
    if !only_audience(&claims.aud, &[to.token_endpoint, to.issuer]) {
        return Err(invalid(
            "the audience must be monban's issuer or token endpoint, and nothing else",
        ));
    }
    if claims.iss != client_id || claims.sub != client_id {
        return Err(invalid("iss and sub must both be the client_id"));
    }
    Ok(())
}

/// A Google-signed ID token for `account` (canonical email), from `google_issuer`, whose only
/// audience is the token endpoint.
pub fn verify_google_assertion(
    keys: &KeySet,
    google_issuer: &str,
    account: &str,
    to: Audience<'_>,
    raw: &str,
    now: u64,
) -> Result<(), AssertionError> {
    let claims = decode(keys, &[to.token_endpoint], raw, now)?;
    if claims.iss.trim_end_matches('/') != google_issuer.trim_end_matches('/') {
        return Err(invalid("not issued by Google"));
    }
    if !only_audience(&claims.aud, &[to.token_endpoint]) {
        return Err(invalid(
            "the audience must be the token endpoint URL and nothing else",
        ));
    }
    let email = claims
        .email
        .as_deref()
        .and_then(crate::config::normalize_email);
    if email.as_deref() != Some(account) {
        return Err(invalid(
            "issued for another service account (ask the metadata server with format=full)",
        ));
    }
    if claims.email_verified != Value::Bool(true) {
        return Err(invalid("Google has not verified the account's email"));
    }
    Ok(())
}

/// Whether `aud` names exactly one audience, one of `allowed` (RFC 7523bis: an assertion that also
/// names another server could be replayed there, or here from there). A one-element array is
/// the same single audience.
fn only_audience(aud: &Value, allowed: &[&str]) -> bool {
    let one = match aud {
        Value::String(one) => one,
        Value::Array(list) => match list.as_slice() {
            [Value::String(one)] => one,
            _ => return false,
        },
        _ => return false,
    };
    allowed.contains(&one.as_str())
}

/// The signature (with the key's own algorithm), `aud` among `audiences`, and the time window.
fn decode(
    keys: &KeySet,
    audiences: &[&str],
    raw: &str,
    now: u64,
) -> Result<Claims, AssertionError> {
    let header = jsonwebtoken::decode_header(raw)
        .map_err(|_| invalid("the assertion is not a signed JWT"))?;
    let (alg, key) = keys.key_for(header.kid.as_deref()).map_err(|e| match e {
        KeyError::Unknown => AssertionError::UnknownKey,
        KeyError::Ambiguous => invalid("no kid, and the client has more than one key"),
    })?;
    if header.alg != *alg {
        return Err(invalid("signed with an algorithm its key is not for"));
    }
    let mut validation = Validation::new(*alg);
    // The time is checked below against the `now` passed in, not jsonwebtoken's clock.
    validation.validate_exp = false;
    validation.set_audience(audiences);
    validation.set_required_spec_claims(&["exp", "iss", "sub", "aud"]);
    let claims = jsonwebtoken::decode::<Claims>(raw, key, &validation)
        .map_err(|e| invalid(&format!("the assertion does not verify ({e})")))?
        .claims;
    if claims.exp.saturating_add(LEEWAY_SECS) < now {
        return Err(invalid("the assertion has expired"));
    }
    if claims.exp > now + MAX_LIFETIME_SECS + LEEWAY_SECS {
        return Err(invalid(&format!(
            "the assertion must expire within {MAX_LIFETIME_SECS} seconds"
        )));
    }
    if claims.nbf.is_some_and(|nbf| nbf > now + LEEWAY_SECS) {
        return Err(invalid("the assertion is not valid yet (nbf)"));
    }
    Ok(claims)
}

fn invalid(why: &str) -> AssertionError {
    AssertionError::Invalid(why.to_string())
}

/// The `sub` of an assertion, unverified: the client it claims to be when the form names none
/// (RFC 7523 §3). Only used to find which client's keys to verify it with.
pub fn claimed_client(raw: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Sub {
        sub: String,
    }
    jsonwebtoken::dangerous::insecure_decode_claims::<Sub>(raw)
        .ok()
        .map(|c| c.sub)
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::jwk::Jwk;
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    use serde_json::json;

    use super::*;
    use crate::keys::{KeyAlg, generate_pem};

    const NOW: u64 = 1_800_000_000;
    const TO: Audience<'static> = Audience {
        issuer: "https://login.example.org",
        token_endpoint: "https://login.example.org/token",
    };
    const GOOGLE: &str = "https://accounts.google.com";
    const ACCOUNT: &str = "reports@lab-project.iam.gserviceaccount.com";

    fn keys() -> (KeySet, EncodingKey) {
        let pem = generate_pem(KeyAlg::Es256).unwrap();
        let key = EncodingKey::from_ec_pem(pem.as_bytes()).unwrap();
        let mut jwk = Jwk::from_encoding_key(&key, Algorithm::ES256).unwrap();
        jwk.common.key_id = Some("k1".into());
        (KeySet::from_value(json!({ "keys": [jwk] })).unwrap(), key)
    }

    fn sign(key: &EncodingKey, kid: &str, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(kid.into());
        jsonwebtoken::encode(&header, claims, key).unwrap()
    }

    fn client_claims() -> Value {
        json!({"iss": "batch", "sub": "batch", "aud": TO.token_endpoint, "exp": NOW + 300,
               "iat": NOW, "jti": "j-1"})
    }

    fn google_claims() -> Value {
        json!({"iss": GOOGLE, "sub": "1234567890", "azp": "1234567890", "aud": TO.token_endpoint,
               "exp": NOW + 3600, "iat": NOW, "email": ACCOUNT, "email_verified": true})
    }

    fn with(mut claims: Value, key: &str, value: Value) -> Value {
        claims[key] = value;
        claims
    }

    fn refused(result: Result<(), AssertionError>, reason: &str) {
        match result {
            Err(AssertionError::Invalid(r)) => assert!(r.contains(reason), "{r} / {reason}"),
            other => panic!("expected a refusal ({reason}), got {other:?}"),
        }
    }

    #[test]
    fn a_client_signs_for_itself() {
        let (set, key) = keys();
        let check = |claims: Value, now| {
            verify_client_jwt(&set, "batch", TO, &sign(&key, "k1", &claims), now)
        };
        assert_eq!(check(client_claims(), NOW), Ok(()));
        assert_eq!(
            check(
                with(
                    client_claims(),
                    "aud",
                    json!([TO.token_endpoint, "https://other.example/token"])
                ),
                NOW
            ),
            Err(invalid(
                "the audience must be monban's issuer or token endpoint, and nothing else"
            ))
        );
        assert_eq!(
            check(with(client_claims(), "aud", json!(TO.issuer)), NOW),
            Ok(())
        );
        refused(
            check(
                with(client_claims(), "aud", json!("https://x.example/token")),
                NOW,
            ),
            "InvalidAudience",
        );
        refused(
            check(with(client_claims(), "sub", json!("wiki")), NOW),
            "iss and sub",
        );
        refused(check(client_claims(), NOW + 300 + 61), "expired");
        refused(
            check(with(client_claims(), "exp", json!(NOW + 86_400)), NOW),
            "within 3600",
        );
        refused(
            check(with(client_claims(), "nbf", json!(NOW + 600)), NOW),
            "nbf",
        );
        let other = sign(&key, "k2", &client_claims());
        assert_eq!(
            verify_client_jwt(&set, "batch", TO, &other, NOW),
            Err(AssertionError::UnknownKey)
        );
        assert_eq!(claimed_client(&other).as_deref(), Some("batch"));
        refused(
            verify_client_jwt(&set, "batch", TO, "x.y.z", NOW),
            "not a signed JWT",
        );
    }

    #[test]
    fn a_google_token_names_the_account_and_only_the_token_endpoint() {
        let (set, key) = keys();
        let check = |claims: Value| {
            verify_google_assertion(&set, GOOGLE, ACCOUNT, TO, &sign(&key, "k1", &claims), NOW)
        };
        assert_eq!(check(google_claims()), Ok(()));
        refused(
            check(with(google_claims(), "aud", json!(TO.issuer))),
            "InvalidAudience",
        );
        refused(
            check(with(
                google_claims(),
                "aud",
                json!([TO.token_endpoint, "other"]),
            )),
            "nothing else",
        );
        refused(
            check(with(
                google_claims(),
                "email",
                json!("other@lab-project.iam.gserviceaccount.com"),
            )),
            "another service account",
        );
        refused(
            check(with(google_claims(), "email_verified", json!(false))),
            "verified",
        );
        refused(
            check(with(google_claims(), "iss", json!("https://evil.example"))),
            "Google",
        );
        refused(
            check(with(google_claims(), "exp", json!(NOW - 120))),
            "expired",
        );
    }
}
