//! What wraps the handlers: size limits, security headers, the request log, and the rate limit
//! on the endpoints that cost work or guard secrets.

pub mod rate_limit;
pub mod request_log;
pub mod security_headers;
pub mod size_limits;
