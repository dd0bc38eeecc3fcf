//! `spawn_app` and `TestApp`: a real monban on 127.0.0.1 with a fresh keys dir, and, for login
//! tests, the mock upstream that `monban dev` uses, driven by a client with a cookie jar.

use std::collections::HashMap;
use std::io::Write;

use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};
use tokio::io::AsyncBufReadExt;

use monban::config::Config;
use monban::dev::mock_upstream::{Fault, MockOptions, MockUpstream};
use monban::http::Application;
use monban::keys::{KeyAlg, KeyStore};
use monban::tokens::Tokens;
use reqwest::Url;
use tempfile::TempDir;

/// The mock upstream's client credentials in the tests.
pub const UPSTREAM_CLIENT_ID: &str = "monban-test";
pub const UPSTREAM_CLIENT_SECRET: &str = "monban-test-upstream-secret";

/// A running monban and what a test needs to talk to it.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    /// The issuer (equal to `address`, except for a sibling instance).
    pub issuer: String,
    /// A browser: cookie jar on, redirects off.
    pub client: reqwest::Client,
    /// The keys dir the server loaded.
    pub keys_dir: Arc<TempDir>,
    /// The mock upstream, for login tests.
    pub mock: Option<Arc<MockUpstream>>,
    upstream_issuer: Option<String>,
    extra_env: Vec<(String, String)>,
    handle: actix_web::dev::ServerHandle,
}

/// Starts monban with one freshly generated key of `alg` and no reachable upstream.
pub async fn spawn_app(alg: KeyAlg) -> TestApp {
    let keys_dir = tempfile::tempdir().unwrap();
    keygen_at(keys_dir.path(), alg, 0);
    spawn_app_with_keys(keys_dir).await
}

/// Starts monban on the keys already in `keys_dir`.
pub async fn spawn_app_with_keys(keys_dir: TempDir) -> TestApp {
    launch(Arc::new(keys_dir), None, None, None, None, Vec::new()).await
}

/// Starts the mock upstream (misbehaving as `fault` says) and monban signing in through it, with
/// the allow-list of `monban dev`: lab.example.org, alan.turing@gmail.com, and ada as admin.
pub async fn spawn_login_app(fault: Fault) -> TestApp {
    spawn_login_app_with(fault, &[]).await
}

/// Where registered clients "live": nothing listens there; tests read the redirect instead.
pub const CLIENT_ORIGIN: &str = "http://127.0.0.1:9";

/// Two registered clients: `wiki` (confidential) and `spa` (public, PKCE).
pub const CLIENTS_TOML: &str = r#"
[[clients]]
id = "wiki"
secret = "wiki-client-secret"
redirect_uris = ["http://127.0.0.1:9/wiki/callback"]
post_logout_redirect_uris = ["http://127.0.0.1:9/wiki/signed-out"]

[[clients]]
id = "spa"
redirect_uris = ["http://127.0.0.1:9/spa/callback"]
"#;

/// The `wiki` client's secret.
pub const WIKI_SECRET: &str = "wiki-client-secret";

/// Like [`spawn_login_app`], with the `wiki` and `spa` clients registered.
pub async fn spawn_provider_app() -> TestApp {
    spawn_provider_app_with(&[]).await
}

/// Like [`spawn_provider_app`], with extra configuration that its siblings inherit.
pub async fn spawn_provider_app_with(extra: &[(&str, &str)]) -> TestApp {
    let mock = MockUpstream::start(MockOptions {
        client_id: UPSTREAM_CLIENT_ID.into(),
        client_secret: UPSTREAM_CLIENT_SECRET.into(),
        fault: Fault::None,
    })
    .unwrap();
    let keys_dir = tempfile::tempdir().unwrap();
    keygen_at(keys_dir.path(), KeyAlg::Rs256, 0);
    // The keys dir holds only *.pem as keys, so the client file can live beside them.
    let clients = keys_dir.path().join("clients.toml");
    std::fs::write(&clients, CLIENTS_TOML).unwrap();
    let upstream = mock.issuer().to_string();
    launch(
        Arc::new(keys_dir),
        None,
        Some(upstream),
        None,
        Some(Arc::new(mock)),
        [("MONBAN_CONFIG".to_string(), clients.display().to_string())]
            .into_iter()
            .chain(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())))
            .collect(),
    )
    .await
}

