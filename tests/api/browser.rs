//! A real browser through the `monban dev` login: Debian's headless Chromium, driven over
//! WebDriver by chromedriver, clicks "Sign in with Google", picks a user on the mock Google page,
//! and comes back signed in. Screenshots go to `target/tmp/`.
//!
//! Without Chromium and chromedriver (`apt-get install chromium chromium-driver`) the test says so
//! and passes, except under CI (`CI` set), where `.ci/run` installs them and their absence fails.

use std::path::{Path, PathBuf};

use fantoccini::{ClientBuilder, Locator};
use tokio::process::Command;

use crate::helpers::{free_port, spawn_until};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A new Chromium session over chromedriver at `driver_port`, asking for `languages` first.
async fn session(driver_port: u16, profile: &Path, languages: &str) -> fantoccini::Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=900,800",
                format!("--user-data-dir={}", profile.display()),
            ],
            "prefs": { "intl.accept_languages": languages },
        }),
    );
    // chromedriver listens on plain http on loopback: no TLS connector needed.
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{driver_port}"))
        .await
        .expect("chromedriver session")
}

/// Whether the browser test can run here; under CI (`CI` set) it must.
fn browser_installed() -> bool {
    let installed = Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists();
    if !installed {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install chromium and chromium-driver"
        );
        eprintln!("skipped: install chromium and chromium-driver to run the browser test");
    }
    installed
}

/// `monban dev` (as the README starts it) and chromedriver, each on a free port, for the test's
/// lifetime.
struct Stage {
    monban_port: u16,
    driver_port: u16,
    _monban: tokio::process::Child,
    _driver: tokio::process::Child,
    _cwd: tempfile::TempDir,
}

impl Stage {
    async fn start() -> Stage {
        let monban_port = free_port();
        let cwd = tempfile::tempdir().unwrap();
        let mut dev = Command::new(env!("CARGO_BIN_EXE_monban"));
        dev.arg("dev")
            .env_clear()
            .env("PORT", monban_port.to_string())
            .env("RUST_LOG", "warn")
            .current_dir(cwd.path());
        let monban = spawn_until(dev, "monban dev: open").await;
        let driver_port = free_port();
        let mut driver = Command::new(CHROMEDRIVER);
        driver.arg(format!("--port={driver_port}"));
        let driver = spawn_until(driver, "started successfully").await;
        Stage {
            monban_port,
            driver_port,
            _monban: monban,
            _driver: driver,
            _cwd: cwd,
        }
    }
}

fn screenshot_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(name)
}

#[tokio::test]
async fn a_person_signs_in_through_the_dev_login_in_chromium() {
    if !browser_installed() {
        return;
    }
    let stage = Stage::start().await;
    let (monban_port, driver_port) = (stage.monban_port, stage.driver_port);
    let profile = tempfile::tempdir().unwrap();
    let browser = session(driver_port, profile.path(), "en-US").await;

    let home = format!("http://localhost:{monban_port}/");
    browser.goto(&home).await.unwrap();
    let heading = browser.find(Locator::Css("h1")).await.unwrap();
    assert_eq!(heading.text().await.unwrap(), "Sign in");
    std::fs::write(
        screenshot_path("login-signed-out.png"),
        browser.screenshot().await.unwrap(),
    )
    .unwrap();

    browser
        .find(Locator::LinkText("Sign in with Google"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Id("user-ada"))
        .await
        .expect("the mock Google's sign-in page")
        .click()
        .await
        .unwrap();

    // Wait for the page after the redirects back (WebDriver's own wait, not a sleep).
    browser
        .wait()
        .for_element(Locator::Css("form button"))
        .await
        .expect("signed in, with a sign-out button");
    assert_eq!(browser.current_url().await.unwrap().as_str(), home);
    let page = browser.source().await.unwrap();
    assert!(page.contains("You are signed in"), "{page}");
    assert!(page.contains("Ada Lovelace") && page.contains("ada@lab.example.org"));
    std::fs::write(
        screenshot_path("login-signed-in.png"),
        browser.screenshot().await.unwrap(),
    )
    .unwrap();

    // Signing out is a button; the session is gone afterwards.
    browser
        .find(Locator::Css("form button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::LinkText("Sign in with Google"))
        .await
        .expect("signed out again");
    browser.close().await.unwrap();
}

/// axe-core's script (npm `axe-core`, which `.ci/run` installs under `target/npm`).
fn axe_source() -> Option<String> {
    let path = std::env::var("AXE_CORE").unwrap_or_else(|_| {
        format!(
            "{}/target/npm/node_modules/axe-core/axe.min.js",
            env!("CARGO_MANIFEST_DIR")
        )
    });
    let source = std::fs::read_to_string(&path).ok();
    if source.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install axe-core: {path}"
        );
        eprintln!("skipped: npm install --prefix target/npm axe-core");
    }
    source
}

/// Runs axe-core on the page the browser shows: every violation, as "rule: elements".
async fn violations(browser: &fantoccini::Client, axe: &str) -> Vec<String> {
    // WebDriver scripts run outside the page's CSP, which allows no script of its own.
    browser.execute(axe, vec![]).await.unwrap();
    let found = browser
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document).then(r => done({ passes: r.passes.length, violations: r.violations.map(
               v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', ')) }));",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        found["passes"].as_u64().unwrap() > 5,
        "axe-core did not run: {found}"
    );
    serde_json::from_value(found["violations"].clone()).unwrap()
}

