//! monban (門番, "gatekeeper"): a stateless OpenID Connect provider that federates login to Google
//! and signs its own tokens. [`protocol`] opens with the whole flow and why nothing is stored.
//!
//! The folders, each depending only on those above it:
//!
//! - [`clock`]: the time, read only by handlers and commands (everything below takes `now`);
//! - [`once`]: an instance's bounded memory of keys seen once (spent codes, told sign-outs);
//! - [`i18n`]: the pages' languages (Fluent catalogues) and choosing one per request;
//! - [`jwks`]: other parties' public keys (Google's, clients'), each pinned to its algorithm;
//! - [`outbound`]: every call to another server: no redirects, timeouts, size caps, one fetch at a
//!   time per kept document, clients' key sets;
//! - [`config`]: the settings, loaded and validated once, section by section, and who may sign
//!   in;
//! - [`audit`]: the entries an administrator queries, each with a stable `event` name;
//! - [`keys`] and [`tokens`]: signing keys, the JWKS, minting and verifying monban's JWTs;
//! - [`upstream`]: the OpenID client (Google for monban, monban for the gate) and its ID-token
//!   check;
//! - [`session`]: sealed values, the SSO session, its cookies, signing in at `/callback`;
//! - [`backchannel`]: telling clients that a sign-in ended (logout tokens, posted at once);
//! - [`protocol`]: the OpenID provider in plain functions (no HTTP types);
//! - [`http`]: the actix-web server: state, the route table, handlers, middleware, pages;
//! - [`dev`]: the mock Google and `monban dev`, outside the server's own modules;
//! - [`gate`]: `monban gate`, a reverse proxy and forward-auth endpoint for apps without OIDC;
//! - [`cli`] and [`telemetry`]: the commands and the logs.

pub mod audit;
pub mod backchannel;
pub mod cli;
pub mod clock;
pub mod config;
pub mod dev;
pub mod gate;
pub mod http;
pub mod i18n;
pub mod jwks;
pub mod keys;
pub mod once;
pub mod outbound;
pub mod protocol;
pub mod session;
pub mod ssh;
pub mod telemetry;
pub mod terminal;
pub mod tokens;
pub mod upstream;
