//! `monban ssh …`, for people and for the administrator: `login` signs in (as `monban token`
//! does, asking for the `ssh` scope), makes `~/.ssh/monban_ed25519` if there is none, gets its
//! certificate from monban's CA (`POST /ssh/certificate`), keeps the CA's `known_hosts` line, and
//! adds the key to a running `ssh-agent`; `config` prints the `~/.ssh/config` lines that use them;
//! `host-cert` signs a machine's host key with the CA key at hand.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use serde::Deserialize;
use ssh_key::{PrivateKey, PublicKey};

use super::{Settings, token};
use crate::clock::{time_of_day, unix_now};
use crate::config::SshSettings;
use crate::protocol::paths::{SSH_CERTIFICATE_PATH, SSH_KNOWN_HOSTS_PATH};
use crate::ssh::Ca;

/// The key `login` makes and certifies, in `~/.ssh/`.
pub const KEY_NAME: &str = "monban_ed25519";
/// The CA's `@cert-authority` line, beside it.
pub const KNOWN_HOSTS_NAME: &str = "monban_known_hosts";

/// `monban ssh`'s commands.
#[derive(Debug, clap::Subcommand)]
pub enum SshCommand {
    /// Sign in and get a certificate for ~/.ssh/monban_ed25519 (made if missing), valid for a
    /// working day; add it to the running ssh-agent.
    Login {
        /// monban's issuer URL.
        #[arg(long, env = "MONBAN_TOKEN_ISSUER")]
        issuer: String,
        /// The command line's client id (it must be allowed the `ssh` scope).
        #[arg(long, env = "MONBAN_TOKEN_CLIENT")]
        client: String,
        /// Sign in by copying a code from any device's browser.
        #[arg(long)]
        no_browser: bool,
    },
    /// Print the ~/.ssh/config lines that use the key, its certificate and the CA's known_hosts
    /// line.
    Config {
        /// The hosts they apply to (an ssh_config `Host` pattern).
        #[arg(long, default_value = "*")]
        host: String,
    },
    /// Sign a machine's host key with the CA key (the administrator, with the CA key at hand);
    /// writes KEY-cert.pub beside it, for sshd's `HostCertificate`.
    HostCert {
        /// A name clients use for the machine (repeat for several).
        #[arg(long = "host", required = true)]
        hosts: Vec<String>,
        /// The host's public key, e.g. /etc/ssh/ssh_host_ed25519_key.pub.
        #[arg(long)]
        key: PathBuf,
        /// The CA keys' folder.
        #[arg(long, env = "MONBAN_SSH__CA_KEYS_DIR")]
        ca_dir: PathBuf,
        /// How long the host certificate lives.
        #[arg(long, default_value_t = 365)]
        days: u64,
    },
}

/// Runs `monban ssh …`.
pub fn command(command: SshCommand) -> ExitCode {
    match command {
        SshCommand::Login {
            issuer,
            client,
            no_browser,
        } => {
            let settings = Settings::new(&issuer, client, None, "openid email ssh", no_browser);
            let (settings, cache) = match settings.and_then(|s| s.cache().map(|c| (s, c))) {
                Ok(both) => both,
                Err(why) => return fail(2, &why),
            };
            let Some(dir) = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".ssh")) else {
                return fail(2, "HOME is not set: nowhere to keep the SSH key");
            };
            match actix_web::rt::System::new().block_on(login(&settings, &cache, &dir)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(1, &format!("{e:#}")),
            }
        }
        SshCommand::Config { host } => {
            print!("{}", config_lines(&host));
            ExitCode::SUCCESS
        }
        SshCommand::HostCert {
            hosts,
            key,
            ca_dir,
            days,
        } => match host_cert(&hosts, &key, &ca_dir, days) {
            Ok(path) => {
                println!("wrote {}", path.display());
                ExitCode::SUCCESS
            }
            Err(e) => fail(1, &format!("{e:#}")),
        },
    }
}

/// What `POST /ssh/certificate` answers.
#[derive(Deserialize)]
struct Certificate {
    certificate: String,
    principals: Vec<String>,
    valid_before: u64,
}

