//! Client authentication at `/token`, including the one part that may wait on the network: the
//! keys of a `private_key_jwt` assertion ([`assertion_keys`]). What is checked is decided in
//! [`crate::protocol::token_request`] and [`crate::protocol::client_assertion`].

use super::state::AppState;
use crate::config::{AssertionKeys, Client, Secret};
use std::sync::Arc;

use crate::jwks::KeySet;
use crate::protocol::client_assertion::{
    AssertionError, Audience, verify_client_jwt, verify_google_assertion,
};
use crate::protocol::error::OAuthError;
use crate::protocol::paths::TOKEN_PATH;
use crate::protocol::token_request::{ClientAuth, TokenForm, authenticate_client};
use crate::upstream::UpstreamError;

/// The authenticated client of a token request.
pub async fn authenticate<'c>(
    state: &'c AppState,
    authorization: Option<&str>,
    form: &'c TokenForm,
) -> Result<&'c Client, OAuthError> {
    match authenticate_client(authorization, form, &state.config.clients)? {
        ClientAuth::Authenticated(client) => Ok(client),
        ClientAuth::Assertion { client, assertion } => {
            verify_assertion(state, client, assertion).await?;
            Ok(client)
        }
    }
}

/// Verifies `client`'s assertion with its keys, fetching them once more if it names a key the
/// cached set lacks.
async fn verify_assertion(
    state: &AppState,
    client: &Client,
    assertion: &Secret,
) -> Result<(), OAuthError> {
    let bad = |e: AssertionError| OAuthError::InvalidClient(format!("client assertion: {e}"));
    let source = client
        .assertion_keys
        .as_ref()
        .ok_or_else(|| bad(AssertionError::Invalid("the client has no keys".into())))?;
    let now = state.now();
    let issuer = state.config.issuer_str();
    let token_endpoint = format!("{issuer}{TOKEN_PATH}");
    let to = Audience {
        issuer,
        token_endpoint: &token_endpoint,
    };
    let google = state.config.upstream.issuer.as_str();
    let check = |keys: &KeySet| match source {
        AssertionKeys::GoogleServiceAccount(account) => {
            verify_google_assertion(keys, google, account, to, assertion.expose(), now)
        }
        _ => verify_client_jwt(keys, &client.id, to, assertion.expose(), now),
    };
    let keys = |refetch| assertion_keys(state, source, refetch, now);
    let result = match check(&*keys(false).await.map_err(unavailable)?) {
        Err(AssertionError::UnknownKey) => check(&*keys(true).await.map_err(unavailable)?),
        other => other,
    };
    result.map_err(bad)
}

/// The keys to verify an assertion with at `now`: written in the configuration, fetched from the
/// client's `jwks_uri`, or Google's own (workload identity). `refetch`: the assertion named a key
/// the kept set lacks, so fetch again unless that was done within the last minute.
async fn assertion_keys(
    state: &AppState,
    source: &AssertionKeys,
    refetch: bool,
    now: u64,
) -> Result<Arc<KeySet>, UpstreamError> {
    match source {
        AssertionKeys::Jwks(keys) => Ok(keys.clone()),
        AssertionKeys::GoogleServiceAccount(_) => state.upstream.keys(refetch, now).await,
        AssertionKeys::JwksUri(url) => Ok(state
            .client_keys
            .get(&state.outbound, url, refetch, now)
            .await?),
    }
}

/// A key set that could not be fetched may come back (503); one that came back unusable (too
/// large, not a JWKS) is the client's to mend (401).
fn unavailable(e: UpstreamError) -> OAuthError {
    match e {
        UpstreamError::Unreachable(_) => {
            OAuthError::TemporarilyUnavailable(format!("cannot fetch the client's keys: {e}"))
        }
        _ => OAuthError::InvalidClient(format!("the client's published keys are unusable: {e}")),
    }
}
