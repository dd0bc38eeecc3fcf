//! `TestApp`: a real monban on 127.0.0.1 with a fresh keys dir, started by [`TestApp::builder`]
//! from one base configuration, with the mock Google that `monban dev` uses when a test signs in,
//! and driven by a browser with a cookie jar and a method per endpoint.

mod logs;
mod processes;

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use monban::clock::Clock;
use monban::config::Config;
use monban::dev::mock_upstream::{Fault, MockOptions, MockUpstream};
use monban::http::Application;
use monban::keys::{KeyAlg, KeyStore};
use monban::tokens::Tokens;
use reqwest::Url;
use tempfile::TempDir;

pub use logs::{assert_not_logged, logged};
pub use processes::{
    Output, browser_at_callback, free_port, serve_process, serve_recording, sigterm,
    spawn_recording, spawn_until,
};

/// The mock upstream's client credentials in the tests.
pub const UPSTREAM_CLIENT_ID: &str = "monban-test";
pub const UPSTREAM_CLIENT_SECRET: &str = "monban-test-upstream-secret";

/// Where registered clients "live": nothing listens there; tests read the redirect instead.
pub const CLIENT_ORIGIN: &str = "http://127.0.0.1:9";

/// Seven registered clients: `wiki` (confidential, token exchange), `spa` (public, PKCE), `reports`
/// (a service: client credentials and token exchange), `cli` (public, loopback redirect), `batch`
/// (`private_key_jwt`), `workload` (Google workload identity) and `strict` (confidential, PKCE
/// required); and two APIs.
pub const CLIENTS_TOML: &str = r#"
[[clients]]
id = "wiki"
name = "Lab Wiki"
home_url = "https://wiki.lab.example.org/"
secret = "wiki-client-secret"
redirect_uris = ["http://127.0.0.1:9/wiki/callback"]
post_logout_redirect_uris = ["http://127.0.0.1:9/wiki/signed-out"]
allowed_scopes = ["inventory:read"]
apis = ["https://inventory.lab.example.org/"]
grant_types = ["authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:token-exchange"]

[[clients]]
id = "spa"
redirect_uris = ["http://127.0.0.1:9/spa/callback"]
post_logout_redirect_uris = ["http://127.0.0.1:9/shared/signed-out"]

[[clients]]
id = "reports"
name = "Nightly reports"
secret = "reports-client-secret"
grant_types = ["client_credentials", "urn:ietf:params:oauth:grant-type:token-exchange"]
roles = ["reader"]
allowed_scopes = ["inventory:read"]
apis = ["https://inventory.lab.example.org/"]
redirect_uris = ["http://127.0.0.1:9/reports/callback"]

[[clients]]
id = "cli"
name = "lab-cli"
redirect_uris = ["http://127.0.0.1/callback"]

[[clients]]
id = "batch"
name = "Batch jobs"
grant_types = ["client_credentials"]
roles = ["reader"]
allowed_scopes = ["inventory:read"]
apis = ["https://inventory.lab.example.org/"]
jwks = '{"keys": [{"kty": "EC", "crv": "P-256", "kid": "batch-1", "alg": "ES256", "use": "sig", "x": "IM6B6UGj-UkLVouuVy_l2mHiZ3WyXBEBajwMWBm2ryM", "y": "8K_AdWhmsy0gzBwmnoHim8CKhX2oDgynypxdyLWqmyg"}]}'

[[clients]]
id = "workload"
name = "Inventory sync"
grant_types = ["client_credentials"]
google_service_account = "inventory-sync@mock-project.iam.gserviceaccount.com"
apis = ["https://inventory.lab.example.org/"]

[[clients]]
id = "strict"
secret = "strict-client-secret"
require_pkce = true
redirect_uris = ["http://127.0.0.1:9/strict/callback"]
post_logout_redirect_uris = ["http://127.0.0.1:9/shared/signed-out"]

