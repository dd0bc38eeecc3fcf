//! Sealed values: what must survive between two requests travels with the client, encrypted and
//! authenticated (AES-256-GCM), bound to its purpose, and expiring.
//!
//! Layout, base64url without padding: `key id (4 bytes) || nonce (12) || ciphertext || tag (16)`.
//! The associated data is `monban/seal/v2/<purpose>/<issuer>/<key id>`, so a value sealed as a
//! login state never opens as a session, and one sealed by staging never opens in production even
//! when both share a secret (the keys are derived with the issuer in the HKDF info too). The
//! plaintext carries its own expiry, checked against the `now` passed in. The first key seals;
//! every key opens, so a sealing secret can be rotated in.

use aws_lc_rs::aead::{AES_256_GCM, Aad, Nonce, RandomizedNonceKey};
use aws_lc_rs::hkdf;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// What a sealed value is for. Each purpose opens only values sealed for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// The login in flight between `/login` and `/callback`.
    LoginState,
    /// The browser's SSO session cookie.
    Session,
    /// An authorization code.
    Code,
    /// A refresh token.
    RefreshToken,
    /// The proof in monban's own sign-out forms that they were made for this session.
    SignOut,
}

impl Purpose {
    fn label(self) -> &'static str {
        match self {
            Purpose::LoginState => "login-state",
            Purpose::Session => "session",
            Purpose::Code => "code",
            Purpose::RefreshToken => "refresh-token",
            Purpose::SignOut => "sign-out",
        }
    }
}

/// Why a sealed value did not open. Deliberately coarse: the caller's answer is the same.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// Not sealed by any of our keys, for this purpose, or altered.
    #[error("the value is not valid")]
    Invalid,
    /// Genuine but past its expiry.
    #[error("the value has expired")]
    Expired,
}

#[derive(Serialize, Deserialize)]
struct Envelope<T> {
    exp: u64,
    v: T,
}

struct SealKey {
    id: [u8; 4],
    key: RandomizedNonceKey,
}

/// Seals and opens values with one or more 256-bit keys, for one issuer; the first key seals.
pub struct Sealer {
    issuer: String,
    keys: Vec<SealKey>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer")
            .field("issuer", &self.issuer)
            .field("keys", &self.keys.len())
            .finish()
    }
}

/// The version in the HKDF info and the associated data; changing it logs everyone out.
const VERSION: &str = "monban/seal/v2";

