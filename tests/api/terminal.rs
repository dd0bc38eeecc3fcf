//! `monban token`, driven as a process the way a lab member's script runs it: the loopback sign-in
//! with a scripted browser, the copy-the-code sign-in with the code read off monban's page and
//! typed into the command, the cache (a second call signs in nowhere; mode 0600), a refused
//! refresh leading to a new sign-in, and `--resource`. Then the out-of-band URI's refusals.

use std::process::Stdio;

use monban_verify::Verifier;
use reqwest::{StatusCode, Url};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStderr, Command};

use crate::helpers::{TestApp, continue_link, location, param};

const OOB: &str = "urn:ietf:wg:oauth:2.0:oob";
const INVENTORY: &str = "https://inventory.lab.example.org/";

/// The administrator's `monban client add lab-cli --public --redirect-uri http://127.0.0.1/callback
/// --redirect-uri urn:ietf:wg:oauth:2.0:oob`, allowed to call the inventory API.
fn cli_client() -> String {
    format!(
        "[[clients]]\nid = \"lab-cli\"\nname = \"Lab CLI\"\nredirect_uris = [\"http://127.0.0.1/callback\", \"{OOB}\"]\napis = [\"{INVENTORY}\"]\n"
    )
}

async fn provider(extra: &[(&str, &str)]) -> TestApp {
    TestApp::builder()
        .provider()
        .more_clients(&cli_client())
        .env(extra)
        .spawn()
        .await
}

/// `monban token` for `app`'s `lab-cli` client, its cache in `cache`, with `args`; `$BROWSER` is
/// `true` (a browser that opens nothing: the test is the browser) unless `--no-browser`.
fn token_command(app: &TestApp, cache: &std::path::Path, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_monban"))
        .args(["token", "--issuer", &app.issuer, "--client", "lab-cli"])
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap())
        .env("XDG_CACHE_HOME", cache)
        .env("BROWSER", "true")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

/// The URL the command asks the person to open (the first indented line of its stderr).
async fn url_asked(stderr: &mut BufReader<ChildStderr>) -> Url {
    let mut said = String::new();
    loop {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).await.unwrap() > 0,
            "no URL printed: {said}"
        );
        if let Some(url) = line.strip_prefix("  ") {
            return Url::parse(url.trim()).unwrap();
        }
        said.push_str(&line);
    }
}

/// What the command printed on stdout (the token, alone), once it exits with success.
async fn printed(child: Child) -> (String, String) {
    let out = child.wait_with_output().await.unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{stderr}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    (stdout.trim().to_string(), stderr)
}

/// A whole run of the command through the loopback redirect, `user` signing in: the token.
async fn through_the_browser(
    app: &TestApp,
    cache: &std::path::Path,
    args: &[&str],
    user: &str,
) -> String {
    let (stdout, _) = drive_loopback(app, token_command(app, cache, args), user).await;
    stdout.trim().to_string()
}

/// Completes the loopback sign-in a command (`monban token`, `monban ssh login`) started, as
/// `user` in `app`'s browser; waits for it to succeed; its stdout and the rest of its stderr.
pub(crate) async fn drive_loopback(
    app: &TestApp,
    mut child: Child,
    user: &str,
) -> (String, String) {
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let url = url_asked(&mut stderr).await;
    let redirect = param(&url, "redirect_uri").unwrap();
    assert!(redirect.starts_with("http://127.0.0.1:") && redirect.ends_with("/callback"));
    let back = app.follow_until(url.as_str(), user, &redirect).await;
    let page = reqwest::get(back).await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let mut rest = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut stderr, &mut rest)
        .await
        .unwrap();
    let out = child.wait_with_output().await.unwrap();
    assert!(out.status.success(), "{rest}");
    (String::from_utf8(out.stdout).unwrap(), rest)
}

