//! Signing keys: loading the keys dir (and `MONBAN_SIGNING_KEYS`), choosing the active key,
//! the public JWKS, and `monban keygen`.
//!
//! Every key is a PKCS#8 PEM private key. Its algorithm follows from the key itself (RSA: RS256,
//! P-256: ES256, Ed25519: EdDSA), so a token can never be verified with an algorithm its key was not
//! made for. All keys are published; one signs. Keys are ordered oldest first: the keys dir's files
//! sorted by name (`monban keygen` names them by UTC time, so that order is their age), then the
//! PEM blocks of `MONBAN_SIGNING_KEYS` in the order written. The last one signs unless `signing_kid`
//! names another, which is how a new key is published before it signs (see docs/keys.md).

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair};
use jsonwebtoken::jwk::{Jwk, JwkSet, PublicKeyUse, ThumbprintHash};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};

use crate::config::{Config, SIGNING_KEYS_VAR};

mod generate;

pub use generate::{generate_pem, keygen};

/// The PEM label of a PKCS#8 private key, the only form monban reads and writes.
const PKCS8_LABEL: &str = "PRIVATE KEY";

/// The algorithms monban signs with. Each key supports exactly one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum KeyAlg {
    /// RSA 2048 with SHA-256: the default, verified by every JWT library.
    #[value(name = "RS256")]
    Rs256,
    /// ECDSA P-256 with SHA-256: small keys and signatures, fast signing.
    #[value(name = "ES256")]
    Es256,
    /// Ed25519: the fastest, but not every client library verifies it.
    #[value(name = "EdDSA")]
    EdDsa,
}

impl KeyAlg {
    /// The JOSE algorithm.
    pub fn jose(self) -> Algorithm {
        match self {
            KeyAlg::Rs256 => Algorithm::RS256,
            KeyAlg::Es256 => Algorithm::ES256,
            KeyAlg::EdDsa => Algorithm::EdDSA,
        }
    }

    fn short(self) -> &'static str {
        match self {
            KeyAlg::Rs256 => "rs256",
            KeyAlg::Es256 => "es256",
            KeyAlg::EdDsa => "eddsa",
        }
    }
}

/// A key problem at start-up, naming the file or variable it came from.
#[derive(Debug, thiserror::Error)]
#[error("signing keys: {source_name}: {problem}")]
pub struct KeyError {
    /// The file path or variable name.
    pub source_name: String,
    /// What is wrong with it.
    pub problem: String,
}

impl KeyError {
    fn new(source_name: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            source_name: source_name.into(),
            problem: problem.into(),
        }
    }
}

/// One signing key: private half for signing, public half for verifying and publishing.
#[derive(Clone)]
pub struct SigningKey {
    /// The key id (`kid`): the file stem, or the JWK thumbprint for keys from the environment.
    pub kid: String,
    /// The one algorithm this key is used with.
    pub alg: Algorithm,
    /// Where the key came from, for messages.
    pub source_name: String,
    pub(crate) encoding: EncodingKey,
    /// The parsed RSA key pair, kept so that RS256 signing does not parse the key each time
    /// (see `Tokens::mint`).
    pub(crate) rsa: Option<Arc<aws_lc_rs::rsa::KeyPair>>,
    pub(crate) decoding: DecodingKey,
    /// Key material from which sealing keys are derived when no session secret is configured.
    seal_ikm: Vec<u8>,
    jwk: Jwk,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("source_name", &self.source_name)
            .finish_non_exhaustive()
    }
}

/// All keys monban knows, oldest first, and which one signs.
#[derive(Debug, Clone)]
pub struct KeyStore {
    keys: Vec<SigningKey>,
    active: usize,
}

impl KeyStore {
    /// Loads every key the configuration points at: the keys dir and `MONBAN_SIGNING_KEYS`.
    pub fn load(config: &Config) -> Result<Self, KeyError> {
        let env_pem = config.signing_keys_pem.as_ref().map(|s| s.expose());
        let mut keys = if config.keys_dir.is_dir() || env_pem.is_none() {
            load_dir(&config.keys_dir)?
        } else {
            Vec::new()
        };
        if let Some(pem) = env_pem {
            keys.extend(load_env_blocks(pem)?);
        }
        if keys.is_empty() {
            return Err(KeyError::new(
                config.keys_dir.display().to_string(),
                "no signing key (*.pem) found: create one with `monban keygen`",
            ));
        }
        Self::from_keys(keys, config.signing_kid.as_deref())
    }

