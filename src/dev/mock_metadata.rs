//! The mock Google's stand-in for the Cloud Run (Compute Engine) metadata server's identity
//! endpoint: `GET /computeMetadata/v1/instance/service-accounts/{account}/identity?audience=…`
//! with `Metadata-Flavor: Google` answers a Google-signed ID token for that service account
//! (`default` is [`DEFAULT_SERVICE_ACCOUNT`]), as workload identity clients get it in production.
//! Like the real one it names the account's email only with `format=full`. Point a client at it
//! with `GCE_METADATA_HOST=127.0.0.1:PORT` (the variable Google's libraries read).

use actix_web::web::{Data, Path, Query};
use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::clock::unix_now;
use crate::tokens::Tokens;

/// The service account `default` stands for.
pub const DEFAULT_SERVICE_ACCOUNT: &str = "monban-dev@mock-project.iam.gserviceaccount.com";

/// What the metadata server signs with: the mock Google's issuer and published key.
pub(super) struct MetadataState {
    /// The mock Google's issuer URL.
    pub(super) issuer: String,
    /// Signs with the key the mock's JWKS publishes.
    pub(super) tokens: Tokens,
}

/// The query the metadata server reads.
#[derive(Debug, Deserialize)]
pub(super) struct IdentityQuery {
    audience: Option<String>,
    format: Option<String>,
}

/// An ID token for the account in the path, signed with the key the mock's JWKS publishes.
pub(super) async fn identity(
    req: HttpRequest,
    account: Path<String>,
    q: Query<IdentityQuery>,
    state: Data<MetadataState>,
) -> HttpResponse {
    let flavor = req.headers().get("Metadata-Flavor");
    if flavor.and_then(|v| v.to_str().ok()) != Some("Google") {
        return HttpResponse::Forbidden().body("Missing Metadata-Flavor:Google header.");
    }
    let Some(audience) = q.audience.as_deref().filter(|a| !a.is_empty()) else {
        return HttpResponse::BadRequest().body("non-empty audience parameter required");
    };
    let email = match account.as_str() {
        "default" => DEFAULT_SERVICE_ACCOUNT,
        other => other,
    };
    let now = unix_now();
    // A stable numeric id per account, as Google gives each one.
    let id = email.bytes().fold(100_000_000_000u64, |h, b| {
        h.wrapping_mul(31).wrapping_add(b.into()) % 1_000_000_000_000
    });
    let mut claims = json!({
        "iss": state.issuer, "aud": audience, "azp": id.to_string(), "sub": id.to_string(),
        "iat": now, "exp": now + 3600,
    });
    if q.format.as_deref() == Some("full") {
        claims["email"] = email.into();
        claims["email_verified"] = true.into();
    }
    match state.tokens.mint("JWT", &claims) {
        Ok(token) => HttpResponse::Ok()
            .insert_header(("Metadata-Flavor", "Google"))
            .content_type("text/plain")
            .body(token),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}
