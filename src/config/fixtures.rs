//! What the unit tests of several modules start from: a loaded configuration and two clients.

use std::collections::HashMap;

use url::Url;

use super::{Client, Config, Secret};

/// A configuration of `https://login.example.org` with an upstream client, plus `pairs`.
pub(crate) fn load(pairs: &[(&str, &str)]) -> Config {
    Config::load(&environment(pairs)).unwrap()
}

/// Why that configuration does not load.
pub(crate) fn load_err(pairs: &[(&str, &str)]) -> super::ConfigError {
    Config::load(&environment(pairs)).unwrap_err()
}

fn environment(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    [
        ("MONBAN_ISSUER", "https://login.example.org"),
        ("MONBAN_UPSTREAM__CLIENT_ID", "id"),
        ("MONBAN_UPSTREAM__CLIENT_SECRET", "secret"),
    ]
    .iter()
    .chain(pairs)
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// A client with every option at its default.
pub(crate) fn client(id: &str, secret: Option<&str>, redirect_uri: &str) -> Client {
    Client {
        secret: secret.map(Secret::new),
        redirect_uris: vec![Url::parse(redirect_uri).unwrap()],
        ..Client::new(id)
    }
}

/// `wiki` (confidential) and `spa` (public).
pub(crate) fn clients() -> Vec<Client> {
    vec![
        client("wiki", Some("wiki-secret"), "https://wiki.example.org/cb"),
        client("spa", None, "https://spa.example.org/cb"),
    ]
}
