//! The Cloud Run deployment of docs/deploy.md, as processes. A revision is the binary started
//! with exactly what cloudbuild.yaml's deploy step gives it (its variables; the configuration file
//! and every key version as files under the paths it mounts; the other secrets as variables), read
//! from a stand-in for Secret Manager. The key-rotation runbook is a sequence of such revisions.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use monban::dev::mock_upstream::{Fault, MockOptions, MockUpstream};
use monban::keys::KeyAlg;
use monban_verify::{Options, Verifier};
use reqwest::Url;
use serde_json::Value;

use crate::deploy::from_cloudbuild;
use crate::helpers::{
    CLIENT_ORIGIN, Output, UPSTREAM_CLIENT_ID, UPSTREAM_CLIENT_SECRET, continue_link, free_port,
    location, param, serve_recording,
};

const BIN: &str = env!("CARGO_BIN_EXE_monban");

/// Secret Manager as a revision sees it: each secret's versions, numbered from 1.
#[derive(Default)]
struct SecretManager(HashMap<String, Vec<String>>);

impl SecretManager {
    /// `gcloud secrets versions add SECRET --data-file=-`: returns the new version's number.
    fn add(&mut self, secret: &str, data: &str) -> String {
        let versions = self.0.entry(secret.to_string()).or_default();
        versions.push(data.to_string());
        versions.len().to_string()
    }

    fn access(&self, secret: &str, version: &str) -> &str {
        let n: usize = version.parse().unwrap();
        &self.0[secret][n - 1]
    }
}

/// One running revision: its process, its own address, its log lines.
struct Revision {
    child: tokio::process::Child,
    address: String,
    output: Output,
    _mounts: tempfile::TempDir,
}

