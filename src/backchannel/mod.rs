//! OpenID Connect Back-Channel Logout 1.0: when a sign-in ends, monban posts a logout token to
//! every client that received a code in it and registered a `backchannel_logout_uri`; when the
//! administrator signs a person out everywhere (`monban sign-out SUB`), to every such client.
//!
//! Nothing is stored for this: the sealed SSO session carries which clients those were
//! ([`crate::session::Session::clients`], bounded) and its `sid`, which the ID tokens carry too.
//! The one memory is an instance's list of sign-ins it already told about (a [`crate::once::Once`]),
//! so that a replayed session cookie is no louder than the first sign-out.

use std::time::Duration;

use monban_verify::contract::LOGOUT_TOKEN_TYP;
use tokio::task::JoinSet;

use crate::audit::Event;
use crate::config::Client;
use crate::outbound::Outbound;
use crate::tokens::Tokens;

mod claims;

pub use claims::{LOGOUT_TOKEN_TTL_SECS, logout_claims, receivers};

/// Tells clients that a sign-in ended: mints their logout tokens and posts them, all at once.
#[derive(Debug)]
pub struct Notifier<'a> {
    /// Mints the logout tokens (with the issuer's key and `iss`).
    pub tokens: &'a Tokens,
    /// Posts them.
    pub http: &'a Outbound,
    /// How long each post may take (`backchannel_logout_timeout_secs`): one client that hangs
    /// delays the sign-out by this much at most.
    pub timeout: Duration,
}

/// Whether one client was told.
#[derive(Debug)]
pub struct Told<'c> {
    /// The client.
    pub client: &'c Client,
    /// Whether it acknowledged (2xx) within the timeout.
    pub delivered: bool,
}

impl Notifier<'_> {
    /// Posts a logout token for `sub` at `now` (for the sign-in `sid`, or every sign-in when
    /// `None`) to each of `receivers` (clients with a `backchannel_logout_uri`), in parallel, and
    /// records each delivery in the audit log. A client whose token cannot be signed is not told.
    pub async fn tell<'c>(
        &self,
        receivers: Vec<&'c Client>,
        sub: &str,
        sid: Option<&str>,
        now: u64,
    ) -> Vec<Told<'c>> {
        let mut posts = JoinSet::new();
        for (i, client) in receivers.iter().enumerate() {
            let Some(uri) = client.backchannel_logout_uri.clone() else {
                continue;
            };
            let claims = logout_claims(self.tokens.issuer(), &client.id, sub, sid, now);
            let token = match self.tokens.mint(LOGOUT_TOKEN_TYP, &claims) {
                Ok(token) => token,
                Err(e) => {
                    tracing::error!(error = %e, "signing a logout token failed");
                    continue;
                }
            };
            let post = (self.http).post_form(uri, &[("logout_token", &token)], self.timeout);
            posts.spawn(async move { (i, post.await) });
        }
        let mut delivered = vec![false; receivers.len()];
        while let Some(done) = posts.join_next().await {
            if let Ok((i, ok)) = done {
                delivered[i] = ok;
            }
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
}
