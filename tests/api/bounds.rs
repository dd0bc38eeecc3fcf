//! The bounds statelessness must still keep (docs/security.md, "What statelessness costs"): what
//! would be a database row elsewhere is a check here, each tested across instances.

use monban::config::generate_session_secret;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{CLIENT_ORIGIN, TestApp, WIKI_SECRET, claims_of, location, logged, param};

#[tokio::test]
async fn seals_of_one_issuer_open_nowhere_else_even_with_the_same_keys_and_secret() {
    let secret = generate_session_secret();
    let production = TestApp::builder()
        .provider()
        .env(&[("MONBAN_SESSION_SECRETS", &secret)])
        .spawn()
        .await;
    let tokens = production.tokens_for("ada").await;
    let (code, verifier) = production.code_for("wiki", "ada").await;
    // Staging: the same keys dir and secret, another issuer; the same browser.
    let staging = production
        .spawn_sibling_with(&[("MONBAN_ISSUER", "http://127.0.0.1:2")])
        .await;

    let home = staging.get("/").await.text().await.unwrap();
    assert!(home.contains("Sign in with Google"), "the session opened");
    let redeemed = staging.redeem(&code, &verifier).await;
    assert_eq!(redeemed.status(), StatusCode::BAD_REQUEST);
    let body: Value = redeemed.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    let body = refresh(&staging, "wiki", tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(body["error"], "invalid_grant", "{body}");
    // Production itself still opens them all.
    let home = production.get("/").await.text().await.unwrap();
    assert!(home.contains("Ada Lovelace"));
}

#[tokio::test]
async fn a_confidential_client_configured_for_pkce_cannot_skip_it() {
    let app = TestApp::builder().provider().spawn().await;
    let without = |client: &str| {
        format!(
            "/authorize?response_type=code&client_id={client}&redirect_uri={CLIENT_ORIGIN}/{client}/callback\
             &scope=openid&state=st"
        )
    };
    let refused = app.get(&without("strict")).await;
    assert_eq!(refused.status(), StatusCode::SEE_OTHER);
    let back = location(&refused);
    assert_eq!(param(&back, "error").as_deref(), Some("invalid_request"));
    assert!(param(&back, "error_description").unwrap().contains("PKCE"));
    assert_eq!(param(&back, "code"), None);
    // A confidential client without the setting may still skip it, and `strict` with PKCE signs in.
    let wiki = app.get(&without("wiki")).await;
    assert_eq!(
        wiki.status(),
        StatusCode::OK,
        "Sign in to wiki, not an error"
    );
    let (code, _) = app.code_for("strict", "ada").await;
    assert!(!code.is_empty());
}

#[tokio::test]
async fn the_request_log_names_the_address_the_rate_limit_counts_not_a_forged_one() {
    let app = TestApp::builder()
        .env(&[("MONBAN_TRUSTED_PROXY_HOPS", "1")])
        .spawn()
        .await;
    // The client wrote the left entry; the proxy (one trusted hop) appended the right one.
    let response = app
        .client
        .get(format!("{}/healthz", app.address))
        .header("x-forwarded-for", "198.51.100.77, 203.0.113.77")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(logged("http.remoteIp=\"203.0.113.77\"") || logged("http.remoteIp=203.0.113.77"));
    assert!(!logged("198.51.100.77"), "the forged entry was logged");
}

/// The claims of a JWT, unverified (the tests only read what monban wrote).
#[tokio::test]
async fn todays_configuration_decides_every_code_and_its_roles() {
    let monday = TestApp::builder().provider().spawn().await;
    let tokens = monday.tokens_for("ada").await;
    assert_eq!(
        claims_of(tokens["access_token"].as_str().unwrap())["roles"],
        json!(["admin"])
    );
    let (old_code, old_verifier) = monday.code_for("wiki", "ada").await;

    // Tuesday's instances: the admin role moved to grace; ada's session (the same browser) is
    // still valid, but her next code carries today's roles.
    let tuesday = monday
        .spawn_sibling_with(&[("MONBAN_ROLES__ADMIN", "grace@lab.example.org")])
        .await;
    let (url, verifier) = tuesday.authorize_url("wiki", "");
    let back = tuesday
        .follow_to_client(&url.replace(&monday.issuer, &tuesday.address), "ada")
        .await;
    let code = param(&back, "code").expect("single sign-on still works");
    let tokens: Value = tuesday.redeem(&code, &verifier).await.json().await.unwrap();
    assert_eq!(
        claims_of(tokens["access_token"].as_str().unwrap())["roles"],
        json!([])
    );

    // Wednesday's: ada is on no list any more. Her session gets no code (access_denied at the
    // client), and a code issued on Monday is not redeemed.
    let wednesday = monday
        .spawn_sibling_with(&[
            ("MONBAN_ALLOWED_DOMAINS", "other.example.org"),
            ("MONBAN_ROLES__ADMIN", "grace@lab.example.org"),
        ])
        .await;
    let (url, _) = wednesday.authorize_url("wiki", "");
    let refused = wednesday
        .get_url(&url.replace(&monday.issuer, &wednesday.address))
        .await;
    assert_eq!(refused.status(), StatusCode::SEE_OTHER);
    let back = location(&refused);
    assert_eq!(back.origin().ascii_serialization(), CLIENT_ORIGIN);
    assert_eq!(param(&back, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(&back, "code"), None);
    let late = wednesday.redeem(&old_code, &old_verifier).await;
    let body: Value = late.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant", "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("no longer allowed")
    );
}

#[tokio::test]
async fn only_the_scopes_monban_grants_reach_a_token_and_a_refresh_never_widens_them() {
    let app = TestApp::builder().provider().spawn().await;
    // wiki may have inventory:read (its allowed_scopes) but not inventory:write.
    let (url, verifier) = app.authorize_url("wiki", "");
    let url = url.replace(
        "scope=openid+email",
        "scope=openid+inventory%3Awrite+inventory%3Aread+email",
    );
    let back = app.follow_to_client(&url, "ada").await;
    let code = param(&back, "code").unwrap();
    let tokens: Value = app.redeem(&code, &verifier).await.json().await.unwrap();
    assert_eq!(tokens["scope"], "openid inventory:read email");
    let access = claims_of(tokens["access_token"].as_str().unwrap());
    assert_eq!(access["scope"], "openid inventory:read email");

    let refresh = tokens["refresh_token"].as_str().unwrap();
    let browser = &app;
    let refresh_with = |scope: &'static str| async move {
        browser
            .token(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh),
                ("client_id", "wiki"),
                ("client_secret", WIKI_SECRET),
                ("scope", scope),
            ])
            .await
    };
    let wider: Value = refresh_with("openid inventory:write")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(wider["error"], "invalid_scope", "{wider}");
    assert!(wider.get("access_token").is_none());
    let narrower: Value = refresh_with("openid").await.json().await.unwrap();
    assert_eq!(narrower["scope"], "openid");
    assert_eq!(
        claims_of(narrower["access_token"].as_str().unwrap())["scope"],
        "openid"
    );
    // The new refresh token keeps the original grant (RFC 6749 §6).
    let again: Value = app
        .refresh("wiki", narrower["refresh_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["scope"], "openid inventory:read email");
}

const DAY: u64 = 24 * 3600;

/// A refresh of `token` by `client`, as JSON.
async fn refresh(app: &TestApp, client: &str, token: &str) -> Value {
    app.refresh(client, token).await.json().await.unwrap()
}

#[tokio::test]
async fn a_refresh_chain_ends_a_month_after_the_sign_in_however_often_it_refreshes() {
    let app = TestApp::builder().provider().manual_clock().spawn().await;
    let mut token = app.tokens_for("ada").await["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    // Used every 13 days (within the 14-day idle lifetime), it renews itself, until the 30th day.
    for _ in 0..2 {
        app.advance_clock(13 * DAY);
        let refreshed = refresh(&app, "wiki", &token).await;
        token = refreshed["refresh_token"]
            .as_str()
            .expect("renews")
            .to_string();
    }
    app.advance_clock(4 * DAY + 1);
    let ended = refresh(&app, "wiki", &token).await;
    assert_eq!(ended["error"], "invalid_grant", "{ended}");
    assert!(ended.get("access_token").is_none());

    // Left unused for more than the idle lifetime, a young chain ends too.
    let app = TestApp::builder().provider().manual_clock().spawn().await;
    let token = app.tokens_for("ada").await["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    app.advance_clock(14 * DAY + 1);
    let idle = refresh(&app, "wiki", &token).await;
    assert_eq!(idle["error"], "invalid_grant", "{idle}");
    assert!(
        idle["error_description"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
}

#[tokio::test]
async fn a_public_clients_refresh_chain_ends_with_the_session() {
    let app = TestApp::builder().provider().manual_clock().spawn().await;
    let (code, verifier) = app.code_for("spa", "ada").await;
    let spa_cb = format!("{CLIENT_ORIGIN}/spa/callback");
    let tokens: Value = app
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &spa_cb),
            ("code_verifier", &verifier),
            ("client_id", "spa"),
        ])
        .await
        .json()
        .await
        .unwrap();
    let token = tokens["refresh_token"].as_str().unwrap();
    app.advance_clock(11 * 3600);
    assert!(refresh(&app, "spa", token).await["access_token"].is_string());
    // The SSO session lasts 12 hours (session_ttl_secs); so does a public client's chain.
    app.advance_clock(3600 + 1);
    let ended = refresh(&app, "spa", token).await;
    assert_eq!(ended["error"], "invalid_grant", "{ended}");
}

/// `secs` since the epoch as RFC 3339, as an admin writes it.
fn rfc3339(secs: u64) -> String {
    humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
        .to_string()
}

#[tokio::test]
async fn the_admins_sign_out_switch_voids_every_older_sign_in_everywhere_monban_checks() {
    let before = TestApp::builder().provider().spawn().await;
    let tokens = before.tokens_for("ada").await;
    let access = tokens["access_token"].as_str().unwrap().to_string();
    let refresh_token = tokens["refresh_token"].as_str().unwrap().to_string();
    let auth_time = claims_of(&access)["auth_time"].as_u64().unwrap();
    let (code, verifier) = before.code_for("wiki", "ada").await;

    // The admin signs ada out as of a second after she signed in.
    let cutoff = rfc3339(auth_time + 1);
    let after = before
        .spawn_sibling_with(&[("MONBAN_SIGN_OUTS", &format!("ada@lab.example.org={cutoff}"))])
        .await;
    let home = after.get("/").await.text().await.unwrap();
    assert!(
        home.contains("Sign in with Google"),
        "the SSO session still opened"
    );
    let (url, _) = after.authorize_url("wiki", "");
    let sso = after
        .get_url(&url.replace(&before.issuer, &after.address))
        .await;
    assert!(
        after.sign_in_link(sso).await.path().starts_with("/login"),
        "a code without a new sign-in"
    );
    let redeemed: Value = after.redeem(&code, &verifier).await.json().await.unwrap();
    assert_eq!(redeemed["error"], "invalid_grant", "{redeemed}");
    let refreshed = refresh(&after, "wiki", &refresh_token).await;
    assert_eq!(refreshed["error"], "invalid_grant", "{refreshed}");
    assert!(
        refreshed["error_description"]
            .as_str()
            .unwrap()
            .contains("signed this sign-in out")
    );
    // Each refusal is an audit entry the admin can query.
    for via in ["code", "refresh_token"] {
        assert!(logged(&format!(
            r#"event="revocation.hit" via="{via}" reason="signed_out" email="ada@lab.example.org""#
        )));
    }
    let userinfo = after
        .client
        .get(format!("{}/userinfo", after.address))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo.status(), StatusCode::UNAUTHORIZED);

    // The switch for everyone works the same; where neither is set, the same token still refreshes.
    let everyone = before
        .spawn_sibling_with(&[("MONBAN_SIGN_OUT_BEFORE", &cutoff)])
        .await;
    let refreshed = refresh(&everyone, "wiki", &refresh_token).await;
    assert_eq!(refreshed["error"], "invalid_grant", "{refreshed}");
    let untouched = refresh(&before, "wiki", &refresh_token).await;
    assert!(untouched["access_token"].is_string(), "{untouched}");
}

#[tokio::test]
async fn max_age_sends_an_old_session_back_to_google_and_auth_time_comes_from_google() {
    let app = TestApp::builder().provider().manual_clock().spawn().await;
    assert_eq!(app.login_as("ada").await.status(), StatusCode::SEE_OTHER);
    // Ten minutes later a client asks for an authentication at most a minute old.
    app.advance_clock(600);
    let (url, _) = app.authorize_url("wiki", "&max_age=60");
    let to_login = app.sign_in_link(app.get_url(&url).await).await;
    assert_eq!(to_login.path(), "/login", "the old session sufficed");
    assert_eq!(param(&to_login, "max_age").as_deref(), Some("60"));
    let to_google = location(&app.get_url(to_login.as_str()).await);
    assert_eq!(
        param(&to_google, "max_age").as_deref(),
        Some("60"),
        "{to_google}"
    );
    // Google re-authenticates and says when; the session takes Google's time, not the callback's
    // (this instance's clock runs ten minutes ahead of the mock's).
    let callback = app.choose_user(&to_google, "ada").await;
    assert_eq!(
        app.get_url(&app.here(&callback)).await.status(),
        StatusCode::SEE_OTHER
    );
    let tokens = app.tokens_for("ada").await;
    let id = claims_of(tokens["id_token"].as_str().unwrap());
    let issued = id["iat"].as_u64().unwrap();
    let auth_time = id["auth_time"].as_u64().unwrap();
    assert!(
        issued - auth_time >= 590,
        "auth_time {auth_time} is the callback's, iat {issued}"
    );
    // prompt=login sends the user to Google whatever the session's age, asking for a sign-in.
    let (url, _) = app.authorize_url("wiki", "&prompt=login");
    let to_login = app.sign_in_link(app.get_url(&url).await).await;
    let to_google = location(&app.get_url(to_login.as_str()).await);
    assert_eq!(param(&to_google, "prompt").as_deref(), Some("login"));
}

#[tokio::test]
async fn a_lab_address_on_a_personal_google_account_gets_in_only_by_name() {
    let app = TestApp::builder().provider().spawn().await;
    // paul@lab.example.org signs in with a personal Google account: no `hd`.
    let refused = app.login_as("paul").await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("paul@lab.example.org")
    );
    // Listed by name, he is in; and an upstream trusted for email domains (no `hd` at all)
    // admits by the domain.
    let listed = app
        .spawn_sibling_with(&[("MONBAN_ALLOWED_EMAILS", "paul@lab.example.org")])
        .await;
    assert_eq!(
        listed.login_as("paul").await.status(),
        StatusCode::SEE_OTHER
    );
    let trusting = app
        .spawn_sibling_with(&[("MONBAN_UPSTREAM__TRUST_EMAIL_DOMAIN", "true")])
        .await;
    assert_eq!(
        trusting.login_as("paul").await.status(),
        StatusCode::SEE_OTHER
    );
    // The Workspace members (hd = lab.example.org) are in as before.
    assert_eq!(app.login_as("grace").await.status(), StatusCode::SEE_OTHER);
}

