//! monban as an OpenID provider, in plain functions over plain data: no actix type below this
//! module, so tests and fuzz targets call every protocol decision directly with a fixed `now`.
//!
//! # The flow, and where each step lives
//!
//! ```text
//!  sibling service        browser                    monban                         Google
//!  ───────────────        ───────                    ──────                         ──────
//!  redirect ──────────▶  GET /authorize ───────▶  authorize::AuthorizeRequest::parse
//!                                                  signed in (session cookie opens)?
//!                                                    yes: code = seal(Code, grant, 20 s) ─┐
//!                                                    no:  303 /login?return_to=/authorize │
//!                        GET /login ───────────▶  seal(LoginState: nonce, PKCE, binding) │
//!                                                  303 to Google, state = that seal ─────▶ sign in
//!                        GET /callback ◀───────────────────────────────────────────────── code
//!                                                  session::sign_in: open state, check the
//!                                                  binding cookie, exchange the code, verify
//!                                                  Google's ID token, admit (config::policy),
//!                                                  set seal(Session) as a cookie, back to
//!                                                  /authorize, which now issues the code ◀──┘
//!  ◀──────────── 303 redirect_uri?code=…&state=…&iss=…
//!  POST /token ────────────────────────────────▶  token_request::TokenRequest::parse (grant
//!                                                  enum, client authenticated), then
//!                                                  grants::TokenService: open the code, check
//!                                                  client, redirect URI, PKCE; mint access and
//!                                                  ID tokens (JWT), seal(RefreshToken)
//!  GET /userinfo (Bearer) ─────────────────────▶  verify the access token: profile
//!  verify tokens offline against /.well-known/jwks.json (monban-verify)
//! ```
//!
//! # Why nothing is stored
//!
//! Each arrow above that must remember something carries it sealed ([`crate::session::seal`]):
//! AES-256-GCM, the purpose in the associated data, the expiry inside. The login
//! state rides in Google's `state`, the SSO session in a cookie, the code and the refresh token
//! with the client. So every handler looks stateless because it is: any instance opens what any
//! other sealed, Cloud Run can add, stop or scale to zero at will, and sibling services never ask
//! monban whether a token is good. What this costs (a code is not single-use, a refresh token
//! cannot be revoked alone) and how each cost is bounded is in docs/security.md.

pub mod authorize;
pub mod claims;
pub mod client_assertion;
pub mod discovery;
pub mod error;
pub mod exchange;
pub mod grants;
pub mod introspection;
pub mod logout;
pub mod paths;
pub mod pkce;
pub mod resource;
pub mod scope;
pub mod token_request;
pub mod userinfo;
