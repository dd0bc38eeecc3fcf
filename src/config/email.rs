//! Email addresses and domains in one canonical form, so the allow-list, the roles and Google's
//! answer compare equal exactly when they name the same address.

/// A domain in one canonical form: lower-case ASCII, internationalised names in their IDNA
/// (`xn--`) form, so `Bücher.Example` and `xn--bcher-kva.example` compare equal while a
/// look-alike written with Cyrillic letters does not. `None` for anything that is not a domain
/// name (an IP address, an empty or invalid label).
pub fn normalize_domain(domain: &str) -> Option<String> {
    match url::Host::parse(domain.trim()).ok()? {
        url::Host::Domain(d) if d.contains('.') && !d.ends_with('.') => Some(d),
        _ => None,
    }
}

/// An email address in one canonical form: the local part lower-cased (Google addresses are
/// case-insensitive), the domain as [`normalize_domain`]. `None` if it is not `local@domain`.
pub fn normalize_email(email: &str) -> Option<String> {
    let (local, domain) = email.trim().rsplit_once('@')?;
    if local.is_empty() || local.contains(char::is_whitespace) {
        return None;
    }
    Some(format!(
        "{}@{}",
        local.to_lowercase(),
        normalize_domain(domain)?
    ))
}
