//! `Verifier::verify_cached` (the hot path: no network) next to a bare `jsonwebtoken::decode`
//! with the same key and the same checks, per algorithm. Prints one JSON line per algorithm:
//! `{"alg":…,"bare_ns":…,"verify_ns":…,"ratio":…}` (bench/compare.py reads them; figures in
//! docs/performance.md).
//!
//! Why not criterion here: criterion measures one function, then the other, and on a shared VM the
//! machine's speed drifts between the two (ratios of the same code ranged 0.83 to 1.30 across
//! runs). This is a paired design instead: many short rounds, each timing both contenders back to
//! back in alternating order, and the ratio is the median of the per-round ratios, so a drift that
//! slows a round slows both sides of it.

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Instant;

use jsonwebtoken::{DecodingKey, Validation};
use monban::keys::{KeyAlg, KeyStore};
use monban::tokens::Tokens;
use monban_verify::contract::ACCESS_TOKEN_TYP;
use monban_verify::{Options, Verifier};
use serde_json::{Value, json};

const ISSUER: &str = "https://login.example.org";
/// Rounds per algorithm, and verifications per contender per round (a round is a few ms).
const ROUNDS: usize = 400;
const PER_ROUND: u32 = 64;

fn main() {
    // `cargo test --benches` runs bench binaries with no `--bench`: one quick round then.
    let quick = !std::env::args().any(|a| a == "--bench");
    for (name, alg) in [
        ("RS256", KeyAlg::Rs256),
        ("ES256", KeyAlg::Es256),
        ("EdDSA", KeyAlg::EdDsa),
    ] {
        let (token, verifier, key, validation) = contenders(alg);
        let bare = || jsonwebtoken::decode::<Value>(black_box(&token), &key, &validation).unwrap();
        let mine = || verifier.verify_cached(black_box(&token)).unwrap();
        let (mut bare_ns, mut mine_ns, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
        for round in 0..if quick { 1 } else { ROUNDS } {
            let (b, m) = if round % 2 == 0 {
                let b = time(bare);
                (b, time(mine))
            } else {
                let m = time(mine);
                (time(bare), m)
            };
            bare_ns.push(b);
            mine_ns.push(m);
            ratios.push(m / b);
        }
        println!(
            "{}",
            json!({"alg": name, "bare_ns": median(&mut bare_ns), "verify_ns": median(&mut mine_ns),
                   "ratio": median(&mut ratios), "rounds": ratios.len()})
        );
    }
}

/// One token and both ways of verifying it, with the same key and checks.
fn contenders(alg: KeyAlg) -> (String, Verifier, DecodingKey, Validation) {
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
            ACCESS_TOKEN_TYP,
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
    (token, verifier, key, validation)
}

/// Nanoseconds per call of `f`, over one round.
fn time<R>(f: impl Fn() -> R) -> f64 {
    let started = Instant::now();
    for _ in 0..PER_ROUND {
        black_box(f());
    }
    started.elapsed().as_nanos() as f64 / f64::from(PER_ROUND)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
