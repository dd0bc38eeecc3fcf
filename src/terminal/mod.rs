//! `monban token`: an access token for a person's scripts, on stdout and nothing else there, so
//! that `curl -H "Authorization: Bearer $(monban token)"` works. Like the gate, it is an ordinary
//! client of monban (the same OpenID client, [`crate::upstream::Upstream`]), public, with PKCE:
//! it uses the cached access token while it is fresh, renews it with the cached refresh token
//! while monban accepts that, and otherwise signs in ([`sign_in`]). Progress and prompts go to
//! stderr. The server never imports this module.

use std::process::ExitCode;
use std::time::Duration;

use url::Url;

use crate::clock::unix_now;
use crate::config::{Secret, Upstream as UpstreamSettings, parse_issuer};
use crate::upstream::{Upstream, UpstreamError};

pub mod cache;
mod sign_in;
pub mod ssh;

use cache::Cache;

/// An access token that expires sooner than this is renewed first: a script's call should not
/// carry a token that dies on the way.
const FRESH_FOR_SECS: u64 = 60;

/// `monban token`'s options; each may come from its `MONBAN_TOKEN_*` variable, set once in a
/// shell profile (`monban serve` refuses them: they belong to people's shells, not the server).
#[derive(Debug, clap::Args)]
pub struct TokenArgs {
    /// monban's issuer URL, e.g. https://login.lab.example.org.
    #[arg(long, env = "MONBAN_TOKEN_ISSUER")]
    issuer: String,
    /// The client id the administrator registered for the command line (`monban client add cli
    /// --public ...`).
    #[arg(long, env = "MONBAN_TOKEN_CLIENT")]
    client: String,
    /// The API (an `[[apis]]` id) the token is for; without it, a token for the client itself.
    #[arg(long, env = "MONBAN_TOKEN_RESOURCE")]
    resource: Option<String>,
    /// The scopes asked for, space separated.
    #[arg(
        long,
        env = "MONBAN_TOKEN_SCOPE",
        default_value = "openid email profile"
    )]
    scope: String,
    /// Sign in by copying a code from any device's browser, even when a browser is at hand here
    /// (the default over SSH, where no display is set).
    #[arg(long)]
    no_browser: bool,
    /// Forget this issuer and client's tokens.
    #[arg(long)]
    logout: bool,
}

/// The options, checked.
#[derive(Debug)]
pub struct Settings {
    issuer: Url,
    client: String,
    resource: Option<String>,
    scope: String,
    no_browser: bool,
}

impl Settings {
    /// monban as this command's OpenID provider, redirecting to `redirect`.
    fn monban(&self, redirect: Url) -> Upstream {
        let settings = UpstreamSettings {
            issuer: self.issuer.clone(),
            client_id: self.client.clone(),
            client_secret: Secret::new(""),
            timeout: Duration::from_secs(15),
        };
        Upstream::new(&settings, redirect)
    }

    fn issuer(&self) -> &str {
        self.issuer.as_str().trim_end_matches('/')
    }
}

impl Settings {
    /// The options as given, or why not (an issuer that is not a URL).
    fn new(
        issuer: &str,
        client: String,
        resource: Option<String>,
        scope: &str,
        no_browser: bool,
    ) -> Result<Self, String> {
        Ok(Self {
            issuer: parse_issuer("--issuer", issuer).map_err(|e| e.to_string())?,
            client,
            resource: resource.filter(|r| !r.is_empty()),
            scope: scope.split_whitespace().collect::<Vec<_>>().join(" "),
            no_browser,
        })
    }

    /// Its cache file, or why there is none.
    fn cache(&self) -> Result<Cache, String> {
        let dir = Cache::dir()
            .ok_or("neither XDG_CACHE_HOME nor HOME is set: nowhere to keep the tokens")?;
        Ok(Cache::new(&dir, self.issuer(), &self.client))
    }
}

/// Runs `monban token`: exit code 0 with the token on stdout, 1 when it cannot get one, 2 for
/// bad options.
pub fn command(args: TokenArgs) -> ExitCode {
    let settings = Settings::new(
        &args.issuer,
        args.client,
        args.resource,
        &args.scope,
        args.no_browser,
    );
    let (settings, cache) = match settings.and_then(|s| s.cache().map(|c| (s, c))) {
        Ok(both) => both,
        Err(why) => return fail(2, &why),
    };
    if args.logout {
        return match cache.remove() {
            Ok(()) => {
                eprintln!(
                    "monban token: forgot the tokens of {} at {}. monban keeps no list of tokens to revoke: \
                     the refresh token was only in that file, and the last access token ends when it expires. \
                     To end the browser's session too, sign out on monban's page.",
                    settings.client,
                    settings.issuer()
                );
                ExitCode::SUCCESS
            }
            Err(e) => fail(
                1,
                &format!("could not remove {}: {e}", cache.path().display()),
            ),
        };
    }
    match actix_web::rt::System::new().block_on(token(&settings, &cache)) {
        Ok(token) => {
            println!("{token}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(1, &format!("{e:#}")),
    }
}

/// The access token `settings` ask for: cached, renewed, or from a new sign-in.
async fn token(settings: &Settings, cache: &Cache) -> anyhow::Result<String> {
    let resource = settings.resource.as_deref();
    let mut entries = cache.load();
    let now = unix_now();
    if let Some(entry) = entries.find(resource, &settings.scope) {
        if entry.expires_at > now + FRESH_FOR_SECS {
            return Ok(entry.access_token.clone());
        }
        if let Some(refresh) = entry.refresh_token.clone() {
            let monban = settings.monban(settings.issuer.clone());
            match monban.refresh(&refresh, now).await {
                Ok(issued) => {
                    entries.put(resource, &settings.scope, &issued, now);
                    cache.save(&entries)?;
                    return Ok(issued.access_token);
                }
                Err(UpstreamError::Refused(why)) => {
                    eprintln!(
                        "monban token: monban no longer accepts this sign-in ({why}); signing in again."
                    );
                    cache.remove()?;
                    entries = cache.load();
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    let issued = sign_in::sign_in(settings, now).await?;
    entries.put(resource, &settings.scope, &issued, now);
    cache.save(&entries)?;
    eprintln!(
        "monban token: signed in; tokens kept in {}",
        cache.path().display()
    );
    Ok(issued.access_token)
}

/// `dir`, made if missing, and its owner's alone (0700): where the tokens and the SSH key live.
fn private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

fn fail(code: u8, message: &str) -> ExitCode {
    eprintln!("monban token: {message}");
    ExitCode::from(code)
}
