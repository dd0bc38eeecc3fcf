//! monban as separate processes (the real binary, as the image runs it) and what drives them.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use reqwest::Url;
use tokio::io::AsyncBufReadExt;

use super::location;

/// Spawns `program` and reads its stdout until a line contains `ready`.
pub async fn spawn_until(command: tokio::process::Command, ready: &str) -> tokio::process::Child {
    spawn_recording(command, ready).await.0
}

/// Every stdout line of a child process so far.
pub type Output = Arc<Mutex<Vec<String>>>;

/// [`spawn_until`], keeping every later stdout line for the test to read.
pub async fn spawn_recording(
    mut command: tokio::process::Command,
    ready: &str,
) -> (tokio::process::Child, Output) {
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let output = Output::default();
    while let Some(line) = lines.next_line().await.unwrap() {
        if line.contains(ready) {
            // Keep draining so the child never blocks on a full pipe.
            let kept = output.clone();
            tokio::spawn(async move {
                while let Ok(Some(line)) = lines.next_line().await {
                    kept.lock().unwrap().push(line);
                }
            });
            return (child, output);
        }
    }
    panic!("{command:?} ended before printing {ready:?}");
}

/// `monban serve` as the image runs it: a clean environment holding only `PORT`,
/// `MONBAN_ISSUER` (loopback, on a free port) and `env`, in an empty working directory. Returns the
/// process once it listens, and its issuer.
pub async fn serve_process(env: &[(&str, &str)]) -> (tokio::process::Child, String) {
    let (child, address, _) = serve_recording(env).await;
    (child, address)
}

/// [`serve_process`], keeping its log lines; `env` may set another `MONBAN_ISSUER` (several
/// revisions behind one public URL). Returns the process, its own address and its output.
pub async fn serve_recording(env: &[(&str, &str)]) -> (tokio::process::Child, String, Output) {
    let port = free_port().to_string();
    let issuer = format!("http://127.0.0.1:{port}");
    let cwd = tempfile::tempdir().unwrap();
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_monban"));
    command
        .arg("serve")
        .env_clear()
        .envs([("PORT", port.as_str()), ("MONBAN_ISSUER", issuer.as_str())])
        .envs(env.iter().copied())
        .current_dir(cwd.path());
    // The configuration is read at start-up; the empty folder may go once the server listens.
    let (child, output) = spawn_recording(command, "monban listening").await;
    (child, issuer, output)
}

/// Sends SIGTERM to `child`, as Cloud Run does when it scales an instance away.
pub fn sigterm(child: &tokio::process::Child) {
    let pid = child.id().expect("the process runs").to_string();
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(sent.success());
}

/// A fresh browser (cookie jar, no redirects followed) that starts a sign-in at `issuer` and
/// picks `user` at the mock upstream; returns it with the callback URL it was sent to.
pub async fn browser_at_callback(issuer: &str, user: &str) -> (reqwest::Client, Url) {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    let to_google = location(&browser.get(format!("{issuer}/login")).send().await.unwrap());
    let mut choose = to_google.clone();
    choose.set_path("/authorize/as");
    choose.set_query(Some(&format!("user={user}&{}", to_google.query().unwrap())));
    let callback = location(&browser.get(choose).send().await.unwrap());
    (browser, callback)
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
