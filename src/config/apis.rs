//! The `[[apis]]` tables: APIs a token may be issued for (RFC 8707 resource indicators).

use super::ConfigError;
use super::clients::scopes;
use super::raw::RawApi;
use super::summary::Summary;
use super::urls::https_url;

/// An API a token may be issued for: its identifier (the `resource` a client names, and the
/// token's `aud`) and the scopes it defines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Api {
    /// The identifier URL, e.g. `https://inventory.lab.example.org/`.
    pub id: String,
    /// Its scopes, e.g. `inventory:read`.
    pub scopes: Vec<String>,
}

impl Api {
    /// The `[[apis]]` tables: an https identifier (it becomes the tokens' `aud`), each once, with
    /// well-formed scopes.
    pub(super) fn from_raw(raw: &[RawApi]) -> Result<Vec<Api>, ConfigError> {
        let mut apis: Vec<Api> = Vec::with_capacity(raw.len());
        for api in raw {
            let key = format!("apis[{}]", api.id);
            https_url(&format!("{key}.id"), &api.id)?;
            if apis.iter().any(|a| a.id == api.id) {
                return Err(ConfigError::new(key, "API registered twice"));
            }
            apis.push(Api {
                scopes: scopes(&format!("{key}.scopes"), api.scopes.clone())?,
                id: api.id.clone(),
            });
        }
        Ok(apis)
    }

    /// Its lines of `monban check`.
    pub(super) fn summarize(&self, out: &mut Summary) {
        out.list(&format!("apis[{}].scopes", self.id), &self.scopes);
    }
}
