//! Stateless for real: separate monban processes (the real binary, as Cloud Run runs it) with the
//! same keys and configuration; every request of a full sign-in goes to a different process than
//! the one before, and one process is replaced mid-flow.

use std::path::Path;

use monban::dev::mock_upstream::{Fault, MockOptions, MockUpstream};
use monban::keys::KeyAlg;
use reqwest::{StatusCode, Url};
use serde_json::Value;

use crate::helpers::{
    CLIENT_ORIGIN, CLIENTS_TOML, UPSTREAM_CLIENT_ID, UPSTREAM_CLIENT_SECRET, WIKI_SECRET,
    continue_link, free_port, keygen_at, location, spawn_until,
};

struct Process {
    address: String,
    _child: tokio::process::Child,
}

/// Starts `monban serve` on `port` and waits for its "listening" log line.
async fn spawn(issuer: &str, port: u16, dir: &Path, upstream: &str) -> Process {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_monban"));
    command
        .arg("serve")
        .env_clear()
        .envs([
            ("PORT", port.to_string().as_str()),
            ("MONBAN_LOG_FORMAT", "json"),
            ("MONBAN_ISSUER", issuer),
            ("MONBAN_KEYS_DIR", dir.to_str().unwrap()),
            ("MONBAN_CONFIG", dir.join("clients.toml").to_str().unwrap()),
            ("MONBAN_UPSTREAM__ISSUER", upstream),
            ("MONBAN_UPSTREAM__CLIENT_ID", UPSTREAM_CLIENT_ID),
            ("MONBAN_UPSTREAM__CLIENT_SECRET", UPSTREAM_CLIENT_SECRET),
            ("MONBAN_ALLOWED_DOMAINS", "lab.example.org"),
        ])
        .current_dir(dir);
    let child = spawn_until(command, "monban listening").await;
    Process {
        address: format!("http://127.0.0.1:{port}"),
        _child: child,
    }
}

impl Process {
    /// `url`'s path and query, sent to this process.
    fn at(&self, url: &Url) -> String {
        let mut here = Url::parse(&self.address).unwrap();
        here.set_path(url.path());
        here.set_query(url.query());
        here.to_string()
    }
}

#[tokio::test]
async fn a_full_sign_in_hops_across_processes_and_survives_a_replaced_one() {
    let mock = MockUpstream::start(MockOptions {
        client_id: UPSTREAM_CLIENT_ID.into(),
        client_secret: UPSTREAM_CLIENT_SECRET.into(),
        fault: Fault::None,
        clock: monban::clock::Clock::system(),
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    keygen_at(dir.path(), KeyAlg::Rs256, 0);
    std::fs::write(dir.path().join("clients.toml"), CLIENTS_TOML).unwrap();
    let ports = [free_port(), free_port(), free_port(), free_port()];
    // The public address all instances serve, as behind Cloud Run's front end.
    let issuer = format!("http://127.0.0.1:{}", ports[0]);
    let first = spawn(&issuer, ports[0], dir.path(), mock.issuer()).await;
    let second = spawn(&issuer, ports[1], dir.path(), mock.issuer()).await;
    let third = spawn(&issuer, ports[2], dir.path(), mock.issuer()).await;
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    let get = |url: String| browser.get(url).send();

    let (challenge, verifier) = openidconnect::PkceCodeChallenge::new_random_sha256();
    let authorize = Url::parse(&format!(
        "{issuer}/authorize?response_type=code&client_id=wiki&redirect_uri={CLIENT_ORIGIN}/wiki/callback\
         &scope=openid+email&state=st&nonce=nn&code_challenge={}&code_challenge_method=S256",
        challenge.as_str()
    ))
    .unwrap();
    // "Sign in to wiki": the person presses the Google button.
    let page = get(first.at(&authorize))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let login = authorize.join(&continue_link(&page)).unwrap();
    let upstream = location(&get(second.at(&login)).await.unwrap());
    let mut choose = upstream.clone();
    choose.set_path("/authorize/as");
    choose.set_query(Some(&format!("user=ada&{}", upstream.query().unwrap())));
    let callback = location(&get(choose.to_string()).await.unwrap());
    let back = location(&get(third.at(&callback)).await.unwrap());

    // The first process is replaced (Cloud Run recycles an instance) before the next step.
    drop(first);
    let fourth = spawn(&issuer, ports[3], dir.path(), mock.issuer()).await;
    let to_client = location(&get(fourth.at(&back)).await.unwrap());
    let code = to_client
        .query_pairs()
        .find(|(k, _)| k == "code")
        .expect("a code")
        .1
        .into_owned();

    let token = |at: &Process, form: Vec<(&'static str, String)>| {
        browser
            .post(format!("{}/token", at.address))
            .form(&form)
            .send()
    };
    let tokens: Value = token(
        &second,
        vec![
            ("grant_type", "authorization_code".into()),
            ("code", code),
            ("redirect_uri", format!("{CLIENT_ORIGIN}/wiki/callback")),
            ("code_verifier", verifier.secret().clone()),
            ("client_id", "wiki".into()),
            ("client_secret", WIKI_SECRET.into()),
        ],
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let info = browser
        .get(format!("{}/userinfo", third.address))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(info.status(), StatusCode::OK);
    let info: Value = info.json().await.unwrap();
    assert_eq!(info["email"], "ada@lab.example.org");
    let refreshed = token(
        &fourth,
        vec![
            ("grant_type", "refresh_token".into()),
            (
                "refresh_token",
                tokens["refresh_token"].as_str().unwrap().into(),
            ),
            ("client_id", "wiki".into()),
            ("client_secret", WIKI_SECRET.into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(refreshed.status(), StatusCode::OK);
}