    /// The keys in PEM text (one or more PKCS#8 blocks, as `MONBAN_SIGNING_KEYS` holds them),
    /// each kid its RFC 7638 thumbprint; the last one signs.
    pub fn from_pem(text: &str) -> Result<Self, KeyError> {
        Self::from_keys(load_env_blocks(text)?, None)
    }

    /// Builds a store from loaded keys (oldest first), signing with `signing_kid` or the newest.
    pub fn from_keys(keys: Vec<SigningKey>, signing_kid: Option<&str>) -> Result<Self, KeyError> {
        for (i, k) in keys.iter().enumerate() {
            if keys[..i].iter().any(|o| o.kid == k.kid) {
                return Err(KeyError::new(
                    &k.source_name,
                    format!("kid {:?} is used by two keys", k.kid),
                ));
            }
        }
        let active = match signing_kid {
            Some(kid) => keys.iter().position(|k| k.kid == kid).ok_or_else(|| {
                let known: Vec<&str> = keys.iter().map(|k| k.kid.as_str()).collect();
                KeyError::new(
                    "signing_kid",
                    format!("no key has kid {kid:?} (known: {})", known.join(", ")),
                )
            })?,
            None => keys.len().checked_sub(1).ok_or_else(|| {
                KeyError::new("keys", "no signing key: create one with `monban keygen`")
            })?,
        };
        Ok(Self { keys, active })
    }

    /// The key that signs new tokens.
    pub fn active(&self) -> &SigningKey {
        &self.keys[self.active]
    }

    /// Every known key, oldest first.
    pub fn all(&self) -> &[SigningKey] {
        &self.keys
    }

    /// The key with this `kid`, if any.
    pub fn by_kid(&self, kid: &str) -> Option<&SigningKey> {
        self.keys.iter().find(|k| k.kid == kid)
    }

    /// The public JWK Set of every key, newest first, so clients that try keys in order find the
    /// signing key at once.
    pub fn jwks(&self) -> JwkSet {
        let mut keys: Vec<Jwk> = self.keys.iter().map(|k| k.jwk.clone()).collect();
        keys.reverse();
        JwkSet { keys }
    }

    /// Private key material to derive sealing keys from, the signing key's first (it seals), so
    /// every instance with the same keys agrees without any configured secret.
    pub fn seal_materials(&self) -> Vec<&[u8]> {
        let mut out = vec![self.active().seal_ikm.as_slice()];
        out.extend(
            self.keys
                .iter()
                .filter(|k| k.kid != self.active().kid)
                .map(|k| k.seal_ikm.as_slice()),
        );
        out
    }

    /// The distinct algorithms of the published keys, signing key first.
    pub fn algorithms(&self) -> Vec<Algorithm> {
        let mut algs = vec![self.active().alg];
        for k in &self.keys {
            if !algs.contains(&k.alg) {
                algs.push(k.alg);
            }
        }
        algs
    }
}

/// Reads every `*.pem` in `dir`, sorted by name. Hidden files (Kubernetes' `..data` links) and
/// other files (a README) are skipped.
fn load_dir(dir: &Path) -> Result<Vec<SigningKey>, KeyError> {
    let name = dir.display().to_string();
    if !dir.is_dir() {
        return Err(KeyError::new(
            name,
            "keys_dir does not exist or is not a folder: create keys with `monban keygen --dir DIR`",
        ));
    }
    let entries = fs::read_dir(dir).map_err(|e| KeyError::new(&name, e.to_string()))?;
    let mut paths: Vec<PathBuf> = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| KeyError::new(&name, e.to_string()))?
            .path();
        let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if !file_name.starts_with('.') && file_name.ends_with(".pem") {
            paths.push(path);
        }
    }
    paths.sort();
    paths
        .iter()
        .map(|path| {
            let source_name = path.display().to_string();
            let text = fs::read_to_string(path)
                .map_err(|e| KeyError::new(&source_name, format!("cannot read: {e}")))?;
            let kid = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_string();
            if kid.is_empty()
                || !kid
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            {
                return Err(KeyError::new(
                    &source_name,
                    "the file name is the key id: use only letters, digits, '-', '_' and '.'",
                ));
            }
            let block = pem::parse(text.trim()).map_err(|e| {
                KeyError::new(
                    &source_name,
                    format!("not a PEM file ({e}): expected a -----BEGIN PRIVATE KEY----- block"),
                )
            })?;
            parse_key(&block, Some(kid), source_name)
        })
        .collect()
}

