//! The discovery modules of three plans: `oidcc-discovery-endpoint-verification` (the Config
//! plan), `oidcc-rp-initiated-logout-discovery-endpoint-verification` and
//! `oidcc-backchannel-logout-discovery-endpoint-verification`.

use serde_json::Value;

use crate::helpers::TestApp;

/// The discovery document of a provider with clients.
async fn discovery() -> (TestApp, Value) {
    let app = TestApp::builder().provider().spawn().await;
    let document = app.discovery().await;
    (app, document)
}

/// Whether `list` (a JSON array) holds `value`.
fn lists(list: &Value, value: &str) -> bool {
    list.as_array()
        .is_some_and(|a| a.iter().any(|v| v == value))
}

/// `oidcc-discovery-endpoint-verification`: the issuer is the URL it was fetched under; every
/// endpoint is on it (https in a deployment, where the issuer must be https); the JWKS is valid;
/// `openid` is a scope, `code` a response type, `public` a subject type, RS256 an ID token
/// algorithm; the claims are listed.
#[tokio::test]
async fn oidcc_discovery_endpoint_verification() {
    let (app, d) = discovery().await;
    assert_eq!(d["issuer"], app.issuer.as_str());
    for endpoint in [
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
    ] {
        let url = d[endpoint].as_str().unwrap_or_else(|| panic!("{endpoint}"));
        assert!(
            url.starts_with(&format!("{}/", app.issuer)),
            "{endpoint}: {url}"
        );
    }
    assert!(lists(&d["scopes_supported"], "openid"));
    assert!(lists(&d["response_types_supported"], "code"));
    assert!(lists(&d["subject_types_supported"], "public"));
    assert!(lists(&d["id_token_signing_alg_values_supported"], "RS256"));
    for claim in ["sub", "iss", "email", "name"] {
        assert!(lists(&d["claims_supported"], claim), "{claim}");
    }
    let jwks = app.jwks().await;
    assert!(!jwks.keys.is_empty());
    for key in &jwks.keys {
        assert!(key.common.key_id.is_some(), "every key has a kid");
        assert!(jsonwebtoken::DecodingKey::from_jwk(key).is_ok());
    }
}

/// `oidcc-rp-initiated-logout-discovery-endpoint-verification`: `end_session_endpoint` on the
/// issuer.
#[tokio::test]
async fn oidcc_rp_initiated_logout_discovery_endpoint_verification() {
    let (app, d) = discovery().await;
    let end = d["end_session_endpoint"].as_str().unwrap();
    assert_eq!(end, format!("{}/logout", app.issuer));
}

/// `oidcc-backchannel-logout-discovery-endpoint-verification`: back-channel logout supported, with
/// the session (`sid`) in the logout token.
#[tokio::test]
async fn oidcc_backchannel_logout_discovery_endpoint_verification() {
    let (_, d) = discovery().await;
    assert_eq!(d["backchannel_logout_supported"], true);
    assert_eq!(d["backchannel_logout_session_supported"], true);
}