impl Revision {
    /// Deploys cloudbuild.yaml with `substitutions` (as the trigger sets them), the mounted paths
    /// under a fresh folder. `test_env` adds only what a test needs on loopback.
    async fn deploy(
        manager: &SecretManager,
        substitutions: &[(&str, &str)],
        test_env: &[(&str, &str)],
    ) -> Revision {
        let revision = from_cloudbuild(substitutions);
        let mounts = tempfile::tempdir().unwrap();
        let mounted = |target: &str| mounts.path().join(target.trim_start_matches('/'));
        // Cloud Run sets K_SERVICE: the logs are Cloud Logging JSON.
        let mut env = vec![("K_SERVICE".to_string(), "monban".to_string())];
        for (name, value) in &revision.env {
            let value = match value.starts_with('/') {
                true => mounted(value).to_str().unwrap().to_string(),
                false => value.clone(),
            };
            env.push((name.clone(), value));
        }
        for (target, (secret, version)) in &revision.secrets {
            let data = manager.access(secret, version).to_string();
            if target.starts_with('/') {
                let path = mounted(target);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(path, data).unwrap();
            } else {
                env.push((target.clone(), data));
            }
        }
        env.extend(test_env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let (child, address, output) = serve_recording(&pairs).await;
        Revision {
            child,
            address,
            output,
            _mounts: mounts,
        }
    }

    /// Its audit entries so far (Cloud Logging JSON lines with an `event`).
    fn audit(&self) -> Vec<Value> {
        let lines = self.output.lock().unwrap().clone();
        lines
            .iter()
            .map(|l| serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .filter(|entry| entry["event"].is_string())
            .collect()
    }

    async fn jwks(&self) -> (jsonwebtoken::jwk::JwkSet, String) {
        let response = reqwest::get(format!("{}/.well-known/jwks.json", self.address))
            .await
            .unwrap();
        let cache = response.headers()["cache-control"]
            .to_str()
            .unwrap()
            .to_string();
        (response.json().await.unwrap(), cache)
    }

    async fn stop(mut self) {
        self.child.kill().await.unwrap();
    }
}

fn mock_google() -> Arc<MockUpstream> {
    Arc::new(
        MockUpstream::start(MockOptions {
            client_id: UPSTREAM_CLIENT_ID.into(),
            client_secret: UPSTREAM_CLIENT_SECRET.into(),
            fault: Fault::None,
            clock: monban::clock::Clock::system(),
        })
        .unwrap(),
    )
}

/// What the guide's "Add a sibling service" does: `monban client add`, appended to monban.toml,
/// then `monban check --config monban.toml`. Returns the file and the client's secret.
fn config_file(dir: &Path, mock: &MockUpstream, extra: &str) -> (String, String) {
    let added = std::process::Command::new(BIN)
        .args(["client", "add", "wiki", "--redirect-uri"])
        .arg(format!("{CLIENT_ORIGIN}/wiki/callback"))
        .output()
        .unwrap();
    assert!(added.status.success());
    let block = String::from_utf8(added.stdout).unwrap();
    let secret = block
        .lines()
        .find_map(|l| l.strip_prefix("secret = \""))
        .unwrap()
        .trim_end_matches('"')
        .to_string();
    let file = format!(
        "issuer = \"https://login.example.org\"\norg_name = \"Example Lab\"\n\
         allowed_domains = [\"lab.example.org\"]\n{extra}\n\
         [upstream]\nissuer = \"{}\"\nclient_id = \"{UPSTREAM_CLIENT_ID}\"\n\n{block}",
        mock.issuer()
    );
    let path = dir.join("monban.toml");
    std::fs::write(&path, &file).unwrap();
    let checked = std::process::Command::new(BIN)
        .args(["check", "--config"])
        .arg(&path)
        .env_clear()
        .current_dir(dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&checked.stdout);
    assert!(checked.status.success(), "{stdout}");
    assert!(stdout.contains("client wiki") && !stdout.contains(&secret));
    (file, secret)
}

/// A browser signing `user` in to the `wiki` client at `issuer`, every request sent to `address`
/// (the revision the load balancer picks). Returns the code and the PKCE verifier.
async fn code_for(
    issuer: &str,
    address: &str,
    mock: &MockUpstream,
    user: &str,
) -> (String, String) {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    let (challenge, verifier) = openidconnect::PkceCodeChallenge::new_random_sha256();
    let mut url = Url::parse(&format!(
        "{issuer}/authorize?response_type=code&client_id=wiki&redirect_uri={CLIENT_ORIGIN}/wiki/callback\
         &scope=openid+email&state=st&nonce=nn&code_challenge={}&code_challenge_method=S256",
        challenge.as_str()
    ))
    .unwrap();
    for _ in 0..10 {
        let origin = url.origin().ascii_serialization();
        if origin == CLIENT_ORIGIN {
            return (param(&url, "code").unwrap(), verifier.secret().clone());
        }
        if origin == mock.issuer() && url.path() == "/authorize" {
            url.set_query(Some(&format!("user={user}&{}", url.query().unwrap())));
            url.set_path("/authorize/as");
        }
        let target = match url.as_str().strip_prefix(issuer) {
            Some(rest) => format!("{address}{rest}"),
            None => url.to_string(),
        };
        let response = browser.get(&target).send().await.unwrap();
        if response.status() == 200 && target.starts_with(address) {
            url = url
                .join(&continue_link(&response.text().await.unwrap()))
                .unwrap();
            continue;
        }
        assert_eq!(response.status(), 303, "{target}");
        url = location(&response);
    }
    panic!("too many redirects");
}

async fn token(address: &str, form: &[(&str, &str)]) -> Value {
    let response = reqwest::Client::new()
        .post(format!("{address}/token"))
        .form(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// `wiki` redeems a code at `address`.
async fn redeem(address: &str, code: &str, verifier: &str, secret: &str) -> Value {
    let callback = format!("{CLIENT_ORIGIN}/wiki/callback");
    token(
        address,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &callback),
            ("code_verifier", verifier),
            ("client_id", "wiki"),
            ("client_secret", secret),
        ],
    )
    .await
}

/// `wiki` refreshes at `address`.
async fn refresh(address: &str, refresh_token: &str, secret: &str) -> Value {
    token(
        address,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", "wiki"),
            ("client_secret", secret),
        ],
    )
    .await
}

/// What the guide's first steps leave: Secret Manager holding version 1 of the four secrets (the
/// configuration with `wiki` registered, the key named as cloudbuild.yaml's `_SIGNING_KID`), and
/// the public issuer URL every revision answers for.
struct FirstDeploy {
    mock: Arc<MockUpstream>,
    manager: SecretManager,
    wiki_secret: String,
    session_secret: String,
    signing_kid: String,
    issuer: String,
    _admin: tempfile::TempDir,
}

impl FirstDeploy {
    fn new(extra_config: &str) -> FirstDeploy {
        let mock = mock_google();
        let admin = tempfile::tempdir().unwrap();
        let (file, wiki_secret) = config_file(admin.path(), &mock, extra_config);
        let mut manager = SecretManager::default();
        assert_eq!(manager.add("monban-config", &file), "1");
        let key = monban::keys::generate_pem(KeyAlg::Rs256).unwrap();
        assert_eq!(manager.add("monban-signing-key", &key), "1");
        manager.add("monban-google-client-secret", UPSTREAM_CLIENT_SECRET);
        let session_secret = monban::config::generate_session_secret();
        manager.add("monban-session-secrets", &session_secret);
        FirstDeploy {
            mock,
            manager,
            wiki_secret,
            session_secret,
            signing_kid: from_cloudbuild(&[]).env["MONBAN_SIGNING_KID"].clone(),
            issuer: format!("http://127.0.0.1:{}", free_port()),
            _admin: admin,
        }
    }

