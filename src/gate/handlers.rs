//! The gate's own paths (`/_monban/start`, `/_monban/callback`, `/_monban/logout`,
//! `/_monban/auth`) and everything else, which is the app's.

use actix_web::http::{StatusCode, header};
use actix_web::web::{Data, Payload, Query};
use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;

use super::headers::{Identity, to_app};
use super::kind::{is_navigation, is_script};
use super::proxy::{forward, upstream_url, websocket};
use super::renewal::Presence;
use super::session::{self, GateLogin, GatePerson, LOGIN_TTL_SECS, RENEWAL_WINDOW_SECS};
use super::{Gate, LOGOUT_PATH, START_PATH};
use crate::http::pages::plain;
use crate::i18n::Locale;
use crate::session::login_state::safe_return_to;
use crate::session::random_token;
use crate::session::seal::Purpose;
use crate::upstream::{AuthorizationRequest, IDENTITY_SCOPES, Issued};

/// `rd`: where to go once signed in.
#[derive(Debug, Deserialize)]
pub struct StartQuery {
    rd: Option<String>,
}

/// Leaves for monban's `/authorize`, with the sign-in in flight sealed into a cookie. A session
/// whose access token has expired (forward auth sends such requests here, with whatever method
/// they had) is renewed instead, and the request goes back where it was (307: same method and
/// body). A script without a session gets 401: a redirect to monban's pages would not help it.
pub async fn start(req: HttpRequest, query: Query<StartQuery>, gate: Data<Gate>) -> HttpResponse {
    // `rd` may be a path, or a URL on the gate's own origin (as forward auth sends it); nginx
    // passes the original request's as `X-Forwarded-Uri`.
    let forwarded = req
        .headers()
        .get("x-forwarded-uri")
        .and_then(|v| v.to_str().ok());
    let rd = query
        .rd
        .as_deref()
        .or(forwarded)
        .map(|rd| rd.strip_prefix(gate.config.origin()).unwrap_or(rd));
    let return_to = safe_return_to(rd);
    let mut cleared = Vec::new();
    let presence = gate.presence(&req);
    if matches!(presence, Presence::Renewable { .. }) {
        let visit = gate.settle(presence).await;
        if visit.person.is_some() {
            let mut back = HttpResponse::TemporaryRedirect()
                .insert_header((header::LOCATION, return_to))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .finish();
            with_cookies(&mut back, &visit.cookies);
            return back;
        }
        cleared = visit.cookies;
    }
    let mut response = if is_script(&req) {
        HttpResponse::Unauthorized().body("Sign in first.")
    } else {
        leave_for_monban(&req, &gate, return_to).await
    };
    with_cookies(&mut response, &cleared);
    response
}

/// The redirect to monban's `/authorize` for a new sign-in that returns to `return_to`.
async fn leave_for_monban(req: &HttpRequest, gate: &Gate, return_to: String) -> HttpResponse {
    let login = GateLogin {
        state: random_token(),
        nonce: random_token(),
        verifier: random_token(),
        return_to,
    };
    let request = AuthorizationRequest {
        state: &login.state,
        nonce: &login.nonce,
        pkce_verifier: &login.verifier,
        select_account: false,
        force_login: false,
        max_age: None,
        login_hint: None,
        scopes: IDENTITY_SCOPES,
        resource: None,
    };
    let now = gate.now();
    let url = match gate.monban.authorization_url(&request, now).await {
        Ok(url) => url,
        Err(e) => return unavailable(req, &e.to_string()),
    };
    let sealed = gate
        .sealer
        .seal(Purpose::LoginState, &login, now + LOGIN_TTL_SECS);
    let cookies = &gate.cookies;
    let cookie = cookies.attributes.build(cookies.login, sealed, None);
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, url.as_str()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .cookie(cookie)
        .finish()
}

