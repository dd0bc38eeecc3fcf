//! SSH with a monban sign-in, against Debian's real OpenSSH: an `sshd` on a loopback port trusts
//! monban's `/ssh/ca.pub` and presents a host certificate from `monban ssh host-cert`; a person
//! runs `monban ssh login` (signing in through the browser), then `ssh` logs in with
//! `StrictHostKeyChecking=yes` and only the served `@cert-authority` line as `known_hosts`. A
//! principal the person does not hold, and an expired certificate, are refused by sshd.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;
use tokio::process::Child;

use crate::helpers::TestApp;
use crate::ssh::{SHELL, access_token, ask, ca_dir, user_key};
use crate::terminal::drive_loopback;

/// The account the test runs as: the principal ada's certificate names, the one sshd logs in.
fn me() -> String {
    let out = Command::new("id").arg("-un").output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// The command line's client (loopback), allowed the `ssh` scope; ada logs in as `me()`.
fn clients() -> String {
    format!(
        "{SHELL}\n[[clients]]\nid = \"lab-cli\"\nredirect_uris = [\"http://127.0.0.1/callback\"]\nallowed_scopes = [\"ssh\"]\n\n\
         [ssh.principals]\n\"ada@lab.example.org\" = [\"{}\"]\n",
        me()
    )
}

/// An sshd on a free loopback port trusting `ca_pub`, with a host key certified by the CA in
/// `ca`; returns it and its port.
async fn sshd(dir: &Path, ca: &Path, ca_pub: &str) -> (Child, u16) {
    let host_key = dir.join("host_ed25519");
    let made = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&host_key)
        .output()
        .unwrap();
    assert!(made.status.success());
    let signed = Command::new(env!("CARGO_BIN_EXE_monban"))
        .args(["ssh", "host-cert", "--host", "127.0.0.1", "--key"])
        .arg(host_key.with_extension("pub"))
        .arg("--ca-dir")
        .arg(ca)
        .output()
        .unwrap();
    assert!(signed.status.success(), "{signed:?}");
    std::fs::write(dir.join("ca.pub"), ca_pub).unwrap();
    let port = crate::helpers::free_port();
    let config = dir.join("sshd_config");
    std::fs::write(
        &config,
        format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host_ed25519\n\
             HostCertificate {d}/host_ed25519-cert.pub\nTrustedUserCAKeys {d}/ca.pub\n\
             AuthorizedKeysFile none\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
             UsePAM no\nStrictModes no\nPermitRootLogin prohibit-password\nPidFile {d}/sshd.pid\n",
            d = dir.display()
        ),
    )
    .unwrap();
    let _ = std::fs::create_dir_all("/run/sshd");
    // sshd logs to stderr (-e); through the shell it reaches the stdout spawn_until reads.
    let mut command = tokio::process::Command::new("sh");
    command.arg("-c").arg(format!(
        "exec /usr/sbin/sshd -D -e -f {} 2>&1",
        config.display()
    ));
    let child = crate::helpers::spawn_until(command, "Server listening on 127.0.0.1").await;
    (child, port)
}

