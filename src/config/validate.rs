//! Validation at the edge: a [`RawConfig`] becomes a [`Config`] whose every field is known good,
//! or a [`ConfigError`] that names the key and says what to do.

use std::collections::BTreeMap;
use std::time::Duration;

use super::raw::RawConfig;
use super::secret::check_session_secret;
use super::urls::{https_url, parse_issuer};
use super::{Config, ConfigError, Lifetimes, PageSettings, RateLimitSettings, SignOuts, Upstream};
use crate::i18n::Locale;

impl RawConfig {
    pub(super) fn validate(self, port: Option<&str>) -> Result<Config, ConfigError> {
        let issuer = match self.issuer.as_deref().map(str::trim) {
            None | Some("") => {
                return Err(ConfigError::new(
                    "issuer",
                    "missing: set it to monban's public base URL, e.g. MONBAN_ISSUER=https://login.example.org",
                ));
            }
            Some(s) => parse_issuer("issuer", s)?,
        };
        let upstream_issuer = parse_issuer("upstream.issuer", self.upstream.issuer.trim())?;
        let port = match port {
            None => 8080,
            Some(p) => p
                .trim()
                .parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| ConfigError::new("PORT", format!("{p:?} is not a TCP port")))?,
        };
        if self.org_name.trim().is_empty() {
            return Err(ConfigError::new("org_name", "must not be empty"));
        }
        let pages = PageSettings {
            default_locale: match self.default_locale.as_deref() {
                None => Locale::En,
                Some(tag) => Locale::parse(tag).ok_or_else(|| {
                    ConfigError::new(
                        "default_locale",
                        format!("{tag:?} is not a language monban speaks: write \"ja\" or \"en\""),
                    )
                })?,
            },
            logo_url: self
                .logo_url
                .as_deref()
                .map(|u| https_url("logo_url", u))
                .transpose()?,
            skip_sign_in_page: self.skip_sign_in_page,
        };
        let signing_keys_pem = self.signing_keys.filter(|s| !s.expose().trim().is_empty());
        let signing_kid = self.signing_kid.filter(|s| !s.trim().is_empty());
        let upstream = Upstream {
            issuer: upstream_issuer,
            client_id: self
                .upstream
                .client_id
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .ok_or_else(|| {
                    ConfigError::new(
                        "upstream.client_id",
                        "missing: create an OAuth client (type \"Web application\") for monban at the upstream \
                         and set MONBAN_UPSTREAM__CLIENT_ID (see docs/login.md)",
                    )
                })?,
            client_secret: self
                .upstream
                .client_secret
                .filter(|s| !s.expose().is_empty())
                .ok_or_else(|| {
                    ConfigError::new(
                        "upstream.client_secret",
                        "missing: set MONBAN_UPSTREAM__CLIENT_SECRET to the OAuth client's secret",
                    )
                })?,
            timeout: match self.upstream.timeout_secs {
                0 => {
                    return Err(ConfigError::new(
                        "upstream.timeout_secs",
                        "must be at least 1",
                    ));
                }
                t => Duration::from_secs(t),
            },
            trust_email_domain: self.upstream.trust_email_domain,
        };
        for (i, secret) in self.session_secrets.0.iter().enumerate() {
            check_session_secret(secret.expose()).map_err(|problem| {
                ConfigError::new("session_secrets", format!("secret {}: {problem}", i + 1))
            })?;
        }
        let emails = |key: &str, list: Vec<String>| -> Result<Vec<String>, ConfigError> {
            list.iter()
                .map(|e| {
                    super::normalize_email(e).ok_or_else(|| {
                        ConfigError::new(key, format!("{e:?} is not an email address"))
                    })
                })
                .collect()
        };
        let sign_outs = SignOuts::parse(self.sign_out_before.as_deref(), self.sign_outs.0)?;
        let mut roles = BTreeMap::new();
        for (role, members) in self.roles {
            let members = emails(&format!("roles.{role}"), members.0)?;
            roles.insert(role, members);
        }
        let allowed_domains = self
            .allowed_domains
            .0
            .iter()
            .map(|d| {
                super::normalize_domain(d)
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
        let allowed_emails = emails("allowed_emails", self.allowed_emails.0)?;
        let apis = super::clients::apis(self.apis)?;
        let clients = super::clients::validate(self.clients, &apis)?;
        let secs = |key: &str, v: u64| {
            if v == 0 {
                Err(ConfigError::new(key, "must be at least 1 second"))
            } else {
                Ok(Duration::from_secs(v))
            }
        };
        if self.rate_limit_per_minute > 0 && self.rate_limit_burst == 0 {
            return Err(ConfigError::new(
                "rate_limit_burst",
                "must be at least 1 while rate_limit_per_minute is set (0 per minute turns the limit off)",
            ));
        }
        if self.trusted_proxy_hops > 8 {
            return Err(ConfigError::new(
                "trusted_proxy_hops",
                format!(
                    "{} proxies is implausible: count the proxies that append to X-Forwarded-For (Cloud Run: 1)",
                    self.trusted_proxy_hops
                ),
            ));
        }
        let lifetimes = Lifetimes {
            access_token: secs("access_token_ttl_secs", self.access_token_ttl_secs)?,
            id_token: secs("id_token_ttl_secs", self.id_token_ttl_secs)?,
            refresh_token: secs("refresh_token_ttl_secs", self.refresh_token_ttl_secs)?,
            refresh_token_absolute: secs(
                "refresh_token_absolute_ttl_secs",
                self.refresh_token_absolute_ttl_secs,
            )?,
            session: secs("session_ttl_secs", self.session_ttl_secs)?,
        };
        Ok(Config {
            issuer,
            port,
            keys_dir: self.keys_dir,
            signing_keys_pem,
            signing_kid,
            org_name: self.org_name.trim().to_string(),
            pages,
            upstream,
            allowed_domains,
            allowed_emails,
            roles,
            sign_outs,
            session_secrets: self.session_secrets.0,
            clients,
            apis,
            lifetimes,
            jwks_max_age: Duration::from_secs(self.jwks_max_age_secs),
            log_format: self.log_format,
            shutdown_grace: Duration::from_secs(self.shutdown_grace_secs),
            backchannel_logout_timeout: match self.backchannel_logout_timeout_secs {
                secs @ 1..=30 => Duration::from_secs(secs),
                _ => {
                    return Err(ConfigError::new(
                        "backchannel_logout_timeout_secs",
                        "must be 1 to 30 seconds",
                    ));
                }
            },
            rate_limit: RateLimitSettings {
                per_minute: self.rate_limit_per_minute,
                burst: self.rate_limit_burst,
                trusted_proxy_hops: self.trusted_proxy_hops,
            },
        })
    }
}