[[apis]]
id = "https://inventory.lab.example.org/"
scopes = ["inventory:read", "inventory:write"]

[[apis]]
id = "https://payroll.lab.example.org/"
scopes = ["payroll:read"]
"#;

/// The `batch` client's private key (ES256, kid `batch-1`; a throwaway made for these tests).
pub const BATCH_KEY_PEM: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg2Q/ebrhlgDZAB0EH
rOEx43fpYBQEdCwmX+6iyDVfwCChRANCAAQgzoHpQaP5SQtWi65XL+XaYeJndbJc
EQFqPAxYGbavI/CvwHVoZrMtIMwcJp6B4pvAioV9qA4Mp8qcXci1qpso
-----END PRIVATE KEY-----
";

/// The `workload` client's Google service account.
pub const WORKLOAD_ACCOUNT: &str = "inventory-sync@mock-project.iam.gserviceaccount.com";

/// The `wiki` client's secret.
pub const WIKI_SECRET: &str = "wiki-client-secret";

/// The base configuration every test's monban starts from: the allow-list of `monban dev`
/// (lab.example.org, alan.turing@gmail.com, and ada as admin).
const BASE_ENV: &[(&str, &str)] = &[
    ("MONBAN_JWKS_MAX_AGE_SECS", "600"),
    ("MONBAN_ORG_NAME", "Example Lab"),
    ("MONBAN_UPSTREAM__CLIENT_ID", UPSTREAM_CLIENT_ID),
    ("MONBAN_UPSTREAM__CLIENT_SECRET", UPSTREAM_CLIENT_SECRET),
    ("MONBAN_ALLOWED_DOMAINS", "lab.example.org"),
    ("MONBAN_ALLOWED_EMAILS", "alan.turing@gmail.com"),
    ("MONBAN_ROLES__ADMIN", "ada@lab.example.org"),
];

fn owned(pairs: &[(&str, &str)]) -> impl Iterator<Item = (String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string()))
}

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
    setup: Setup,
    handle: actix_web::dev::ServerHandle,
}

/// What a test's monban is started with; siblings start from a copy.
#[derive(Clone)]
struct Setup {
    keys_dir: Arc<TempDir>,
    /// `None`: the instance's own address.
    issuer: Option<String>,
    upstream_issuer: Option<String>,
    mock: Option<Arc<MockUpstream>>,
    /// Added to [`BASE_ENV`], later entries winning.
    env: Vec<(String, String)>,
    /// `None`: a fresh browser.
    browser: Option<reqwest::Client>,
    /// `None`: the system clock.
    clock: Option<Arc<AtomicU64>>,
}

/// How a test's monban differs from the base configuration; [`TestAppBuilder::spawn`] starts it.
pub struct TestAppBuilder {
    keys_dir: Option<TempDir>,
    alg: KeyAlg,
    upstream: Option<(String, Option<Arc<MockUpstream>>)>,
    clients: bool,
    /// TOML appended to [`CLIENTS_TOML`].
    more_clients: String,
    env: Vec<(String, String)>,
    clock: Option<Arc<AtomicU64>>,
}

impl TestApp {
    /// A monban with one fresh RS256 key, no clients and no reachable upstream, until told
    /// otherwise.
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder {
            keys_dir: None,
            alg: KeyAlg::Rs256,
            upstream: None,
            clients: false,
            more_clients: String::new(),
            env: Vec::new(),
            clock: None,
        }
    }

    /// Moves this instance's clock (and its siblings') `secs` forward; see
    /// [`TestAppBuilder::manual_clock`], moved back `secs` (what was issued then has expired by
    /// now in the real world).
    pub fn rewind_clock(&self, secs: u64) {
        let clock = self
            .setup
            .clock
            .as_ref()
            .expect("built with manual_clock()");
        clock.fetch_sub(secs, Ordering::Relaxed);
    }

    /// [`TestAppBuilder::manual_clock`].
    pub fn advance_clock(&self, secs: u64) {
        let clock = self
            .setup
            .clock
            .as_ref()
            .expect("built with manual_clock()");
        clock.fetch_add(secs, Ordering::Relaxed);
    }
}

