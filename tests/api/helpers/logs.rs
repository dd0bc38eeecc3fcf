//! Every in-process server's log lines, captured so tests can check that no secret was logged.

use std::io::Write;
use std::sync::{Mutex, OnceLock};

fn log_buffer() -> &'static Mutex<Vec<u8>> {
    static LOGS: OnceLock<Mutex<Vec<u8>>> = OnceLock::new();
    LOGS.get_or_init(|| Mutex::new(Vec::new()))
}

struct CaptureWriter;

impl Write for CaptureWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if std::env::var_os("TEST_LOG").is_some() {
            std::io::stderr().write_all(buf)?;
        }
        log_buffer().lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Sends every log line of every in-process server, at debug level, to a buffer the tests read
/// (and to stderr when `TEST_LOG` is set). The test browser's own cookie jar (`cookie_store`,
/// not part of monban) prints cookies at debug level, so it is left out.
pub(super) fn capture_logs() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("debug,cookie_store=off"))
            .with_ansi(false)
            .with_writer(|| CaptureWriter)
            .try_init();
    });
}

/// Asserts that no log line so far contains any of `values`.
pub fn assert_not_logged(values: &[&str]) {
    let logs = String::from_utf8_lossy(&log_buffer().lock().unwrap()).into_owned();
    assert!(!logs.is_empty(), "no logs were captured");
    for value in values.iter().filter(|v| v.len() >= 8) {
        assert!(!logs.contains(value), "a secret value was logged: {value}");
    }
}

/// Whether any log line so far contains `value`.
pub fn logged(value: &str) -> bool {
    String::from_utf8_lossy(&log_buffer().lock().unwrap()).contains(value)
}
