//! `cargo xtask test`: everything CI checks, in order, each step reported.
//!
//! 1. `cargo fmt --check` and `cargo clippy --workspace --all-targets -D warnings`.
//! 2. `cargo doc --workspace --no-deps` without warnings, and
//!    `cargo build -p wazero --no-default-features --features interpreter`, whose
//!    dependency tree must hold no Cranelift crate.
//! 3. `cargo test --workspace -j2`: unit, integration, property and doc tests.
//! 4. The spec tests on every engine that is built, as a subprocess (so that even
//!    a crash of the runtime leaves this summary standing): `cargo run -p xtask --
//!    spectest --engine all`. The debug build is the fastest end to end: its
//!    dependencies were just built by step 1, so it costs a link and a run of
//!    about 5 s (v2 and simd on 2 cores), while `--release` first spends well over
//!    a minute compiling the runtime, `wast` and the suite optimized, to save a
//!    few seconds of running.
//!
//! 5. In release: the dispatch test and the spec tests again, on the
//!    interpreter's threaded dispatch (debug builds use its loop dispatch).
//!
//! Every step runs even when an earlier one failed; the exit code is non-zero if
//! any failed.

use crate::cargo::{cargo, jobs_args};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

/// Options of `cargo xtask test`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Run the spec tests on an optimized build (slower to build, faster to run).
    #[arg(long)]
    pub release: bool,
    /// Parallel jobs for cargo (default: 2, or cargo's own `CARGO_BUILD_JOBS`).
    #[arg(long, short)]
    pub jobs: Option<u32>,
}

/// How one step went.
struct Step {
    name: String,
    ok: bool,
    took: Duration,
    /// The closing line of the step's own output worth repeating, if any.
    note: Option<String>,
}

/// Runs `command`, echoing its output; with `closing`, also returns the last
/// stdout line that `closing` accepts.
fn run_step(name: &str, mut command: Command, closing: Option<fn(&str) -> bool>) -> Step {
    println!("xtask test: running {name}");
    let started = Instant::now();
    let mut note = None;
    let ok = if let Some(is_closing) = closing {
        command.stdout(Stdio::piped());
        match command.spawn() {
            Ok(mut child) => {
                if let Some(stdout) = child.stdout.take() {
                    let mut out = std::io::stdout();
                    for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                        if is_closing(&line) {
                            note = Some(line.clone());
                        }
                        let _ = writeln!(out, "{line}");
                        let _ = out.flush();
                    }
                }
                child.wait().is_ok_and(|s| s.success())
            }
            Err(e) => {
                eprintln!("xtask test: cannot run {name}: {e}");
                false
            }
        }
    } else {
        match command.status() {
            Ok(status) => status.success(),
            Err(e) => {
                eprintln!("xtask test: cannot run {name}: {e}");
                false
            }
        }
    };
    Step {
        name: name.to_string(),
        ok,
        took: started.elapsed(),
        note,
    }
}

/// Checks that `wazero` without its `compiler` feature depends on no Cranelift
/// crate (`cargo tree`), so embedders who want only the interpreter build none.
fn no_cranelift_without_the_compiler() -> Step {
    let name = "the interpreter-only build has no Cranelift";
    println!("xtask test: running {name}");
    let started = Instant::now();
    let output = cargo()
        .args([
            "tree",
            "-p",
            "wazero",
            "--no-default-features",
            "--features",
            "interpreter",
            "--edges",
            "normal,build",
            "--prefix",
            "none",
        ])
        .output();
    let ok = match output {
        Ok(out) if out.status.success() => {
            let tree = String::from_utf8_lossy(&out.stdout);
            let cranelift: Vec<&str> = tree
                .lines()
                .filter(|l| l.starts_with("cranelift") || l.starts_with("wazero-compiler"))
                .collect();
            if !cranelift.is_empty() {
                eprintln!("xtask test: the interpreter-only build depends on {cranelift:?}");
            }
            cranelift.is_empty() && tree.contains("wazero-interpreter")
        }
        Ok(out) => {
            eprintln!("{}", String::from_utf8_lossy(&out.stderr));
            false
        }
        Err(e) => {
            eprintln!("xtask test: cannot run cargo tree: {e}");
            false
        }
    };
    Step {
        name: name.to_string(),
        ok,
        took: started.elapsed(),
        note: None,
    }
}

