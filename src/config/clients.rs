//! The `[[clients]]` tables, validated: ids, redirect URIs, scopes, and what each may ask `/token`
//! for and how it authenticates (RFC 7591 names: `grant_types`, `token_endpoint_auth_method`).

use std::sync::Arc;
use std::time::Duration;

use url::Url;

use super::raw::RawClient;
use super::summary::Summary;
use super::urls::https_url;
use super::{
    Api, AssertionKeys, AuthMethod, Client, ConfigError, GrantType, STANDARD_SCOPES,
    normalize_email,
};
use crate::jwks::KeySet;
use crate::protocol::authorize::oob::OOB_REDIRECT_URI;

/// Validates every client: a problem names `clients[ID].field`.
pub(super) fn validate(raw: Vec<RawClient>, apis: &[Api]) -> Result<Vec<Client>, ConfigError> {
    let mut clients: Vec<Client> = Vec::with_capacity(raw.len());
    for c in raw {
        let key = format!("clients[{}]", c.id);
        check_id(&c.id, &key, &clients, apis)?;
        clients.push(client(c, &key, apis)?);
    }
    Ok(clients)
}

/// One `[[clients]]` table, validated; `key` is `clients[ID]`.
fn client(c: RawClient, key: &str, apis: &[Api]) -> Result<Client, ConfigError> {
    let secret = c.secret.filter(|s| !s.expose().is_empty());
    let keys = assertion_keys(key, c.jwks, c.jwks_uri.as_deref(), c.google_service_account)?;
    if secret.is_some() && keys.is_some() {
        return Err(ConfigError::new(
            format!("{key}.secret"),
            "a client with keys (jwks, jwks_uri, google_service_account) authenticates with private_key_jwt: remove its secret",
        ));
    }
    let confidential = secret.is_some() || keys.is_some();
    let grant_types = grant_types(key, c.grant_types, confidential)?;
    // A service that only acts as itself never sends anyone back: it needs no redirect URI.
    if c.redirect_uris.is_empty() && grant_types.contains(&GrantType::AuthorizationCode) {
        return Err(ConfigError::new(
            format!("{key}.redirect_uris"),
            "at least one redirect URI is required for the authorization_code grant",
        ));
    }
    // The out-of-band URI shows the code on a page: only a code bound to a PKCE verifier that the
    // terminal kept is safe to show, so only public clients (which must use PKCE) may register it.
    if confidential && c.redirect_uris.iter().any(|u| u == OOB_REDIRECT_URI) {
        return Err(ConfigError::new(
            format!("{key}.redirect_uris"),
            format!(
                "{OOB_REDIRECT_URI} is for public clients (command-line tools, with PKCE) only: remove it, or the client's secret and keys"
            ),
        ));
    }
    let https = |field: &str, value: Option<&str>| {
        value
            .map(|u| https_url(&format!("{key}.{field}"), u))
            .transpose()
    };
    Ok(Client {
        redirect_uris: redirect_uris(&format!("{key}.redirect_uris"), &c.redirect_uris)?,
        post_logout_redirect_uris: redirect_uris(
            &format!("{key}.post_logout_redirect_uris"),
            &c.post_logout_redirect_uris,
        )?,
        grant_types,
        auth_method: auth_method(
            key,
            c.token_endpoint_auth_method.as_deref(),
            secret.is_some(),
            keys.is_some(),
        )?,
        assertion_keys: keys,
        backchannel_logout_uri: https(
            "backchannel_logout_uri",
            c.backchannel_logout_uri.as_deref(),
        )?,
        roles: c.roles,
        apis: known_apis(key, c.apis, apis)?,
        secret,
        require_pkce: c.require_pkce,
        allowed_scopes: scopes(&format!("{key}.allowed_scopes"), c.allowed_scopes)?,
        refresh_token_absolute_ttl: match c.refresh_token_absolute_ttl_secs {
            Some(0) => {
                return Err(ConfigError::new(
                    format!("{key}.refresh_token_absolute_ttl_secs"),
                    "must be at least 1 second",
                ));
            }
            other => other.map(Duration::from_secs),
        },
        name: match c.name.as_deref().map(str::trim) {
            None | Some("") => c.id.clone(),
            Some(name) => name.to_string(),
        },
        home_url: https("home_url", c.home_url.as_deref())?,
        id: c.id,
    })
}

