//! The upstream OpenID provider (Google): discovery, the authorization URL, the code exchange and
//! ID-token validation. Wraps `openidconnect` so its typestated client never leaks out.
//!
//! Discovery is fetched on first need (start-up stays instant and never depends on Google), then
//! kept for the life of the process. The upstream JWKS is kept for its `Cache-Control: max-age`
//! and fetched again, once, when an ID token names a key it does not hold. Every call has a
//! timeout: an unreachable upstream gives a clear error within seconds, never a hang. Every
//! answer is read against a size cap, and each kept document is fetched by one caller at a time,
//! at most once a minute ([`crate::outbound`], which makes every call of this client).
//!
//! The same client serves `monban gate`, with monban as its provider.

use std::sync::Arc;
use std::time::Duration;

use openidconnect::core::{
    CoreAuthPrompt, CoreClient, CoreErrorResponseType, CoreProviderMetadata, CoreResponseType,
};
use openidconnect::{
    AuthenticationFlow, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet,
    EndpointNotSet, EndpointSet, LoginHint, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError, Scope, TokenResponse,
};
use url::Url;

use crate::config::{self, policy::Claimant};
use crate::jwks::KeySet;
use crate::outbound::{self, FetchError, Kept, Outbound, or_not_fetched};
use id_token::IdTokenError;

pub mod id_token;

/// What can go wrong talking to the upstream, in the terms the login page needs.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// The upstream could not be reached or did not answer in time.
    #[error("the sign-in provider is unreachable: {0}")]
    Unreachable(String),
    /// It answered, but not with what OIDC requires (bad discovery, JWKS or token response).
    #[error("the sign-in provider answered unexpectedly: {0}")]
    BadResponse(String),
    /// It refused the code exchange (e.g. an expired or reused code).
    #[error("the sign-in provider refused the code: {0}")]
    Refused(String),
    /// The ID token failed validation (signature, issuer, audience, expiry or nonce).
    #[error("the sign-in provider's ID token is invalid: {0}")]
    InvalidIdToken(String),
}

impl From<FetchError> for UpstreamError {
    fn from(e: FetchError) -> Self {
        match e {
            FetchError::Unreachable(e) => UpstreamError::Unreachable(e),
            FetchError::BadResponse(e) => UpstreamError::BadResponse(e),
        }
    }
}

/// Who the upstream says signed in. Only built from a fully validated ID token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The upstream's stable subject id.
    pub sub: String,
    /// The email address in canonical form ([`crate::config::normalize_email`]); `None` if
    /// the upstream gave none or one that is not an address.
    pub email: Option<String>,
    /// Whether the upstream verified that address.
    pub email_verified: bool,
    /// Display name.
    pub name: Option<String>,
    /// Picture URL.
    pub picture: Option<String>,
    /// Given name.
    pub given_name: Option<String>,
    /// Family name.
    pub family_name: Option<String>,
    /// Preferred language (BCP 47).
    pub locale: Option<String>,
    /// Google Workspace domain (`hd`), for Workspace accounts.
    pub hosted_domain: Option<String>,
    /// When the user authenticated at the upstream, if its ID token says (Google does when asked
    /// with `max_age`).
    pub auth_time: Option<u64>,
}

impl Identity {
    /// The person as the sign-in policy sees them.
    pub fn claimant(&self) -> Claimant<'_> {
        Claimant {
            email: self.email.as_deref(),
            email_verified: self.email_verified,
            hosted_domain: self.hosted_domain.as_deref(),
        }
    }
}

/// Everything the authorization URL carries for one login.
#[derive(Debug)]
pub struct AuthorizationRequest<'a> {
    /// The (sealed) state, returned to the callback untouched.
    pub state: &'a str,
    /// The nonce the ID token must carry.
    pub nonce: &'a str,
    /// The PKCE verifier; its S256 challenge goes in the URL.
    pub pkce_verifier: &'a str,
    /// Ask the upstream to show its account chooser.
    pub select_account: bool,
    /// Ask the upstream to re-authenticate.
    pub force_login: bool,
    /// Ask the upstream to re-authenticate if the user's last authentication is older.
    pub max_age: Option<u64>,
    /// Pre-fill the account.
    pub login_hint: Option<&'a str>,
    /// The scopes asked for besides `openid` ([`IDENTITY_SCOPES`] for a sign-in).
    pub scopes: &'a [&'a str],
    /// The API the access token is for (RFC 8707 `resource`), if any.
    pub resource: Option<&'a str>,
}

/// What monban asks Google for, and the gate asks monban for: the person's address and name.
pub const IDENTITY_SCOPES: &[&str] = &["email", "profile"];

