//! `/token` (RFC 6749 §3.2, §4.1.3, §6): the form as received, parsed once into a
//! [`TokenRequest`]: an authenticated client and one [`Grant`]. Nothing downstream looks at the raw
//! form again.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;

use super::client_assertion::{ASSERTION_TYPE, claimed_client};
use super::error::OAuthError;
use super::exchange::{Exchange, TOKEN_EXCHANGE};
use crate::config::{AuthMethod, Client, GrantType, Secret};

/// `/token` form parameters as received. Codes, verifiers, refresh tokens and secrets redact
/// themselves in `Debug`.
#[derive(Debug, Default, Deserialize)]
pub struct TokenForm {
    /// `authorization_code` or `refresh_token`.
    pub grant_type: Option<String>,
    /// The code.
    pub code: Option<Secret>,
    /// Must equal the one of `/authorize`.
    pub redirect_uri: Option<String>,
    /// The PKCE verifier.
    pub code_verifier: Option<Secret>,
    /// The refresh token.
    pub refresh_token: Option<Secret>,
    /// `client_secret_post` or public clients.
    pub client_id: Option<String>,
    /// `client_secret_post`.
    pub client_secret: Option<Secret>,
    /// `private_key_jwt`: must be [`ASSERTION_TYPE`].
    pub client_assertion_type: Option<String>,
    /// `private_key_jwt`: the signed JWT.
    pub client_assertion: Option<Secret>,
    /// A narrower scope for a refresh; the scopes a client credentials request asks for.
    pub scope: Option<String>,
    /// The API the token is for (RFC 8707).
    pub resource: Option<String>,
    /// Token exchange: the user's access token.
    pub subject_token: Option<Secret>,
    /// Token exchange: its type.
    pub subject_token_type: Option<String>,
    /// Token exchange: the type asked for.
    pub requested_token_type: Option<String>,
    /// Token exchange: the API, by its logical name.
    pub audience: Option<String>,
    /// Token exchange: an actor's token (refused: the client is the actor).
    pub actor_token: Option<Secret>,
}

/// What the client asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grant {
    /// `grant_type=authorization_code`.
    AuthorizationCode {
        /// The sealed code.
        code: Secret,
        /// As sent; must equal the one of `/authorize`.
        redirect_uri: Option<String>,
        /// The PKCE verifier, if sent.
        code_verifier: Option<Secret>,
        /// The API the token is for (RFC 8707), if named; must be the code's if it has one.
        resource: Option<String>,
    },
    /// `grant_type=refresh_token`.
    RefreshToken {
        /// The sealed refresh token.
        refresh_token: Secret,
        /// A narrower scope than the one granted, if asked.
        scope: Option<String>,
        /// The API the token is for (RFC 8707), if named; must be the grant's if it has one.
        resource: Option<String>,
    },
    /// `grant_type=client_credentials` (RFC 6749 §4.4): the client acting as itself.
    ClientCredentials {
        /// The scopes asked for, if any.
        scope: Option<String>,
        /// The API the token is for (RFC 8707 `resource`), if named.
        resource: Option<String>,
    },
    /// Token exchange (RFC 8693): a service calling an API for its user.
    TokenExchange(Box<Exchange>),
}

impl Grant {
    /// The `grant_type` as the RFC spells it.
    pub fn name(&self) -> &'static str {
        match self {
            Grant::AuthorizationCode { .. } => "authorization_code",
            Grant::RefreshToken { .. } => "refresh_token",
            Grant::ClientCredentials { .. } => "client_credentials",
            Grant::TokenExchange(_) => TOKEN_EXCHANGE,
        }
    }

    fn grant_type(&self) -> GrantType {
        match self {
            Grant::AuthorizationCode { .. } => GrantType::AuthorizationCode,
            Grant::RefreshToken { .. } => GrantType::RefreshToken,
            Grant::ClientCredentials { .. } => GrantType::ClientCredentials,
            Grant::TokenExchange(_) => GrantType::TokenExchange,
        }
    }
}

/// A token request whose client is authenticated and whose grant is complete.
#[derive(Debug)]
pub struct TokenRequest<'c> {
    /// The registered client, authenticated.
    pub client: &'c Client,
    /// What it asks for.
    pub grant: Grant,
}

