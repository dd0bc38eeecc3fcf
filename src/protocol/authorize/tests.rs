//! `/authorize`'s unit tests: parsing, and the decisions it leads to.

use super::*;
use crate::config::fixtures::{clients, load};

fn config() -> Config {
    load(&[("MONBAN_ALLOWED_DOMAINS", "lab.example.org")])
}

fn query(client: &str, redirect: &str) -> AuthorizeQuery {
    AuthorizeQuery {
        client_id: Some(client.into()),
        redirect_uri: Some(redirect.into()),
        response_type: Some("code".into()),
        scope: Some("openid email".into()),
        state: Some("s".into()),
        code_challenge: Some("a".repeat(43)),
        code_challenge_method: Some("S256".into()),
        ..Default::default()
    }
}

#[test]
fn unknown_clients_and_unregistered_redirects_are_never_redirected_to() {
    let c = clients();
    let e = AuthorizeRequest::parse(&query("nope", "https://wiki.example.org/cb"), &c, &[]);
    assert!(matches!(e, Err(AuthorizeError::NoRedirect(_))));
    let e = AuthorizeRequest::parse(&query("wiki", "https://evil.example/cb"), &c, &[]);
    assert!(matches!(e, Err(AuthorizeError::NoRedirect(_))));
    assert!(
        AuthorizeRequest::parse(&query("wiki", "https://wiki.example.org/cb"), &c, &[]).is_ok()
    );
}

#[test]
fn public_clients_must_use_s256() {
    let c = clients();
    let mut q = query("spa", "https://spa.example.org/cb");
    q.code_challenge = None;
    assert!(matches!(
        AuthorizeRequest::parse(&q, &c, &[]),
        Err(AuthorizeError::Redirect(r)) if matches!(r.error, OAuthError::InvalidRequest(_))
    ));
    let mut q = query("spa", "https://spa.example.org/cb");
    q.code_challenge_method = Some("plain".into());
    assert!(AuthorizeRequest::parse(&q, &c, &[]).is_err());
}

#[test]
fn a_session_answers_with_a_code_and_prompt_none_without_one_with_login_required() {
    let c = clients();
    let sealer = Sealer::new("https://login.example.org", [b"k".as_slice()]);
    let request =
        AuthorizeRequest::parse(&query("wiki", "https://wiki.example.org/cb"), &c, &[]).unwrap();
    let session = Session {
        hosted_domain: Some("lab.example.org".into()),
        ..Session::ada(100)
    };
    let Outcome::Code(url, None) = request.decide(Some(&session), "", &sealer, &config(), 200)
    else {
        panic!("a session suffices");
    };
    let keys: Vec<String> = url.query_pairs().map(|(k, _)| k.into_owned()).collect();
    assert_eq!(keys, ["code", "iss", "state"]);
    let raw = "client_id=wiki&prompt=none&scope=openid";
    assert!(matches!(
        request.decide(None, raw, &sealer, &config(), 200),
        Outcome::SignIn(path) if path.starts_with("/login?return_to=")
            && !path.contains("prompt%3Dnone")
    ));
    let mut none = query("wiki", "https://wiki.example.org/cb");
    none.prompt = Some("none".into());
    let request = AuthorizeRequest::parse(&none, &c, &[]).unwrap();
    let Outcome::ToClient(url) = request.decide(None, "", &sealer, &config(), 200) else {
        panic!("prompt=none never signs in");
    };
    assert!(url.query().unwrap().starts_with("error=login_required"));
}