/// Starts monban whose upstream is at `upstream_issuer` (maybe nothing listens there).
pub async fn spawn_with_upstream(
    upstream_issuer: &str,
    mock: Option<Arc<MockUpstream>>,
    extra: &[(&str, &str)],
) -> TestApp {
    let keys_dir = tempfile::tempdir().unwrap();
    keygen_at(keys_dir.path(), KeyAlg::Rs256, 0);
    let extra = extra
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    launch(
        Arc::new(keys_dir),
        None,
        Some(upstream_issuer.to_string()),
        None,
        mock,
        extra,
    )
    .await
}

/// Writes a key into `dir` as if made `age_secs` seconds ago (older keys sort first).
pub fn keygen_at(dir: &Path, alg: KeyAlg, age_secs: u64) -> String {
    let made = SystemTime::now() - Duration::from_secs(age_secs);
    let path = monban::keys::keygen(dir, alg, made).unwrap();
    path.file_stem().unwrap().to_str().unwrap().to_string()
}

async fn launch(
    keys_dir: Arc<TempDir>,
    issuer: Option<String>,
    upstream_issuer: Option<String>,
    client: Option<reqwest::Client>,
    mock: Option<Arc<MockUpstream>>,
    extra_env: Vec<(String, String)>,
) -> TestApp {
    capture_logs();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let issuer = issuer.unwrap_or_else(|| address.clone());
    let config = config_for(
        &issuer,
        keys_dir.path(),
        None,
        upstream_issuer.as_deref(),
        &extra_env,
    );
    let keys = KeyStore::load(&config).unwrap();
    let app = Application::build(&config, &keys, listener).unwrap();
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    let client = client.unwrap_or_else(|| {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .build()
            .unwrap()
    });
    TestApp {
        address,
        issuer,
        client,
        keys_dir,
        mock,
        upstream_issuer,
        extra_env,
        handle,
    }
}

