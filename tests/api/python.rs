//! The Python path of docs/integrate.md, run for real against a running monban and the mock
//! upstream: `examples/python/sign_in.py` signs in with Authlib (code flow, PKCE,
//! client_secret_basic), verifies with PyJWT's `PyJWKClient`, refreshes and calls /userinfo;
//! `service_token.py` gets a service's own token (client credentials); `cli.py` signs a person in
//! from a command line on a random loopback port and calls an API with the token.
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

/// Runs `examples/python/SCRIPT` with `args`; `None` when the Python libraries are missing here
/// (never under CI). Returns stdout, having asserted success.
async fn run_example(script: &str, args: &[&str]) -> Option<String> {
    let out = Command::new("python3")
        .arg(format!(
            "{}/examples/python/{script}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .args(args)
        .env("AUTHLIB_INSECURE_TRANSPORT", "1")
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if stderr.contains("ModuleNotFoundError") && std::env::var_os("CI").is_none() {
        eprintln!("skipped: pip install \"pyjwt[crypto]\" authlib requests");
        return None;
    }
    assert!(out.status.success(), "{stdout}\n{stderr}");
    Some(stdout)
}

#[tokio::test]
async fn a_python_service_gets_a_token_of_its_own_with_authlib() {
    let app = TestApp::builder().provider().spawn().await;
    let args = [app.issuer.as_str(), "reports", "reports-client-secret"];
    let Some(stdout) = run_example("service_token.py", &args).await else {
        return;
    };
    assert!(
        stdout.contains("service token: reports ['reader'] 'inventory:read'"),
        "{stdout}"
    );
}

#[tokio::test]
async fn a_python_cli_signs_in_on_a_random_loopback_port_and_calls_an_api() {
    let app = TestApp::builder().provider().spawn().await;
    // monban's own /userinfo stands in for the sibling API the tool calls.
    let api = format!("{}/userinfo", app.issuer);
    let args = [app.issuer.as_str(), "cli", &api, "--as", "grace"];
    let Some(stdout) = run_example("cli.py", &args).await else {
        return;
    };
    assert!(
        stdout.contains("api answered 200") && stdout.contains("grace@lab.example.org"),
        "{stdout}"
    );
}
