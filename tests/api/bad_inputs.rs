//! The catalogue of bad inputs in docs/security.md, one labelled case each (`A01`, `T07`, ...):
//! every one gets a 4xx with a clear message and no credential, or, at `/authorize` once the
//! client and redirect URI are known good, the RFC 6749 error redirect without a code. Cases that
//! other tests already cover are cited in the table by those tests' names; the last test here
//! checks that the table and the tests agree.

use std::collections::BTreeSet;

use monban::clock::unix_now;
use monban::session::seal::{Purpose, Sealer};
use reqwest::{StatusCode, Url};
use serde_json::{Value, json};

use crate::helpers::{CLIENT_ORIGIN, TestApp, WIKI_SECRET, location, param};
use monban::dev::mock_upstream::Fault;
use monban::keys::KeyAlg;

/// A refusal: the status, words that say what is wrong, no redirect, no credential, no session.
async fn refused(id: &str, response: reqwest::Response, status: u16, says: &str) {
    assert_eq!(response.status().as_u16(), status, "{id}");
    assert!(
        response.headers().get("location").is_none(),
        "{id}: redirects"
    );
    for cookie in response.headers().get_all("set-cookie") {
        let cookie = cookie.to_str().unwrap();
        assert!(
            !cookie.contains("monban_session=") || cookie.contains("monban_session=;"),
            "{id}: sets a session"
        );
    }
    let body = response.text().await.unwrap();
    for credential in ["\"access_token\"", "\"id_token\"", "\"refresh_token\""] {
        assert!(!body.contains(credential), "{id}: {body}");
    }
    assert!(
        body.to_lowercase().contains(&says.to_lowercase()),
        "{id}: {says:?} not in {body}"
    );
}

/// RFC 6749 §4.1.2.1: the client and redirect URI are good, so the error goes back to the client,
/// with no code.
fn sent_back(id: &str, response: &reqwest::Response, error: &str) -> Url {
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{id}");
    let target = location(response);
    assert_eq!(target.origin().ascii_serialization(), CLIENT_ORIGIN, "{id}");
    assert_eq!(param(&target, "error").as_deref(), Some(error), "{id}");
    assert_eq!(param(&target, "code"), None, "{id}");
    target
}

fn authorize(app: &TestApp, query: &str) -> String {
    format!("{}/authorize?{query}", app.address)
}

#[tokio::test]
async fn authorize_requests() {
    let app = &TestApp::builder().provider().spawn().await;
    let wiki = |extra: &str| {
        authorize(
            app,
            &format!(
                "client_id=wiki&redirect_uri={CLIENT_ORIGIN}/wiki/callback&scope=openid&response_type=code{extra}"
            ),
        )
    };
    let get = |url: String| async move { app.get_url(&url).await };

    refused(
        "A01",
        get(authorize(app, "scope=openid")).await,
        400,
        "which application",
    )
    .await;
    refused(
        "A02",
        get(authorize(app, "client_id=evil")).await,
        400,
        "not registered",
    )
    .await;
    for (id, uri) in [
        ("A03", "http://127.0.0.1:90/wiki/callback"),
        ("A04", "http://127.0.0.1:9/wiki/callbackx"),
        ("A05", "http://127.0.0.1:9@evil.example/wiki/callback"),
        (
            "A06",
            "http://127.0.0.1:9/wiki/callback?next=https://evil.example",
        ),
        ("A07", "http://127.0.0.1:9/wiki/callback/"),
        ("A08", "http://127.0.0.1:9/spa/callback"),
        ("A09", "http://127.0.0.1:9/w%69ki/callback%2F..%2F..%2Fevil"),
        ("A10", "http://xn--12-yqa.0.0.1:9/wiki/callback"),
    ] {
        let url = authorize(
            app,
            &format!(
                "client_id=wiki&scope=openid&response_type=code&redirect_uri={}",
                urlencode(uri)
            ),
        );
        refused(id, get(url).await, 400, "has not registered").await;
    }
    let r = get(wiki("").replace("response_type=code", "response_type=token")).await;
    sent_back("A11", &r, "unsupported_response_type");
    sent_back(
        "A12",
        &get(wiki("").replace("scope=openid", "scope=email")).await,
        "invalid_scope",
    );
    let spa = authorize(
        app,
        &format!(
            "client_id=spa&redirect_uri={CLIENT_ORIGIN}/spa/callback&scope=openid&response_type=code"
        ),
    );
    sent_back("A13", &get(spa).await, "invalid_request");
    let plain = wiki(
        "&code_challenge=abcdefghijabcdefghijabcdefghijabcdefghij0123&code_challenge_method=plain",
    );
    sent_back("A14", &get(plain).await, "invalid_request");
    let short = wiki("&code_challenge=short&code_challenge_method=S256");
    sent_back("A15", &get(short).await, "invalid_request");
    sent_back("A16", &get(wiki("&max_age=soon")).await, "invalid_request");
    // Header injection through `state`: it comes back percent-encoded inside Location, and no
    // header or cookie of the attacker's appears.
    let injected = "x\r\nSet-Cookie: pwned=1";
    let r = get(wiki(&format!("&prompt=none&state={}", urlencode(injected)))).await;
    let back = sent_back("A17", &r, "login_required");
    assert_eq!(param(&back, "state").as_deref(), Some(injected));
    assert!(r.headers()["location"].to_str().unwrap().contains("%0D%0A"));
    assert!(
        r.headers()
            .get_all("set-cookie")
            .iter()
            .all(|c| !c.to_str().unwrap().contains("pwned"))
    );
    let twice = authorize(
        app,
        "client_id=wiki&client_id=spa&scope=openid&response_type=code",
    );
    refused("A18", get(twice).await, 400, "duplicate field").await;
}

