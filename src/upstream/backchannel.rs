//! Posting back-channel logout tokens to clients (Back-Channel Logout 1.0 §2.5): all at once, each
//! with its own timeout, so one client that hangs delays the sign-out by the timeout at most.

use std::time::Duration;

use tokio::task::JoinSet;
use url::Url;

use super::Upstream;

/// One logout token for one client.
#[derive(Debug)]
pub struct LogoutPost {
    /// The client's `backchannel_logout_uri`.
    pub uri: Url,
    /// The signed logout token.
    pub token: String,
}

impl Upstream {
    /// Posts every logout token (`logout_token=` in a form), in parallel, waiting at most
    /// `timeout` for each. Returns, in the order given, whether each was acknowledged (2xx).
    pub async fn post_logout_tokens(&self, posts: Vec<LogoutPost>, timeout: Duration) -> Vec<bool> {
        let mut delivered = vec![false; posts.len()];
        let Ok(http) = self.http() else {
            return delivered;
        };
        let mut set = JoinSet::new();
        for (i, post) in posts.into_iter().enumerate() {
            let request = http
                .post(post.uri)
                .timeout(timeout)
                .form(&[("logout_token", post.token)]);
            set.spawn(async move {
                let ok = request.send().await.is_ok_and(|r| r.status().is_success());
                (i, ok)
            });
        }
        while let Some(done) = set.join_next().await {
            if let Ok((i, ok)) = done {
                delivered[i] = ok;
            }
        }
        delivered
    }
}
