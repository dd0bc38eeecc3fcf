//! `monban client add`: a `[[clients]]` block for the configuration file, with a fresh secret, so
//! registering a sibling service is one command and one upload (docs/deploy.md).

use url::Url;

use super::{ConfigError, generate_session_secret};
use crate::protocol::authorize::oob::OOB_REDIRECT_URI;

/// What `monban client add` was asked for (its command-line arguments, whose help these doc
/// comments are).
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct NewClient {
    /// The client id: letters, digits, '.', '_' and '-'.
    pub id: String,
    /// Where the client receives its codes (repeat for several).
    #[arg(long = "redirect-uri", required = true)]
    pub redirect_uris: Vec<String>,
    /// Where it may send the browser after signing out (repeat for several).
    #[arg(long = "post-logout-redirect-uri")]
    pub post_logout_redirect_uris: Vec<String>,
    /// A public client (single-page app, command-line tool): no secret, PKCE.
    #[arg(long)]
    pub public: bool,
    /// The name people know it by (the sign-in page and the portal show it).
    #[arg(long)]
    pub name: Option<String>,
    /// Where it lives: listed on monban's home page, the organisation's portal.
    #[arg(long = "home-url")]
    pub home_url: Option<String>,
}

impl NewClient {
    /// The TOML block, with a fresh 256-bit secret unless the client is public; the same checks
    /// as the configuration's, so the block loads as written.
    pub fn toml(&self) -> Result<String, ConfigError> {
        let id_ok = !self.id.is_empty()
            && self
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if !id_ok {
            return Err(ConfigError::new(
                "id",
                format!("{:?}: use letters, digits, '.', '_' and '-'", self.id),
            ));
        }
        if self.redirect_uris.is_empty() {
            return Err(ConfigError::new(
                "--redirect-uri",
                "at least one redirect URI is required",
            ));
        }
        if !self.public && self.redirect_uris.iter().any(|u| u == OOB_REDIRECT_URI) {
            return Err(ConfigError::new(
                "--redirect-uri",
                format!("{OOB_REDIRECT_URI} is for public clients only: add --public"),
            ));
        }
        let list = |key: &str, uris: &[String]| -> Result<String, ConfigError> {
            let parsed = uris
                .iter()
                .map(|u| match Url::parse(u) {
                    Ok(url) if url.fragment().is_none() => Ok(format!("\"{url}\"")),
                    _ => Err(ConfigError::new(
                        key,
                        format!("{u:?} is not an absolute URL without a #fragment"),
                    )),
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(parsed.join(", "))
        };
        let mut block = format!("[[clients]]\nid = \"{}\"\n", self.id);
        if let Some(name) = &self.name {
            // A JSON string is a valid TOML basic string.
            block.push_str(&format!(
                "name = {}\n",
                serde_json::Value::from(name.as_str())
            ));
        }
        if let Some(home) = &self.home_url {
            block.push_str(&format!(
                "home_url = {}\n",
                list("--home-url", std::slice::from_ref(home))?
            ));
        }
        if !self.public {
            block.push_str(&format!("secret = \"{}\"\n", generate_session_secret()));
        }
        block.push_str(&format!(
            "redirect_uris = [{}]\n",
            list("--redirect-uri", &self.redirect_uris)?
        ));
        if !self.post_logout_redirect_uris.is_empty() {
            block.push_str(&format!(
                "post_logout_redirect_uris = [{}]\n",
                list(
                    "--post-logout-redirect-uri",
                    &self.post_logout_redirect_uris
                )?
            ));
        }
        Ok(block)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(id: &str, public: bool) -> NewClient {
        NewClient {
            id: id.into(),
            redirect_uris: vec!["https://wiki.example.org/oidc/callback".into()],
            post_logout_redirect_uris: vec!["https://wiki.example.org/".into()],
            public,
            name: Some("Lab \"Wiki\" 研究室".into()),
            home_url: Some("https://wiki.example.org/".into()),
        }
    }

    #[test]
    fn the_block_loads_as_written_with_a_fresh_secret() {
        let block = new("wiki", false).toml().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("monban.toml");
        std::fs::write(&file, &block).unwrap();
        let config = crate::config::fixtures::load(&[("MONBAN_CONFIG", file.to_str().unwrap())]);
        let client = &config.clients[0];
        assert_eq!(client.id, "wiki");
        assert_eq!(client.secret.as_ref().unwrap().expose().len(), 43);
        assert_eq!(client.post_logout_redirect_uris.len(), 1);
        assert_eq!(client.name, "Lab \"Wiki\" 研究室");
        assert_eq!(
            client.home_url.as_ref().unwrap().as_str(),
            "https://wiki.example.org/"
        );
        assert_ne!(
            block,
            new("wiki", false).toml().unwrap(),
            "the secret is fresh"
        );
        assert!(!new("cli", true).toml().unwrap().contains("secret"));
    }

    #[test]
    fn bad_ids_and_uris_name_what_is_wrong() {
        assert_eq!(new("wiki\"x", false).toml().unwrap_err().key, "id");
        let mut c = new("wiki", false);
        c.redirect_uris = vec!["not a url".into()];
        assert_eq!(c.toml().unwrap_err().key, "--redirect-uri");
        c.redirect_uris = vec![];
        assert!(c.toml().is_err());
    }

    #[test]
    fn a_command_line_tool_may_register_the_oob_uri_and_only_it() {
        let mut cli = new("cli", true);
        cli.redirect_uris = vec!["http://127.0.0.1/callback".into(), OOB_REDIRECT_URI.into()];
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("monban.toml");
        std::fs::write(&file, cli.toml().unwrap()).unwrap();
        let config = crate::config::fixtures::load(&[("MONBAN_CONFIG", file.to_str().unwrap())]);
        assert_eq!(
            config.clients[0].redirect_uris[1].as_str(),
            OOB_REDIRECT_URI
        );
        cli.public = false;
        assert!(cli.toml().unwrap_err().problem.contains("public"));
        // Written by hand for a confidential client, the configuration refuses it, naming the key.
        let block = format!(
            "[[clients]]\nid = \"wiki\"\nsecret = \"{}\"\nredirect_uris = [\"{OOB_REDIRECT_URI}\"]\n",
            "s".repeat(32)
        );
        std::fs::write(&file, block).unwrap();
        let env = [("MONBAN_CONFIG", file.to_str().unwrap())];
        let error = crate::config::fixtures::load_err(&env);
        assert_eq!(error.key, "clients[wiki].redirect_uris", "{error}");
    }
}
