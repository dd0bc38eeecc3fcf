//! The configuration's unit tests: defaults, sources, and every refusal naming its key.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use super::urls::parse_issuer;
use super::*;

/// `pairs` plus an upstream client, which every deployment needs.
fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    let mut env: HashMap<String, String> = [
        ("MONBAN_UPSTREAM__CLIENT_ID", "id"),
        ("MONBAN_UPSTREAM__CLIENT_SECRET", "secret"),
    ]
    .iter()
    .chain(pairs)
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    env.retain(|_, v| !v.is_empty());
    env
}

#[test]
fn minimal_environment_gives_documented_defaults() {
    let c = Config::load(&env(&[("MONBAN_ISSUER", "https://login.example.org/")])).unwrap();
    assert_eq!(c.issuer_str(), "https://login.example.org");
    assert_eq!(c.port, 8080);
    assert_eq!(c.lifetimes.access_token, Duration::from_secs(3600));
    assert_eq!(c.upstream.issuer.as_str(), "https://accounts.google.com/");
    assert_eq!(c.keys_dir, PathBuf::from("./keys"));
}

#[test]
fn comma_lists_and_nested_keys_come_from_the_environment() {
    let c = Config::load(&env(&[
        ("MONBAN_ISSUER", "http://127.0.0.1:8080"),
        ("MONBAN_ALLOWED_EMAILS", "Ada@Example.org, bob@example.org"),
        ("MONBAN_ALLOWED_DOMAINS", "lab.example.org"),
        (
            "MONBAN_UPSTREAM__CLIENT_ID",
            "abc.apps.googleusercontent.com",
        ),
        ("MONBAN_UPSTREAM__CLIENT_SECRET", "0123"),
        ("MONBAN_ACCESS_TOKEN_TTL_SECS", "600"),
        ("PORT", "9000"),
    ]))
    .unwrap();
    assert_eq!(c.allowed_emails, ["ada@example.org", "bob@example.org"]);
    assert_eq!(c.allowed_domains, ["lab.example.org"]);
    assert_eq!(c.upstream.client_id, "abc.apps.googleusercontent.com");
    // A digit-only secret stays a string, leading zero included.
    assert_eq!(c.upstream.client_secret.expose(), "0123");
    assert_eq!(c.lifetimes.access_token, Duration::from_secs(600));
    assert_eq!(c.port, 9000);
}

fn error_for(pairs: &[(&str, &str)]) -> ConfigError {
    Config::load(&env(pairs)).unwrap_err()
}

#[test]
fn bad_values_name_their_key() {
    assert_eq!(error_for(&[]).key, "issuer");
    assert_eq!(
        error_for(&[("MONBAN_ISSUER", "login.example.org")]).key,
        "issuer"
    );
    assert_eq!(
        error_for(&[("MONBAN_ISSUER", "http://example.org")]).key,
        "issuer"
    );
    let e = error_for(&[
        ("MONBAN_ISSUER", "https://example.org"),
        ("MONBAN_UPSTREAM__ISSUER", "http://accounts.example.com"),
    ]);
    assert_eq!(e.key, "upstream.issuer");
    let e = error_for(&[("MONBAN_ISSUER", "https://example.org"), ("PORT", "http")]);
    assert_eq!(e.key, "PORT");
    let e = error_for(&[
        ("MONBAN_ISSUER", "https://example.org"),
        ("MONBAN_ACCESS_TOKEN_TTL_SECS", "an hour"),
    ]);
    assert_eq!(e.key, "access_token_ttl_secs", "{e}");
    let e = error_for(&[
        ("MONBAN_ISSUER", "https://example.org"),
        ("MONBAN_ALLOWED_EMAILS", "not-an-address"),
    ]);
    assert_eq!(e.key, "allowed_emails");
    let e = error_for(&[
        ("MONBAN_ISSUER", "https://example.org"),
        ("MONBAN_UPSTREAM__CLIENT_ID", ""),
    ]);
    assert_eq!(e.key, "upstream.client_id");
    let e = error_for(&[
        ("MONBAN_ISSUER", "https://example.org"),
        ("MONBAN_UPSTREAM__CLIENT_SECRET", ""),
    ]);
    assert_eq!(e.key, "upstream.client_secret");
    let e = error_for(&[
        ("MONBAN_ISSUER", "https://example.org"),
        ("MONBAN_SESSION_SECRETS", "too-short"),
    ]);
    assert_eq!(e.key, "session_secrets");
}

#[test]
fn loopback_issuers_may_use_plain_http() {
    for issuer in [
        "http://localhost:8080",
        "http://127.0.0.1:1",
        "http://[::1]:8080",
    ] {
        assert!(parse_issuer("issuer", issuer).is_ok(), "{issuer}");
    }
}

#[test]
fn secrets_never_show_in_debug_output() {
    let s = Secret::new("hunter2");
    assert!(!format!("{s:?}").contains("hunter2"));
}

#[test]
fn sign_outs_come_from_a_toml_table_with_addresses_as_keys() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("monban.toml");
    std::fs::write(
        &file,
        "sign_out_before = \"2026-11-30T00:00:00Z\"\n\n[sign_outs]\n\"ada@lab.example.org\" = \"2026-12-01T09:30:00Z\"\n",
    )
    .unwrap();
    let c = Config::load(&env(&[
        ("MONBAN_ISSUER", "https://login.example.org"),
        ("MONBAN_CONFIG", file.to_str().unwrap()),
    ]))
    .unwrap();
    assert_eq!(c.sign_outs.everyone_before, Some(1_795_996_800));
    assert_eq!(
        c.sign_outs.by_email.get("ada@lab.example.org"),
        Some(&1_796_117_400)
    );
}