#[tokio::test]
async fn login_and_callback_requests() {
    let app = TestApp::builder().mock_google(Fault::None).spawn().await;
    // Open redirects after sign-in: a return_to that is not a local path is dropped.
    for (id, target) in [
        ("L01", "https://evil.example/"),
        ("L02", "//evil.example/"),
        ("L03", "/\\evil.example"),
    ] {
        let to_google = app
            .begin_login(&format!("?return_to={}", urlencode(target)))
            .await;
        let callback = app.choose_user(&to_google, "ada").await;
        let done = app.get_url(&app.here(&callback)).await;
        assert_eq!(done.status(), StatusCode::SEE_OTHER, "{id}");
        assert_eq!(done.headers()["location"], "/", "{id}");
    }
    refused("L04", app.get("/callback?code=c").await, 400, "not valid").await;
    let injected = format!(
        "/callback?code=c&state={}",
        urlencode("x\r\nSet-Cookie: pwned=1")
    );
    refused("L05", app.get(&injected).await, 400, "not valid").await;
    // Purpose confusion: a genuine sealed session (or code) is not a login state.
    let sealer = app.sealer();
    for (id, purpose) in [
        ("L06", Purpose::Session),
        ("L07", Purpose::Code),
        ("L08", Purpose::RefreshToken),
    ] {
        let sealed = sealer.seal(purpose, &json!({}), unix_now() + 600);
        let url = format!("/callback?code=c&state={sealed}");
        refused(id, app.get(&url).await, 400, "not valid").await;
    }
    // A genuine state, but the user cancelled at Google, or the code is not Google's.
    let to_google = app.begin_login("").await;
    let state = param(&to_google, "state").unwrap();
    let cancelled = format!("/callback?error=access_denied&state={state}");
    refused("L09", app.get(&cancelled).await, 400, "cancel").await;
    let forged = format!("/callback?code=forged-code&state={state}");
    refused("L10", app.get(&forged).await, 400, "Google").await;
}

/// A provider and a fresh code of `wiki`'s: what every `/token` case starts from.
struct TokenCase {
    app: TestApp,
    code: String,
    verifier: String,
}

impl TokenCase {
    async fn new() -> Self {
        let app = TestApp::builder().provider().spawn().await;
        let (code, verifier) = app.code_for("wiki", "ada").await;
        Self {
            app,
            code,
            verifier,
        }
    }

    /// `wiki`'s authorization-code form with its credentials (no code yet), `extra` winning.
    fn wiki(&self, extra: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
        let wiki_cb = format!("{CLIENT_ORIGIN}/wiki/callback");
        let base = [
            ("grant_type", "authorization_code"),
            ("redirect_uri", wiki_cb.as_str()),
            ("client_id", "wiki"),
            ("client_secret", WIKI_SECRET),
        ];
        form(&base, extra)
    }

