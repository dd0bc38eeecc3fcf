//! Faults: an upstream that fails in each way it can, a key rotation in the middle of traffic,
//! and SIGTERM during a burst. Results are summarised in docs/reliability.md.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use monban::dev::mock_upstream::{Fault, MockOptions, MockUpstream};
use monban::keys::KeyAlg;
use reqwest::StatusCode;
use serde_json::Value;
use tokio::sync::mpsc;

use crate::helpers::{
    TestApp, UPSTREAM_CLIENT_ID, UPSTREAM_CLIENT_SECRET, WIKI_SECRET, browser_at_callback,
    keygen_at, serve_process, sigterm,
};

/// A sign-in against an upstream with `fault` ends on a page with `status` that says `words`,
/// and the instance keeps serving everything else.
async fn assert_upstream_fault(app: &TestApp, fault: &str, status: StatusCode, words: &str) {
    let response = if fault == "discovery" {
        app.get("/login").await
    } else {
        app.login_as("ada").await
    };
    assert_eq!(response.status(), status, "{fault}");
    assert!(
        response.headers().get_all("set-cookie").iter().all(|c| {
            let c = c.to_str().unwrap();
            !c.contains("monban_session=") || c.contains("monban_session=;")
        }),
        "{fault}: a session was set"
    );
    let page = response.text().await.unwrap();
    assert!(page.contains(words), "{fault}: {page}");
    for path in ["/healthz", "/.well-known/jwks.json", "/"] {
        assert_eq!(
            app.get(path).await.status(),
            StatusCode::OK,
            "{fault}: {path}"
        );
    }
}

#[tokio::test]
async fn each_upstream_failure_gets_a_clear_page_and_spares_the_rest() {
    let cases = [
        (
            Fault::TokenServerError,
            "500",
            StatusCode::BAD_GATEWAY,
            "did not expect",
        ),
        (
            Fault::TokenGarbage,
            "garbage",
            StatusCode::BAD_GATEWAY,
            "did not expect",
        ),
        (
            Fault::DiscoveryGarbage,
            "discovery",
            StatusCode::BAD_GATEWAY,
            "did not expect",
        ),
    ];
    for (fault, name, status, words) in cases {
        let app = TestApp::builder().mock_google(fault).spawn().await;
        assert_upstream_fault(&app, name, status, words).await;
    }
    // Slow: the token call is cut at the configured timeout (1 s here), not the upstream's 30 s.
    let app = TestApp::builder()
        .mock_google(Fault::SlowToken(Duration::from_secs(30)))
        .env(&[("MONBAN_UPSTREAM__TIMEOUT_SECS", "1")])
        .spawn()
        .await;
    let started = Instant::now();
    assert_upstream_fault(&app, "slow", StatusCode::SERVICE_UNAVAILABLE, "unreachable").await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

/// Who is serving: the addresses traffic may go to, and a version bumped at every change.
struct Pool {
    addresses: RwLock<(u64, Vec<String>)>,
}

impl Pool {
    fn pick(&self, n: usize) -> (u64, String) {
        let guard = self.addresses.read().unwrap();
        (guard.0, guard.1[n % guard.1.len()].clone())
    }
    fn set(&self, apps: &[&TestApp]) -> u64 {
        let mut guard = self.addresses.write().unwrap();
        guard.0 += 1;
        guard.1 = apps.iter().map(|a| a.address.clone()).collect();
        guard.0
    }
}

/// Waits until every worker has finished a few requests that started after pool version
/// `version`, so traffic flows through the new pool and no request is still headed for an
/// instance that has just left it.
async fn drain(done: &mut mpsc::UnboundedReceiver<(usize, u64)>, workers: usize, version: u64) {
    let mut seen: HashMap<usize, usize> = HashMap::new();
    while seen.len() < workers || seen.values().any(|n| *n < 5) {
        let (worker, v) = done.recv().await.expect("workers are running");
        if v >= version {
            *seen.entry(worker).or_default() += 1;
        }
    }
}

#[tokio::test]
async fn a_key_rotation_in_the_middle_of_traffic_fails_no_request() {
    // The runbook of docs/keys.md: publish the new key everywhere first, sign with it second.
    // Load from one address: the per-address limit would (rightly) refuse most of it.
    let old = TestApp::builder()
        .provider()
        .env(&[("MONBAN_RATE_LIMIT_PER_MINUTE", "0")])
        .spawn()
        .await;
    let k1 = old.tokens().keys().active().kid.clone();
    let (code, verifier) = old.code_for("wiki", "ada").await;
    let first: Value = old.redeem(&code, &verifier).await.json().await.unwrap();
    let refresh = first["refresh_token"].as_str().unwrap().to_string();

    let pool = Arc::new(Pool {
        addresses: RwLock::new((0, vec![old.address.clone()])),
    });
    let errors = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (done_tx, mut done) = mpsc::unbounded_channel();
    let pairs = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    const WORKERS: usize = 6;
    let mut handles = Vec::new();
    for worker in 0..WORKERS {
        let (pool, errors, stop, done_tx, pairs) = (
            pool.clone(),
            errors.clone(),
            stop.clone(),
            done_tx.clone(),
            pairs.clone(),
        );
        let mut refresh = refresh.clone();
        handles.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut n = worker;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                // Refresh at one instance, read the profile at the next: tokens cross instances.
                let (version, at) = pool.pick(n);
                let (_, next) = pool.pick(n + 1);
                n += 1;
                let response = http
                    .post(format!("{at}/token"))
                    .form(&[
                        ("grant_type", "refresh_token"),
                        ("refresh_token", refresh.as_str()),
                        ("client_id", "wiki"),
                        ("client_secret", WIKI_SECRET),
                    ])
                    .send()
                    .await;
                let tokens: Value = match response {
                    Ok(r) if r.status() == StatusCode::OK => r.json().await.unwrap(),
                    other => {
                        errors
                            .lock()
                            .unwrap()
                            .push(format!("refresh at {at}: {other:?}"));
                        continue;
                    }
                };
                refresh = tokens["refresh_token"].as_str().unwrap().to_string();
                let access = tokens["access_token"].as_str().unwrap();
                match http
                    .get(format!("{next}/userinfo"))
                    .bearer_auth(access)
                    .send()
                    .await
                {
                    Ok(r) if r.status() == StatusCode::OK => {}
                    other => errors
                        .lock()
                        .unwrap()
                        .push(format!("userinfo at {next}: {other:?}")),
                }
                pairs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let _ = done_tx.send((worker, version));
            }
        }));
    }

    // 1. Traffic on the old instance only.
    drain(&mut done, WORKERS, 0).await;
    // 2. A second key appears; new instances publish it but still sign with the old one.
    let k2 = keygen_at(old.keys_dir.path(), KeyAlg::Es256, 0);
    let publishing = old.spawn_sibling_with(&[("MONBAN_SIGNING_KID", &k1)]).await;
    drain(&mut done, WORKERS, pool.set(&[&old, &publishing])).await;
    let version = pool.set(&[&publishing]);
    drain(&mut done, WORKERS, version).await;
    old.stop().await;
    drain(&mut done, WORKERS, version).await;
    // 3. Instances that sign with the new key join, then replace the publishing ones.
    let signing = old.spawn_sibling_with(&[("MONBAN_SIGNING_KID", &k2)]).await;
    drain(&mut done, WORKERS, pool.set(&[&publishing, &signing])).await;
    let version = pool.set(&[&signing]);
    drain(&mut done, WORKERS, version).await;
    publishing.stop().await;
    drain(&mut done, WORKERS, version).await;

    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for h in handles {
        h.await.unwrap();
    }
    println!(
        "rotation under traffic: {} refresh + userinfo pairs across 5 phases",
        pairs.load(std::sync::atomic::Ordering::Relaxed)
    );
    let errors = errors.lock().unwrap().clone();
    assert!(
        errors.is_empty(),
        "{} failed: {:?}",
        errors.len(),
        &errors[..errors.len().min(5)]
    );
    // The new key really signs now.
    let jwks = signing.jwks().await;
    assert!(
        jwks.keys
            .iter()
            .any(|k| k.common.key_id.as_deref() == Some(k2.as_str()))
    );
}

