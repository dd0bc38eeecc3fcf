//! Introspection (RFC 7662): for the few calls where a service must be sure now. Active only when
//! the token verifies and the running configuration still admits its subject.

use monban::keys::KeyStore;
use monban::tokens::Tokens;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, WIKI_SECRET, claims_of};

/// `wiki` asks `app` about `token`.
async fn introspect(app: &TestApp, token: &str) -> Value {
    let response = app
        .client
        .post(format!("{}/introspect", app.address))
        .basic_auth("wiki", Some(WIKI_SECRET))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers().get("cache-control").unwrap(), "no-store");
    response.json().await.unwrap()
}

fn rfc3339(secs: u64) -> String {
    humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
        .to_string()
}

#[tokio::test]
async fn a_good_token_is_active_with_todays_roles() {
    let app = TestApp::builder().provider().spawn().await;
    let discovery = app.discovery().await;
    assert_eq!(
        discovery["introspection_endpoint"],
        format!("{}/introspect", app.issuer)
    );
    let tokens = app.tokens_for("ada").await;
    let answer = introspect(&app, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(answer["active"], true, "{answer}");
    assert_eq!(answer["sub"], "mock-ada");
    assert_eq!(answer["client_id"], "wiki");
    assert_eq!(answer["roles"], json!(["admin"]));
    assert_eq!(answer["token_type"], "Bearer");
    // A service's own token: active while the client is configured for it.
    let own = app.service_token().await;
    let answer = introspect(&app, &own).await;
    assert_eq!(
        (answer["active"].as_bool(), answer["sub"].as_str()),
        (Some(true), Some("reports"))
    );
}

#[tokio::test]
async fn a_token_the_configuration_no_longer_admits_is_inactive() {
    let app = TestApp::builder().provider().spawn().await;
    let tokens = app.tokens_for("ada").await;
    let access = tokens["access_token"].as_str().unwrap();
    let inactive = json!({ "active": false });
    // An ID token, garbage, another issuer's token (signed with the same keys).
    assert_eq!(
        introspect(&app, tokens["id_token"].as_str().unwrap()).await,
        inactive
    );
    assert_eq!(introspect(&app, "not-a-token").await, inactive);
    let keys = KeyStore::load(&app.config()).unwrap();
    let forged = Tokens::new(keys, "https://other.example.org")
        .mint(
            "at+jwt",
            &json!({"iss": "https://other.example.org", "sub": "mock-ada",
                                 "aud": "wiki", "exp": monban::clock::unix_now() + 60}),
        )
        .unwrap();
    assert_eq!(introspect(&app, &forged).await, inactive);
    // The user removed, a role taken away, or signed out by the administrator.
    let auth_time = claims_of(access)["auth_time"].as_u64().unwrap();
    let sign_out = format!("ada@lab.example.org={}", rfc3339(auth_time + 1));
    let later: [&[(&str, &str)]; 3] = [
        &[
            ("MONBAN_ALLOWED_DOMAINS", "other.example.org"),
            ("MONBAN_ROLES__ADMIN", "grace@lab.example.org"),
        ],
        &[("MONBAN_ROLES__ADMIN", "grace@lab.example.org")],
        &[("MONBAN_SIGN_OUTS", &sign_out)],
    ];
    for change in later {
        let sibling = app.spawn_sibling_with(change).await;
        assert_eq!(introspect(&sibling, access).await, inactive, "{change:?}");
    }
}

#[tokio::test]
async fn only_clients_that_authenticate_may_ask() {
    let app = TestApp::builder().provider().spawn().await;
    let tokens = app.tokens_for("ada").await;
    let access = tokens["access_token"].as_str().unwrap();
    let ask = |form: Vec<(&'static str, String)>, basic: Option<(&'static str, &'static str)>| {
        let mut request = app
            .client
            .post(format!("{}/introspect", app.address))
            .form(&form);
        if let Some((id, secret)) = basic {
            request = request.basic_auth(id, Some(secret));
        }
        request.send()
    };
    let token = || vec![("token", access.to_string())];
    let mut public = token();
    public.push(("client_id", "spa".into()));
    for (form, basic) in [
        (token(), None),
        (token(), Some(("wiki", "wrong"))),
        (public, None),
    ] {
        let response = ask(form, basic).await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_client", "{body}");
        assert!(body.get("active").is_none());
    }
    let missing = ask(vec![], Some(("wiki", WIKI_SECRET))).await.unwrap();
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn every_path_that_answers_for_a_person_re_admits_them() {
    let app = TestApp::builder().provider().spawn().await;
    let tokens = app.tokens_for("ada").await;
    let access = tokens["access_token"].as_str().unwrap().to_string();
    let userinfo = |instance: &TestApp| {
        instance
            .client
            .get(format!("{}/userinfo", instance.address))
            .bearer_auth(&access)
            .send()
    };
    let before: Value = userinfo(&app).await.unwrap().json().await.unwrap();
    assert_eq!(before["roles"], json!(["admin"]));

    // An instance running a configuration that took ada's role away: today's roles, everywhere.
    let demoted = app
        .spawn_sibling_with(&[("MONBAN_ROLES__ADMIN", "grace@lab.example.org")])
        .await;
    let now: Value = userinfo(&demoted).await.unwrap().json().await.unwrap();
    assert_eq!(now["roles"], json!([]), "{now}");
    let page = demoted.get("/").await.text().await.unwrap();
    assert!(
        page.contains("You are signed in") && !page.contains("Roles:"),
        "{page}"
    );

    // One that removed ada from the allow-list: signed out on the home page, 401 at /userinfo.
    let removed = app
        .spawn_sibling_with(&[
            ("MONBAN_ALLOWED_DOMAINS", "other.example.org"),
            ("MONBAN_ROLES__ADMIN", "grace@lab.example.org"),
        ])
        .await;
    let refused = userinfo(&removed).await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert!(
        refused.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
    let page = removed.get("/").await.text().await.unwrap();
    assert!(!page.contains("You are signed in"), "{page}");
    assert!(page.contains("Sign in with Google"), "{page}");
}
