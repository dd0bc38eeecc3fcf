//! The gate as forward auth behind Debian's nginx (`auth_request`), configured as docs/gate.md
//! shows: nginx asks `/_monban/auth` before every request, sends page loads without a session to
//! sign in and tells scripts 401, renews an expired session on the way, shows a refused person
//! the gate's page, and passes the identity headers on to the app.
//!
//! Without nginx (`apt-get install nginx`) the test says so and passes, except under CI.

use std::path::Path;

use std::sync::atomic::Ordering;

use reqwest::StatusCode;
use reqwest::header::ACCEPT;
use tokio::process::Command;

use crate::gate::{echoed, monban_with, sign_in, sign_out_everywhere, start_app, start_gate};
use crate::helpers::{free_port, location, spawn_until};

const NGINX: &str = "/usr/sbin/nginx";

/// The nginx configuration of docs/gate.md, for the app at `app` and the gate on `gate_port`.
fn nginx_conf(dir: &Path, port: u16, gate_port: u16, app: &str) -> String {
    let app = app.trim_start_matches("http://");
    let dir = dir.display();
    format!(
        r#"daemon off;
master_process on;
worker_processes 1;
pid {dir}/nginx.pid;
error_log stderr notice;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {dir}/body;
  proxy_temp_path {dir}/proxy;
  fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi;
  scgi_temp_path {dir}/scgi;
  server {{
    listen 127.0.0.1:{port};
{}
  }}
}}
"#,
        server_block(gate_port, app)
    )
}

/// The `server` block's locations, as in docs/gate.md.
fn server_block(gate_port: u16, app: &str) -> String {
    format!(
        r#"    # The gate's own paths: sign-in, callback, sign-out.
    location /_monban/ {{
      proxy_pass http://127.0.0.1:{gate_port};
      proxy_set_header Host $http_host;
    }}
    location = /_monban_auth {{
      internal;
      proxy_pass http://127.0.0.1:{gate_port}/_monban/auth;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header Host $http_host;
    }}
    # No session, or an expired one: the gate renews it and sends the request back, sends a page
    # load to sign in, or tells a script 401.
    location @sign_in {{
      rewrite ^ /_monban/start? break;
      proxy_pass http://127.0.0.1:{gate_port};
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-Uri $request_uri;
    }}
    # Signed in, but not allowed: the gate's page saying so, in the person's language (403).
    location @refused {{
      rewrite ^ /_monban/auth? break;
      proxy_pass http://127.0.0.1:{gate_port};
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header Host $http_host;
    }}
    location / {{
      auth_request /_monban_auth;
      error_page 401 = @sign_in;
      error_page 403 = @refused;
      auth_request_set $user $upstream_http_x_forwarded_user;
      auth_request_set $email $upstream_http_x_forwarded_email;
      auth_request_set $roles $upstream_http_x_forwarded_roles;
      auth_request_set $token $upstream_http_x_monban_token;
      # Set even when empty: nginx then drops whatever the browser sent under these names.
      proxy_set_header X-Forwarded-User $user;
      proxy_set_header X-Forwarded-Email $email;
      proxy_set_header X-Forwarded-Roles $roles;
      proxy_set_header X-Monban-Token $token;
      proxy_pass http://{app};
    }}"#
    )
}

#[test]
fn the_guide_shows_the_configuration_this_test_runs() {
    let guide =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/gate.md")).unwrap();
    assert!(
        guide.contains(&server_block(4181, "127.0.0.1:8888")),
        "docs/gate.md's nginx block"
    );
}

#[tokio::test]
async fn nginx_asks_the_gate_before_every_request() {
    if !Path::new(NGINX).exists() {
        assert!(std::env::var_os("CI").is_none(), "CI must install nginx");
        eprintln!("skipped: apt-get install nginx to run the forward-auth test");
        return;
    }
    let app = start_app();
    let (port, gate_port) = (free_port(), free_port());
    // The gate's public URL is nginx's: its cookies and callback live on the app's host.
    let public = format!("http://127.0.0.1:{port}");
    let monban = monban_with(&public, true).await;
    let clock = start_gate(&monban, gate_port, &public, &app).clock;
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("nginx.conf");
    std::fs::write(&conf, nginx_conf(dir.path(), port, gate_port, &app)).unwrap();
    let mut command = Command::new("sh");
    command.args([
        "-c",
        &format!(
            "exec {NGINX} -p {} -c {} 2>&1",
            dir.path().display(),
            conf.display()
        ),
    ]);
    // The master listens before it starts its worker.
    let _nginx = spawn_until(command, "start worker process").await;

    let back = sign_in(&monban, &public, "/hello", "ada").await;
    assert_eq!(back.status(), StatusCode::SEE_OTHER);
    let body = echoed(
        &monban,
        &public,
        &[
            ("X-Forwarded-User", "root"),
            ("X_Forwarded_Roles", "root-of-all"),
        ],
    )
    .await;
    assert_eq!(body["headers"]["x-forwarded-user"], "mock-ada");
    // nginx drops header names with an underscore (underscores_in_headers off, the default).
    assert!(body["headers"].get("x_forwarded_roles").is_none(), "{body}");
    assert_eq!(body["headers"]["x-forwarded-email"], "ada@lab.example.org");
    assert!(
        body["headers"]["x-monban-token"]
            .as_str()
            .is_some_and(|t| t.len() > 100)
    );
    // Without the gate's cookie: a page load is sent to sign in at monban, a script gets 401, and
    // the forged header never arrives.
    let stranger = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = stranger
        .get(format!("{public}/hello"))
        .header("X-Forwarded-User", "root")
        .header(ACCEPT, "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(
        location(&response)
            .as_str()
            .starts_with(&format!("{}/authorize", monban.issuer))
    );
    let xhr = stranger
        .put(format!("{public}/api/contents/a.ipynb"))
        .header("X-Requested-With", "XMLHttpRequest")
        .send()
        .await
        .unwrap();
    assert_eq!(xhr.status(), StatusCode::UNAUTHORIZED);

    // Past the access token's lifetime, a save (an XHR PUT) is renewed at the gate and sent
    // back (307, with its body), then reaches the app.
    monban.advance_clock(3600 + 5);
    clock.fetch_add(3600 + 5, Ordering::Relaxed);
    let save = monban
        .client
        .put(format!("{public}/api/contents/a.ipynb"))
        .header("X-Requested-With", "XMLHttpRequest")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(save.status(), StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(location(&save).path(), "/api/contents/a.ipynb");
    let again = monban
        .client
        .put(format!("{public}/api/contents/a.ipynb"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::OK);

    // grace, signed in but without the app's role: the gate's page, in her language, with 403.
    sign_out_everywhere(&monban, &public).await;
    sign_in(&monban, &public, "/hello", "grace").await;
    let refused = monban
        .client
        .get(format!("{public}/hello"))
        .header(ACCEPT, "text/html")
        .header("accept-language", "ja")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let page = refused.text().await.unwrap();
    assert!(
        page.contains("<html") && page.contains("grace@lab.example.org"),
        "{page}"
    );
}