#[tokio::test]
async fn sigterm_during_a_burst_lets_every_request_in_flight_finish() {
    const BROWSERS: usize = 10;
    // Every code exchange takes 1.5 s at the upstream: the callbacks are in flight when SIGTERM
    // arrives, well inside the default 8 s grace period.
    let mock = MockUpstream::start(MockOptions {
        client_id: UPSTREAM_CLIENT_ID.into(),
        client_secret: UPSTREAM_CLIENT_SECRET.into(),
        fault: Fault::SlowToken(Duration::from_millis(1500)),
        clock: monban::clock::Clock::system(),
    })
    .unwrap();
    let keys = tempfile::tempdir().unwrap();
    keygen_at(keys.path(), KeyAlg::Es256, 0);
    let (mut child, issuer) = serve_process(&[
        ("MONBAN_KEYS_DIR", keys.path().to_str().unwrap()),
        ("MONBAN_UPSTREAM__ISSUER", mock.issuer()),
        ("MONBAN_UPSTREAM__CLIENT_ID", UPSTREAM_CLIENT_ID),
        ("MONBAN_UPSTREAM__CLIENT_SECRET", UPSTREAM_CLIENT_SECRET),
        ("MONBAN_ALLOWED_DOMAINS", "lab.example.org"),
    ])
    .await;

    // Each browser gets as far as its callback URL.
    let mut callbacks = Vec::new();
    for _ in 0..BROWSERS {
        callbacks.push(browser_at_callback(&issuer, "grace").await);
    }
    // The burst: all callbacks at once; SIGTERM once every one is waiting on the upstream.
    let in_flight: Vec<_> = callbacks
        .into_iter()
        .map(|(browser, callback)| tokio::spawn(async move { browser.get(callback).send().await }))
        .collect();
    mock.token_requests()
        .wait_for(|n| *n >= BROWSERS)
        .await
        .unwrap();
    sigterm(&child);
    for request in in_flight {
        let response = request.await.unwrap().expect("no request is cut off");
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert!(
            response
                .headers()
                .get_all("set-cookie")
                .iter()
                .any(|c| c.to_str().unwrap().starts_with("monban_session=")),
            "the sign-in completed"
        );
    }
    let status = child.wait().await.unwrap();
    assert!(status.success(), "{status}");
}
