//! The upstream (Google) ID token as monban verifies it at `/callback`, and the email it carries:
//! any string, or the genuine token edited by the input.
#![no_main]

#[path = "world.rs"]
mod world;

use libfuzzer_sys::fuzz_target;
use monban::upstream::verify_id_token;

fuzz_target!(|data: &[u8]| {
    let w = world::world();
    let token = world::candidate(&w.upstream_id_token, data);
    let verified = verify_id_token(
        &w.upstream_discovery,
        &w.upstream_jwks,
        world::UPSTREAM_CLIENT,
        &token,
        world::NONCE,
        world::NOW,
    );
    if token == w.upstream_id_token {
        let identity = verified.expect("the genuine token verifies");
        assert_eq!(identity.email.as_deref(), Some("ada@lab.example.org"));
    }
    if let Some(email) = monban::config::normalize_email(&String::from_utf8_lossy(data)) {
        assert_eq!(
            monban::config::normalize_email(&email).as_deref(),
            Some(email.as_str())
        );
    }
});
