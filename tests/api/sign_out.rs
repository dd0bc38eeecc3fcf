//! Logout signs out the person it names, and only them (RP-Initiated Logout 1.0 §6): a hint of
//! another sign-in, or a form that is not monban's own, gets the confirmation page and the
//! session survives; the confirmation page's button still signs out.

use reqwest::StatusCode;

use crate::helpers::{CLIENT_ORIGIN, TestApp, hidden_fields, location};

fn signed_in(page: &str) -> bool {
    page.contains("You are signed in")
}

/// The sealed proof in a page's sign-out form.
fn proof(page: &str) -> String {
    hidden_fields(page)
        .into_iter()
        .find(|(k, _)| k == "confirm")
        .unwrap()
        .1
}

async fn home(app: &TestApp) -> String {
    app.get("/").await.text().await.unwrap()
}

#[tokio::test]
async fn a_hint_of_another_sign_in_asks_first_and_only_monbans_own_form_signs_out() {
    let app = TestApp::builder().provider().spawn().await;
    // grace's ID token, and one of ada's earlier sign-in (another sid): hints of other sign-ins.
    let graces = app.tokens_for("grace").await["id_token"]
        .as_str()
        .unwrap()
        .to_string();
    let graces_proof = proof(&home(&app).await);
    app.sign_out().await;
    let adas_earlier = app.tokens_for("ada").await["id_token"]
        .as_str()
        .unwrap()
        .to_string();
    app.sign_out().await;
    let adas = app.tokens_for("ada").await["id_token"]
        .as_str()
        .unwrap()
        .to_string();
    let wiki_out = format!("{CLIENT_ORIGIN}/wiki/signed-out");
    for hint in [&graces, &adas_earlier] {
        let asked = app
            .get(&format!(
                "/logout?id_token_hint={hint}&post_logout_redirect_uri={wiki_out}"
            ))
            .await;
        assert_eq!(asked.status(), StatusCode::OK);
        let page = asked.text().await.unwrap();
        assert!(page.contains("Sign out?"), "{page}");
        // The page returns to the hint's client once confirmed.
        let fields = hidden_fields(&page);
        assert!(
            fields.contains(&("client_id".into(), "wiki".into())),
            "{fields:?}"
        );
        assert!(
            signed_in(&home(&app).await),
            "a foreign hint signed ada out"
        );
    }
    // A no-referrer form on a sibling host: Origin null, same-site; with or without a hint of
    // someone else, with the proof of another session (the attacker's own), or a tampered one.
    let adas_proof = proof(&home(&app).await);
    let mut tampered = adas_proof.clone();
    tampered.pop();
    tampered.push(if adas_proof.ends_with('A') { 'B' } else { 'A' });
    for form in [
        vec![("client_id", "wiki")],
        vec![("id_token_hint", graces.as_str())],
        vec![("confirm", graces_proof.as_str())],
        vec![("confirm", tampered.as_str())],
    ] {
        let forged = app
            .client
            .post(format!("{}/logout", app.address))
            .header("origin", "null")
            .header("sec-fetch-site", "same-site")
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), StatusCode::OK, "{form:?}");
        assert!(forged.text().await.unwrap().contains("Sign out?"));
        assert!(signed_in(&home(&app).await), "{form:?} signed ada out");
    }
    // ada's own hint: at once, back to the client.
    let out = app
        .get(&format!(
            "/logout?id_token_hint={adas}&post_logout_redirect_uri={wiki_out}"
        ))
        .await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&out).path(), "/wiki/signed-out");
    assert!(!signed_in(&home(&app).await));

    // And the confirmation page's button still signs out, back to the hint's client.
    app.tokens_for("ada").await;
    let page = app
        .get(&format!(
            "/logout?id_token_hint={graces}&post_logout_redirect_uri={wiki_out}"
        ))
        .await
        .text()
        .await
        .unwrap();
    let pressed = app.press_sign_out(&page, &[]).await;
    assert_eq!(pressed.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&pressed).path(), "/wiki/signed-out");
    assert!(!signed_in(&home(&app).await));
}
