//! Server-rendered pages: no JavaScript, no external resources, one stylesheet served by monban.
//! Every dynamic value goes through `html_escape`.

use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};

use crate::protocol::logout::LogoutQuery;
use crate::session::Session;

/// Path of the one stylesheet.
pub const STYLESHEET_PATH: &str = "/static/monban.css";
/// The stylesheet itself.
pub const STYLESHEET: &str = include_str!("pages/monban.css");

/// A link or button under a message.
pub struct Action<'a> {
    /// What it says.
    pub label: &'a str,
    /// Where it goes (a local path).
    pub href: &'a str,
}

fn layout(org: &str, title: &str, body: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{title} · {org}</title>
<link rel="stylesheet" href="{STYLESHEET_PATH}">
</head>
<body>
<main class="card">
<p class="org">{org}</p>
{body}
</main>
<footer>Signed in securely by monban for {org}</footer>
</body>
</html>
"#,
        title = text(title),
        org = text(org),
    )
}

/// `/` for someone not signed in.
pub fn signed_out(org: &str) -> String {
    let body = format!(
        r#"<h1>Sign in</h1>
<p>Use your Google account to sign in to the services of {org}.</p>
<a class="button google" href="/login">Sign in with Google</a>"#,
        org = text(org)
    );
    layout(org, "Sign in", &body)
}

/// `/` for someone signed in.
pub fn signed_in(org: &str, session: &Session) -> String {
    let display = session.name.as_deref().unwrap_or(&session.email);
    let avatar = match session
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
            format!(r#"<span class="avatar">{}</span>"#, text(&initial))
        }
    };
    let roles = if session.roles.is_empty() {
        String::new()
    } else {
        format!(
            r#"<p class="roles">Roles: {}</p>"#,
            text(&session.roles.join(", "))
        )
    };
    let body = format!(
        r#"<h1>You are signed in</h1>
<div class="user">{avatar}<div><p class="name">{name}</p><p class="email">{email}</p></div></div>
{roles}
<form method="post" action="/logout"><button class="button" type="submit">Sign out</button></form>"#,
        name = text(display),
        email = text(&session.email),
    );
    layout(org, "Signed in", &body)
}

/// "Sign out?": a sign-out asked for without proof of which application asks. The form posts the
/// same parameters back, with the person's consent.
pub fn confirm_sign_out(org: &str, query: &LogoutQuery) -> String {
    let hidden: String = [
        ("client_id", &query.client_id),
        ("post_logout_redirect_uri", &query.post_logout_redirect_uri),
        ("state", &query.state),
    ]
    .iter()
    .filter_map(|(name, value)| value.as_deref().map(|v| (name, v)))
    .map(|(name, v)| format!(r#"<input type="hidden" name="{name}" value="{}">"#, attr(v)))
    .collect();
    let body = format!(
        r#"<h1>Sign out?</h1>
<p class="message">Something asked to sign you out of {org}. Sign out only if you asked for it.</p>
<form method="post" action="/logout">{hidden}<div class="actions"><button class="button" type="submit">Sign out</button>
<a class="button" href="/">Stay signed in</a></div></form>"#,
        org = text(org)
    );
    layout(org, "Sign out?", &body)
}

/// An error page: a title, what happened in plain words, and what to do next.
pub fn error(org: &str, title: &str, message: &str, actions: &[Action<'_>]) -> String {
    let links: String = actions
        .iter()
        .map(|a| {
            format!(
                r#"<a class="button" href="{}">{}</a>"#,
                attr(a.href),
                text(a.label)
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
    layout(org, title, &body)
}