impl<'c> TokenRequest<'c> {
    /// Reads the grant of an authenticated client (see [`authenticate_client`]); it must be one
    /// of the client's `grant_types` (`unauthorized_client` otherwise).
    pub fn parse(client: &'c Client, form: &TokenForm) -> Result<Self, OAuthError> {
        let missing = |what: &str| OAuthError::InvalidRequest(format!("{what} is missing"));
        let grant = match form.grant_type.as_deref() {
            Some("authorization_code") => Grant::AuthorizationCode {
                code: form.code.clone().ok_or_else(|| missing("code"))?,
                redirect_uri: form.redirect_uri.clone(),
                code_verifier: form.code_verifier.clone(),
                resource: form.resource.clone(),
            },
            Some("refresh_token") => Grant::RefreshToken {
                refresh_token: form
                    .refresh_token
                    .clone()
                    .ok_or_else(|| missing("refresh_token"))?,
                scope: form.scope.clone(),
                resource: form.resource.clone(),
            },
            Some("client_credentials") => Grant::ClientCredentials {
                scope: form.scope.clone(),
                resource: form.resource.clone(),
            },
            Some(TOKEN_EXCHANGE) => Grant::TokenExchange(Box::new(Exchange {
                subject_token: form
                    .subject_token
                    .clone()
                    .ok_or_else(|| missing("subject_token"))?,
                subject_token_type: form.subject_token_type.clone(),
                requested_token_type: form.requested_token_type.clone(),
                resource: form.resource.clone(),
                audience: form.audience.clone(),
                scope: form.scope.clone(),
                actor_token: form.actor_token.is_some(),
            })),
            Some(other) => {
                return Err(OAuthError::UnsupportedGrantType(format!(
                    "grant_type {other} is not supported"
                )));
            }
            None => return Err(missing("grant_type")),
        };
        if !client.grant_types.contains(&grant.grant_type()) {
            return Err(OAuthError::UnauthorizedClient(format!(
                "client {} may not use grant_type {}",
                client.id,
                grant.name()
            )));
        }
        Ok(Self { client, grant })
    }
}

/// Client credentials as sent, and how: HTTP Basic (`client_secret_basic`, both parts
/// form-urlencoded per RFC 6749 §2.3.1) if present, else the form's `client_id` and
/// `client_secret` (`client_secret_post`), or a public client's bare `client_id` (`none`).
/// `None` if malformed or absent.
pub fn client_credentials(
    authorization: Option<&str>,
    form_id: Option<&str>,
    form_secret: Option<&str>,
) -> Option<(String, Option<String>, AuthMethod)> {
    match authorization.and_then(|h| h.strip_prefix("Basic ")) {
        Some(basic) => {
            let decoded = String::from_utf8(STANDARD.decode(basic.trim()).ok()?).ok()?;
            let (id, secret) = decoded.split_once(':')?;
            Some((
                form_decode(id),
                Some(form_decode(secret)),
                AuthMethod::ClientSecretBasic,
            ))
        }
        None => {
            let method = match form_secret {
                Some(_) => AuthMethod::ClientSecretPost,
                None => AuthMethod::None,
            };
            Some((
                form_id?.to_string(),
                form_secret.map(str::to_string),
                method,
            ))
        }
    }
}

/// Who the client is, as far as `/token` can tell without fetching keys.
#[derive(Debug)]
pub enum ClientAuth<'c> {
    /// Authenticated by its secret, or a public client that needs none.
    Authenticated(&'c Client),
    /// Claims to be `client` with a `private_key_jwt` assertion, not verified yet: verify it with
    /// the client's keys ([`super::client_assertion`]) before trusting `client`.
    Assertion {
        /// The client it claims to be.
        client: &'c Client,
        /// The JWT as sent.
        assertion: &'c Secret,
    },
}

