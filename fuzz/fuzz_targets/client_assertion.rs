//! `private_key_jwt` and workload-identity assertions: raw input, and claims from the input signed
//! by a genuine key (so the claim checks are reached), verified against that key's set. Whatever
//! verifies names the client as `iss` and `sub` and exactly one of monban's audiences.
#![no_main]

#[path = "world.rs"]
mod world;

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use monban::jwks::KeySet;
use monban::keys::KeyStore;
use monban::protocol::client_assertion::{Audience, verify_client_jwt, verify_google_assertion};

const TO: Audience<'static> = Audience {
    issuer: "http://127.0.0.1:8080",
    token_endpoint: "http://127.0.0.1:8080/token",
};

fn keys() -> &'static KeySet {
    static KEYS: OnceLock<KeySet> = OnceLock::new();
    KEYS.get_or_init(|| {
        let store = KeyStore::load(&world::world().config).unwrap();
        KeySet::from_value(serde_json::to_value(store.jwks()).unwrap()).unwrap()
    })
}

fuzz_target!(|data: &[u8]| {
    let w = world::world();
    let raw = String::from_utf8_lossy(data);
    let signed = serde_json::from_slice::<serde_json::Value>(data)
        .ok()
        .and_then(|claims| w.tokens.mint("JWT", &claims).ok().map(|jwt| (jwt, claims)));
    assert!(verify_client_jwt(keys(), "wiki", TO, &raw, world::NOW).is_err());
    let _ = verify_google_assertion(keys(), world::UPSTREAM, "a@b.example", TO, &raw, world::NOW);
    if let Some((jwt, claims)) = signed {
        if verify_client_jwt(keys(), "wiki", TO, &jwt, world::NOW).is_ok() {
            assert_eq!(claims["iss"], "wiki");
            assert_eq!(claims["sub"], "wiki");
            let aud = match &claims["aud"] {
                serde_json::Value::Array(one) if one.len() == 1 => one[0].clone(),
                other => other.clone(),
            };
            assert!(aud == TO.issuer || aud == TO.token_endpoint, "{aud}");
        }
        let _ =
            verify_google_assertion(keys(), world::UPSTREAM, "a@b.example", TO, &jwt, world::NOW);
    }
});
