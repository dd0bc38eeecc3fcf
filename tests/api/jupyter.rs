//! A real Jupyter Server (PyPI `jupyter_server` and `ipykernel`, XSRF protection on) behind
//! `monban gate`, used as JupyterLab uses it: a page load, a notebook created and saved through the
//! REST API (XSRF cookie and header, `Origin` the gate's own), a kernel started and its websocket
//! opened with JupyterLab's subprotocol, cells with 100,000 characters of source and of output;
//! then the same past monban's access-token lifetime (both clocks moved), without signing in again,
//! while the websocket opened earlier keeps executing. And a second real app without a login of its
//! own: Python's `http.server` serving a folder.
//!
//! `.ci/run` installs Jupyter into `target/jupyter` (a virtual environment of its own); without it
//! the test says so and passes, except under CI.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::Duration;

use awc::ws::{Frame, Message};
use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, SET_COOKIE};
use serde_json::{Value, json};
use tokio::io::AsyncBufReadExt;

use crate::gate::{RunningGate, monban_with, sign_in, start_gate};
use crate::helpers::{TestApp, free_port};

/// JupyterLab's kernel websocket subprotocol.
const KERNEL_PROTOCOL: &str = "v1.kernel.websocket.jupyter.org";

/// How long a kernel may take to answer one cell (it starts within a few seconds).
const CELL_TIMEOUT: Duration = Duration::from_secs(60);

fn venv() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/jupyter/bin")
}

/// A process that prints `ready` on stderr once it serves (Jupyter and `http.server` log there).
async fn spawn_logging(mut command: tokio::process::Command, ready: &str) -> tokio::process::Child {
    let mut child = command
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();
    while let Some(line) = lines.next_line().await.unwrap() {
        if line.contains(ready) {
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
            return child;
        }
    }
    panic!("{command:?} ended before printing {ready:?}");
}

/// Jupyter Server on a free loopback port, serving `root`, with no login of its own.
async fn start_jupyter(root: &Path, home: &Path) -> (tokio::process::Child, String) {
    let port = free_port();
    let mut command = tokio::process::Command::new(venv().join("jupyter-server"));
    command
        .args([
            "--allow-root",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            &format!("--ServerApp.port={port}"),
            "--ServerApp.port_retries=0",
            "--IdentityProvider.token=",
        ])
        .arg(format!("--ServerApp.root_dir={}", root.display()))
        .env("JUPYTER_CONFIG_DIR", home.join("config"))
        .env("JUPYTER_RUNTIME_DIR", home.join("runtime"))
        .env("IPYTHONDIR", home.join("ipython"));
    let child = spawn_logging(command, "is running at").await;
    (child, format!("http://127.0.0.1:{port}"))
}

/// A browser's cookies for the gate's origin (the gate's and the app's), sent by hand so that the
/// websocket client (awc) can send them too.
#[derive(Default)]
struct Jar(HashMap<String, String>);

impl Jar {
    fn take(&mut self, response: &reqwest::Response) {
        for value in response.headers().get_all(SET_COOKIE) {
            let pair = value.to_str().unwrap().split(';').next().unwrap();
            if let Some((name, value)) = pair.split_once('=') {
                self.0.insert(name.to_string(), value.to_string());
            }
        }
    }

    fn take_ws(&mut self, response: &awc::ClientResponse) {
        for value in response.headers().get_all("set-cookie") {
            let pair = value.to_str().unwrap().split(';').next().unwrap();
            if let Some((name, value)) = pair.split_once('=') {
                self.0.insert(name.to_string(), value.to_string());
            }
        }
    }

    fn header(&self) -> String {
        let pairs: Vec<String> = (self.0.iter())
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        pairs.join("; ")
    }
}

/// JupyterLab in the test's hands: requests to the gate as its pages make them.
struct Lab<'a> {
    gate: &'a RunningGate,
    http: reqwest::Client,
    jar: Jar,
}

