//! Where `monban token` keeps what it was issued: one file per issuer and client under
//! `$XDG_CACHE_HOME/monban/` (`~/.cache/monban/`), mode 0600, holding an access token and a
//! refresh token for each resource and scope asked for. The format is not an interface: scripts
//! run `monban token`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::upstream::Issued;

/// What was issued for one resource (or none) and scope.
#[derive(Clone, Serialize, Deserialize)]
pub struct Entry {
    /// The API (`--resource`) the access token is for.
    pub resource: Option<String>,
    /// The scope asked for.
    pub scope: String,
    /// The access token.
    pub access_token: String,
    /// When it expires (seconds since the epoch).
    pub expires_at: u64,
    /// The refresh token, if monban issued one.
    pub refresh_token: Option<String>,
}

/// The cache file's contents.
#[derive(Default, Serialize, Deserialize)]
pub struct Entries {
    entries: Vec<Entry>,
}

impl Entries {
    /// The entry for `resource` and `scope`.
    pub fn find(&self, resource: Option<&str>, scope: &str) -> Option<&Entry> {
        (self.entries.iter()).find(|e| e.resource.as_deref() == resource && e.scope == scope)
    }

    /// Keeps `issued` for `resource` and `scope` at `now`, replacing what was there.
    pub fn put(&mut self, resource: Option<&str>, scope: &str, issued: &Issued, now: u64) {
        // A refresh answered without a new refresh token keeps the one it used.
        let kept = self
            .find(resource, scope)
            .and_then(|e| e.refresh_token.clone());
        (self.entries).retain(|e| !(e.resource.as_deref() == resource && e.scope == scope));
        self.entries.push(Entry {
            resource: resource.map(str::to_string),
            scope: scope.to_string(),
            access_token: issued.access_token.clone(),
            expires_at: now + issued.expires_in.unwrap_or(60),
            refresh_token: issued.refresh_token.clone().or(kept),
        });
    }
}

/// The cache file of one issuer and client.
#[derive(Debug)]
pub struct Cache {
    path: PathBuf,
}

impl Cache {
    /// The file for `issuer` and `client` in `dir`: named by the client, and a hash of both so
    /// that two issuers' clients of one name do not share it.
    pub fn new(dir: &Path, issuer: &str, client: &str) -> Self {
        use std::fmt::Write;
        let digest = aws_lc_rs::digest::digest(
            &aws_lc_rs::digest::SHA256,
            format!("{issuer}\n{client}").as_bytes(),
        );
        let hash = digest.as_ref()[..8].iter().fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        });
        let name: String = client
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        Self {
            path: dir.join(format!("{name}-{hash}.json")),
        }
    }

    /// The directory of the cache files: `$XDG_CACHE_HOME/monban`, or `~/.cache/monban`.
    pub fn dir() -> Option<PathBuf> {
        let base = std::env::var_os("XDG_CACHE_HOME")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
        Some(base.join("monban"))
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What it holds; nothing when it is missing or unreadable (a new sign-in mends it).
    pub fn load(&self) -> Entries {
        (std::fs::read(&self.path).ok())
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    /// Writes `entries`, readable by its owner only (written aside, then renamed into place, so a
    /// reader never sees half a file).
    pub fn save(&self, entries: &Entries) -> std::io::Result<()> {
        super::private_dir(self.path.parent().expect("the file is in a directory"))?;
        let aside = self.path.with_extension("json.new");
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(&aside)?;
        serde_json::to_writer(&file, entries)?;
        file.sync_all()?;
        std::fs::rename(aside, &self.path)
    }

    /// Removes the file (nothing to do when there is none).
    pub fn remove(&self) -> std::io::Result<()> {
        match std::fs::remove_file(&self.path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issued(access: &str, refresh: Option<&str>) -> Issued {
        Issued {
            access_token: access.into(),
            refresh_token: refresh.map(str::to_string),
            id_token: None,
            expires_in: Some(300),
        }
    }

    #[test]
    fn each_resource_and_scope_has_its_entry_and_the_file_is_the_owners() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path(), "https://login.example.org", "cli");
        let mut entries = cache.load();
        entries.put(None, "openid", &issued("a", Some("r1")), 1000);
        entries.put(Some("notes"), "openid", &issued("b", Some("r2")), 1000);
        entries.put(None, "openid", &issued("c", None), 2000);
        cache.save(&entries).unwrap();
        let again = cache.load();
        let plain = again.find(None, "openid").unwrap();
        assert_eq!((plain.access_token.as_str(), plain.expires_at), ("c", 2300));
        assert_eq!(plain.refresh_token.as_deref(), Some("r1"));
        assert_eq!(
            again.find(Some("notes"), "openid").unwrap().access_token,
            "b"
        );
        assert!(again.find(None, "openid email").is_none());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(cache.path())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let other = Cache::new(dir.path(), "https://staging.example.org", "cli");
        assert_ne!(other.path(), cache.path());
        cache.remove().unwrap();
        cache.remove().unwrap();
        assert!(cache.load().find(None, "openid").is_none());
    }
}
