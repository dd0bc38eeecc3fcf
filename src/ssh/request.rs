//! `POST /ssh/certificate` as a plain function: a verified access token with the `ssh` scope, the
//! person re-admitted under today's configuration, and the public key they sent.

use serde::Deserialize;
use ssh_key::PublicKey;

use super::{Ca, Issued};
use crate::audit::Event;
use crate::config::Config;
use crate::protocol::claims::{AccessClaims, readmit_subject};
use crate::protocol::error::OAuthError;

/// The scope an access token needs for a certificate.
pub const SSH_SCOPE: &str = "ssh";

/// The request's JSON body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateRequest {
    /// `ssh-ed25519 AAAA… comment`.
    pub public_key: String,
}

/// A certificate for the person of `claims` (verified) and `request`'s key at `now`, or why not.
pub fn certificate(
    config: &Config,
    ca: &Ca,
    claims: &AccessClaims,
    request: &CertificateRequest,
    now: u64,
) -> Result<Issued, OAuthError> {
    if !claims.has_scope(SSH_SCOPE) {
        return Err(OAuthError::InsufficientScope(
            "this access token lacks the ssh scope: the client must list ssh in allowed_scopes and ask for it".into(),
        ));
    }
    let Some(email) = claims.email.as_deref() else {
        return Err(OAuthError::InvalidToken(
            "this access token names no person".into(),
        ));
    };
    let roles = readmit_subject(config, claims).map_err(|denial| {
        Event::RevocationHit {
            via: "ssh_certificate",
            reason: denial.code(),
            email,
        }
        .record();
        OAuthError::AccessDenied(denial.explanation().into())
    })?;
    let key = PublicKey::from_openssh(request.public_key.trim()).map_err(|_| {
        OAuthError::InvalidRequest("public_key is not an OpenSSH public key line".into())
    })?;
    let auth_time = claims.auth_time.unwrap_or(claims.iat);
    let session_end = auth_time + config.lifetimes.session.as_secs();
    let issued = (ca.certify(&key, email, &roles, now, session_end))
        .map_err(|e| OAuthError::InvalidRequest(format!("no certificate for this key: {e}")))?;
    Event::SshCertificate {
        email,
        principals: &issued.principals.join(","),
        serial: issued.serial,
        fingerprint: &issued.fingerprint,
    }
    .record();
    Ok(issued)
}