impl TestAppBuilder {
    /// Its one fresh key is of `alg`.
    pub fn key(mut self, alg: KeyAlg) -> Self {
        self.alg = alg;
        self
    }

    /// It loads the keys already in `dir` instead of a fresh one.
    pub fn keys_dir(mut self, dir: TempDir) -> Self {
        self.keys_dir = Some(dir);
        self
    }

    /// It signs in through a mock Google of its own, misbehaving as `fault` says.
    /// Built after [`TestAppBuilder::manual_clock`], the mock reads that clock too.
    pub fn mock_google(self, fault: Fault) -> Self {
        let clock = self.clock.clone().map_or_else(Clock::system, Clock::manual);
        let mock = MockUpstream::start(MockOptions {
            client_id: UPSTREAM_CLIENT_ID.into(),
            client_secret: UPSTREAM_CLIENT_SECRET.into(),
            fault,
            clock,
        })
        .unwrap();
        let issuer = mock.issuer().to_string();
        self.upstream_at(&issuer, Some(Arc::new(mock)))
    }

    /// Its upstream is at `issuer` (maybe nothing listens there), `mock` if one does.
    pub fn upstream_at(mut self, issuer: &str, mock: Option<Arc<MockUpstream>>) -> Self {
        self.upstream = Some((issuer.to_string(), mock));
        self
    }

    /// monban as the provider of sibling services: the clients of [`CLIENTS_TOML`] registered, signing
    /// in through a well-behaved mock Google.
    pub fn provider(self) -> Self {
        self.mock_google(Fault::None).clients()
    }

    /// The `wiki`, `spa` and `strict` clients are registered ([`CLIENTS_TOML`]).
    pub fn clients(mut self) -> Self {
        self.clients = true;
        self
    }

    /// [`CLIENTS_TOML`] and these tables too (clients whose settings only a running test knows).
    pub fn more_clients(mut self, toml: &str) -> Self {
        self.more_clients.push_str(toml);
        self.clients()
    }

    /// Its handlers read a clock the test moves ([`TestApp::advance_clock`]), starting now.
    pub fn manual_clock(mut self) -> Self {
        self.clock = Some(Arc::new(AtomicU64::new(monban::clock::unix_now())));
        self
    }

    /// Extra configuration, which its siblings inherit.
    pub fn env(mut self, extra: &[(&str, &str)]) -> Self {
        self.env.extend(owned(extra));
        self
    }

    /// Starts it.
    pub async fn spawn(self) -> TestApp {
        let keys_dir = self.keys_dir.unwrap_or_else(|| {
            let dir = tempfile::tempdir().unwrap();
            keygen_at(dir.path(), self.alg, 0);
            dir
        });
        let mut env = Vec::new();
        if self.clients {
            // The keys dir holds only *.pem as keys, so the client file can live beside them.
            let file = keys_dir.path().join("clients.toml");
            std::fs::write(&file, format!("{CLIENTS_TOML}\n{}", self.more_clients)).unwrap();
            env.push(("MONBAN_CONFIG".to_string(), file.display().to_string()));
        }
        env.extend(self.env);
        let (upstream_issuer, mock) = self.upstream.unzip();
        Setup {
            keys_dir: Arc::new(keys_dir),
            issuer: None,
            upstream_issuer,
            mock: mock.flatten(),
            env,
            browser: None,
            clock: self.clock,
        }
        .launch()
        .await
    }
}

impl Setup {
    /// The configuration of an instance whose issuer is `issuer`.
    fn config(&self, issuer: &str, signing_kid: Option<&str>) -> Config {
        Config::load(&self.environment(issuer, signing_kid)).unwrap()
    }