/// The whole `login`: a token with the `ssh` scope, the key, its certificate, the CA's
/// `known_hosts` line, and the agent.
async fn login(settings: &Settings, cache: &super::cache::Cache, dir: &Path) -> anyhow::Result<()> {
    let token = token(settings, cache).await?;
    let key = dir.join(KEY_NAME);
    let public = own_key(&key)?;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .build()?;
    let issuer = settings.issuer();
    let answer = http
        .post(format!("{issuer}{SSH_CERTIFICATE_PATH}"))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "public_key": public }))
        .send()
        .await?;
    if !answer.status().is_success() {
        let status = answer.status();
        let body: serde_json::Value = answer.json().await.unwrap_or_default();
        let hint = if body["error"] == "insufficient_scope" {
            format!(
                " (ask the administrator to add allowed_scopes = [\"ssh\"] to the client {})",
                settings.client
            )
        } else {
            String::new()
        };
        anyhow::bail!(
            "monban gave no certificate ({status}): {}{hint}",
            body["error_description"]
                .as_str()
                .unwrap_or("no reason given")
        );
    }
    let issued: Certificate = answer.json().await?;
    let cert_path = dir.join(format!("{KEY_NAME}-cert.pub"));
    std::fs::write(&cert_path, format!("{}\n", issued.certificate.trim()))?;
    let known = http
        .get(format!("{issuer}{SSH_KNOWN_HOSTS_PATH}"))
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    std::fs::write(dir.join(KNOWN_HOSTS_NAME), known)?;
    let remaining = issued.valid_before.saturating_sub(unix_now());
    let agent = add_to_agent(&key, remaining);
    eprintln!(
        "monban ssh: certificate for {} valid until {} UTC ({} h {} min from now), in {}{agent}",
        issued.principals.join(", "),
        time_of_day(issued.valid_before),
        remaining / 3600,
        remaining % 3600 / 60,
        cert_path.display()
    );
    Ok(())
}

/// The public key line of the private key at `path`, made first (Ed25519, mode 0600, its `.pub`
/// beside it) when there is none.
fn own_key(path: &Path) -> anyhow::Result<String> {
    if path.exists() {
        let key = PrivateKey::read_openssh_file(path)?;
        return Ok(key.public_key().to_openssh()?);
    }
    super::private_dir(path.parent().expect("a key is in a folder"))?;
    let key = crate::ssh::write_new_key(path, "monban")?;
    eprintln!("monban ssh: made a new key, {}", path.display());
    Ok(key.public_key().to_openssh()?)
}

/// Adds the key (and the certificate beside it) to the running `ssh-agent` for `secs`; what
/// happened, for the message.
fn add_to_agent(key: &Path, secs: u64) -> String {
    if std::env::var_os("SSH_AUTH_SOCK").is_none() {
        return String::new();
    }
    let added = std::process::Command::new("ssh-add")
        .arg("-t")
        .arg(secs.max(1).to_string())
        .arg(key)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
    match added {
        Ok(status) if status.success() => "; added to ssh-agent".into(),
        _ => "; ssh-agent did not take it (run ssh-add yourself)".into(),
    }
}

/// The `~/.ssh/config` lines for hosts matching `host`.
pub fn config_lines(host: &str) -> String {
    format!(
        "# monban: run `monban ssh login` first; its certificate lasts a working day.\n\
         Host {host}\n    IdentityFile ~/.ssh/{KEY_NAME}\n    CertificateFile ~/.ssh/{KEY_NAME}-cert.pub\n    \
         UserKnownHostsFile ~/.ssh/known_hosts ~/.ssh/{KNOWN_HOSTS_NAME}\n"
    )
}

/// Signs the host key at `key` for `hosts`, with the CA keys of `ca_dir`, for `days`; returns
/// the certificate's path (`…-cert.pub` beside the key).
fn host_cert(hosts: &[String], key: &Path, ca_dir: &Path, days: u64) -> anyhow::Result<PathBuf> {
    let settings = SshSettings {
        ca_keys_dir: Some(ca_dir.to_path_buf()),
        ca_keys: None,
        certificate_ttl: Duration::from_secs(days * 86_400),
        extensions: Vec::new(),
        principals: Default::default(),
        role_principals: Default::default(),
    };
    let ca = Ca::load(&settings)?;
    let public = PublicKey::read_openssh_file(key)?;
    let issued = ca.certify_host(&public, hosts, unix_now(), days * 86_400)?;
    let name = key
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("host.pub");
    let path = key.with_file_name(format!("{}-cert.pub", name.trim_end_matches(".pub")));
    std::fs::write(&path, format!("{}\n", issued.certificate))?;
    Ok(path)
}

fn fail(code: u8, message: &str) -> ExitCode {
    eprintln!("monban ssh: {message}");
    ExitCode::from(code)
}
