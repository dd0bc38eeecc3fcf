//! Signing in through the mock upstream, as a browser with a cookie jar would.

use std::net::TcpListener;
use std::time::Instant;

use monban::dev::mock_upstream::Fault;
use monban::session::login_state::{LoginState, binding_hash};
use monban::session::seal::Purpose;
use reqwest::StatusCode;

use crate::helpers::{TestApp, assert_not_logged, location, logged};

fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("monban_session=") && !c.starts_with("monban_session=;"))
}

async fn home(app: &TestApp) -> String {
    app.get("/").await.text().await.unwrap()
}

#[tokio::test]
async fn a_lab_member_signs_in_and_monban_remembers_them() {
    let app = TestApp::builder().mock_google(Fault::None).spawn().await;
    assert!(home(&app).await.contains("Sign in with Google"));

    let authorize = app.begin_login("").await;
    let query: Vec<(String, String)> = authorize.query_pairs().into_owned().collect();
    let param = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    assert_eq!(param("code_challenge_method").as_deref(), Some("S256"));
    assert!(param("nonce").is_some() && param("state").is_some());
    assert_eq!(
        param("redirect_uri").unwrap(),
        format!("{}/callback", app.issuer)
    );

    let callback = app.choose_user(&authorize, "ada").await;
    let response = app.get_url(&app.here(&callback)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response).path(), "/");
    let cookie = session_cookie(&response).expect("a session cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );

    let page = home(&app).await;
    assert!(
        page.contains("Ada Lovelace") && page.contains("ada@lab.example.org"),
        "{page}"
    );
    assert!(page.contains("admin") && page.contains("Sign out"));

    let code = callback
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let state = param("state").unwrap();
    let cookie_value = cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_string();
    assert_not_logged(&[&code, &state, &cookie_value, "monban-test-upstream-secret"]);
}

