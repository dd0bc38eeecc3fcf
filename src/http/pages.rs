//! Server-rendered pages: no JavaScript, no external resources but the organisation's logo, one
//! stylesheet served by monban. Every text comes from the request's [`Locale`] catalogue; every
//! dynamic value goes through `html_escape`.

use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};

use crate::i18n::Locale;
use crate::protocol::logout::LogoutQuery;
use crate::session::Session;

/// Path of the one stylesheet.
pub const STYLESHEET_PATH: &str = "/static/monban.css";
/// The stylesheet itself.
pub const STYLESHEET: &str = include_str!("pages/monban.css");

/// Where a page is: its language, the organisation, its logo, and monban's own host (shown in
/// the footer, so that it matches the address bar).
#[derive(Clone, Copy, Debug)]
pub struct Frame<'a> {
    /// The language of this request.
    pub locale: Locale,
    /// `org_name`.
    pub org: &'a str,
    /// The issuer's host.
    pub host: &'a str,
    /// `logo_url`, if any.
    pub logo: Option<&'a str>,
}

impl Frame<'_> {
    /// Message `id` of the catalogue, `{ $org }` filled in, plus `args`.
    pub fn t(&self, id: &str, args: &[(&str, &str)]) -> String {
        let mut all = vec![("org", self.org), ("host", self.host)];
        all.extend_from_slice(args);
        self.locale.format(id, &all)
    }
}

/// A link or button under a message.
pub struct Action<'a> {
    /// What it says.
    pub label: String,
    /// Where it goes (a local path).
    pub href: &'a str,
}

/// One of the organisation's services on the portal.
pub struct Service<'a> {
    /// The client's display name.
    pub name: &'a str,
    /// Its `home_url`.
    pub url: &'a str,
}

