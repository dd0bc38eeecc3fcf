//! Headers on every response, set by actix-web's `DefaultHeaders` (a handler's own value wins).

use actix_web::http::header;
use actix_web::middleware::DefaultHeaders;

/// Headers on every response: pages load nothing from elsewhere and cannot be framed, nothing is
/// cached unless the handler says so (codes and tokens travel in redirects and bodies), and over
/// https browsers are told to stay on https. HSTS leaves out `includeSubDomains`: monban cannot know
/// whether every sibling host of the organisation already serves https.
pub fn security_headers(https: bool) -> DefaultHeaders {
    let headers = if https {
        DefaultHeaders::new().add((header::STRICT_TRANSPORT_SECURITY, "max-age=31536000"))
    } else {
        DefaultHeaders::new()
    };
    headers
        .add((header::CACHE_CONTROL, "no-store"))
        .add((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; img-src 'self' https:; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::REFERRER_POLICY, "no-referrer"))
}