/// monban's answer.
#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// Finishes the sign-in: the code exchanged, the access token verified offline, the person sealed
/// into the gate's cookie until the token expires.
pub async fn callback(
    req: HttpRequest,
    query: Query<CallbackQuery>,
    gate: Data<Gate>,
) -> HttpResponse {
    let now = gate.now();
    let login: Option<GateLogin> = session::cookie_value(&req, gate.cookies.login)
        .and_then(|c| gate.sealer.open(Purpose::LoginState, c, now).ok());
    let (Some(login), Some(code)) = (login, query.code.as_deref()) else {
        if let Some(error) = &query.error {
            tracing::info!(error = error.as_str(), "monban did not sign the person in");
        }
        return again(&req);
    };
    if query.state.as_deref() != Some(login.state.as_str()) {
        return again(&req);
    }
    let issued = match gate
        .monban
        .sign_in(code, &login.verifier, &login.nonce, now)
        .await
    {
        Ok((_, issued)) => issued,
        Err(e) => return unavailable(&req, &e.to_string()),
    };
    let claims = match gate.verifier().await {
        Ok(verifier) => verifier.verify(&issued.access_token).await,
        Err(e) => return unavailable(&req, &e),
    };
    match claims {
        Ok(claims) => signed_in(&gate, &login.return_to, &issued, claims, now),
        Err(_) => {
            tracing::warn!("monban's access token did not verify at the gate");
            again(&req)
        }
    }
}

/// The person sealed into the gate's cookie, monban's tokens beside it, and on to where the
/// sign-in was to return. With a refresh token the gate renews the access token for up to
/// [`RENEWAL_WINDOW_SECS`]; without one the session ends with the token.
fn signed_in(
    gate: &Gate,
    return_to: &str,
    issued: &Issued,
    claims: monban_verify::Claims,
    now: u64,
) -> HttpResponse {
    let until = match issued.refresh_token {
        Some(_) => now + RENEWAL_WINDOW_SECS,
        None => claims.exp,
    };
    let person = GatePerson::of(claims, &issued.access_token, until);
    let mut response = HttpResponse::SeeOther();
    response
        .insert_header((header::LOCATION, return_to))
        .insert_header((header::CACHE_CONTROL, "no-store"));
    for cookie in gate.session_cookies(&person, issued, now) {
        response.cookie(cookie);
    }
    response
        .cookie(gate.cookies.removal(gate.cookies.login))
        .finish()
}

/// `GET /_monban/logout`: a page with the sign-out button (a link, or a page of another site,
/// cannot sign anyone out).
pub async fn logout_page(req: HttpRequest) -> HttpResponse {
    let locale = locale(&req);
    let form = format!(
        r#"<form method="post" action="{LOGOUT_PATH}"><button type="submit">{}</button></form>"#,
        html_escape::encode_text(&locale.t("sign-out"))
    );
    let mut response = page(
        &req,
        StatusCode::OK,
        "gate-sign-out-title",
        "gate-sign-out-message",
        &[],
        &form,
    );
    // The button's POST must carry the page's origin (`no-referrer` would make it `null`).
    response.headers_mut().insert(
        header::REFERRER_POLICY,
        header::HeaderValue::from_static("same-origin"),
    );
    response
}

/// `POST /_monban/logout` from the gate's own origin: clears the gate's cookies and goes on to
/// sign out of monban too, at once (the hint is the person's own ID token), and back to the
/// app's front page. From anywhere else: refused, still signed in.
pub async fn logout(req: HttpRequest, gate: Data<Gate>) -> HttpResponse {
    if !same_origin(&req, &gate.config.url) {
        return page(
            &req,
            StatusCode::FORBIDDEN,
            "bad-sign-out-title",
            "foreign-sign-out",
            &[],
            "",
        );
    }
    let hint = session::cookie_value(&req, gate.cookies.id);
    let target = monban_logout(&gate, hint);
    let mut response = HttpResponse::SeeOther();
    response.insert_header((header::LOCATION, target));
    for name in gate.cookies.names() {
        response.cookie(gate.cookies.removal(name));
    }
    response.finish()
}

/// monban's sign-out for this gate: with the ID token of the person's sign-in as the hint, monban
/// signs them out without asking and returns to the app's front page (the gate's
/// `post_logout_redirect_uri`, `MONBAN_GATE__URL` with `/`); without one, monban asks first.
fn monban_logout(gate: &Gate, hint: Option<&str>) -> String {
    let issuer = gate.config.issuer.as_str().trim_end_matches('/');
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("client_id", &gate.config.client_id);
    if let Some(hint) = hint {
        query
            .append_pair("id_token_hint", hint)
            .append_pair("post_logout_redirect_uri", gate.config.url.as_str());
    }
    format!("{issuer}/logout?{}", query.finish())
}

