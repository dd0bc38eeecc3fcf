//! Who a request of the gate is for: the sealed person with the access token that belongs to them,
//! and, once that token has expired, the same person with a token renewed at monban, server to
//! server, on the first request that needs it (a page load, an XHR or a websocket upgrade alike).
//! The response to that request carries the renewed cookies.
//!
//! monban decides whether the person may go on (its refresh bounds, sign-out times, allow-list
//! and roles); the gate checks that the renewed token verifies and names the same person, whose
//! roles and address it then takes from the token. A refused renewal ends the gate's session:
//! its cookies are cleared, page loads go to sign in and other requests get 401.

use actix_web::HttpRequest;
use actix_web::cookie::Cookie;

use super::Gate;
use super::headers::Identity;
use super::session::{self, GatePerson, token_hash};
use crate::session::seal::Purpose;
use crate::upstream::Issued;

/// Who a request is for, and the cookies its response must carry (renewed, or cleared).
#[derive(Debug, Default)]
pub struct Visit {
    /// The signed-in person, if any.
    pub person: Option<Identity>,
    /// Cookies to set on the response.
    pub cookies: Vec<Cookie<'static>>,
}

/// What a request's cookies hold, before anything is asked of monban.
#[derive(Debug)]
pub enum Presence {
    /// A person whose access token is still valid.
    Fresh(Identity),
    /// A person whose access token has expired, with the refresh token that may renew it.
    Renewable {
        /// The sealed person.
        person: GatePerson,
        /// monban's refresh token.
        refresh: String,
    },
    /// No one (no cookie, a stale or tampered one, a token that is not the person's).
    Nobody,
}

impl Gate {
    /// Who `req`'s cookies name at the gate's time, without asking monban. A token cookie that is
    /// not the sealed person's (swapped for another person's, or garbage) is no one.
    pub(super) fn presence(&self, req: &HttpRequest) -> Presence {
        let now = self.now();
        let Some(person) = session::person(req, &self.cookies, &self.sealer, now) else {
            return Presence::Nobody;
        };
        let Some(token) = session::cookie_value(req, self.cookies.token) else {
            return Presence::Nobody;
        };
        if token_hash(token) != person.token {
            return Presence::Nobody;
        }
        // `exp` 0: a cookie sealed before renewals, which ends with its token.
        if person.exp == 0 || now < person.exp {
            return Presence::Fresh(person.with_token(token.to_string()));
        }
        match session::cookie_value(req, self.cookies.refresh) {
            Some(refresh) => Presence::Renewable {
                person,
                refresh: refresh.to_string(),
            },
            None => Presence::Nobody,
        }
    }

    /// The person of `req`, renewing monban's access token first when it has expired.
    pub(super) async fn visit(&self, req: &HttpRequest) -> Visit {
        self.settle(self.presence(req)).await
    }

    /// The person `presence` names, renewed at monban when it is [`Presence::Renewable`].
    pub(super) async fn settle(&self, presence: Presence) -> Visit {
        match presence {
            Presence::Fresh(person) => Visit {
                person: Some(person),
                cookies: Vec::new(),
            },
            Presence::Nobody => Visit::default(),
            Presence::Renewable { person, refresh } => {
                let now = self.now();
                match self.renew(&person, &refresh, now).await {
                    Some((renewed, issued)) => Visit {
                        cookies: self.session_cookies(&renewed, &issued, now),
                        person: Some(renewed.with_token(issued.access_token)),
                    },
                    None => Visit {
                        person: None,
                        cookies: (self.cookies.names().into_iter())
                            .map(|name| self.cookies.removal(name))
                            .collect(),
                    },
                }
            }
        }
    }

    /// monban's fresh tokens for `person`, if monban still admits them and the new access token
    /// verifies and names them.
    async fn renew(
        &self,
        person: &GatePerson,
        refresh: &str,
        now: u64,
    ) -> Option<(GatePerson, Issued)> {
        let issued = match self.monban.refresh(refresh, now).await {
            Ok(issued) => issued,
            Err(e) => {
                tracing::info!(error = %e, "monban did not renew the sign-in");
                return None;
            }
        };
        let claims = self
            .verifier()
            .await
            .ok()?
            .verify(&issued.access_token)
            .await;
        let claims = claims
            .inspect_err(|e| tracing::warn!(error = %e, "a renewed token did not verify"))
            .ok()?;
        if claims.sub != person.sub {
            tracing::warn!("a renewed token names someone else: the refresh cookie was swapped");
            return None;
        }
        let renewed = GatePerson::of(claims, &issued.access_token, person.until);
        Some((renewed, issued))
    }

    /// The cookies of a signed-in person: the sealed person, and monban's tokens beside it (the
    /// refresh and ID tokens only when monban issued new ones), all until the person's `until`.
    pub(super) fn session_cookies(
        &self,
        person: &GatePerson,
        issued: &Issued,
        now: u64,
    ) -> Vec<Cookie<'static>> {
        let cookies = &self.cookies;
        let ttl = Some(std::time::Duration::from_secs(
            person.until.saturating_sub(now),
        ));
        let sealed = self.sealer.seal(Purpose::Session, person, person.until);
        let mut out = vec![
            cookies.attributes.build(cookies.person, sealed, ttl),
            (cookies.attributes).build(cookies.token, issued.access_token.clone(), ttl),
        ];
        if let Some(refresh) = &issued.refresh_token {
            out.push(
                cookies
                    .attributes
                    .build(cookies.refresh, refresh.clone(), ttl),
            );
        }
        if let Some(id) = &issued.id_token {
            out.push(cookies.attributes.build(cookies.id, id.clone(), ttl));
        }
        out
    }
}
