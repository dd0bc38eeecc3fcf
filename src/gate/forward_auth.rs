//! Forward auth (nginx `auth_request`, Traefik `forwardAuth`, Caddy `forward_auth`): the proxy
//! asks `/_monban/auth` before every request, with the browser's headers.
//!
//! - a person the rules admit: 200 with the identity headers;
//! - a person they refuse: 403 with the same page as the reverse proxy's, in their language;
//! - no session: a page load is sent to sign in when the proxy says which URL was asked
//!   (`X-Forwarded-Uri`: Traefik and Caddy hand the redirect to the browser), anything else 401
//!   (nginx turns that into a visit of `/_monban/start`, which tells page loads from scripts in
//!   turn);
//! - a session whose access token has expired: to `/_monban/start` (307, any request that
//!   follows redirects), which renews it and sends the request back. The auth endpoint itself
//!   never renews: a proxy does not hand its cookies to the browser, so every request would renew.

use actix_web::http::header;
use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse};

use super::Gate;
use super::handlers::{refused, to_sign_in};
use super::kind::is_navigation;
use super::renewal::Presence;

/// `/_monban/auth`: the answer to a proxy's question, as the module says.
pub async fn auth(req: HttpRequest, gate: Data<Gate>) -> HttpResponse {
    let presence = gate.presence(&req);
    match (presence, forwarded_url(&req)) {
        (Presence::Fresh(person), _) => {
            if !gate.config.admits(person.email.as_deref(), &person.roles) {
                return refused(&req, &person);
            }
            let mut response = HttpResponse::Ok();
            for (name, value) in person.headers() {
                response.insert_header((name, value));
            }
            response.finish()
        }
        (Presence::Renewable { .. }, Some(rd)) => {
            let mut to_renew = to_sign_in(&rd);
            *to_renew.status_mut() = actix_web::http::StatusCode::TEMPORARY_REDIRECT;
            to_renew
        }
        (_, Some(rd)) if is_navigation(&req) => to_sign_in(&rd),
        _ => HttpResponse::Unauthorized()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish(),
    }
}

/// The URL forward auth was asked about, from the proxy's `X-Forwarded-*` headers.
fn forwarded_url(req: &HttpRequest) -> Option<String> {
    let h = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let uri = h("x-forwarded-uri")?;
    let host = h("x-forwarded-host")?;
    let proto = h("x-forwarded-proto").unwrap_or("https");
    Some(format!("{proto}://{host}{uri}"))
}
