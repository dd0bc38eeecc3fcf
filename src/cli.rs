//! The command line: `serve` (the default), `check`, `keygen`, `dev`, and the clients of monban:
//! `gate` and `token`.
//!
//! Exit codes: 0 success, 1 a runtime failure (e.g. the port is taken), 2 a configuration or key
//! problem, reported as one line that names the key or file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::backchannel::Notifier;
use crate::config::client_block::NewClient;
use crate::config::{CONFIG_FILE_VAR, Config, SIGNING_KEYS_VAR};
use crate::keys::{KeyAlg, KeyStore};
use crate::outbound::Outbound;
use crate::tokens::Tokens;
use crate::{dev, http, telemetry};

/// monban: a stateless OpenID Connect provider that signs you in with Google.
#[derive(Debug, Parser)]
#[command(name = "monban", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server (the default).
    Serve,
    /// Validate the configuration and keys, and print a summary without secrets.
    Check {
        /// Check this configuration file (instead of `MONBAN_CONFIG` or ./monban.toml), e.g.
        /// before uploading it to Secret Manager.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Write a new signing key, named by the time it was made, into the keys dir.
    Keygen {
        /// Where to write it.
        #[arg(long, env = "MONBAN_KEYS_DIR", default_value = "./keys")]
        dir: PathBuf,
        /// The key's algorithm.
        #[arg(long, value_enum, default_value = "RS256")]
        alg: KeyAlg,
        /// Print a fresh session secret (for `session_secrets`) instead, and write nothing.
        #[arg(long, conflicts_with = "alg")]
        session_secret: bool,
        /// Write an OpenSSH user CA key (Ed25519, for `ssh.ca_keys_dir`) instead, and its `.pub`.
        #[arg(long, conflicts_with_all = ["alg", "session_secret"])]
        ssh_ca: bool,
    },
    /// Run on localhost with a throwaway key and a mock Google: for trying monban out.
    Dev,
    /// Tell every client with a `backchannel_logout_uri` that a person is signed out everywhere
    /// (a logout token with their `sub` and no `sid`), with the running configuration and keys.
    /// Set their `sign_outs` time too, so monban itself refuses their older sign-ins.
    SignOut {
        /// The person's `sub` (in the `sign_in.allowed` audit entries of the logs).
        sub: String,
    },
    /// Guard an app that speaks no OpenID Connect: a reverse proxy (and forward-auth endpoint)
    /// that signs people in through monban. Reads only `PORT` and `MONBAN_GATE__*`.
    Gate,
    /// Register relying parties (sibling services) in the configuration file.
    #[command(subcommand)]
    Client(ClientCommand),
    /// Print an access token for your scripts (signing in first when needed): `curl -H
    /// "Authorization: Bearer $(monban token)" ...`. Reads only its options and `MONBAN_TOKEN_*`.
    Token(crate::terminal::TokenArgs),
    /// SSH with a monban sign-in: `login` (a certificate for ~/.ssh/monban_ed25519), `config`,
    /// and for the administrator `host-cert`.
    #[command(subcommand)]
    Ssh(crate::terminal::ssh::SshCommand),
    /// Run only the mock Google of `dev` on a free loopback port, for load tests
    /// (bench/soak.py) that start several `monban serve` against one upstream.
    #[command(hide = true)]
    MockUpstream,
}

#[derive(Debug, Subcommand)]
enum ClientCommand {
    /// Print a `[[clients]]` block, with a fresh secret, to append to the configuration file.
    Add(NewClient),
}