    /// A revision with these substitutions, behind the public issuer URL.
    async fn deploy(&self, substitutions: &[(&str, &str)]) -> Revision {
        let here = [("MONBAN_ISSUER", self.issuer.as_str())];
        Revision::deploy(&self.manager, substitutions, &here).await
    }
}

#[tokio::test]
async fn the_image_with_cloud_runs_mounts_signs_a_registered_client_in_and_audits_it() {
    // The guide's first deploy, plus a second key version published beside the signing one (the
    // layout during a rotation).
    let mut lab = FirstDeploy::new("");
    let next = monban::keys::generate_pem(KeyAlg::Es256).unwrap();
    let v2 = lab.manager.add("monban-signing-key", &next);
    let signing = lab.signing_kid.clone();
    let key_files = format!(
        "/keys/{signing}.pem=monban-signing-key:1,/keys/20261215T090000Z-es256-77aa01.pem=monban-signing-key:{v2}"
    );
    let revision = lab.deploy(&[("_KEY_FILES", &key_files)]).await;
    let (issuer, mock, wiki_secret) = (&lab.issuer, &lab.mock, &lab.wiki_secret);

    let (jwks, _) = revision.jwks().await;
    assert_eq!(jwks.keys.len(), 2, "both key versions are published");
    let (code, verifier) = code_for(issuer, &revision.address, mock, "grace").await;
    let tokens = redeem(&revision.address, &code, &verifier, wiki_secret).await;
    let access = tokens["access_token"].as_str().unwrap();
    let sibling = Verifier::from_jwks(issuer, "wiki", &jwks, Options::default());
    let claims = sibling.verify_cached(access).unwrap();
    assert_eq!(claims.email.as_deref(), Some("grace@lab.example.org"));
    assert_eq!(
        jsonwebtoken::decode_header(access).unwrap().kid.as_deref(),
        Some(signing.as_str()),
        "MONBAN_SIGNING_KID picks the signing version"
    );
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    refresh(&revision.address, refresh_token, wiki_secret).await;

    // The audit trail an admin queries, and nothing secret in any line.
    let audit = revision.audit();
    let events: Vec<(&str, &str)> = audit
        .iter()
        .map(|e| {
            (
                e["event"].as_str().unwrap(),
                e["grant"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        events,
        [
            ("sign_in.allowed", ""),
            ("token.issued", "authorization_code"),
            ("token.issued", "refresh_token")
        ]
    );
    assert_eq!(audit[1]["client_id"], "wiki");
    assert_eq!(audit[1]["email"], "grace@lab.example.org");
    assert_eq!(audit[0]["severity"], "INFO");
    let everything = revision.output.lock().unwrap().join("\n");
    for secret in [
        wiki_secret.as_str(),
        lab.session_secret.as_str(),
        UPSTREAM_CLIENT_SECRET,
        code.as_str(),
        access,
        refresh_token,
    ] {
        assert!(!everything.contains(secret), "a secret was logged");
    }
    revision.stop().await;
}

/// A signed-in user's client at work: refreshes at each serving revision in turn (Cloud Run
/// splits traffic while a revision replaces another) and hands every access token to the sibling
/// services, each verifying with its cached JWKS only. Returns the tokens' `kid`s and `exp`s.
struct Traffic {
    refresh_token: String,
    secret: String,
    failures: Vec<String>,
    verified: usize,
}

impl Traffic {
    async fn run(&mut self, serving: &[Revision], siblings: &[&Verifier]) -> Vec<(String, u64)> {
        let mut seen = Vec::new();
        for i in 0..12 {
            let at = &serving[i % serving.len()].address;
            let tokens = refresh(at, &self.refresh_token, &self.secret).await;
            self.refresh_token = tokens["refresh_token"].as_str().unwrap().to_string();
            let access = tokens["access_token"].as_str().unwrap();
            for sibling in siblings {
                match sibling.verify_cached(access) {
                    Ok(claims) => {
                        self.verified += 1;
                        let kid = jsonwebtoken::decode_header(access).unwrap().kid.unwrap();
                        seen.push((kid, claims.exp));
                    }
                    Err(e) => self.failures.push(format!("{at}: {e:?}")),
                }
            }
        }
        seen
    }
}

#[tokio::test]
async fn the_key_rotation_runbook_fails_no_verification_in_a_sibling_service() {
    // Load from one address: the per-address limit would (rightly) refuse most of it.
    let mut lab = FirstDeploy::new("rate_limit_per_minute = 0\n");
    let (old, issuer) = (lab.signing_kid.clone(), lab.issuer.clone());

    // Before: the first deploy, one key. A sibling caches its JWKS; a user signs in.
    let mut serving = vec![lab.deploy(&[]).await];
    let (jwks, cache) = serving[0].jwks().await;
    assert!(
        cache.contains("max-age=900"),
        "{cache}: the runbook waits 15 min"
    );
    let before = Verifier::from_jwks(&issuer, "wiki", &jwks, Options::default());
    let (code, verifier) = code_for(&issuer, &serving[0].address, &lab.mock, "ada").await;
    let first = redeem(&serving[0].address, &code, &verifier, &lab.wiki_secret).await;
    let access_ttl = first["expires_in"].as_u64().unwrap();
    let mut traffic = Traffic {
        refresh_token: first["refresh_token"].as_str().unwrap().to_string(),
        secret: lab.wiki_secret.clone(),
        failures: Vec::new(),
        verified: 0,
    };

    // 1. Publish: a new key version, mounted beside the old one, not signing yet.
    let new = "20261215T090000Z-rs256-b0b0b0".to_string();
    let version = lab.manager.add(
        "monban-signing-key",
        &monban::keys::generate_pem(KeyAlg::Rs256).unwrap(),
    );
    let both = format!(
        "/keys/{old}.pem=monban-signing-key:1,/keys/{new}.pem=monban-signing-key:{version}"
    );
    let publish = [
        ("_KEY_FILES", both.as_str()),
        ("_SIGNING_KID", old.as_str()),
    ];
    serving.push(lab.deploy(&publish).await);
    traffic.run(&serving, &[&before]).await;
    serving.remove(0).stop().await;
    traffic.run(&serving, &[&before]).await;

    // Wait the JWKS max-age: by then every sibling's cache holds both keys.
    let (jwks, _) = serving[0].jwks().await;
    assert_eq!(jwks.keys.len(), 2);
    let refreshed = Verifier::from_jwks(&issuer, "wiki", &jwks, Options::default());

    // 2. Switch: the same two files, the new kid signs.
    let switch = [
        ("_KEY_FILES", both.as_str()),
        ("_SIGNING_KID", new.as_str()),
    ];
    serving.push(lab.deploy(&switch).await);
    let mut seen = traffic.run(&serving, &[&refreshed]).await;
    serving.remove(0).stop().await;
    seen.extend(traffic.run(&serving, &[&refreshed]).await);
    let switched = monban::clock::unix_now();
    assert!(seen.iter().any(|(kid, _)| *kid == new), "the new key signs");

    // Wait the access-token lifetime: every token the old key signed has expired by then.
    for (kid, exp) in seen.iter().filter(|(kid, _)| *kid == old) {
        assert!(
            *exp <= switched + access_ttl,
            "{kid} token outlives the wait"
        );
    }

    // 3. Retire: only the new version is mounted; the old one can be destroyed.
    let only_new = format!("/keys/{new}.pem=monban-signing-key:{version}");
    let retire = [
        ("_KEY_FILES", only_new.as_str()),
        ("_SIGNING_KID", new.as_str()),
    ];
    serving.push(lab.deploy(&retire).await);
    traffic.run(&serving, &[&refreshed]).await;
    serving.remove(0).stop().await;
    let (jwks, _) = serving[0].jwks().await;
    assert_eq!(jwks.keys.len(), 1);
    let after = Verifier::from_jwks(&issuer, "wiki", &jwks, Options::default());
    traffic.run(&serving, &[&refreshed, &after]).await;

    println!("rotation runbook: {} verifications", traffic.verified);
    assert!(
        traffic.failures.is_empty(),
        "{} failed: {:?}",
        traffic.failures.len(),
        traffic.failures
    );
    assert_eq!(traffic.verified, 12 * 7);
    // The same runbook without the wait would have failed: the oldest cache refuses the new key.
    let last = refresh(&serving[0].address, &traffic.refresh_token, &traffic.secret).await;
    assert!(
        before
            .verify_cached(last["access_token"].as_str().unwrap())
            .is_err()
    );
    serving.remove(0).stop().await;
}
