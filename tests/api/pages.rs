//! The pages people see, in the language their browser asks for: every page, every way of
//! asking (`ja`, `ja-JP`, `en-US`, nothing, a language monban does not speak), the application
//! named before Google, the portal of the organisation's services, and the branding.

use reqwest::StatusCode;
use reqwest::header::ACCEPT_LANGUAGE;

use crate::helpers::{TestApp, location};

/// How a browser may ask, and what it gets when `default_locale` is `default`.
fn asks(default: &'static str) -> [(Option<&'static str>, &'static str); 5] {
    [
        (Some("ja"), "ja"),
        (Some("ja-JP,ja;q=0.9,en-US;q=0.8,en;q=0.7"), "ja"),
        (Some("en-US,en;q=0.9"), "en"),
        (None, default),
        (Some("fr-FR,fr;q=0.9"), default),
    ]
}

/// A page of `app` at `url` as a browser asking for `accept` sees it: status and HTML.
async fn page(app: &TestApp, url: &str, accept: Option<&str>) -> (StatusCode, String) {
    let mut request = app.client.get(url);
    if let Some(accept) = accept {
        request = request.header(ACCEPT_LANGUAGE, accept);
    }
    let response = request.send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

/// Checks a page in every way of asking: its `lang`, and a sentence of that language.
async fn in_every_language(app: &TestApp, url: &str, default: &'static str, words: [&str; 2]) {
    for (accept, lang) in asks(default) {
        let (status, html) = page(app, url, accept).await;
        assert!(
            status.is_success() || status.is_client_error(),
            "{url}: {status}"
        );
        assert!(
            html.contains(&format!("<html lang=\"{lang}\">")),
            "{url} for {accept:?}: {html}"
        );
        let expected = if lang == "ja" { words[1] } else { words[0] };
        assert!(
            html.contains(expected),
            "{url} for {accept:?}: no {expected:?} in {html}"
        );
    }
}

#[tokio::test]
async fn every_page_speaks_the_language_the_browser_asks_for() {
    for default in ["en", "ja"] {
        let app = TestApp::builder()
            .provider()
            .env(&[("MONBAN_DEFAULT_LOCALE", default)])
            .spawn()
            .await;
        let at = |path: &str| format!("{}{path}", app.address);
        // Signed out: the home page, an application's sign-in, a refused request, the mock Google.
        in_every_language(
            &app,
            &at("/"),
            default,
            ["Sign in with Google", "Google でサインイン"],
        )
        .await;
        let (authorize, _) = app.authorize_url("wiki", "");
        let authorize = authorize.replace(&app.issuer, &app.address);
        in_every_language(
            &app,
            &authorize,
            default,
            ["Sign in to Lab Wiki", "Lab Wiki にサインイン"],
        )
        .await;
        in_every_language(
            &app,
            &at("/authorize?client_id=nobody&scope=openid"),
            default,
            ["cannot be accepted", "受け付けられません"],
        )
        .await;
        let to_google = app.sign_in_link(app.get_url(&authorize).await).await;
        let google = location(&app.get_url(&app.here(&to_google)).await);
        in_every_language(
            &app,
            google.as_str(),
            "en", // the mock Google, like Google, knows only the browser's languages
            ["Choose an account", "アカウントの選択"],
        )
        .await;
        // A refused account.
        let callback = app.choose_user(&google, "mallory").await;
        in_every_language(
            &app,
            &app.here(&callback),
            default,
            ["is not allowed", "許可されていません"],
        )
        .await;
        // Signed in: the home page with the portal, and the sign-out confirmation.
        assert_eq!(app.login_as("ada").await.status(), StatusCode::SEE_OTHER);
        in_every_language(
            &app,
            &at("/"),
            default,
            ["You are signed in", "サインインしています"],
        )
        .await;
        in_every_language(
            &app,
            &at("/logout"),
            default,
            ["Sign out?", "サインアウトしますか"],
        )
        .await;
    }
}

#[tokio::test]
async fn an_application_is_named_before_google_unless_the_setting_skips_the_page() {
    let app = TestApp::builder().provider().spawn().await;
    let (authorize, _) = app.authorize_url("wiki", "");
    let (status, html) = page(&app, &authorize.replace(&app.issuer, &app.address), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("<title>Sign in to Lab Wiki · Example Lab</title>"),
        "{html}"
    );
    assert!(
        html.contains(r#"id="continue" href="/login?return_to="#),
        "{html}"
    );
    // A client without a name is named by its id.
    let (spa, _) = app.authorize_url("spa", "");
    let (_, html) = page(&app, &spa.replace(&app.issuer, &app.address), None).await;
    assert!(html.contains("Sign in to spa"), "{html}");

    let skipping = app
        .spawn_sibling_with(&[("MONBAN_SKIP_SIGN_IN_PAGE", "true")])
        .await;
    let response = skipping
        .get_url(&authorize.replace(&app.issuer, &skipping.address))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response).path(), "/login");
}

#[tokio::test]
async fn the_signed_in_home_is_the_portal_of_the_organisations_services() {
    let app = TestApp::builder()
        .provider()
        .env(&[("MONBAN_LOGO_URL", "https://lab.example.org/logo.png")])
        .spawn()
        .await;
    let (_, signed_out) = page(&app, &format!("{}/", app.address), None).await;
    assert!(
        !signed_out.contains("wiki.lab.example.org"),
        "no portal before sign-in"
    );
    app.login_as("ada").await;
    let (_, home) = page(&app, &format!("{}/", app.address), None).await;
    assert!(
        home.contains(r#"<li><a href="https://wiki.lab.example.org/">Lab Wiki</a></li>"#),
        "{home}"
    );
    assert!(home.contains(r#"<h2 id="services">Services of Example Lab</h2>"#));
    // Branding that matches the address bar: the logo, and the issuer's host in the footer.
    assert!(home.contains(r#"<img class="logo" src="https://lab.example.org/logo.png" alt="">"#));
    let host = url::Url::parse(&app.issuer).unwrap();
    assert!(
        home.contains(&format!("at {}</footer>", host.host_str().unwrap())),
        "{home}"
    );
}

#[test]
fn a_language_or_logo_monban_cannot_use_stops_start_up_naming_the_key() {
    let base = [
        ("MONBAN_ISSUER", "https://login.example.org"),
        ("MONBAN_UPSTREAM__CLIENT_ID", "id"),
        ("MONBAN_UPSTREAM__CLIENT_SECRET", "secret"),
    ];
    for (key, value, named) in [
        ("MONBAN_DEFAULT_LOCALE", "fr", "default_locale"),
        (
            "MONBAN_LOGO_URL",
            "http://lab.example.org/logo.png",
            "logo_url",
        ),
    ] {
        let env = base
            .iter()
            .chain([(key, value)].iter())
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let error = monban::config::Config::load(&env).unwrap_err();
        assert_eq!(error.key, named, "{error}");
    }
}