/// The typestated client `from_provider_metadata` builds, spelt once (see openidconnect's
/// UPGRADE.md): authorization URL set, token and userinfo URLs as discovered.
type ProviderClient = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// The upstream client. Cheap to share; all caching is internal.
pub struct Upstream {
    http: Outbound,
    issuer: Url,
    client_id: ClientId,
    /// `None` for a public client (`monban token`): PKCE alone binds its codes.
    client_secret: Option<ClientSecret>,
    redirect_uri: RedirectUrl,
    /// The upstream's discovery document, kept for the life of the process.
    discovery: Kept<CoreProviderMetadata>,
    /// The upstream's signing keys.
    keys: Kept<KeySet>,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream")
            .field("issuer", &self.issuer.as_str())
            .finish_non_exhaustive()
    }
}

impl Upstream {
    /// A client for `config`, redirecting back to `redirect_uri` (`{issuer}/callback`); a public
    /// client when the secret is empty.
    pub fn new(config: &config::Upstream, redirect_uri: Url) -> Self {
        let secret = config.client_secret.expose();
        Self {
            http: Outbound::new(config.timeout),
            issuer: config.issuer.clone(),
            client_id: ClientId::new(config.client_id.clone()),
            client_secret: (!secret.is_empty()).then(|| ClientSecret::new(secret.to_string())),
            redirect_uri: RedirectUrl::from_url(redirect_uri),
            discovery: Kept::default(),
            keys: Kept::default(),
        }
    }

    fn issuer_str(&self) -> &str {
        self.issuer.as_str().trim_end_matches('/')
    }

    /// Fetches the discovery document (kept for good: its URLs do not move).
    async fn fetch_discovery(&self) -> Result<(CoreProviderMetadata, u64), UpstreamError> {
        let url = format!("{}/.well-known/openid-configuration", self.issuer_str());
        let (body, _) = self.http.get(&url).await?;
        let metadata: CoreProviderMetadata = serde_json::from_slice(&body)
            .map_err(|e| UpstreamError::BadResponse(format!("discovery: {e}")))?;
        if metadata.issuer().as_str().trim_end_matches('/') != self.issuer_str() {
            return Err(UpstreamError::BadResponse(format!(
                "discovery names issuer {}, expected {}",
                metadata.issuer().as_str(),
                self.issuer_str()
            )));
        }
        Ok((metadata, u64::MAX))
    }

    /// The provider metadata and signing keys fresh at `now`; fetched on first need, the keys
    /// again when `refetch_keys` (an ID token named a key they lack) at most once a minute.
    async fn metadata(
        &self,
        refetch_keys: bool,
        now: u64,
    ) -> Result<(CoreProviderMetadata, Arc<KeySet>), UpstreamError> {
        let metadata = self
            .discovery
            .get(now, false, || self.fetch_discovery())
            .await
            .map_err(or_not_fetched)?;
        let keys = self
            .keys
            .get(now, refetch_keys, || async {
                Ok::<_, UpstreamError>(
                    self.http
                        .fetch_jwks(metadata.jwks_uri().as_str(), now)
                        .await?,
                )
            })
            .await
            .map_err(or_not_fetched)?;
        Ok(((*metadata).clone(), keys))
    }

    /// The upstream's signing keys at `now` (Google's, for workload identity's assertions); fetched
    /// again when `refetch` (a token named a key they lack), at most once a minute.
    pub async fn keys(&self, refetch: bool, now: u64) -> Result<Arc<KeySet>, UpstreamError> {
        Ok(self.metadata(refetch, now).await?.1)
    }

    /// The `openidconnect` client for the current metadata: cheap, so made per request.
    fn client(&self, metadata: CoreProviderMetadata) -> ProviderClient {
        CoreClient::from_provider_metadata(
            metadata,
            self.client_id.clone(),
            self.client_secret.clone(),
        )
        .set_redirect_uri(self.redirect_uri.clone())
    }

    /// The upstream authorization URL for one login.
    pub async fn authorization_url(
        &self,
        request: &AuthorizationRequest<'_>,
        now: u64,
    ) -> Result<Url, UpstreamError> {
        let client = self.client(self.metadata(false, now).await?.0);
        let state = request.state.to_string();
        let nonce = request.nonce.to_string();
        let verifier = PkceCodeVerifier::new(request.pkce_verifier.to_string());
        let mut auth = client
            .authorize_url(
                AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
                move || CsrfToken::new(state),
                move || Nonce::new(nonce),
            )
            .add_scopes(request.scopes.iter().map(|s| Scope::new(s.to_string())))
            .set_pkce_challenge(PkceCodeChallenge::from_code_verifier_sha256(&verifier));
        if let Some(resource) = request.resource {
            auth = auth.add_extra_param("resource", resource);
        }
        if request.select_account {
            auth = auth.add_prompt(CoreAuthPrompt::SelectAccount);
        }
        if request.force_login {
            auth = auth.add_prompt(CoreAuthPrompt::Login);
        }
        if let Some(max_age) = request.max_age {
            auth = auth.set_max_age(Duration::from_secs(max_age));
        }
        if let Some(hint) = request.login_hint {
            auth = auth.set_login_hint(LoginHint::new(hint.to_string()));
        }
        Ok(auth.url().0)
    }

