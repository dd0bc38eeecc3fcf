//! One thin handler per endpoint.

pub mod health;
pub mod home;
pub mod login;
pub mod provider;
pub mod well_known;
