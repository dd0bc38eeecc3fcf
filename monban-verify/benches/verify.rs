//! `Verifier::verify_cached` (the hot path: no network) next to a bare `jsonwebtoken::decode`
//! with the same key and the same checks, per algorithm. Figures in docs/performance.md.

use std::collections::HashMap;

use criterion::{Criterion, criterion_group, criterion_main};
use jsonwebtoken::{DecodingKey, Validation};
use monban::keys::{KeyAlg, KeyStore};
use monban::tokens::{TYP_ACCESS_TOKEN, Tokens};
use monban_verify::{Options, Verifier};
use serde_json::{Value, json};

const ISSUER: &str = "https://login.example.org";

fn bench(c: &mut Criterion) {
    for (name, alg) in [
        ("RS256", KeyAlg::Rs256),
        ("ES256", KeyAlg::Es256),
        ("EdDSA", KeyAlg::EdDsa),
    ] {
        let dir = tempfile::tempdir().unwrap();
        monban::keys::keygen(dir.path(), alg, std::time::SystemTime::now()).unwrap();
        let env: HashMap<String, String> = [
            ("MONBAN_ISSUER", ISSUER),
            ("MONBAN_KEYS_DIR", dir.path().to_str().unwrap()),
            ("MONBAN_UPSTREAM__CLIENT_ID", "id"),
            ("MONBAN_UPSTREAM__CLIENT_SECRET", "secret"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let config = monban::config::Config::load(&env).unwrap();
        let tokens = Tokens::new(KeyStore::load(&config).unwrap(), ISSUER);
        let jwks = tokens.keys().jwks();
        let token = tokens
            .mint(
                TYP_ACCESS_TOKEN,
                &json!({"iss": ISSUER, "sub": "110169484474386276334", "aud": "wiki",
                    "exp": 4_000_000_000u64, "iat": 1_700_000_000u64, "jti": "j", "client_id": "wiki",
                    "scope": "openid email profile", "email": "ada@lab.example.org",
                    "email_verified": true, "name": "Ada Lovelace", "roles": ["admin"]}),
            )
            .unwrap();
        let verifier = Verifier::from_jwks(ISSUER, "wiki", &jwks, Options::default());
        verifier.verify_cached(&token).unwrap();
        let key = DecodingKey::from_jwk(&jwks.keys[0]).unwrap();
        let mut validation = Validation::new(alg.jose());
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&["wiki"]);

        let mut group = c.benchmark_group(name);
        group.bench_function("bare jsonwebtoken::decode", |b| {
            b.iter(|| jsonwebtoken::decode::<Value>(&token, &key, &validation).unwrap())
        });
        group.bench_function("monban-verify verify_cached", |b| {
            b.iter(|| verifier.verify_cached(&token).unwrap())
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
