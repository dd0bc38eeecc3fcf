//! monban as an OpenSSH user CA: a signed-in person's public key comes back as a certificate that
//! OpenSSH's own `ssh-keygen -L` reads (key id, principals, validity, extensions, signing CA), with
//! the CA's public keys served for `TrustedUserCAKeys`; and the refusals: no `ssh` scope, a person
//! removed from the allow-list, a key that is not one, no CA configured.

use std::path::Path;
use std::process::Command;

use reqwest::StatusCode;
use serde_json::Value;
use tempfile::TempDir;

use crate::helpers::{CLIENT_ORIGIN, TestApp, param};

/// A public client allowed the `ssh` scope (what `monban ssh login` uses).
pub(crate) const SHELL: &str = r#"
[[clients]]
id = "shell"
redirect_uris = ["http://127.0.0.1:9/shell/callback"]
allowed_scopes = ["ssh"]
"#;

/// A CA key made by `monban keygen --ssh-ca`, in a folder of its own.
pub(crate) fn ca_dir() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    let made = Command::new(env!("CARGO_BIN_EXE_monban"))
        .args(["keygen", "--ssh-ca", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(made.status.success(), "{made:?}");
    dir
}

async fn ca_app(ca: &Path, extra: &[(&str, &str)]) -> TestApp {
    let mut env = vec![
        ("MONBAN_SSH__CA_KEYS_DIR", ca.to_str().unwrap()),
        ("MONBAN_SSH__CERTIFICATE_TTL_SECS", "3600"),
    ];
    env.extend_from_slice(extra);
    TestApp::builder()
        .provider()
        .more_clients(&format!(
            "{SHELL}\n[ssh.role_principals]\nadmin = [\"root\"]\n"
        ))
        .env(&env)
        .spawn()
        .await
}

/// ada's access token from the `shell` client, with `scope`.
pub(crate) async fn access_token(app: &TestApp, user: &str, scope: &str) -> String {
    let (url, verifier) = app.authorize_url("shell", "");
    let url = url.replace("scope=openid+email", &format!("scope={scope}"));
    let back = app.follow_to_client(&url, user).await;
    let tokens: Value = app
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &param(&back, "code").unwrap()),
            ("redirect_uri", &format!("{CLIENT_ORIGIN}/shell/callback")),
            ("code_verifier", &verifier),
            ("client_id", "shell"),
        ])
        .await
        .json()
        .await
        .unwrap();
    tokens["access_token"]
        .as_str()
        .expect("an access token")
        .to_string()
}

/// A fresh Ed25519 key pair made by `ssh-keygen`; returns its public line.
pub(crate) fn user_key(dir: &Path) -> String {
    let key = dir.join("id_ed25519");
    let made = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "ada@laptop", "-f"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(made.status.success(), "{made:?}");
    std::fs::read_to_string(key.with_extension("pub")).unwrap()
}

