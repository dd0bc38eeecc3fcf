//! URLs in the configuration: the issuer's rules, and https for the URLs pages link to.

use std::net::IpAddr;

use url::Url;

use super::ConfigError;

/// An absolute https URL (plain http only for a loopback host, as in `monban dev`).
pub(super) fn https_url(key: &str, value: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(value.trim())
        .map_err(|e| ConfigError::new(key, format!("{value:?} is not an absolute URL ({e})")))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        _ => Err(ConfigError::new(
            key,
            format!("{value:?} must be an https URL"),
        )),
    }
}

/// An absolute http(s) URL on any host, without credentials: where a process on the same machine
/// or network listens (the app behind `monban gate`).
pub fn http_url(key: &str, value: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(value.trim())
        .map_err(|e| ConfigError::new(key, format!("{value:?} is not an absolute URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ConfigError::new(
            key,
            format!("{value:?} has scheme {:?}: use http or https", url.scheme()),
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ConfigError::new(
            key,
            format!("{value:?} must not carry credentials"),
        ));
    }
    Ok(url)
}

/// Parses an issuer URL: absolute, https unless the host is loopback, no query or fragment.
pub fn parse_issuer(key: &str, value: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(value).map_err(|e| {
        ConfigError::new(
            key,
            format!("{value:?} is not an absolute URL ({e}); write e.g. https://login.example.org"),
        )
    })?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ConfigError::new(
            key,
            format!("{value:?} must not have a query or fragment"),
        ));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(ConfigError::new(
                key,
                format!(
                    "{value:?} must use https (plain http is allowed only for a loopback host)"
                ),
            ));
        }
        other => {
            return Err(ConfigError::new(
                key,
                format!("{value:?} has scheme {other:?}; it must be https"),
            ));
        }
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ConfigError::new(
            key,
            format!("{value:?} must not carry credentials"),
        ));
    }
    // The `iss` claim is compared byte for byte: keep one canonical form, without a trailing slash.
    let trimmed = url.as_str().trim_end_matches('/').to_string();
    Url::parse(&trimmed).map_err(|e| ConfigError::new(key, e.to_string()))
}

pub(super) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}
