//! Logging: readable text on a terminal, Google Cloud Logging JSON on Cloud Run.
//!
//! The JSON shape is Cloud Logging's structured-logging contract: `severity` (which it reads
//! instead of `level`), `message`, an `httpRequest` object for request lines, and
//! `logging.googleapis.com/trace` so a request's lines group under its trace. `tracing-stackdriver`
//! would do this but has had no release since 2024 and pulls in `time`; the contract is small, so
//! a hundred lines of our own keep it exact and dependency-free.
//!
//! Nothing here ever sees a query string, a header value other than the trace context and the
//! user agent, or a body: tokens, codes and cookies cannot reach a log line from this module.

use std::io::Write as _;
use std::time::SystemTime;

use actix_web::http::header::HeaderMap;
use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

/// Fields of request events whose names start with this go into Cloud Logging's `httpRequest`.
const HTTP_PREFIX: &str = "http.";

/// Installs the global subscriber: JSON for Cloud Logging when `json`, text otherwise. The level
/// comes from `RUST_LOG` (default `info`). `gcp_project` (from `GOOGLE_CLOUD_PROJECT`) turns trace
/// ids into the resource names Cloud Logging correlates.
pub fn init(json: bool, gcp_project: Option<String>) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
    // A second init (tests build several apps in one process) keeps the first subscriber.
    let _ = if json {
        registry.with(CloudLoggingLayer { gcp_project }).try_init()
    } else {
        registry
            .with(tracing_subscriber::fmt::layer().with_target(false))
            .try_init()
    };
}

/// Writes each event as one Cloud Logging JSON line on stdout.
struct CloudLoggingLayer {
    gcp_project: Option<String>,
}

impl<S: Subscriber> Layer<S> for CloudLoggingLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let line = self.render(event);
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(line.as_bytes());
    }
}

impl CloudLoggingLayer {
    fn render(&self, event: &Event<'_>) -> String {
        let mut fields = JsonFields::default();
        event.record(&mut fields);
        let mut entry = Map::new();
        entry.insert(
            "severity".into(),
            severity(*event.metadata().level()).into(),
        );
        entry.insert(
            "message".into(),
            fields.message.take().unwrap_or_default().into(),
        );
        entry.insert(
            "time".into(),
            humantime::format_rfc3339_micros(SystemTime::now())
                .to_string()
                .into(),
        );
        entry.insert("target".into(), event.metadata().target().into());
        if let Some(trace) = fields.other.remove("trace_id") {
            if let (Some(project), Some(id)) = (&self.gcp_project, trace.as_str()) {
                entry.insert(
                    "logging.googleapis.com/trace".into(),
                    format!("projects/{project}/traces/{id}").into(),
                );
            }
            entry.insert("trace_id".into(), trace);
        }
        if let Some(span) = fields.other.remove("span_id") {
            entry.insert("logging.googleapis.com/spanId".into(), span);
        }
        if !fields.http.is_empty() {
            entry.insert("httpRequest".into(), Value::Object(fields.http));
        }
        entry.extend(fields.other);
        let mut line = Value::Object(entry).to_string();
        line.push('\n');
        line
    }
}

fn severity(level: Level) -> &'static str {
    match level {
        Level::ERROR => "ERROR",
        Level::WARN => "WARNING",
        Level::INFO => "INFO",
        Level::DEBUG | Level::TRACE => "DEBUG",
    }
}

#[derive(Default)]
struct JsonFields {
    message: Option<String>,
    http: Map<String, Value>,
    other: Map<String, Value>,
}

impl JsonFields {
    fn put(&mut self, field: &Field, value: Value) {
        let name = field.name();
        if name == "message" {
            self.message = Some(match value {
                Value::String(s) => s,
                v => v.to_string(),
            });
        } else if let Some(http) = name.strip_prefix(HTTP_PREFIX) {
            self.http.insert(http.to_string(), value);
        } else {
            self.other.insert(name.to_string(), value);
        }
    }
}

impl Visit for JsonFields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.put(field, format!("{value:?}").into());
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, value.into());
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, value.into());
    }
}

/// A request's trace context, from Cloud Run's `X-Cloud-Trace-Context` or W3C `traceparent`.
#[derive(Debug, PartialEq, Eq)]
pub struct TraceContext {
    /// 32 hex digits.
    pub trace_id: String,
    /// The parent span id, when given.
    pub span_id: Option<String>,
}

/// Reads the trace context from the request headers, if there is a well-formed one.
pub fn trace_context(headers: &HeaderMap) -> Option<TraceContext> {
    let is_hex = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit());
    if let Some(tp) = headers.get("traceparent").and_then(|v| v.to_str().ok()) {
        let parts: Vec<&str> = tp.trim().split('-').collect();
        if let [_, trace, span, _] = parts[..]
            && is_hex(trace, 32)
            && is_hex(span, 16)
        {
            return Some(TraceContext {
                trace_id: trace.to_ascii_lowercase(),
                span_id: Some(span.to_ascii_lowercase()),
            });
        }
    }
    // Format: TRACE_ID/SPAN_ID;o=OPTIONS, the span id in decimal.
    let cloud = headers
        .get("x-cloud-trace-context")
        .and_then(|v| v.to_str().ok())?;
    let (trace, rest) = cloud.split_once('/').unwrap_or((cloud, ""));
    if !is_hex(trace, 32) {
        return None;
    }
    let span = rest
        .split(';')
        .next()
        .and_then(|s| s.parse::<u64>().ok())
        .map(|n| format!("{n:016x}"));
    Some(TraceContext {
        trace_id: trace.to_ascii_lowercase(),
        span_id: span,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn headers(name: &'static str, value: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
        h
    }

    #[test]
    fn reads_cloud_run_and_w3c_trace_headers() {
        let t = trace_context(&headers(
            "x-cloud-trace-context",
            "105445aa7843bc8bf206b12000100000/1;o=1",
        ))
        .unwrap();
        assert_eq!(t.trace_id, "105445aa7843bc8bf206b12000100000");
        assert_eq!(t.span_id.as_deref(), Some("0000000000000001"));
        let t = trace_context(&headers(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ))
        .unwrap();
        assert_eq!(t.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(trace_context(&headers("traceparent", "garbage")), None);
    }

    #[test]
    fn maps_levels_to_cloud_logging_severities() {
        assert_eq!(severity(Level::WARN), "WARNING");
        assert_eq!(severity(Level::TRACE), "DEBUG");
    }
}
