//! `/token`: form parsing, client authentication (Basic header) and both grants, with raw input
//! or a genuine code or refresh token edited by the input.
#![no_main]

#[path = "world.rs"]
mod world;

use libfuzzer_sys::fuzz_target;
use monban::protocol::token_request::{Grant, TokenForm, TokenRequest};

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
        let Ok(request) = TokenRequest::parse(header.as_deref(), &form, &w.config.clients) else {
            continue;
        };
        if w.service().issue(&request, world::NOW).is_ok() {
            // Only the genuine code or refresh token, unchanged, gets tokens.
            let presented = match &request.grant {
                Grant::AuthorizationCode { code, .. } => code,
                Grant::RefreshToken { refresh_token, .. } => refresh_token,
                Grant::ClientCredentials { .. } => {
                    panic!("no client of the fuzzed world may use client credentials")
                }
            };
            assert!(presented.expose() == w.code || presented.expose() == w.refresh_token);
        }
    }
});

fn encode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)]).unwrap()[1..].to_string()
}
