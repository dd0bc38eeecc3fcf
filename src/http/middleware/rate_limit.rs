//! The middleware that applies [`crate::http::limiter`] to the endpoints that cost work or guard
//! secrets: `/login`, `/callback`, `/authorize`, `/token`, `/introspect` and `/logout`.

use actix_web::HttpResponse;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::web::Data;

use crate::http::error::{oauth_response, refusal_page};
use crate::http::limiter::Decision;
use crate::http::pages::Frame;
use crate::http::state::AppState;
use crate::protocol::error::OAuthError;
use crate::protocol::paths::TOKEN_PATH;

/// Middleware: refuses a request over its address's budget with 429 and `Retry-After`.
pub async fn limit(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let state = req
        .app_data::<Data<AppState>>()
        .expect("AppState is registered before any route");
    let peer = req.peer_addr().map(|a| a.ip());
    let decision = match state.rate_limit.client_ip(peer, req.headers()) {
        Some(ip) => state.rate_limit.check(ip),
        None => Decision::Allow,
    };
    match decision {
        Decision::Allow => Ok(next.call(req).await?.map_into_left_body()),
        Decision::Deny { retry_after_secs } => {
            let frame = state.frame(req.headers());
            let response = too_many_requests(req.path(), retry_after_secs, &frame);
            Ok(req.into_response(response).map_into_right_body())
        }
    }
}

/// 429: JSON for the token endpoint (OAuth clients parse it), a page for browsers.
fn too_many_requests(path: &str, retry_after_secs: u64, frame: &Frame<'_>) -> HttpResponse {
    if path == TOKEN_PATH {
        return oauth_response(&OAuthError::TooManyRequests { retry_after_secs });
    }
    tracing::warn!(
        path,
        retry_after_secs,
        "rate limit exceeded; request refused"
    );
    let seconds = retry_after_secs.to_string();
    let mut response = refusal_page(
        StatusCode::TOO_MANY_REQUESTS,
        frame,
        &frame.t("rate-limited-title", &[]),
        &frame.t("rate-limited-message", &[("seconds", &seconds)]),
        &[],
    );
    response.headers_mut().insert(
        header::RETRY_AFTER,
        header::HeaderValue::from(retry_after_secs),
    );
    response
}
