//! The sealed-value opener: any string, as any purpose, never panics; only the genuine value
//! opens, and only for its own purpose.
#![no_main]

#[path = "world.rs"]
mod world;

use libfuzzer_sys::fuzz_target;
use monban::session::seal::Purpose;

fuzz_target!(|data: &[u8]| {
    let w = world::world();
    for (valid, purpose) in [
        (&w.code, Purpose::Code),
        (&w.refresh_token, Purpose::RefreshToken),
    ] {
        let sealed = world::candidate(valid, data);
        for p in [
            Purpose::LoginState,
            Purpose::Session,
            Purpose::Code,
            Purpose::RefreshToken,
        ] {
            let opened = w.sealer.open::<serde_json::Value>(p, &sealed, world::NOW);
            if opened.is_ok() {
                assert!(p == purpose, "a value opened for another purpose");
            }
        }
    }
});
