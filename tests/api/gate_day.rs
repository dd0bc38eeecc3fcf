//! `monban gate` through a working day: past the access token's lifetime the gate renews it on the
//! first request that needs it (a page load, an XHR, a websocket upgrade), monban's refusal ends
//! the gate's session, websockets carry what apps send (subprotocols, large and fragmented
//! messages, close codes, refusals), and the gate's sign-out ends monban's session too and lands on
//! the app. Both clocks (monban's and the gate's) move; nobody sleeps.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::atomic::Ordering;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use awc::ws::{Frame, Message};
use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use reqwest::header::ACCEPT;

use crate::gate::{
    RunningGate, bare, clears, cookie_header, monban_with, set_cookies, sign_in,
    sign_out_everywhere, start_app, start_gate,
};
use crate::helpers::{TestApp, free_port, location};

/// JupyterLab's kernel websocket subprotocol.
const KERNEL_PROTOCOL: &str = "v1.kernel.websocket.jupyter.org";

/// monban (on a clock the test moves), the echo app, and a gate in front of it.
async fn a_day() -> (TestApp, RunningGate) {
    let app = start_app();
    let port = free_port();
    let gate_url = format!("http://127.0.0.1:{port}");
    let monban = monban_with(&gate_url, true).await;
    let gate = start_gate(&monban, port, &gate_url, &app);
    (monban, gate)
}

/// Moves monban's clock and the gate's `secs` forward.
fn later(monban: &TestApp, gate: &RunningGate, secs: u64) {
    monban.advance_clock(secs);
    gate.clock.fetch_add(secs, Ordering::Relaxed);
}

