//! `monban gate` in front of an app that echoes what it receives (headers, a stream, a
//! websocket), signing people in through a real monban and the mock Google; and behind Debian's
//! nginx as forward auth (`auth_request`).

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use futures_util::{SinkExt, StreamExt};
use monban::clock::Clock;
use monban::gate::{Gate, GateConfig};
use monban_verify::{Options, Verifier};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, SET_COOKIE};
use serde_json::Value;

use crate::helpers::{TestApp, free_port, location};

const GATE_SECRET: &str = "notebooks-client-secret";
const SESSION_SECRET: &str = "DDWpQgde_2tuFStCu4bg9LNSJ1FVKzW7l3sBkWX7kfg";

/// The app behind the gate: `/ws` echoes websocket messages, `/stream` answers in chunks, and
/// anything else echoes the request's headers as JSON.
pub(crate) fn start_app() -> String {
    async fn echo(req: HttpRequest) -> HttpResponse {
        let headers: HashMap<String, String> = req
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_string()))
            .collect();
        HttpResponse::Ok().json(serde_json::json!({"path": req.path(), "headers": headers}))
    }
    async fn stream() -> HttpResponse {
        let chunks = futures_util::stream::iter(
            ["one ", "two ", "three"].map(|c| Ok::<_, actix_web::Error>(web::Bytes::from(c))),
        );
        HttpResponse::Ok().streaming(chunks)
    }
    async fn ws(req: HttpRequest, body: web::Payload) -> actix_web::Result<HttpResponse> {
        let (response, mut session, mut messages) = actix_ws::handle(&req, body)?;
        let user = req
            .headers()
            .get("x-forwarded-user")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("nobody")
            .to_string();
        actix_web::rt::spawn(async move {
            while let Some(Ok(actix_ws::Message::Text(text))) = messages.next().await {
                if session.text(format!("{user}: {text}")).await.is_err() {
                    break;
                }
            }
        });
        Ok(response)
    }
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = HttpServer::new(|| {
        App::new()
            .route("/ws", web::get().to(ws))
            .route("/stream", web::get().to(stream))
            .default_service(web::to(echo))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    url
}

/// monban with a `notebooks` client for a gate at `gate_url`, ada holding several roles.
pub(crate) async fn monban_for(gate_url: &str) -> TestApp {
    monban_with(gate_url, false).await
}

/// [`monban_for`], on a clock the test moves when `manual_clock`.
pub(crate) async fn monban_with(gate_url: &str, manual_clock: bool) -> TestApp {
    let client = format!(
        "[[clients]]\nid = \"notebooks\"\nname = \"Notebooks\"\nsecret = \"{GATE_SECRET}\"\n\
         redirect_uris = [\"{gate_url}/_monban/callback\"]\n\
         post_logout_redirect_uris = [\"{gate_url}/\"]\n"
    );
    let builder = TestApp::builder();
    let builder = if manual_clock {
        builder.manual_clock()
    } else {
        builder
    };
    builder
        .mock_google(monban::dev::mock_upstream::Fault::None)
        .more_clients(&client)
        .env(&[
            ("MONBAN_ROLES__STAFF", "ada@lab.example.org"),
            ("MONBAN_ROLES__NOTEBOOK_USERS", "ada@lab.example.org"),
            ("MONBAN_ROLES__GPU_QUEUE", "ada@lab.example.org"),
            ("MONBAN_ROLES__INVENTORY_EDITORS", "ada@lab.example.org"),
        ])
        .spawn()
        .await
}

/// A running gate, and its clock.
pub(crate) struct RunningGate {
    pub(crate) url: String,
    pub(crate) clock: Arc<AtomicU64>,
}

pub(crate) fn start_gate(monban: &TestApp, port: u16, public_url: &str, app: &str) -> RunningGate {
    let env: HashMap<String, String> = [
        ("MONBAN_GATE__ISSUER", monban.issuer.as_str()),
        ("MONBAN_GATE__CLIENT_ID", "notebooks"),
        ("MONBAN_GATE__CLIENT_SECRET", GATE_SECRET),
        ("MONBAN_GATE__URL", public_url),
        ("MONBAN_GATE__UPSTREAM", app),
        ("MONBAN_GATE__ALLOWED_ROLES", "notebook_users"),
        ("MONBAN_GATE__SESSION_SECRETS", SESSION_SECRET),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let config = GateConfig::load(&env).unwrap();
    let clock = Arc::new(AtomicU64::new(monban::clock::unix_now()));
    let gate = Gate::new(config, Clock::manual(clock.clone())).unwrap();
    let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
    tokio::spawn(monban::gate::server(gate, listener).unwrap());
    RunningGate {
        url: format!("http://127.0.0.1:{port}"),
        clock,
    }
}

/// monban, an app, and a gate in front of it on its own port.
pub(crate) async fn gated() -> (TestApp, RunningGate) {
    let app = start_app();
    let port = free_port();
    let gate_url = format!("http://127.0.0.1:{port}");
    let monban = monban_for(&gate_url).await;
    let gate = start_gate(&monban, port, &gate_url, &app);
    (monban, gate)
}

/// Signs `user` in through the gate at `url` (a page load of `path`); returns the callback's
/// response (its cookies are in `monban.client`'s jar).
pub(crate) async fn sign_in(
    monban: &TestApp,
    url: &str,
    path: &str,
    user: &str,
) -> reqwest::Response {
    let first = monban
        .client
        .get(format!("{url}{path}"))
        .header(ACCEPT, "text/html")
        .send()
        .await
        .unwrap();
    assert!(
        first.status().is_redirection(),
        "a page load is sent to sign in: {}",
        first.status()
    );
    // To the gate's sign-in (the reverse proxy, Traefik, Caddy), or straight to monban (nginx,
    // whose `error_page` has the gate answer in place).
    let to = location(&first);
    let start = if to.path().ends_with("/_monban/start") {
        format!("{url}{}?{}", to.path(), to.query().unwrap_or_default())
    } else {
        to.to_string()
    };
    let callback = monban
        .follow_until(&start, user, &format!("{url}/_monban/callback"))
        .await;
    monban.client.get(callback).send().await.unwrap()
}

/// The cookies a response sets, by name (removals left out).
pub(crate) fn set_cookies(response: &reqwest::Response) -> HashMap<String, String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().unwrap().split(';').next())
        .filter_map(|c| c.split_once('='))
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Whether a response clears the cookie `name`.
pub(crate) fn clears(response: &reqwest::Response, name: &str) -> bool {
    (response.headers().get_all(SET_COOKIE).iter())
        .any(|v| v.to_str().unwrap().starts_with(&format!("{name}=;")))
}

/// The `Cookie` header of a browser holding `cookies`.
pub(crate) fn cookie_header(cookies: &HashMap<String, String>) -> String {
    let pairs: Vec<String> = cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
    pairs.join("; ")
}

/// A browser with no cookie jar, redirects off.
pub(crate) fn bare() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Signs out with the gate's button (its cookies cleared), then at monban.
pub(crate) async fn sign_out_everywhere(monban: &TestApp, gate_url: &str) {
    let out = monban
        .client
        .post(format!("{gate_url}/_monban/logout"))
        .header("origin", gate_url)
        .header("content-length", "0")
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    monban.sign_out().await;
}

pub(crate) async fn echoed(monban: &TestApp, url: &str, extra: &[(&str, &str)]) -> Value {
    let mut request = monban.client.get(format!("{url}/hello"));
    for (k, v) in extra {
        request = request.header(*k, *v);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

// actix's runtime: the test's own websocket client (awc) runs on it.
#[actix_web::test]
async fn the_gate_signs_people_in_and_tells_the_app_who_they_are() {
    let (monban, gate) = gated().await;

    let back = sign_in(&monban, &gate.url, "/hello", "ada").await;
    assert_eq!(back.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&back).path(), "/hello");
    let person_cookie = back
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("monban_gate="))
        .unwrap();
    assert!(person_cookie.len() < 1024, "{} bytes", person_cookie.len());

    // Forged identity headers never reach the app; the gate's do, and its cookies do not.
    let body = echoed(
        &monban,
        &gate.url,
        &[
            ("X-Forwarded-User", "root"),
            ("x-forwarded-roles", "admin"),
            ("X-Monban-Token", "x"),
        ],
    )
    .await;
    let headers = &body["headers"];
    assert_eq!(headers["x-forwarded-user"], "mock-ada");
    assert_eq!(headers["x-forwarded-email"], "ada@lab.example.org");
    let roles = headers["x-forwarded-roles"].as_str().unwrap();
    assert!(
        roles.contains("notebook_users") && roles.contains("staff"),
        "{roles}"
    );
    let cookie = headers["cookie"].as_str().unwrap_or_default();
    assert!(!cookie.contains("monban_gate"), "{cookie}");
    // The token verifies offline, as the app may check it.
    let verifier = Verifier::from_jwks(
        &monban.issuer,
        "notebooks",
        &monban.jwks().await,
        Options::default(),
    );
    let claims = verifier
        .verify_cached(headers["x-monban-token"].as_str().unwrap())
        .unwrap();
    assert_eq!(claims.sub, "mock-ada");

    // A streamed answer comes through whole.
    let streamed = monban
        .client
        .get(format!("{}/stream", gate.url))
        .send()
        .await
        .unwrap();
    assert_eq!(streamed.text().await.unwrap(), "one two three");

    // A websocket, frame by frame, with the identity the gate adds.
    let cookies: Vec<String> = back
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().unwrap().split(';').next().map(str::to_string))
        .filter(|c| !c.ends_with('='))
        .collect();
    let ws_url = format!("{}/ws", gate.url.replace("http", "ws"));
    let (_, mut socket) = awc::Client::new()
        .ws(ws_url)
        .set_header("cookie", cookies.join("; "))
        .set_header("x-forwarded-user", "root")
        .connect()
        .await
        .unwrap();
    socket
        .send(awc::ws::Message::Text("hello".into()))
        .await
        .unwrap();
    match socket.next().await {
        Some(Ok(awc::ws::Frame::Text(text))) => assert_eq!(text, "mock-ada: hello"),
        other => panic!("{other:?}"),
    }

    // monban goes down: the people already signed in carry on (nothing is asked of monban).
    monban.stop().await;
    let body = echoed(&monban, &gate.url, &[]).await;
    assert_eq!(body["headers"]["x-forwarded-user"], "mock-ada");
}

