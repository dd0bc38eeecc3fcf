//! The real `monban` binary: commands, start-up errors, `PORT`, JSON logs and SIGTERM.

use std::path::Path;
use std::process::{Output, Stdio};

use monban::keys::KeyAlg;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::ChildStdout;

use crate::helpers::{free_port, keygen_at, sigterm};

const BIN: &str = env!("CARGO_BIN_EXE_monban");
const UPSTREAM_ID: (&str, &str) = (
    "MONBAN_UPSTREAM__CLIENT_ID",
    "abc.apps.googleusercontent.com",
);
const UPSTREAM_SECRET: (&str, &str) = ("MONBAN_UPSTREAM__CLIENT_SECRET", "upstream-secret-value");

/// Runs `monban ARGS` in `cwd` with only `env` set, as a fresh deployment would.
fn run(args: &[&str], env: &[(&str, &str)], cwd: &Path) -> Output {
    std::process::Command::new(BIN)
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .current_dir(cwd)
        .output()
        .unwrap()
}

/// Asserts that `check` (the same loading as `serve`) stops with exit code 2 and names `key`.
fn assert_config_error(env: &[(&str, &str)], cwd: &Path, key: &str) {
    for command in ["check", "serve"] {
        let out = run(&[command], env, cwd);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{command} with {env:?}: {stderr}"
        );
        assert!(
            stderr.contains(key),
            "{command}: {stderr:?} does not name {key:?}"
        );
        assert_eq!(
            stderr.trim().lines().count(),
            1,
            "one message, got {stderr:?}"
        );
    }
}

#[test]
fn each_bad_configuration_stops_start_up_naming_the_key() {
    let cwd = tempfile::tempdir().unwrap();
    let keys = tempfile::tempdir().unwrap();
    keygen_at(keys.path(), KeyAlg::Es256, 0);
    let keys_dir = keys.path().to_str().unwrap();
    let ok = [
        ("MONBAN_ISSUER", "https://login.example.org"),
        ("MONBAN_KEYS_DIR", keys_dir),
        UPSTREAM_ID,
        UPSTREAM_SECRET,
    ];
    let with = |extra: &[(&'static str, &'static str)]| -> Vec<(&str, &str)> {
        let mut env: Vec<(&str, &str)> = ok.to_vec();
        env.retain(|(k, _)| !extra.iter().any(|(e, _)| e == k));
        env.extend_from_slice(extra);
        env
    };
    assert_config_error(&[("MONBAN_KEYS_DIR", keys_dir)], cwd.path(), "issuer");
    assert_config_error(
        &with(&[("MONBAN_ISSUER", "login.example.org")]),
        cwd.path(),
        "issuer",
    );
    assert_config_error(
        &with(&[("MONBAN_ISSUER", "http://login.example.org")]),
        cwd.path(),
        "issuer",
    );
    assert_config_error(
        &with(&[("MONBAN_UPSTREAM__ISSUER", "http://accounts.example.com")]),
        cwd.path(),
        "upstream.issuer",
    );
    assert_config_error(&with(&[("PORT", "eighty")]), cwd.path(), "PORT");
    assert_config_error(
        &with(&[("MONBAN_JWKS_MAX_AGE_SECS", "-5")]),
        cwd.path(),
        "jwks_max_age_secs",
    );
    assert_config_error(
        &with(&[("MONBAN_SIGNING_KID", "nope")]),
        cwd.path(),
        "signing_kid",
    );
    assert_config_error(
        &with(&[("MONBAN_CONFIG", "/nonexistent/monban.toml")]),
        cwd.path(),
        "MONBAN_CONFIG",
    );
    let without = |key: &str| -> Vec<(&str, &str)> {
        ok.iter().copied().filter(|(k, _)| *k != key).collect()
    };
    assert_config_error(
        &without("MONBAN_UPSTREAM__CLIENT_ID"),
        cwd.path(),
        "upstream.client_id",
    );
    assert_config_error(
        &without("MONBAN_UPSTREAM__CLIENT_SECRET"),
        cwd.path(),
        "upstream.client_secret",
    );
}

