//! RP-Initiated Logout 1.0: where the browser goes once the SSO session cookie is cleared.

use serde::Deserialize;

use crate::config::Client;
use crate::tokens::{TYP_ID_TOKEN, Tokens};

/// Query of `/logout`.
#[derive(Debug, Default, Deserialize)]
pub struct LogoutQuery {
    /// An ID token of ours, possibly expired: says which client asks.
    pub id_token_hint: Option<String>,
    /// The client that asks.
    pub client_id: Option<String>,
    /// Where to go afterwards; must be registered for that client.
    pub post_logout_redirect_uri: Option<String>,
    /// Returned to the client untouched.
    pub state: Option<String>,
}

/// Where to go after signing out: `/`, or a URI registered for the client named by `client_id`
/// or by the `aud` of `id_token_hint`. The message says why a request cannot be followed.
pub fn post_logout_target(
    query: &LogoutQuery,
    clients: &[Client],
    tokens: &Tokens,
) -> Result<String, &'static str> {
    let Some(raw) = query.post_logout_redirect_uri.as_deref() else {
        return Ok("/".into());
    };
    let hinted = query.id_token_hint.as_deref().and_then(|hint| {
        // `now = 0`: an expired ID token still says which client it was for.
        tokens
            .verify::<serde_json::Value>(hint, TYP_ID_TOKEN, 0)
            .ok()
            .and_then(|claims| claims["aud"].as_str().map(str::to_string))
    });
    let client_id = query
        .client_id
        .clone()
        .or(hinted)
        .ok_or("The request does not say which application it comes from.")?;
    let client = clients
        .iter()
        .find(|c| c.id == client_id)
        .ok_or("The application is not registered with this sign-in service.")?;
    let mut uri = url::Url::parse(raw)
        .ok()
        .filter(|u| client.post_logout_redirect_uris.contains(u))
        .ok_or("The application asked to return to an address it has not registered.")?;
    if let Some(s) = &query.state {
        uri.query_pairs_mut().append_pair("state", s);
    }
    Ok(uri.to_string())
}