fn layout(frame: &Frame<'_>, title: &str, body: &str) -> String {
    let logo = frame
        .logo
        .map(|src| format!(r#"<img class="logo" src="{}" alt="">"#, attr(src)))
        .unwrap_or_default();
    format!(
        r#"<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{title} · {org}</title>
<link rel="stylesheet" href="{STYLESHEET_PATH}">
</head>
<body>
<main class="card">
<header class="brand">{logo}<p class="org">{org}</p></header>
{body}
</main>
<footer>{footer}</footer>
</body>
</html>
"#,
        lang = frame.locale.tag(),
        title = text(title),
        org = text(frame.org),
        footer = text(&frame.t("footer", &[])),
    )
}

fn google_button(frame: &Frame<'_>, href: &str) -> String {
    format!(
        r#"<a class="button google" id="continue" href="{}">{}</a>"#,
        attr(href),
        text(&frame.t("google-button", &[]))
    )
}

/// A page without monban's frame (no organisation, no stylesheet), for hosts that are not monban:
/// the mock Google's and `monban gate`'s. `body` is HTML, already escaped.
pub fn plain(locale: Locale, title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{t}</title></head>\
         <body style=\"font-family:system-ui;max-width:32rem;margin:3rem auto;padding:0 1rem\">\
         <main><h1>{t}</h1>{body}</main></body></html>\n",
        lang = locale.tag(),
        t = text(title)
    )
}

/// `/` for someone not signed in.
pub fn signed_out(frame: &Frame<'_>) -> String {
    let title = frame.t("sign-in-title", &[]);
    let body = format!(
        "<h1>{}</h1>\n<p>{}</p>\n{}",
        text(&title),
        text(&frame.t("sign-in-intro", &[])),
        google_button(frame, "/login")
    );
    layout(frame, &title, &body)
}

/// The page after a sign-out that told services (back-channel logout): which were told, which
/// could not be reached (`told`: each service's name and whether it acknowledged), and a link
/// `back` to the application a sign-out that named none came from (its name and URI).
pub fn signed_out_told(
    frame: &Frame<'_>,
    told: &[(&str, bool)],
    back: Option<(&str, &str)>,
) -> String {
    let title = frame.t("signed-out-title", &[]);
    let names = |delivered: bool| {
        told.iter()
            .filter(|(_, ok)| *ok == delivered)
            .map(|(name, _)| *name)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut body = format!("<h1>{}</h1>\n", text(&title));
    for (delivered, id) in [(true, "told-services"), (false, "not-reached-services")] {
        let services = names(delivered);
        if !services.is_empty() {
            let line = frame.t(id, &[("services", &services)]);
            body.push_str(&format!("<p>{}</p>\n", text(&line)));
        }
    }
    if let Some((app, uri)) = back {
        let label = frame.t("back-to-app", &[("app", app)]);
        body.push_str(&format!(
            "<p><a href=\"{}\">{}</a></p>\n",
            attr(uri),
            text(&label)
        ));
    }
    body.push_str(&google_button(frame, "/login"));
    layout(frame, &title, &body)
}

/// "Sign in to <app>": an application sent someone without a session; `login` goes on to Google.
pub fn sign_in_to(frame: &Frame<'_>, app: &str, login: &str) -> String {
    let title = frame.t("sign-in-to", &[("app", app)]);
    let body = format!(
        "<h1>{}</h1>\n<p>{}</p>\n{}",
        text(&title),
        text(&frame.t("sign-in-to-intro", &[("app", app)])),
        google_button(frame, login)
    );
    layout(frame, &title, &body)
}

/// The script of [`code_to_copy`]'s page, allowed by its hash alone: the field selects its whole
/// code when focused, so one copy takes it all.
pub const CODE_SCRIPT: &str =
    r#"document.getElementById("code").addEventListener("focus",function(e){e.target.select()});"#;

/// The out-of-band code page: `app` asked from a terminal; `code` to paste there, issued at
/// `time` (`HH:MM:SS`, UTC) and valid for `minutes`.
pub fn code_to_copy(frame: &Frame<'_>, app: &str, code: &str, time: &str, minutes: u64) -> String {
    let title = frame.t("code-title", &[]);
    let body = format!(
        "<h1>{}</h1>\n<p>{}</p>\n<label for=\"code\">{}</label>\n\
         <input id=\"code\" class=\"code\" type=\"text\" readonly autofocus value=\"{}\">\n\
         <p>{}</p>\n<p class=\"warning\"><strong>{}</strong></p>\n<script>{CODE_SCRIPT}</script>",
        text(&title),
        text(&frame.t("code-intro", &[("app", app)])),
        text(&frame.t("code-label", &[])),
        attr(code),
        text(&frame.t(
            "code-requested",
            &[("time", time), ("minutes", &minutes.to_string())]
        )),
        text(&frame.t("code-warning", &[])),
    );
    layout(frame, &title, &body)
}

fn avatar(session: &Session, display: &str) -> String {
    match session
        .picture
        .as_deref()
        .filter(|p| p.starts_with("https://"))
    {
        Some(src) => format!(r#"<img class="avatar" src="{}" alt="">"#, attr(src)),
        None => {
            let initial: String = display
                .chars()
                .take(1)
                .flat_map(char::to_uppercase)
                .collect();
            format!(
                r#"<span class="avatar" aria-hidden="true">{}</span>"#,
                text(&initial)
            )
        }
    }
}

/// `/` for someone signed in: who, and the organisation's services (the portal).
pub fn signed_in(
    frame: &Frame<'_>,
    session: &Session,
    services: &[Service<'_>],
    sign_out_proof: &str,
) -> String {
    let display = session.name.as_deref().unwrap_or(&session.email);
    let roles = if session.roles.is_empty() {
        String::new()
    } else {
        let roles = session.roles.join(", ");
        format!(
            r#"<p class="roles">{}</p>"#,
            text(&frame.t("roles", &[("roles", &roles)]))
        )
    };
    let portal = if services.is_empty() {
        String::new()
    } else {
        let items: String = services
            .iter()
            .map(|s| format!(r#"<li><a href="{}">{}</a></li>"#, attr(s.url), text(s.name)))
            .collect();
        format!(
            r#"<nav aria-labelledby="services"><h2 id="services">{}</h2><ul class="services">{items}</ul></nav>"#,
            text(&frame.t("services", &[]))
        )
    };
    let title = frame.t("signed-in-title", &[]);
    let body = format!(
        r#"<h1>{title}</h1>
<div class="user">{avatar}<div><p class="name">{name}</p><p class="email">{email}</p></div></div>
{roles}
{portal}
<form method="post" action="/logout"><input type="hidden" name="confirm" value="{proof}"><button class="button" type="submit">{sign_out}</button></form>"#,
        proof = attr(sign_out_proof),
        title = text(&title),
        avatar = avatar(session, display),
        name = text(display),
        email = text(&session.email),
        sign_out = text(&frame.t("sign-out", &[])),
    );
    layout(frame, &title, &body)
}

/// "Sign out?": a sign-out asked for without proof of which application asks. The form posts the
/// same parameters back, with the person's consent.
pub fn confirm_sign_out(frame: &Frame<'_>, query: &LogoutQuery) -> String {
    let hidden: String = [
        ("client_id", &query.client_id),
        ("post_logout_redirect_uri", &query.post_logout_redirect_uri),
        ("state", &query.state),
        ("confirm", &query.confirm),
    ]
    .iter()
    .filter_map(|(name, value)| value.as_deref().map(|v| (name, v)))
    .map(|(name, v)| format!(r#"<input type="hidden" name="{name}" value="{}">"#, attr(v)))
    .collect();
    let title = frame.t("confirm-title", &[]);
    let body = format!(
        r#"<h1>{}</h1>
<p class="message">{}</p>
<form method="post" action="/logout">{hidden}<div class="actions"><button class="button primary" type="submit">{}</button>
<a class="button" href="/">{}</a></div></form>"#,
        text(&title),
        text(&frame.t("confirm-message", &[])),
        text(&frame.t("sign-out", &[])),
        text(&frame.t("stay-signed-in", &[])),
    );
    layout(frame, &title, &body)
}

/// An error page: a title, what happened in plain words, and what to do next.
pub fn error(frame: &Frame<'_>, title: &str, message: &str, actions: &[Action<'_>]) -> String {
    let links: String = actions
        .iter()
        .map(|a| {
            format!(
                r#"<a class="button" href="{}">{}</a>"#,
                attr(a.href),
                text(&a.label)
            )
        })
        .collect();
    let body = format!(
        r#"<h1>{}</h1>
<p class="message">{}</p>
<div class="actions">{links}</div>"#,
        text(title),
        text(message)
    );
    layout(frame, title, &body)
}