/// Authenticates the client (see [`client_credentials`]); public clients send only `client_id`.
/// A client configured with a `token_endpoint_auth_method` must use exactly that one. Secrets are
/// compared in constant time. An assertion comes back to be verified
/// ([`ClientAuth::Assertion`]); sending one with a secret too is refused (RFC 6749 §2.3).
pub fn authenticate_client<'c>(
    authorization: Option<&str>,
    form: &'c TokenForm,
    clients: &'c [Client],
) -> Result<ClientAuth<'c>, OAuthError> {
    let bad = || OAuthError::InvalidClient("client authentication failed".into());
    if let Some(assertion) = &form.client_assertion {
        return assertion_client(authorization, form, assertion, clients);
    }
    if form.client_assertion_type.is_some() {
        return Err(OAuthError::InvalidRequest(
            "client_assertion_type without client_assertion".into(),
        ));
    }
    let (id, secret, method) = client_credentials(
        authorization,
        form.client_id.as_deref(),
        form.client_secret.as_ref().map(Secret::expose),
    )
    .ok_or_else(bad)?;
    let client = clients.iter().find(|c| c.id == id).ok_or_else(bad)?;
    if client.auth_method.is_some_and(|m| m != method) {
        return Err(bad());
    }
    match (&client.secret, secret) {
        (Some(expected), Some(given))
            if aws_lc_rs::constant_time::verify_slices_are_equal(
                expected.expose().as_bytes(),
                given.as_bytes(),
            )
            .is_ok() =>
        {
            Ok(client)
        }
        (None, None) => Ok(client),
        _ => Err(bad()),
    }
    .map(ClientAuth::Authenticated)
}

/// The client a `private_key_jwt` assertion claims to be: the form's `client_id`, else the
/// assertion's `sub` (RFC 7523 §3). It must be configured for that method.
fn assertion_client<'c>(
    authorization: Option<&str>,
    form: &TokenForm,
    assertion: &'c Secret,
    clients: &'c [Client],
) -> Result<ClientAuth<'c>, OAuthError> {
    if form.client_assertion_type.as_deref() != Some(ASSERTION_TYPE) {
        return Err(OAuthError::InvalidRequest(format!(
            "client_assertion_type must be {ASSERTION_TYPE}"
        )));
    }
    if authorization.is_some_and(|h| h.starts_with("Basic ")) || form.client_secret.is_some() {
        return Err(OAuthError::InvalidRequest(
            "use one way of authenticating the client, not a secret and an assertion".into(),
        ));
    }
    let id = form
        .client_id
        .clone()
        .or_else(|| claimed_client(assertion.expose()));
    let client = id
        .and_then(|id| clients.iter().find(|c| c.id == id))
        .filter(|c| c.auth_method == Some(AuthMethod::PrivateKeyJwt))
        .ok_or_else(|| OAuthError::InvalidClient("client authentication failed".into()))?;
    Ok(ClientAuth::Assertion { client, assertion })
}

