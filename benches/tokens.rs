//! Minting and verifying one access token with each algorithm, through monban's token core.
//!
//! Run: `cargo bench --bench tokens`. Figures in docs/performance.md.

use std::collections::HashMap;

use criterion::{Criterion, criterion_group, criterion_main};
use monban::config::Config;
use monban::keys::{KeyAlg, KeyStore};
use monban::tokens::Tokens;
use monban_verify::contract::ACCESS_TOKEN_TYP;
use serde_json::{Value, json};

const ISSUER: &str = "https://login.example.org";

fn tokens(alg: KeyAlg, dir: &std::path::Path) -> Tokens {
    monban::keys::keygen(dir, alg, std::time::SystemTime::now()).unwrap();
    let env: HashMap<String, String> = [
        ("MONBAN_ISSUER".to_string(), ISSUER.to_string()),
        ("MONBAN_UPSTREAM__CLIENT_ID".to_string(), "id".to_string()),
        (
            "MONBAN_UPSTREAM__CLIENT_SECRET".to_string(),
            "secret".to_string(),
        ),
        ("MONBAN_KEYS_DIR".to_string(), dir.display().to_string()),
    ]
    .into();
    let config = Config::load(&env).unwrap();
    Tokens::new(KeyStore::load(&config).unwrap(), ISSUER)
}

fn bench(c: &mut Criterion) {
    let claims = json!({
        "iss": ISSUER, "sub": "110169484474386276334", "aud": "wiki", "client_id": "wiki",
        "exp": 4_000_000_000u64, "iat": 1_700_000_000u64, "jti": "c2b1f0e4-3f1a-4a52-9a57-1f8a0e2f5d11",
        "scope": "openid email profile", "email": "ada@lab.example.org", "email_verified": true,
        "name": "Ada Lovelace", "roles": ["admin"],
    });
    for (name, alg) in [
        ("RS256", KeyAlg::Rs256),
        ("ES256", KeyAlg::Es256),
        ("EdDSA", KeyAlg::EdDsa),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let t = tokens(alg, dir.path());
        let token = t.mint(ACCESS_TOKEN_TYP, &claims).unwrap();
        c.bench_function(&format!("mint/{name}"), |b| {
            b.iter(|| t.mint(ACCESS_TOKEN_TYP, &claims).unwrap())
        });
        c.bench_function(&format!("verify/{name}"), |b| {
            b.iter(|| {
                t.verify::<Value>(&token, ACCESS_TOKEN_TYP, 1_800_000_000)
                    .unwrap()
            })
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
