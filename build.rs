//! Link-time layout of the `monban` binary, for a smaller idle footprint (docs/performance.md).
//!
//! Two linker options, for `x86_64-unknown-linux-gnu` only, where rustc links with its bundled
//! LLD by default (Rust 1.90 and later):
//!
//! - `--symbol-ordering-file=bench/hot-symbols.txt` places the ~950 functions that start-up and
//!   the well-known endpoints run side by side at the start of `.text`. The kernel maps code a
//!   whole page-cache folio (64 to 128 KiB here) at a time, and scattered over 6.5 MiB those
//!   functions made it map 3.9 MiB; packed, 1.1 MiB. `bench/hot_symbols.py` regenerates the list;
//!   names that no longer exist are skipped, so a stale list costs memory, never a build.
//! - `-z pack-relative-relocs` (DT_RELR) shrinks the 15,000 relative relocations the loader
//!   reads at every start from 365 KB to 4 KB. It needs glibc 2.36 at run time (Debian 12, the
//!   image's distroless/cc-debian12), so it is only used when the building machine has that.
//!
//! Both are left out when rustc is older than 1.90 or the build chooses its own linker (GNU ld
//! knows no symbol ordering), and `MONBAN_PLAIN_LINK=1` turns them off by hand.
use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=bench/hot-symbols.txt");
    println!("cargo:rerun-if-env-changed=MONBAN_PLAIN_LINK");
    println!("cargo:rerun-if-env-changed=CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER");
    // Any linker, link-arg or linker-flavor flag means someone chose how to link: stay out.
    let rustflags = std::env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    if std::env::var("TARGET").as_deref() != Ok("x86_64-unknown-linux-gnu")
        || std::env::var_os("MONBAN_PLAIN_LINK").is_some()
        || std::env::var_os("CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER").is_some()
        || rustflags.contains("link")
        || rustc_minor() < 90
    {
        return;
    }
    let order = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/hot-symbols.txt");
    // A dependency-only build (cargo-chef's skeleton in the Dockerfile) has no list yet.
    if order.exists() {
        println!(
            "cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={}",
            order.display()
        );
        println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
    }
    if host_glibc_at_least(2, 36) {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}

/// The minor version of the rustc that builds (`rustc 1.95.0 (...)` gives 95); 0 if unknown.
fn rustc_minor() -> u32 {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|out| {
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            text.split_whitespace()
                .nth(1)?
                .split('.')
                .nth(1)?
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

/// Whether the building machine's glibc (`getconf GNU_LIBC_VERSION`, e.g. "glibc 2.36") is at
/// least `major.minor`; false when it cannot tell (musl, no getconf).
fn host_glibc_at_least(major: u32, minor: u32) -> bool {
    let Ok(out) = Command::new("getconf").arg("GNU_LIBC_VERSION").output() else {
        return false;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let Some(version) = text.trim().strip_prefix("glibc ") else {
        return false;
    };
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0)) >= (major, minor)
}
