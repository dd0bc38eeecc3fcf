//! What kind of request the gate is answering: a person loading a page, whom a redirect to sign in
//! helps, or a script (an XHR, a `fetch`, a websocket), which can only be told 401 and left to
//! reload. One rule for the reverse proxy and for forward auth, where the proxy forwards the
//! browser's headers (and Traefik and Caddy the original method as `X-Forwarded-Method`).

use actix_web::HttpRequest;
use actix_web::http::header;

/// Whether the browser says a script sent `req`: a method other than GET or HEAD,
/// `X-Requested-With`, a `Sec-Fetch-Mode` other than `navigate`, or an `Accept` that asks for JSON
/// and not HTML.
pub fn is_script(req: &HttpRequest) -> bool {
    let h = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let method = h("x-forwarded-method").unwrap_or(req.method().as_str());
    let accept = h(header::ACCEPT.as_str()).unwrap_or_default();
    !matches!(method.to_ascii_uppercase().as_str(), "GET" | "HEAD")
        || h("x-requested-with").is_some()
        || h("sec-fetch-mode").is_some_and(|m| m != "navigate")
        || (accept.contains("application/json") && !accept.contains("text/html"))
        || req.headers().contains_key(header::UPGRADE)
}

/// Whether `req` is a page load: not a script's, and the browser says so (`Sec-Fetch-Mode:
/// navigate`, or an `Accept` that asks for HTML).
pub fn is_navigation(req: &HttpRequest) -> bool {
    let h = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    !is_script(req)
        && (h("sec-fetch-mode") == Some("navigate")
            || h(header::ACCEPT.as_str()).is_some_and(|a| a.contains("text/html")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn page_loads_and_scripts_are_told_apart_as_browsers_mark_them() {
        let page = |headers: &[(&str, &str)]| {
            let mut req = TestRequest::get();
            for (k, v) in headers {
                req = req.insert_header((*k, *v));
            }
            let req = req.to_http_request();
            (is_navigation(&req), is_script(&req))
        };
        let html = ("accept", "text/html,application/xhtml+xml,*/*;q=0.8");
        assert_eq!(page(&[html]), (true, false));
        assert_eq!(page(&[html, ("sec-fetch-mode", "navigate")]), (true, false));
        assert_eq!(page(&[("sec-fetch-mode", "navigate")]), (true, false));
        for script in [
            [html, ("sec-fetch-mode", "cors")],
            [html, ("x-requested-with", "XMLHttpRequest")],
            [
                ("accept", "application/json"),
                ("sec-fetch-mode", "navigate"),
            ],
            [html, ("x-forwarded-method", "POST")],
        ] {
            assert_eq!(page(&script), (false, true), "{script:?}");
        }
        // Neither: curl's `*/*` is no page load, nor does it say it is a script.
        assert_eq!(page(&[("accept", "*/*")]), (false, false));
        let put = TestRequest::put().to_http_request();
        assert!(is_script(&put));
    }
}