/// Reads one or more PEM blocks from `MONBAN_SIGNING_KEYS`; each key's kid is its RFC 7638
/// thumbprint, which every instance computes alike.
fn load_env_blocks(text: &str) -> Result<Vec<SigningKey>, KeyError> {
    let blocks = pem::parse_many(text)
        .map_err(|e| KeyError::new(SIGNING_KEYS_VAR, format!("not PEM: {e}")))?;
    if blocks.is_empty() {
        return Err(KeyError::new(SIGNING_KEYS_VAR, "holds no PEM block"));
    }
    blocks
        .iter()
        .enumerate()
        .map(|(i, block)| parse_key(block, None, format!("{SIGNING_KEYS_VAR} (block {})", i + 1)))
        .collect()
}

/// The public JWK of an RSA key pair, from the modulus and exponent it already holds.
fn rsa_jwk(pair: &aws_lc_rs::rsa::KeyPair) -> Jwk {
    use aws_lc_rs::signature::KeyPair as _;
    use base64::Engine;
    use jsonwebtoken::jwk::{
        AlgorithmParameters, CommonParameters, KeyAlgorithm, RSAKeyParameters, RSAKeyType,
    };
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let public = pair.public_key();
    Jwk {
        common: CommonParameters {
            key_algorithm: Some(KeyAlgorithm::RS256),
            ..CommonParameters::default()
        },
        algorithm: AlgorithmParameters::RSA(RSAKeyParameters {
            key_type: RSAKeyType::RSA,
            n: b64(public.modulus().big_endian_without_leading_zero()),
            e: b64(public.exponent().big_endian_without_leading_zero()),
        }),
    }
}

