//! The Python path of docs/integrate.md, run for real against a running monban and the mock
//! upstream: `examples/python/sign_in.py` signs in with Authlib (code flow, PKCE,
//! client_secret_basic), verifies with PyJWT's `PyJWKClient`, refreshes and calls /userinfo;
//! `service_token.py` gets a service's own token (client credentials); `service_key.py` does with
//! a private key (Authlib's `PrivateKeyJWT`) and `workload_identity.py` with the ID token of the
//! (mock) metadata server; `cli.py` signs a person in from a command line on a random loopback
//! port and calls an API with the token.
//!
//! Needs `pip install "pyjwt[crypto]" authlib requests` (`.ci/run` installs them); without them the
//! test says so and passes, except under CI.

use tokio::process::Command;

use monban::dev::mock_metadata::DEFAULT_SERVICE_ACCOUNT;
use monban::dev::mock_upstream::Fault;

use crate::helpers::{BATCH_KEY_PEM, CLIENT_ORIGIN, TestApp, WIKI_SECRET};

const INVENTORY: &str = "https://inventory.lab.example.org/";

#[tokio::test]
async fn a_python_service_signs_in_with_authlib_and_verifies_with_pyjwt() {
    if !python_ready().await {
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
    run_example_with(script, args, &[]).await
}

/// [`run_example`] with extra environment variables.
async fn run_example_with(script: &str, args: &[&str], env: &[(&str, &str)]) -> Option<String> {
    let out = Command::new("python3")
        .arg(format!(
            "{}/examples/python/{script}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .args(args)
        .env("AUTHLIB_INSECURE_TRANSPORT", "1")
        .envs(env.iter().copied())
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

#[tokio::test]
async fn a_python_service_signs_in_with_its_private_key_through_authlib() {
    let app = TestApp::builder().provider().spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("batch.pem");
    std::fs::write(&key, BATCH_KEY_PEM).unwrap();
    let args = [
        app.issuer.as_str(),
        "batch",
        key.to_str().unwrap(),
        "batch-1",
        INVENTORY,
    ];
    let Some(stdout) = run_example("service_key.py", &args).await else {
        return;
    };
    assert!(
        stdout.contains(&format!(
            "service token: batch {INVENTORY} 'inventory:read inventory:write'"
        )),
        "{stdout}"
    );
}

#[tokio::test]
async fn a_python_cloud_run_service_signs_in_with_its_service_account() {
    // The mock Google is the metadata server; its default account is the one the client names.
    let more = format!(
        "[[clients]]\nid = \"dev-sync\"\ngrant_types = [\"client_credentials\"]\ngoogle_service_account = \"{DEFAULT_SERVICE_ACCOUNT}\"\napis = [\"{INVENTORY}\"]\n"
    );
    let app = TestApp::builder()
        .mock_google(Fault::None)
        .more_clients(&more)
        .spawn()
        .await;
    let mock = app.mock.as_ref().unwrap().issuer();
    let metadata = mock.trim_start_matches("http://");
    let args = [app.issuer.as_str(), "dev-sync", INVENTORY];
    let env = [("GCE_METADATA_HOST", metadata)];
    let Some(stdout) = run_example_with("workload_identity.py", &args, &env).await else {
        return;
    };
    assert!(
        stdout.contains(&format!("workload token: dev-sync {INVENTORY}")),
        "{stdout}"
    );
}

#[tokio::test]
async fn a_python_service_validates_its_logout_token_with_pyjwt() {
    let port = crate::helpers::free_port();
    let client = format!(
        "[[clients]]\nid = \"pyapp\"\nname = \"Python app\"\nsecret = \"pyapp-client-secret\"\n\
         redirect_uris = [\"{CLIENT_ORIGIN}/pyapp/callback\"]\n\
         backchannel_logout_uri = \"http://127.0.0.1:{port}/backchannel\"\n"
    );
    let app = TestApp::builder()
        .mock_google(Fault::None)
        .more_clients(&client)
        .spawn()
        .await;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/python/backchannel_logout.py"
    );
    let mut command = Command::new("python3");
    command
        .arg(script)
        .args([&port.to_string(), &app.issuer, "pyapp"]);
    if !python_ready().await {
        return;
    }
    let (mut receiver, output) = crate::helpers::spawn_recording(command, "listening").await;
    let (url, _) = app.authorize_url("pyapp", "");
    app.follow_to_client(&url, "ada").await;
    let page = app.sign_out().await.text().await.unwrap();
    assert!(page.contains("Python app"), "{page}");
    receiver.wait().await.unwrap();
    let lines = output.lock().unwrap().clone();
    assert!(
        lines.iter().any(|l| l.starts_with("signed out: mock-ada ")),
        "{lines:?}"
    );
}

/// Whether PyJWT and friends are installed (always under CI).
async fn python_ready() -> bool {
    let ready = Command::new("python3")
        .args(["-c", "import jwt, authlib, requests, cryptography"])
        .output()
        .await
        .is_ok_and(|o| o.status.success());
    assert!(
        ready || std::env::var_os("CI").is_none(),
        "CI must install pyjwt[crypto], authlib and requests"
    );
    ready
}