    /// `wiki`'s form for redeeming `code` with the right verifier.
    fn with_code(&self, code: &str) -> Vec<(&'static str, String)> {
        self.wiki(&[("code_verifier", &self.verifier), ("code", code)])
    }

    /// A refresh-token form of `client` (with `wiki`'s secret when it is `wiki`).
    fn refresh(&self, token: &str, client: &'static str) -> Vec<(&'static str, String)> {
        let mut f = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", token),
            ("client_id", client),
        ];
        if client == "wiki" {
            f.push(("client_secret", WIKI_SECRET));
        }
        form(&f, &[])
    }

    async fn post(&self, form: Vec<(&'static str, String)>) -> reqwest::Response {
        self.app
            .token(
                &form
                    .iter()
                    .map(|(k, v)| (*k, v.as_str()))
                    .collect::<Vec<_>>(),
            )
            .await
    }

    /// One good redemption: the access, ID and refresh tokens the misuse cases present.
    async fn redeemed(&self) -> (String, String, String) {
        let tokens: Value = self
            .app
            .redeem(&self.code, &self.verifier)
            .await
            .json()
            .await
            .unwrap();
        let take = |k: &str| tokens[k].as_str().unwrap().to_string();
        (
            take("access_token"),
            take("id_token"),
            take("refresh_token"),
        )
    }
}

#[tokio::test]
async fn a_token_request_without_a_supported_grant_type_is_refused() {
    let case = TokenCase::new().await;
    let no_grant = [
        ("code", case.code.as_str()),
        ("client_id", "wiki"),
        ("client_secret", WIKI_SECRET),
    ];
    refused(
        "T01",
        case.app.token(&no_grant).await,
        400,
        "grant_type is missing",
    )
    .await;
    let password = case.wiki(&[("grant_type", "password")]);
    refused(
        "T02",
        case.post(password).await,
        400,
        "unsupported_grant_type",
    )
    .await;
    let credentials = case.wiki(&[("grant_type", "client_credentials")]);
    refused(
        "T03",
        case.post(credentials).await,
        400,
        "unauthorized_client",
    )
    .await;
}

#[tokio::test]
async fn a_client_that_does_not_authenticate_gets_401() {
    let case = TokenCase::new().await;
    let unknown = case.wiki(&[("client_id", "evil"), ("code", &case.code)]);
    refused("T04", case.post(unknown).await, 401, "invalid_client").await;
    let mut no_secret = case.wiki(&[("code", &case.code)]);
    no_secret.retain(|(k, _)| *k != "client_secret");
    refused("T05", case.post(no_secret).await, 401, "invalid_client").await;
    let garbage_basic = case
        .app
        .client
        .post(format!("{}/token", case.app.address))
        .header("authorization", "Basic !!!not-base64")
        .form(&[("grant_type", "authorization_code"), ("code", &case.code)])
        .send()
        .await
        .unwrap();
    refused("T06", garbage_basic, 401, "invalid_client").await;
}

#[tokio::test]
async fn a_code_request_with_a_parameter_twice_or_missing_is_invalid_request() {
    let case = TokenCase::new().await;
    let twice = case
        .app
        .client
        .post(format!("{}/token", case.app.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "grant_type=authorization_code&code={}&code=other",
            case.code
        ))
        .send()
        .await
        .unwrap();
    refused("T07", twice, 400, "invalid_request").await;
    refused(
        "T08",
        case.post(case.wiki(&[])).await,
        400,
        "code is missing",
    )
    .await;
    let no_verifier = case.wiki(&[("code", &case.code)]);
    refused(
        "T09",
        case.post(no_verifier).await,
        400,
        "code_verifier is missing",
    )
    .await;
}

#[tokio::test]
async fn a_code_cannot_be_redeemed_by_another_client() {
    let case = TokenCase::new().await;
    // The public client presents wiki's code and verifier.
    let wiki_cb = format!("{CLIENT_ORIGIN}/wiki/callback");
    let as_spa = form(
        &[
            ("grant_type", "authorization_code"),
            ("code", &case.code),
            ("redirect_uri", &wiki_cb),
            ("code_verifier", &case.verifier),
            ("client_id", "spa"),
        ],
        &[],
    );
    refused("T10", case.post(as_spa).await, 400, "another client").await;
}

