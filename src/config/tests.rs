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
    assert_eq!(
        c.admission.allowed_emails,
        ["ada@example.org", "bob@example.org"]
    );
    assert_eq!(c.admission.allowed_domains, ["lab.example.org"]);
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
    assert_eq!(c.admission.sign_outs.everyone_before, Some(1_795_996_800));
    assert_eq!(
        c.admission.sign_outs.by_email.get("ada@lab.example.org"),
        Some(&1_796_117_400)
    );
}

/// Every setting written once: three clients for the three kinds of keys, and an API.
const EVERY_KEY: &str = r#"
issuer = "https://login.example.org"
keys_dir = "/keys"
signing_keys = "PEM-BLOCKS-SECRET"
signing_kid = "k1"
org_name = "Lab"
default_locale = "ja"
logo_url = "https://lab.example.org/logo.png"
skip_sign_in_page = true
allowed_domains = ["lab.example.org"]
allowed_emails = ["guest@gmail.com"]
sign_out_before = "2026-11-30T00:00:00Z"
session_secrets = ["DDWpQgde_2tuFStCu4bg9LNSJ1FVKzW7l3sBkWX7kfg"]
access_token_ttl_secs = 600
id_token_ttl_secs = 600
refresh_token_ttl_secs = 6000
refresh_token_absolute_ttl_secs = 60000
session_ttl_secs = 3600
jwks_max_age_secs = 60
log_format = "json"
shutdown_grace_secs = 5
backchannel_logout_timeout_secs = 3
rate_limit_per_minute = 60
rate_limit_burst = 10
trusted_proxy_hops = 1

[ssh]
ca_keys_dir = "/ssh-ca"
ca_keys = "SSH-CA-SECRET"
certificate_ttl_secs = 3600
extensions = ["permit-pty", "permit-agent-forwarding"]
principals = { "ada@lab.example.org" = ["ada", "lovelace"] }
role_principals = { admin = ["root"] }

[upstream]
issuer = "https://accounts.google.com"
client_id = "abc.apps.googleusercontent.com"
client_secret = "UPSTREAM-SECRET"
timeout_secs = 4
trust_email_domain = true

[roles]
admin = ["ada@lab.example.org"]

[sign_outs]
"grace@lab.example.org" = "2026-12-01T09:30:00Z"

[[apis]]
id = "https://inventory.lab.example.org/"
scopes = ["inventory:read"]

[[clients]]
id = "wiki"
name = "Lab Wiki"
home_url = "https://wiki.lab.example.org/"
secret = "WIKI-CLIENT-SECRET"
token_endpoint_auth_method = "client_secret_post"
redirect_uris = ["https://wiki.lab.example.org/callback"]
post_logout_redirect_uris = ["https://wiki.lab.example.org/"]
require_pkce = true
allowed_scopes = ["inventory:read"]
apis = ["https://inventory.lab.example.org/"]
grant_types = ["authorization_code", "refresh_token"]
roles = ["reader"]
backchannel_logout_uri = "https://wiki.lab.example.org/logout"
refresh_token_absolute_ttl_secs = 86400

[[clients]]
id = "batch"
grant_types = ["client_credentials"]
jwks = '{"keys": [{"kty": "EC", "crv": "P-256", "kid": "batch-1", "alg": "ES256", "use": "sig", "x": "IM6B6UGj-UkLVouuVy_l2mHiZ3WyXBEBajwMWBm2ryM", "y": "8K_AdWhmsy0gzBwmnoHim8CKhX2oDgynypxdyLWqmyg"}]}'

[[clients]]
id = "sync"
grant_types = ["client_credentials"]
jwks_uri = "https://sync.lab.example.org/jwks.json"

[[clients]]
id = "workload"
grant_types = ["client_credentials"]
google_service_account = "sync@project.iam.gserviceaccount.com"
"#;

