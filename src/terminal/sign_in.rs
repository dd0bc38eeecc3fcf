//! Signing in from a terminal, as a public client with PKCE: by the loopback redirect (RFC 8252
//! §7.3) when a browser is at hand, or by copying the code from monban's page into the terminal
//! (the out-of-band URI) when none is.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::web::{self, Data, Query};
use actix_web::{App, HttpResponse, HttpServer};
use serde::Deserialize;
use url::Url;

use super::Settings;
use crate::protocol::authorize::oob::OOB_REDIRECT_URI;
use crate::session::random_token;
use crate::upstream::{AuthorizationRequest, Issued, Upstream};

/// How long the command waits for the browser to come back, or for the code to be pasted.
const PATIENCE: Duration = Duration::from_secs(300);

/// What the loopback redirect brings back.
#[derive(Debug, Deserialize)]
struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// Signs in: in a browser when there is one (and `--no-browser` was not given), else by copying
/// the code.
pub async fn sign_in(settings: &Settings, now: u64) -> anyhow::Result<Issued> {
    if settings.no_browser || !has_browser() {
        copy_the_code(settings, now).await
    } else {
        loopback(settings, now).await
    }
}

/// Whether a browser can open here: on macOS and Windows, or where `$BROWSER` names one or a
/// display is set (over SSH neither is, unless forwarded).
fn has_browser() -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    cfg!(any(target_os = "macos", windows))
        || ["BROWSER", "DISPLAY", "WAYLAND_DISPLAY"]
            .iter()
            .any(|v| set(v))
}

/// The random values of one sign-in.
struct Attempt {
    state: String,
    nonce: String,
    verifier: String,
}

impl Attempt {
    fn new() -> Self {
        Self {
            state: random_token(),
            nonce: random_token(),
            verifier: random_token(),
        }
    }

    /// monban's authorization URL for this attempt.
    async fn url(&self, monban: &Upstream, settings: &Settings, now: u64) -> anyhow::Result<Url> {
        let scopes: Vec<&str> = settings
            .scope
            .split(' ')
            .filter(|s| !s.is_empty() && *s != "openid")
            .collect();
        let request = AuthorizationRequest {
            state: &self.state,
            nonce: &self.nonce,
            pkce_verifier: &self.verifier,
            select_account: false,
            force_login: false,
            max_age: None,
            login_hint: None,
            scopes: &scopes,
            resource: settings.resource.as_deref(),
        };
        Ok(monban.authorization_url(&request, now).await?)
    }

    /// Redeems `code` with this attempt's verifier; the ID token must carry its nonce.
    async fn redeem(&self, monban: &Upstream, code: &str, now: u64) -> anyhow::Result<Issued> {
        Ok(monban
            .sign_in(code, &self.verifier, &self.nonce, now)
            .await?
            .1)
    }
}

/// The loopback redirect: a one-request server on 127.0.0.1, a port the system chose.
async fn loopback(settings: &Settings, now: u64) -> anyhow::Result<Issued> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let redirect = Url::parse(&format!(
        "http://127.0.0.1:{}/callback",
        listener.local_addr()?.port()
    ))?;
    let monban = settings.monban(redirect);
    let attempt = Attempt::new();
    let url = attempt.url(&monban, settings, now).await?;
    eprintln!(
        "monban token: sign in to {} in your browser. If it does not open, open:\n  {url}",
        settings.issuer
    );
    open_browser(url.as_str());
    let (sender, mut received) = tokio::sync::mpsc::channel::<Callback>(1);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(Data::new(sender.clone()))
            .route("/callback", web::get().to(back))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)?
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    let callback = tokio::time::timeout(PATIENCE, received.recv()).await;
    handle.stop(false).await;
    let callback = callback
        .map_err(|_| {
            anyhow::anyhow!(
                "no sign-in came back within {} minutes",
                PATIENCE.as_secs() / 60
            )
        })?
        .ok_or_else(|| anyhow::anyhow!("the sign-in did not come back"))?;
    if let Some(error) = callback.error {
        anyhow::bail!(
            "monban refused the sign-in: {error} {}",
            callback.error_description.unwrap_or_default()
        );
    }
    if callback.state.as_deref() != Some(attempt.state.as_str()) {
        anyhow::bail!("the sign-in that came back is not the one this command started");
    }
    let code = callback
        .code
        .ok_or_else(|| anyhow::anyhow!("no code came back"))?;
    attempt.redeem(&monban, &code, now).await
}

/// The browser's return to the loopback server: handed to the command, and a page to close.
async fn back(
    query: Query<Callback>,
    sender: Data<tokio::sync::mpsc::Sender<Callback>>,
) -> HttpResponse {
    let _ = sender.try_send(query.into_inner());
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(
            "monban token: you are signed in. You may close this tab and go back to the terminal.",
        )
}

/// Copy the code: the person opens the URL on any device, signs in, and pastes the code monban's
/// page shows; only this command's verifier redeems it.
async fn copy_the_code(settings: &Settings, now: u64) -> anyhow::Result<Issued> {
    let monban = settings.monban(Url::parse(OOB_REDIRECT_URI)?);
    let attempt = Attempt::new();
    let url = attempt.url(&monban, settings, now).await?;
    eprintln!(
        "monban token: open this address on any device and sign in (asked at {} UTC):\n  {url}\nThen paste the code monban shows, and press Enter:",
        crate::clock::time_of_day(now)
    );
    let line = tokio::time::timeout(
        PATIENCE,
        tokio::task::spawn_blocking(|| {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).map(|_| line)
        }),
    )
    .await
    .map_err(|_| {
        anyhow::anyhow!(
            "no code was pasted within {} minutes",
            PATIENCE.as_secs() / 60
        )
    })???;
    let code = line.trim();
    if code.is_empty() {
        anyhow::bail!("no code was pasted");
    }
    attempt.redeem(&monban, code, now).await
}

/// Opens `url` with `$BROWSER` (its first entry, as `xdg-open` reads it) or the system's opener.
/// Written here: a crate for it would add more than these lines, and failing to open is fine
/// (the URL is printed).
fn open_browser(url: &str) {
    let chosen = std::env::var("BROWSER")
        .ok()
        .filter(|b| !b.trim().is_empty());
    let command = chosen
        .as_deref()
        .and_then(|b| b.split(':').next())
        .unwrap_or(if cfg!(target_os = "macos") {
            "open"
        } else {
            "xdg-open"
        });
    let mut words = command.split_whitespace();
    let Some(program) = words.next() else { return };
    let _ = std::process::Command::new(program)
        .args(words)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
}
