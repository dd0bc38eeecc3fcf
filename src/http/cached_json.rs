//! A JSON document that never changes while the process lives (the JWKS, discovery): serialized
//! once at start-up and served as bytes, with an `ETag` so caches can revalidate for free. The SSH
//! CA's text files are served the same way ([`CachedJson::text`]).

use actix_web::http::header::{self, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use base64::Engine;
use serde::Serialize;

/// A JSON document serialized once, with its validator and caching headers.
#[derive(Debug, Clone)]
pub struct CachedJson {
    body: Bytes,
    etag: HeaderValue,
    cache_control: HeaderValue,
    content_type: &'static str,
}

impl CachedJson {
    /// Serializes `value` and computes its strong `ETag` (a SHA-256 prefix of the bytes).
    pub fn new<T: Serialize>(value: &T, max_age_secs: u64) -> serde_json::Result<Self> {
        Ok(Self::of(
            serde_json::to_vec(value)?,
            max_age_secs,
            "application/json",
        ))
    }

    /// A plain-text document (the SSH CA's keys, its `known_hosts` line), served alike.
    pub fn text(text: String, max_age_secs: u64) -> Self {
        Self::of(text.into_bytes(), max_age_secs, "text/plain; charset=utf-8")
    }

    fn of(body: Vec<u8>, max_age_secs: u64, content_type: &'static str) -> Self {
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &body);
        let tag = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest.as_ref()[..16]);
        Self {
            body: Bytes::from(body),
            etag: HeaderValue::from_str(&format!("\"{tag}\""))
                .expect("base64url is a valid header"),
            cache_control: HeaderValue::from_str(&format!("public, max-age={max_age_secs}"))
                .expect("digits are a valid header"),
            content_type,
        }
    }

    /// Whether an `If-None-Match` header value names this document's tag (or is `*`).
    fn matches(&self, if_none_match: &str) -> bool {
        let ours = self.etag.to_str().unwrap_or_default();
        if_none_match.split(',').map(str::trim).any(|candidate| {
            // Weak comparison (RFC 9110 §13.1.2): a W/ prefix does not matter for If-None-Match.
            candidate == "*" || candidate.strip_prefix("W/").unwrap_or(candidate) == ours
        })
    }

    /// `304 Not Modified` when the client's copy is current, else `200` with the document.
    pub fn respond(&self, req: &HttpRequest) -> HttpResponse {
        let fresh = req
            .headers()
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| self.matches(v));
        let mut response = if fresh {
            HttpResponse::NotModified()
        } else {
            HttpResponse::Ok()
        };
        response
            .insert_header((header::ETAG, self.etag.clone()))
            .insert_header((header::CACHE_CONTROL, self.cache_control.clone()))
            // Browser-side apps (SPAs) read these documents cross-origin.
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"));
        if fresh {
            response.finish()
        } else {
            response
                .content_type(self.content_type)
                .body(self.body.clone())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_accepts_lists_weak_tags_and_star() {
        let doc = CachedJson::new(&serde_json::json!({"a": 1}), 60).unwrap();
        let tag = doc.etag.to_str().unwrap().to_string();
        assert!(doc.matches(&tag));
        assert!(doc.matches(&format!("\"other\", W/{tag}")));
        assert!(doc.matches("*"));
        assert!(!doc.matches("\"other\""));
    }
}