#[tokio::test]
async fn signing_out_ends_the_session() {
    let app = TestApp::builder().mock_google(Fault::None).spawn().await;
    assert_eq!(app.login_as("grace").await.status(), StatusCode::SEE_OTHER);
    assert!(home(&app).await.contains("Grace Hopper"));
    let out = app.sign_out().await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert!(home(&app).await.contains("Sign in with Google"));
    assert!(logged(r#"event="sign_out" email="grace@lab.example.org""#));
}

#[tokio::test]
async fn an_allowed_gmail_address_gets_in() {
    let app = TestApp::builder().mock_google(Fault::None).spawn().await;
    assert_eq!(app.login_as("alan").await.status(), StatusCode::SEE_OTHER);
    assert!(home(&app).await.contains("Alan Turing"));
}

#[tokio::test]
async fn an_outsider_is_refused_by_name_with_no_session() {
    let app = TestApp::builder().mock_google(Fault::None).spawn().await;
    let response = app.login_as("mallory").await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(session_cookie(&response).is_none());
    let page = response.text().await.unwrap();
    assert!(page.contains("mallory@outsider.example"), "{page}");
    assert!(page.contains("Example Lab") && page.contains("not allowed"));
    assert!(page.contains("/login?prompt=select_account"), "{page}");
    assert!(home(&app).await.contains("Sign in with Google"));
    assert!(logged(
        r#"event="sign_in.refused" reason="not_allowed" email="mallory@outsider.example""#
    ));

    let chooser = app.begin_login("?prompt=select_account").await;
    assert!(
        chooser
            .query_pairs()
            .any(|(k, v)| k == "prompt" && v == "select_account")
    );
}

#[tokio::test]
async fn an_unverified_email_is_refused() {
    let app = TestApp::builder().mock_google(Fault::None).spawn().await;
    let response = app.login_as("eve").await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(session_cookie(&response).is_none());
    assert!(response.text().await.unwrap().contains("not verified"));
}

async fn assert_id_token_refused(fault: Fault) {
    let app = TestApp::builder().mock_google(fault).spawn().await;
    let response = app.login_as("ada").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{fault:?}");
    assert!(session_cookie(&response).is_none());
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("could not be verified")
    );
    assert!(home(&app).await.contains("Sign in with Google"));
}

#[tokio::test]
async fn an_id_token_with_the_wrong_nonce_is_refused() {
    assert_id_token_refused(Fault::WrongNonce).await;
}

#[tokio::test]
async fn an_id_token_for_another_audience_is_refused() {
    assert_id_token_refused(Fault::WrongAudience).await;
}

#[tokio::test]
async fn an_id_token_signed_by_an_unknown_key_is_refused() {
    assert_id_token_refused(Fault::UnknownKey).await;
}

#[tokio::test]
async fn a_missing_tampered_or_expired_state_is_refused() {
    let app = TestApp::builder().mock_google(Fault::None).spawn().await;
    let authorize = app.begin_login("").await;
    let callback = app.choose_user(&authorize, "ada").await;
    let code = callback
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let state = callback
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();

    let missing = app.get(&format!("/callback?code={code}")).await;
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);

    let mut tampered = state.clone().into_bytes();
    let i = tampered.len() / 2;
    tampered[i] = if tampered[i] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let response = app
        .get(&format!("/callback?code={code}&state={tampered}"))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.text().await.unwrap().contains("not valid"));

    // A state sealed with this deployment's own keys, but expired: made as an instance would.
    let sealer = app.sealer();
    let expired = sealer.seal(
        Purpose::LoginState,
        &LoginState {
            nonce: "n".into(),
            pkce_verifier: "v".into(),
            binding: binding_hash("whatever"),
            return_to: "/".into(),
        },
        1,
    );
    let response = app
        .get(&format!("/callback?code={code}&state={expired}"))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.text().await.unwrap().contains("too long"));

    // A session sealed value is not a login state.
    let session = sealer.seal(Purpose::Session, &"ada", u64::MAX / 2);
    let response = app
        .get(&format!("/callback?code={code}&state={session}"))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_callback_replayed_in_another_browser_fails() {
    let app = TestApp::builder().mock_google(Fault::None).spawn().await;
    let authorize = app.begin_login("").await;
    let callback = app.choose_user(&authorize, "ada").await;
    let other_browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    let response = other_browser.get(app.here(&callback)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(session_cookie(&response).is_none());
    assert!(response.text().await.unwrap().contains("another browser"));
}

#[tokio::test]
async fn login_csrf_with_an_attackers_callback_fails() {
    let attacker = TestApp::builder().mock_google(Fault::None).spawn().await;
    let authorize = attacker.begin_login("").await;
    let planted = attacker.choose_user(&authorize, "mallory").await;
    // The victim's browser has its own binding cookie from a login of its own.
    let victim = attacker.spawn_sibling().await;
    let victim_browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    let own = victim_browser
        .get(format!("{}/login", victim.address))
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), StatusCode::SEE_OTHER);
    let response = victim_browser
        .get(attacker.here(&planted))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn two_tabs_signing_in_at_once_both_succeed() {
    let app = TestApp::builder().mock_google(Fault::None).spawn().await;
    let first = app.begin_login("").await;
    let second = app.begin_login("?return_to=/somewhere").await;
    let second_callback = app.choose_user(&second, "grace").await;
    let first_callback = app.choose_user(&first, "ada").await;
    let a = app.get_url(&app.here(&first_callback)).await;
    let b = app.get_url(&app.here(&second_callback)).await;
    assert_eq!(a.status(), StatusCode::SEE_OTHER);
    assert_eq!(b.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&b).path(), "/somewhere");
}

