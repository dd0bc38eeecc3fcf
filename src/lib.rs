//! monban (門番, "gatekeeper"): a stateless OpenID Connect provider that federates login to Google
//! and signs its own tokens. See `oidc` for the design in one paragraph.

pub mod cli;
pub mod config;
pub mod keys;
pub mod oidc;
pub mod routes;
pub mod startup;
pub mod telemetry;
pub mod tokens;
