//! Who may sign in, and with which roles. Plain functions over the configuration: no HTTP here,
//! and no upstream type: the sign-in (Google's verified ID token) and a refresh (the sealed
//! session) both describe the person as a [`Claimant`].

use super::Admission;

/// What the policy looks at: the address (canonical form, see [`super::normalize_email`]), whether
/// the upstream verified it, and the Google Workspace domain (`hd`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claimant<'a> {
    /// The email address, if the upstream gave one.
    pub email: Option<&'a str>,
    /// Whether the upstream verified that address.
    pub email_verified: bool,
    /// The Google Workspace domain, for Workspace accounts.
    pub hosted_domain: Option<&'a str>,
}

/// Why someone was turned away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    /// The upstream gave no email address.
    NoEmail,
    /// The upstream has not verified the address, so it proves nothing.
    EmailNotVerified,
    /// The address is on no allow-list.
    NotAllowed,
    /// The administrator signed this sign-in out (`sign_outs`, `sign_out_before`).
    SignedOut,
}

impl Denial {
    /// A stable code for logs and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            Denial::NoEmail => "no_email",
            Denial::EmailNotVerified => "email_not_verified",
            Denial::NotAllowed => "not_allowed",
            Denial::SignedOut => "signed_out",
        }
    }

    /// Why a genuine sign-in, code, token or session of someone the running configuration turns
    /// away is refused: the `error_description` every endpoint sends for it.
    pub fn explanation(&self) -> &'static str {
        match self {
            Denial::SignedOut => "the administrator signed this sign-in out",
            _ => "the user is no longer allowed to sign in",
        }
    }
}

/// A sign-in made at `auth_time`, under the running configuration: refused when the
/// administrator signed it out (`sign_outs`, `sign_out_before`), else [`admit`]. What every
/// session, grant and token is checked against after the sign-in itself.
pub fn readmit(
    admission: &Admission,
    identity: &Claimant<'_>,
    auth_time: u64,
) -> Result<Vec<String>, Denial> {
    let email = identity.email.ok_or(Denial::NoEmail)?;
    if admission.sign_outs.signed_out(email, auth_time) {
        return Err(Denial::SignedOut);
    }
    admit(admission, identity)
}

