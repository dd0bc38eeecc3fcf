//! PKCE S256 (RFC 7636): the challenge of a verifier, and the check at the token endpoint.

use aws_lc_rs::digest;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;

use super::error::OAuthError;

/// The PKCE S256 challenge of `verifier` (RFC 7636 §4.2).
pub fn pkce_s256(verifier: &str) -> String {
    B64.encode(digest::digest(&digest::SHA256, verifier.as_bytes()))
}

/// Whether `verifier` answers the code's `challenge` (compared in constant time). A code issued
/// with a challenge needs a verifier; one issued without must not be given one.
pub fn check(challenge: Option<&str>, verifier: Option<&str>) -> Result<(), OAuthError> {
    match (challenge, verifier) {
        (Some(challenge), Some(verifier)) => aws_lc_rs::constant_time::verify_slices_are_equal(
            pkce_s256(verifier).as_bytes(),
            challenge.as_bytes(),
        )
        .map_err(|_| {
            OAuthError::InvalidGrant("code_verifier does not match the code_challenge".into())
        }),
        (Some(_), None) => Err(OAuthError::InvalidGrant("code_verifier is missing".into())),
        (None, Some(_)) => Err(OAuthError::InvalidGrant(
            "code_verifier given but no code_challenge was".into(),
        )),
        (None, None) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_7636_example_matches() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert_eq!(pkce_s256(verifier), challenge);
        assert!(check(Some(challenge), Some(verifier)).is_ok());
        assert!(check(Some(challenge), Some("other")).is_err());
        assert!(check(Some(challenge), None).is_err());
        assert!(check(None, Some(verifier)).is_err());
        assert!(check(None, None).is_ok());
    }
}
