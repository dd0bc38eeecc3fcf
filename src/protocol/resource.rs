//! Resource indicators (RFC 8707): a client names the API a token is for (`resource=`), at
//! `/authorize`, at `/token`, or both. The API must be registered (`[[apis]]`) and listed in the
//! client's `apis`; the access token's `aud` is then the API and its scopes only the API's, so an
//! API accepts its own identifier as the audience instead of every front end's client id.

use super::error::OAuthError;
use crate::config::{Api, Client};

/// The API named by `resource`, if `client` may call it (`invalid_target` otherwise).
pub fn api_for<'a>(
    apis: &'a [Api],
    client: &Client,
    resource: &str,
) -> Result<&'a Api, OAuthError> {
    let target = |why: &str| OAuthError::InvalidTarget(format!("resource {resource}: {why}"));
    let api = apis
        .iter()
        .find(|a| a.id == resource)
        .ok_or_else(|| target("no such API is registered"))?;
    if !client.apis.contains(&api.id) {
        return Err(target("this client may not call it"));
    }
    Ok(api)
}

/// The API of a user's grant at `/token`: the one the request names, which must be the grant's
/// own if the grant has one (RFC 8707 §2.2), or else the grant's; checked against today's
/// configuration.
pub fn grant_api<'a>(
    apis: &'a [Api],
    client: &Client,
    granted: Option<&str>,
    asked: Option<&str>,
) -> Result<Option<&'a Api>, OAuthError> {
    match (granted, asked) {
        (Some(g), Some(a)) if g != a => Err(OAuthError::InvalidTarget(format!(
            "resource {a}: this grant is for {g}"
        ))),
        (_, Some(resource)) | (Some(resource), None) => api_for(apis, client, resource).map(Some),
        (None, None) => Ok(None),
    }
}

/// The scope of an access token for `api`: those of `granted` that the API defines.
pub fn scope_for_api(granted: &str, api: &Api) -> String {
    granted
        .split(' ')
        .filter(|s| api.scopes.iter().any(|a| a == s))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grant_keeps_its_api_and_a_request_may_name_one_the_client_may_call() {
        let apis = [
            Api {
                id: "https://inventory.example.org/".into(),
                scopes: vec!["inventory:read".into()],
            },
            Api {
                id: "https://payroll.example.org/".into(),
                scopes: vec![],
            },
        ];
        let mut client = crate::config::fixtures::client("wiki", None, "https://w.example.org/cb");
        client.apis = vec![apis[0].id.clone()];
        let inventory = Some(apis[0].id.as_str());
        assert_eq!(grant_api(&apis, &client, None, None), Ok(None));
        assert_eq!(
            grant_api(&apis, &client, inventory, None),
            Ok(Some(&apis[0]))
        );
        assert_eq!(
            grant_api(&apis, &client, None, inventory),
            Ok(Some(&apis[0]))
        );
        let payroll = Some(apis[1].id.as_str());
        for (granted, asked) in [
            (inventory, payroll),
            (None, payroll),
            (None, Some("https://x/")),
        ] {
            assert!(matches!(
                grant_api(&apis, &client, granted, asked),
                Err(OAuthError::InvalidTarget(_))
            ));
        }
        assert_eq!(
            scope_for_api("openid inventory:read email", &apis[0]),
            "inventory:read"
        );
    }
}
