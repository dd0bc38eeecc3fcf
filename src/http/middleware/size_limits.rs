//! Size limits that turn oversized input into a cheap 4xx before any handler works on it.
//!
//! actix-web itself refuses a request head over 128 KiB or with more than 96 headers (431) and,
//! through [`form_config`], a form body over [`MAX_FORM_BYTES`] (413). These limits are tighter
//! and give a clear message: nothing monban accepts comes near them (the longest legitimate URL is
//! an `/authorize` request; the biggest header a sealed session cookie).

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::{InternalError, UrlencodedError};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::web::FormConfig;
use actix_web::{HttpRequest, HttpResponse};

use crate::http::error::oauth_response;
use crate::protocol::error::OAuthError;

/// Longest path plus query accepted (414 beyond).
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// Longest single header value accepted (431 beyond).
pub const MAX_HEADER_BYTES: usize = 8 * 1024;
/// Most bytes of all headers together (431 beyond).
pub const MAX_HEADERS_TOTAL_BYTES: usize = 16 * 1024;
/// Largest form body accepted at `/token` and `/logout` (413 beyond).
pub const MAX_FORM_BYTES: usize = 16 * 1024;

/// Which limit a request head breaks, if any: the status and the message.
pub fn check_head(uri_len: usize, headers: &header::HeaderMap) -> Option<(StatusCode, String)> {
    if uri_len > MAX_URI_BYTES {
        return Some((
            StatusCode::URI_TOO_LONG,
            format!("the URL is {uri_len} bytes; at most {MAX_URI_BYTES} are accepted"),
        ));
    }
    let mut total = 0;
    for (name, value) in headers {
        let len = name.as_str().len() + value.len();
        if value.len() > MAX_HEADER_BYTES {
            return Some((
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                format!(
                    "the {name} header is {} bytes; at most {MAX_HEADER_BYTES} are accepted",
                    value.len()
                ),
            ));
        }
        total += len;
    }
    (total > MAX_HEADERS_TOTAL_BYTES).then(|| {
        (
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            format!(
                "the headers total {total} bytes; at most {MAX_HEADERS_TOTAL_BYTES} are accepted"
            ),
        )
    })
}

/// Middleware: 414 for an overlong URL, 431 for oversized headers.
pub async fn reject_oversized(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let uri_len = req.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
    match check_head(uri_len, req.headers()) {
        None => Ok(next.call(req).await?.map_into_left_body()),
        Some((status, message)) => {
            tracing::warn!(status = status.as_u16(), "oversized request refused");
            let response = HttpResponse::build(status)
                .content_type("text/plain; charset=utf-8")
                .body(message);
            Ok(req.into_response(response).map_into_right_body())
        }
    }
}

/// Form bodies: at most [`MAX_FORM_BYTES`]; a bad form is an OAuth-style JSON `invalid_request`
/// (400, 413 when too large, 415 when not a form) so token clients can read it.
pub fn form_config() -> FormConfig {
    FormConfig::default().limit(MAX_FORM_BYTES).error_handler(
        |err: UrlencodedError, _req: &HttpRequest| {
            let error = match &err {
                UrlencodedError::Overflow { .. } => OAuthError::PayloadTooLarge(format!(
                    "the request body is larger than {MAX_FORM_BYTES} bytes"
                )),
                UrlencodedError::ContentType => OAuthError::UnsupportedMediaType(
                    "the body must be application/x-www-form-urlencoded".into(),
                ),
                other => OAuthError::InvalidRequest(format!("the form cannot be read: {other}")),
            };
            InternalError::from_response(err, oauth_response(&error)).into()
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};

    fn headers(pairs: &[(&'static str, usize)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, len) in pairs {
            h.append(
                HeaderName::from_static(name),
                HeaderValue::from_str(&"a".repeat(*len)).unwrap(),
            );
        }
        h
    }

    #[test]
    fn ordinary_requests_pass() {
        assert_eq!(
            check_head(300, &headers(&[("cookie", 900), ("user-agent", 120)])),
            None
        );
    }

    #[test]
    fn each_limit_has_its_status() {
        let (status, message) = check_head(MAX_URI_BYTES + 1, &HeaderMap::new()).unwrap();
        assert_eq!(status, StatusCode::URI_TOO_LONG);
        assert!(message.contains("URL"));
        let (status, message) =
            check_head(10, &headers(&[("cookie", MAX_HEADER_BYTES + 1)])).unwrap();
        assert_eq!(status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
        assert!(message.contains("cookie"));
        let many: Vec<(&'static str, usize)> = vec![("x-a", 6000); 3];
        let (status, _) = check_head(10, &headers(&many)).unwrap();
        assert_eq!(status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    }
}
