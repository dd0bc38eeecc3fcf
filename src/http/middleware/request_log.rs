//! One log line per request, in the fields Cloud Logging reads as an HTTP request entry.

use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web::Data;
use tracing::Level;

use crate::http::state::AppState;
use crate::telemetry::{TraceContext, trace_context};

/// What is logged of a request: never the query (it may carry a code or a token) nor a cookie.
struct RequestFields {
    method: String,
    path: String,
    /// The public URL without its query: the issuer's origin and the path, as Cloud Logging
    /// expects `httpRequest.requestUrl` to be.
    url: String,
    user_agent: String,
    remote_ip: String,
    trace: Option<TraceContext>,
}

impl RequestFields {
    fn of(req: &ServiceRequest) -> Self {
        let origin = req
            .app_data::<Data<AppState>>()
            .map(|state| state.config.issuer.origin().ascii_serialization())
            .unwrap_or_default();
        Self {
            method: req.method().to_string(),
            path: req.path().to_string(),
            url: format!("{origin}{}", req.path()),
            user_agent: req
                .headers()
                .get("user-agent")
                .and_then(|v| v.to_str().ok())
                .map(|s| s.chars().take(200).collect::<String>())
                .unwrap_or_default(),
            // The same hop-aware address the rate limit counts, never the leftmost (client-written)
            // `X-Forwarded-For` entry.
            remote_ip: req
                .app_data::<Data<AppState>>()
                .and_then(|state| {
                    let peer = req.peer_addr().map(|a| a.ip());
                    state.rate_limit.client_ip(peer, req.headers())
                })
                .map(|ip| ip.to_string())
                .unwrap_or_default(),
            trace: trace_context(req.headers()),
        }
    }

    /// Writes the line: errors (5xx) at ERROR, the rest at INFO.
    fn emit(&self, status: u16, elapsed: Duration) {
        let latency = format!("{:.6}s", elapsed.as_secs_f64());
        let trace_id = self.trace.as_ref().map(|t| t.trace_id.as_str());
        let span_id = self.trace.as_ref().and_then(|t| t.span_id.as_deref());
        macro_rules! request_event {
            ($level:expr) => {
                tracing::event!(
                    target: "monban::http",
                    $level,
                    http.requestMethod = self.method.as_str(),
                    http.requestUrl = self.url.as_str(),
                    latency_ms = elapsed.as_millis() as u64,
                    http.status = status,
                    http.latency = latency.as_str(),
                    http.userAgent = self.user_agent.as_str(),
                    http.remoteIp = self.remote_ip.as_str(),
                    trace_id = trace_id,
                    span_id = span_id,
                    "{} {} {status} {:.1}ms",
                    self.method,
                    self.path,
                    elapsed.as_secs_f64() * 1000.0
                )
            };
        }
        if status >= 500 {
            request_event!(Level::ERROR);
        } else {
            request_event!(Level::INFO);
        }
    }
}

/// Middleware: one log line per request with method, path (never the query), status and latency.
pub async fn log_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let fields = RequestFields::of(&req);
    let result = next.call(req).await;
    let status = match &result {
        Ok(res) => res.status().as_u16(),
        Err(e) => e.as_response_error().status_code().as_u16(),
    };
    fields.emit(status, started.elapsed());
    result
}
