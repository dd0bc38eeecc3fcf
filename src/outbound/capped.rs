//! Reading another server's answer against a size cap, also for `openidconnect`'s code exchange.
//!
//! The capped read is a few lines over reqwest's `chunk()`: a body-limiting crate
//! (`http-body-util`'s `Limited`) would first need the response turned into an `http` body.

use std::future::Future;

/// The largest answer monban reads from another server. Google's discovery and JWKS are under
/// 2 KiB, a client's key set a few KiB, a token response under 4 KiB.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// Why an answer was not read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// It was larger than the cap.
    #[error("the answer is larger than {0} bytes")]
    TooLarge(usize),
    /// The connection failed while reading.
    #[error("reading the answer failed: {0}")]
    Broken(String),
}

/// The body of `response`, refused once it passes `cap` bytes (before reading anything when its
/// `Content-Length` says so already).
pub async fn read_capped(
    mut response: reqwest::Response,
    cap: usize,
) -> Result<Vec<u8>, ReadError> {
    if response.content_length().is_some_and(|n| n > cap as u64) {
        return Err(ReadError::TooLarge(cap));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| ReadError::Broken(e.without_url().to_string()))?
    {
        if body.len() + chunk.len() > cap {
            return Err(ReadError::TooLarge(cap));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// An HTTP client for `openidconnect` (the code exchange) that reads answers with
/// [`read_capped`] and follows no redirects (`http` is built without).
pub fn oidc_client(http: &reqwest::Client) -> impl Fn(openidconnect::HttpRequest) -> OidcFuture {
    let http = http.clone();
    move |request| {
        let http = http.clone();
        Box::pin(async move {
            let request = reqwest::Request::try_from(request)
                .map_err(|e| OidcHttpError(e.without_url().to_string()))?;
            let response = http
                .execute(request)
                .await
                .map_err(|e| OidcHttpError(e.without_url().to_string()))?;
            let mut builder = openidconnect::http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                builder = builder.header(name, value);
            }
            let body = read_capped(response, MAX_BODY_BYTES)
                .await
                .map_err(|e| OidcHttpError(e.to_string()))?;
            builder.body(body).map_err(|e| OidcHttpError(e.to_string()))
        })
    }
}

/// What [`oidc_client`] answers.
pub type OidcFuture = std::pin::Pin<
    Box<dyn Future<Output = Result<openidconnect::HttpResponse, OidcHttpError>> + Send>,
>;

/// A failed exchange with the upstream's token endpoint.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct OidcHttpError(String);
