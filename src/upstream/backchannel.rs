//! Posting back-channel logout tokens to clients (Back-Channel Logout 1.0 §2.5): all at once, each
//! with its own timeout, so one client that hangs delays the sign-out by the timeout at most.

use std::time::Duration;

use tokio::task::JoinSet;
use url::Url;

use super::Upstream;

/// One logout token for one client.
#[derive(Debug)]
pub struct LogoutPost {
    /// The client told.
    pub client_id: String,
    /// Its `backchannel_logout_uri`.
    pub uri: Url,
    /// The signed logout token.
    pub token: String,
}

impl Upstream {
    /// Posts every logout token (`logout_token=` in a form), in parallel, waiting at most
    /// `timeout` for each. Returns each client id with whether it acknowledged (2xx), in the
    /// order given.
    pub async fn post_logout_tokens(
        &self,
        posts: Vec<LogoutPost>,
        timeout: Duration,
    ) -> Vec<(String, bool)> {
        let Ok(http) = self.http() else {
            return posts.into_iter().map(|p| (p.client_id, false)).collect();
        };
        let order: Vec<String> = posts.iter().map(|p| p.client_id.clone()).collect();
        let mut set = JoinSet::new();
        for post in posts {
            let request = http
                .post(post.uri)
                .timeout(timeout)
                .form(&[("logout_token", post.token)]);
            set.spawn(async move {
                let delivered = request.send().await.is_ok_and(|r| r.status().is_success());
                (post.client_id, delivered)
            });
        }
        let mut results = Vec::with_capacity(order.len());
        while let Some(done) = set.join_next().await {
            results.extend(done.ok());
        }
        order
            .into_iter()
            .map(|id| {
                let delivered = results.iter().any(|(c, ok)| *c == id && *ok);
                (id, delivered)
            })
            .collect()
    }
}
