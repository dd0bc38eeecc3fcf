//! `/ssh/…`: the OpenSSH CA's public keys, the `known_hosts` line, and user certificates
//! ([`crate::ssh`]). Without `[ssh]` CA keys they are not found, like any unknown path.

use actix_web::http::header;
use actix_web::web::{Data, Json};
use actix_web::{HttpRequest, HttpResponse};
use actix_web_httpauth::extractors::bearer::BearerAuth;
use monban_verify::contract::ACCESS_TOKEN_TYP;

use crate::http::error::oauth_response;
use crate::http::state::AppState;
use crate::protocol::claims::AccessClaims;
use crate::protocol::error::OAuthError;
use crate::ssh::request::{CertificateRequest, certificate};

/// `GET /ssh/ca.pub`: the lines of `TrustedUserCAKeys` (cached like the JWKS).
pub async fn ca_pub(req: HttpRequest, state: Data<AppState>) -> HttpResponse {
    match &state.ssh {
        Some(ssh) => ssh.public_keys.respond(&req),
        None => HttpResponse::NotFound().finish(),
    }
}

/// `GET /ssh/known_hosts`: the `@cert-authority` line for hosts this CA certified.
pub async fn known_hosts(req: HttpRequest, state: Data<AppState>) -> HttpResponse {
    match &state.ssh {
        Some(ssh) => ssh.known_hosts.respond(&req),
        None => HttpResponse::NotFound().finish(),
    }
}

/// `POST /ssh/certificate`: a user certificate for the bearer's public key.
pub async fn issue(
    auth: Option<BearerAuth>,
    body: Option<Json<CertificateRequest>>,
    state: Data<AppState>,
) -> HttpResponse {
    let Some(ssh) = &state.ssh else {
        return HttpResponse::NotFound().finish();
    };
    let answer = (auth.ok_or_else(|| {
        OAuthError::InvalidToken("send the access token as Authorization: Bearer".into())
    }))
    .and_then(|auth| {
        (state.tokens)
            .verify::<AccessClaims>(auth.token(), ACCESS_TOKEN_TYP, state.now())
            .map_err(|e| OAuthError::InvalidToken(e.to_string()))
    })
    .and_then(|claims| {
        let request = body.ok_or_else(|| {
            OAuthError::InvalidRequest(r#"send {"public_key": "ssh-ed25519 AAAA…"} as JSON"#.into())
        })?;
        certificate(&state.config, &ssh.ca, &claims, &request, state.now())
    });
    match answer {
        Ok(issued) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(issued),
        Err(e) => oauth_response(&e),
    }
}
