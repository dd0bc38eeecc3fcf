//! The actix-web extractor: 200 with claims, 401 with a challenge, 403 for a missing role.

mod common;

use actix_web::{App, HttpResponse, test, web};
use monban::keys::KeyAlg;
use monban_verify::Verifier;
use monban_verify::actix::{AuthError, Verified};
use serde_json::json;

use common::{keygen, start};

async fn me(user: Verified) -> HttpResponse {
    HttpResponse::Ok().body(user.0.sub)
}

async fn admin(user: Verified) -> Result<HttpResponse, AuthError> {
    user.require_role("admin")?;
    Ok(HttpResponse::Ok().finish())
}

async fn wiki_editor(user: Verified) -> Result<HttpResponse, AuthError> {
    user.require_scope("wiki:edit")?;
    Ok(HttpResponse::Ok().finish())
}

#[actix_web::test]
async fn the_extractor_answers_200_401_and_403_as_rfc_6750_says() {
    let dir = tempfile::tempdir().unwrap();
    keygen(dir.path(), KeyAlg::EdDsa, 0);
    let monban = start(dir.path(), 0);
    let verifier = Verifier::discover(&monban.issuer, "wiki").await.unwrap();
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(verifier))
            .route("/me", web::get().to(me))
            .route("/admin", web::get().to(admin))
            .route("/edit", web::get().to(wiki_editor)),
    )
    .await;
    let call = |path: &str, token: Option<String>| {
        let mut req = test::TestRequest::get().uri(path);
        if let Some(t) = token {
            req = req.insert_header(("Authorization", format!("Bearer {t}")));
        }
        req.to_request()
    };
    let admin_token = monban.access_token("wiki", json!({}));
    let member_token = monban.access_token("wiki", json!({"roles": []}));

    let ok = test::call_service(&app, call("/me", Some(admin_token.clone()))).await;
    assert_eq!(ok.status(), 200);
    assert_eq!(test::read_body(ok).await, "mock-ada");

    let missing = test::call_service(&app, call("/me", None)).await;
    assert_eq!(missing.status(), 401);
    assert_eq!(missing.headers().get("www-authenticate").unwrap(), "Bearer");

    let bad = test::call_service(&app, call("/me", Some("garbage".into()))).await;
    assert_eq!(bad.status(), 401);
    let challenge = bad
        .headers()
        .get("www-authenticate")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(challenge.contains("invalid_token"), "{challenge}");

    assert_eq!(
        test::call_service(&app, call("/admin", Some(admin_token.clone())))
            .await
            .status(),
        200
    );
    let forbidden = test::call_service(&app, call("/admin", Some(member_token))).await;
    assert_eq!(forbidden.status(), 403);
    assert!(
        forbidden
            .headers()
            .get("www-authenticate")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("insufficient_scope")
    );
    assert_eq!(
        test::call_service(&app, call("/edit", Some(admin_token)))
            .await
            .status(),
        403
    );
}
