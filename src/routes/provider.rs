//! `GET /authorize`, `POST /token`, `GET|POST /userinfo`: HTTP adapters over `provider`.
//! Protocol errors map to status, headers and body in exactly one place each: [`token_error`]
//! (RFC 6749 §5.2), [`bearer_error`] (RFC 6750 §3) and the `/authorize` redirect or page.

use actix_web::http::header;
use actix_web::web::{Data, Form, Query};
use actix_web::{HttpRequest, HttpResponse};
use actix_web_httpauth::extractors::bearer::BearerAuth;
use url::Url;

use crate::oidc::{AUTHORIZE_PATH, LOGIN_PATH};
use crate::pages;
use crate::provider::{
    AccessClaims, AuthorizeError, AuthorizeQuery, AuthorizeRequest, Issuer, OAuthError, TokenForm,
    authenticate_client,
};
use crate::startup::AppState;
use crate::tokens::{TYP_ACCESS_TOKEN, unix_now};

/// The authorization endpoint: single sign-on when a session suffices, else Google.
pub async fn authorize(
    req: HttpRequest,
    query: Query<AuthorizeQuery>,
    state: Data<AppState>,
) -> HttpResponse {
    let request = match AuthorizeRequest::parse(&query, &state.config.clients) {
        Ok(r) => r,
        Err(AuthorizeError::NoRedirect(message)) => {
            return HttpResponse::BadRequest()
                .content_type("text/html; charset=utf-8")
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .body(pages::error(
                    &state.config.org_name,
                    "This sign-in request cannot be accepted",
                    &message,
                    &[],
                ));
        }
        Err(AuthorizeError::Redirect(r)) => {
            return redirect_error(r.redirect_uri, r.state.as_deref(), &r.error, &state);
        }
    };
    let now = unix_now();
    match state.session(&req) {
        Some(session) if request.session_suffices(&session, now) => {
            let code = request.code(&state.sealer, &session, now);
            let mut target = request.redirect_uri.clone();
            target
                .query_pairs_mut()
                .append_pair("code", &code)
                .append_pair("iss", state.config.issuer_str());
            if let Some(s) = &request.state {
                target.query_pairs_mut().append_pair("state", s);
            }
            see_other(target.as_str())
        }
        _ if request.prompt_none => redirect_error(
            request.redirect_uri.clone(),
            request.state.as_deref(),
            &OAuthError::LoginRequired("nobody is signed in".into()),
            &state,
        ),
        _ => see_other(&login_url(&req, &request)),
    }
}

/// `/login` that comes back to this same `/authorize` request, minus the `prompt` that sent it
/// there (or it would loop).
fn login_url(req: &HttpRequest, request: &AuthorizeRequest) -> String {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(req.query_string().as_bytes())
        .filter(|(k, _)| k != "prompt")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let back = format!(
        "{AUTHORIZE_PATH}?{}",
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish()
    );
    let mut login = url::form_urlencoded::Serializer::new(String::new());
    login.append_pair("return_to", &back);
    if request.prompt_select_account {
        login.append_pair("prompt", "select_account");
    } else if request.prompt_login {
        login.append_pair("prompt", "login");
    }
    if let Some(hint) = &request.login_hint {
        login.append_pair("login_hint", hint);
    }
    format!("{LOGIN_PATH}?{}", login.finish())
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

fn redirect_error(
    mut redirect_uri: Url,
    client_state: Option<&str>,
    error: &OAuthError,
    state: &AppState,
) -> HttpResponse {
    redirect_uri
        .query_pairs_mut()
        .append_pair("error", &error.to_string())
        .append_pair("error_description", error.description())
        .append_pair("iss", state.config.issuer_str());
    if let Some(s) = client_state {
        redirect_uri.query_pairs_mut().append_pair("state", s);
    }
    see_other(redirect_uri.as_str())
}

/// The token endpoint: `authorization_code` and `refresh_token` grants.
pub async fn token(req: HttpRequest, form: Form<TokenForm>, state: Data<AppState>) -> HttpResponse {
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let result =
        authenticate_client(authorization, &form, &state.config.clients).and_then(|client| {
            let issuer = Issuer {
                tokens: &state.tokens,
                sealer: &state.sealer,
                config: &state.config,
            };
            let now = unix_now();
            match form.grant_type.as_deref() {
                Some("authorization_code") => issuer.redeem_code(client, &form, now),
                Some("refresh_token") => issuer.refresh(client, &form, now),
                Some(other) => Err(OAuthError::UnsupportedGrantType(format!(
                    "grant_type {other} is not supported"
                ))),
                None => Err(OAuthError::InvalidRequest("grant_type is missing".into())),
            }
        });
    match result {
        Ok(response) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::PRAGMA, "no-cache"))
            .json(response),
        Err(e) => token_error(&e),
    }
}

/// An OAuth-style JSON error body (`error`, `error_description`) with `no-store`, the one shape
/// every JSON refusal of monban's takes: token errors, unreadable forms, the rate limit.
pub fn oauth_json_error(
    mut response: actix_web::HttpResponseBuilder,
    error: &str,
    description: &str,
) -> HttpResponse {
    response
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(serde_json::json!({"error": error, "error_description": description}))
}

/// RFC 6749 §5.2: JSON error, 400, or 401 with `WWW-Authenticate` for client authentication.
pub fn token_error(error: &OAuthError) -> HttpResponse {
    tracing::warn!(error = %error, description = error.description(), "token request refused");
    let mut response = HttpResponse::build(
        actix_web::http::StatusCode::from_u16(error.status()).expect("400 or 401"),
    );
    if matches!(error, OAuthError::InvalidClient(_)) {
        response.insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"monban\""));
    }
    oauth_json_error(response, &error.to_string(), error.description())
}

/// RFC 6750 §3: 401 with `WWW-Authenticate: Bearer error="invalid_token"`.
pub fn bearer_error(description: &str) -> HttpResponse {
    HttpResponse::Unauthorized()
        .insert_header((
            header::WWW_AUTHENTICATE,
            format!("Bearer realm=\"monban\", error=\"invalid_token\", error_description=\"{description}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(serde_json::json!({"error": "invalid_token", "error_description": description}))
}

/// The UserInfo endpoint: the profile of the access token's user.
pub async fn userinfo(auth: BearerAuth, state: Data<AppState>) -> HttpResponse {
    match state
        .tokens
        .verify::<AccessClaims>(auth.token(), TYP_ACCESS_TOKEN, unix_now())
    {
        Ok(claims) => {
            let mut body = serde_json::to_value(&claims.profile).expect("profile serializes");
            body["sub"] = claims.sub.into();
            HttpResponse::Ok()
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .json(body)
        }
        Err(e) => bearer_error(&e.to_string()),
    }
}
