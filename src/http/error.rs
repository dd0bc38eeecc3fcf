//! Every refusal monban answers, mapped to HTTP in one place each: [`oauth_response`] for the
//! protocol's JSON errors (status, `WWW-Authenticate`, `Retry-After`, `no-store`), and
//! [`sign_in_page`] and [`refusal_page`] for the pages people see. Causes are logged here, once;
//! nothing that reaches a client carries a secret or an internal cause.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, HttpResponseBuilder};

use super::pages::{self, Action, Frame};
use crate::audit::Event;
use crate::config::Client;
use crate::config::policy::Denial;
use crate::protocol::authorize::asking_client;
use crate::protocol::error::OAuthError;
use crate::session::sign_in::SignInError;
use crate::upstream::UpstreamError;

/// The status of a protocol error (RFC 6749 §5.2, RFC 6750 §3.1, RFC 6585 §4).
fn status(error: &OAuthError) -> StatusCode {
    match error {
        OAuthError::InvalidClient(_) | OAuthError::InvalidToken(_) => StatusCode::UNAUTHORIZED,
        OAuthError::InsufficientScope(_) => StatusCode::FORBIDDEN,
        OAuthError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        OAuthError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        OAuthError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
        OAuthError::ServerError(_) => StatusCode::INTERNAL_SERVER_ERROR,
        OAuthError::TemporarilyUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// The one mapping of a protocol error to an HTTP response: its status, the headers it needs,
/// `Cache-Control: no-store`, and the JSON body `{"error", "error_description"}`.
pub fn oauth_response(error: &OAuthError) -> HttpResponse {
    match error {
        OAuthError::ServerError(cause) => tracing::error!(cause = cause.as_str(), "request failed"),
        _ => tracing::warn!(error = %error, description = %error.description(), "request refused"),
    }
    let mut response = HttpResponse::build(status(error));
    match error {
        OAuthError::InvalidClient(_) => {
            response.insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"monban\""));
        }
        OAuthError::InvalidToken(description) => {
            response.insert_header((
                header::WWW_AUTHENTICATE,
                format!(
                    "Bearer realm=\"monban\", error=\"invalid_token\", error_description=\"{description}\""
                ),
            ));
        }
        OAuthError::TooManyRequests { retry_after_secs } => {
            response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
        }
        _ => {}
    }
    response
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(serde_json::json!({"error": error.to_string(), "error_description": error.description()}))
}

