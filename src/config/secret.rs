//! Values that never print themselves: [`Secret`] (client secrets, inline keys, the codes and
//! tokens of a token request) and [`SealingSecret`] (the bytes sealed values are keyed with,
//! decoded and checked once, where the configuration is read).

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use serde::Deserialize;

use super::ConfigError;

/// The fewest bytes a session secret may carry.
pub const MIN_SECRET_BYTES: usize = 32;

/// How to make a session secret, for messages.
const HOW: &str = "make one with `monban keygen --session-secret` (or `openssl rand -base64 32`)";

/// The bytes of a session secret written as hex, base64 or base64url (padded or not); `None` if
/// it is none of those.
fn decode_secret(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    if text.len().is_multiple_of(2) && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
            .collect();
    }
    [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(text).ok())
}

/// Whether `text` is a usable session secret: at least [`MIN_SECRET_BYTES`] decoded bytes that
/// look random (at least 16 distinct byte values: `aaaa…` or `abab…` are refused).
fn check_session_secret(text: &str) -> Result<(), String> {
    let bytes =
        decode_secret(text).ok_or_else(|| format!("it is not hex, base64 or base64url; {HOW}"))?;
    if bytes.len() < MIN_SECRET_BYTES {
        return Err(format!(
            "it carries {} bytes; at least {MIN_SECRET_BYTES} random bytes are needed; {HOW}",
            bytes.len()
        ));
    }
    let mut seen = [false; 256];
    bytes.iter().for_each(|b| seen[usize::from(*b)] = true);
    if seen.iter().filter(|s| **s).count() < 16 {
        return Err(format!(
            "it does not look random (a repeated pattern); {HOW}"
        ));
    }
    Ok(())
}

/// A fresh session secret: 32 random bytes, base64url.
pub fn generate_session_secret() -> String {
    let mut bytes = [0u8; MIN_SECRET_BYTES];
    aws_lc_rs::rand::fill(&mut bytes).expect("the system RNG works");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A sealing secret (monban's `session_secrets`, the gate's `MONBAN_GATE__SESSION_SECRETS`): the
/// random bytes behind it, decoded and checked once. Its `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct SealingSecret(Vec<u8>);

impl SealingSecret {
    /// Decodes and checks one secret as written (see [`check_session_secret`]).
    pub fn parse(text: &str) -> Result<Self, String> {
        check_session_secret(text)?;
        decode_secret(text)
            .map(Self)
            .ok_or_else(|| "it is not hex, base64 or base64url".into())
    }

    /// Every secret of a list as written, newest first; a problem names `key` and the secret's
    /// position.
    pub fn parse_all<'a>(
        key: &str,
        texts: impl IntoIterator<Item = &'a str>,
    ) -> Result<Vec<Self>, ConfigError> {
        texts
            .into_iter()
            .enumerate()
            .map(|(i, text)| {
                Self::parse(text).map_err(|problem| {
                    ConfigError::new(key, format!("secret {}: {problem}", i + 1))
                })
            })
            .collect()
    }

    /// The key material, for the sealer.
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SealingSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SealingSecret([redacted])")
    }
}

/// A string that must never be printed: its `Debug` and `Display` are redacted.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealing_secret_is_decoded_once_and_never_printed() {
        let text = generate_session_secret();
        let secret = SealingSecret::parse(&text).unwrap();
        assert_eq!(secret.bytes().len(), MIN_SECRET_BYTES);
        assert_eq!(format!("{secret:?}"), "SealingSecret([redacted])");
        let e = SealingSecret::parse_all("session_secrets", [text.as_str(), "short"]).unwrap_err();
        assert_eq!(e.key, "session_secrets");
        assert!(e.problem.starts_with("secret 2:"), "{}", e.problem);
    }

    #[test]
    fn session_secrets_must_carry_32_random_bytes() {
        assert!(check_session_secret(&generate_session_secret()).is_ok());
        let hex: String = (0..32u8)
            .map(|b| format!("{:02x}", b.wrapping_mul(37)))
            .collect();
        assert!(check_session_secret(&hex).is_ok());
        assert!(check_session_secret(&STANDARD.encode([7u8; 16].map(|b| b))).is_err());
        assert!(
            check_session_secret(&"a".repeat(64)).is_err(),
            "aaaa… is patterned"
        );
        assert!(
            check_session_secret(&"ab".repeat(32)).is_err(),
            "abab… is patterned"
        );
        assert!(check_session_secret("too-short").is_err());
        assert!(check_session_secret("not base64 at all!").is_err());
    }
}
