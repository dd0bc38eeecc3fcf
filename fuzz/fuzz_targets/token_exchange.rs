//! Token exchange (RFC 8693): the request's fields from the input, with raw input or the genuine
//! access token edited by the input as the subject token. Only the genuine token, unchanged, is
//! exchanged, and only for the API its client may call.
#![no_main]

#[path = "world.rs"]
mod world;

use libfuzzer_sys::fuzz_target;
use monban::config::Secret;
use monban::protocol::exchange::{ACCESS_TOKEN_TYPE, Exchange};

fuzz_target!(|data: &[u8]| {
    let w = world::world();
    let text = String::from_utf8_lossy(data);
    let mut fields = text.split('\n').map(str::to_string);
    let mut next = || fields.next().filter(|f| !f.is_empty());
    let (resource, audience, scope, requested) = (next(), next(), next(), next());
    let wiki = w.config.clients.iter().find(|c| c.id == "wiki").unwrap();
    for subject in [text.to_string(), world::candidate(&w.access_token, data)] {
        for subject_type in [Some(ACCESS_TOKEN_TYPE.to_string()), requested.clone()] {
            let exchange = Exchange {
                subject_token: Secret::new(&subject),
                subject_token_type: subject_type,
                requested_token_type: requested.clone(),
                resource: resource.clone(),
                audience: audience.clone(),
                scope: scope.clone(),
                actor_token: data.first() == Some(&0),
            };
            if let Ok(claims) = exchange.claims(&w.tokens, &w.config, wiki, world::NOW) {
                assert_eq!(subject, w.access_token);
                assert_eq!(claims.aud, "https://inventory.example.org/");
            }
        }
    }
});