// actix's runtime: the test's own websocket client (awc) runs on it.
#[actix_web::test]
async fn past_the_tokens_lifetime_every_kind_of_request_renews_without_a_new_sign_in() {
    let (monban, gate) = a_day().await;
    let back = sign_in(&monban, &gate.url, "/hello", "ada").await;
    let mut jar = set_cookies(&back);
    let sealed = &jar["monban_gate"];
    assert!(
        sealed.len() < 1024,
        "the sealed person: {} bytes",
        sealed.len()
    );
    let all: usize = jar.iter().map(|(k, v)| k.len() + v.len() + 1).sum();
    assert!(all < 4096, "the gate's cookies together: {all} bytes");
    for name in ["monban_gate_token", "monban_gate_refresh", "monban_gate_id"] {
        assert!(jar.contains_key(name), "{name} in {jar:?}");
    }
    let first_token = jar["monban_gate_token"].clone();
    let bare = bare();

    // An hour and a bit later: an XHR (a notebook's save) is renewed on the spot, the new
    // cookies come with its answer, and the app gets a fresh token for the same person.
    later(&monban, &gate, 3600 + 5);
    let xhr = bare
        .put(format!("{}/api/contents/a.ipynb", gate.url))
        .header("cookie", cookie_header(&jar))
        .header("x-requested-with", "XMLHttpRequest")
        .send()
        .await
        .unwrap();
    assert_eq!(xhr.status(), StatusCode::OK);
    let renewed = set_cookies(&xhr);
    assert!(renewed.contains_key("monban_gate") && renewed.contains_key("monban_gate_token"));
    assert_ne!(renewed["monban_gate_token"], first_token);
    jar.extend(renewed);
    let echoed: serde_json::Value = xhr.json().await.unwrap();
    assert_eq!(echoed["headers"]["x-forwarded-user"], "mock-ada");
    assert_eq!(
        echoed["headers"]["x-monban-token"],
        jar["monban_gate_token"]
    );
    let claims = crate::helpers::claims_of(&jar["monban_gate_token"]);
    assert!(claims["exp"].as_u64().unwrap() > monban::clock::unix_now() + 3600);

    // With the renewed cookies, the next request needs no renewal.
    let again = bare
        .get(format!("{}/hello", gate.url))
        .header("cookie", cookie_header(&jar))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    assert!(set_cookies(&again).is_empty(), "nothing to renew");

    // Another hour: a page load renews the same way.
    later(&monban, &gate, 3600 + 5);
    let page = bare
        .get(format!("{}/tree", gate.url))
        .header("cookie", cookie_header(&jar))
        .header(ACCEPT, "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    jar.extend(set_cookies(&page));

    // And another: a websocket reconnect (a kernel) is renewed on its upgrade, and works.
    later(&monban, &gate, 3600 + 5);
    let ws_url = format!("{}/ws", gate.url.replace("http", "ws"));
    let (answer, mut socket) = awc::Client::new()
        .ws(ws_url)
        .set_header("cookie", cookie_header(&jar))
        .connect()
        .await
        .unwrap();
    let set: Vec<_> = answer.headers().get_all("set-cookie").collect();
    assert!(
        set.iter()
            .any(|c| c.to_str().unwrap().starts_with("monban_gate_token=")),
        "{set:?}"
    );
    socket.send(Message::Text("hello".into())).await.unwrap();
    match socket.next().await {
        Some(Ok(Frame::Text(text))) => assert_eq!(text, "mock-ada: hello"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn when_monban_refuses_the_renewal_the_gates_session_ends() {
    let (monban, gate) = a_day().await;
    let jar = set_cookies(&sign_in(&monban, &gate.url, "/hello", "ada").await);
    let bare = bare();
    // Past monban's refresh bounds (a refresh token unused for 14 days): no renewal.
    later(&monban, &gate, 15 * 24 * 3600);
    let xhr = bare
        .get(format!("{}/api/contents", gate.url))
        .header("cookie", cookie_header(&jar))
        .send()
        .await
        .unwrap();
    assert_eq!(xhr.status(), StatusCode::UNAUTHORIZED);
    assert!(clears(&xhr, "monban_gate"));
    let page = bare
        .get(format!("{}/tree", gate.url))
        .header("cookie", cookie_header(&jar))
        .header(ACCEPT, "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::FOUND);
    assert!(location(&page).path().ends_with("/_monban/start"));
}

#[tokio::test]
async fn a_refresh_cookie_swapped_for_another_persons_renews_no_one() {
    let (monban, gate) = a_day().await;
    let ada = set_cookies(&sign_in(&monban, &gate.url, "/hello", "ada").await);
    sign_out_everywhere(&monban, &gate.url).await;
    let grace = set_cookies(&sign_in(&monban, &gate.url, "/hello", "grace").await);
    let mut forged = ada.clone();
    forged.insert(
        "monban_gate_refresh".into(),
        grace["monban_gate_refresh"].clone(),
    );
    later(&monban, &gate, 3600 + 5);
    let ask = |jar: &HashMap<String, String>| {
        reqwest::Client::new()
            .get(format!("{}/hello", gate.url))
            .header("cookie", cookie_header(jar))
            .send()
    };
    assert_eq!(
        ask(&forged).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    // ada's own cookies still renew.
    assert_eq!(ask(&ada).await.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn the_gates_sign_out_ends_monbans_session_and_lands_on_the_app() {
    let (monban, gate) = a_day().await;
    sign_in(&monban, &gate.url, "/hello", "ada").await;
    let out = monban
        .client
        .post(format!("{}/_monban/logout", gate.url))
        .header("origin", &gate.url)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let at_monban = location(&out);
    assert!(at_monban.query().unwrap().contains("id_token_hint="));
    // monban signs out at once (the hint is this very sign-in) and returns to the app.
    let back = monban.client.get(at_monban).send().await.unwrap();
    assert_eq!(back.status(), StatusCode::SEE_OTHER, "no confirmation page");
    assert_eq!(location(&back).as_str(), format!("{}/", gate.url));
    let home = monban.get("/").await.text().await.unwrap();
    assert!(
        !home.contains("You are signed in"),
        "monban's session ended"
    );
    // The app's front page offers signing in again.
    let front = monban
        .client
        .get(format!("{}/", gate.url))
        .header(ACCEPT, "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(front.status(), StatusCode::FOUND);
    assert!(location(&front).path().ends_with("/_monban/start"));
}

/// An app whose websocket behaves as Jupyter's may: `/kernel` accepts JupyterLab's subprotocol,
/// echoes messages of any size (fragments arrive whole), answers `fragments` in three fragments,
/// and `close NNNN` by closing with that code; `/refused` turns every upgrade away with 403.
fn start_ws_app() -> String {
    async fn kernel(req: HttpRequest, body: web::Payload) -> actix_web::Result<HttpResponse> {
        let (response, mut session, messages) =
            actix_ws::handle_with_protocols(&req, body, &[KERNEL_PROTOCOL])?;
        let mut messages = messages
            .max_frame_size(64 * 1024 * 1024)
            .aggregate_continuations()
            .max_continuation_size(64 * 1024 * 1024);
        actix_web::rt::spawn(async move {
            while let Some(Ok(message)) = messages.next().await {
                let sent = match message {
                    actix_ws::AggregatedMessage::Text(text) if &*text == "fragments" => {
                        let item = actix_ws::Item::FirstText(web::Bytes::from_static(b"one "));
                        let _ = session.continuation(item).await;
                        let item = actix_ws::Item::Continue(web::Bytes::from_static(b"two "));
                        let _ = session.continuation(item).await;
                        let item = actix_ws::Item::Last(web::Bytes::from_static(b"three"));
                        session.continuation(item).await
                    }
                    actix_ws::AggregatedMessage::Text(text) if text.starts_with("close ") => {
                        let code: u16 = text[6..].parse().unwrap();
                        let _ = session
                            .close(Some(actix_ws::CloseCode::from(code).into()))
                            .await;
                        return;
                    }
                    actix_ws::AggregatedMessage::Text(text) => session.text(text).await,
                    actix_ws::AggregatedMessage::Binary(bytes) => session.binary(bytes).await,
                    _ => Ok(()),
                };
                if sent.is_err() {
                    break;
                }
            }
        });
        Ok(response)
    }
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = HttpServer::new(|| {
        App::new().route("/kernel", web::get().to(kernel)).route(
            "/refused",
            web::get().to(|| async { HttpResponse::Forbidden().body("no") }),
        )
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    url
}

// actix's runtime: the test's own websocket client (awc) runs on it.
#[actix_web::test]
async fn websockets_carry_what_a_notebook_sends() {
    let app = start_ws_app();
    let port = free_port();
    let gate_url = format!("http://127.0.0.1:{port}");
    let monban = monban_with(&gate_url, false).await;
    let gate = start_gate(&monban, port, &gate_url, &app);
    let jar = set_cookies(&sign_in(&monban, &gate.url, "/kernel", "ada").await);
    let ws = |path: &str| {
        awc::Client::new()
            .ws(format!("{}{path}", gate.url.replace("http", "ws")))
            .max_frame_size(64 * 1024 * 1024)
            .set_header("cookie", cookie_header(&jar))
    };
    // The subprotocol the app chose comes back to the browser.
    let (answer, mut socket) = ws("/kernel")
        .protocols([KERNEL_PROTOCOL])
        .connect()
        .await
        .unwrap();
    assert_eq!(
        answer.headers().get("sec-websocket-protocol").unwrap(),
        KERNEL_PROTOCOL
    );
    // 100,000 characters both ways (a cell's source and its output), then 5 MB of binary.
    let big = "x".repeat(100_000);
    socket
        .send(Message::Text(big.clone().into()))
        .await
        .unwrap();
    match socket.next().await {
        Some(Ok(Frame::Text(text))) => assert_eq!(text.len(), big.len()),
        other => panic!("{other:?}"),
    }
    let blob = vec![7u8; 5_000_000];
    socket
        .send(Message::Binary(blob.clone().into()))
        .await
        .unwrap();
    match socket.next().await {
        Some(Ok(Frame::Binary(bytes))) => assert_eq!(bytes.len(), blob.len()),
        other => panic!("{other:?}"),
    }
    // A message in fragments reaches the app whole; the app's fragments reach the browser.
    for item in [
        actix_ws::Item::FirstText("frag".into()),
        actix_ws::Item::Continue("ment".into()),
        actix_ws::Item::Last("ed".into()),
    ] {
        socket.send(Message::Continuation(item)).await.unwrap();
    }
    match socket.next().await {
        Some(Ok(Frame::Text(text))) => assert_eq!(text, "fragmented"),
        other => panic!("{other:?}"),
    }
    socket
        .send(Message::Text("fragments".into()))
        .await
        .unwrap();
    let mut whole = Vec::new();
    for _ in 0..3 {
        match socket.next().await {
            Some(Ok(Frame::Continuation(
                actix_ws::Item::FirstText(b)
                | actix_ws::Item::Continue(b)
                | actix_ws::Item::Last(b),
            ))) => whole.extend_from_slice(&b),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(whole, b"one two three");
    // The app closing with a code closes the browser's side with that code.
    socket
        .send(Message::Text("close 4001".into()))
        .await
        .unwrap();
    match socket.next().await {
        Some(Ok(Frame::Close(Some(reason)))) => assert_eq!(u16::from(reason.code), 4001),
        other => panic!("{other:?}"),
    }
    // The app's refusal of an upgrade reaches the browser as the app gave it.
    match ws("/refused").connect().await {
        Err(awc::error::WsClientError::InvalidResponseStatus(status)) => {
            assert_eq!(status.as_u16(), 403)
        }
        other => panic!("{:?}", other.map(|(r, _)| r.status())),
    }
}

#[tokio::test]
async fn behind_traefik_or_caddy_an_expired_session_renews_through_the_gates_start() {
    let (monban, gate) = a_day().await;
    let jar = set_cookies(&sign_in(&monban, &gate.url, "/hello", "ada").await);
    later(&monban, &gate, 3600 + 5);
    let bare = bare();
    // The proxy asks about an XHR saving a notebook, forwarding the browser's headers.
    let asked = bare
        .get(format!("{}/_monban/auth", gate.url))
        .header("cookie", cookie_header(&jar))
        .header("x-forwarded-method", "PUT")
        .header("x-forwarded-proto", "http")
        .header("x-forwarded-host", gate.url.trim_start_matches("http://"))
        .header("x-forwarded-uri", "/api/contents/a.ipynb")
        .header("x-requested-with", "XMLHttpRequest")
        .send()
        .await
        .unwrap();
    assert_eq!(asked.status(), StatusCode::TEMPORARY_REDIRECT);
    assert!(
        set_cookies(&asked).is_empty(),
        "the auth endpoint never renews"
    );
    // The browser repeats the PUT at the gate's start, which renews and sends it back.
    let start = location(&asked);
    let renewed = bare
        .put(format!(
            "{}{}?{}",
            gate.url,
            start.path(),
            start.query().unwrap()
        ))
        .header("cookie", cookie_header(&jar))
        .header("x-requested-with", "XMLHttpRequest")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(renewed.status(), StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(location(&renewed).path(), "/api/contents/a.ipynb");
    let mut jar = jar;
    jar.extend(set_cookies(&renewed));
    let again = bare
        .get(format!("{}/_monban/auth", gate.url))
        .header("cookie", cookie_header(&jar))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.headers()["x-forwarded-user"], "mock-ada");
}
