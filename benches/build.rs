//! Records what the benchmark report prints about its own build: the rustc that
//! compiled it and the wasmi and wasmtime versions in the lock file.

use std::path::Path;
use std::process::Command;

fn main() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let version = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "rustc (unknown version)".to_string());
    println!("cargo::rustc-env=BENCH_RUSTC_VERSION={version}");

    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let lock = Path::new(&manifest).join("../Cargo.lock");
    println!("cargo::rerun-if-changed={}", lock.display());
    let lock = std::fs::read_to_string(&lock).unwrap_or_default();
    for (name, var) in [
        ("wasmi", "BENCH_WASMI_VERSION"),
        ("wasmtime", "BENCH_WASMTIME_VERSION"),
    ] {
        let version = locked_version(&lock, name).unwrap_or_else(|| "unknown".to_string());
        println!("cargo::rustc-env={var}={version}");
    }
    println!("cargo::rerun-if-changed=build.rs");
}

/// The version of package `name` in a `Cargo.lock`.
fn locked_version(lock: &str, name: &str) -> Option<String> {
    let wanted = format!("name = \"{name}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == wanted {
            let version = lines.next()?.trim().strip_prefix("version = \"")?;
            return Some(version.trim_end_matches('"').to_string());
        }
    }
    None
}
