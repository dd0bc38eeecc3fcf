//! Who may sign in, as configured: the allow-lists, the roles, the administrator's sign-out times,
//! and whether the upstream is trusted for a whole email domain. The decisions over it are in
//! [`super::policy`].

use std::collections::BTreeMap;

use super::raw::RawConfig;
use super::summary::Summary;
use super::{ConfigError, SignOuts, normalize_domain, normalize_email};

/// Who may sign in, and with which roles.
#[derive(Clone, Debug, Default)]
pub struct Admission {
    /// Email domains allowed to sign in (canonical form).
    pub allowed_domains: Vec<String>,
    /// Email addresses allowed to sign in (canonical form).
    pub allowed_emails: Vec<String>,
    /// Role name to the (canonical) addresses that hold it.
    pub roles: BTreeMap<String, Vec<String>>,
    /// The administrator's sign-out switch: sign-ins before these times are void.
    pub sign_outs: SignOuts,
    /// Admit by the email's domain alone, for upstreams that have no `hd` claim
    /// (`upstream.trust_email_domain`; never for Google, which vouches for a domain only through
    /// `hd`).
    pub trust_email_domain: bool,
}

impl Admission {
    /// The section as written: every address and domain in canonical form, or the key named.
    pub(super) fn from_raw(raw: &RawConfig) -> Result<Self, ConfigError> {
        let mut roles = BTreeMap::new();
        for (role, members) in &raw.roles {
            roles.insert(role.clone(), emails(&format!("roles.{role}"), &members.0)?);
        }
        let allowed_domains = raw
            .allowed_domains
            .0
            .iter()
            .map(|d| {
                normalize_domain(d)
                    .filter(|_| !d.contains('@'))
                    .ok_or_else(|| {
                        ConfigError::new(
                            "allowed_domains",
                            format!(
                                "{d:?} is not a domain name (write example.org, not an address)"
                            ),
                        )
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            allowed_domains,
            allowed_emails: emails("allowed_emails", &raw.allowed_emails.0)?,
            roles,
            sign_outs: SignOuts::parse(raw.sign_out_before.as_deref(), &raw.sign_outs.0)?,
            trust_email_domain: raw.upstream.trust_email_domain,
        })
    }

    /// Whether nobody at all can sign in.
    pub fn admits_nobody(&self) -> bool {
        self.allowed_domains.is_empty() && self.allowed_emails.is_empty() && self.roles.is_empty()
    }

    /// Its lines of `monban check`.
    pub(super) fn summarize(&self, out: &mut Summary) {
        out.list("allowed_domains", &self.allowed_domains);
        out.list("allowed_emails", &self.allowed_emails);
        if self.roles.is_empty() {
            out.line("roles", "(none)");
        }
        for (role, members) in &self.roles {
            out.list(&format!("roles.{role}"), members);
        }
        out.optional("sign_out_before", self.sign_outs.everyone_before.map(when));
        if self.sign_outs.by_email.is_empty() {
            out.line("sign_outs", "(none)");
        }
        for (email, t) in &self.sign_outs.by_email {
            out.line(&format!("sign_outs.{email}"), when(*t));
        }
        out.line("upstream.trust_email_domain", self.trust_email_domain);
    }
}

/// Addresses in canonical form, or `key` named with the one that is not an address.
fn emails(key: &str, list: &[String]) -> Result<Vec<String>, ConfigError> {
    list.iter()
        .map(|e| {
            normalize_email(e)
                .ok_or_else(|| ConfigError::new(key, format!("{e:?} is not an email address")))
        })
        .collect()
}

/// A time of the sign-out switch as `monban check` prints it (RFC 3339).
fn when(secs: u64) -> String {
    humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
        .to_string()
}
