//! `GET|POST /userinfo` (OIDC Core §5.3): the profile of a Bearer access token's user.

use actix_web::HttpResponse;
use actix_web::http::header;
use actix_web::web::Data;
use actix_web_httpauth::extractors::bearer::BearerAuth;

use crate::http::error::oauth_response;
use crate::http::state::AppState;
use crate::protocol::claims::{AccessClaims, Profile};
use crate::protocol::error::OAuthError;
use crate::tokens::TYP_ACCESS_TOKEN;

/// The UserInfo endpoint.
pub async fn userinfo(auth: BearerAuth, state: Data<AppState>) -> HttpResponse {
    let verified = state
        .tokens
        .verify::<AccessClaims>(auth.token(), TYP_ACCESS_TOKEN, state.now());
    let signed_out = |c: &AccessClaims| {
        let email = c.email.as_deref().unwrap_or_default();
        state
            .config
            .sign_outs
            .signed_out(email, c.auth_time.unwrap_or(c.iat))
    };
    match verified {
        Ok(claims) if signed_out(&claims) => oauth_response(&OAuthError::InvalidToken(
            "the administrator signed this sign-in out".into(),
        )),
        // A client's own token (client credentials) has no user to describe.
        Ok(claims) if !claims.has_scope("openid") => oauth_response(&OAuthError::InvalidToken(
            "this access token was not issued for a user (no openid scope)".into(),
        )),
        Ok(claims) => {
            let mut body = serde_json::to_value(Profile::of_access_token(&claims))
                .expect("a profile serializes");
            body["sub"] = claims.sub.into();
            HttpResponse::Ok()
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .json(body)
        }
        Err(e) => oauth_response(&OAuthError::InvalidToken(e.to_string())),
    }
}
