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
    // Which receiver each post is for: one whose token cannot be signed is simply not told.
    let (mut posts, mut sent_for) = (Vec::new(), Vec::new());
    for (i, client) in receivers.iter().enumerate() {
        let Some(uri) = client.backchannel_logout_uri.clone() else {
            continue;
        };
        let claims = logout_claims(issuer, &client.id, sub, sid, now);
        match state.tokens.mint(LOGOUT_TOKEN_TYP, &claims) {
            Ok(token) => {
                posts.push(LogoutPost { uri, token });
                sent_for.push(i);
            }
            Err(e) => tracing::error!(error = %e, "signing a logout token failed"),
        }
    }
    let timeout = state.config.backchannel_logout_timeout;
    let mut delivered = vec![false; receivers.len()];
    let answers = state.upstream.post_logout_tokens(posts, timeout).await;
    for (i, ok) in sent_for.into_iter().zip(answers) {
        delivered[i] = ok;
    }
    receivers
        .into_iter()
        .zip(delivered)
        .map(|(client, delivered)| {
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