#[tokio::test]
async fn no_token_of_another_kind_is_accepted_as_a_code() {
    let case = TokenCase::new().await;
    let (access, id_token, refresh) = case.redeemed().await;
    refused(
        "T11",
        case.post(case.with_code(&access)).await,
        400,
        "invalid_grant",
    )
    .await;
    refused(
        "T12",
        case.post(case.with_code(&id_token)).await,
        400,
        "invalid_grant",
    )
    .await;
    refused(
        "T13",
        case.post(case.with_code(&refresh)).await,
        400,
        "invalid_grant",
    )
    .await;
}

#[tokio::test]
async fn a_refresh_needs_a_refresh_token_of_this_client_and_this_deployment() {
    let case = TokenCase::new().await;
    let (_, id_token, refresh) = case.redeemed().await;
    let code_as_refresh = case.refresh(&case.code, "wiki");
    refused(
        "T14",
        case.post(code_as_refresh).await,
        400,
        "invalid_grant",
    )
    .await;
    let id_as_refresh = case.refresh(&id_token, "wiki");
    refused("T15", case.post(id_as_refresh).await, 400, "invalid_grant").await;
    let as_spa = case.refresh(&refresh, "spa");
    refused("T16", case.post(as_spa).await, 400, "another client").await;
    let mut missing = case.refresh(&refresh, "wiki");
    missing.retain(|(k, _)| *k != "refresh_token");
    refused(
        "T17",
        case.post(missing).await,
        400,
        "refresh_token is missing",
    )
    .await;
    // A refresh token sealed by another deployment (another secret) opens nowhere else.
    let foreign = Sealer::new(
        &case.app.issuer,
        [b"another deployment's secret, 32+ chars".as_slice()],
    )
    .seal(Purpose::RefreshToken, &json!({}), unix_now() + 600);
    refused(
        "T18",
        case.post(case.refresh(&foreign, "wiki")).await,
        400,
        "invalid_grant",
    )
    .await;
}

#[tokio::test]
async fn userinfo_requests() {
    let app = TestApp::builder().provider().spawn().await;
    let tokens = app.tokens_for("ada").await;
    let access = tokens["access_token"].as_str().unwrap().to_string();
    let bearer = |t: String| {
        app.client
            .get(format!("{}/userinfo", app.address))
            .bearer_auth(t)
            .send()
    };
    let basic = app
        .client
        .get(format!("{}/userinfo", app.address))
        .basic_auth("wiki", Some(WIKI_SECRET))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), StatusCode::UNAUTHORIZED, "U01");
    assert!(
        basic.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    let in_query = app.get(&format!("/userinfo?access_token={access}")).await;
    assert_eq!(in_query.status(), StatusCode::UNAUTHORIZED, "U02");
    // The right key, another algorithm in the header: refused before any signature check.
    let (head, rest) = access.split_once('.').unwrap();
    let mut header: Value = serde_json::from_slice(&b64d(head)).unwrap();
    header["alg"] = "RS512".into();
    let swapped = format!("{}.{rest}", b64e(&header));
    refused("U03", bearer(swapped).await.unwrap(), 401, "algorithm").await;
    // Signed by a key of another deployment that reuses the kid.
    let kid = app.tokens().keys().active().kid.clone();
    let foreign_pem = monban::keys::generate_pem(KeyAlg::Rs256).unwrap();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some(kid);
    header.typ = Some("at+jwt".into());
    let claims: Value = serde_json::from_slice(&b64d(rest.split_once('.').unwrap().0)).unwrap();
    let forged = jsonwebtoken::encode(
        &header,
        &claims,
        &jsonwebtoken::EncodingKey::from_rsa_pem(foreign_pem.as_bytes()).unwrap(),
    )
    .unwrap();
    refused("U04", bearer(forged).await.unwrap(), 401, "signature").await;
    // The expiry boundary: monban checks its own tokens with no leeway; a token expiring in a
    // few seconds still works, one whose `exp` is now does not.
    let mut near = claims.clone();
    near["exp"] = (unix_now() + 5).into();
    let near = app.tokens().mint("at+jwt", &near).unwrap();
    assert_eq!(bearer(near).await.unwrap().status(), StatusCode::OK, "U05");
    let mut just_expired = claims.clone();
    just_expired["exp"] = unix_now().into();
    let just_expired = app.tokens().mint("at+jwt", &just_expired).unwrap();
    refused("U06", bearer(just_expired).await.unwrap(), 401, "expired").await;
}

