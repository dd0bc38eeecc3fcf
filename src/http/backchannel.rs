//! Telling clients that a sign-in ended (Back-Channel Logout 1.0): one logout token per client,
//! minted here, posted by [`Upstream::post_logout_tokens`], each delivery audited. Used by
//! `/logout` and by `monban sign-out`.
//!
//! [`Upstream::post_logout_tokens`]: crate::upstream::Upstream::post_logout_tokens

use monban_verify::contract::LOGOUT_TOKEN_TYP;

use super::state::AppState;
use crate::audit::Event;
use crate::config::Client;
use crate::protocol::backchannel::logout_claims;
use crate::upstream::backchannel::LogoutPost;

/// Whether one client was told.
#[derive(Debug)]
pub struct Told<'c> {
    /// The client.
    pub client: &'c Client,
    /// Whether it acknowledged within the timeout.
    pub delivered: bool,
}

/// Posts a logout token for `sub` (for the sign-in `sid`, or every sign-in when `None`) to each
/// of `receivers` (clients with a `backchannel_logout_uri`), within the configured timeout.
pub async fn tell<'c>(
    state: &AppState,
    receivers: Vec<&'c Client>,
    sub: &str,
    sid: Option<&str>,
) -> Vec<Told<'c>> {
    let now = state.now();
    let issuer = state.config.issuer_str();
    let mut posts = Vec::with_capacity(receivers.len());
    for client in &receivers {
        let Some(uri) = client.backchannel_logout_uri.clone() else {
            continue;
        };
        match state.tokens.mint(
            LOGOUT_TOKEN_TYP,
            &logout_claims(issuer, &client.id, sub, sid, now),
        ) {
            Ok(token) => posts.push(LogoutPost {
                client_id: client.id.clone(),
                uri,
                token,
            }),
            Err(e) => tracing::error!(error = %e, "signing a logout token failed"),
        }
    }
    let timeout = state.config.backchannel_logout_timeout;
    let delivered = state.upstream.post_logout_tokens(posts, timeout).await;
    receivers
        .into_iter()
        .map(|client| {
            let delivered = delivered.iter().any(|(id, ok)| *id == client.id && *ok);
            Event::LogoutSent {
                client_id: &client.id,
                sub,
                delivered,
            }
            .record();
            Told { client, delivered }
        })
        .collect()
}
