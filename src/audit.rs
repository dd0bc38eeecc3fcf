//! Audit entries: what an administrator asks of the logs. Who signed in, who was refused and why,
//! which client received tokens by which grant, who signed out, and which sign-in that the
//! administrator had revoked (or an account since removed) was refused.
//!
//! Each is one log line at target `monban::audit` with a stable `event` field, the name Logs
//! Explorer queries and log-based metrics filter on (docs/deploy.md, "Logs"): renaming one breaks
//! an admin's saved queries and alerts, so the names are part of the contract (`Event::name`).
//! Fields are names, reasons and the user's address; never a token, code, secret or cookie.

/// Something an administrator may need to find in the logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event<'a> {
    /// Google vouched for the user and the configuration admits them: a new SSO session.
    SignInAllowed {
        /// The verified address.
        email: &'a str,
        /// The upstream subject.
        sub: &'a str,
    },
    /// A sign-in did not complete ([`crate::session::sign_in::SignInError::reason`]).
    SignInRefused {
        /// Why, as a stable code (`not_allowed`, `email_not_verified`, `expired_state`, …).
        reason: &'static str,
        /// The address, when Google gave one.
        email: Option<&'a str>,
        /// What went wrong upstream, when it did.
        detail: Option<&'a str>,
    },
    /// `/token` answered with tokens.
    TokenIssued {
        /// The client that received them.
        client_id: &'a str,
        /// `authorization_code` or `refresh_token`.
        grant: &'static str,
        /// Whose tokens they are.
        sub: &'a str,
        /// Their address (none for a client acting as itself).
        email: Option<&'a str>,
    },
    /// A session, code or refresh token that is genuine but whose user the running
    /// configuration no longer admits (signed out by the administrator, or removed).
    RevocationHit {
        /// What was refused: `session`, `code` or `refresh_token`.
        via: &'static str,
        /// `signed_out`, `not_allowed`, …
        reason: &'static str,
        /// Whose it was.
        email: &'a str,
    },
    /// A browser's SSO session was ended at `/logout`.
    SignedOut {
        /// Whose session it was.
        email: &'a str,
        /// The upstream subject.
        sub: &'a str,
    },
    /// A back-channel logout token was posted to a client (at sign-out, or by `monban sign-out`).
    LogoutSent {
        /// The client told.
        client_id: &'a str,
        /// Whose sign-in ended.
        sub: &'a str,
        /// Whether the client acknowledged it (2xx within the timeout).
        delivered: bool,
    },
    /// An OpenSSH user certificate was issued (`POST /ssh/certificate`).
    SshCertificate {
        /// Whose it is (its key id).
        email: &'a str,
        /// The user names it is valid for, comma separated.
        principals: &'a str,
        /// Its serial.
        serial: u64,
        /// The certified key's SHA-256 fingerprint.
        fingerprint: &'a str,
    },
}

impl Event<'_> {
    /// The stable name in the `event` field.
    pub fn name(&self) -> &'static str {
        match self {
            Event::SignInAllowed { .. } => "sign_in.allowed",
            Event::SignInRefused { .. } => "sign_in.refused",
            Event::TokenIssued { .. } => "token.issued",
            Event::RevocationHit { .. } => "revocation.hit",
            Event::SignedOut { .. } => "sign_out",
            Event::LogoutSent { .. } => "logout.sent",
            Event::SshCertificate { .. } => "ssh.certificate",
        }
    }

    /// Writes the entry: refusals at WARNING, the rest at INFO.
    pub fn record(&self) {
        let event = self.name();
        match *self {
            Event::SignInAllowed { email, sub } => {
                tracing::info!(target: "monban::audit", event, email, sub, "signed in");
            }
            Event::SignInRefused {
                reason,
                email,
                detail,
            } => {
                tracing::warn!(target: "monban::audit", event, reason, email, detail, "sign-in refused");
            }
            Event::TokenIssued {
                client_id,
                grant,
                sub,
                email,
            } => {
                tracing::info!(target: "monban::audit", event, client_id, grant, sub, email, "tokens issued");
            }
            Event::RevocationHit { via, reason, email } => {
                tracing::warn!(target: "monban::audit", event, via, reason, email, "revoked sign-in refused");
            }
            Event::SignedOut { email, sub } => {
                tracing::info!(target: "monban::audit", event, email, sub, "signed out");
            }
            Event::LogoutSent {
                client_id,
                sub,
                delivered: true,
            } => {
                tracing::info!(target: "monban::audit", event, client_id, sub, delivered = true, "client told of the sign-out");
            }
            Event::LogoutSent { client_id, sub, .. } => {
                tracing::warn!(target: "monban::audit", event, client_id, sub, delivered = false, "client not reached with the sign-out");
            }
            Event::SshCertificate {
                email,
                principals,
                serial,
                fingerprint,
            } => {
                tracing::info!(target: "monban::audit", event, email, principals, serial, fingerprint, "SSH certificate issued");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::policy::Denial;

    #[test]
    fn event_names_are_the_documented_contract() {
        let names = [
            Event::SignInAllowed { email: "", sub: "" }.name(),
            Event::SignInRefused {
                reason: "",
                email: None,
                detail: None,
            }
            .name(),
            Event::TokenIssued {
                client_id: "",
                grant: "",
                sub: "",
                email: None,
            }
            .name(),
            Event::RevocationHit {
                via: "",
                reason: "",
                email: "",
            }
            .name(),
            Event::SignedOut { email: "", sub: "" }.name(),
            Event::LogoutSent {
                client_id: "",
                sub: "",
                delivered: false,
            }
            .name(),
            Event::SshCertificate {
                email: "",
                principals: "",
                serial: 0,
                fingerprint: "",
            }
            .name(),
        ];
        let guide = include_str!("../docs/deploy.md");
        for name in names {
            assert!(
                guide.contains(&format!("jsonPayload.event=\"{name}\"")),
                "docs/deploy.md has no query for {name}"
            );
        }
        assert_eq!(Denial::SignedOut.code(), "signed_out");
    }
}
