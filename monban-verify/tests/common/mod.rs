//! A real monban on 127.0.0.1 for the verifier's tests, and tokens minted by its own core.

#![allow(dead_code)] // each test binary uses part of this module

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::Path;

use monban::clock::unix_now;
use monban::config::Config;
use monban::http::Application;
use monban::keys::{KeyAlg, KeyStore};
use monban::tokens::Tokens;
use monban_verify::contract::ACCESS_TOKEN_TYP;
use serde_json::{Value, json};

/// A running monban.
pub struct Monban {
    /// `http://127.0.0.1:PORT`, also the issuer.
    pub issuer: String,
    /// The port, to restart on.
    pub port: u16,
    handle: actix_web::dev::ServerHandle,
    config: Config,
}

fn config(issuer: &str, keys_dir: &Path) -> Config {
    let env: HashMap<String, String> = [
        ("MONBAN_ISSUER", issuer),
        ("MONBAN_KEYS_DIR", keys_dir.to_str().unwrap()),
        ("MONBAN_UPSTREAM__CLIENT_ID", "id"),
        ("MONBAN_UPSTREAM__CLIENT_SECRET", "secret"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    Config::load(&env).unwrap()
}

/// Writes a key into `dir`, made `age_secs` ago (older keys sort first).
pub fn keygen(dir: &Path, alg: KeyAlg, age_secs: u64) {
    let made = std::time::SystemTime::now() - std::time::Duration::from_secs(age_secs);
    monban::keys::keygen(dir, alg, made).unwrap();
}

/// Starts monban on `port` (0: any free one) with the keys in `keys_dir`.
pub fn start(keys_dir: &Path, port: u16) -> Monban {
    let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let issuer = format!("http://127.0.0.1:{port}");
    let config = config(&issuer, keys_dir);
    let keys = KeyStore::load(&config).unwrap();
    let app = Application::build(&config, &keys, listener).unwrap();
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    Monban {
        issuer,
        port,
        handle,
        config,
    }
}

impl Monban {
    /// Stops the server and waits until it has.
    pub async fn stop(&self) {
        self.handle.stop(true).await;
    }

    /// monban's own token core over the same keys.
    pub fn tokens(&self) -> Tokens {
        Tokens::new(KeyStore::load(&self.config).unwrap(), self.issuer.clone())
    }

    /// Standard access-token claims for `aud`, valid for a minute, with `overrides` applied.
    pub fn claims(&self, aud: &str, overrides: Value) -> Value {
        let now = unix_now();
        let mut claims = json!({
            "iss": self.issuer, "sub": "mock-ada", "aud": aud, "exp": now + 60, "iat": now,
            "jti": "j", "client_id": aud, "scope": "openid email", "email": "ada@lab.example.org",
            "email_verified": true, "name": "Ada Lovelace", "roles": ["admin"],
        });
        for (k, v) in overrides.as_object().unwrap() {
            claims[k] = v.clone();
        }
        claims
    }

    /// An access token for `aud`.
    pub fn access_token(&self, aud: &str, overrides: Value) -> String {
        self.tokens()
            .mint(ACCESS_TOKEN_TYP, &self.claims(aud, overrides))
            .unwrap()
    }
}
