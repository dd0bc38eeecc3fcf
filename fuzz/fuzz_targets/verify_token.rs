//! Bearer-token verification, as `/userinfo` and `/logout`'s `id_token_hint` do it: any string,
//! or a genuine token edited by the input. Only the genuine tokens verify, each as its own type.
#![no_main]

#[path = "world.rs"]
mod world;

use libfuzzer_sys::fuzz_target;
use monban::protocol::claims::AccessClaims;
use monban_verify::contract::{ACCESS_TOKEN_TYP, ID_TOKEN_TYP};

fuzz_target!(|data: &[u8]| {
    let w = world::world();
    for valid in [&w.access_token, &w.id_token] {
        let token = world::candidate(valid, data);
        if w.tokens
            .verify::<AccessClaims>(&token, ACCESS_TOKEN_TYP, world::NOW)
            .is_ok()
        {
            assert_eq!(token, w.access_token);
        }
        if w.tokens
            .verify::<serde_json::Value>(&token, ID_TOKEN_TYP, 0)
            .is_ok()
        {
            assert_eq!(token, w.id_token);
        }
    }
});
