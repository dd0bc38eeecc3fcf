//! What a browser sends `monban gate` is hostile until checked: identity and forwarding headers
//! in any spelling, headers named in `Connection`, a token cookie that is not the person's, a
//! websocket from another site's page, a sign-out nobody pressed.

use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, SET_COOKIE};
use serde_json::Value;

use crate::gate::{
    bare, echoed, gated, monban_for, set_cookies, sign_in, sign_out_everywhere, start_app,
    start_gate,
};
use crate::helpers::{free_port, location};

/// Every header the app received whose name a CGI-style server reads as `name`.
fn as_cgi_reads<'a>(headers: &'a Value, name: &str) -> Vec<(&'a str, &'a str)> {
    headers
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| k.to_ascii_lowercase().replace('_', "-") == name)
        .map(|(k, v)| (k.as_str(), v.as_str().unwrap()))
        .collect()
}

#[tokio::test]
async fn identity_headers_in_any_spelling_never_reach_the_app() {
    let (monban, gate) = gated().await;
    sign_in(&monban, &gate.url, "/hello", "ada").await;
    let body = echoed(
        &monban,
        &gate.url,
        &[
            ("X_Forwarded_Roles", "root-of-all"),
            ("x_forwarded_user", "root"),
            ("X-FORWARDED-EMAIL", "root@evil.example"),
            ("x_monban_token", "forged"),
        ],
    )
    .await;
    let headers = &body["headers"];
    for (name, gates) in [
        ("x-forwarded-user", "mock-ada"),
        ("x-forwarded-email", "ada@lab.example.org"),
    ] {
        assert_eq!(as_cgi_reads(headers, name), [(name, gates)]);
    }
    let roles = as_cgi_reads(headers, "x-forwarded-roles");
    assert_eq!(roles.len(), 1, "{roles:?}");
    assert!(!roles[0].1.contains("root-of-all"), "{roles:?}");
    let tokens = as_cgi_reads(headers, "x-monban-token");
    assert_eq!(tokens.len(), 1);
    assert_ne!(tokens[0].1, "forged");
}

#[tokio::test]
async fn the_app_sees_where_a_request_came_from_as_the_gate_knows_it() {
    let (monban, gate) = gated().await;
    sign_in(&monban, &gate.url, "/hello", "ada").await;
    let body = echoed(
        &monban,
        &gate.url,
        &[
            ("Forwarded", "for=6.6.6.6;host=evil.example;proto=https"),
            ("X-Forwarded-For", "6.6.6.6"),
            ("X-Forwarded-Host", "evil.example"),
            ("X_Forwarded_Proto", "https"),
            ("X-Real-IP", "6.6.6.6"),
            ("Connection", "keep-alive, X-Internal-Secret"),
            ("X-Internal-Secret", "s3cret"),
            ("X-Kept", "yes"),
        ],
    )
    .await;
    let headers = &body["headers"];
    let gate_host = gate.url.trim_start_matches("http://");
    for (name, expected) in [
        ("x-forwarded-for", "127.0.0.1".to_string()),
        ("x-real-ip", "127.0.0.1".to_string()),
        ("x-forwarded-host", gate_host.to_string()),
        ("x-forwarded-proto", "http".to_string()),
        (
            "forwarded",
            format!("for=127.0.0.1;host=\"{gate_host}\";proto=http"),
        ),
    ] {
        assert_eq!(as_cgi_reads(headers, name), [(name, expected.as_str())]);
    }
    assert!(headers.get("x-internal-secret").is_none(), "{headers}");
    assert_eq!(headers["x-kept"], "yes");
}

#[tokio::test]
async fn the_app_sees_the_gates_public_host_never_the_clients() {
    let (monban, gate) = gated().await;
    sign_in(&monban, &gate.url, "/hello", "ada").await;
    let body = echoed(&monban, &gate.url, &[("Host", "evil.example")]).await;
    let gate_host = gate.url.trim_start_matches("http://");
    assert_eq!(
        as_cgi_reads(&body["headers"], "host"),
        [("host", gate_host)]
    );
}

