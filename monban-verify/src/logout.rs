//! Back-channel logout tokens (OpenID Connect Back-Channel Logout 1.0 §2.6), verified with the
//! same keys and checks as access tokens, plus what makes a logout token one.

use crate::contract::{BACKCHANNEL_LOGOUT_EVENT, LOGOUT_TOKEN_TYP, LogoutClaims};
use crate::{Verifier, VerifyError};

impl Verifier {
    /// Validates a back-channel logout token posted to this service (OIDC Back-Channel Logout
    /// 1.0 §2.6): signed by monban with the key's algorithm, `typ` `logout+jwt`, `iss`, `aud`
    /// this service, `iat` and `exp`, the back-channel event, and no `nonce`. Then end the
    /// sessions of `sub` (of `sid` only, when present); remembering `jti` until `exp` refuses a
    /// replay. An unknown `kid` refetches the JWKS as [`Verifier::verify`] does.
    pub async fn verify_logout_token(&self, token: &str) -> Result<LogoutClaims, VerifyError> {
        match self.verify_logout_token_cached(token) {
            Err(VerifyError::UnknownKey) if self.claim_refetch() => {
                if let Err(e) = self.inner.refetch().await {
                    tracing::warn!(error = %e, "monban JWKS refetch failed; keeping cached keys");
                }
                self.verify_logout_token_cached(token)
            }
            other => other,
        }
    }

    /// [`Verifier::verify_logout_token`] with the cached keys only.
    pub fn verify_logout_token_cached(&self, token: &str) -> Result<LogoutClaims, VerifyError> {
        let raw: serde_json::Value = self.decode(token, LOGOUT_TOKEN_TYP)?;
        if raw.get("nonce").is_some() || raw.get("iat").is_none() {
            return Err(VerifyError::NotALogoutToken);
        }
        let claims: LogoutClaims =
            serde_json::from_value(raw).map_err(|_| VerifyError::MissingClaim)?;
        if !claims
            .events
            .get(BACKCHANNEL_LOGOUT_EVENT)
            .is_some_and(serde_json::Value::is_object)
        {
            return Err(VerifyError::NotALogoutToken);
        }
        Ok(claims)
    }
}
