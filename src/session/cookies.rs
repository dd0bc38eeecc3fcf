//! The two cookies monban sets: the sealed SSO session and the per-browser binding of a login in
//! flight. Both HttpOnly, SameSite=Lax, Path=/, and `__Host-` prefixed and Secure over https.

use std::time::Duration;

use actix_web::cookie::{Cookie, SameSite, time};

/// Cookie names: `__Host-` prefixed (which browsers accept only with `Secure`, `Path=/` and no
/// domain) when the issuer is https.
#[derive(Debug, Clone)]
pub struct CookieNames {
    /// The SSO session cookie.
    pub session: &'static str,
    /// The per-browser binding cookie.
    pub binding: &'static str,
    /// Whether cookies are `Secure`.
    pub secure: bool,
}

impl CookieNames {
    /// Names for an issuer served over https (`secure`) or plain loopback http.
    pub fn new(secure: bool) -> Self {
        if secure {
            Self {
                session: "__Host-monban_session",
                binding: "__Host-monban_binding",
                secure,
            }
        } else {
            Self {
                session: "monban_session",
                binding: "monban_binding",
                secure,
            }
        }
    }
}

impl CookieNames {
    /// A cookie with monban's attributes; `max_age` makes it outlive the browser session.
    pub fn build(
        &self,
        name: &'static str,
        value: String,
        max_age: Option<Duration>,
    ) -> Cookie<'static> {
        let mut cookie = Cookie::build(name, value)
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.secure)
            .finish();
        if let Some(age) = max_age {
            cookie.set_max_age(time::Duration::seconds(age.as_secs() as i64));
        }
        cookie
    }

    /// The cookie that clears the session.
    pub fn session_removal(&self) -> Cookie<'static> {
        self.removal(self.session)
    }

    /// The cookie that clears `name` (set with these attributes).
    pub fn removal(&self, name: &'static str) -> Cookie<'static> {
        let mut gone = self.build(name, String::new(), None);
        gone.make_removal();
        gone
    }
}