impl Sealer {
    /// Derives one sealing key per input key material (a configured secret, or a seed derived from
    /// a signing key) for `issuer`, in order: the first seals.
    pub fn new<'a>(issuer: &str, materials: impl IntoIterator<Item = &'a [u8]>) -> Self {
        let keys = materials
            .into_iter()
            .map(|ikm| {
                let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, b"monban").extract(ikm);
                let mut bytes = [0u8; 32];
                let info = [VERSION.as_bytes(), b"/", issuer.as_bytes()];
                prk.expand(&info, hkdf::HKDF_SHA256)
                    .and_then(|okm| okm.fill(&mut bytes))
                    .expect("32 bytes is a valid HKDF-SHA256 output length");
                let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &bytes);
                let mut id = [0u8; 4];
                id.copy_from_slice(&digest.as_ref()[..4]);
                let key = RandomizedNonceKey::new(&AES_256_GCM, &bytes)
                    .expect("a 32-byte key is valid for AES-256-GCM");
                SealKey { id, key }
            })
            .collect();
        Self {
            issuer: issuer.to_string(),
            keys,
        }
    }

    fn aad(&self, purpose: Purpose, id: &[u8; 4]) -> Vec<u8> {
        let mut aad = format!("{VERSION}/{}/{}/", purpose.label(), self.issuer).into_bytes();
        aad.extend_from_slice(id);
        aad
    }

    /// Seals `value` for `purpose`, valid until `exp` (seconds since the epoch).
    pub fn seal<T: Serialize>(&self, purpose: Purpose, value: &T, exp: u64) -> String {
        let key = &self.keys[0];
        let mut data =
            serde_json::to_vec(&Envelope { exp, v: value }).expect("sealed types serialize");
        let nonce = key
            .key
            .seal_in_place_append_tag(Aad::from(self.aad(purpose, &key.id)), &mut data)
            .expect("AES-GCM sealing cannot fail for in-memory data");
        let mut out = Vec::with_capacity(4 + 12 + data.len());
        out.extend_from_slice(&key.id);
        out.extend_from_slice(nonce.as_ref());
        out.extend_from_slice(&data);
        B64.encode(out)
    }

    /// Opens a value sealed for `purpose`, refusing it if altered, foreign, or expired at `now`.
    pub fn open<T: DeserializeOwned>(
        &self,
        purpose: Purpose,
        sealed: &str,
        now: u64,
    ) -> Result<T, SealError> {
        let bytes = B64.decode(sealed).map_err(|_| SealError::Invalid)?;
        if bytes.len() < 4 + 12 + 16 {
            return Err(SealError::Invalid);
        }
        let (id, rest) = bytes.split_at(4);
        let (nonce, ciphertext) = rest.split_at(12);
        let key = self
            .keys
            .iter()
            .find(|k| k.id == id)
            .ok_or(SealError::Invalid)?;
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SealError::Invalid)?;
        let mut data = ciphertext.to_vec();
        let plain = key
            .key
            .open_in_place(nonce, Aad::from(self.aad(purpose, &key.id)), &mut data)
            .map_err(|_| SealError::Invalid)?;
        let envelope: Envelope<T> =
            serde_json::from_slice(plain).map_err(|_| SealError::Invalid)?;
        if envelope.exp <= now {
            return Err(SealError::Expired);
        }
        Ok(envelope.v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISS: &str = "https://login.example.org";

    #[test]
    fn a_value_sealed_for_one_issuer_never_opens_for_another_with_the_same_secret() {
        let production = Sealer::new(ISS, [b"shared secret".as_slice()]);
        let staging = Sealer::new("https://staging.example.org", [b"shared secret".as_slice()]);
        let sealed = staging.seal(Purpose::Session, &"ada", 100);
        assert_eq!(
            production.open::<String>(Purpose::Session, &sealed, 1),
            Err(SealError::Invalid)
        );
        assert!(staging.open::<String>(Purpose::Session, &sealed, 1).is_ok());
    }

    #[test]
    fn a_sealed_value_opens_for_its_purpose_until_it_expires() {
        let s = Sealer::new(ISS, [b"secret one".as_slice()]);
        let sealed = s.seal(Purpose::Session, &"ada", 100);
        assert_eq!(
            s.open::<String>(Purpose::Session, &sealed, 99).unwrap(),
            "ada"
        );
        assert_eq!(
            s.open::<String>(Purpose::Session, &sealed, 100),
            Err(SealError::Expired)
        );
        assert_eq!(
            s.open::<String>(Purpose::LoginState, &sealed, 99),
            Err(SealError::Invalid)
        );
    }

    #[test]
    fn tampered_or_foreign_values_do_not_open() {
        let s = Sealer::new(ISS, [b"secret one".as_slice()]);
        let other = Sealer::new(ISS, [b"secret two".as_slice()]);
        let sealed = s.seal(Purpose::Session, &"ada", 100);
        assert_eq!(
            other.open::<String>(Purpose::Session, &sealed, 1),
            Err(SealError::Invalid)
        );
        let mut bytes = B64.decode(&sealed).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert_eq!(
            s.open::<String>(Purpose::Session, &B64.encode(bytes), 1),
            Err(SealError::Invalid)
        );
        assert_eq!(
            s.open::<String>(Purpose::Session, "not base64!", 1),
            Err(SealError::Invalid)
        );
    }

    #[test]
    fn a_rotated_in_secret_keeps_old_values_open() {
        let old = Sealer::new(ISS, [b"old".as_slice()]);
        let sealed = old.seal(Purpose::Session, &"ada", 100);
        let rotated = Sealer::new(ISS, [b"new".as_slice(), b"old".as_slice()]);
        assert_eq!(
            rotated
                .open::<String>(Purpose::Session, &sealed, 1)
                .unwrap(),
            "ada"
        );
        let fresh = rotated.seal(Purpose::Session, &"bob", 100);
        assert!(old.open::<String>(Purpose::Session, &fresh, 1).is_err());
    }
}
