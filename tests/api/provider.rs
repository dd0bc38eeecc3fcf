//! monban as the provider of sibling services, driven by a standard relying-party library (the
//! `openidconnect` crate) and by hand for every bad input.

use openidconnect::core::{CoreClient, CoreProviderMetadata, CoreUserInfoClaims};
use openidconnect::{
    AccessTokenHash, AuthenticationFlow, AuthorizationCode, ClientId, ClientSecret, CsrfToken,
    IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, RefreshToken, Scope,
    TokenResponse,
};
use reqwest::{StatusCode, Url};
use serde_json::{Value, json};

use crate::helpers::{CLIENT_ORIGIN, TestApp, WIKI_SECRET, location, param};

fn rp_http() -> openidconnect::reqwest::Client {
    openidconnect::reqwest::Client::builder()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_standard_relying_party_signs_in_refreshes_and_reads_userinfo() {
    let app = TestApp::builder().provider().spawn().await;
    let http = rp_http();
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(app.issuer.clone()).unwrap(), &http)
            .await
            .unwrap();
    let rp = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new("wiki".into()),
        Some(ClientSecret::new(WIKI_SECRET.into())),
    )
    .set_redirect_uri(RedirectUrl::new(format!("{CLIENT_ORIGIN}/wiki/callback")).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf, nonce) = rp
        .authorize_url(
            AuthenticationFlow::<openidconnect::core::CoreResponseType>::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();

    let back = app.follow_to_client(url.as_str(), "ada").await;
    assert_eq!(
        param(&back, "state").as_deref(),
        Some(csrf.secret().as_str())
    );
    assert_eq!(param(&back, "iss").as_deref(), Some(app.issuer.as_str()));
    let code = param(&back, "code").unwrap();

    let response = rp
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .unwrap();
    let id_token = response.id_token().unwrap();
    let verifier = rp.id_token_verifier();
    let claims = id_token.claims(&verifier, &nonce).unwrap();
    assert_eq!(claims.email().unwrap().as_str(), "ada@lab.example.org");
    let expected_hash = AccessTokenHash::from_token(
        response.access_token(),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(claims.access_token_hash(), Some(&expected_hash));

    let access = response.access_token().secret().clone();
    let header = jsonwebtoken::decode_header(&access).unwrap();
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));

    let info: CoreUserInfoClaims = rp
        .user_info(response.access_token().clone(), None)
        .unwrap()
        .request_async(&http)
        .await
        .unwrap();
    assert_eq!(info.subject(), claims.subject());
    assert_eq!(info.email().unwrap().as_str(), "ada@lab.example.org");

    let refreshed = rp
        .exchange_refresh_token(&RefreshToken::new(
            response.refresh_token().unwrap().secret().clone(),
        ))
        .unwrap()
        .request_async(&http)
        .await
        .unwrap();
    let again = refreshed
        .id_token()
        .unwrap()
        .claims(&rp.id_token_verifier(), |_: Option<&Nonce>| Ok(()))
        .unwrap();
    assert_eq!(again.subject(), claims.subject(), "sub is stable");
}

#[tokio::test]
async fn single_sign_on_sends_the_second_client_straight_back_with_a_code() {
    let app = TestApp::builder().provider().spawn().await;
    app.code_for("wiki", "grace").await;
    // Google goes away: single sign-on must not need it.
    app.mock.as_ref().unwrap().stop().await;
    // Logged in already: /authorize for the SPA answers with its redirect, no detour via Google.
    let (url, verifier) = app.authorize_url("spa", "");
    let response = app.get_url(&url).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let back = location(&response);
    assert!(
        back.as_str()
            .starts_with(&format!("{CLIENT_ORIGIN}/spa/callback"))
    );
    // The public client redeems with PKCE and no secret.
    let code = param(&back, "code").unwrap();
    let response = app
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &format!("{CLIENT_ORIGIN}/spa/callback")),
            ("code_verifier", &verifier),
            ("client_id", "spa"),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    // The SPA calls /userinfo from its own origin: CORS preflight allows the Bearer header.
    let preflight = app
        .client
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/userinfo", app.address),
        )
        .header("Origin", "https://spa.example.org")
        .header("Access-Control-Request-Method", "GET")
        .header("Access-Control-Request-Headers", "authorization")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), StatusCode::OK);
    assert!(
        preflight
            .headers()
            .contains_key("access-control-allow-origin")
    );
}