impl Lab<'_> {
    /// A REST call as JupyterLab's `fetch` makes it: same origin, the XSRF cookie echoed in a
    /// header. The renewed gate cookies, if any, are kept.
    async fn api(&mut self, method: reqwest::Method, path: &str, body: Value) -> reqwest::Response {
        let xsrf = self.jar.0.get("_xsrf").cloned().unwrap_or_default();
        let response = self
            .http
            .request(method, format!("{}{path}", self.gate.url))
            .header("cookie", self.jar.header())
            .header("origin", &self.gate.url)
            .header("x-xsrftoken", xsrf)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        self.jar.take(&response);
        response
    }

    /// A page load.
    async fn page(&mut self, path: &str) -> reqwest::Response {
        let response = self
            .http
            .get(format!("{}{path}", self.gate.url))
            .header("cookie", self.jar.header())
            .header(ACCEPT, "text/html")
            .send()
            .await
            .unwrap();
        self.jar.take(&response);
        response
    }

    /// Saves `notebook` with one cell of `source`.
    async fn save(&mut self, notebook: &str, source: &str) -> StatusCode {
        let content = json!({
            "cells": [{"cell_type": "code", "source": source, "metadata": {}, "outputs": [],
                       "execution_count": null}],
            "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
        });
        let body = json!({"type": "notebook", "format": "json", "content": content});
        (self
            .api(
                reqwest::Method::PUT,
                &format!("/api/contents/{notebook}"),
                body,
            )
            .await)
            .status()
    }

    /// Opens a kernel's websocket with JupyterLab's subprotocol, as one browser tab (`session`:
    /// Jupyter closes an older socket of the same session).
    async fn kernel_socket(
        &mut self,
        kernel: &str,
        session: &str,
    ) -> KernelSocket<impl Socket + use<>> {
        let url = format!(
            "{}/api/kernels/{kernel}/channels?session_id={session}",
            self.gate.url.replace("http", "ws")
        );
        let (answer, socket) = awc::Client::builder()
            .timeout(CELL_TIMEOUT)
            .finish()
            .ws(url)
            .protocols([KERNEL_PROTOCOL])
            .max_frame_size(16 * 1024 * 1024)
            .origin(self.gate.url.as_str())
            .set_header("cookie", self.jar.header())
            .connect()
            .await
            .unwrap();
        assert_eq!(
            answer.headers().get("sec-websocket-protocol").unwrap(),
            KERNEL_PROTOCOL
        );
        self.jar.take_ws(&answer);
        KernelSocket { socket, count: 0 }
    }
}

/// awc's websocket, as far as the test uses it.
trait Socket:
    futures_util::Stream<Item = Result<Frame, awc::error::WsProtocolError>>
    + futures_util::Sink<Message, Error = awc::error::WsProtocolError>
    + Unpin
{
}

impl<S> Socket for S where
    S: futures_util::Stream<Item = Result<Frame, awc::error::WsProtocolError>>
        + futures_util::Sink<Message, Error = awc::error::WsProtocolError>
        + Unpin
{
}

/// A kernel's websocket, speaking the v1 protocol (jupyter_server's
/// `serialize_msg_to_ws_v1`): the number of offsets, the offsets (little-endian u64), then the
/// channel and the header, parent header, metadata and content as JSON.
struct KernelSocket<S> {
    socket: S,
    count: u32,
}

fn v1_message(channel: &str, parts: [&Value; 4]) -> Vec<u8> {
    let parts: Vec<Vec<u8>> = parts.iter().map(|p| p.to_string().into_bytes()).collect();
    let mut offsets = vec![8 * (1 + 1 + parts.len() as u64 + 1)];
    offsets.push(offsets[0] + channel.len() as u64);
    for part in &parts {
        offsets.push(offsets.last().unwrap() + part.len() as u64);
    }
    let mut out = (offsets.len() as u64).to_le_bytes().to_vec();
    for offset in &offsets {
        out.extend_from_slice(&offset.to_le_bytes());
    }
    out.extend_from_slice(channel.as_bytes());
    parts.iter().for_each(|p| out.extend_from_slice(p));
    out
}

/// The channel, header, parent header and content of a v1 message.
fn v1_parse(bytes: &[u8]) -> (String, Value, Value, Value) {
    let u64_at = |i: usize| u64::from_le_bytes(bytes[i..i + 8].try_into().unwrap()) as usize;
    let n = u64_at(0);
    let offsets: Vec<usize> = (0..n).map(|i| u64_at(8 * (i + 1))).collect();
    let part = |i: usize| &bytes[offsets[i]..offsets[i + 1]];
    let json = |i: usize| serde_json::from_slice(part(i)).unwrap();
    let channel = String::from_utf8(part(0).to_vec()).unwrap();
    (channel, json(1), json(2), json(4))
}

impl<S: Socket> KernelSocket<S> {
    /// Runs `code` in the kernel; what it printed.
    async fn execute(&mut self, code: &str) -> String {
        self.count += 1;
        let msg_id = format!("monban-test-{}", self.count);
        let header = json!({"msg_id": msg_id, "msg_type": "execute_request", "username": "ada",
                            "session": "monban-test", "date": "2026-12-07T00:00:00Z",
                            "version": "5.3"});
        let content = json!({"code": code, "silent": false, "store_history": false,
                             "user_expressions": {}, "allow_stdin": false,
                             "stop_on_error": true});
        let message = v1_message("shell", [&header, &json!({}), &json!({}), &content]);
        self.socket
            .send(Message::Binary(message.into()))
            .await
            .unwrap();
        let mut printed = String::new();
        let read = async {
            while let Some(frame) = self.socket.next().await {
                let bytes = match frame.unwrap() {
                    Frame::Binary(bytes) => bytes,
                    Frame::Ping(_) | Frame::Pong(_) => continue,
                    other => panic!("unexpected frame {other:?}"),
                };
                let (channel, header, parent, content) = v1_parse(&bytes);
                // iopub reaches every socket of the kernel: only this request's output counts.
                if channel != "iopub" || parent["msg_id"] != msg_id.as_str() {
                    continue;
                }
                match header["msg_type"].as_str() {
                    Some("stream") => printed.push_str(content["text"].as_str().unwrap()),
                    Some("error") => panic!("the cell failed: {content}"),
                    // The idle status of this very request ends it.
                    Some("status") if content["execution_state"] == "idle" => return,
                    _ => {}
                }
            }
            panic!("the kernel's websocket closed");
        };
        tokio::time::timeout(CELL_TIMEOUT, read)
            .await
            .expect("the cell ran within a minute");
        printed
    }
}