    /// The `MONBAN_*` variables of that configuration.
    fn environment(&self, issuer: &str, signing_kid: Option<&str>) -> HashMap<String, String> {
        let mut env: HashMap<String, String> = owned(BASE_ENV).collect();
        env.insert("MONBAN_ISSUER".into(), issuer.into());
        let keys_dir = self.keys_dir.path().to_str().unwrap();
        env.insert("MONBAN_KEYS_DIR".into(), keys_dir.into());
        if let Some(kid) = signing_kid {
            env.insert("MONBAN_SIGNING_KID".into(), kid.into());
        }
        if let Some(upstream) = &self.upstream_issuer {
            env.insert("MONBAN_UPSTREAM__ISSUER".into(), upstream.clone());
        }
        env.extend(self.env.iter().cloned());
        env
    }

    async fn launch(self) -> TestApp {
        self.launch_on(TcpListener::bind("127.0.0.1:0").unwrap())
            .await
    }

    async fn launch_on(self, listener: TcpListener) -> TestApp {
        logs::capture_logs();
        let address = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let issuer = self.issuer.clone().unwrap_or_else(|| address.clone());
        let config = self.config(&issuer, None);
        let keys = KeyStore::load(&config).unwrap();
        let clock = self.clock.clone().map_or_else(Clock::system, Clock::manual);
        let app = Application::build_with_clock(&config, &keys, listener, clock).unwrap();
        let handle = app.handle();
        tokio::spawn(app.run_until_stopped());
        let client = self.browser.clone().unwrap_or_else(|| {
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
            keys_dir: self.keys_dir.clone(),
            mock: self.mock.clone(),
            setup: self,
            handle,
        }
    }
}

/// Writes a key into `dir` as if made `age_secs` seconds ago (older keys sort first).
pub fn keygen_at(dir: &Path, alg: KeyAlg, age_secs: u64) -> String {
    let made = SystemTime::now() - Duration::from_secs(age_secs);
    let path = monban::keys::keygen(dir, alg, made).unwrap();
    path.file_stem().unwrap().to_str().unwrap().to_string()
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

    /// The discovery document, as a client library reads it.
    pub async fn discovery(&self) -> serde_json::Value {
        self.get("/.well-known/openid-configuration")
            .await
            .json()
            .await
            .unwrap()
    }

    /// The JWK Set, as a sibling service fetches it.
    pub async fn jwks(&self) -> jsonwebtoken::jwk::JwkSet {
        self.get("/.well-known/jwks.json")
            .await
            .json()
            .await
            .unwrap()
    }

    /// The variables this instance's configuration comes from, for the binary's commands.
    pub fn environment(&self) -> HashMap<String, String> {
        self.setup.environment(&self.issuer, None)
    }

    /// The configuration this instance runs with.
    pub fn config(&self) -> Config {
        self.setup.config(&self.issuer, None)
    }

    /// A sealer with this instance's keys and issuer, to make sealed values as it would.
    pub fn sealer(&self) -> monban::session::seal::Sealer {
        let config = self.config();
        monban::http::state::sealer(&config, &KeyStore::load(&config).unwrap())
    }

    /// A token minter over the same keys dir the server loaded (monban's own minting core).
    pub fn tokens(&self) -> Tokens {
        Tokens::new(KeyStore::load(&self.config()).unwrap(), self.issuer.clone())
    }

    /// A token minter over the same keys, signing with `kid` (as an earlier deployment did).
    pub fn tokens_signed_by(&self, kid: &str) -> Tokens {
        let config = self.setup.config(&self.issuer, Some(kid));
        Tokens::new(KeyStore::load(&config).unwrap(), self.issuer.clone())
    }

    /// Another instance with the same keys, configuration, issuer and upstream, answering on its
    /// own port, used by the same browser: what Cloud Run does when it adds an instance.
    pub async fn spawn_sibling(&self) -> TestApp {
        self.spawn_sibling_with(&[]).await
    }

    /// This instance stopped and started again on its own address with extra configuration (e.g.
    /// a changed allow-list): the administrator's redeploy, as a client that knows only the
    /// issuer URL sees it.
    pub async fn redeploy_with(&self, extra: &[(&str, &str)]) -> TestApp {
        self.stop().await;
        let mut setup = self.setup.clone();
        setup.env.extend(owned(extra));
        setup.issuer = Some(self.issuer.clone());
        setup.browser = Some(self.client.clone());
        let listener = TcpListener::bind(self.address.trim_start_matches("http://")).unwrap();
        setup.launch_on(listener).await
    }

    /// Like [`TestApp::spawn_sibling`], with extra configuration (e.g. a changed allow-list).
    pub async fn spawn_sibling_with(&self, extra: &[(&str, &str)]) -> TestApp {
        let mut setup = self.setup.clone();
        setup.env.extend(owned(extra));
        setup.issuer = Some(self.issuer.clone());
        setup.browser = Some(self.client.clone());
        setup.launch().await
    }

    /// Follows redirects through monban (any URL on the issuer's origin is sent to this
    /// instance; "Sign in to <app>" is answered with its Google button) and the mock upstream
    /// (choosing `user` on its page) until the browser is sent to a URL starting with
    /// `destination`; returns that URL.
    pub async fn follow_until(&self, start: &str, user: &str, destination: &str) -> Url {
        let mock = self
            .mock
            .as_ref()
            .map(|m| m.issuer().to_string())
            .unwrap_or_default();
        let mut url = Url::parse(start).unwrap();
        for _ in 0..10 {
            if url.as_str().starts_with(destination) {
                return url;
            }
            let origin = url.origin().ascii_serialization();
            if origin == mock && url.path() == "/authorize" {
                url = self.choose_user(&url, user).await;
                continue;
            }
            let target = if origin == self.issuer {
                self.here(&url)
            } else {
                url.to_string()
            };
            url = self.sign_in_link(self.get_url(&target).await).await;
        }
        panic!("too many redirects");
    }

    /// [`TestApp::follow_until`] a registered client's callback.
    pub async fn follow_to_client(&self, start: &str, user: &str) -> Url {
        self.follow_until(start, user, CLIENT_ORIGIN).await
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

    /// Where `/authorize` sends a person without a session: the Google button of its "Sign in to
    /// <app>" page (a redirect when `skip_sign_in_page` is set).
    pub async fn sign_in_link(&self, response: reqwest::Response) -> Url {
        let base = response.url().clone();
        match response.status().as_u16() {
            200 => base
                .join(&continue_link(&response.text().await.unwrap()))
                .unwrap(),
            303 => location(&response),
            status => panic!("{base}: {status} {:?}", response.text().await),
        }
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

    /// An `/authorize` URL for `client` with PKCE (S256), `state=st` and `nonce=nn`, plus
    /// `extra`; returns it with the verifier.
    pub fn authorize_url(&self, client: &str, extra: &str) -> (String, String) {
        let (challenge, verifier) = openidconnect::PkceCodeChallenge::new_random_sha256();
        let url = format!(
            "{}/authorize?response_type=code&client_id={client}&redirect_uri={CLIENT_ORIGIN}/{client}/callback\
             &scope=openid+email&state=st&nonce=nn&code_challenge={}&code_challenge_method=S256{extra}",
            self.issuer,
            challenge.as_str()
        );
        (url, verifier.secret().clone())
    }

    /// Signs `user` in to `client`; returns the code and its PKCE verifier.
    pub async fn code_for(&self, client: &str, user: &str) -> (String, String) {
        let (url, verifier) = self.authorize_url(client, "");
        let back = self.follow_to_client(&url, user).await;
        (param(&back, "code").expect("a code"), verifier)
    }

    /// Signs `user` in to `wiki` and redeems the code: the token response.
    pub async fn tokens_for(&self, user: &str) -> serde_json::Value {
        let (code, verifier) = self.code_for("wiki", user).await;
        self.redeem(&code, &verifier).await.json().await.unwrap()
    }

    /// The `reports` service's own access token (client credentials).
    pub async fn service_token(&self) -> String {
        let body: serde_json::Value = self
            .token(&[
                ("grant_type", "client_credentials"),
                ("client_id", "reports"),
                ("client_secret", "reports-client-secret"),
            ])
            .await
            .json()
            .await
            .unwrap();
        body["access_token"].as_str().unwrap().to_string()
    }

    /// `POST /token` with `form`.
    pub async fn token(&self, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(format!("{}/token", self.address))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// `POST /token` refreshing `token` as `client` (`wiki` with its secret, or a public one).
    pub async fn refresh(&self, client: &str, token: &str) -> reqwest::Response {
        let mut form = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", token),
            ("client_id", client),
        ];
        if client == "wiki" {
            form.push(("client_secret", WIKI_SECRET));
        }
        self.token(&form).await
    }

    /// `POST /token` redeeming a code of the `wiki` client.
    pub async fn redeem(&self, code: &str, verifier: &str) -> reqwest::Response {
        self.token(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &format!("{CLIENT_ORIGIN}/wiki/callback")),
            ("code_verifier", verifier),
            ("client_id", "wiki"),
            ("client_secret", WIKI_SECRET),
        ])
        .await
    }
}

/// The hidden fields of the forms on `page` (a sign-out button's, a confirmation page's).
pub fn hidden_fields(page: &str) -> Vec<(String, String)> {
    page.split(r#"<input type="hidden" name=""#)
        .skip(1)
        .filter_map(|rest| {
            let (name, rest) = rest.split_once('"')?;
            let value = rest.split_once(r#"value=""#)?.1.split_once('"')?.0;
            Some((
                name.to_string(),
                html_escape::decode_html_entities(value).into_owned(),
            ))
        })
        .collect()
}

impl TestApp {
    /// Presses the sign-out button of `page` (a confirmation page, or monban's home page): POSTs
    /// its form, as the browser would, with `extra` fields too.
    pub async fn press_sign_out(&self, page: &str, extra: &[(&str, &str)]) -> reqwest::Response {
        let mut form = hidden_fields(page);
        form.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        self.client
            .post(format!("{}/logout", self.address))
            .form(&form)
            .send()
            .await
            .unwrap()
    }

    /// Signs out as a person does: the button on monban's home page.
    pub async fn sign_out(&self) -> reqwest::Response {
        self.sign_out_with(&[]).await
    }

    /// [`TestApp::sign_out`] with `extra` fields in the form (as a client's own form adds).
    pub async fn sign_out_with(&self, extra: &[(&str, &str)]) -> reqwest::Response {
        let home = self.get("/").await.text().await.unwrap();
        self.press_sign_out(&home, extra).await
    }
}

/// A JWT's claims, read without verifying (as a client reads a token it has just verified).
pub fn claims_of(jwt: &str) -> serde_json::Value {
    use base64::Engine;
    let payload = jwt.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// Where the Google button of a "Sign in to <app>" page goes.
pub fn continue_link(page: &str) -> String {
    let (_, rest) = page
        .split_once(r#"id="continue" href=""#)
        .unwrap_or_else(|| panic!("no Google button on {page}"));
    let href = &rest[..rest.find('"').unwrap()];
    html_escape::decode_html_entities(href).into_owned()
}

/// The `Location` of a redirect, as an absolute URL.
pub fn location(response: &reqwest::Response) -> Url {
    let value = response.headers()["location"].to_str().unwrap();
    response.url().join(value).unwrap()
}

/// The value of query parameter `name` in `url`.
pub fn param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}