fn form_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::fixtures::clients;

    fn form(id: &str, secret: Option<&str>) -> TokenForm {
        TokenForm {
            client_id: Some(id.into()),
            client_secret: secret.map(Secret::new),
            ..Default::default()
        }
    }

    #[test]
    fn client_secrets_are_checked() {
        let c = clients();
        assert!(authenticate_client(None, &form("wiki", Some("wiki-secret")), &c).is_ok());
        assert!(authenticate_client(None, &form("wiki", Some("wrong")), &c).is_err());
        assert!(authenticate_client(None, &form("wiki", None), &c).is_err());
        assert!(authenticate_client(None, &form("spa", None), &c).is_ok());
        let basic = format!("Basic {}", STANDARD.encode("wiki:wiki-secret"));
        assert!(authenticate_client(Some(&basic), &TokenForm::default(), &c).is_ok());
    }

    #[test]
    fn a_client_must_use_its_configured_method() {
        let mut c = clients();
        c[0].auth_method = Some(AuthMethod::ClientSecretPost);
        let basic = format!("Basic {}", STANDARD.encode("wiki:wiki-secret"));
        assert!(authenticate_client(Some(&basic), &TokenForm::default(), &c).is_err());
        assert!(authenticate_client(None, &form("wiki", Some("wiki-secret")), &c).is_ok());
        c[0].auth_method = Some(AuthMethod::ClientSecretBasic);
        assert!(authenticate_client(None, &form("wiki", Some("wiki-secret")), &c).is_err());
        assert!(authenticate_client(Some(&basic), &TokenForm::default(), &c).is_ok());
    }

    /// Authenticates as `/token` does (no assertion here), then reads the grant.
    fn parse<'c>(f: &'c TokenForm, c: &'c [Client]) -> Result<TokenRequest<'c>, OAuthError> {
        match authenticate_client(None, f, c)? {
            ClientAuth::Authenticated(client) => TokenRequest::parse(client, f),
            ClientAuth::Assertion { .. } => panic!("no assertion was sent"),
        }
    }

    #[test]
    fn an_assertion_is_handed_on_for_its_clients_keys() {
        let mut c = clients();
        c[0].auth_method = Some(AuthMethod::PrivateKeyJwt);
        // header.{"sub":"wiki"}.signature: the claimed client, still to be verified.
        let jwt = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ3aWtpIn0.c2ln";
        let mut f = TokenForm {
            client_assertion_type: Some(ASSERTION_TYPE.into()),
            client_assertion: Some(Secret::new(jwt)),
            ..Default::default()
        };
        match authenticate_client(None, &f, &c).unwrap() {
            ClientAuth::Assertion { client, assertion } => {
                assert_eq!(client.id, "wiki");
                assert_eq!(assertion.expose(), jwt);
            }
            other => panic!("{other:?}"),
        }
        // A client not configured for private_key_jwt cannot use it.
        f.client_id = Some("spa".into());
        assert!(matches!(
            authenticate_client(None, &f, &c),
            Err(OAuthError::InvalidClient(_))
        ));
        // One method at a time, and the type must be the JWT one.
        f.client_id = None;
        f.client_secret = Some(Secret::new("wiki-secret"));
        assert!(matches!(
            authenticate_client(None, &f, &c),
            Err(OAuthError::InvalidRequest(_))
        ));
        f.client_secret = None;
        f.client_assertion_type = Some("urn:other".into());
        assert!(matches!(
            authenticate_client(None, &f, &c),
            Err(OAuthError::InvalidRequest(_))
        ));
        // And a client with keys cannot fall back to sending its id alone.
        assert!(authenticate_client(None, &form("wiki", None), &c).is_err());
    }

    #[test]
    fn the_grant_is_read_once_after_the_client_is_known() {
        let c = clients();
        let mut f = form("spa", None);
        assert_eq!(
            parse(&f, &c).unwrap_err(),
            OAuthError::InvalidRequest("grant_type is missing".into())
        );
        f.grant_type = Some("password".into());
        assert!(matches!(
            parse(&f, &c),
            Err(OAuthError::UnsupportedGrantType(_))
        ));
        f.grant_type = Some("authorization_code".into());
        assert_eq!(
            parse(&f, &c).unwrap_err(),
            OAuthError::InvalidRequest("code is missing".into())
        );
        f.code = Some(Secret::new("c"));
        let request = parse(&f, &c).unwrap();
        assert_eq!(request.client.id, "spa");
        assert!(matches!(request.grant, Grant::AuthorizationCode { .. }));
        // A wrong secret is refused before the grant is even looked at.
        let mut wrong = form("wiki", Some("wrong"));
        wrong.grant_type = Some("password".into());
        assert!(matches!(
            parse(&wrong, &c),
            Err(OAuthError::InvalidClient(_))
        ));
    }

    #[test]
    fn secrets_in_the_form_never_show_in_debug_output() {
        let f = TokenForm {
            code: Some(Secret::new("the-code-value")),
            code_verifier: Some(Secret::new("the-verifier")),
            refresh_token: Some(Secret::new("the-refresh-token")),
            client_secret: Some(Secret::new("the-client-secret")),
            client_assertion: Some(Secret::new("the-assertion")),
            subject_token: Some(Secret::new("the-subject-token")),
            ..Default::default()
        };
        let shown = format!("{f:?}");
        for secret in [
            "the-code-value",
            "the-verifier",
            "the-refresh-token",
            "the-client-secret",
            "the-assertion",
            "the-subject-token",
        ] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }
}
