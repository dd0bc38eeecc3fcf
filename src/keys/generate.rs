//! Making new keys: `monban keygen`, `monban dev`'s throwaway key, and the tests' keys.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair};

use super::{KeyAlg, PKCS8_LABEL};

/// Creates a new private key for `alg` as a PKCS#8 v1 PEM string.
pub fn generate_pem(alg: KeyAlg) -> anyhow::Result<String> {
    use anyhow::Context;
    let der: Vec<u8> = match alg {
        KeyAlg::Rs256 => aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
            .ok()
            .and_then(|k| k.as_der().ok())
            .map(|d| d.as_ref().to_vec()),
        KeyAlg::Es256 => EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
            .ok()
            .and_then(|k| k.to_pkcs8v1().ok())
            .map(|d| d.as_ref().to_vec()),
        KeyAlg::EdDsa => Ed25519KeyPair::generate()
            .ok()
            .and_then(|k| k.to_pkcs8v1().ok())
            .map(|d| d.as_ref().to_vec()),
    }
    .context("the crypto library could not generate a key")?;
    Ok(pem::encode(&pem::Pem::new(PKCS8_LABEL, der)))
}

/// `monban keygen`: writes a new key into `dir` (created if needed) as `<kid>.pem`, mode 0600,
/// and returns its path. The kid starts with the UTC time, so the newest key sorts last
/// (e.g. `20261125T062000Z-rs256-3fa9c1`).
pub fn keygen(dir: &Path, alg: KeyAlg, now: std::time::SystemTime) -> anyhow::Result<PathBuf> {
    use anyhow::Context;
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let stamp: String = humantime::format_rfc3339_seconds(now)
        .to_string()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    // A random suffix keeps two keys made in the same second (or by two deployments) apart.
    let mut suffix = [0u8; 3];
    aws_lc_rs::rand::fill(&mut suffix).context("no randomness")?;
    let suffix: String = suffix.iter().map(|b| format!("{b:02x}")).collect();
    let kid = format!("{stamp}-{}-{suffix}", alg.short());
    let path = dir.join(format!("{kid}.pem"));
    let pem = generate_pem(alg)?;
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&path)
        .with_context(|| format!("cannot create {} (does it exist already?)", path.display()))?;
    file.write_all(pem.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}
