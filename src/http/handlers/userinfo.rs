//! `GET|POST /userinfo` (OIDC Core §5.3): the profile of a Bearer access token's user, as today's
//! configuration sees them ([`crate::protocol::userinfo`]).

use actix_web::HttpResponse;
use actix_web::http::header;
use actix_web::web::Data;
use actix_web_httpauth::extractors::bearer::BearerAuth;

use crate::http::error::oauth_response;
use crate::http::state::AppState;
use crate::protocol::claims::AccessClaims;
use crate::protocol::error::OAuthError;
use crate::protocol::userinfo::userinfo as profile;
use monban_verify::contract::ACCESS_TOKEN_TYP;

/// The UserInfo endpoint.
pub async fn userinfo(auth: BearerAuth, state: Data<AppState>) -> HttpResponse {
    let answer = state
        .tokens
        .verify::<AccessClaims>(auth.token(), ACCESS_TOKEN_TYP, state.now())
        .map_err(|e| OAuthError::InvalidToken(e.to_string()))
        .and_then(|claims| profile(&state.config, claims));
    match answer {
        Ok(body) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(body),
        Err(e) => oauth_response(&e),
    }
}