/// Whether the browser says `req` comes from the gate's own origin: its `Origin`, or, where it
/// sent none, `Sec-Fetch-Site: same-origin`. `Origin: null` (a page without a referrer) is not.
fn same_origin(req: &HttpRequest, gate: &url::Url) -> bool {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    match header("origin") {
        Some(origin) => origin == gate.origin().ascii_serialization(),
        None => header("sec-fetch-site") == Some("same-origin"),
    }
}

/// `cookies` set on `response`.
pub(super) fn with_cookies(
    response: &mut HttpResponse,
    cookies: &[actix_web::cookie::Cookie<'static>],
) {
    for cookie in cookies {
        response
            .add_cookie(cookie)
            .expect("a cookie is a valid header");
    }
}

/// Everything else: the app's, for a person the rules admit. A websocket only from the gate's
/// own origin (a page of a sibling host would otherwise ride on the person's cookie).
pub async fn app(
    req: HttpRequest,
    payload: Payload,
    gate: Data<Gate>,
    client: Data<awc::Client>,
) -> HttpResponse {
    let visit = gate.visit(&req).await;
    let mut response = match visit.person {
        Some(person) => pass(&req, payload, &gate, &client, &person).await,
        None if is_navigation(&req) => {
            to_sign_in(req.uri().path_and_query().map_or("/", |p| p.as_str()))
        }
        None => HttpResponse::Unauthorized()
            .insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"monban gate\""))
            .body("Sign in first."),
    };
    with_cookies(&mut response, &visit.cookies);
    response
}

/// A signed-in person's request, to the app if the rules admit them.
async fn pass(
    req: &HttpRequest,
    payload: Payload,
    gate: &Gate,
    client: &awc::Client,
    person: &Identity,
) -> HttpResponse {
    if !gate.config.admits(person.email.as_deref(), &person.roles) {
        return refused(req, person);
    }
    let gate_cookies = gate.cookies.names();
    let headers = to_app(req.headers(), &gate.hop(req), person, |name| {
        gate_cookies.contains(&name)
    });
    let url = upstream_url(&gate.config.upstream, req);
    let upgrade = req.headers().get(header::UPGRADE);
    if upgrade.is_some_and(|u| u.as_bytes().eq_ignore_ascii_case(b"websocket")) {
        if req.headers().contains_key(header::ORIGIN) && !same_origin(req, &gate.config.url) {
            return HttpResponse::Forbidden()
                .body("A websocket is accepted only from this application's own pages.");
        }
        websocket(client, url, req, headers, payload).await
    } else {
        forward(client, url, req, headers, payload).await
    }
}

/// A redirect to the gate's sign-in, which returns to `rd`.
pub(super) fn to_sign_in(rd: &str) -> HttpResponse {
    let target = format!(
        "{START_PATH}?{}",
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("rd", rd)
            .finish()
    );
    HttpResponse::Found()
        .insert_header((header::LOCATION, target))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// The browser's language (Japanese or English).
fn locale(req: &HttpRequest) -> Locale {
    let accept = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    Locale::negotiate(accept, Locale::En)
}

/// The gate's own pages, in the browser's language: a title, a message and `html` after it.
fn page(
    req: &HttpRequest,
    status: StatusCode,
    title: &str,
    message: &str,
    args: &[(&str, &str)],
    html: &str,
) -> HttpResponse {
    let locale = locale(req);
    let message = html_escape::encode_text(&locale.format(message, args)).into_owned();
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(plain(
            locale,
            &locale.t(title),
            &format!("<p>{message}</p>{html}"),
        ))
}

/// The 403 page: who is signed in, and that the app is not open to them.
pub(super) fn refused(req: &HttpRequest, person: &Identity) -> HttpResponse {
    let who = person.email.as_deref().unwrap_or(&person.sub);
    page(
        req,
        StatusCode::FORBIDDEN,
        "gate-refused-title",
        "gate-refused-message",
        &[("who", who)],
        "",
    )
}

fn again(req: &HttpRequest) -> HttpResponse {
    page(
        req,
        StatusCode::BAD_REQUEST,
        "gate-again-title",
        "gate-again-message",
        &[],
        "",
    )
}

fn unavailable(req: &HttpRequest, why: &str) -> HttpResponse {
    tracing::warn!(error = why, "monban unavailable to the gate");
    page(
        req,
        StatusCode::SERVICE_UNAVAILABLE,
        "gate-unavailable-title",
        "gate-unavailable-message",
        &[],
        "",
    )
}
