//! `spawn_app` and `TestApp`: a real monban on 127.0.0.1 with a fresh keys dir.

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::Path;
use std::time::{Duration, SystemTime};

use monban::config::Config;
use monban::keys::{KeyAlg, KeyStore};
use monban::startup::Application;
use monban::tokens::Tokens;
use tempfile::TempDir;

/// A running monban and what a test needs to talk to it.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`, which is also the issuer.
    pub address: String,
    /// A client with redirects off, as a sibling service would use.
    pub client: reqwest::Client,
    /// The keys dir the server loaded.
    pub keys_dir: TempDir,
}

/// Starts monban with one freshly generated key of `alg`.
pub async fn spawn_app(alg: KeyAlg) -> TestApp {
    let keys_dir = tempfile::tempdir().unwrap();
    keygen_at(keys_dir.path(), alg, 0);
    spawn_app_with_keys(keys_dir).await
}

/// Writes a key into `dir` as if made `age_secs` seconds ago (older keys sort first).
pub fn keygen_at(dir: &Path, alg: KeyAlg, age_secs: u64) -> String {
    let made = SystemTime::now() - Duration::from_secs(age_secs);
    let path = monban::keys::keygen(dir, alg, made).unwrap();
    path.file_stem().unwrap().to_str().unwrap().to_string()
}

/// Starts monban on the keys already in `keys_dir`.
pub async fn spawn_app_with_keys(keys_dir: TempDir) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        monban::telemetry::init(false, None);
    }
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let config = config_for(&address, keys_dir.path(), None);
    let keys = KeyStore::load(&config).unwrap();
    let app = Application::build(&config, &keys, listener).unwrap();
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    TestApp {
        address,
        client,
        keys_dir,
    }
}

fn config_for(issuer: &str, keys_dir: &Path, signing_kid: Option<&str>) -> Config {
    let mut env: HashMap<String, String> = [
        ("MONBAN_ISSUER", issuer.to_string()),
        ("MONBAN_KEYS_DIR", keys_dir.display().to_string()),
        ("MONBAN_JWKS_MAX_AGE_SECS", "600".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    if let Some(kid) = signing_kid {
        env.insert("MONBAN_SIGNING_KID".into(), kid.into());
    }
    Config::load(&env).unwrap()
}

impl TestApp {
    /// GET a path.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
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

    /// A token minter over the same keys dir the server loaded (monban's own minting core).
    pub fn tokens(&self) -> Tokens {
        let config = config_for(&self.address, self.keys_dir.path(), None);
        Tokens::new(KeyStore::load(&config).unwrap(), self.address.clone())
    }

    /// A token minter over the same keys, signing with `kid` (as an earlier deployment did).
    pub fn tokens_signed_by(&self, kid: &str) -> Tokens {
        let config = config_for(&self.address, self.keys_dir.path(), Some(kid));
        Tokens::new(KeyStore::load(&config).unwrap(), self.address.clone())
    }
}