#[tokio::test]
async fn a_stale_tampered_or_missing_cookie_means_signing_in_again() {
    let (monban, gate) = gated().await;
    let back = sign_in(&monban, &gate.url, "/hello", "ada").await;
    let cookie = |name: &str| {
        back.headers()
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
            .find(|c| c.starts_with(&format!("{name}=")))
            .unwrap()
    };
    let (person, token) = (cookie("monban_gate"), cookie("monban_gate_token"));
    let fresh = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let ask = |person: String| {
        fresh
            .get(format!("{}/hello", gate.url))
            .header(ACCEPT, "text/html")
            .header("cookie", format!("{person}; {token}"))
            .send()
    };
    assert_eq!(ask(person.clone()).await.unwrap().status(), StatusCode::OK);
    let mut tampered = person.clone();
    tampered.pop();
    tampered.push(if person.ends_with('A') { 'B' } else { 'A' });
    for cookie in [tampered, String::new()] {
        let response = ask(cookie).await.unwrap();
        assert_eq!(response.status(), StatusCode::FOUND);
        assert!(location(&response).path().ends_with("/_monban/start"));
    }
    // An XHR without a session gets 401, not a redirect it cannot follow.
    let xhr = fresh.get(format!("{}/api", gate.url)).send().await.unwrap();
    assert_eq!(xhr.status(), StatusCode::UNAUTHORIZED);
    // Past the token's hour, the cookie is stale.
    gate.clock
        .fetch_add(3600 + 1, std::sync::atomic::Ordering::Relaxed);
    assert_eq!(ask(person).await.unwrap().status(), StatusCode::FOUND);
}