/// `ssh` as `user` with the key and certificate at `key`, trusting only `known_hosts`: the
/// command's output, or `None` when sshd refused.
fn ssh(port: u16, user: &str, key: &Path, known_hosts: &Path) -> Option<String> {
    let cert = PathBuf::from(format!("{}-cert.pub", key.display()));
    let out = Command::new("ssh")
        .args([
            "-F",
            "/dev/null",
            "-o",
            "BatchMode=yes",
            "-o",
            "IdentitiesOnly=yes",
        ])
        .args([
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            "GlobalKnownHostsFile=/dev/null",
        ])
        .arg("-o")
        .arg(format!("UserKnownHostsFile={}", known_hosts.display()))
        .arg("-o")
        .arg(format!("CertificateFile={}", cert.display()))
        .arg("-i")
        .arg(key)
        .args([
            "-p",
            &port.to_string(),
            &format!("{user}@127.0.0.1"),
            "echo",
            "signed-in-by-monban",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    out.status
        .success()
        .then(|| String::from_utf8(out.stdout).unwrap())
}

#[tokio::test]
async fn monban_ssh_login_then_ssh_logs_in_with_the_certificate_alone() {
    let ca = ca_dir();
    let app = TestApp::builder()
        .provider()
        .more_clients(&clients())
        .env(&[("MONBAN_SSH__CA_KEYS_DIR", ca.path().to_str().unwrap())])
        .spawn()
        .await;
    let ca_pub = app.get("/ssh/ca.pub").await.text().await.unwrap();
    let work = tempfile::tempdir().unwrap();
    let (_sshd, port) = sshd(work.path(), ca.path(), &ca_pub).await;

    // A member's laptop: an empty home, an ssh-agent running.
    let home = tempfile::tempdir().unwrap();
    let agent_sock = home.path().join("agent.sock");
    let _agent = tokio::process::Command::new("ssh-agent")
        .arg("-D")
        .arg("-a")
        .arg(&agent_sock)
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let login = tokio::process::Command::new(env!("CARGO_BIN_EXE_monban"))
        .args([
            "ssh",
            "login",
            "--issuer",
            &app.issuer,
            "--client",
            "lab-cli",
        ])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap())
        .env("HOME", home.path())
        .env("BROWSER", "true")
        .env("SSH_AUTH_SOCK", &agent_sock)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let (_, said) = drive_loopback(&app, login, "ada").await;
    assert!(
        said.contains("valid until") && said.contains("added to ssh-agent"),
        "{said}"
    );
    let dot_ssh = home.path().join(".ssh");
    let key = dot_ssh.join("monban_ed25519");
    let known_hosts = dot_ssh.join("monban_known_hosts");
    assert!(
        std::fs::read_to_string(&known_hosts)
            .unwrap()
            .starts_with("@cert-authority * ")
    );
    let listed = Command::new("ssh-add")
        .arg("-l")
        .env("SSH_AUTH_SOCK", &agent_sock)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&listed.stdout).contains("ED25519-CERT"),
        "{listed:?}"
    );

    let me = me();
    assert_eq!(
        ssh(port, &me, &key, &known_hosts).as_deref(),
        Some("signed-in-by-monban\n")
    );
    // A principal ada does not hold.
    let other = if me == "root" { "nobody" } else { "root" };
    assert_eq!(ssh(port, other, &key, &known_hosts), None);
    // `monban ssh config` points ssh at the same files.
    let config = Command::new(env!("CARGO_BIN_EXE_monban"))
        .args(["ssh", "config"])
        .output()
        .unwrap();
    let config = String::from_utf8(config.stdout).unwrap();
    assert!(
        config.contains("CertificateFile ~/.ssh/monban_ed25519-cert.pub"),
        "{config}"
    );

    // An expired certificate (issued two hours ago for one minute): refused.
    let past = TestApp::builder()
        .manual_clock()
        .provider()
        .more_clients(&clients())
        .env(&[
            ("MONBAN_SSH__CA_KEYS_DIR", ca.path().to_str().unwrap()),
            ("MONBAN_SSH__CERTIFICATE_TTL_SECS", "60"),
        ])
        .spawn()
        .await;
    past.rewind_clock(7200);
    let token = access_token(&past, "ada", "openid+email+ssh").await;
    let old = home.path().join("old");
    std::fs::create_dir(&old).unwrap();
    let public = user_key(&old);
    let body: Value = ask(&past, &token, serde_json::json!({ "public_key": public }))
        .await
        .json()
        .await
        .unwrap();
    let old_key = old.join("id_ed25519");
    std::fs::write(
        format!("{}-cert.pub", old_key.display()),
        body["certificate"].as_str().unwrap(),
    )
    .unwrap();
    assert_eq!(ssh(port, &me, &old_key, &known_hosts), None);
}
