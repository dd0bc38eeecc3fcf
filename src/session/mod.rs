//! What a browser carries between two requests, and how it stays honest without a session
//! table: values sealed with [`seal::Sealer`] (login state, session, codes, refresh tokens), the
//! cookies that hold them, and the sign-in at `/callback` that turns Google's answer into a
//! [`Session`].

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::config::policy::{self, Claimant, Denial};

pub mod cookies;
pub mod login_state;
pub mod seal;
pub mod sign_in;

/// The SSO session, sealed into the session cookie.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Session {
    /// The upstream subject: stable for one Google account.
    pub sub: String,
    /// The verified email address.
    pub email: String,
    /// Display name.
    pub name: Option<String>,
    /// Picture URL (https only).
    pub picture: Option<String>,
    /// Given name (Google's `given_name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    /// Family name (Google's `family_name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    /// Preferred language, a BCP 47 tag (Google's `locale`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Roles from the configuration at sign-in.
    pub roles: Vec<String>,
    /// When the user authenticated at the upstream (seconds since the epoch).
    pub auth_time: u64,
    /// Google Workspace domain, kept so a refresh can re-check the allow-list.
    #[serde(default)]
    pub hosted_domain: Option<String>,
    /// This sign-in's id: the `sid` of its ID tokens and of its back-channel logout tokens
    /// (empty for a session sealed before monban had one).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sid: String,
    /// The clients with a back-channel logout URI that received a code in this session, to be
    /// told at sign-out: at most [`MAX_LOGOUT_CLIENTS`], the oldest dropped first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clients: Vec<String>,
}

/// How many clients a session remembers for back-channel logout (the cookie must stay small).
pub const MAX_LOGOUT_CLIENTS: usize = 16;

impl Session {
    /// This session under today's configuration: not signed out by the administrator, still
    /// admitted, with today's roles. The session proves who signed in, not what they may do.
    pub fn as_of(&self, config: &Config) -> Result<Session, Denial> {
        let roles = policy::readmit(&config.admission, &self.claimant(), self.auth_time)?;
        Ok(Session {
            roles,
            ..self.clone()
        })
    }

    /// This session, remembering that `client_id` received a code in it (once, most recent last,
    /// within [`MAX_LOGOUT_CLIENTS`]).
    pub fn with_client(&self, client_id: &str) -> Session {
        let mut clients: Vec<String> = self
            .clients
            .iter()
            .filter(|c| *c != client_id)
            .cloned()
            .collect();
        clients.push(client_id.to_string());
        let excess = clients.len().saturating_sub(MAX_LOGOUT_CLIENTS);
        clients.drain(..excess);
        Session {
            clients,
            ..self.clone()
        }
    }

    /// What tells this sign-in apart from every other: its `sid` (a session sealed before monban
    /// had one: its person and sign-in time).
    pub fn sign_in_id(&self) -> String {
        if self.sid.is_empty() {
            format!("{}@{}", self.sub, self.auth_time)
        } else {
            self.sid.clone()
        }
    }

    /// The person as the sign-in policy sees them: the address was verified when they signed in.
    pub fn claimant(&self) -> Claimant<'_> {
        Claimant {
            email: Some(&self.email),
            email_verified: true,
            hosted_domain: self.hosted_domain.as_deref(),
        }
    }
}

/// 256 random bits, base64url: nonces, PKCE verifiers and binding cookies.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes).expect("the system RNG works");
    B64.encode(bytes)
}

#[cfg(test)]
impl Session {
    /// ada's session at `auth_time`, every other field empty: what unit tests start from.
    pub(crate) fn ada(auth_time: u64) -> Self {
        Self {
            sub: "1".into(),
            email: "ada@lab.example.org".into(),
            name: None,
            picture: None,
            given_name: None,
            family_name: None,
            locale: None,
            roles: vec![],
            auth_time,
            hosted_domain: None,
            sid: String::new(),
            clients: vec![],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_remembers_a_bounded_list_of_clients() {
        let mut session = Session {
            sid: "s".into(),
            ..Session::ada(0)
        };
        for i in 0..20 {
            session = session.with_client(&format!("c{i}"));
        }
        session = session.with_client("c10");
        assert_eq!(session.clients.len(), MAX_LOGOUT_CLIENTS);
        assert_eq!(session.clients.first().map(String::as_str), Some("c4"));
        assert_eq!(session.clients.last().map(String::as_str), Some("c10"));
    }

    #[test]
    fn tokens_are_random() {
        assert_ne!(super::random_token(), super::random_token());
        assert_eq!(super::random_token().len(), 43);
    }
}