#[tokio::test]
async fn the_rules_refuse_others_with_a_clear_page_and_forward_auth_answers_proxies() {
    let (monban, gate) = gated().await;
    let auth = format!("{}/_monban/auth", gate.url);
    // Not signed in: 401 for nginx, a redirect for a page load behind Traefik and Caddy
    // (X-Forwarded-Uri), 401 for a script behind them.
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    assert_eq!(
        anonymous.get(&auth).send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let traefik = |mode: &'static str| {
        anonymous
            .get(&auth)
            .header("x-forwarded-proto", "http")
            .header("x-forwarded-host", gate.url.trim_start_matches("http://"))
            .header("x-forwarded-uri", "/notebook/1")
            .header("x-forwarded-method", "GET")
            .header(ACCEPT, "text/html")
            .header("sec-fetch-mode", mode)
            .send()
    };
    let page = traefik("navigate").await.unwrap();
    assert_eq!(page.status(), StatusCode::FOUND);
    assert!(location(&page).query().unwrap().contains("notebook%2F1"));
    let script = traefik("cors").await.unwrap();
    assert_eq!(script.status(), StatusCode::UNAUTHORIZED);
    // ada has the notebook_users role: 200 with the identity headers.
    sign_in(&monban, &gate.url, "/hello", "ada").await;
    let allowed = monban.client.get(&auth).send().await.unwrap();
    assert_eq!(allowed.status(), StatusCode::OK);
    assert_eq!(allowed.headers()["x-forwarded-user"], "mock-ada");
    assert_eq!(
        allowed.headers()["x-forwarded-email"],
        "ada@lab.example.org"
    );
    // Sign-out (the button of the gate's page, from its own origin) clears the gate's cookies
    // and goes on to monban, which signs out too.
    let out = monban
        .client
        .post(format!("{}/_monban/logout", gate.url))
        .header("origin", &gate.url)
        .send()
        .await
        .unwrap();
    let at_monban = location(&out);
    assert!(
        at_monban
            .as_str()
            .starts_with(&format!("{}/logout", monban.issuer))
    );
    assert_eq!(
        monban.client.get(&auth).send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    monban.sign_out().await;
    // grace has no notebook_users role.
    sign_in(&monban, &gate.url, "/hello", "grace").await;
    let refused = monban
        .client
        .get(format!("{}/hello", gate.url))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let page = refused.text().await.unwrap();
    assert!(
        page.contains("grace@lab.example.org") && page.contains("not open to you"),
        "{page}"
    );
    assert_eq!(
        monban.client.get(&auth).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    // In the browser's language.
    let ja = monban
        .client
        .get(format!("{}/hello", gate.url))
        .header("accept-language", "ja-JP,ja;q=0.9")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        ja.contains("lang=\"ja\"") && ja.contains("利用できません"),
        "{ja}"
    );
}

#[tokio::test]
async fn a_bad_gate_variable_stops_it_at_start_up_naming_the_variable() {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_monban"))
        .arg("gate")
        .env_clear()
        .env("MONBAN_GATE__ISSUER", "https://login.example.org")
        .env("MONBAN_GATE__UPSTREM", "http://127.0.0.1:8888")
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("MONBAN_GATE__UPSTREM"), "{stderr}");
}