    /// Exchanges the callback's code and validates the ID token at `now` ([`id_token::verify`]),
    /// fetching the JWKS again once if the token names an unknown key.
    pub async fn exchange(
        &self,
        code: &str,
        pkce_verifier: &str,
        nonce: &str,
        now: u64,
    ) -> Result<Identity, UpstreamError> {
        Ok(self.sign_in(code, pkce_verifier, nonce, now).await?.0)
    }

    /// [`Upstream::exchange`], also returning the tokens as the provider issued them (`monban gate`
    /// passes monban's access token to the app it guards, renews it with the refresh token, and
    /// signs out with the ID token as the hint).
    pub async fn sign_in(
        &self,
        code: &str,
        pkce_verifier: &str,
        nonce: &str,
        now: u64,
    ) -> Result<(Identity, Issued), UpstreamError> {
        let (metadata, keys) = self.metadata(false, now).await?;
        let issuer = metadata.issuer().as_str().to_string();
        let response = self
            .client(metadata)
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| UpstreamError::BadResponse(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_string()))
            .request_async(&outbound::oidc_client(self.http.http()?))
            .await
            .map_err(token_error)?;
        let issued = Issued::of(&response);
        let id_token = (issued.id_token.clone())
            .ok_or_else(|| UpstreamError::BadResponse("no id_token in the response".into()))?;
        let verify = |keys: &KeySet| {
            id_token::verify(
                keys,
                &issuer,
                self.client_id.as_str(),
                &id_token,
                nonce,
                now,
            )
        };
        let identity = match verify(&keys) {
            Err(IdTokenError::UnknownKey) => {
                // A key we have not seen: the upstream may have rotated. Fetch once more.
                let (_, keys) = self.metadata(true, now).await?;
                verify(&keys).map_err(|e| UpstreamError::InvalidIdToken(e.to_string()))
            }
            other => other.map_err(|e| UpstreamError::InvalidIdToken(e.to_string())),
        }?;
        Ok((identity, issued))
    }

    /// Redeems `refresh_token` at the token endpoint for fresh tokens. The caller checks what it
    /// uses of them (the gate verifies the access token and that it names the same person).
    pub async fn refresh(&self, refresh_token: &str, now: u64) -> Result<Issued, UpstreamError> {
        let (metadata, _) = self.metadata(false, now).await?;
        let response = self
            .client(metadata)
            .exchange_refresh_token(&RefreshToken::new(refresh_token.to_string()))
            .map_err(|e| UpstreamError::BadResponse(e.to_string()))?
            .request_async(&outbound::oidc_client(self.http.http()?))
            .await
            .map_err(token_error)?;
        Ok(Issued::of(&response))
    }
}

/// The tokens of a token response, as issued.
#[derive(Clone)]
pub struct Issued {
    /// The access token.
    pub access_token: String,
    /// The refresh token, if one was issued.
    pub refresh_token: Option<String>,
    /// The ID token, if one was issued.
    pub id_token: Option<String>,
    /// How long the access token lives, in seconds, if the response said.
    pub expires_in: Option<u64>,
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Issued([redacted])")
    }
}

impl Issued {
    fn of(response: &openidconnect::core::CoreTokenResponse) -> Self {
        Self {
            access_token: response.access_token().secret().clone(),
            refresh_token: response.refresh_token().map(|t| t.secret().clone()),
            id_token: response.id_token().map(ToString::to_string),
            expires_in: response.expires_in().map(|d| d.as_secs()),
        }
    }
}

/// A failed call of the token endpoint, in the login page's terms.
fn token_error<E: std::error::Error + 'static>(
    e: RequestTokenError<E, openidconnect::StandardErrorResponse<CoreErrorResponseType>>,
) -> UpstreamError {
    match e {
        RequestTokenError::ServerResponse(r) => UpstreamError::Refused(r.error().to_string()),
        RequestTokenError::Request(e) => UpstreamError::Unreachable(e.to_string()),
        other => UpstreamError::BadResponse(other.to_string()),
    }
}

/// Verifies a raw upstream ID token at `now` exactly as [`Upstream::exchange`] does, given the
/// upstream's discovery document and JWKS as it serves them. Everything in `raw` is
/// attacker-controlled until this returns: the fuzz target calls it.
pub fn verify_id_token(
    discovery: &str,
    jwks: &str,
    client_id: &str,
    raw: &str,
    nonce: &str,
    now: u64,
) -> Result<Identity, UpstreamError> {
    let metadata: CoreProviderMetadata = serde_json::from_str(discovery)
        .map_err(|e| UpstreamError::BadResponse(format!("discovery: {e}")))?;
    let keys = KeySet::parse(jwks.as_bytes())
        .map_err(|e| UpstreamError::BadResponse(format!("JWKS: {e}")))?;
    id_token::verify(
        &keys,
        metadata.issuer().as_str(),
        client_id,
        raw,
        nonce,
        now,
    )
    .map_err(|e| UpstreamError::InvalidIdToken(e.to_string()))
}
