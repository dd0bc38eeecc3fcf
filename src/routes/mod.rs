//! One thin handler per endpoint.

pub mod health;
pub mod well_known;