/// Parses the command line and runs the command.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let env: HashMap<String, String> = std::env::vars().collect();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(&env),
        Command::Check { config: None } => check(&env),
        Command::Check { config: Some(file) } => check_file(env, &file),
        Command::Keygen {
            session_secret: true,
            ..
        } => {
            println!("{}", crate::config::generate_session_secret());
            ExitCode::SUCCESS
        }
        Command::Keygen {
            dir, ssh_ca: true, ..
        } => match crate::ssh::keygen(&dir, std::time::SystemTime::now()) {
            Ok(path) => {
                println!("wrote {} and {}.pub", path.display(), path.display());
                ExitCode::SUCCESS
            }
            Err(e) => fail(1, &format!("keygen --ssh-ca: {e:#}")),
        },
        Command::Keygen { dir, alg, .. } => {
            match crate::keys::keygen(&dir, alg, std::time::SystemTime::now()) {
                Ok(path) => {
                    println!("wrote {}", path.display());
                    ExitCode::SUCCESS
                }
                Err(e) => fail(1, &format!("keygen: {e:#}")),
            }
        }
        Command::Dev => dev(env),
        Command::Client(ClientCommand::Add(new)) => match new.toml() {
            Ok(block) => {
                print!("{block}");
                ExitCode::SUCCESS
            }
            Err(e) => fail(2, &e.to_string()),
        },
        Command::MockUpstream => mock_upstream(),
        Command::SignOut { sub } => sign_out(&env, &sub),
        Command::Gate => gate(&env),
        Command::Token(args) => crate::terminal::command(args),
        Command::Ssh(command) => crate::terminal::ssh::command(command),
    }
}

/// `monban gate`: a bad variable is exit code 2, a failure to serve 1.
fn gate(env: &HashMap<String, String>) -> ExitCode {
    let config = match crate::gate::GateConfig::load(env) {
        Ok(config) => config,
        Err(e) => return fail(2, &e.to_string()),
    };
    telemetry::init(
        env.contains_key("K_SERVICE"),
        env.get("GOOGLE_CLOUD_PROJECT").cloned(),
    );
    match actix_web::rt::System::new().block_on(crate::gate::serve(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(1, &format!("gate: {e:#}")),
    }
}

/// `monban sign-out SUB`: posts a `sub`-only logout token to every client with a back-channel
/// URI; exit code 1 if one of them did not acknowledge it.
fn sign_out(env: &HashMap<String, String>, sub: &str) -> ExitCode {
    let (config, keys) = match load(env) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let receivers: Vec<_> = (config.clients.iter())
        .filter(|c| c.backchannel_logout_uri.is_some())
        .collect();
    if receivers.is_empty() {
        println!("no client has a backchannel_logout_uri: nobody to tell");
        return ExitCode::SUCCESS;
    }
    let tokens = Tokens::new(keys, config.issuer_str());
    let notifier = Notifier {
        tokens: &tokens,
        http: &Outbound::new(config.upstream.timeout),
        timeout: config.backchannel_logout_timeout,
    };
    let now = crate::clock::unix_now();
    let told = actix_web::rt::System::new().block_on(notifier.tell(receivers, sub, None, now));
    for t in &told {
        let outcome = if t.delivered { "told" } else { "NOT reached" };
        println!("{outcome}: {} ({})", t.client.id, t.client.name);
    }
    if told.iter().all(|t| t.delivered) {
        ExitCode::SUCCESS
    } else {
        fail(1, "some clients were not reached; run the command again")
    }
}

fn fail(code: u8, message: &str) -> ExitCode {
    eprintln!("monban: {message}");
    ExitCode::from(code)
}

/// Loads and validates configuration and keys; a problem is exit code 2.
fn load(env: &HashMap<String, String>) -> Result<(Config, KeyStore), ExitCode> {
    let config = Config::load(env).map_err(|e| fail(2, &e.to_string()))?;
    let keys = KeyStore::load(&config).map_err(|e| fail(2, &e.to_string()))?;
    if let Some(ssh) = &config.ssh {
        crate::ssh::Ca::load(ssh).map_err(|e| fail(2, &format!("{e:#}")))?;
    }
    Ok((config, keys))
}

fn check(env: &HashMap<String, String>) -> ExitCode {
    match load(env) {
        Ok((config, keys)) => report(&config, Some(&keys)),
        Err(code) => code,
    }
}

/// `monban check --config FILE`: the file as it will be uploaded to Secret Manager. What the
/// deployment provides beside it (the Google client secret as a variable, the key files) is
/// checked when it is here too, and otherwise named as not checked.
fn check_file(mut env: HashMap<String, String>, file: &Path) -> ExitCode {
    env.insert(CONFIG_FILE_VAR.into(), file.display().to_string());
    let upstream_secret = "MONBAN_UPSTREAM__CLIENT_SECRET";
    if !env.contains_key(upstream_secret) {
        println!("upstream.client_secret: not checked (the deployment sets {upstream_secret})");
        env.insert(upstream_secret.into(), "set-by-the-deployment".into());
    }
    let config = match Config::load(&env) {
        Ok(config) => config,
        Err(e) => return fail(2, &e.to_string()),
    };
    let keys_here = config.keys_dir.is_dir() || env.contains_key(SIGNING_KEYS_VAR);
    if !keys_here {
        println!(
            "signing keys: not checked ({} is not here; the deployment mounts it)",
            config.keys_dir.display()
        );
        return report(&config, None);
    }
    match KeyStore::load(&config) {
        Ok(keys) => report(&config, Some(&keys)),
        Err(e) => fail(2, &e.to_string()),
    }
}

/// Prints the summary (no secrets) and the keys, then "configuration OK".
fn report(config: &Config, keys: Option<&KeyStore>) -> ExitCode {
    print!("{}", config.summary());
    for key in keys.map(KeyStore::all).unwrap_or_default() {
        let active = if keys.is_some_and(|k| k.active().kid == key.kid) {
            " (signs)"
        } else {
            ""
        };
        println!(
            "{:<26} {:?} from {}{active}",
            format!("key {}", key.kid),
            key.alg,
            key.source_name
        );
    }
    if config.admission.admits_nobody() {
        println!(
            "warning: allowed_domains, allowed_emails and roles are empty: nobody can sign in"
        );
    }
    println!("configuration OK");
    ExitCode::SUCCESS
}

fn serve(env: &HashMap<String, String>) -> ExitCode {
    let (config, keys) = match load(env) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    telemetry::init(
        config.json_logs(env),
        env.get("GOOGLE_CLOUD_PROJECT").cloned(),
    );
    actix_web::rt::System::new().block_on(run_server(config, keys))
}

/// Serves until SIGTERM; a failure (e.g. the port is taken) is exit code 1.
async fn run_server(config: Config, keys: KeyStore) -> ExitCode {
    match http::app::serve(&config, &keys).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(1, &format!("{e:#}")),
    }
}

