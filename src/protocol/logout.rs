//! RP-Initiated Logout 1.0 (§2–§4, §6): who asks, whom it signs out, and where the browser may go
//! once the SSO session cookie is cleared.
//!
//! A valid `id_token_hint` (one of our ID tokens, expired ones included) says which client asks
//! and whose sign-in it means. The handler signs out at once only when that is the browser's own
//! session (same `sub`, and same `sid` when the hint carries one); a hint of another person, or
//! none (any page can link to `/logout`), gets the confirmation page (§6). The page's form
//! carries a [`SignOutProof`] sealed to the session, which only monban's own pages hold, so a
//! form posted from elsewhere (a sibling host's no-referrer form sends `Origin: null`) asks again
//! instead of signing anyone out. The browser is sent back only to a URI registered for the
//! client the request names (the hint's `aud` or the `client_id`). A request that names none lands
//! on monban's own signed-out page (RP-Initiated Logout §3: the RP's URI is never used then, as the
//! OP test `oidcc-rp-initiated-logout-no-id-token-hint` checks); when exactly one client registered
//! the URI it asked for, that page offers a link back, which the person follows or not.

use serde::{Deserialize, Serialize};
use url::Url;

use super::paths::HOME_PATH;
use crate::config::Client;
use crate::session::Session;
use crate::tokens::Tokens;
use monban_verify::contract::ID_TOKEN_TYP;

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
    /// monban's own forms only (POST): a sealed [`SignOutProof`].
    pub confirm: Option<String>,
}

/// The session a sign-out form of monban's own was made for, sealed into it
/// ([`crate::session::seal::Purpose::SignOut`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignOutProof {
    /// The person.
    pub sub: String,
    /// Their sign-in.
    pub sid: String,
}

impl SignOutProof {
    /// The proof for `session`'s own forms.
    pub fn of(session: &Session) -> Self {
        Self {
            sub: session.sub.clone(),
            sid: session.sid.clone(),
        }
    }
}

/// Whose sign-in an `id_token_hint` names.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Hinted {
    /// The person.
    pub sub: String,
    /// Their sign-in, when the ID token carries one.
    #[serde(default)]
    pub sid: Option<String>,
}

/// A sign-out request that can be followed.
#[derive(Debug, PartialEq, Eq)]
pub struct LogoutRequest {
    /// Where the browser goes afterwards: the client's URI (with its `state`), or monban's `/`.
    pub target: String,
    /// The client that asks, by `client_id` or the hint's `aud`.
    pub client_id: Option<String>,
    /// For a request that names no client: the application that registered the URI it asked for
    /// (the only one), and that URI, offered as a link on the signed-out page.
    pub link_back: Option<(String, String)>,
    /// Whose sign-in a valid `id_token_hint` names.
    pub hint: Option<Hinted>,
}

impl LogoutRequest {
    /// Whether this request may end `session` without asking the person: its hint names that
    /// very sign-in, or it comes with the proof monban's own form carries for it.
    pub fn ends_at_once(&self, session: &Session, proof: Option<&SignOutProof>) -> bool {
        let hinted = self.hint.as_ref().is_some_and(|h| {
            h.sub == session.sub && h.sid.as_ref().is_none_or(|sid| *sid == session.sid)
        });
        hinted || proof.is_some_and(|p| *p == SignOutProof::of(session))
    }
}

impl LogoutRequest {
    /// Checks the hint, the client and the URI; the message says why a request cannot be
    /// followed.
    pub fn parse(
        query: &LogoutQuery,
        clients: &[Client],
        tokens: &Tokens,
    ) -> Result<Self, &'static str> {
        #[derive(Deserialize)]
        struct HintClaims {
            aud: String,
            #[serde(flatten)]
            who: Hinted,
        }
        let hint =
            match query.id_token_hint.as_deref() {
                // `now = 0`: an expired ID token still says which client and sign-in it was for.
                Some(hint) => Some(tokens.verify::<HintClaims>(hint, ID_TOKEN_TYP, 0).map_err(
                    |_| "The sign-out request carries a token this service did not issue.",
                )?),
                None => None,
            };
        let client_id = match (
            query.client_id.as_deref(),
            hint.as_ref().map(|h| h.aud.as_str()),
        ) {
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
        let with_state = |mut uri: Url| {
            if let Some(s) = &query.state {
                uri.query_pairs_mut().append_pair("state", s);
            }
            uri.to_string()
        };
        let (target, link_back) = match (query.post_logout_redirect_uri.as_deref(), client) {
            (None, _) => (HOME_PATH.to_string(), None),
            (Some(raw), Some(client)) => (with_state(registered(raw, client)?), None),
            (Some(raw), None) => (
                HOME_PATH.to_string(),
                sole_owner(raw, clients).map(|(owner, uri)| (owner.name.clone(), with_state(uri))),
            ),
        };
        Ok(Self {
            target,
            client_id: client.map(|c| c.id.clone()),
            link_back,
            hint: hint.map(|h| h.who),
        })
    }
}

/// `raw` as a URI registered for `client`, or why the request cannot be followed.
fn registered(raw: &str, client: &Client) -> Result<Url, &'static str> {
    Url::parse(raw)
        .ok()
        .filter(|u| client.post_logout_redirect_uris.contains(u))
        .ok_or("The application asked to return to an address it has not registered.")
}

/// The one client that registered `raw` as a post-logout URI, and the URI; `None` when none did,
/// or several (then the URI says nothing of who asks).
fn sole_owner<'c>(raw: &str, clients: &'c [Client]) -> Option<(&'c Client, Url)> {
    let uri = Url::parse(raw).ok()?;
    let mut owners = clients
        .iter()
        .filter(|c| c.post_logout_redirect_uris.contains(&uri));
    match (owners.next(), owners.next()) {
        (Some(owner), None) => Some((owner, uri)),
        _ => None,
    }
}