/// The browser follows `start` (signing in as `user` at Google) until a page of monban's that is
/// not a sign-in page; returns it.
async fn follow_to_page(app: &TestApp, start: &Url, user: &str) -> String {
    let mock = app.mock.as_ref().unwrap().issuer().to_string();
    let mut url = start.clone();
    for _ in 0..10 {
        if url.origin().ascii_serialization() == mock && url.path() == "/authorize" {
            url = app.choose_user(&url, user).await;
            continue;
        }
        let response = app.get_url(&app.here(&url)).await;
        if response.status() != StatusCode::OK {
            url = location(&response);
            continue;
        }
        let base = response.url().clone();
        let page = response.text().await.unwrap();
        if !page.contains(r#"id="continue""#) {
            return page;
        }
        url = base.join(&continue_link(&page)).unwrap();
    }
    panic!("too many redirects");
}

/// The code in the out-of-band page's field.
fn code_on(page: &str) -> String {
    let (_, rest) = page.split_once(r#"id="code""#).expect("the code field");
    let value = rest.split_once(r#"value=""#).unwrap().1;
    html_escape::decode_html_entities(&value[..value.find('"').unwrap()]).into_owned()
}

async fn verifier(app: &TestApp, audience: &str) -> Verifier {
    let jwks = app.jwks().await;
    Verifier::from_jwks(
        &app.issuer,
        audience,
        &jwks,
        monban_verify::Options::default(),
    )
}

async fn token_requests(app: &TestApp) -> usize {
    *app.mock.as_ref().unwrap().token_requests().borrow()
}

#[tokio::test]
async fn a_script_gets_a_token_through_the_browser_then_from_the_cache() {
    let app = provider(&[]).await;
    let cache = tempfile::tempdir().unwrap();
    let token = through_the_browser(&app, cache.path(), &[], "ada").await;
    let claims = verifier(&app, "lab-cli")
        .await
        .verify(&token)
        .await
        .unwrap();
    assert_eq!(claims.sub, "mock-ada");
    // Again: from the cache, no sign-in at all.
    let signed_in = token_requests(&app).await;
    let child = token_command(&app, cache.path(), &[]);
    let (again, stderr) = printed(child).await;
    assert_eq!(again, token);
    assert!(!stderr.contains("http"), "{stderr}");
    assert_eq!(
        token_requests(&app).await,
        signed_in,
        "Google was not asked"
    );
    let file = std::fs::read_dir(cache.path().join("monban"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(file.metadata().unwrap().permissions().mode() & 0o777, 0o600);
    // For an API: a token of that audience (a sign-in of its own), the first one still cached.
    let api = through_the_browser(&app, cache.path(), &["--resource", INVENTORY], "ada").await;
    let claims = verifier(&app, INVENTORY).await.verify(&api).await.unwrap();
    assert_eq!(claims.sub, "mock-ada");
    assert!(
        verifier(&app, INVENTORY)
            .await
            .verify(&token)
            .await
            .is_err()
    );
    let (plain, _) = printed(token_command(&app, cache.path(), &[])).await;
    assert_eq!(plain, token);
    // --logout forgets them: the next call signs in again.
    let out = token_command(&app, cache.path(), &["--logout"])
        .wait_with_output()
        .await
        .unwrap();
    assert!(out.status.success() && out.stdout.is_empty());
    assert!(
        std::fs::read_dir(cache.path().join("monban"))
            .unwrap()
            .next()
            .is_none()
    );
}

#[tokio::test]
async fn without_a_browser_the_person_copies_the_code_from_monbans_page() {
    let app = provider(&[]).await;
    let cache = tempfile::tempdir().unwrap();
    let mut child = token_command(&app, cache.path(), &["--no-browser"]);
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let url = url_asked(&mut stderr).await;
    assert_eq!(param(&url, "redirect_uri").as_deref(), Some(OOB));
    let page = follow_to_page(&app, &url, "ada").await;
    assert!(page.contains("Lab CLI"), "names the app");
    assert!(page.contains("Paste this only into a terminal you started yourself"));
    assert!(page.contains("readonly"));
    let code = code_on(&page);
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(format!("{code}\n").as_bytes())
        .await
        .unwrap();
    let (token, _) = printed(child).await;
    assert_eq!(
        verifier(&app, "lab-cli")
            .await
            .verify(&token)
            .await
            .unwrap()
            .sub,
        "mock-ada"
    );
    let (again, stderr) = printed(token_command(&app, cache.path(), &["--no-browser"])).await;
    assert_eq!(again, token);
    assert!(!stderr.contains("http"), "no sign-in: {stderr}");
}

#[tokio::test]
async fn a_refused_refresh_forgets_the_tokens_and_signs_in_again() {
    // Access tokens of 30 s: every call renews (they are not fresh for the next minute).
    let app = provider(&[("MONBAN_ACCESS_TOKEN_TTL_SECS", "30")]).await;
    let cache = tempfile::tempdir().unwrap();
    through_the_browser(&app, cache.path(), &[], "ada").await;
    let (renewed, stderr) = printed(token_command(&app, cache.path(), &[])).await;
    assert!(
        !stderr.contains("http"),
        "renewed without a sign-in: {stderr}"
    );
    assert_eq!(
        verifier(&app, "lab-cli")
            .await
            .verify(&renewed)
            .await
            .unwrap()
            .sub,
        "mock-ada"
    );
    // ada leaves the lab: the administrator redeploys without her domain and her role.
    let mut app = app
        .redeploy_with(&[
            ("MONBAN_ALLOWED_DOMAINS", "other.example.org"),
            ("MONBAN_ROLES__ADMIN", "grace@lab.example.org"),
        ])
        .await;
    // The refresh is refused, the tokens forgotten, and the command signs in again: alan, in his
    // own browser, on the same account of the compute server.
    app.client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    let token = through_the_browser(&app, cache.path(), &[], "alan").await;
    let claims = verifier(&app, "lab-cli")
        .await
        .verify(&token)
        .await
        .unwrap();
    assert_eq!(claims.email.as_deref(), Some("alan.turing@gmail.com"));
}

/// An authorization URL of `client` with the out-of-band redirect URI; and its PKCE verifier.
fn oob_request(app: &TestApp, client: &str) -> (Url, String) {
    let (url, verifier) = app.authorize_url(client, "");
    let registered = format!("{}/{client}/callback", crate::helpers::CLIENT_ORIGIN);
    (
        Url::parse(&url.replace(&registered, OOB)).unwrap(),
        verifier,
    )
}

async fn redeem_oob(app: &TestApp, code: &str, verifier: Option<&str>) -> reqwest::Response {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", OOB),
        ("client_id", "lab-cli"),
    ];
    form.extend(verifier.map(|v| ("code_verifier", v)));
    app.token(&form).await
}

#[tokio::test]
async fn the_code_to_copy_needs_its_verifier_and_expires() {
    let app = TestApp::builder()
        .manual_clock()
        .provider()
        .more_clients(&cli_client())
        .spawn()
        .await;
    let (url, verifier) = oob_request(&app, "lab-cli");
    let page = follow_to_page(&app, &url, "ada").await;
    let code = code_on(&page);
    // The page's one script (select the code on focus) is allowed by its hash, nothing else.
    let response = app.get_url(&app.here(&url)).await;
    let policy = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        policy.contains("script-src 'sha256-") && !policy.contains("unsafe-inline"),
        "{policy}"
    );
    // Without the verifier (someone who saw the code), or with another: refused.
    let bare = redeem_oob(&app, &code, None).await;
    assert_eq!(bare.status(), StatusCode::BAD_REQUEST);
    let wrong = redeem_oob(&app, &code, Some(&"x".repeat(43))).await;
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    // Past its two minutes, even with the verifier.
    app.advance_clock(121);
    let late = redeem_oob(&app, &code, Some(&verifier)).await;
    assert_eq!(late.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = late.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    // A fresh one, in time, with its verifier: tokens.
    let (url, verifier) = oob_request(&app, "lab-cli");
    let code = code_on(&follow_to_page(&app, &url, "ada").await);
    app.advance_clock(100);
    let ok = redeem_oob(&app, &code, Some(&verifier)).await;
    assert_eq!(ok.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_oob_uri_is_refused_to_a_client_that_did_not_register_it() {
    let app = provider(&[]).await;
    app.login_as("ada").await;
    for client in ["spa", "wiki"] {
        let (url, _) = oob_request(&app, client);
        let response = app.get_url(url.as_str()).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{client}");
        assert!(response.headers().get("location").is_none());
        assert!(!response.text().await.unwrap().contains(r#"id="code""#));
    }
}