#[tokio::test]
async fn logout_requests() {
    let app = TestApp::builder().provider().spawn().await;
    // An ID token hint forged by another deployment does not vouch for a redirect.
    let other = TestApp::builder().key(KeyAlg::Rs256).spawn().await;
    let hint = other
        .tokens()
        .mint(
            "JWT",
            &json!({"iss": app.issuer, "aud": "wiki", "exp": unix_now() + 600}),
        )
        .unwrap();
    let url = format!(
        "/logout?id_token_hint={hint}&post_logout_redirect_uri={}",
        urlencode(&format!("{CLIENT_ORIGIN}/wiki/signed-out"))
    );
    refused("O01", app.get(&url).await, 400, "cannot be followed").await;
    let open = format!(
        "/logout?client_id=wiki&post_logout_redirect_uri={}",
        urlencode("https://evil.example/")
    );
    refused("O02", app.get(&open).await, 400, "cannot be followed").await;
}

/// Every case id the table in docs/security.md lists is exercised here, or the test it cites
/// exists; every case exercised here is in the table.
#[test]
fn the_security_table_and_the_tests_agree() {
    let root = env!("CARGO_MANIFEST_DIR");
    let doc = std::fs::read_to_string(format!("{root}/docs/security.md")).unwrap();
    let here = include_str!("bad_inputs.rs");
    let mut sources = String::new();
    let mut dirs: Vec<std::path::PathBuf> = [
        "tests/api",
        "src",
        "monban-verify/tests",
        "monban-verify/src",
    ]
    .iter()
    .map(|dir| format!("{root}/{dir}").into())
    .collect();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                sources.push_str(&std::fs::read_to_string(path).unwrap());
            }
        }
    }
    let mut listed = BTreeSet::new();
    for row in doc
        .lines()
        .filter(|l| l.starts_with("| ") && l.ends_with(" |"))
    {
        let cells: Vec<&str> = row
            .split(" | ")
            .map(|c| c.trim_matches(['|', ' ']))
            .collect();
        let (id, test) = (cells[0], cells[cells.len() - 1]);
        if id.len() != 3 || !id.as_bytes()[1].is_ascii_digit() {
            continue;
        }
        listed.insert(id.to_string());
        let test = test.trim_matches('`');
        if test == "bad_inputs" {
            assert!(
                here.contains(&format!("\"{id}\"")),
                "{id} is not exercised here"
            );
        } else {
            assert!(
                sources.contains(&format!("fn {test}(")),
                "{id}: no test {test}"
            );
        }
    }
    assert!(listed.len() >= 40, "only {} cases", listed.len());
    let exercised: BTreeSet<String> = here
        .match_indices('"')
        .filter_map(|(i, _)| here.get(i + 1..i + 5))
        .filter(|s| {
            let b = s.as_bytes();
            b[3] == b'"' && b[0].is_ascii_uppercase() && b[1..3].iter().all(u8::is_ascii_digit)
        })
        .map(|s| s[..3].to_string())
        .collect();
    for id in &exercised {
        assert!(
            listed.contains(id),
            "{id} is tested but not in docs/security.md"
        );
    }
}

/// `base` with `extra` replacing or adding fields.
fn form(
    base: &[(&'static str, &str)],
    extra: &[(&'static str, &str)],
) -> Vec<(&'static str, String)> {
    let mut form: Vec<(&'static str, String)> = base
        .iter()
        .filter(|(k, _)| !extra.iter().any(|(e, _)| e == k))
        .map(|(k, v)| (*k, v.to_string()))
        .collect();
    form.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
    form
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn b64d(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .unwrap()
}

fn b64e(v: &Value) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
}
