//! The OpenID Foundation's OP test plans (conformance suite, `src/main/java/net/openid/
//! conformance/openid/`), module by module, for a provider with static clients: each test is named
//! after its module and asserts what the module asserts. So far: the modules of the Basic plan
//! that failed or warned on request objects, a POSTed authorization request and an access token
//! in the body at `/userinfo`.

use reqwest::StatusCode;
use reqwest::header::LOCATION;

use crate::helpers::{CLIENT_ORIGIN, TestApp, location};

/// A query parameter of `url`.
fn param(url: &reqwest::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// `oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported`: a request
/// object (`request=`, here unsigned, `alg: none`) is either honoured or refused with
/// `request_not_supported` on the redirect URI; monban refuses it, and `request_uri` with
/// `request_uri_not_supported`, and says so in discovery.
#[tokio::test]
async fn oidcc_unsigned_request_object_supported_correctly_or_rejected_as_unsupported() {
    let app = TestApp::builder().provider().spawn().await;
    let discovery = app.discovery().await;
    assert_eq!(discovery["request_parameter_supported"], false);
    assert_eq!(discovery["request_uri_parameter_supported"], false);
    app.login_as("ada").await;
    // {"alg":"none"} . {"client_id":"wiki", ...} . (no signature)
    let object = "eyJhbGciOiJub25lIn0.eyJjbGllbnRfaWQiOiJ3aWtpIiwic2NvcGUiOiJvcGVuaWQifQ.";
    for (extra, error) in [
        (format!("&request={object}"), "request_not_supported"),
        (
            "&request_uri=https%3A%2F%2Frp.example%2Fr.jwt".to_string(),
            "request_uri_not_supported",
        ),
    ] {
        let (url, _) = app.authorize_url("wiki", &extra);
        let response = app.get_url(&url).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let back = location(&response);
        assert!(
            back.as_str()
                .starts_with(&format!("{CLIENT_ORIGIN}/wiki/callback"))
        );
        assert_eq!(param(&back, "error").as_deref(), Some(error));
        assert_eq!(param(&back, "state").as_deref(), Some("st"));
        assert_eq!(param(&back, "code"), None);
    }
}

/// `oidcc-ensure-post-request-succeeds`: the authorization endpoint takes POST as well as GET
/// (OIDC Core §3.1.2.1), and the POSTed request gets a code.
#[tokio::test]
async fn oidcc_ensure_post_request_succeeds() {
    let app = TestApp::builder().provider().spawn().await;
    app.login_as("ada").await;
    let (url, _) = app.authorize_url("wiki", "");
    let (endpoint, form) = url.split_once('?').unwrap();
    let response = app
        .client
        .post(endpoint.replace(&app.issuer, &app.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let back = location(&response);
    assert!(param(&back, "code").is_some(), "{back}");
    assert_eq!(param(&back, "state").as_deref(), Some("st"));
    // Not signed in: the POSTed request is replayed after the sign-in, as a GET, and gets a code.
    let stranger = TestApp::builder().provider().spawn().await;
    let (url, _) = stranger.authorize_url("wiki", "");
    let (endpoint, form) = url.split_once('?').unwrap();
    let asked = stranger
        .client
        .post(endpoint.replace(&stranger.issuer, &stranger.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(asked.status(), StatusCode::OK, "the sign-in page");
    let link = stranger.sign_in_link(asked).await;
    let back = stranger.follow_to_client(link.as_str(), "ada").await;
    assert!(param(&back, "code").is_some(), "{back}");
    // A body that is not a form of parameters: a page, no redirect.
    let garbage = app
        .client
        .post(format!("{}/authorize", app.address))
        .body(vec![0xff, 0xfe])
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), StatusCode::BAD_REQUEST);
    assert!(garbage.headers().get(LOCATION).is_none());
}

/// `oidcc-userinfo-post-body`: the access token in a POST's form body (RFC 6750 §2.2) gets the
/// user's claims; sent both in the header and the body it is refused (one method only).
#[tokio::test]
async fn oidcc_userinfo_post_body() {
    let app = TestApp::builder().provider().spawn().await;
    let tokens = app.tokens_for("ada").await;
    let access = tokens["access_token"].as_str().unwrap();
    let userinfo = format!("{}/userinfo", app.address);
    let in_body = app
        .client
        .post(&userinfo)
        .form(&[("access_token", access)])
        .send()
        .await
        .unwrap();
    assert_eq!(in_body.status(), StatusCode::OK);
    let claims: serde_json::Value = in_body.json().await.unwrap();
    assert_eq!(claims["sub"], "mock-ada");
    let twice = app
        .client
        .post(&userinfo)
        .bearer_auth(access)
        .form(&[("access_token", access)])
        .send()
        .await
        .unwrap();
    assert_eq!(twice.status(), StatusCode::BAD_REQUEST);
    let garbage = app
        .client
        .post(&userinfo)
        .form(&[("access_token", "garbage")])
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), StatusCode::UNAUTHORIZED);
}

/// `oidcc-rp-initiated-logout-no-id-token-hint`: a logout request with a registered
/// `post_logout_redirect_uri` but neither `id_token_hint` nor `client_id` must not send the
/// browser to that URI (RP-Initiated Logout §3: without them the OP cannot tell who asks). The
/// person is still signed out, after confirming, and monban's page offers a link back; with the
/// `client_id`, the same URI is followed.
#[tokio::test]
async fn oidcc_rp_initiated_logout_no_id_token_hint() {
    let app = TestApp::builder().provider().spawn().await;
    app.login_as("ada").await;
    let wiki_out = format!("{CLIENT_ORIGIN}/wiki/signed-out");
    let asked = app
        .get(&format!(
            "/logout?post_logout_redirect_uri={wiki_out}&state=s1"
        ))
        .await;
    assert_eq!(asked.status(), StatusCode::OK, "a confirmation page");
    let confirmed = app.press_sign_out(&asked.text().await.unwrap(), &[]).await;
    assert_eq!(confirmed.status(), StatusCode::OK);
    assert!(
        confirmed.headers().get(LOCATION).is_none(),
        "not sent to the RP"
    );
    let page = confirmed.text().await.unwrap();
    assert!(page.contains(r#"<a href=""#) && page.contains("Lab Wiki"));
    let home = app.get("/").await.text().await.unwrap();
    assert!(
        !home.contains("You are signed in"),
        "signed out all the same"
    );
    // Naming the client, the registered URI is followed (after the confirmation).
    app.login_as("ada").await;
    let asked = app
        .get(&format!(
            "/logout?client_id=wiki&post_logout_redirect_uri={wiki_out}&state=s2"
        ))
        .await;
    let confirmed = app.press_sign_out(&asked.text().await.unwrap(), &[]).await;
    assert_eq!(confirmed.status(), StatusCode::SEE_OTHER);
    let back = location(&confirmed);
    assert_eq!(back.path(), "/wiki/signed-out");
    assert_eq!(param(&back, "state").as_deref(), Some("s2"));
}

/// `oidcc-codereuse`: a code redeemed twice: the second redemption is `invalid_grant`. Without
/// shared state this holds per instance (each remembers the codes it redeemed until they expire);
/// the module presents the code again to the same provider at once.
#[tokio::test]
async fn oidcc_codereuse() {
    let app = TestApp::builder().provider().spawn().await;
    let (code, verifier) = app.code_for("wiki", "ada").await;
    assert_eq!(app.redeem(&code, &verifier).await.status(), StatusCode::OK);
    let again = app.redeem(&code, &verifier).await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = again.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    assert!(body.get("access_token").is_none());
}

/// `oidcc-codereuse-30seconds`: the same, 30 seconds later: by then the code has expired
/// everywhere (codes live 20 s), whichever instance is asked.
#[tokio::test]
async fn oidcc_codereuse_30seconds() {
    let app = TestApp::builder().provider().manual_clock().spawn().await;
    let (code, verifier) = app.code_for("wiki", "ada").await;
    assert_eq!(app.redeem(&code, &verifier).await.status(), StatusCode::OK);
    app.advance_clock(30);
    let sibling = app.spawn_sibling().await;
    for instance in [&app, &sibling] {
        let again = instance.redeem(&code, &verifier).await;
        assert_eq!(again.status(), StatusCode::BAD_REQUEST);
        let body: serde_json::Value = again.json().await.unwrap();
        assert_eq!(body["error"], "invalid_grant");
    }
}

/// `oidcc-ensure-request-with-acr-values-succeeds`: a request with `acr_values` (a voluntary
/// claim) succeeds. monban asserts no `acr` (docs/integrate.md says why: Google's ID token says
/// nothing of how the person authenticated) and discovery lists no `acr_values_supported`.
#[tokio::test]
async fn oidcc_ensure_request_with_acr_values_succeeds() {
    let app = TestApp::builder().provider().spawn().await;
    assert!(app.discovery().await.get("acr_values_supported").is_none());
    let (url, verifier) = app.authorize_url("wiki", "&acr_values=1+2");
    let back = app.follow_to_client(&url, "ada").await;
    let code = param(&back, "code").expect("a code");
    let tokens: serde_json::Value = app.redeem(&code, &verifier).await.json().await.unwrap();
    let id = crate::helpers::claims_of(tokens["id_token"].as_str().unwrap());
    assert_eq!(id["sub"], "mock-ada");
    assert!(id.get("acr").is_none());
}

/// The ID token of a sign-in to `wiki` with `scope`, and `/userinfo`'s answer for its access token.
async fn claims_for_scope(app: &TestApp, scope: &str) -> (serde_json::Value, serde_json::Value) {
    let (url, verifier) = app.authorize_url("wiki", "");
    let url = url.replace("scope=openid+email", &format!("scope={scope}"));
    let back = app.follow_to_client(&url, "ada").await;
    let code = param(&back, "code").expect("a code");
    let tokens: serde_json::Value = app.redeem(&code, &verifier).await.json().await.unwrap();
    let id = crate::helpers::claims_of(tokens["id_token"].as_str().unwrap());
    let userinfo = app
        .client
        .get(format!("{}/userinfo", app.address))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (id, userinfo)
}

/// `oidcc-server` (and `oidcc-alternate-happy-flow`, `oidcc-claims-essential` for the standard
/// claims): with `scope=openid` alone, no email or profile claim is released; `sub` and monban's
/// own `roles` are.
#[tokio::test]
async fn oidcc_server() {
    let app = TestApp::builder().provider().spawn().await;
    let (id, userinfo) = claims_for_scope(&app, "openid").await;
    for claims in [&id, &userinfo] {
        assert_eq!(claims["sub"], "mock-ada");
        assert!(claims["roles"].is_array());
        for absent in [
            "email",
            "email_verified",
            "name",
            "given_name",
            "picture",
            "locale",
        ] {
            assert!(claims.get(absent).is_none(), "{absent} in {claims}");
        }
    }
}

/// `oidcc-scope-email`: `scope=openid email` releases `email` and `email_verified`, and no
/// profile claim.
#[tokio::test]
async fn oidcc_scope_email() {
    let app = TestApp::builder().provider().spawn().await;
    let (id, userinfo) = claims_for_scope(&app, "openid+email").await;
    for claims in [&id, &userinfo] {
        assert_eq!(claims["email"], "ada@lab.example.org");
        assert_eq!(claims["email_verified"], true);
        assert!(claims.get("name").is_none(), "{claims}");
    }
}

/// `oidcc-scope-profile`: `scope=openid profile` releases the profile claims Google gave
/// (`name`, `given_name`, `family_name`, `locale`), and not the address.
#[tokio::test]
async fn oidcc_scope_profile() {
    let app = TestApp::builder().provider().spawn().await;
    let (id, userinfo) = claims_for_scope(&app, "openid+profile").await;
    for claims in [&id, &userinfo] {
        assert_eq!(claims["name"], "Ada Lovelace");
        assert_eq!(claims["given_name"], "Ada");
        assert_eq!(claims["family_name"], "Lovelace");
        assert_eq!(claims["locale"], "en");
        assert!(claims.get("email").is_none(), "{claims}");
    }
}

/// `oidcc-ensure-redirect-uri-in-authorization-request`: without `redirect_uri` (required by OIDC
/// Core §3.1.2.1), monban shows an error page saying so, and sends nobody anywhere, even for a
/// client that registered a single URI.
#[tokio::test]
async fn oidcc_ensure_redirect_uri_in_authorization_request() {
    let app = TestApp::builder().provider().spawn().await;
    app.login_as("ada").await;
    let (url, _) = app.authorize_url("strict", "");
    let without = url.replace(
        &format!("&redirect_uri={CLIENT_ORIGIN}/strict/callback"),
        "",
    );
    assert!(!without.contains("redirect_uri"), "{without}");
    let response = app.get_url(&without).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().get(LOCATION).is_none());
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("redirect_uri is missing")
    );
}
