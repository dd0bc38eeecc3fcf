//! The `[ssh]` section: monban as an OpenSSH user CA (`src/ssh/`). Its CA keys come from a folder
//! or a secret, like the signing keys, and are read when the server starts
//! ([`crate::ssh::Ca::load`]); here only what the section says is checked.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::summary::Summary;
use super::{ConfigError, Secret};

/// The extensions an OpenSSH user certificate may carry (PROTOCOL.certkeys).
pub const KNOWN_EXTENSIONS: [&str; 5] = [
    "permit-pty",
    "permit-port-forwarding",
    "permit-agent-forwarding",
    "permit-X11-forwarding",
    "permit-user-rc",
];

/// `[ssh]` as written.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSsh {
    pub(super) ca_keys_dir: Option<PathBuf>,
    pub(super) ca_keys: Option<Secret>,
    #[serde(default = "default_certificate_ttl")]
    pub(super) certificate_ttl_secs: u64,
    #[serde(default = "default_extensions")]
    pub(super) extensions: Vec<String>,
    #[serde(default)]
    pub(super) principals: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub(super) role_principals: BTreeMap<String, Vec<String>>,
}

fn default_certificate_ttl() -> u64 {
    8 * 3600
}

fn default_extensions() -> Vec<String> {
    vec!["permit-pty".into()]
}

/// The SSH CA's settings; present only when CA keys are configured.
#[derive(Debug, Clone)]
pub struct SshSettings {
    /// A folder of OpenSSH private keys (the newest signs).
    pub ca_keys_dir: Option<PathBuf>,
    /// OpenSSH private keys, one after the other (a secret).
    pub ca_keys: Option<Secret>,
    /// How long a certificate lives (never past the SSO session's end).
    pub certificate_ttl: Duration,
    /// The extensions every certificate carries.
    pub extensions: Vec<String>,
    /// Per address (canonical), the principals instead of the email's local part.
    pub principals: BTreeMap<String, Vec<String>>,
    /// Per role, principals it adds.
    pub role_principals: BTreeMap<String, Vec<String>>,
}

impl SshSettings {
    /// The section as written: `None` without CA keys; a problem names `ssh.FIELD`.
    pub(super) fn from_raw(raw: RawSsh) -> Result<Option<Self>, ConfigError> {
        let ca_keys = raw.ca_keys.filter(|k| !k.expose().trim().is_empty());
        if raw.ca_keys_dir.is_none() && ca_keys.is_none() {
            return Ok(None);
        }
        if raw.certificate_ttl_secs < 60 {
            return Err(ConfigError::new(
                "ssh.certificate_ttl_secs",
                "must be at least 60 seconds",
            ));
        }
        if let Some(unknown) =
            (raw.extensions.iter()).find(|e| !KNOWN_EXTENSIONS.contains(&e.as_str()))
        {
            return Err(ConfigError::new(
                "ssh.extensions",
                format!("{unknown:?} is not one of {}", KNOWN_EXTENSIONS.join(", ")),
            ));
        }
        let mut principals = BTreeMap::new();
        for (email, names) in raw.principals {
            let email = super::normalize_email(&email).ok_or_else(|| {
                ConfigError::new(
                    "ssh.principals",
                    format!("{email:?} is not an email address"),
                )
            })?;
            let names = checked(&format!("ssh.principals.{email}"), names)?;
            principals.insert(email, names);
        }
        let mut role_principals = BTreeMap::new();
        for (role, names) in raw.role_principals {
            let key = format!("ssh.role_principals.{role}");
            role_principals.insert(role, checked(&key, names)?);
        }
        Ok(Some(Self {
            ca_keys_dir: raw.ca_keys_dir,
            ca_keys,
            certificate_ttl: Duration::from_secs(raw.certificate_ttl_secs),
            extensions: raw.extensions,
            principals,
            role_principals,
        }))
    }

    /// Its lines of `monban check`'s summary.
    pub(super) fn summarize(this: Option<&Self>, out: &mut Summary) {
        let Some(ssh) = this else {
            out.line("ssh", "(no CA keys: the SSH endpoints are off)");
            return;
        };
        out.optional(
            "ssh.ca_keys_dir",
            ssh.ca_keys_dir.as_ref().map(|d| d.display()),
        );
        out.set("ssh.ca_keys", ssh.ca_keys.is_some());
        out.secs("ssh.certificate_ttl_secs", ssh.certificate_ttl);
        out.list("ssh.extensions", &ssh.extensions);
        let listed = |map: &BTreeMap<String, Vec<String>>| -> Vec<String> {
            map.iter()
                .map(|(k, v)| format!("{k} = {}", v.join(" ")))
                .collect()
        };
        out.list("ssh.principals", &listed(&ssh.principals));
        out.list("ssh.role_principals", &listed(&ssh.role_principals));
    }
}

/// Principal names as sshd compares them with the account: not empty, no space or comma.
fn checked(key: &str, names: Vec<String>) -> Result<Vec<String>, ConfigError> {
    match names
        .iter()
        .find(|n| n.is_empty() || n.contains([' ', ',', '\n', '\t']))
    {
        Some(bad) => Err(ConfigError::new(key, format!("{bad:?} is not a user name"))),
        None => Ok(names),
    }
}
