//! Sign out everywhere (Back-Channel Logout 1.0): a session that signed in to three clients tells
//! all three at sign-out; a receiver that hangs delays nobody past the timeout; the admin's
//! `monban sign-out SUB` tells every client. Each receiver validates every token with
//! monban-verify's `verify_logout_token` (spec §2.6).

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, HttpServer, web};
use monban_verify::{LogoutClaims, Options, Verifier};
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{CLIENT_ORIGIN, TestApp, claims_of, param};

/// What a receiver got: the client it stands for, and each token's claims once validated (or why
/// it was refused).
type Received = Arc<Mutex<Vec<(String, Result<LogoutClaims, String>)>>>;

/// A service's back-channel logout endpoint at `/bc/{client}`; it validates each token with the
/// verifier its test installs.
pub(crate) struct Receivers {
    base: String,
    received: Received,
    verifiers: Arc<Mutex<Vec<(String, Verifier)>>>,
}

impl Receivers {
    pub(crate) fn start() -> Self {
        let received = Received::default();
        let verifiers: Arc<Mutex<Vec<(String, Verifier)>>> = Arc::default();
        let (r, v) = (received.clone(), verifiers.clone());
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server = HttpServer::new(move || {
            let (r, v) = (r.clone(), v.clone());
            App::new().route(
                "/bc/{client}",
                web::post().to(
                    move |client: web::Path<String>, form: web::Form<Vec<(String, String)>>| {
                        let (r, v) = (r.clone(), v.clone());
                        async move {
                            let token = form
                                .iter()
                                .find(|(k, _)| k == "logout_token")
                                .map(|(_, t)| t.clone());
                            let verifier = v
                                .lock()
                                .unwrap()
                                .iter()
                                .find(|(c, _)| *c == *client)
                                .map(|(_, v)| v.clone());
                            let checked = match (token, verifier) {
                                (Some(token), Some(verifier)) => verifier
                                    .verify_logout_token(&token)
                                    .await
                                    .map_err(|e| e.to_string()),
                                _ => Err("no logout_token, or no verifier".into()),
                            };
                            let ok = checked.is_ok();
                            r.lock().unwrap().push((client.into_inner(), checked));
                            if ok {
                                HttpResponse::Ok().finish()
                            } else {
                                HttpResponse::BadRequest().finish()
                            }
                        }
                    },
                ),
            )
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        Self {
            base,
            received,
            verifiers,
        }
    }

    /// A `[[clients]]` table for `id`, telling its receiver here.
    pub(crate) fn client(&self, id: &str) -> String {
        format!(
            "[[clients]]\nid = \"{id}\"\nname = \"App {id}\"\nsecret = \"{id}-client-secret\"\n\
             redirect_uris = [\"{CLIENT_ORIGIN}/{id}/callback\"]\n\
             backchannel_logout_uri = \"{}/bc/{id}\"\n",
            self.base
        )
    }

    /// Each client's receiver verifies with `app`'s keys, as that client.
    pub(crate) async fn trust(&self, app: &TestApp, clients: &[&str]) {
        let jwks = app.jwks().await;
        let mut verifiers = self.verifiers.lock().unwrap();
        for id in clients {
            let verifier = Verifier::from_jwks(&app.issuer, id, &jwks, Options::default());
            verifiers.push((id.to_string(), verifier));
        }
    }

    pub(crate) fn received(&self) -> Vec<(String, Result<LogoutClaims, String>)> {
        self.received.lock().unwrap().clone()
    }
}

/// Signs `ada` in to each client in one browser session; returns the `sid` of the first ID token.
async fn sign_in_to_each(app: &TestApp, clients: &[&str]) -> String {
    let mut sid = String::new();
    for client in clients {
        let (url, verifier) = app.authorize_url(client, "");
        let back = app.follow_to_client(&url, "ada").await;
        let code = param(&back, "code").unwrap();
        let secret = format!("{client}-client-secret");
        let body: Value = app
            .token(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                (
                    "redirect_uri",
                    &format!("{CLIENT_ORIGIN}/{client}/callback"),
                ),
                ("code_verifier", &verifier),
                ("client_id", client),
                ("client_secret", &secret),
            ])
            .await
            .json()
            .await
            .unwrap();
        let this = claims_of(body["id_token"].as_str().unwrap())["sid"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(sid.is_empty() || sid == this, "one session, one sid");
        sid = this;
    }
    sid
}

#[tokio::test]
async fn signing_out_tells_every_client_the_session_signed_in_to() {
    let receivers = Receivers::start();
    let clients = ["alpha", "beta", "gamma"];
    let more: String = clients.iter().map(|c| receivers.client(c)).collect();
    let app = TestApp::builder()
        .mock_google(monban::dev::mock_upstream::Fault::None)
        .more_clients(&more)
        .spawn()
        .await;
    receivers.trust(&app, &clients).await;
    let discovery = app.discovery().await;
    assert_eq!(discovery["backchannel_logout_supported"], true);
    assert_eq!(discovery["backchannel_logout_session_supported"], true);
    let sid = sign_in_to_each(&app, &clients).await;

    let response = app.sign_out_with(&[("client_id", "alpha")]).await;
    let received = receivers.received();
    assert_eq!(received.len(), 3, "{received:?}");
    let mut jtis = Vec::new();
    for (client, checked) in &received {
        let claims = checked.as_ref().unwrap();
        assert_eq!(&claims.aud, client);
        assert_eq!(claims.sub, "mock-ada");
        assert_eq!(claims.sid.as_deref(), Some(sid.as_str()));
        assert_eq!(claims.exp - claims.iat, 120);
        jtis.push(claims.jti.clone());
    }
    jtis.dedup();
    assert_eq!(jtis.len(), 3, "every token its own jti");
    // Back at monban's own page, which names the services told.
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.unwrap();
    for client in ["App alpha", "App beta", "App gamma"] {
        assert!(page.contains(client), "{page}");
    }
    // Signed out: a new authorization asks for a sign-in again.
    let (url, _) = app.authorize_url("alpha", "&prompt=none");
    let back = crate::helpers::location(&app.client.get(&url).send().await.unwrap());
    assert_eq!(param(&back, "error").as_deref(), Some("login_required"));
}

#[tokio::test]
async fn a_client_that_hangs_does_not_keep_the_person_waiting() {
    let receivers = Receivers::start();
    // Accepts connections (the kernel does) and never answers.
    let hung = TcpListener::bind("127.0.0.1:0").unwrap();
    let hung_client = format!(
        "[[clients]]\nid = \"hung\"\nname = \"Stuck app\"\nsecret = \"hung-client-secret\"\n\
         redirect_uris = [\"{CLIENT_ORIGIN}/hung/callback\"]\n\
         backchannel_logout_uri = \"http://{}/bc\"\n",
        hung.local_addr().unwrap()
    );
    let more = format!("{}{hung_client}", receivers.client("alpha"));
    let app = TestApp::builder()
        .mock_google(monban::dev::mock_upstream::Fault::None)
        .more_clients(&more)
        .env(&[("MONBAN_BACKCHANNEL_LOGOUT_TIMEOUT_SECS", "1")])
        .spawn()
        .await;
    receivers.trust(&app, &["alpha"]).await;
    sign_in_to_each(&app, &["alpha", "hung"]).await;
    let started = Instant::now();
    let response = app.sign_out().await;
    // The timeout is one second; the bound here only catches a sign-out that waits for the hung
    // client (reqwest's default would be much longer).
    assert!(started.elapsed() < Duration::from_secs(10));
    let page = response.text().await.unwrap();
    assert!(
        page.contains("App alpha") && page.contains("Stuck app"),
        "{page}"
    );
    assert!(page.contains("could not be reached"), "{page}");
    assert_eq!(receivers.received().len(), 1);
    drop(hung);
}

#[tokio::test]
async fn the_admins_command_tells_every_client_with_a_back_channel() {
    let receivers = Receivers::start();
    let more = format!("{}{}", receivers.client("alpha"), receivers.client("beta"));
    let app = TestApp::builder()
        .mock_google(monban::dev::mock_upstream::Fault::None)
        .more_clients(&more)
        .spawn()
        .await;
    receivers.trust(&app, &["alpha", "beta"]).await;
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_monban"))
        .args(["sign-out", "mock-ada"])
        .env_clear()
        .envs(app.environment())
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("told: alpha") && stdout.contains("told: beta"),
        "{stdout}"
    );
    let received = receivers.received();
    assert_eq!(received.len(), 2, "{received:?}");
    for (_, checked) in received {
        let claims = checked.unwrap();
        assert_eq!(claims.sub, "mock-ada");
        assert_eq!(claims.sid, None, "every sign-in of the person");
    }
}

#[tokio::test]
async fn a_replayed_cookie_tells_no_one_again_and_logout_is_rate_limited() {
    let receivers = Receivers::start();
    let app = TestApp::builder()
        .mock_google(monban::dev::mock_upstream::Fault::None)
        .more_clients(&receivers.client("alpha"))
        .env(&[
            ("MONBAN_RATE_LIMIT_PER_MINUTE", "1"),
            ("MONBAN_RATE_LIMIT_BURST", "12"),
        ])
        .spawn()
        .await;
    receivers.trust(&app, &["alpha"]).await;
    assert_eq!(app.login_as("ada").await.status(), StatusCode::SEE_OTHER);
    // A code for alpha: the session cookie, now remembering alpha, as the browser holds it.
    let (url, _) = app.authorize_url("alpha", "");
    let to_alpha = app.get_url(&url).await;
    let session = to_alpha
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().unwrap().split(';').next())
        .find(|c| c.starts_with("monban_session="))
        .unwrap()
        .to_string();
    let home = app.get("/").await.text().await.unwrap();
    let out = app.press_sign_out(&home, &[]).await;
    assert_eq!(out.status(), StatusCode::OK);
    assert_eq!(receivers.received().len(), 1);
    // Someone who copied the cookie (and the page's form) replays the sign-out.
    let replayer = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = crate::helpers::hidden_fields(&home);
    let mut statuses = Vec::new();
    for _ in 0..12 {
        let response = replayer
            .post(format!("{}/logout", app.address))
            .header("cookie", &session)
            .form(&form)
            .send()
            .await
            .unwrap();
        statuses.push(response.status());
    }
    assert_eq!(receivers.received().len(), 1, "no louder than the first");
    assert!(statuses.contains(&StatusCode::SEE_OTHER), "{statuses:?}");
    assert_eq!(
        statuses.last(),
        Some(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
}
