//! RP-Initiated Logout 1.0 (§2–§4): who asks, and where the browser may go once the SSO session
//! cookie is cleared.
//!
//! With a valid `id_token_hint` (one of our ID tokens, expired ones included) the request
//! provably comes from the client it names, so the handler signs out at once. Without one it
//! cannot tell who asks (any page can link to `/logout`), so it asks the person first. The
//! browser is sent back only to a URI that provably belongs to one client: registered for the
//! hint's `aud` or the `client_id`, or, when neither is given, registered by exactly one client;
//! otherwise it lands on monban's own signed-out page.

use serde::Deserialize;
use url::Url;

use super::paths::HOME_PATH;
use crate::config::Client;
use crate::tokens::{TYP_ID_TOKEN, Tokens};

/// `/logout`'s parameters, from the query (GET) or the form (POST).
#[derive(Debug, Default, Deserialize)]
pub struct LogoutQuery {
    /// An ID token of ours, possibly expired: says which client asks.
    pub id_token_hint: Option<String>,
    /// The client that asks.
    pub client_id: Option<String>,
    /// Where to go afterwards; must belong to that client.
    pub post_logout_redirect_uri: Option<String>,
    /// Returned to the client untouched.
    pub state: Option<String>,
}

/// A sign-out request that can be followed.
#[derive(Debug, PartialEq, Eq)]
pub struct LogoutRequest {
    /// Where the browser goes afterwards: the client's URI (with its `state`), or monban's `/`.
    pub target: String,
    /// Whether a valid `id_token_hint` proved which client asks (then no confirmation is needed).
    pub hinted: bool,
}

impl LogoutRequest {
    /// Checks the hint, the client and the URI; the message says why a request cannot be
    /// followed.
    pub fn parse(
        query: &LogoutQuery,
        clients: &[Client],
        tokens: &Tokens,
    ) -> Result<Self, &'static str> {
        let hinted = match query.id_token_hint.as_deref() {
            // `now = 0`: an expired ID token still says which client it was for.
            Some(hint) => Some(
                tokens
                    .verify::<serde_json::Value>(hint, TYP_ID_TOKEN, 0)
                    .ok()
                    .and_then(|claims| claims["aud"].as_str().map(str::to_string))
                    .ok_or("The sign-out request carries a token this service did not issue.")?,
            ),
            None => None,
        };
        let client_id = match (query.client_id.as_deref(), hinted.as_deref()) {
            (Some(a), Some(b)) if a != b => {
                return Err("The sign-out request names two different applications.");
            }
            (Some(id), _) | (None, Some(id)) => Some(id),
            (None, None) => None,
        };
        let client = client_id
            .map(|id| {
                clients
                    .iter()
                    .find(|c| c.id == id)
                    .ok_or("The application is not registered with this sign-in service.")
            })
            .transpose()?;
        let target = match query.post_logout_redirect_uri.as_deref() {
            None => None,
            Some(raw) => registered(raw, client, clients)?,
        };
        let target = match target {
            Some(mut uri) => {
                if let Some(s) = &query.state {
                    uri.query_pairs_mut().append_pair("state", s);
                }
                uri.to_string()
            }
            None => HOME_PATH.to_string(),
        };
        Ok(Self {
            target,
            hinted: hinted.is_some(),
        })
    }
}

/// `raw` as a URI that belongs to one client: registered for `client` when the request names one
/// (else an error), or registered by exactly one client when it does not (else `None`: the
/// signed-out page).
fn registered(
    raw: &str,
    client: Option<&Client>,
    clients: &[Client],
) -> Result<Option<Url>, &'static str> {
    let uri = Url::parse(raw).ok();
    match client {
        Some(client) => uri
            .filter(|u| client.post_logout_redirect_uris.contains(u))
            .map(Some)
            .ok_or("The application asked to return to an address it has not registered."),
        None => {
            let Some(uri) = uri else {
                return Ok(None);
            };
            let owners = clients
                .iter()
                .filter(|c| c.post_logout_redirect_uris.contains(&uri))
                .count();
            Ok((owners == 1).then_some(uri))
        }
    }
}