/// What every secret of [`EVERY_KEY`] is: none may show in the summary or in `Debug`.
const SECRETS: [&str; 5] = [
    "SSH-CA-SECRET",
    "PEM-BLOCKS-SECRET",
    "DDWpQgde_2tuFStCu4bg9LNSJ1FVKzW7l3sBkWX7kfg",
    "UPSTREAM-SECRET",
    "WIKI-CLIENT-SECRET",
];

fn every_key() -> Config {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("monban.toml");
    std::fs::write(&file, EVERY_KEY).unwrap();
    let env = [(CONFIG_FILE_VAR.to_string(), file.display().to_string())];
    Config::load(&env.into_iter().collect()).unwrap()
}

/// The field names a `Deserialize` struct declares: serde's derive hands them to
/// `deserialize_struct`, where this deserializer writes them down and stops.
fn field_names<T: for<'de> serde::Deserialize<'de>>() -> &'static [&'static str] {
    #[derive(Debug)]
    struct Stop;
    impl std::fmt::Display for Stop {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("stop")
        }
    }
    impl std::error::Error for Stop {}
    impl serde::de::Error for Stop {
        fn custom<T: std::fmt::Display>(_: T) -> Self {
            Stop
        }
    }
    struct Names<'a>(&'a mut &'static [&'static str]);
    impl<'de> serde::Deserializer<'de> for Names<'_> {
        type Error = Stop;
        fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
            Err(Stop)
        }
        fn deserialize_struct<V: serde::de::Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Stop> {
            *self.0 = fields;
            Err(Stop)
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
            option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
            ignored_any
        }
    }
    let mut names: &'static [&'static str] = &[];
    let _ = T::deserialize(Names(&mut names));
    names
}

#[test]
fn every_key_of_the_configuration_shows_in_monban_checks_summary_and_no_secret_does() {
    use super::raw::{RawApi, RawClient, RawConfig, RawUpstream};
    let summary = every_key().summary();
    let labels: Vec<&str> = summary
        .lines()
        .map(|l| l.split("  ").next().unwrap())
        .collect();
    let shows = |prefix: &str, field: &str| {
        labels.iter().any(|l| {
            l.strip_prefix(prefix).is_some_and(|rest| {
                rest.strip_prefix(field)
                    .is_some_and(|r| r.is_empty() || r.starts_with(['.', ' ']))
            })
        })
    };
    let top = field_names::<RawConfig>();
    assert!(
        top.contains(&"issuer") && top.contains(&"clients"),
        "{top:?}"
    );
    for key in top
        .iter()
        .filter(|k| !["upstream", "clients", "apis"].contains(k))
    {
        assert!(shows("", key), "{key} is not in the summary:\n{summary}");
    }
    for field in field_names::<RawUpstream>() {
        assert!(shows("upstream.", field), "upstream.{field}:\n{summary}");
    }
    for field in field_names::<super::ssh::RawSsh>() {
        assert!(shows("ssh.", field), "ssh.{field}:\n{summary}");
    }
    // A client's and an API's id show in the brackets of every line of theirs.
    for field in field_names::<RawClient>().iter().filter(|f| **f != "id") {
        let client = |id: &str| shows(&format!("clients[{id}]."), field);
        assert!(
            ["wiki", "batch", "sync", "workload"]
                .iter()
                .any(|id| client(id)),
            "clients[].{field}:\n{summary}"
        );
    }
    for field in field_names::<RawApi>().iter().filter(|f| **f != "id") {
        assert!(
            shows("apis[https://inventory.lab.example.org/].", field),
            "apis[].{field}:\n{summary}"
        );
    }
    for secret in SECRETS {
        assert!(!summary.contains(secret), "{secret} in:\n{summary}");
    }
}

#[test]
fn the_configurations_debug_prints_no_secret() {
    let debug = format!("{:?}", every_key());
    for secret in SECRETS {
        assert!(!debug.contains(secret), "{secret} in {debug}");
    }
}