/// Parses a PKCS#8 key, finds its algorithm, and builds its public JWK.
fn parse_key(
    block: &pem::Pem,
    kid: Option<String>,
    source_name: String,
) -> Result<SigningKey, KeyError> {
    if block.tag() != PKCS8_LABEL {
        return Err(KeyError::new(
            source_name,
            format!(
                "expected a PKCS#8 \"-----BEGIN PRIVATE KEY-----\" block, found {:?}; convert with \
                 `openssl pkcs8 -topk8 -nocrypt -in OLD -out NEW.pem` or create one with `monban keygen`",
                block.tag()
            ),
        ));
    }
    let der = block.contents();
    let bad = |what: &str| KeyError::new(&source_name, what.to_string());
    // jsonwebtoken wants PEM; Ed25519 keys must be PKCS#8 v1 for its JWK export, so every key is
    // normalised to v1 before it is handed over.
    let mut rsa_pair = None;
    let (alg, v1_der) = if let Ok(rsa) = aws_lc_rs::rsa::KeyPair::from_pkcs8(der) {
        if rsa.public_modulus_len() < 256 {
            return Err(bad("RSA keys must have at least 2048 bits"));
        }
        rsa_pair = Some(Arc::new(rsa));
        (KeyAlg::Rs256, der.to_vec())
    } else if let Ok(ec) = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der) {
        let v1 = ec
            .to_pkcs8v1()
            .map_err(|_| bad("cannot re-encode EC key"))?;
        (KeyAlg::Es256, v1.as_ref().to_vec())
    } else if let Ok(ed) = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der) {
        let v1 = ed
            .to_pkcs8v1()
            .map_err(|_| bad("cannot re-encode Ed25519 key"))?;
        (KeyAlg::EdDsa, v1.as_ref().to_vec())
    } else {
        return Err(bad(
            "not a usable private key: monban reads RSA (2048 bits or more), EC P-256 and Ed25519 keys",
        ));
    };
    let pem_v1 = pem::encode(&pem::Pem::new(PKCS8_LABEL, v1_der.clone()));
    let encoding = match alg {
        KeyAlg::Rs256 => EncodingKey::from_rsa_pem(pem_v1.as_bytes()),
        KeyAlg::Es256 => EncodingKey::from_ec_pem(pem_v1.as_bytes()),
        KeyAlg::EdDsa => EncodingKey::from_ed_pem(pem_v1.as_bytes()),
    }
    .map_err(|e| bad(&format!("rejected by the JWT library: {e}")))?;
    let mut jwk = match &rsa_pair {
        // jsonwebtoken would parse (and check) the RSA key a second time to find n and e, about
        // 0.7 ms of every cold start; the key pair parsed above already has them.
        Some(rsa) => rsa_jwk(rsa),
        None => Jwk::from_encoding_key(&encoding, alg.jose())
            .map_err(|e| bad(&format!("cannot derive the public key: {e}")))?,
    };
    let kid = match kid {
        Some(kid) => kid,
        None => jwk
            .thumbprint(ThumbprintHash::SHA256)
            .map_err(|e| bad(&format!("cannot compute the thumbprint: {e}")))?,
    };
    jwk.common.key_id = Some(kid.clone());
    jwk.common.public_key_use = Some(PublicKeyUse::Signature);
    // Verify with exactly what is published: the public half as the JWK states it.
    let decoding = DecodingKey::from_jwk(&jwk)
        .map_err(|e| bad(&format!("cannot build the verifying key: {e}")))?;
    Ok(SigningKey {
        kid,
        alg: alg.jose(),
        source_name,
        encoding,
        rsa: rsa_pair,
        decoding,
        seal_ikm: v1_der,
        jwk,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rsa_jwk_is_the_one_jsonwebtoken_derives() {
        let k = key(KeyAlg::Rs256, "r");
        let mut expected = Jwk::from_encoding_key(&k.encoding, Algorithm::RS256).unwrap();
        expected.common.key_id = Some("r".into());
        expected.common.public_key_use = Some(PublicKeyUse::Signature);
        assert_eq!(k.jwk, expected);
    }

    fn key(alg: KeyAlg, kid: &str) -> SigningKey {
        let pem = generate_pem(alg).unwrap();
        parse_key(
            &pem::parse(pem).unwrap(),
            Some(kid.into()),
            format!("{kid}.pem"),
        )
        .unwrap()
    }

    #[test]
    fn every_algorithm_round_trips_through_pem_and_jwk() {
        for alg in [KeyAlg::Rs256, KeyAlg::Es256, KeyAlg::EdDsa] {
            let k = key(alg, "a");
            assert_eq!(k.alg, alg.jose());
            let jwk = serde_json::to_value(&k.jwk).unwrap();
            assert_eq!(jwk["kid"], "a");
            assert_eq!(jwk["use"], "sig");
            assert!(jwk.get("d").is_none(), "private part leaked: {jwk}");
        }
    }

    #[test]
    fn the_newest_key_signs_unless_one_is_named() {
        let store = KeyStore::from_keys(
            vec![key(KeyAlg::Es256, "1-old"), key(KeyAlg::Es256, "2-new")],
            None,
        )
        .unwrap();
        assert_eq!(store.active().kid, "2-new");
        assert_eq!(store.jwks().keys.len(), 2);
        let store = KeyStore::from_keys(
            vec![key(KeyAlg::Es256, "1-old"), key(KeyAlg::Es256, "2-new")],
            Some("1-old"),
        )
        .unwrap();
        assert_eq!(store.active().kid, "1-old");
        let err = KeyStore::from_keys(vec![key(KeyAlg::Es256, "1-old")], Some("nope")).unwrap_err();
        assert_eq!(err.source_name, "signing_kid");
    }

    #[test]
    fn environment_keys_are_named_by_thumbprint() {
        let text = format!(
            "{}\n{}",
            generate_pem(KeyAlg::Es256).unwrap(),
            generate_pem(KeyAlg::EdDsa).unwrap()
        );
        let keys = load_env_blocks(&text).unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0].kid.len(), 43);
        assert_eq!(keys[1].alg, Algorithm::EdDSA);
        let store = KeyStore::from_pem(&text).unwrap();
        assert_eq!(store.all().len(), 2);
        assert_eq!(store.active().alg, Algorithm::EdDSA, "the last block signs");
    }

    #[test]
    fn a_public_key_or_pkcs1_block_is_refused_with_advice() {
        let block = pem::Pem::new("RSA PRIVATE KEY", vec![1, 2, 3]);
        let err = parse_key(&block, Some("x".into()), "x.pem".into()).unwrap_err();
        assert!(err.problem.contains("openssl pkcs8"), "{err}");
    }
}