#[tokio::test]
async fn every_step_can_land_on_a_different_instance_even_across_a_restart() {
    let a = TestApp::builder().provider().spawn().await;
    let b = a.spawn_sibling().await;
    let c = a.spawn_sibling().await;
    let (url, verifier) = a.authorize_url("wiki", "");
    // authorize on A, login on B, callback on C, authorize again on A.
    let step = a.get_url(&a.here(&Url::parse(&url).unwrap())).await;
    let login = a.sign_in_link(step).await;
    let step = b.get_url(&b.here(&login)).await;
    let upstream = location(&step);
    let callback = a.choose_user(&upstream, "ada").await;
    let step = c.get_url(&c.here(&callback)).await;
    assert_eq!(step.status(), StatusCode::SEE_OTHER);
    let back_to_authorize = location(&step);
    a.stop().await;
    let d = b.spawn_sibling().await;
    let step = d.get_url(&d.here(&back_to_authorize)).await;
    let code = param(&location(&step), "code").unwrap();
    // token on B, userinfo on C, refresh on D.
    let tokens: Value = b.redeem(&code, &verifier).await.json().await.unwrap();
    let access = tokens["access_token"].as_str().unwrap();
    let info = c
        .client
        .get(format!("{}/userinfo", c.address))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(info.status(), StatusCode::OK);
    let refreshed = d
        .refresh("wiki", tokens["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!(refreshed.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_unregistered_redirect_uri_gets_a_page_and_no_redirect() {
    let app = TestApp::builder().provider().spawn().await;
    let response = app
        .get("/authorize?response_type=code&client_id=wiki&redirect_uri=https://evil.example/cb&scope=openid")
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().get("location").is_none());
    assert!(response.text().await.unwrap().contains("not registered"));
    let response = app.get("/authorize?client_id=nobody&scope=openid").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().get("location").is_none());
}

#[tokio::test]
async fn public_clients_without_s256_pkce_are_sent_back_with_an_error() {
    let app = TestApp::builder().provider().spawn().await;
    for extra in [
        "",
        "&code_challenge=abcdefghijklmnopqrstuvwxyzabcdefghijklmnopq&code_challenge_method=plain",
    ] {
        let response = app
            .get(&format!(
                "/authorize?response_type=code&client_id=spa&redirect_uri={CLIENT_ORIGIN}/spa/callback&scope=openid&state=s{extra}"
            ))
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let back = location(&response);
        assert_eq!(param(&back, "error").as_deref(), Some("invalid_request"));
        assert_eq!(param(&back, "state").as_deref(), Some("s"));
        assert!(param(&back, "code").is_none());
    }
}

#[tokio::test]
async fn prompt_none_without_a_session_is_login_required() {
    let app = TestApp::builder().provider().spawn().await;
    let (url, _) = app.authorize_url("wiki", "&prompt=none");
    let back = location(&app.get_url(&url).await);
    assert_eq!(param(&back, "error").as_deref(), Some("login_required"));
}

async fn assert_invalid_grant(response: reqwest::Response) {
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant", "{body}");
    assert!(body.get("access_token").is_none());
}

#[tokio::test]
async fn bad_codes_are_refused_without_a_token() {
    let app = TestApp::builder().provider().spawn().await;
    let (code, verifier) = app.code_for("wiki", "ada").await;
    assert_invalid_grant(
        app.redeem(&code, "a-wrong-verifier-a-wrong-verifier-a-wrong-ver")
            .await,
    )
    .await;
    let mut tampered = code.clone().into_bytes();
    let i = tampered.len() / 2;
    tampered[i] = if tampered[i] == b'A' { b'B' } else { b'A' };
    assert_invalid_grant(
        app.redeem(&String::from_utf8(tampered).unwrap(), &verifier)
            .await,
    )
    .await;
    // The same code at another redirect URI, or redeemed by another client.
    let other_redirect = app
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &format!("{CLIENT_ORIGIN}/spa/callback")),
            ("code_verifier", &verifier),
            ("client_id", "wiki"),
            ("client_secret", WIKI_SECRET),
        ])
        .await;
    assert_invalid_grant(other_redirect).await;
    let other_client = app
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &format!("{CLIENT_ORIGIN}/wiki/callback")),
            ("code_verifier", &verifier),
            ("client_id", "spa"),
        ])
        .await;
    assert_invalid_grant(other_client).await;
    // An expired code, sealed as this deployment would have 61 s ago.
    let sealer = app.sealer();
    let expired = sealer.seal(monban::session::seal::Purpose::Code, &json!({}), 1);
    assert_invalid_grant(app.redeem(&expired, &verifier).await).await;
    // Values sealed for other purposes (a refresh token, a session cookie) are not codes.
    let tokens: Value = app.redeem(&code, &verifier).await.json().await.unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    assert_invalid_grant(app.redeem(refresh, &verifier).await).await;
    let session_as_code = sealer.seal(
        monban::session::seal::Purpose::Session,
        &json!({}),
        u64::MAX / 2,
    );
    assert_invalid_grant(app.redeem(&session_as_code, &verifier).await).await;
}

#[tokio::test]
async fn a_wrong_client_secret_is_401_with_www_authenticate() {
    let app = TestApp::builder().provider().spawn().await;
    let (code, verifier) = app.code_for("wiki", "ada").await;
    let response = app
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &format!("{CLIENT_ORIGIN}/wiki/callback")),
            ("code_verifier", &verifier),
            ("client_id", "wiki"),
            ("client_secret", "guess"),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers().contains_key("www-authenticate"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
}