/// `monban mock-upstream`: prints `mock upstream <issuer> <client id> <secret>` and serves until
/// SIGTERM or SIGINT.
fn mock_upstream() -> ExitCode {
    actix_web::rt::System::new().block_on(async {
        let mock = match dev::start_mock() {
            Ok(mock) => mock,
            Err(e) => return fail(1, &format!("mock-upstream: {e:#}")),
        };
        println!(
            "mock upstream {} {} {}",
            mock.issuer(),
            dev::DEV_CLIENT_ID,
            dev::DEV_CLIENT_SECRET
        );
        let _ = tokio::signal::ctrl_c().await;
        ExitCode::SUCCESS
    })
}

/// `monban dev`: a throwaway key in a temporary folder, a loopback issuer, and a mock Google
/// with a few lab users, then `serve`.
fn dev(mut env: HashMap<String, String>) -> ExitCode {
    let dir = match tempfile::Builder::new().prefix("monban-dev-").tempdir() {
        Ok(dir) => dir,
        Err(e) => return fail(1, &format!("dev: cannot create a temporary folder: {e}")),
    };
    if let Err(e) = crate::keys::keygen(dir.path(), KeyAlg::Rs256, std::time::SystemTime::now()) {
        return fail(1, &format!("dev: {e:#}"));
    }
    actix_web::rt::System::new().block_on(async move {
        let mock = match dev::start_mock() {
            Ok(mock) => mock,
            Err(e) => return fail(1, &format!("dev: cannot start the mock upstream: {e:#}")),
        };
        let issuer = dev::environment(&mut env, dir.path(), mock.issuer());
        let (mut config, keys) = match load(&env) {
            Ok(loaded) => loaded,
            Err(code) => return code,
        };
        dev::register_demo_client(&mut config);
        telemetry::init(config.json_logs(&env), None);
        println!("{}", dev::banner(&issuer, dir.path(), mock.issuer()));
        run_server(config, keys).await
        // `dir` is dropped after this, deleting the throwaway key.
    })
}