/// Whether `cargo <tool>` is installed; a missing one is reported and skipped.
fn has_component(tool: &str) -> bool {
    let ok = cargo()
        .args([tool, "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        println!("xtask test: cargo {tool} is not installed; skipping that check");
    }
    ok
}

/// Runs every step and prints a summary.
pub fn main(args: &Args) -> ExitCode {
    let jobs = jobs_args(args.jobs);
    let mut steps = Vec::new();

    if has_component("fmt") {
        let mut fmt = cargo();
        fmt.args(["fmt", "--all", "--", "--check"]);
        steps.push(run_step("cargo fmt --check", fmt, None));
    }
    if has_component("clippy") {
        let mut clippy = cargo();
        clippy
            .args(["clippy", "--workspace", "--all-targets"])
            .args(&jobs)
            .args(["--", "-D", "warnings"]);
        steps.push(run_step("cargo clippy -D warnings", clippy, None));
    }

    // The committed WASI test programs match their C sources (and, where clang
    // for wasm32-wasi is installed, rebuild to the same bytes).
    let mut wasi = cargo();
    wasi.args(["run", "-q", "-p", "xtask"])
        .args(&jobs)
        .args(["--", "check-wasi"]);
    steps.push(run_step(
        "check-wasi (committed .wasm match their C sources)",
        wasi,
        None,
    ));

    let mut doc = cargo();
    doc.args(["doc", "--workspace", "--no-deps"])
        .args(&jobs)
        .env("RUSTDOCFLAGS", "-D warnings");
    steps.push(run_step("cargo doc (no warnings)", doc, None));

    let mut interpreter_only = cargo();
    interpreter_only
        .args([
            "build",
            "-p",
            "wazero",
            "--no-default-features",
            "--features",
            "interpreter",
        ])
        .args(&jobs);
    steps.push(run_step(
        "build wazero with only the interpreter",
        interpreter_only,
        None,
    ));

    steps.push(no_cranelift_without_the_compiler());

    let mut unit = cargo();
    unit.args(["test", "--workspace"]).args(&jobs);
    steps.push(run_step("cargo test --workspace", unit, None));

    let mut spec = cargo();
    spec.arg("run").args(&jobs);
    if args.release {
        spec.arg("--release");
    }
    spec.args(["--package", "xtask", "--", "spectest", "--engine", "all"]);
    let profile = if args.release { "release" } else { "debug" };
    steps.push(run_step(
        &format!("spectest --engine all ({profile} build)"),
        spec,
        Some(|line| line.starts_with("spectest: ") && line.contains(" passed, ")),
    ));

    // Optimized builds dispatch the interpreter's hot instructions by threaded
    // tail calls (debug builds above use a loop): check that every tail call is a
    // jump, and run the spec suite on that dispatch too.
    let mut dispatch = cargo();
    dispatch
        .args(["test", "--release", "-p", "wazero", "--test", "dispatch"])
        .args(&jobs);
    steps.push(run_step(
        "threaded dispatch keeps the native stack flat (release)",
        dispatch,
        None,
    ));
    let mut release_spec = cargo();
    release_spec.args(["run", "--release"]).args(&jobs).args([
        "--package",
        "xtask",
        "--",
        "spectest",
        "--engine",
        "all",
    ]);
    steps.push(run_step(
        "spectest --engine all (release build, threaded dispatch)",
        release_spec,
        Some(|line| line.starts_with("spectest: ") && line.contains(" passed, ")),
    ));

    println!();
    println!("xtask test: summary");
    for step in &steps {
        println!(
            "  {:<7} {:<45} {:>8.1?}",
            if step.ok { "ok" } else { "FAILED" },
            step.name,
            step.took
        );
    }
    let failed = steps.iter().filter(|s| !s.ok).count();
    if failed == 0 {
        println!("xtask test: all {} steps passed", steps.len());
    } else {
        println!("xtask test: {failed} of {} steps failed", steps.len());
    }
    // The spec tests' closing line goes last, where CI looks for a count.
    if let Some(note) = steps.iter().rev().find_map(|s| s.note.as_ref()) {
        println!("{note}");
    }
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
