//! The actix-web server: the application state, the one route table, one handler file per URL
//! group, the middleware, the error mapping and the pages. Everything protocol-shaped is decided
//! in [`crate::protocol`] and [`crate::session`]; this folder only adapts HTTP.

pub mod app;
pub mod cached_json;
pub mod client_auth;
pub mod error;
pub mod handlers;
pub mod limiter;
pub mod middleware;
pub mod pages;
pub mod state;

pub use app::Application;
