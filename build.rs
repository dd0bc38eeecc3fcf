//! One link option for the `monban` binary: `-z pack-relative-relocs` (DT_RELR), which shrinks the
//! ~15,000 relative relocations the loader reads at every start from 365 KB to 4 KB
//! (docs/performance.md, "Memory"). It needs glibc 2.36 at run time (Debian 12, the image's
//! distroless/cc-debian12), so it is used only for x86_64 Linux when the building machine has that,
//! and `MONBAN_PLAIN_LINK=1` turns it off.
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=MONBAN_PLAIN_LINK");
    if std::env::var("TARGET").as_deref() == Ok("x86_64-unknown-linux-gnu")
        && std::env::var_os("MONBAN_PLAIN_LINK").is_none()
        && host_glibc_at_least(2, 36)
    {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
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
