//! `monban check`'s summary of the running configuration, every secret left out. Each section
//! writes its own lines (`summarize` beside its conversion), so a setting is validated and shown in
//! one place; a test below checks that every key of the configuration file shows.

use std::fmt::Display;
use std::time::Duration;

use super::Config;

/// The summary being written: one `key value` line per setting.
#[derive(Default)]
pub(super) struct Summary(String);

impl Summary {
    /// One setting.
    pub(super) fn line(&mut self, key: &str, value: impl Display) {
        self.0.push_str(&format!("{key:<26} {value}\n"));
    }

    /// A list, `(none)` when empty.
    pub(super) fn list(&mut self, key: &str, items: &[impl Display]) {
        let joined: Vec<String> = items.iter().map(ToString::to_string).collect();
        self.optional(key, (!joined.is_empty()).then(|| joined.join(", ")));
    }

    /// An optional setting, `(none)` when absent.
    pub(super) fn optional(&mut self, key: &str, value: Option<impl Display>) {
        match value {
            Some(value) => self.line(key, value),
            None => self.line(key, "(none)"),
        }
    }

    /// A secret: only whether it is set.
    pub(super) fn set(&mut self, key: &str, present: bool) {
        self.line(key, if present { "set" } else { "not set" });
    }

    /// A duration, in the seconds its key is written in.
    pub(super) fn secs(&mut self, key: &str, value: Duration) {
        self.line(key, value.as_secs());
    }
}

impl Config {
    /// A human summary of the configuration with every secret left out, for `monban check`.
    pub fn summary(&self) -> String {
        let mut out = Summary::default();
        out.line("issuer", self.issuer_str());
        out.line("port", self.port);
        out.line("org_name", &self.org_name);
        self.pages.summarize(&mut out);
        out.line("keys_dir", self.keys_dir.display());
        out.set("signing_keys", self.signing_keys_pem.is_some());
        out.line(
            "signing_kid",
            self.signing_kid.as_deref().unwrap_or("(newest)"),
        );
        self.upstream.summarize(&mut out);
        self.admission.summarize(&mut out);
        if self.session_secrets.is_empty() {
            out.line("session_secrets", "(derived from the signing keys)");
        } else {
            out.line(
                "session_secrets",
                format!("{} set", self.session_secrets.len()),
            );
        }
        self.lifetimes.summarize(&mut out);
        out.secs("jwks_max_age_secs", self.jwks_max_age);
        out.line(
            "log_format",
            format!("{:?}", self.log_format).to_lowercase(),
        );
        out.secs("shutdown_grace_secs", self.shutdown_grace);
        out.secs(
            "backchannel_logout_timeout_secs",
            self.backchannel_logout_timeout,
        );
        self.rate_limit.summarize(&mut out);
        super::ssh::SshSettings::summarize(self.ssh.as_ref(), &mut out);
        for api in &self.apis {
            api.summarize(&mut out);
        }
        for client in &self.clients {
            client.summarize(&mut out);
        }
        out.0
    }
}
