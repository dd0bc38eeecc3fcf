//! Public keys published by someone else as a JWK Set (RFC 7517): Google's, and the keys a client
//! registers for `private_key_jwt` (`jwks` or `jwks_uri`). Each key is parsed once and pinned to
//! the one algorithm it is for, so a token's header cannot choose another (never `none`, never a
//! symmetric algorithm).

use std::collections::HashMap;

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;
use serde_json::Value;

/// Why no key fits a token's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyError {
    /// The `kid` is not in the set: its owner may have rotated (fetch the set again).
    Unknown,
    /// No `kid`, and the set holds more than one key.
    Ambiguous,
}

/// A JWK Set's usable signing keys, each pinned to one algorithm.
#[derive(Default)]
pub struct KeySet {
    by_kid: HashMap<String, (Algorithm, DecodingKey)>,
    /// Keys published without a kid (a token without a kid may use one if it is the only one).
    unnamed: Vec<(Algorithm, DecodingKey)>,
}

impl std::fmt::Debug for KeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeySet")
            .field("kids", &self.by_kid.keys().collect::<Vec<_>>())
            .field("unnamed", &self.unnamed.len())
            .finish()
    }
}

impl KeySet {
    /// The usable keys of a JWKS document. Keys for encryption, symmetric keys and keys of a type
    /// this cannot verify are skipped, one by one, so a new kind of key in Google's set does not
    /// break sign-in; a document that is not a JWKS at all is an error.
    pub fn parse(json: &[u8]) -> Result<Self, String> {
        Self::from_value(serde_json::from_slice(json).map_err(|e| e.to_string())?)
    }

    /// [`KeySet::parse`] of a document already read as JSON.
    pub fn from_value(set: Value) -> Result<Self, String> {
        #[derive(Deserialize)]
        struct Set {
            keys: Vec<Value>,
        }
        let set: Set = serde_json::from_value(set).map_err(|e| e.to_string())?;
        let mut keys = Self::default();
        for jwk in set.keys {
            let Ok(jwk) = serde_json::from_value::<Jwk>(jwk) else {
                continue;
            };
            if matches!(&jwk.common.public_key_use, Some(u) if *u != PublicKeyUse::Signature) {
                continue;
            }
            let (Some(alg), Ok(decoding)) = (algorithm(&jwk), DecodingKey::from_jwk(&jwk)) else {
                continue;
            };
            match jwk.common.key_id {
                Some(kid) => {
                    keys.by_kid.insert(kid, (alg, decoding));
                }
                None => keys.unnamed.push((alg, decoding)),
            }
        }
        Ok(keys)
    }

    /// How many usable keys the set holds.
    pub fn len(&self) -> usize {
        self.by_kid.len() + self.unnamed.len()
    }

    /// Whether the set holds no usable key.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The key a token names by `kid`, with its algorithm; without a kid, the only unnamed key.
    pub fn key_for(&self, kid: Option<&str>) -> Result<&(Algorithm, DecodingKey), KeyError> {
        match kid {
            Some(kid) => self.by_kid.get(kid).ok_or(KeyError::Unknown),
            None => match (self.by_kid.len(), self.unnamed.as_slice()) {
                (0, [only]) => Ok(only),
                _ => Err(KeyError::Ambiguous),
            },
        }
    }
}

/// The algorithm a key verifies: its `alg` if it states one that fits its type, else the one its
/// type implies (RSA keys: RS256, the OIDC default). Never a symmetric algorithm.
fn algorithm(jwk: &Jwk) -> Option<Algorithm> {
    use Algorithm::{ES256, ES384, EdDSA, PS256, PS384, PS512, RS256, RS384, RS512};
    let stated = match jwk.common.key_algorithm {
        Some(stated) => Some(stated.to_string().parse::<Algorithm>().ok()?),
        None => None,
    };
    match (&jwk.algorithm, stated) {
        (AlgorithmParameters::RSA(_), None) => Some(RS256),
        (
            AlgorithmParameters::RSA(_),
            Some(a @ (RS256 | RS384 | RS512 | PS256 | PS384 | PS512)),
        ) => Some(a),
        (AlgorithmParameters::EllipticCurve(p), None | Some(ES256))
            if p.curve == EllipticCurve::P256 =>
        {
            Some(ES256)
        }
        (AlgorithmParameters::EllipticCurve(p), None | Some(ES384))
            if p.curve == EllipticCurve::P384 =>
        {
            Some(ES384)
        }
        (AlgorithmParameters::OctetKeyPair(p), None | Some(EdDSA))
            if p.curve == EllipticCurve::Ed25519 =>
        {
            Some(EdDSA)
        }
        _ => None,
    }
}
