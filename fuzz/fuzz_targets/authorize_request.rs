//! `/authorize` parsing (any query string) and the `return_to` check of `/login`.
#![no_main]

#[path = "world.rs"]
mod world;

use libfuzzer_sys::fuzz_target;
use monban::protocol::authorize::{AuthorizeError, AuthorizeQuery, AuthorizeRequest};

fuzz_target!(|data: &[u8]| {
    let w = world::world();
    if let Ok(query) = serde_urlencoded::from_bytes::<AuthorizeQuery>(data) {
        match AuthorizeRequest::parse(&query, &w.config.clients, &w.config.apis) {
            Ok(request) => {
                // Only ever a registered redirect URI.
                assert!(
                    w.config
                        .clients
                        .iter()
                        .any(|c| c.redirect_uris.contains(&request.redirect_uri))
                );
            }
            Err(AuthorizeError::Redirect(r)) => {
                assert!(
                    w.config
                        .clients
                        .iter()
                        .any(|c| c.redirect_uris.contains(&r.redirect_uri))
                );
            }
            Err(AuthorizeError::NoRedirect(_)) => {}
        }
    }
    let return_to =
        monban::session::login_state::safe_return_to(Some(&String::from_utf8_lossy(data)));
    assert!(return_to.starts_with('/'), "{return_to}");
    assert!(
        !return_to.starts_with("//") && !return_to.starts_with("/\\"),
        "{return_to}"
    );
});