/// Redirect URIs (compared exactly): absolute, without a fragment. `key` names the field.
fn redirect_uris(key: &str, list: &[String]) -> Result<Vec<Url>, ConfigError> {
    list.iter()
        .map(|u| {
            let url = Url::parse(u).map_err(|e| {
                ConfigError::new(key, format!("{u:?} is not an absolute URL ({e})"))
            })?;
            if url.fragment().is_some() {
                return Err(ConfigError::new(
                    key,
                    format!("{u:?} must not have a #fragment"),
                ));
            }
            Ok(url)
        })
        .collect()
}

/// A client id: not empty, not taken by another client, and not an API's: an access token's
/// `aud` is a client id or an API id, and one name for both would make the API's tokens that
/// client's (to exchange, to present as its own).
fn check_id(id: &str, key: &str, clients: &[Client], apis: &[Api]) -> Result<(), ConfigError> {
    if id.trim().is_empty() {
        return Err(ConfigError::new("clients.id", "must not be empty"));
    }
    if clients.iter().any(|o| o.id == id) {
        return Err(ConfigError::new(key, "client id registered twice"));
    }
    if apis.iter().any(|a| a.id == id) {
        return Err(ConfigError::new(
            format!("{key}.id"),
            "is also an [[apis]] id: give the client another id",
        ));
    }
    Ok(())
}

/// A client's `apis`: each one of the `[[apis]]` ids.
fn known_apis(key: &str, listed: Vec<String>, apis: &[Api]) -> Result<Vec<String>, ConfigError> {
    for id in &listed {
        if !apis.iter().any(|a| &a.id == id) {
            return Err(ConfigError::new(
                format!("{key}.apis"),
                format!("{id:?} is not an [[apis]] id"),
            ));
        }
    }
    Ok(listed)
}

/// `grant_types` as written, or the default; `client_credentials` and token exchange only for a
/// client that authenticates (a secret or keys).
fn grant_types(
    key: &str,
    written: Option<Vec<String>>,
    confidential: bool,
) -> Result<Vec<GrantType>, ConfigError> {
    let Some(written) = written else {
        return Ok(GrantType::DEFAULT.to_vec());
    };
    let known: Vec<&str> = GrantType::ALL.iter().map(|(_, n)| *n).collect();
    let mut grants = Vec::new();
    for name in &written {
        let grant = GrantType::ALL
            .iter()
            .find(|(_, n)| n == name)
            .map(|(g, _)| *g)
            .ok_or_else(|| {
                ConfigError::new(
                    format!("{key}.grant_types"),
                    format!(
                        "{name:?} is not a grant monban serves (known: {})",
                        known.join(", ")
                    ),
                )
            })?;
        if matches!(
            grant,
            GrantType::ClientCredentials | GrantType::TokenExchange
        ) && !confidential
        {
            return Err(ConfigError::new(
                format!("{key}.grant_types"),
                format!("{name} needs a client with a secret or keys"),
            ));
        }
        grants.push(grant);
    }
    Ok(grants)
}

