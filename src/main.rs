//! The `monban` binary: everything happens in [`monban::cli::run`].

fn main() -> std::process::ExitCode {
    monban::cli::run()
}
