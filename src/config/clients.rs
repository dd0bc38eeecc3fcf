//! The `[[clients]]` tables, validated: ids, redirect URIs, scopes, and what each may ask `/token`
//! for and how it authenticates (RFC 7591 names: `grant_types`, `token_endpoint_auth_method`).

use std::time::Duration;

use url::Url;

use super::raw::{RawApi, RawClient};
use super::urls::https_url;
use super::{Api, AuthMethod, Client, ConfigError, GrantType};

/// Validates every client: a problem names `clients[ID].field`.
pub(super) fn validate(raw: Vec<RawClient>, apis: &[Api]) -> Result<Vec<Client>, ConfigError> {
    let mut clients: Vec<Client> = Vec::with_capacity(raw.len());
    for c in raw {
        let key = format!("clients[{}]", c.id);
        if c.id.trim().is_empty() {
            return Err(ConfigError::new("clients.id", "must not be empty"));
        }
        if clients.iter().any(|o| o.id == c.id) {
            return Err(ConfigError::new(key, "client id registered twice"));
        }
        if c.redirect_uris.is_empty() {
            return Err(ConfigError::new(
                format!("{key}.redirect_uris"),
                "at least one redirect URI is required",
            ));
        }
        let parse = |field: &str, list: &[String]| -> Result<Vec<Url>, ConfigError> {
            list.iter()
                .map(|u| {
                    let url = Url::parse(u).map_err(|e| {
                        ConfigError::new(
                            format!("{key}.{field}"),
                            format!("{u:?} is not an absolute URL ({e})"),
                        )
                    })?;
                    if url.fragment().is_some() {
                        return Err(ConfigError::new(
                            format!("{key}.{field}"),
                            format!("{u:?} must not have a #fragment"),
                        ));
                    }
                    Ok(url)
                })
                .collect()
        };
        let secret = c.secret.filter(|s| !s.expose().is_empty());
        let confidential = secret.is_some();
        clients.push(Client {
            redirect_uris: parse("redirect_uris", &c.redirect_uris)?,
            post_logout_redirect_uris: parse(
                "post_logout_redirect_uris",
                &c.post_logout_redirect_uris,
            )?,
            grant_types: grant_types(&key, c.grant_types, confidential)?,
            auth_method: auth_method(&key, c.token_endpoint_auth_method.as_deref(), confidential)?,
            roles: c.roles,
            apis: known_apis(&key, c.apis, apis)?,
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
            home_url: c
                .home_url
                .as_deref()
                .map(|u| https_url(&format!("{key}.home_url"), u))
                .transpose()?,
            id: c.id,
        });
    }
    Ok(clients)
}

/// The `[[apis]]` tables: an https identifier (it becomes the tokens' `aud`), each once, with
/// well-formed scopes.
pub(super) fn apis(raw: Vec<RawApi>) -> Result<Vec<Api>, ConfigError> {
    let mut apis: Vec<Api> = Vec::with_capacity(raw.len());
    for api in raw {
        let key = format!("apis[{}]", api.id);
        https_url(&format!("{key}.id"), &api.id)?;
        if apis.iter().any(|a| a.id == api.id) {
            return Err(ConfigError::new(key, "API registered twice"));
        }
        apis.push(Api {
            scopes: scopes(&format!("{key}.scopes"), api.scopes)?,
            id: api.id,
        });
    }
    Ok(apis)
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

/// `grant_types` as written, or the default; `client_credentials` only for a client with a secret.
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
        if grant == GrantType::ClientCredentials && !confidential {
            return Err(ConfigError::new(
                format!("{key}.grant_types"),
                "client_credentials needs a client with a secret",
            ));
        }
        grants.push(grant);
    }
    Ok(grants)
}

/// `token_endpoint_auth_method` as written: it must fit whether the client has a secret.
fn auth_method(
    key: &str,
    written: Option<&str>,
    confidential: bool,
) -> Result<Option<AuthMethod>, ConfigError> {
    let Some(name) = written else { return Ok(None) };
    let field = format!("{key}.token_endpoint_auth_method");
    let method = AuthMethod::ALL
        .iter()
        .find(|(_, n)| *n == name)
        .map(|(m, _)| *m)
        .ok_or_else(|| {
            ConfigError::new(
                &field,
                format!("{name:?}: use client_secret_basic, client_secret_post or none"),
            )
        })?;
    match (method, confidential) {
        (AuthMethod::None, true) => Err(ConfigError::new(
            field,
            "none is for clients without a secret",
        )),
        (AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost, false) => {
            Err(ConfigError::new(field, format!("{name} needs a secret")))
        }
        _ => Ok(Some(method)),
    }
}

/// A client's `allowed_scopes`: scope tokens (RFC 6749 §3.3: printable ASCII, no space, quote or
/// backslash).
fn scopes(key: &str, list: Vec<String>) -> Result<Vec<String>, ConfigError> {
    for scope in &list {
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
            ("[[apis]]\nid = \"not a url\"", "apis[not a url].id"),
            (
                "[[apis]]\nid = \"http://api.example.org/\"",
                "apis[http://api.example.org/].id",
            ),
            (
                "[[apis]]\nid = \"https://api.example.org/\"\nscopes = [\"a b\"]",
                "apis[https://api.example.org/].scopes",
            ),
        ];
        for (extra, key) in cases {
            assert_eq!(client(extra).unwrap_err().key, key, "{extra}");
        }
    }
}