/// Where a `private_key_jwt` client's public keys come from: at most one of `jwks` (a JWK Set as a
/// table or as JSON text, parsed here), `jwks_uri` (https) and `google_service_account`.
fn assertion_keys(
    key: &str,
    jwks: Option<serde_json::Value>,
    jwks_uri: Option<&str>,
    account: Option<String>,
) -> Result<Option<AssertionKeys>, ConfigError> {
    let sources = [jwks.is_some(), jwks_uri.is_some(), account.is_some()];
    if sources.iter().filter(|s| **s).count() > 1 {
        return Err(ConfigError::new(
            key,
            "set only one of jwks, jwks_uri and google_service_account",
        ));
    }
    if let Some(jwks) = jwks {
        let field = format!("{key}.jwks");
        let jwks = match jwks {
            serde_json::Value::String(text) => serde_json::from_str(&text)
                .map_err(|e| ConfigError::new(&field, format!("not a JSON JWK Set ({e})")))?,
            table => table,
        };
        let set = KeySet::from_value(jwks)
            .map_err(|e| ConfigError::new(&field, format!("not a JWK Set ({e})")))?;
        if set.is_empty() {
            return Err(ConfigError::new(
                field,
                "holds no public signing key monban can use (RSA, P-256, P-384 or Ed25519)",
            ));
        }
        return Ok(Some(AssertionKeys::Jwks(Arc::new(set))));
    }
    if let Some(uri) = jwks_uri {
        let url = https_url(&format!("{key}.jwks_uri"), uri)?;
        return Ok(Some(AssertionKeys::JwksUri(url)));
    }
    match account {
        None => Ok(None),
        Some(account) => normalize_email(&account)
            .map(|email| Some(AssertionKeys::GoogleServiceAccount(email)))
            .ok_or_else(|| {
                ConfigError::new(
                    format!("{key}.google_service_account"),
                    format!("{account:?} is not a service account's email address"),
                )
            }),
    }
}

/// `token_endpoint_auth_method` as written: it must fit what the client holds (a secret, keys, or
/// nothing). A client with keys uses `private_key_jwt` even when the method is not written.
fn auth_method(
    key: &str,
    written: Option<&str>,
    secret: bool,
    keys: bool,
) -> Result<Option<AuthMethod>, ConfigError> {
    let Some(name) = written else {
        return Ok(keys.then_some(AuthMethod::PrivateKeyJwt));
    };
    let field = format!("{key}.token_endpoint_auth_method");
    let method = AuthMethod::ALL
        .iter()
        .find(|(_, n)| *n == name)
        .map(|(m, _)| *m)
        .ok_or_else(|| {
            ConfigError::new(
                &field,
                format!(
                    "{name:?}: use client_secret_basic, client_secret_post, private_key_jwt or none"
                ),
            )
        })?;
    match method {
        AuthMethod::None if secret || keys => Err(ConfigError::new(
            field,
            "none is for clients without a secret or keys",
        )),
        AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost if !secret => {
            Err(ConfigError::new(field, format!("{name} needs a secret")))
        }
        AuthMethod::PrivateKeyJwt if !keys => Err(ConfigError::new(
            field,
            "private_key_jwt needs jwks, jwks_uri or google_service_account",
        )),
        _ => Ok(Some(method)),
    }
}

/// A client's `allowed_scopes` or an API's `scopes`: scope tokens (RFC 6749 §3.3: printable
/// ASCII, no space, quote or backslash), none of the people's scopes (`openid`, `email`,
/// `profile`): people are always granted those, and a service's own token, which carries these
/// scopes, must never pass for a person's (`/userinfo` would answer for it).
pub(super) fn scopes(key: &str, list: Vec<String>) -> Result<Vec<String>, ConfigError> {
    for scope in &list {
        if STANDARD_SCOPES.contains(&scope.as_str()) {
            return Err(ConfigError::new(
                key,
                format!(
                    "{scope:?} is a person's scope: people always get it, and a service's own token never does; remove it"
                ),
            ));
        }
        let ok = !scope.is_empty()
            && scope
                .bytes()
                .all(|b| (0x21..=0x7e).contains(&b) && b != b'"' && b != b'\\');
        if !ok {
            return Err(ConfigError::new(
                key,
                format!("{scope:?} is not a scope (printable characters, no spaces or quotes)"),
            ));
        }
    }
    Ok(list)
}

