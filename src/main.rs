//! The `monban` binary: everything happens in [`monban::cli::run`].

/// mimalloc rather than glibc's allocator: a proxied request through the gate allocates and frees
/// many small buffers across two worker threads, where glibc's malloc and free took a tenth of the
/// gate's CPU under load (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    monban::cli::run()
}
