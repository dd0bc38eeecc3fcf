//! `monban dev` and the mock Google it signs in through (also the tests' upstream): kept out of
//! the server's own modules, which never depend on anything here.

use std::collections::HashMap;
use std::path::Path;

use crate::config::{Client, Config, Secret};
use crate::protocol::paths::DISCOVERY_PATH;

pub mod mock_metadata;
pub mod mock_upstream;

use mock_upstream::{Fault, MockOptions, MockUpstream};

/// The mock upstream's client credentials in `monban dev`.
pub const DEV_CLIENT_ID: &str = "monban-dev";
/// And its secret.
pub const DEV_CLIENT_SECRET: &str = "monban-dev-secret";

/// The client `monban dev` registers: id, secret, redirect URI, post-logout URI.
const DEMO_CLIENT: (&str, &str, &str, &str) = (
    "demo",
    "demo-secret",
    "http://localhost:8081/callback",
    "http://localhost:8081/",
);

/// Starts the mock Google with `monban dev`'s client credentials, on a free loopback port.
pub fn start_mock() -> anyhow::Result<MockUpstream> {
    MockUpstream::start(MockOptions {
        client_id: DEV_CLIENT_ID.into(),
        client_secret: DEV_CLIENT_SECRET.into(),
        fault: Fault::None,
        clock: crate::clock::Clock::system(),
    })
}

/// Sets `env` up for `monban dev`: a loopback issuer on `$PORT` (8080), the throwaway key in
/// `keys_dir`, the mock at `mock_issuer`, and the lab's allow-list unless the caller set one.
/// Returns the issuer.
pub fn environment(
    env: &mut HashMap<String, String>,
    keys_dir: &Path,
    mock_issuer: &str,
) -> String {
    let port = env.get("PORT").cloned().unwrap_or_else(|| "8080".into());
    let issuer = format!("http://localhost:{port}");
    for (key, value) in [
        ("PORT", port),
        ("MONBAN_ISSUER", issuer.clone()),
        ("MONBAN_KEYS_DIR", keys_dir.display().to_string()),
        ("MONBAN_UPSTREAM__ISSUER", mock_issuer.to_string()),
        ("MONBAN_UPSTREAM__CLIENT_ID", DEV_CLIENT_ID.into()),
        ("MONBAN_UPSTREAM__CLIENT_SECRET", DEV_CLIENT_SECRET.into()),
    ] {
        env.insert(key.into(), value);
    }
    env.remove("MONBAN_SIGNING_KEYS");
    env.remove("MONBAN_SIGNING_KID");
    for (key, default) in [
        ("MONBAN_ORG_NAME", "Example Lab (monban dev)"),
        ("MONBAN_LOG_FORMAT", "text"),
        ("MONBAN_ALLOWED_DOMAINS", "lab.example.org"),
        ("MONBAN_ALLOWED_EMAILS", "alan.turing@gmail.com"),
        ("MONBAN_ROLES__ADMIN", "ada@lab.example.org"),
    ] {
        env.entry(key.into()).or_insert_with(|| default.into());
    }
    issuer
}

/// Registers the demo client unless the configuration has one of that id.
pub fn register_demo_client(config: &mut Config) {
    if config.clients.iter().any(|c| c.id == DEMO_CLIENT.0) {
        return;
    }
    let url = |u: &str| url::Url::parse(u).expect("a valid constant URL");
    config.clients.push(Client {
        name: "Demo App".into(),
        home_url: Some(url(DEMO_CLIENT.3)),
        secret: Some(Secret::new(DEMO_CLIENT.1)),
        redirect_uris: vec![url(DEMO_CLIENT.2)],
        post_logout_redirect_uris: vec![url(DEMO_CLIENT.3)],
        ..Client::new(DEMO_CLIENT.0)
    });
}

/// What `monban dev` prints before it serves: first the URL to open, then the details.
pub fn banner(issuer: &str, keys_dir: &Path, mock_issuer: &str) -> String {
    format!(
        "monban dev: open {issuer}/ and sign in (lab users get in; the outsider does not)\n\
         monban dev: a throwaway key in {}\n\
         monban dev: mock Google at {mock_issuer}\n\
         monban dev: discovery {issuer}{DISCOVERY_PATH}\n\
         monban dev: demo client id {:?}, secret {:?}, redirect URI {}",
        keys_dir.display(),
        DEMO_CLIENT.0,
        DEMO_CLIENT.1,
        DEMO_CLIENT.2
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_first_thing_dev_says_is_the_url_to_open() {
        let banner = super::banner(
            "http://localhost:8080",
            std::path::Path::new("/tmp/k"),
            "http://127.0.0.1:9",
        );
        let first = banner.lines().next().unwrap();
        assert!(
            first.starts_with("monban dev: open http://localhost:8080/ "),
            "{first}"
        );
    }
}