#[tokio::test]
async fn refresh_tokens_are_refused_when_tampered_or_the_user_was_removed() {
    let app = TestApp::builder().provider().spawn().await;
    let tokens = app.tokens_for("grace").await;
    let refresh = tokens["refresh_token"].as_str().unwrap().to_string();
    let form = |t: String| {
        vec![
            ("grant_type", "refresh_token".to_string()),
            ("refresh_token", t),
            ("client_id", "wiki".to_string()),
            ("client_secret", WIKI_SECRET.to_string()),
        ]
    };
    let send = |app: &TestApp, f: Vec<(&'static str, String)>| {
        app.client
            .post(format!("{}/token", app.address))
            .form(&f)
            .send()
    };
    let mut tampered = refresh.clone().into_bytes();
    let last = tampered.len() - 2;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    assert_invalid_grant(
        send(&app, form(String::from_utf8(tampered).unwrap()))
            .await
            .unwrap(),
    )
    .await;
    // Grace is removed from the allow-list: the next refresh fails.
    let stricter = app
        .spawn_sibling_with(&[("MONBAN_ALLOWED_DOMAINS", "other.example.org")])
        .await;
    assert_invalid_grant(send(&stricter, form(refresh.clone())).await.unwrap()).await;
    assert_eq!(
        send(&app, form(refresh)).await.unwrap().status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn userinfo_refuses_every_token_that_is_not_a_valid_access_token() {
    let app = TestApp::builder().provider().spawn().await;
    let tokens = app.tokens_for("ada").await;
    let userinfo = |token: String| {
        app.client
            .get(format!("{}/userinfo", app.address))
            .bearer_auth(token)
            .send()
    };
    assert_eq!(
        userinfo(tokens["access_token"].as_str().unwrap().into())
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let minted = app.tokens();
    let kid = minted.keys().active().kid.clone();
    let b64 = |v: Value| {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let claims = json!({"iss": app.issuer, "sub": "x", "aud": "wiki", "exp": 4_000_000_000u64,
        "email": "x@lab.example.org", "email_verified": true, "client_id": "wiki",
        "scope": "openid", "iat": 1, "jti": "j"});
    let none = format!(
        "{}.{}.",
        b64(json!({"alg": "none", "typ": "at+jwt", "kid": kid})),
        b64(claims.clone())
    );
    let mut hs_header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    hs_header.kid = Some(kid);
    hs_header.typ = Some("at+jwt".into());
    let public = serde_json::to_vec(&app.jwks().await).unwrap();
    let hs = jsonwebtoken::encode(
        &hs_header,
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(&public),
    )
    .unwrap();
    let mut expired_claims = claims.clone();
    expired_claims["exp"] = 1.into();
    let expired = minted.mint("at+jwt", &expired_claims).unwrap();
    let mut foreign = claims.clone();
    foreign["iss"] = "https://evil.example".into();
    let foreign = minted.mint("at+jwt", &foreign).unwrap();
    let id_token = tokens["id_token"].as_str().unwrap().to_string();
    for bad in [none, hs, expired, foreign, id_token, "garbage".to_string()] {
        let response = userinfo(bad).await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let challenge = response.headers()["www-authenticate"].to_str().unwrap();
        assert!(
            challenge.starts_with("Bearer") && challenge.contains("invalid_token"),
            "{challenge}"
        );
    }
    let missing = app
        .client
        .get(format!("{}/userinfo", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn rp_initiated_logout_returns_only_to_registered_addresses() {
    let app = TestApp::builder().provider().spawn().await;
    let tokens = app.tokens_for("ada").await;
    let id_token = tokens["id_token"].as_str().unwrap();
    let response = app
        .get(&format!(
            "/logout?id_token_hint={id_token}&post_logout_redirect_uri={CLIENT_ORIGIN}/wiki/signed-out&state=bye"
        ))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let back = location(&response);
    assert_eq!(back.path(), "/wiki/signed-out");
    assert_eq!(param(&back, "state").as_deref(), Some("bye"));
    let page = app.get("/").await.text().await.unwrap();
    assert!(page.contains("Sign in with Google"));
    let refused = app
        .get("/logout?client_id=wiki&post_logout_redirect_uri=https://evil.example/")
        .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn an_outsider_refused_on_behalf_of_a_client_is_told_which_application_asked() {
    let app = TestApp::builder().provider().spawn().await;
    let (url, _) = app.authorize_url("wiki", "");
    let to_login = app.sign_in_link(app.get_url(&url).await).await;
    let to_google = location(&app.get_url(to_login.as_str()).await);
    let callback = app.choose_user(&to_google, "mallory").await;
    let response = app.get_url(&app.here(&callback)).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("mallory@outsider.example") && page.contains("Lab Wiki"),
        "{page}"
    );
}