/// Screenshots of the page at a phone's and a laptop's width, and axe-core's verdict at each.
async fn check_page(browser: &fantoccini::Client, axe: &str, name: &str) -> Vec<String> {
    let mut found = Vec::new();
    for width in [360, 1280] {
        browser.set_window_size(width, 800).await.unwrap();
        std::fs::write(
            screenshot_path(&format!("{name}-{width}.png")),
            browser.screenshot().await.unwrap(),
        )
        .unwrap();
        let wide = browser
            .execute(
                "return document.documentElement.scrollWidth > window.innerWidth",
                vec![],
            )
            .await
            .unwrap();
        if wide == serde_json::Value::Bool(true) {
            found.push(format!("{name} at {width} px: scrolls sideways"));
        }
        found.extend(
            violations(browser, axe)
                .await
                .into_iter()
                .map(|v| format!("{name} at {width} px: {v}")),
        );
    }
    found
}

#[tokio::test]
async fn every_page_is_accessible_and_phone_sized_in_both_languages() {
    if !browser_installed() {
        return;
    }
    let Some(axe) = axe_source() else { return };
    let stage = Stage::start().await;
    let (monban_port, driver_port) = (stage.monban_port, stage.driver_port);
    let monban = format!("http://localhost:{monban_port}");
    let authorize = format!(
        "{monban}/authorize?response_type=code&client_id=demo&scope=openid+email\
         &redirect_uri=http://localhost:8081/callback&state=st"
    );

    let mut found = Vec::new();
    for (languages, lang, sign_in) in [
        ("en-US,en", "en", "Sign in to Demo App"),
        ("ja,en-US", "ja", "Demo App にサインイン"),
    ] {
        let profile = tempfile::tempdir().unwrap();
        let browser = session(driver_port, profile.path(), languages).await;
        let name = |page: &str| format!("{lang}-{page}");
        browser.goto(&format!("{monban}/")).await.unwrap();
        found.extend(check_page(&browser, &axe, &name("home")).await);
        browser.goto(&authorize).await.unwrap();
        let heading = browser.find(Locator::Css("h1")).await.unwrap();
        assert_eq!(heading.text().await.unwrap(), sign_in);
        let html = browser.find(Locator::Css("html")).await.unwrap();
        assert_eq!(html.attr("lang").await.unwrap().as_deref(), Some(lang));
        found.extend(check_page(&browser, &axe, &name("sign-in-to")).await);
        browser
            .find(Locator::Id("continue"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let mallory = browser
            .wait()
            .for_element(Locator::Id("user-mallory"))
            .await
            .unwrap();
        found.extend(check_page(&browser, &axe, &name("mock-google")).await);
        mallory.click().await.unwrap();
        browser
            .wait()
            .for_element(Locator::Css(".actions a"))
            .await
            .unwrap();
        found.extend(check_page(&browser, &axe, &name("refused")).await);
        browser.goto(&format!("{monban}/login")).await.unwrap();
        let ada = browser
            .wait()
            .for_element(Locator::Id("user-ada"))
            .await
            .unwrap();
        ada.click().await.unwrap();
        browser
            .wait()
            .for_element(Locator::Css(".services a"))
            .await
            .unwrap();
        found.extend(check_page(&browser, &axe, &name("home-signed-in")).await);
        browser.goto(&format!("{monban}/logout")).await.unwrap();
        browser
            .wait()
            .for_element(Locator::Css("form .button"))
            .await
            .unwrap();
        found.extend(check_page(&browser, &axe, &name("confirm-sign-out")).await);
        browser.close().await.unwrap();
    }
    assert!(found.is_empty(), "{found:#?}");
}
