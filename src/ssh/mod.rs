//! monban as an OpenSSH user CA: a minter beside [`crate::tokens`]. A signed-in person sends a
//! public key with an access token carrying the `ssh` scope, and gets a certificate that the lab's
//! `sshd` verifies offline against the CA's public key (`TrustedUserCAKeys`), as sibling services
//! verify JWTs against the JWKS. Nothing is stored: a certificate ends with its lifetime (8 hours
//! by default, never past the SSO session), and a person removed from the allow-list gets no new
//! one. Keys, certificates and signatures are RustCrypto's `ssh-key`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use ssh_key::certificate::{Builder, CertType};
use ssh_key::rand_core::{OsRng, RngCore};
use ssh_key::{Algorithm, HashAlg, LineEnding, PrivateKey, PublicKey};

use crate::config::SshSettings;

pub mod request;

/// A certificate starts this long before it is issued: a server whose clock runs a little behind
/// accepts it at once.
const BACKDATED_SECS: u64 = 60;

/// The CA: its keys (the last one signs; all are trusted) and its settings.
pub struct Ca {
    keys: Vec<PrivateKey>,
    settings: SshSettings,
}

impl std::fmt::Debug for Ca {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ca")
            .field(
                "keys",
                &self
                    .keys
                    .iter()
                    .map(|k| k.fingerprint(HashAlg::Sha256).to_string())
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

/// A user certificate, as `POST /ssh/certificate` answers it.
#[derive(Debug, serde::Serialize)]
pub struct Issued {
    /// `ssh-ed25519-cert-v01@openssh.com AAAA…`.
    pub certificate: String,
    /// The user names it is valid for.
    pub principals: Vec<String>,
    /// Its end (seconds since the epoch).
    pub valid_before: u64,
    /// Its serial, for the audit log.
    #[serde(skip)]
    pub serial: u64,
    /// The certified key's SHA-256 fingerprint, for the audit log.
    #[serde(skip)]
    pub fingerprint: String,
}

impl Ca {
    /// The CA of `settings`: every key of `ssh.ca_keys_dir` (by file name, so the newest made by
    /// `monban keygen --ssh-ca` signs) and of `ssh.ca_keys`, which follow (the last signs).
    pub fn load(settings: &SshSettings) -> anyhow::Result<Self> {
        let mut keys = Vec::new();
        if let Some(dir) = &settings.ca_keys_dir {
            let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
                .with_context(|| format!("ssh.ca_keys_dir: cannot read {}", dir.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && p.extension().is_none_or(|e| e != "pub"))
                .collect();
            files.sort();
            for file in files {
                let text = std::fs::read_to_string(&file)
                    .with_context(|| format!("ssh.ca_keys_dir: cannot read {}", file.display()))?;
                keys.push(
                    parse(&text).with_context(|| format!("ssh.ca_keys_dir: {}", file.display()))?,
                );
            }
        }
        if let Some(secret) = &settings.ca_keys {
            for block in blocks(secret.expose()) {
                keys.push(parse(&block).context("ssh.ca_keys")?);
            }
        }
        anyhow::ensure!(
            !keys.is_empty(),
            "ssh.ca_keys_dir: no OpenSSH private key there (make one with monban keygen --ssh-ca)"
        );
        Ok(Self {
            keys,
            settings: settings.clone(),
        })
    }

    /// The CA public keys, one line each, for `sshd`'s `TrustedUserCAKeys`.
    pub fn public_lines(&self) -> String {
        self.public_keys().map(|line| line + "\n").collect()
    }

    /// The `@cert-authority` line of `known_hosts` for hosts certified by this CA.
    pub fn known_hosts(&self) -> String {
        self.public_keys()
            .map(|line| format!("@cert-authority * {line}\n"))
            .collect()
    }

    fn public_keys(&self) -> impl Iterator<Item = String> + '_ {
        (self.keys.iter()).filter_map(|k| k.public_key().to_openssh().ok())
    }

    /// The user names `email` (canonical) may log in as: the configured ones, or the local part of
    /// the address, plus those of `roles`.
    pub fn principals(&self, email: &str, roles: &[String]) -> Vec<String> {
        let own = match self.settings.principals.get(email) {
            Some(names) => names.clone(),
            None => vec![email.split('@').next().unwrap_or(email).to_string()],
        };
        let mut all = own;
        for role in roles {
            for name in self
                .settings
                .role_principals
                .get(role)
                .into_iter()
                .flatten()
            {
                if !all.contains(name) {
                    all.push(name.clone());
                }
            }
        }
        all
    }

    /// A user certificate for `key`, `email`'s with its `roles`, from `now` (backdated a minute)
    /// for the configured lifetime but never past `session_end`.
    pub fn certify(
        &self,
        key: &PublicKey,
        email: &str,
        roles: &[String],
        now: u64,
        session_end: u64,
    ) -> anyhow::Result<Issued> {
        let principals = self.principals(email, roles);
        let valid_before = (now + self.settings.certificate_ttl.as_secs()).min(session_end);
        anyhow::ensure!(valid_before > now, "the sign-in has ended");
        let extensions: Vec<&str> = self
            .settings
            .extensions
            .iter()
            .map(String::as_str)
            .collect();
        self.sign(
            key,
            CertType::User,
            email,
            &principals,
            &extensions,
            now,
            valid_before,
        )
    }

    /// A host certificate for `key`, valid for `hosts` for `ttl_secs` from `now`.
    pub fn certify_host(
        &self,
        key: &PublicKey,
        hosts: &[String],
        now: u64,
        ttl_secs: u64,
    ) -> anyhow::Result<Issued> {
        let id = hosts.first().map_or("host", String::as_str);
        self.sign(key, CertType::Host, id, hosts, &[], now, now + ttl_secs)
    }

    #[allow(clippy::too_many_arguments)]
    fn sign(
        &self,
        key: &PublicKey,
        kind: CertType,
        id: &str,
        principals: &[String],
        extensions: &[&str],
        now: u64,
        valid_before: u64,
    ) -> anyhow::Result<Issued> {
        let signer = self.keys.last().expect("a CA has a key");
        let serial = OsRng.next_u64();
        let mut builder = Builder::new_with_random_nonce(
            &mut OsRng,
            key.key_data().clone(),
            now.saturating_sub(BACKDATED_SECS),
            valid_before,
        )?;
        builder.serial(serial)?.cert_type(kind)?.key_id(id)?;
        for name in principals {
            builder.valid_principal(name.clone())?;
        }
        for extension in extensions {
            builder.extension(*extension, "")?;
        }
        let certificate = builder.sign(signer)?;
        Ok(Issued {
            certificate: certificate.to_openssh()?,
            principals: principals.to_vec(),
            valid_before,
            serial,
            fingerprint: key.fingerprint(HashAlg::Sha256).to_string(),
        })
    }
}

/// One OpenSSH private key, unencrypted (the server has no one to ask for a passphrase).
fn parse(text: &str) -> anyhow::Result<PrivateKey> {
    let key = PrivateKey::from_openssh(text.trim()).context("not an OpenSSH private key")?;
    anyhow::ensure!(
        !key.is_encrypted(),
        "the key is encrypted: monban needs it without a passphrase (keep it in Secret Manager instead)"
    );
    Ok(key)
}

/// The OpenSSH private key blocks of `text`.
fn blocks(text: &str) -> Vec<String> {
    const END: &str = "-----END OPENSSH PRIVATE KEY-----";
    text.split_inclusive(END)
        .filter(|b| b.contains(END))
        .map(|b| b.trim().to_string())
        .collect()
}

/// `monban keygen --ssh-ca`: a new Ed25519 CA key in `dir`, named by the time (so the newest
/// signs), with its `.pub` beside it; returns its path.
pub fn keygen(dir: &Path, now: std::time::SystemTime) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let stamp: String = (humantime::format_rfc3339_seconds(now).to_string().chars())
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let path = dir.join(format!("ssh-ca-{stamp}"));
    write_new_key(&path, &format!("monban-ssh-ca-{stamp}"))?;
    Ok(path)
}

/// A new Ed25519 key at `path` (mode 0600, never over an existing file), and its `.pub` beside
/// it: the CA's (`keygen`) and a person's (`monban ssh login`).
pub fn write_new_key(path: &Path, comment: &str) -> anyhow::Result<PrivateKey> {
    let mut key = PrivateKey::random(&mut OsRng, Algorithm::Ed25519)?;
    key.set_comment(comment);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    std::io::Write::write_all(&mut file, key.to_openssh(LineEnding::LF)?.as_bytes())?;
    std::fs::write(
        path.with_extension("pub"),
        key.public_key().to_openssh()? + "\n",
    )?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;
    use std::collections::BTreeMap;
    use std::time::Duration;

    fn settings(ca_keys: &str) -> SshSettings {
        SshSettings {
            ca_keys_dir: None,
            ca_keys: Some(Secret::new(ca_keys)),
            certificate_ttl: Duration::from_secs(8 * 3600),
            extensions: vec!["permit-pty".into()],
            principals: BTreeMap::from([("grace@lab.example.org".into(), vec!["hopper".into()])]),
            role_principals: BTreeMap::from([("admin".into(), vec!["root".into(), "ada".into()])]),
        }
    }

    fn key() -> String {
        let key = PrivateKey::random(&mut OsRng, Algorithm::Ed25519).unwrap();
        key.to_openssh(LineEnding::LF).unwrap().to_string()
    }

    #[test]
    fn principals_are_the_local_part_or_the_listed_names_plus_the_roles() {
        let ca = Ca::load(&settings(&key())).unwrap();
        assert_eq!(ca.principals("ada@lab.example.org", &[]), ["ada"]);
        assert_eq!(
            ca.principals("ada@lab.example.org", &["admin".into()]),
            ["ada", "root"]
        );
        assert_eq!(
            ca.principals("grace@lab.example.org", &["reader".into()]),
            ["hopper"]
        );
    }

    #[test]
    fn every_key_of_the_secret_is_trusted_and_the_last_signs_within_the_session() {
        let (old, new) = (key(), key());
        let ca = Ca::load(&settings(&format!("{old}\n{new}"))).unwrap();
        assert_eq!(ca.public_lines().lines().count(), 2);
        let subject = PrivateKey::random(&mut OsRng, Algorithm::Ed25519).unwrap();
        let issued = ca
            .certify(
                subject.public_key(),
                "ada@lab.example.org",
                &[],
                1_000_000,
                1_000_600,
            )
            .unwrap();
        assert_eq!(
            issued.valid_before, 1_000_600,
            "never past the session's end"
        );
        let cert = ssh_key::Certificate::from_openssh(&issued.certificate).unwrap();
        let signer = PrivateKey::from_openssh(new.trim()).unwrap();
        assert_eq!(cert.signature_key(), signer.public_key().key_data());
        assert_eq!(cert.valid_after(), 1_000_000 - BACKDATED_SECS);
        assert!(
            ca.certify(
                subject.public_key(),
                "ada@lab.example.org",
                &[],
                2_000_000,
                1_000_600
            )
            .is_err()
        );
        assert!(Ca::load(&settings("not a key")).is_err());
    }
}
