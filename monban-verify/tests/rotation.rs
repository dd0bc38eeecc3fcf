//! Key rotation and forged-kid floods, counted in the requests monban itself receives (its own
//! request log). One test in its own binary, so the count is this test's alone.

mod common;

use std::io::Write;
use std::sync::{Mutex, OnceLock};

use monban::keys::KeyAlg;
use monban_verify::{Verifier, VerifyError};
use serde_json::json;

use common::{keygen, start};

fn logs() -> &'static Mutex<Vec<u8>> {
    static LOGS: OnceLock<Mutex<Vec<u8>>> = OnceLock::new();
    LOGS.get_or_init(|| Mutex::new(Vec::new()))
}

struct Capture;
impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        logs().lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn jwks_requests() -> usize {
    String::from_utf8_lossy(&logs().lock().unwrap())
        .lines()
        .filter(|l| l.contains("GET /.well-known/jwks.json "))
        .count()
}

#[tokio::test]
async fn a_rotated_in_key_costs_one_refetch_and_a_forged_kid_flood_costs_none() {
    tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(|| Capture)
        .init();
    let dir = tempfile::tempdir().unwrap();
    keygen(dir.path(), KeyAlg::Rs256, 3600);
    let monban = start(dir.path(), 0);
    let verifier = Verifier::discover(&monban.issuer, "wiki").await.unwrap();
    assert_eq!(jwks_requests(), 1, "discovery fetches the JWKS once");
    let old = monban.access_token("wiki", json!({}));
    assert!(verifier.verify(&old).await.is_ok());

    // A new key is added and monban restarted on the same address: the new key signs.
    monban.stop().await;
    keygen(dir.path(), KeyAlg::Es256, 0);
    let monban = start(dir.path(), monban.port);
    let new = monban.access_token("wiki", json!({}));
    assert!(
        verifier.verify(&old).await.is_ok(),
        "old tokens keep verifying"
    );
    assert_eq!(jwks_requests(), 1, "a known key costs no request");
    assert_eq!(verifier.verify(&new).await.unwrap().sub, "mock-ada");
    assert_eq!(jwks_requests(), 2, "the new key cost exactly one refetch");

    // A flood of forged kids within the refetch interval: refused, and not one more request.
    let good = monban.access_token("wiki", json!({}));
    let (_, rest) = good.split_once('.').unwrap();
    for i in 0..500 {
        use base64::Engine;
        let forged_head = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(
            json!({"alg": "ES256", "typ": "at+jwt", "kid": format!("forged-{i}")}).to_string(),
        );
        let forged = format!("{forged_head}.{rest}");
        assert_eq!(
            verifier.verify(&forged).await.unwrap_err(),
            VerifyError::UnknownKey
        );
    }
    assert_eq!(jwks_requests(), 2, "a forged-kid flood made no request");
}