pub(crate) async fn ask(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    (app.client)
        .post(format!("{}/ssh/certificate", app.address))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_signed_in_persons_key_comes_back_as_a_certificate_openssh_reads() {
    let ca = ca_dir();
    let app = ca_app(ca.path(), &[]).await;
    let served = app.get("/ssh/ca.pub").await;
    assert_eq!(served.status(), StatusCode::OK);
    assert!(
        served.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    let ca_line = served.text().await.unwrap();
    let ca_pub = std::fs::read_dir(ca.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "pub"))
        .unwrap();
    let written = std::fs::read_to_string(&ca_pub).unwrap();
    assert_eq!(
        ca_line.split(' ').nth(1),
        written.split(' ').nth(1),
        "the served key is the CA's"
    );
    let known = app.get("/ssh/known_hosts").await.text().await.unwrap();
    assert!(
        known.starts_with("@cert-authority * ssh-ed25519 "),
        "{known}"
    );

    let token = access_token(&app, "ada", "openid+email+ssh").await;
    let home = tempfile::tempdir().unwrap();
    let public = user_key(home.path());
    let answer = ask(&app, &token, serde_json::json!({ "public_key": public })).await;
    assert_eq!(answer.status(), StatusCode::OK);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(
        body["principals"],
        serde_json::json!(["ada", "root"]),
        "her own name, and admin's root"
    );
    let cert = body["certificate"].as_str().unwrap();
    assert!(cert.starts_with("ssh-ed25519-cert-v01@openssh.com "));
    let file = home.path().join("id_ed25519-cert.pub");
    std::fs::write(&file, format!("{cert}\n")).unwrap();
    let listed = Command::new("ssh-keygen")
        .arg("-L")
        .arg("-f")
        .arg(&file)
        .output()
        .unwrap();
    assert!(listed.status.success(), "{listed:?}");
    let listed = String::from_utf8(listed.stdout).unwrap();
    assert!(
        listed.contains("Type: ssh-ed25519-cert-v01@openssh.com user certificate"),
        "{listed}"
    );
    assert!(
        listed.contains(r#"Key ID: "ada@lab.example.org""#),
        "{listed}"
    );
    let fingerprint = Command::new("ssh-keygen")
        .arg("-l")
        .arg("-f")
        .arg(&ca_pub)
        .output()
        .unwrap();
    let fingerprint = String::from_utf8(fingerprint.stdout).unwrap();
    let fingerprint = fingerprint.split(' ').nth(1).unwrap();
    assert!(
        listed.contains(&format!("Signing CA: ED25519 {fingerprint}")),
        "{listed}"
    );
    let principals: Vec<&str> = listed
        .split("Principals:")
        .nth(1)
        .unwrap()
        .split("Critical Options:")
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(principals, ["ada", "root"]);
    assert!(
        listed.contains("permit-pty") && !listed.contains("permit-port-forwarding"),
        "{listed}"
    );
    // Valid from a minute ago for the configured hour.
    let valid_before = body["valid_before"].as_u64().unwrap();
    let now = monban::clock::unix_now();
    assert!(
        (now + 3590..=now + 3600).contains(&valid_before),
        "{valid_before} vs {now}"
    );
    assert!(listed.contains("Valid: from "), "{listed}");
}

#[tokio::test]
async fn no_certificate_without_the_scope_for_a_removed_person_or_a_bad_key() {
    let ca = ca_dir();
    let app = ca_app(ca.path(), &[]).await;
    let home = tempfile::tempdir().unwrap();
    let public = user_key(home.path());
    let body = serde_json::json!({ "public_key": public });
    // A token without the ssh scope: 403 insufficient_scope.
    let plain = access_token(&app, "ada", "openid+email").await;
    let refused = ask(&app, &plain, body.clone()).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        refused.json::<Value>().await.unwrap()["error"],
        "insufficient_scope"
    );
    // Garbage for a key, or no token at all.
    let token = access_token(&app, "ada", "openid+email+ssh").await;
    let garbage = ask(
        &app,
        &token,
        serde_json::json!({ "public_key": "ssh-ed25519 garbage" }),
    )
    .await;
    assert_eq!(garbage.status(), StatusCode::BAD_REQUEST);
    let anonymous = (app.client)
        .post(format!("{}/ssh/certificate", app.address))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    // ada leaves the lab: her token still verifies, but today's configuration admits her no more.
    let later = app
        .spawn_sibling_with(&[
            ("MONBAN_ALLOWED_DOMAINS", "other.example.org"),
            ("MONBAN_ROLES__ADMIN", "grace@lab.example.org"),
        ])
        .await;
    let denied = ask(&later, &token, body.clone()).await;
    let status = denied.status();
    let denied: Value = denied.json().await.unwrap();
    assert_eq!(denied["error"], "access_denied", "{status} {denied}");
    assert!(denied.get("certificate").is_none());
    // Without CA keys there is no SSH endpoint at all.
    let without = TestApp::builder()
        .provider()
        .more_clients(SHELL)
        .spawn()
        .await;
    assert_eq!(
        without.get("/ssh/ca.pub").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        ask(&without, &token, body).await.status(),
        StatusCode::NOT_FOUND
    );
}