#[test]
fn missing_empty_or_broken_keys_stop_start_up_naming_the_file() {
    let cwd = tempfile::tempdir().unwrap();
    let issuer = ("MONBAN_ISSUER", "https://login.example.org");
    let assert_config_error = |env: &[(&str, &str)], cwd: &Path, key: &str| {
        let mut env = env.to_vec();
        env.extend([UPSTREAM_ID, UPSTREAM_SECRET]);
        assert_config_error(&env, cwd, key);
    };
    assert_config_error(
        &[issuer, ("MONBAN_KEYS_DIR", "/nonexistent/keys")],
        cwd.path(),
        "/nonexistent/keys",
    );

    let empty = tempfile::tempdir().unwrap();
    std::fs::write(empty.path().join("README.md"), "keys go here").unwrap();
    let empty_dir = empty.path().to_str().unwrap();
    assert_config_error(
        &[issuer, ("MONBAN_KEYS_DIR", empty_dir)],
        cwd.path(),
        empty_dir,
    );

    let broken = tempfile::tempdir().unwrap();
    std::fs::write(
        broken.path().join("bad.pem"),
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    let broken_dir = broken.path().to_str().unwrap();
    assert_config_error(
        &[issuer, ("MONBAN_KEYS_DIR", broken_dir)],
        cwd.path(),
        "bad.pem",
    );

    let garbage = tempfile::tempdir().unwrap();
    std::fs::write(garbage.path().join("junk.pem"), "not a key at all").unwrap();
    let garbage_dir = garbage.path().to_str().unwrap();
    assert_config_error(
        &[issuer, ("MONBAN_KEYS_DIR", garbage_dir)],
        cwd.path(),
        "junk.pem",
    );

    // A name the server cannot read as a file (a folder) is named too.
    let unreadable = tempfile::tempdir().unwrap();
    std::fs::create_dir(unreadable.path().join("odd.pem")).unwrap();
    let unreadable_dir = unreadable.path().to_str().unwrap();
    assert_config_error(
        &[issuer, ("MONBAN_KEYS_DIR", unreadable_dir)],
        cwd.path(),
        "odd.pem",
    );

    assert_config_error(
        &[
            issuer,
            (
                "MONBAN_SIGNING_KEYS",
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
            ),
        ],
        cwd.path(),
        "MONBAN_SIGNING_KEYS",
    );
}

#[test]
fn a_typo_in_the_config_file_is_named() {
    let cwd = tempfile::tempdir().unwrap();
    std::fs::write(
        cwd.path().join("monban.toml"),
        "isuer = \"https://login.example.org\"\n",
    )
    .unwrap();
    assert_config_error(&[], cwd.path(), "isuer");
}

#[test]
fn keygen_writes_a_private_file_named_by_its_kid_and_check_summarises_without_secrets() {
    let cwd = tempfile::tempdir().unwrap();
    let out = run(&["keygen", "--dir", "k", "--alg", "ES256"], &[], cwd.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let entries: Vec<_> = std::fs::read_dir(cwd.path().join("k")).unwrap().collect();
    assert_eq!(entries.len(), 1);
    let path = entries[0].as_ref().unwrap().path();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let kid = path.file_stem().unwrap().to_str().unwrap().to_string();

    std::fs::write(
        cwd.path().join("monban.toml"),
        r#"
issuer = "https://login.example.org"
keys_dir = "k"
org_name = "Lab of Examples"
[upstream]
client_id = "abc.apps.googleusercontent.com"
[[clients]]
id = "wiki"
secret = "wiki-client-secret-value"
redirect_uris = ["https://wiki.example.org/callback"]
"#,
    )
    .unwrap();
    let out = run(
        &["check"],
        &[("MONBAN_UPSTREAM__CLIENT_SECRET", "upstream-secret-value")],
        cwd.path(),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&kid) && stdout.contains("Lab of Examples") && stdout.contains("wiki"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("upstream-secret-value") && !stdout.contains("wiki-client-secret-value"),
        "{stdout}"
    );
}

#[test]
fn a_service_asking_for_a_persons_scope_or_named_like_an_api_stops_monban_check() {
    let cwd = tempfile::tempdir().unwrap();
    let keys = tempfile::tempdir().unwrap();
    keygen_at(keys.path(), KeyAlg::Es256, 0);
    let keys_dir = keys.path().to_str().unwrap();
    for (toml, key) in [
        (
            "[[clients]]\nid = \"svc\"\nsecret = \"svc-secret\"\ngrant_types = [\"client_credentials\"]\n\
             allowed_scopes = [\"openid\", \"inventory:read\"]\n",
            "clients[svc].allowed_scopes",
        ),
        (
            "[[apis]]\nid = \"https://inventory.example.org/\"\nscopes = [\"inventory:read\"]\n\
             [[clients]]\nid = \"https://inventory.example.org/\"\nsecret = \"s\"\n\
             grant_types = [\"client_credentials\"]\n",
            "clients[https://inventory.example.org/].id",
        ),
    ] {
        let file = cwd.path().join("monban.toml");
        std::fs::write(&file, toml).unwrap();
        assert_config_error(
            &[
                ("MONBAN_ISSUER", "https://login.example.org"),
                ("MONBAN_KEYS_DIR", keys_dir),
                ("MONBAN_CONFIG", file.to_str().unwrap()),
                UPSTREAM_ID,
                UPSTREAM_SECRET,
            ],
            cwd.path(),
            key,
        );
    }
}

/// Reads log lines until one satisfies `wanted`, returning it parsed.
async fn next_log(
    lines: &mut Lines<BufReader<ChildStdout>>,
    wanted: impl Fn(&Value) -> bool,
) -> Value {
    while let Some(line) = lines.next_line().await.unwrap() {
        let entry: Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(entry["severity"].is_string(), "no severity: {line}");
        if wanted(&entry) {
            return entry;
        }
    }
    panic!("the server's output ended");
}

#[tokio::test]
async fn on_cloud_run_it_honours_port_logs_json_and_stops_cleanly_on_sigterm() {
    let keys = tempfile::tempdir().unwrap();
    keygen_at(keys.path(), KeyAlg::Rs256, 0);
    let cwd = tempfile::tempdir().unwrap();
    let port = free_port().to_string();
    let mut child = tokio::process::Command::new(BIN)
        .env_clear()
        .envs([
            ("MONBAN_ISSUER", "https://login.example.org"),
            ("MONBAN_KEYS_DIR", keys.path().to_str().unwrap()),
            ("PORT", port.as_str()),
            ("K_SERVICE", "monban"),
            UPSTREAM_ID,
            UPSTREAM_SECRET,
            ("GOOGLE_CLOUD_PROJECT", "lab-project"),
        ])
        .current_dir(cwd.path())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let started = next_log(&mut lines, |e| {
        e["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("monban listening"))
    })
    .await;
    assert_eq!(started["severity"], "INFO");
    assert_eq!(started["port"].to_string(), port);

    let response = reqwest::Client::new()
        .get(format!(
            "http://127.0.0.1:{port}/.well-known/jwks.json?secret=do-not-log"
        ))
        .header(
            "X-Cloud-Trace-Context",
            "105445aa7843bc8bf206b12000100000/1;o=1",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let request = next_log(&mut lines, |e| e.get("httpRequest").is_some()).await;
    let http = &request["httpRequest"];
    assert_eq!(http["requestMethod"], "GET");
    // The public URL (the issuer's origin), never the query.
    assert_eq!(
        http["requestUrl"],
        "https://login.example.org/.well-known/jwks.json"
    );
    assert!(request["latency_ms"].is_u64());
    assert_eq!(http["status"], 200);
    assert!(http["latency"].as_str().unwrap().ends_with('s'));
    assert_eq!(
        request["logging.googleapis.com/trace"],
        "projects/lab-project/traces/105445aa7843bc8bf206b12000100000"
    );
    assert!(
        !request.to_string().contains("do-not-log"),
        "the query string was logged"
    );

    sigterm(&child);
    next_log(&mut lines, |e| e["message"] == "monban stopped").await;
    let status = child.wait().await.unwrap();
    assert!(status.success(), "{status}");
}

#[test]
fn client_add_prints_a_block_that_check_accepts_as_a_registered_client() {
    let cwd = tempfile::tempdir().unwrap();
    let keys = tempfile::tempdir().unwrap();
    keygen_at(keys.path(), KeyAlg::Es256, 0);
    let added = run(
        &[
            "client",
            "add",
            "wiki",
            "--redirect-uri",
            "https://wiki.example.org/oidc/callback",
            "--post-logout-redirect-uri",
            "https://wiki.example.org/",
        ],
        &[],
        cwd.path(),
    );
    assert_eq!(added.status.code(), Some(0), "{added:?}");
    let block = String::from_utf8(added.stdout).unwrap();
    assert!(
        block.starts_with("[[clients]]\nid = \"wiki\"\nsecret = \""),
        "{block}"
    );
    let file = cwd.path().join("monban.toml");
    std::fs::write(&file, &block).unwrap();
    // `check --config FILE` checks the file before it is uploaded.
    let checked = run(
        &["check", "--config", file.to_str().unwrap()],
        &[
            ("MONBAN_ISSUER", "https://login.example.org"),
            ("MONBAN_KEYS_DIR", keys.path().to_str().unwrap()),
            UPSTREAM_ID,
            UPSTREAM_SECRET,
        ],
        cwd.path(),
    );
    let summary = String::from_utf8_lossy(&checked.stdout);
    assert_eq!(checked.status.code(), Some(0), "{summary}");
    assert!(
        summary.contains("client wiki") && summary.contains("confidential"),
        "{summary}"
    );
    let secret = block.lines().find(|l| l.starts_with("secret")).unwrap();
    assert!(
        !summary.contains(&secret[10..30]),
        "check printed the secret"
    );
    // A bad redirect URI is refused with exit code 2, naming the flag.
    let bad = run(
        &["client", "add", "wiki", "--redirect-uri", "wiki"],
        &[],
        cwd.path(),
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--redirect-uri"));
}