fn config_for(
    issuer: &str,
    keys_dir: &Path,
    signing_kid: Option<&str>,
    upstream_issuer: Option<&str>,
    extra: &[(String, String)],
) -> Config {
    let mut env: HashMap<String, String> = [
        ("MONBAN_ISSUER", issuer),
        ("MONBAN_KEYS_DIR", keys_dir.to_str().unwrap()),
        ("MONBAN_JWKS_MAX_AGE_SECS", "600"),
        ("MONBAN_ORG_NAME", "Example Lab"),
        ("MONBAN_UPSTREAM__CLIENT_ID", UPSTREAM_CLIENT_ID),
        ("MONBAN_UPSTREAM__CLIENT_SECRET", UPSTREAM_CLIENT_SECRET),
        ("MONBAN_ALLOWED_DOMAINS", "lab.example.org"),
        ("MONBAN_ALLOWED_EMAILS", "alan.turing@gmail.com"),
        ("MONBAN_ROLES__ADMIN", "ada@lab.example.org"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    if let Some(kid) = signing_kid {
        env.insert("MONBAN_SIGNING_KID".into(), kid.into());
    }
    if let Some(upstream) = upstream_issuer {
        env.insert("MONBAN_UPSTREAM__ISSUER".into(), upstream.into());
    }
    env.extend(extra.iter().cloned());
    Config::load(&env).unwrap()
}

impl TestApp {
    /// GET a path of this instance.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.get_url(&format!("{}{path}", self.address)).await
    }

    /// GET an absolute URL with this app's browser.
    pub async fn get_url(&self, url: &str) -> reqwest::Response {
        self.client.get(url).send().await.unwrap()
    }

    /// The JWK Set, as a sibling service fetches it.
    pub async fn jwks(&self) -> jsonwebtoken::jwk::JwkSet {
        self.get("/.well-known/jwks.json")
            .await
            .json()
            .await
            .unwrap()
    }

    /// The configuration this instance runs with.
    pub fn config(&self) -> Config {
        config_for(
            &self.issuer,
            self.keys_dir.path(),
            None,
            self.upstream_issuer.as_deref(),
            &self.extra_env,
        )
    }

    /// A token minter over the same keys dir the server loaded (monban's own minting core).
    pub fn tokens(&self) -> Tokens {
        Tokens::new(KeyStore::load(&self.config()).unwrap(), self.issuer.clone())
    }

    /// A token minter over the same keys, signing with `kid` (as an earlier deployment did).
    pub fn tokens_signed_by(&self, kid: &str) -> Tokens {
        let config = config_for(&self.issuer, self.keys_dir.path(), Some(kid), None, &[]);
        Tokens::new(KeyStore::load(&config).unwrap(), self.issuer.clone())
    }

    /// Another instance with the same keys, configuration, issuer and upstream, answering on its
    /// own port, used by the same browser: what Cloud Run does when it adds an instance.
    pub async fn spawn_sibling(&self) -> TestApp {
        self.spawn_sibling_with(&[]).await
    }

    /// Like [`TestApp::spawn_sibling`], with extra configuration (e.g. a changed allow-list).
    pub async fn spawn_sibling_with(&self, extra: &[(&str, &str)]) -> TestApp {
        let mut env = self.extra_env.clone();
        env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        launch(
            self.keys_dir.clone(),
            Some(self.issuer.clone()),
            self.upstream_issuer.clone(),
            Some(self.client.clone()),
            self.mock.clone(),
            env,
        )
        .await
    }

    /// Follows redirects through monban (any URL on the issuer's origin is sent to this
    /// instance) and the mock upstream (choosing `user` on its page) until the browser is sent
    /// to a registered client; returns that URL.
    pub async fn follow_to_client(&self, start: &str, user: &str) -> Url {
        let mock = self
            .mock
            .as_ref()
            .map(|m| m.issuer().to_string())
            .unwrap_or_default();
        let mut url = Url::parse(start).unwrap();
        for _ in 0..10 {
            let origin = url.origin().ascii_serialization();
            if origin == CLIENT_ORIGIN {
                return url;
            }
            if origin == mock && url.path() == "/authorize" {
                url = self.choose_user(&url, user).await;
                continue;
            }
            let target = if origin == self.issuer {
                self.here(&url)
            } else {
                url.to_string()
            };
            let response = self.get_url(&target).await;
            assert_eq!(
                response.status(),
                303,
                "{target}: {:?}",
                response.text().await
            );
            url = location(&response);
        }
        panic!("too many redirects");
    }

    /// Stops this instance (Cloud Run scaling it away).
    pub async fn stop(&self) {
        self.handle.stop(true).await;
    }

    /// `GET /login` and the upstream authorization URL it redirects to.
    pub async fn begin_login(&self, query: &str) -> Url {
        let response = self.get(&format!("/login{query}")).await;
        assert_eq!(response.status(), 303, "{:?}", response.text().await);
        location(&response)
    }

    /// At the mock upstream, picks `user`; returns the callback URL it redirects to.
    pub async fn choose_user(&self, authorize: &Url, user: &str) -> Url {
        let mut url = authorize.clone();
        url.set_path("/authorize/as");
        url.set_query(Some(&format!("user={user}&{}", authorize.query().unwrap())));
        let response = self.get_url(url.as_str()).await;
        assert_eq!(response.status(), 303, "{:?}", response.text().await);
        location(&response)
    }

    /// The callback URL pointed at this instance (the issuer may name a sibling).
    pub fn here(&self, url: &Url) -> String {
        let mut here = Url::parse(&self.address).unwrap();
        here.set_path(url.path());
        here.set_query(url.query());
        here.to_string()
    }

    /// A whole sign-in as `user`; returns the callback's response.
    pub async fn login_as(&self, user: &str) -> reqwest::Response {
        let authorize = self.begin_login("").await;
        let callback = self.choose_user(&authorize, user).await;
        self.get_url(&self.here(&callback)).await
    }
}

/// Spawns `program` and reads its stdout until a line contains `ready`.
pub async fn spawn_until(
    mut command: tokio::process::Command,
    ready: &str,
) -> tokio::process::Child {
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    while let Some(line) = lines.next_line().await.unwrap() {
        if line.contains(ready) {
            // Keep draining so the child never blocks on a full pipe.
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
            return child;
        }
    }
    panic!("{command:?} ended before printing {ready:?}");
}

/// `monban serve` as the image runs it: a clean environment holding only `PORT`,
/// `MONBAN_ISSUER` (loopback, on a free port) and `env`, in an empty working directory. Returns the
/// process once it listens, and its issuer.
pub async fn serve_process(env: &[(&str, &str)]) -> (tokio::process::Child, String) {
    let port = free_port().to_string();
    let issuer = format!("http://127.0.0.1:{port}");
    let cwd = tempfile::tempdir().unwrap();
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_monban"));
    command
        .arg("serve")
        .env_clear()
        .envs([("PORT", port.as_str()), ("MONBAN_ISSUER", issuer.as_str())])
        .envs(env.iter().copied())
        .current_dir(cwd.path());
    // The configuration is read at start-up; the empty folder may go once the server listens.
    (spawn_until(command, "monban listening").await, issuer)
}

/// Sends SIGTERM to `child`, as Cloud Run does when it scales an instance away.
pub fn sigterm(child: &tokio::process::Child) {
    let pid = child.id().expect("the process runs").to_string();
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(sent.success());
}

/// A fresh browser (cookie jar, no redirects followed) that starts a sign-in at `issuer` and
/// picks `user` at the mock upstream; returns it with the callback URL it was sent to.
pub async fn browser_at_callback(issuer: &str, user: &str) -> (reqwest::Client, Url) {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    let to_google = location(&browser.get(format!("{issuer}/login")).send().await.unwrap());
    let mut choose = to_google.clone();
    choose.set_path("/authorize/as");
    choose.set_query(Some(&format!("user={user}&{}", to_google.query().unwrap())));
    let callback = location(&browser.get(choose).send().await.unwrap());
    (browser, callback)
}

/// Like [`spawn_login_app`], with extra configuration.
pub async fn spawn_login_app_with(fault: Fault, extra: &[(&str, &str)]) -> TestApp {
    let mock = MockUpstream::start(MockOptions {
        client_id: UPSTREAM_CLIENT_ID.into(),
        client_secret: UPSTREAM_CLIENT_SECRET.into(),
        fault,
    })
    .unwrap();
    let issuer = mock.issuer().to_string();
    spawn_with_upstream(&issuer, Some(Arc::new(mock)), extra).await
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The `Location` of a redirect, as an absolute URL.
pub fn location(response: &reqwest::Response) -> Url {
    let value = response.headers()["location"].to_str().unwrap();
    response.url().join(value).unwrap()
}

fn log_buffer() -> &'static Mutex<Vec<u8>> {
    static LOGS: OnceLock<Mutex<Vec<u8>>> = OnceLock::new();
    LOGS.get_or_init(|| Mutex::new(Vec::new()))
}

struct CaptureWriter;

impl Write for CaptureWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if std::env::var_os("TEST_LOG").is_some() {
            std::io::stderr().write_all(buf)?;
        }
        log_buffer().lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Sends every log line of every in-process server, at debug level, to a buffer the tests read
/// (and to stderr when `TEST_LOG` is set). The test browser's own cookie jar (`cookie_store`,
/// not part of monban) prints cookies at debug level, so it is left out.
fn capture_logs() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("debug,cookie_store=off"))
            .with_ansi(false)
            .with_writer(|| CaptureWriter)
            .try_init();
    });
}

/// Asserts that no log line so far contains any of `values`.
pub fn assert_not_logged(values: &[&str]) {
    let logs = String::from_utf8_lossy(&log_buffer().lock().unwrap()).into_owned();
    assert!(!logs.is_empty(), "no logs were captured");
    for value in values.iter().filter(|v| v.len() >= 8) {
        assert!(!logs.contains(value), "a secret value was logged: {value}");
    }
}
