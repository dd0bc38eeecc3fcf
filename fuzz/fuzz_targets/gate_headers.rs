//! The gate's header filter: any headers a browser may send (`name: value` lines from the input)
//! with any `X-Forwarded-For` chain. The app never gets an identity or forwarding header but the
//! gate's own, in any spelling, nor a header the request's `Connection` names.
#![no_main]

use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use libfuzzer_sys::fuzz_target;
use monban::gate::headers::{Hop, Identity, canonical, is_gates_own, to_app};

fuzz_target!(|data: &[u8]| {
    let mut sent = HeaderMap::new();
    for line in data.split(|b| *b == b'\n') {
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            continue;
        };
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(&line[..colon]),
            HeaderValue::from_bytes(line[colon + 1..].trim_ascii()),
        ) else {
            continue;
        };
        sent.append(name, value);
    }
    let identity = Identity {
        sub: "ada".into(),
        email: None,
        roles: vec!["staff".into()],
        token: "token".into(),
    };
    let hop = Hop {
        peer: Some("10.0.0.9".parse().unwrap()),
        trusted_proxies: usize::from(data.first().copied().unwrap_or(0) % 3),
        host: "notebooks.example.org",
        proto: "https",
    };
    let out = to_app(&sent, &hop, &identity, |name| {
        name.starts_with("monban_gate")
    });
    let ours = to_app(&HeaderMap::new(), &hop, &identity, |_| false);
    for (name, value) in &out {
        if is_gates_own(name.as_str()) {
            // Exactly the gate's spelling, and the gate's value (the chain may differ).
            assert_eq!(canonical(name.as_str()), name.as_str());
            if name != "x-forwarded-for" && name != "x-real-ip" && name != "forwarded" {
                assert_eq!(Some(value), ours.get(name));
            }
        }
    }
    let named: Vec<String> = sent
        .get_all("connection")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|n| canonical(n.trim()))
        .filter(|n| !n.is_empty())
        .collect();
    for name in out.keys() {
        if !is_gates_own(name.as_str()) {
            assert!(!named.contains(&canonical(name.as_str())), "{name}");
        }
    }
});