#[tokio::test]
async fn a_login_started_on_one_instance_finishes_on_another() {
    let first = TestApp::builder().mock_google(Fault::None).spawn().await;
    let authorize = first.begin_login("").await;
    let callback = first.choose_user(&authorize, "ada").await;
    let second = first.spawn_sibling().await;
    let response = second.get_url(&second.here(&callback)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    // The session made by the second instance is honoured by the first.
    assert!(home(&first).await.contains("Ada Lovelace"));
}

#[tokio::test]
async fn a_login_survives_a_restart_between_its_two_steps() {
    let before = TestApp::builder().mock_google(Fault::None).spawn().await;
    let authorize = before.begin_login("").await;
    let callback = before.choose_user(&authorize, "grace").await;
    before.stop().await;
    let after = before.spawn_sibling().await;
    let response = after.get_url(&after.here(&callback)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(home(&after).await.contains("Grace Hopper"));
}

#[tokio::test]
async fn an_unreachable_upstream_gives_a_clear_503_and_spares_everything_else() {
    // Port 1: below the ephemeral range every other test binds in, so nothing ever listens there
    // (a freed ephemeral port could be taken by a parallel test in between).
    let app = TestApp::builder()
        .upstream_at("http://127.0.0.1:1", None)
        .spawn()
        .await;
    let response = app.get("/login").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.text().await.unwrap().contains("unreachable"));
    assert!(logged(
        r#"event="sign_in.refused" reason="upstream_unreachable""#
    ));
    assert_eq!(
        app.get("/.well-known/jwks.json").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get("/.well-known/openid-configuration").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_hanging_upstream_times_out_within_seconds() {
    // Accepts connections (the kernel's backlog) but never answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let upstream = format!("http://{}", silent.local_addr().unwrap());
    let app = TestApp::builder()
        .upstream_at(&upstream, None)
        .env(&[("MONBAN_UPSTREAM__TIMEOUT_SECS", "1")])
        .spawn()
        .await;
    let started = Instant::now();
    let response = app.get("/login").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(started.elapsed().as_secs() < 5, "{:?}", started.elapsed());
    drop(silent);
}

#[tokio::test]
async fn signed_in_users_stay_signed_in_when_the_upstream_goes_down() {
    let app = TestApp::builder().mock_google(Fault::None).spawn().await;
    assert_eq!(app.login_as("ada").await.status(), StatusCode::SEE_OTHER);
    app.mock.as_ref().unwrap().stop().await;
    assert!(home(&app).await.contains("Ada Lovelace"));
    assert_eq!(
        app.get("/.well-known/jwks.json").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn pages_forbid_framing_and_foreign_resources() {
    let app = TestApp::builder().mock_google(Fault::None).spawn().await;
    let response = app.get("/").await;
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'none'"));
    let page = response.text().await.unwrap();
    assert!(!page.contains("<script"), "the page needs no JavaScript");
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "no external resources"
    );
}

#[tokio::test]
async fn configured_session_secrets_seal_and_rotate() {
    let secret_a = monban::config::generate_session_secret();
    let secret_b = monban::config::generate_session_secret();
    let mock_app = TestApp::builder().mock_google(Fault::None).spawn().await;
    let upstream = mock_app.mock.as_ref().unwrap().issuer().to_string();
    let old = TestApp::builder()
        .upstream_at(&upstream, mock_app.mock.clone())
        .env(&[("MONBAN_SESSION_SECRETS", &secret_a)])
        .spawn()
        .await;
    assert_eq!(old.login_as("ada").await.status(), StatusCode::SEE_OTHER);
    // Rotate: a new secret seals, the old one still opens.
    let rotated = format!("{secret_b},{secret_a}");
    // Instances of the same deployment (one issuer) with the new configuration.
    let new = old
        .spawn_sibling_with(&[("MONBAN_SESSION_SECRETS", &rotated)])
        .await;
    let page = old
        .client
        .get(format!("{}/", new.address))
        .send()
        .await
        .unwrap();
    assert!(page.text().await.unwrap().contains("Ada Lovelace"));
    // Without the old secret, the old session no longer opens: rotating it out logs everyone out.
    let only_new = old
        .spawn_sibling_with(&[("MONBAN_SESSION_SECRETS", &secret_b)])
        .await;
    let page = old
        .client
        .get(format!("{}/", only_new.address))
        .send()
        .await
        .unwrap();
    assert!(page.text().await.unwrap().contains("Sign in with Google"));
}