/// A page that refuses a request and says what to do next.
pub fn refusal_page(
    status: StatusCode,
    frame: &Frame<'_>,
    title: &str,
    message: &str,
    actions: &[Action<'_>],
) -> HttpResponse {
    page_response(
        HttpResponse::build(status),
        pages::error(frame, title, message, actions),
    )
}

fn page_response(mut response: HttpResponseBuilder, body: String) -> HttpResponse {
    response
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

/// The status of a failed sign-in.
fn sign_in_status(error: &SignInError) -> StatusCode {
    match error {
        SignInError::BadState
        | SignInError::ExpiredState
        | SignInError::OtherBrowser
        | SignInError::Cancelled => StatusCode::BAD_REQUEST,
        SignInError::Upstream(UpstreamError::Unreachable(_)) => StatusCode::SERVICE_UNAVAILABLE,
        SignInError::Upstream(UpstreamError::BadResponse(_)) => StatusCode::BAD_GATEWAY,
        SignInError::Upstream(UpstreamError::Refused(_) | UpstreamError::InvalidIdToken(_)) => {
            StatusCode::BAD_REQUEST
        }
        SignInError::Denied(..) => StatusCode::FORBIDDEN,
    }
}

/// What a failed sign-in's page says: a title and a message a lab member can act on, naming the
/// application that asked when there was one.
fn sign_in_words(error: &SignInError, frame: &Frame<'_>, clients: &[Client]) -> (String, String) {
    let words = |id: &str| {
        (
            frame.t(&format!("{id}-title"), &[]),
            frame.t(&format!("{id}-message"), &[]),
        )
    };
    match error {
        SignInError::BadState => words("bad-state"),
        SignInError::ExpiredState => words("expired-state"),
        SignInError::OtherBrowser => words("other-browser"),
        SignInError::Cancelled => words("cancelled"),
        SignInError::Upstream(UpstreamError::Unreachable(_)) => words("unreachable"),
        SignInError::Upstream(UpstreamError::BadResponse(_)) => words("bad-response"),
        SignInError::Upstream(_) => words("unverified"),
        SignInError::Denied(denial, email, return_to) => {
            let this_account = frame.t("this-account", &[]);
            let email = email.as_deref().unwrap_or(&this_account);
            if *denial == Denial::EmailNotVerified {
                return (
                    frame.t("email-not-verified-title", &[]),
                    frame.t("email-not-verified-message", &[("email", email)]),
                );
            }
            let app = asking_client(return_to)
                .and_then(|id| clients.iter().find(|c| c.id == id))
                .map(|c| c.name.as_str());
            let message = match app {
                Some(app) => frame.t("not-allowed-app-message", &[("email", email), ("app", app)]),
                None => frame.t("not-allowed-message", &[("email", email)]),
            };
            (frame.t("not-allowed-title", &[]), message)
        }
    }
}

/// The page for a failed sign-in, with its audit entry (never a secret: the upstream errors
/// carry no codes or tokens).
pub fn sign_in_page(error: &SignInError, frame: &Frame<'_>, clients: &[Client]) -> HttpResponse {
    let detail = error.detail();
    Event::SignInRefused {
        reason: error.reason(),
        email: error.email(),
        detail: detail.as_deref(),
    }
    .record();
    let action = match error {
        SignInError::Denied(..) => Action {
            label: frame.t("other-account", &[]),
            href: "/login?prompt=select_account",
        },
        _ => Action {
            label: frame.t("sign-in-again", &[]),
            href: "/login",
        },
    };
    let (title, message) = sign_in_words(error, frame, clients);
    refusal_page(sign_in_status(error), frame, &title, &message, &[action])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(response: &HttpResponse, name: header::HeaderName) -> Option<&str> {
        response.headers().get(name).and_then(|v| v.to_str().ok())
    }

    #[test]
    fn each_protocol_error_has_its_status_and_headers() {
        let cases = [
            (OAuthError::InvalidRequest("x".into()), 400, None),
            (OAuthError::InvalidGrant("x".into()), 400, None),
            (OAuthError::UnsupportedGrantType("x".into()), 400, None),
            (OAuthError::PayloadTooLarge("x".into()), 413, None),
            (OAuthError::UnsupportedMediaType("x".into()), 415, None),
            (
                OAuthError::InvalidClient("x".into()),
                401,
                Some("Basic realm=\"monban\""),
            ),
            (
                OAuthError::InvalidToken("expired".into()),
                401,
                Some(
                    "Bearer realm=\"monban\", error=\"invalid_token\", error_description=\"expired\"",
                ),
            ),
            (
                OAuthError::TooManyRequests {
                    retry_after_secs: 7,
                },
                429,
                None,
            ),
            (OAuthError::ServerError("key refused".into()), 500, None),
            (OAuthError::TemporarilyUnavailable("x".into()), 503, None),
        ];
        for (error, code, www_authenticate) in cases {
            let response = oauth_response(&error);
            assert_eq!(response.status().as_u16(), code, "{error:?}");
            assert_eq!(
                header(&response, header::WWW_AUTHENTICATE),
                www_authenticate
            );
            assert_eq!(header(&response, header::CACHE_CONTROL), Some("no-store"));
        }
        let limited = oauth_response(&OAuthError::TooManyRequests {
            retry_after_secs: 7,
        });
        assert_eq!(header(&limited, header::RETRY_AFTER), Some("7"));
    }

    #[test]
    fn a_server_error_says_nothing_of_its_cause() {
        let error = OAuthError::ServerError("the RSA key at /keys/a.pem was refused".into());
        assert_eq!(error.to_string(), "server_error");
        assert!(!error.description().contains("RSA"));
    }
}