// actix's runtime: the websocket client (awc) runs on it.
#[actix_web::test]
async fn a_notebook_server_behind_the_gate_works_through_a_day() {
    if !venv().join("jupyter-server").exists() {
        assert!(std::env::var_os("CI").is_none(), "CI must install Jupyter");
        eprintln!("skipped: .ci/run installs jupyter_server and ipykernel into target/jupyter");
        return;
    }
    let (root, home) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (_jupyter, app) = start_jupyter(root.path(), home.path()).await;
    let port = free_port();
    let gate_url = format!("http://127.0.0.1:{port}");
    let monban: TestApp = monban_with(&gate_url, true).await;
    let gate = start_gate(&monban, port, &gate_url, &app);
    let mut lab = Lab {
        gate: &gate,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        jar: Jar::default(),
    };
    lab.jar
        .take(&sign_in(&monban, &gate.url, "/api/status", "ada").await);
    // A page load gives Jupyter's XSRF cookie, through the gate.
    lab.page("/").await;
    assert!(lab.jar.0.contains_key("_xsrf"), "{:?}", lab.jar.0.keys());

    // Create and save a notebook (Jupyter compares `Origin` with `Host`, and checks XSRF).
    assert_eq!(lab.save("day.ipynb", "print(1)").await, StatusCode::CREATED);
    assert_eq!(lab.save("day.ipynb", "print(2)").await, StatusCode::OK);
    // Without the XSRF header Jupyter refuses: its protection is really on.
    let xsrf = lab.jar.0.remove("_xsrf").unwrap();
    assert_eq!(
        lab.save("day.ipynb", "print(3)").await,
        StatusCode::FORBIDDEN
    );
    lab.jar.0.insert("_xsrf".into(), xsrf);

    // A kernel, and its websocket with JupyterLab's subprotocol: 100,000 characters of source
    // and of output.
    let kernel = lab
        .api(
            reqwest::Method::POST,
            "/api/kernels",
            json!({"name": "python3"}),
        )
        .await;
    assert_eq!(kernel.status(), StatusCode::CREATED);
    let kernel: Value = kernel.json().await.unwrap();
    let kernel = kernel["id"].as_str().unwrap().to_string();
    let mut first = lab.kernel_socket(&kernel, "morning-tab").await;
    let long_source = format!("s = \"{}\"\nprint(len(s))", "y".repeat(100_000));
    assert_eq!(first.execute(&long_source).await.trim(), "100000");
    let output = first.execute("print('x' * 100000)").await;
    assert_eq!(output.trim_end().len(), 100_000);

    // Past monban's access-token lifetime (both clocks move): a save and a new kernel websocket
    // succeed without a new sign-in at the upstream, and the websocket opened earlier still
    // executes.
    monban.advance_clock(3600 + 5);
    gate.clock.fetch_add(3600 + 5, Ordering::Relaxed);
    let before = lab.jar.0["monban_gate_token"].clone();
    assert_eq!(lab.save("day.ipynb", "print(4)").await, StatusCode::OK);
    assert_ne!(
        lab.jar.0["monban_gate_token"], before,
        "renewed on the save"
    );
    monban.advance_clock(3600 + 5);
    gate.clock.fetch_add(3600 + 5, Ordering::Relaxed);
    let mut second = lab.kernel_socket(&kernel, "afternoon-tab").await;
    assert_eq!(second.execute("print(6 * 7)").await.trim(), "42");
    assert_eq!(
        first.execute("print('still here')").await.trim(),
        "still here"
    );
}

#[actix_web::test]
async fn a_static_site_behind_the_gate() {
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(folder.path().join("index.html"), "<h1>Lab handbook</h1>").unwrap();
    let port = free_port();
    let mut command = tokio::process::Command::new("python3");
    command
        .args([
            "-u",
            "-m",
            "http.server",
            "--bind",
            "127.0.0.1",
            &port.to_string(),
        ])
        .current_dir(folder.path());
    let _site = crate::helpers::spawn_until(command, "Serving HTTP").await;
    let gate_port = free_port();
    let gate_url = format!("http://127.0.0.1:{gate_port}");
    let monban = monban_with(&gate_url, false).await;
    let gate = start_gate(
        &monban,
        gate_port,
        &gate_url,
        &format!("http://127.0.0.1:{port}"),
    );
    sign_in(&monban, &gate.url, "/", "ada").await;
    let page = monban
        .client
        .get(format!("{}/index.html", gate.url))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("Lab handbook"));
}
