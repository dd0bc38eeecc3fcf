//! `GET|POST /userinfo` (OIDC Core §5.3): the profile of a Bearer access token's user, as today's
//! configuration sees them ([`crate::protocol::userinfo`]). The token comes in the `Authorization`
//! header, or in a POST's form body (RFC 6750 §2.2), never in the URL (§2.3: URLs end up in logs).

use actix_web::HttpResponse;
use actix_web::http::header;
use actix_web::web::{Data, Form};
use actix_web_httpauth::extractors::bearer::BearerAuth;
use serde::Deserialize;

use crate::http::error::oauth_response;
use crate::http::state::AppState;
use crate::protocol::claims::AccessClaims;
use crate::protocol::error::OAuthError;
use crate::protocol::userinfo::{presented_token, userinfo as profile};
use monban_verify::contract::ACCESS_TOKEN_TYP;

/// A POST's form body: the access token as `access_token` (RFC 6750 §2.2).
#[derive(Debug, Deserialize)]
pub struct TokenInBody {
    access_token: Option<String>,
}

/// The UserInfo endpoint.
pub async fn userinfo(
    auth: Option<BearerAuth>,
    body: Option<Form<TokenInBody>>,
    state: Data<AppState>,
) -> HttpResponse {
    let in_body = body.as_ref().and_then(|b| b.access_token.as_deref());
    let answer = presented_token(auth.as_ref().map(BearerAuth::token), in_body)
        .and_then(|token| {
            (state.tokens)
                .verify::<AccessClaims>(token, ACCESS_TOKEN_TYP, state.now())
                .map_err(|e| OAuthError::InvalidToken(e.to_string()))
        })
        .and_then(|claims| profile(&state.config, claims));
    match answer {
        Ok(body) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(body),
        Err(e) => oauth_response(&e),
    }
}
