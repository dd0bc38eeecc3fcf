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
use crate::oidc::{DISCOVERY_PATH, JWKS_PATH};
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
    /// Run on localhost with a throwaway key: for trying monban out and for development.
    Dev,
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
    let addr = SocketAddr::from((Ipv4Addr::UNSPECIFIED, config.port));
    let result = actix_web::rt::System::new().block_on(async move {
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
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(1, &format!("{e:#}")),
    }
}

/// `monban dev`: a throwaway key in a temporary folder and a loopback issuer, then `serve`.
fn dev(mut env: HashMap<String, String>) -> ExitCode {
    let dir = match tempfile::Builder::new().prefix("monban-dev-").tempdir() {
        Ok(dir) => dir,
        Err(e) => return fail(1, &format!("dev: cannot create a temporary folder: {e}")),
    };
    if let Err(e) = crate::keys::keygen(dir.path(), KeyAlg::Rs256, std::time::SystemTime::now()) {
        return fail(1, &format!("dev: {e:#}"));
    }
    let port = env.get("PORT").cloned().unwrap_or_else(|| "8080".into());
    let issuer = format!("http://localhost:{port}");
    env.insert("PORT".into(), port);
    env.insert("MONBAN_ISSUER".into(), issuer.clone());
    env.insert("MONBAN_KEYS_DIR".into(), dir.path().display().to_string());
    env.remove("MONBAN_SIGNING_KEYS");
    env.remove("MONBAN_SIGNING_KID");
    env.entry("MONBAN_ORG_NAME".into())
        .or_insert_with(|| "monban dev".into());
    env.entry("MONBAN_LOG_FORMAT".into())
        .or_insert_with(|| "text".into());
    println!("monban dev: a throwaway key in {}", dir.path().display());
    println!("monban dev: issuer    {issuer}");
    println!("monban dev: discovery {issuer}{DISCOVERY_PATH}");
    println!("monban dev: keys      {issuer}{JWKS_PATH}");
    serve(&env)
    // `dir` is dropped here, deleting the throwaway key.
}
