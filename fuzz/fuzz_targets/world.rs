// Each target uses part of the shared world; the rest is unused in that binary.
#![allow(dead_code)]
//! One deployment shared by every fuzz target: configuration, keys of every algorithm, and a
//! genuine credential of each kind, so mutations of real values reach the deep checks
//! (decryption, signature verification) that random bytes never would.

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use monban::config::Config;
use monban::keys::{KeyAlg, KeyStore};
use monban::protocol::authorize::{AuthorizeQuery, AuthorizeRequest};
use monban::protocol::grants::TokenService;
use monban::protocol::pkce::pkce_s256;
use monban::protocol::token_request::{TokenForm, TokenRequest};
use monban::session::Session;
use monban::session::seal::Sealer;
use monban::tokens::Tokens;

/// "Now" for every check, so a run is repeatable.
pub const NOW: u64 = 1_800_000_000;
/// The upstream's issuer and monban's client id there.
pub const UPSTREAM: &str = "https://accounts.example.com";
pub const UPSTREAM_CLIENT: &str = "fuzz-upstream-client";
/// The nonce of the genuine upstream ID token.
pub const NONCE: &str = "fuzz-nonce";
/// The confidential client's form fields, minus the code.
pub const WIKI_FORM: &str = "grant_type=authorization_code&client_id=wiki&client_secret=wiki-secret\
    &redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fwiki%2Fcallback";
/// The PKCE verifier the genuine code was issued for.
pub const VERIFIER: &str = "fuzz-verifier-fuzz-verifier-fuzz-verifier-0123";

pub struct World {
    pub config: Config,
    pub tokens: Tokens,
    pub sealer: Sealer,
    pub code: String,
    pub access_token: String,
    pub id_token: String,
    pub refresh_token: String,
    pub upstream_discovery: String,
    pub upstream_jwks: String,
    pub upstream_id_token: String,
    /// The instance's memory of redeemed codes.
    pub spent_codes: monban::once::Once,
    /// Holds the keys and client file; kept reachable so the leak checker stays quiet.
    pub dir: tempfile::TempDir,
}

impl World {
    pub fn service(&self) -> TokenService<'_> {
        TokenService {
            tokens: &self.tokens,
            sealer: &self.sealer,
            config: &self.config,
            spent_codes: &self.spent_codes,
        }
    }
}

pub fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(build)
}

fn build() -> World {
    let dir = tempfile::tempdir().unwrap();
    let epoch = SystemTime::UNIX_EPOCH + Duration::from_secs(NOW);
    for (i, alg) in [KeyAlg::EdDsa, KeyAlg::Es256, KeyAlg::Rs256]
        .into_iter()
        .enumerate()
    {
        monban::keys::keygen(dir.path(), alg, epoch + Duration::from_secs(i as u64)).unwrap();
    }
    let clients = dir.path().join("clients.toml");
    std::fs::write(
        &clients,
        r#"
[[clients]]
id = "wiki"
secret = "wiki-secret"
redirect_uris = ["http://127.0.0.1:9/wiki/callback"]
apis = ["https://inventory.example.org/"]

[[apis]]
id = "https://inventory.example.org/"
scopes = ["inventory:read"]

[[clients]]
id = "spa"
redirect_uris = ["http://127.0.0.1:9/spa/callback"]
"#,
    )
    .unwrap();
    let env: HashMap<String, String> = [
        ("MONBAN_CONFIG", clients.to_str().unwrap()),
        ("MONBAN_ISSUER", "http://127.0.0.1:8080"),
        ("MONBAN_KEYS_DIR", dir.path().to_str().unwrap()),
        ("MONBAN_UPSTREAM__CLIENT_ID", UPSTREAM_CLIENT),
        ("MONBAN_UPSTREAM__CLIENT_SECRET", "secret"),
        ("MONBAN_ALLOWED_DOMAINS", "lab.example.org"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let config = Config::load(&env).unwrap();
    let keys = KeyStore::load(&config).unwrap();
    let tokens = Tokens::new(keys.clone(), config.issuer_str());
    let sealer = monban::http::state::sealer(&config, &keys);

    let query: AuthorizeQuery = serde_urlencoded::from_str(&format!(
        "client_id=wiki&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fwiki%2Fcallback&response_type=code\
         &scope=openid+email&state=s&nonce=n&code_challenge={}&code_challenge_method=S256",
        pkce_s256(VERIFIER)
    ))
    .unwrap();
    let request = AuthorizeRequest::parse(&query, &config.clients, &config.apis).unwrap();
    let session = Session {
        sub: "1".into(),
        email: "ada@lab.example.org".into(),
        name: Some("Ada".into()),
        picture: None,
        given_name: None,
        family_name: None,
        locale: None,
        roles: vec![],
        auth_time: NOW,
        hosted_domain: Some("lab.example.org".into()),
        sid: String::new(),
        clients: vec![],
    };
    let code = request.code(&sealer, &session, NOW);
    let form: TokenForm =
        serde_urlencoded::from_str(&format!("{WIKI_FORM}&code={code}&code_verifier={VERIFIER}"))
            .unwrap();
    let wiki = config.clients.iter().find(|c| c.id == "wiki").unwrap();
    let request = TokenRequest::parse(wiki, &form).unwrap();
    let issued = TokenService {
        tokens: &tokens,
        sealer: &sealer,
        config: &config,
        spent_codes: &monban::once::Once::default(),
    }
    .issue(&request, NOW)
    .unwrap();

    let upstream_discovery = serde_json::json!({
        "issuer": UPSTREAM,
        "authorization_endpoint": format!("{UPSTREAM}/authorize"),
        "token_endpoint": format!("{UPSTREAM}/token"),
        "jwks_uri": format!("{UPSTREAM}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    })
    .to_string();
    let upstream_jwks = serde_json::to_string(&keys.jwks()).unwrap();
    let upstream_id_token = Tokens::new(keys.clone(), UPSTREAM)
        .mint(
            "JWT",
            &serde_json::json!({
                "iss": UPSTREAM, "aud": UPSTREAM_CLIENT, "sub": "1", "nonce": NONCE,
                "iat": NOW, "exp": 4_000_000_000u64,
                "email": "Ada@Lab.Example.org", "email_verified": true, "hd": "lab.example.org",
            }),
        )
        .unwrap();
    World {
        config,
        tokens,
        sealer,
        code,
        access_token: issued.access_token,
        id_token: issued.id_token.expect("a code gives an ID token"),
        refresh_token: issued.refresh_token.expect("a code gives a refresh token"),
        upstream_discovery,
        upstream_jwks,
        upstream_id_token,
        spent_codes: monban::once::Once::default(),
        dir,
    }
}

/// What a target tries: the input itself when its first byte is even; otherwise `valid` edited by
/// the rest of the input, each 3-byte group (position high, position low, byte) overwriting one
/// byte. Both the raw and the nearly-valid inputs are attacker-shaped.
pub fn candidate(valid: &str, data: &[u8]) -> String {
    match data.split_first() {
        Some((first, rest)) if first % 2 == 1 => {
            let mut bytes = valid.as_bytes().to_vec();
            for edit in rest.chunks_exact(3) {
                let at = usize::from(u16::from_be_bytes([edit[0], edit[1]])) % bytes.len();
                bytes[at] = edit[2];
            }
            String::from_utf8_lossy(&bytes).into_owned()
        }
        _ => String::from_utf8_lossy(data).into_owned(),
    }
}
