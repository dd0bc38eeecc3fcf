//! monban (門番, "gatekeeper"): a stateless OpenID Connect provider that federates login to Google
//! and signs its own tokens. See `oidc` for the design in one paragraph.

pub mod cli;
pub mod config;
pub mod keys;
pub mod login;
pub mod mock_upstream;
pub mod oidc;
pub mod pages;
pub mod policy;
pub mod provider;
pub mod rate_limit;
pub mod request_limits;
pub mod routes;
pub mod seal;
pub mod startup;
pub mod telemetry;
pub mod tokens;
pub mod upstream;
pub mod upstream_id_token;
