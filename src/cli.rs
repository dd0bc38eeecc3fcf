//! The command line: `serve` (the default), `check`, `keygen` and `dev`.
//!
//! Exit codes: 0 success, 1 a runtime failure (e.g. the port is taken), 2 a configuration or key
//! problem, reported as one line that names the key or file.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};

use anyhow::Context;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::keys::{KeyAlg, KeyStore};
use crate::mock_upstream::{Fault, MockOptions, MockUpstream};
use crate::oidc::DISCOVERY_PATH;
use crate::startup::Application;
use crate::telemetry;

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
    Check,
    /// Write a new signing key, named by the time it was made, into the keys dir.
    Keygen {
        /// Where to write it.
        #[arg(long, env = "MONBAN_KEYS_DIR", default_value = "./keys")]
        dir: PathBuf,
        /// The key's algorithm.
        #[arg(long, value_enum, default_value = "RS256")]
        alg: KeyAlg,
    },
    /// Run on localhost with a throwaway key and a mock Google: for trying monban out.
    Dev,
    /// Run only the mock Google of `dev` on a free loopback port, for load tests
    /// (bench/soak.py) that start several `monban serve` against one upstream.
    #[command(hide = true)]
    MockUpstream,
}

/// Parses the command line and runs the command.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let env: HashMap<String, String> = std::env::vars().collect();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(&env),
        Command::Check => check(&env),
        Command::Keygen { dir, alg } => {
            match crate::keys::keygen(&dir, alg, std::time::SystemTime::now()) {
                Ok(path) => {
                    println!("wrote {}", path.display());
                    ExitCode::SUCCESS
                }
                Err(e) => fail(1, &format!("keygen: {e:#}")),
            }
        }
        Command::Dev => dev(env),
        Command::MockUpstream => mock_upstream(),
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
    Ok((config, keys))
}

fn check(env: &HashMap<String, String>) -> ExitCode {
    let (config, keys) = match load(env) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    print!("{}", config.summary());
    for key in keys.all() {
        let active = if key.kid == keys.active().kid {
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
    if config.allowed_domains.is_empty()
        && config.allowed_emails.is_empty()
        && config.roles.is_empty()
    {
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

/// Binds `0.0.0.0:$PORT` and serves until SIGTERM.
async fn run_server(config: Config, keys: KeyStore) -> ExitCode {
    let result = async move {
        let addr = SocketAddr::from((Ipv4Addr::UNSPECIFIED, config.port));
        let listener =
            TcpListener::bind(addr).with_context(|| format!("cannot listen on {addr}"))?;
        let app = Application::build(&config, &keys, listener)?;
        tracing::info!(
            port = app.port(),
            issuer = config.issuer_str(),
            signing_kid = keys.active().kid.as_str(),
            keys = keys.all().len(),
            "monban listening on port {}",
            app.port()
        );
        app.run_until_stopped().await?;
        tracing::info!("monban stopped");
        anyhow::Ok(())
    };
    match result.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(1, &format!("{e:#}")),
    }
}

/// The mock upstream's client credentials in `monban dev`.
const DEV_CLIENT_ID: &str = "monban-dev";
const DEV_CLIENT_SECRET: &str = "monban-dev-secret";

/// The client `monban dev` registers: id, secret, redirect URI, post-logout URI.
const DEMO_CLIENT: (&str, &str, &str, &str) = (
    "demo",
    "demo-secret",
    "http://localhost:8081/callback",
    "http://localhost:8081/",
);

fn demo_client() -> crate::config::Client {
    let url = |u: &str| url::Url::parse(u).expect("a valid constant URL");
    crate::config::Client {
        id: DEMO_CLIENT.0.into(),
        secret: Some(crate::config::Secret::new(DEMO_CLIENT.1)),
        redirect_uris: vec![url(DEMO_CLIENT.2)],
        post_logout_redirect_uris: vec![url(DEMO_CLIENT.3)],
    }
}

/// `monban mock-upstream`: prints `mock upstream <issuer> <client id> <secret>` and serves until
/// SIGTERM or SIGINT.
fn mock_upstream() -> ExitCode {
    actix_web::rt::System::new().block_on(async {
        let mock = match MockUpstream::start(MockOptions {
            client_id: DEV_CLIENT_ID.into(),
            client_secret: DEV_CLIENT_SECRET.into(),
            fault: Fault::None,
        }) {
            Ok(mock) => mock,
            Err(e) => return fail(1, &format!("mock-upstream: {e:#}")),
        };
        println!(
            "mock upstream {} {DEV_CLIENT_ID} {DEV_CLIENT_SECRET}",
            mock.issuer()
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
        let mock = match MockUpstream::start(MockOptions {
            client_id: DEV_CLIENT_ID.into(),
            client_secret: DEV_CLIENT_SECRET.into(),
            fault: Fault::None,
        }) {
            Ok(mock) => mock,
            Err(e) => return fail(1, &format!("dev: cannot start the mock upstream: {e:#}")),
        };
        let port = env.get("PORT").cloned().unwrap_or_else(|| "8080".into());
        let issuer = format!("http://localhost:{port}");
        let mut set = |k: &str, v: String| {
            env.insert(k.into(), v);
        };
        set("PORT", port);
        set("MONBAN_ISSUER", issuer.clone());
        set("MONBAN_KEYS_DIR", dir.path().display().to_string());
        set("MONBAN_UPSTREAM__ISSUER", mock.issuer().to_string());
        set("MONBAN_UPSTREAM__CLIENT_ID", DEV_CLIENT_ID.into());
        set("MONBAN_UPSTREAM__CLIENT_SECRET", DEV_CLIENT_SECRET.into());
        env.remove("MONBAN_SIGNING_KEYS");
        env.remove("MONBAN_SIGNING_KID");
        for (key, default) in [
            ("MONBAN_ORG_NAME", "Example Lab (monban dev)"),
            ("MONBAN_LOG_FORMAT", "text"),
            ("MONBAN_ALLOWED_DOMAINS", "lab.example.org"),
            ("MONBAN_ALLOWED_EMAILS", "alan.turing@gmail.com"),
            ("MONBAN_ROLES__ADMIN", "ada@lab.example.org"),
        ] {
            env.entry(key.into()).or_insert_with(|| default.into());
        }
        let (mut config, keys) = match load(&env) {
            Ok(loaded) => loaded,
            Err(code) => return code,
        };
        if !config.clients.iter().any(|c| c.id == DEMO_CLIENT.0) {
            config.clients.push(demo_client());
        }
        telemetry::init(config.json_logs(&env), None);
        println!("monban dev: a throwaway key in {}", dir.path().display());
        println!("monban dev: mock Google at {}", mock.issuer());
        println!("monban dev: discovery {issuer}{DISCOVERY_PATH}");
        println!(
            "monban dev: demo client id {:?}, secret {:?}, redirect URI {}",
            DEMO_CLIENT.0, DEMO_CLIENT.1, DEMO_CLIENT.2
        );
        println!(
            "monban dev: open {issuer}/ and sign in (lab users get in; the outsider does not)"
        );
        run_server(config, keys).await
        // `dir` is dropped after this, deleting the throwaway key.
    })
}