impl Client {
    /// Its lines of `monban check`: what kind of client it is, then each setting (secrets only as
    /// "set"; optional ones when written).
    pub(super) fn summarize(&self, out: &mut Summary) {
        let kind = match (self.is_confidential(), self.require_pkce) {
            (true, true) => "confidential, PKCE required",
            (true, false) => "confidential",
            (false, _) => "public",
        };
        out.line(&format!("client {}", self.id), kind);
        let key = |field: &str| format!("clients[{}].{field}", self.id);
        out.line(&key("name"), &self.name);
        out.set(&key("secret"), self.secret.is_some());
        out.list(&key("redirect_uris"), &self.redirect_uris);
        out.list(
            &key("post_logout_redirect_uris"),
            &self.post_logout_redirect_uris,
        );
        out.line(&key("require_pkce"), self.require_pkce);
        out.list(&key("allowed_scopes"), &self.allowed_scopes);
        let grants: Vec<&str> = (self.grant_types.iter())
            .filter_map(|g| GrantType::ALL.iter().find(|(k, _)| k == g).map(|(_, n)| *n))
            .collect();
        out.list(&key("grant_types"), &grants);
        let method = self.auth_method.and_then(|m| {
            AuthMethod::ALL
                .iter()
                .find(|(k, _)| *k == m)
                .map(|(_, n)| *n)
        });
        out.line(
            &key("token_endpoint_auth_method"),
            method.unwrap_or(if self.secret.is_some() {
                "client_secret_basic or client_secret_post"
            } else {
                "none"
            }),
        );
        out.list(&key("roles"), &self.roles);
        out.list(&key("apis"), &self.apis);
        match &self.assertion_keys {
            Some(AssertionKeys::Jwks(set)) => out.line(&key("jwks"), format!("{} keys", set.len())),
            Some(AssertionKeys::JwksUri(url)) => out.line(&key("jwks_uri"), url),
            Some(AssertionKeys::GoogleServiceAccount(account)) => {
                out.line(&key("google_service_account"), account)
            }
            None => {}
        }
        if let Some(uri) = &self.backchannel_logout_uri {
            out.line(&key("backchannel_logout_uri"), uri);
        }
        if let Some(url) = &self.home_url {
            out.line(&key("home_url"), url);
        }
        if let Some(ttl) = self.refresh_token_absolute_ttl {
            out.secs(&key("refresh_token_absolute_ttl_secs"), ttl);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(extra: &str) -> Result<Vec<Client>, ConfigError> {
        let toml = format!(
            "[[clients]]\nid = \"svc\"\nredirect_uris = [\"https://svc.example.org/cb\"]\n{extra}"
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("monban.toml");
        std::fs::write(&file, toml).unwrap();
        let env = [
            ("MONBAN_ISSUER", "https://login.example.org"),
            ("MONBAN_UPSTREAM__CLIENT_ID", "id"),
            ("MONBAN_UPSTREAM__CLIENT_SECRET", "secret"),
            ("MONBAN_CONFIG", file.to_str().unwrap()),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        super::super::Config::load(&env).map(|c| c.clients)
    }

    #[test]
    fn grants_and_authentication_use_the_rfc_7591_names() {
        let svc = client("secret = \"s3cret-s3cret\"\ngrant_types = [\"client_credentials\"]\ntoken_endpoint_auth_method = \"client_secret_post\"\nroles = [\"reader\"]").unwrap();
        assert_eq!(svc[0].grant_types, [GrantType::ClientCredentials]);
        assert_eq!(svc[0].auth_method, Some(AuthMethod::ClientSecretPost));
        assert_eq!(svc[0].roles, ["reader"]);
        let default = client("").unwrap();
        assert_eq!(default[0].grant_types, GrantType::DEFAULT);
        assert_eq!(default[0].auth_method, None);
    }

    const JWK: &str = r#"{"kty": "EC", "crv": "P-256", "kid": "k1", "x": "IM6B6UGj-UkLVouuVy_l2mHiZ3WyXBEBajwMWBm2ryM", "y": "8K_AdWhmsy0gzBwmnoHim8CKhX2oDgynypxdyLWqmyg"}"#;

    #[test]
    fn keys_make_a_private_key_jwt_client_without_a_secret() {
        let as_json = client(&format!("jwks = '{{\"keys\": [{JWK}]}}'")).unwrap();
        let as_table = client(
            "[[clients.jwks.keys]]\nkty = \"EC\"\ncrv = \"P-256\"\nx = \"IM6B6UGj-UkLVouuVy_l2mHiZ3WyXBEBajwMWBm2ryM\"\ny = \"8K_AdWhmsy0gzBwmnoHim8CKhX2oDgynypxdyLWqmyg\"",
        );
        for c in [&as_json[0], &as_table.as_ref().unwrap()[0]] {
            assert_eq!(c.auth_method, Some(AuthMethod::PrivateKeyJwt));
            assert!(c.is_confidential());
            assert!(matches!(&c.assertion_keys, Some(AssertionKeys::Jwks(k)) if k.len() == 1));
        }
        let google = client("google_service_account = \"Sync@P.iam.gserviceaccount.com\"\ngrant_types = [\"client_credentials\"]").unwrap();
        assert!(matches!(
            &google[0].assertion_keys,
            Some(AssertionKeys::GoogleServiceAccount(a)) if a == "sync@p.iam.gserviceaccount.com"
        ));
        assert!(client("jwks_uri = \"https://svc.example.org/jwks\"").is_ok());
    }

    #[test]
    fn a_grant_or_method_that_cannot_work_names_the_key() {
        let cases = [
            ("grant_types = [\"password\"]", "clients[svc].grant_types"),
            (
                "grant_types = [\"client_credentials\"]",
                "clients[svc].grant_types",
            ),
            (
                "token_endpoint_auth_method = \"client_secret_basic\"",
                "clients[svc].token_endpoint_auth_method",
            ),
            (
                "secret = \"s\"\ntoken_endpoint_auth_method = \"none\"",
                "clients[svc].token_endpoint_auth_method",
            ),
            (
                "token_endpoint_auth_method = \"tls_client_auth\"",
                "clients[svc].token_endpoint_auth_method",
            ),
            ("apis = [\"https://api.example.org/\"]", "clients[svc].apis"),
            (
                "token_endpoint_auth_method = \"private_key_jwt\"",
                "clients[svc].token_endpoint_auth_method",
            ),
            ("jwks = '{\"keys\": []}'", "clients[svc].jwks"),
            ("jwks = 'not json'", "clients[svc].jwks"),
            (
                "jwks_uri = \"http://svc.example.org/jwks\"",
                "clients[svc].jwks_uri",
            ),
            (
                "google_service_account = \"nobody\"",
                "clients[svc].google_service_account",
            ),
            (
                "jwks_uri = \"https://svc.example.org/jwks\"\ngoogle_service_account = \"a@b.iam.gserviceaccount.com\"",
                "clients[svc]",
            ),
            (
                "secret = \"s3cret\"\njwks_uri = \"https://svc.example.org/jwks\"",
                "clients[svc].secret",
            ),
            ("[[apis]]\nid = \"not a url\"", "apis[not a url].id"),
            (
                "[[apis]]\nid = \"http://api.example.org/\"",
                "apis[http://api.example.org/].id",
            ),
            (
                "[[apis]]\nid = \"https://api.example.org/\"\nscopes = [\"a b\"]",
                "apis[https://api.example.org/].scopes",
            ),
            (
                "[[apis]]\nid = \"https://api.example.org/\"\nscopes = [\"email\"]",
                "apis[https://api.example.org/].scopes",
            ),
            (
                "allowed_scopes = [\"openid\"]",
                "clients[svc].allowed_scopes",
            ),
            (
                "allowed_scopes = [\"profile\"]",
                "clients[svc].allowed_scopes",
            ),
        ];
        for (extra, key) in cases {
            assert_eq!(client(extra).unwrap_err().key, key, "{extra}");
        }
    }
}