fn signed_in(page: &str) -> bool {
    page.contains("You are signed in")
}

#[tokio::test]
async fn a_sign_out_that_cannot_say_who_asks_is_confirmed_first_and_still_signs_out() {
    let app = TestApp::builder().provider().spawn().await;
    assert_eq!(app.login_as("ada").await.status(), StatusCode::SEE_OTHER);
    let wiki_out = format!("{CLIENT_ORIGIN}/wiki/signed-out");
    // Neither id_token_hint nor client_id, as relying parties that drop the ID token send it.
    let asked = app
        .get(&format!(
            "/logout?post_logout_redirect_uri={wiki_out}&state=bye"
        ))
        .await;
    assert_eq!(asked.status(), StatusCode::OK);
    let page = asked.text().await.unwrap();
    assert!(
        page.contains("Sign out?") && page.contains(r#"<form method="post" action="/logout">"#)
    );
    assert!(
        signed_in(&app.get("/").await.text().await.unwrap()),
        "signed out without asking"
    );
    // The same parameters posted by any other form ask again.
    let elsewhere = app
        .client
        .post(format!("{}/logout", app.address))
        .form(&[
            ("post_logout_redirect_uri", wiki_out.as_str()),
            ("state", "bye"),
        ])
        .send()
        .await
        .unwrap();
    assert!(elsewhere.text().await.unwrap().contains("Sign out?"));
    assert!(signed_in(&app.get("/").await.text().await.unwrap()));
    // The person confirms: the page's form posts the same parameters back. A request that named
    // no client is never sent to the URI (RP-Initiated Logout §3); monban's signed-out page offers
    // a link back to the one client that registered it.
    let confirmed = app.press_sign_out(&page, &[]).await;
    assert_eq!(confirmed.status(), StatusCode::OK);
    let signed_out = confirmed.text().await.unwrap();
    assert!(
        signed_out.contains(&format!(r#"href="{wiki_out}?state=bye""#))
            && signed_out.contains("Back to Lab Wiki"),
        "{signed_out}"
    );
    assert!(!signed_in(&app.get("/").await.text().await.unwrap()));

    // A URI registered by two clients proves nothing: the signed-out page instead.
    assert_eq!(app.login_as("ada").await.status(), StatusCode::SEE_OTHER);
    let shared = app
        .sign_out_with(&[(
            "post_logout_redirect_uri",
            &format!("{CLIENT_ORIGIN}/shared/signed-out"),
        )])
        .await;
    assert_eq!(location(&shared).path(), "/");
    assert!(!signed_in(&app.get("/").await.text().await.unwrap()));
}

#[tokio::test]
async fn a_hinted_sign_out_is_immediate_and_a_disagreeing_or_foreign_one_is_refused() {
    let app = TestApp::builder().provider().spawn().await;
    let tokens = app.tokens_for("ada").await;
    let hint = tokens["id_token"].as_str().unwrap();
    // client_id disagreeing with the hint's aud (wiki).
    let disagreeing = app
        .get(&format!("/logout?id_token_hint={hint}&client_id=spa"))
        .await;
    assert_eq!(disagreeing.status(), StatusCode::BAD_REQUEST);
    assert!(
        disagreeing
            .text()
            .await
            .unwrap()
            .contains("two different applications")
    );
    // A POST that the browser marks as coming from another site.
    let forged = app
        .client
        .post(format!("{}/logout", app.address))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::BAD_REQUEST);
    assert!(signed_in(&app.get("/").await.text().await.unwrap()));
    // With the hint: at once, back to the client.
    let out = app
        .get(&format!(
            "/logout?id_token_hint={hint}&post_logout_redirect_uri={CLIENT_ORIGIN}/wiki/signed-out"
        ))
        .await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&out).path(), "/wiki/signed-out");
    assert!(!signed_in(&app.get("/").await.text().await.unwrap()));
}