#[tokio::test]
async fn the_token_passed_on_is_the_sealed_persons_or_no_one_is_signed_in() {
    let app = start_app();
    let port = free_port();
    let gate_url = format!("http://127.0.0.1:{port}");
    let monban = monban_for(&gate_url).await;
    let gate = start_gate(&monban, port, &gate_url, &app);
    let ada = set_cookies(&sign_in(&monban, &gate.url, "/hello", "ada").await);
    sign_out_everywhere(&monban, &gate.url).await;
    let grace = set_cookies(&sign_in(&monban, &gate.url, "/hello", "grace").await);
    let ask = |person: &str, token: &str| {
        bare()
            .get(format!("{}/hello", gate.url))
            .header(ACCEPT, "text/html")
            .header(
                "cookie",
                format!("monban_gate={person}; monban_gate_token={token}"),
            )
            .send()
    };
    let mine = ask(&ada["monban_gate"], &ada["monban_gate_token"])
        .await
        .unwrap();
    assert_eq!(mine.status(), StatusCode::OK);
    let body: Value = mine.json().await.unwrap();
    assert_eq!(body["headers"]["x-forwarded-user"], "mock-ada");
    // ada's sealed person with grace's token, or with garbage: nobody, sign in again.
    for token in [grace["monban_gate_token"].as_str(), "garbage", ""] {
        let swapped = ask(&ada["monban_gate"], token).await.unwrap();
        assert_eq!(swapped.status(), StatusCode::FOUND, "{token}");
        assert!(location(&swapped).path().ends_with("/_monban/start"));
    }
    // Forward auth answers the same.
    let auth = bare()
        .get(format!("{}/_monban/auth", gate.url))
        .header(
            "cookie",
            format!(
                "monban_gate={}; monban_gate_token={}",
                ada["monban_gate"], grace["monban_gate_token"]
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(auth.status(), StatusCode::UNAUTHORIZED);

    // The binding needs neither monban nor its keys: a gate instance started while monban is
    // down still serves ada, and still refuses the swapped token.
    monban.stop().await;
    let fresh = start_gate(&monban, free_port(), &gate_url, &app);
    let ask_fresh = |token: &str| {
        bare()
            .get(format!("{}/hello", fresh.url))
            .header(ACCEPT, "text/html")
            .header(
                "cookie",
                format!(
                    "monban_gate={}; monban_gate_token={token}",
                    ada["monban_gate"]
                ),
            )
            .send()
    };
    let served = ask_fresh(&ada["monban_gate_token"]).await.unwrap();
    assert_eq!(served.status(), StatusCode::OK);
    let body: Value = served.json().await.unwrap();
    assert_eq!(body["headers"]["x-forwarded-user"], "mock-ada");
    let swapped = ask_fresh(&grace["monban_gate_token"]).await.unwrap();
    assert_eq!(swapped.status(), StatusCode::FOUND);
}

// actix's runtime: the test's websocket client (awc) runs on it.
#[actix_web::test]
async fn a_websocket_only_from_the_gates_pages_and_a_sign_out_only_by_its_button() {
    let (monban, gate) = gated().await;
    let cookies = set_cookies(&sign_in(&monban, &gate.url, "/hello", "ada").await);
    let cookie: Vec<String> = cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let cookie = cookie.join("; ");
    let ws_url = format!("{}/ws", gate.url.replace("http", "ws"));
    let connect = |origin: &str| {
        awc::Client::new()
            .ws(ws_url.as_str())
            .origin(origin)
            .set_header("cookie", cookie.as_str())
            .connect()
    };
    // Cross-site websocket hijacking: a page of another site is refused.
    match connect("https://evil.example").await {
        Err(awc::error::WsClientError::InvalidResponseStatus(status)) => {
            assert_eq!(status.as_u16(), 403)
        }
        other => panic!("{:?}", other.map(|(r, _)| r.status())),
    }
    let (_, mut socket) = connect(&gate.url).await.unwrap();
    socket
        .send(awc::ws::Message::Text("hi".into()))
        .await
        .unwrap();
    assert!(matches!(
        socket.next().await,
        Some(Ok(awc::ws::Frame::Text(_)))
    ));

    let signed_in = || async {
        bare()
            .get(format!("{}/hello", gate.url))
            .header("cookie", cookie.as_str())
            .send()
            .await
            .unwrap()
            .status()
            == StatusCode::OK
    };
    let logout = format!("{}/_monban/logout", gate.url);
    // A link (GET) shows the button; nobody is signed out.
    let page = bare()
        .get(&logout)
        .header("cookie", cookie.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()["referrer-policy"], "same-origin");
    let html = page.text().await.unwrap();
    assert!(
        html.contains(r#"<form method="post" action="/_monban/logout">"#),
        "{html}"
    );
    // A form on another site, or a no-referrer form on a sibling host: refused.
    for (origin, site) in [
        ("https://evil.example", "cross-site"),
        ("null", "same-site"),
    ] {
        let forged = bare()
            .post(&logout)
            .header("cookie", cookie.as_str())
            .header("origin", origin)
            .header("sec-fetch-site", site)
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), StatusCode::FORBIDDEN, "{origin}");
        assert!(forged.headers().get(SET_COOKIE).is_none());
    }
    assert!(signed_in().await);
    // The button: from the gate's own origin.
    let out = bare()
        .post(&logout)
        .header("cookie", cookie.as_str())
        .header("origin", &gate.url)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    // Every cookie of the gate's is cleared: the person, and monban's access, refresh and ID
    // tokens, and a sign-in in flight.
    let cleared = out.headers().get_all(SET_COOKIE).iter().count();
    assert_eq!(cleared, 5);
}
