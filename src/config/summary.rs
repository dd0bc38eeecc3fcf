//! `monban check`'s summary of the running configuration, every secret left out.

use url::Url;

use super::Config;

impl Config {
    /// A human summary of the configuration with every secret left out, for `monban check`.
    pub fn summary(&self) -> String {
        let set = |present: bool| if present { "set" } else { "not set" };
        let list = |v: &[String]| {
            if v.is_empty() {
                "(none)".to_string()
            } else {
                v.join(", ")
            }
        };
        let mut out = String::new();
        let mut line = |k: &str, v: String| out.push_str(&format!("{k:<26} {v}\n"));
        line("issuer", self.issuer_str().to_string());
        line("port", self.port.to_string());
        line("org_name", self.org_name.clone());
        line("default_locale", self.pages.default_locale.tag().into());
        line(
            "logo_url",
            self.pages
                .logo_url
                .as_ref()
                .map_or("(none)".into(), Url::to_string),
        );
        line(
            "skip_sign_in_page",
            self.pages.skip_sign_in_page.to_string(),
        );
        line("keys_dir", self.keys_dir.display().to_string());
        line(
            "signing_keys (env)",
            set(self.signing_keys_pem.is_some()).into(),
        );
        line(
            "signing_kid",
            self.signing_kid
                .clone()
                .unwrap_or_else(|| "(newest)".into()),
        );
        line("upstream.issuer", self.upstream.issuer.to_string());
        line("upstream.client_id", self.upstream.client_id.clone());
        line("upstream.client_secret", "set".into());
        line(
            "upstream.trust_email_domain",
            self.upstream.trust_email_domain.to_string(),
        );
        line("allowed_domains", list(&self.allowed_domains));
        line("allowed_emails", list(&self.allowed_emails));
        for (role, members) in &self.roles {
            line(&format!("roles.{role}"), list(members));
        }
        let when = |secs: u64| {
            humantime::format_rfc3339_seconds(
                std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs),
            )
            .to_string()
        };
        if let Some(t) = self.sign_outs.everyone_before {
            line("sign_out_before", when(t));
        }
        for (email, t) in &self.sign_outs.by_email {
            line(&format!("sign_outs.{email}"), when(*t));
        }
        line(
            "session_secrets",
            if self.session_secrets.is_empty() {
                "(derived from the signing keys)".into()
            } else {
                format!("{} set", self.session_secrets.len())
            },
        );
        line(
            "upstream.timeout_secs",
            self.upstream.timeout.as_secs().to_string(),
        );
        for c in &self.clients {
            let kind = match (c.is_confidential(), c.require_pkce) {
                (true, true) => "confidential, PKCE required",
                (true, false) => "confidential",
                (false, _) => "public",
            };
            let uris: Vec<String> = c.redirect_uris.iter().map(Url::to_string).collect();
            line(
                &format!("client {}", c.id),
                format!("{kind}, redirect_uris: {}", uris.join(" ")),
            );
        }
        let l = &self.lifetimes;
        line(
            "access_token_ttl_secs",
            l.access_token.as_secs().to_string(),
        );
        line("id_token_ttl_secs", l.id_token.as_secs().to_string());
        line(
            "refresh_token_ttl_secs",
            l.refresh_token.as_secs().to_string(),
        );
        line(
            "refresh_token_absolute_ttl_secs",
            l.refresh_token_absolute.as_secs().to_string(),
        );
        line("session_ttl_secs", l.session.as_secs().to_string());
        line("jwks_max_age_secs", self.jwks_max_age.as_secs().to_string());
        line(
            "log_format",
            format!("{:?}", self.log_format).to_lowercase(),
        );
        line(
            "shutdown_grace_secs",
            self.shutdown_grace.as_secs().to_string(),
        );
        let r = &self.rate_limit;
        line(
            "rate_limit_per_minute",
            if r.per_minute == 0 {
                "0 (off)".into()
            } else {
                r.per_minute.to_string()
            },
        );
        line("rate_limit_burst", r.burst.to_string());
        line("trusted_proxy_hops", r.trusted_proxy_hops.to_string());
        out
    }
}
