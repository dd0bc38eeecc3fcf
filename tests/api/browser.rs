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

fn screenshot_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(name)
}

#[tokio::test]
async fn a_person_signs_in_through_the_dev_login_in_chromium() {
    if !Path::new(CHROMIUM).exists() || !Path::new(CHROMEDRIVER).exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install chromium and chromium-driver"
        );
        eprintln!("skipped: install chromium and chromium-driver to run the browser test");
        return;
    }
    let monban_port = free_port();
    let cwd = tempfile::tempdir().unwrap();
    let mut dev = Command::new(env!("CARGO_BIN_EXE_monban"));
    dev.arg("dev")
        .env_clear()
        .env("PORT", monban_port.to_string())
        .env("RUST_LOG", "warn")
        .current_dir(cwd.path());
    let _monban = spawn_until(dev, "monban dev: open").await;

    let driver_port = free_port();
    let mut driver = Command::new(CHROMEDRIVER);
    driver.arg(format!("--port={driver_port}"));
    let _driver = spawn_until(driver, "started successfully").await;

    let profile = tempfile::tempdir().unwrap();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=900,800",
                format!("--user-data-dir={}", profile.path().display()),
            ],
        }),
    );
    // chromedriver listens on plain http on loopback: no TLS connector needed.
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let browser = ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{driver_port}"))
        .await
        .expect("chromedriver session");

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
