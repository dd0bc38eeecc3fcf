//! The Python path of docs/integrate.md, run for real: `examples/python/sign_in.py` signs in with
//! Authlib (code flow, PKCE, client_secret_basic), verifies with PyJWT's `PyJWKClient`, refreshes
//! and calls /userinfo against a running monban and the mock upstream.
//!
//! Needs `pip install "pyjwt[crypto]" authlib requests` (`.ci/run` installs them); without them the
//! test says so and passes, except under CI.

use tokio::process::Command;

use crate::helpers::{CLIENT_ORIGIN, TestApp, WIKI_SECRET};

#[tokio::test]
async fn a_python_service_signs_in_with_authlib_and_verifies_with_pyjwt() {
    let ready = Command::new("python3")
        .args(["-c", "import jwt, authlib, requests, cryptography"])
        .output()
        .await
        .is_ok_and(|o| o.status.success());
    if !ready {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install pyjwt[crypto], authlib and requests"
        );
        eprintln!("skipped: pip install \"pyjwt[crypto]\" authlib requests to run the Python test");
        return;
    }
    let app = TestApp::builder().provider().spawn().await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/python/sign_in.py");
    let out = Command::new("python3")
        .arg(script)
        .args([
            app.issuer.as_str(),
            "wiki",
            WIKI_SECRET,
            &format!("{CLIENT_ORIGIN}/wiki/callback"),
            "ada",
        ])
        .env("AUTHLIB_INSECURE_TRANSPORT", "1")
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("signed in: mock-ada ada@lab.example.org ['admin']"),
        "{stdout}"
    );
    assert!(stdout.contains("refreshed: ok"), "{stdout}");
}