/// Admits `identity` if its verified email is listed in `allowed_emails` or any role, or if Google
/// vouches for its domain and that domain is in `allowed_domains`; returns its roles.
///
/// Google is authoritative for an address's domain only through the `hd` claim (a Workspace
/// account of that domain) or for `gmail.com` itself: a personal Google account can be registered
/// under any address, and keeps working after its owner left the organisation. An address without
/// `hd` therefore gets in only through `allowed_emails` or a role, unless the upstream is
/// configured to be trusted for email domains (`upstream.trust_email_domain`, for providers that
/// have no `hd`).
pub fn admit(admission: &Admission, identity: &Claimant<'_>) -> Result<Vec<String>, Denial> {
    let email = identity.email.ok_or(Denial::NoEmail)?;
    if !identity.email_verified {
        return Err(Denial::EmailNotVerified);
    }
    let roles: Vec<String> = admission
        .roles
        .iter()
        .filter(|(_, members)| members.iter().any(|m| m == email))
        .map(|(role, _)| role.clone())
        .collect();
    let email_domain = email.rsplit_once('@').map(|(_, d)| d).unwrap_or_default();
    let vouched = |domain: &str| {
        identity.hosted_domain == Some(domain)
            || (domain == "gmail.com" && email_domain == "gmail.com")
            || (admission.trust_email_domain && email_domain == domain)
    };
    let domain_allowed = admission.allowed_domains.iter().any(|d| vouched(d));
    let listed = admission.allowed_emails.iter().any(|e| e == email);
    if domain_allowed || listed || !roles.is_empty() {
        Ok(roles)
    } else {
        Err(Denial::NotAllowed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{normalize_domain, normalize_email};

    fn config() -> Admission {
        crate::config::fixtures::load(&[
            ("MONBAN_ALLOWED_DOMAINS", "lab.example.org"),
            ("MONBAN_ALLOWED_EMAILS", "guest@gmail.com"),
            ("MONBAN_ROLES__ADMIN", "ada@lab.example.org, boss@gmail.com"),
        ])
        .admission
    }

    fn who<'a>(email: &'a str, verified: bool, hd: Option<&'a str>) -> Claimant<'a> {
        Claimant {
            email: Some(email),
            email_verified: verified,
            hosted_domain: hd,
        }
    }

    #[test]
    fn domains_emails_and_roles_admit() {
        let c = config();
        assert_eq!(
            admit(&c, &who("ada@lab.example.org", true, None)).unwrap(),
            ["admin"]
        );
        assert!(
            admit(&c, &who("x@lab.example.org", true, Some("lab.example.org")))
                .unwrap()
                .is_empty()
        );
        assert!(admit(&c, &who("x@alias.org", true, Some("lab.example.org"))).is_ok());
        assert!(admit(&c, &who("guest@gmail.com", true, None)).is_ok());
        assert_eq!(
            admit(&c, &who("boss@gmail.com", true, None)).unwrap(),
            ["admin"]
        );
    }

    #[test]
    fn a_domain_admits_only_when_google_vouches_for_it() {
        let c = config();
        // A personal Google account registered under a lab address: no `hd`, not admitted.
        assert_eq!(
            admit(&c, &who("paul@lab.example.org", true, None)),
            Err(Denial::NotAllowed)
        );
        let mut trusting = config();
        trusting.trust_email_domain = true;
        assert!(admit(&trusting, &who("paul@lab.example.org", true, None)).is_ok());
        // Google is authoritative for gmail.com addresses themselves.
        let mut gmail = config();
        gmail.allowed_domains = vec!["gmail.com".into()];
        assert!(admit(&gmail, &who("anyone@gmail.com", true, None)).is_ok());
        assert_eq!(
            admit(
                &gmail,
                &who("anyone@lab.example.org", true, Some("lab.example.org"))
            ),
            Err(Denial::NotAllowed)
        );
    }

    #[test]
    fn strangers_and_unverified_addresses_are_denied() {
        let c = config();
        assert_eq!(
            admit(&c, &who("eve@evil.example", true, None)),
            Err(Denial::NotAllowed)
        );
        assert_eq!(
            admit(&c, &who("ada@lab.example.org", false, None)),
            Err(Denial::EmailNotVerified)
        );
        // A look-alike subdomain is not the domain, nor is a domain spelt with Cyrillic letters.
        assert_eq!(
            admit(
                &c,
                &who(&normalize_email("ada@lаb.example.org").unwrap(), true, None)
            ),
            Err(Denial::NotAllowed)
        );
        assert_eq!(
            admit(&c, &who("x@evil.lab.example.org", true, None)),
            Err(Denial::NotAllowed)
        );
    }

    #[test]
    fn mixed_case_and_internationalised_addresses_compare_in_one_form() {
        assert_eq!(
            normalize_email("Ada@Lab.Example.ORG").as_deref(),
            Some("ada@lab.example.org")
        );
        assert_eq!(
            normalize_email("ünal@Bücher.Example").as_deref(),
            Some("ünal@xn--bcher-kva.example")
        );
        assert_eq!(
            normalize_domain("xn--bcher-kva.example"),
            normalize_domain("BÜCHER.example")
        );
        assert_ne!(
            normalize_domain("lаb.example.org").as_deref(),
            Some("lab.example.org"),
            "a Cyrillic а is not a Latin a"
        );
        for bad in [
            "no-at-sign",
            "@example.org",
            "a@",
            "a@1.2.3.4",
            "a b@example.org",
            "a@exa mple.org",
        ] {
            assert_eq!(normalize_email(bad), None, "{bad}");
        }
        let c = crate::config::Config::load(
            &[
                ("MONBAN_ISSUER", "https://login.example.org"),
                ("MONBAN_UPSTREAM__CLIENT_ID", "id"),
                ("MONBAN_UPSTREAM__CLIENT_SECRET", "secret"),
                ("MONBAN_ALLOWED_DOMAINS", "Bücher.Example"),
                ("MONBAN_ALLOWED_EMAILS", "Guest@GMAIL.com"),
            ]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        )
        .unwrap()
        .admission;
        for email in [
            "x@xn--bcher-kva.example",
            "x@bücher.example",
            "GUEST@gmail.com",
        ] {
            let email = normalize_email(email).unwrap();
            let hd = email.rsplit_once('@').map(|(_, d)| d);
            assert!(admit(&c, &who(&email, true, hd)).is_ok(), "{email}");
        }
    }
}
