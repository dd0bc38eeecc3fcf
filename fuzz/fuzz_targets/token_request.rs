//! `/token`: form parsing, client authentication (Basic header, or an assertion checked against
//! an empty key set, since no fuzzed client has keys) and both grants, with raw input or a genuine
//! code or refresh token edited by the input.
#![no_main]

#[path = "world.rs"]
mod world;

use libfuzzer_sys::fuzz_target;
use monban::jwks::KeySet;
use monban::protocol::client_assertion::{Audience, verify_client_jwt};
use monban::protocol::token_request::{
    ClientAuth, Grant, TokenForm, TokenRequest, authenticate_client,
};

fuzz_target!(|data: &[u8]| {
    let w = world::world();
    let (header, body) = match data.iter().position(|b| *b == b'\n') {
        Some(i) => (
            Some(String::from_utf8_lossy(&data[..i]).into_owned()),
            &data[i + 1..],
        ),
        None => (None, data),
    };
    let code = world::candidate(&w.code, body);
    let refresh = world::candidate(&w.refresh_token, body);
    let forms = [
        serde_urlencoded::from_bytes::<TokenForm>(body).ok(),
        serde_urlencoded::from_str(&format!(
            "{}&code={}&code_verifier={}",
            world::WIKI_FORM,
            encode(&code),
            world::VERIFIER
        ))
        .ok(),
        serde_urlencoded::from_str(&format!(
            "grant_type=refresh_token&client_id=wiki&client_secret=wiki-secret&refresh_token={}",
            encode(&refresh)
        ))
        .ok(),
    ];
    for form in forms.into_iter().flatten() {
        let client = match authenticate_client(header.as_deref(), &form, &w.config.clients) {
            Ok(ClientAuth::Authenticated(client)) => client,
            Ok(ClientAuth::Assertion { client, assertion }) => {
                let to = Audience {
                    issuer: "http://127.0.0.1:8080",
                    token_endpoint: "http://127.0.0.1:8080/token",
                };
                let keys = KeySet::default();
                assert!(verify_client_jwt(&keys, &client.id, to, assertion.expose(), 0).is_err());
                continue;
            }
            Err(_) => continue,
        };
        let Ok(request) = TokenRequest::parse(client, &form) else {
            continue;
        };
        if w.service().issue(&request, world::NOW).is_ok() {
            // Only the genuine code or refresh token, unchanged, gets tokens.
            let presented = match &request.grant {
                Grant::AuthorizationCode { code, .. } => code,
                Grant::RefreshToken { refresh_token, .. } => refresh_token,
                Grant::ClientCredentials { .. } | Grant::TokenExchange(_) => {
                    panic!("no client of the fuzzed world may use client credentials or exchange")
                }
            };
            assert!(presented.expose() == w.code || presented.expose() == w.refresh_token);
        }
    }
});

fn encode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)]).unwrap()[1..].to_string()
}
