//! `cargo xtask bench [--wasmtime] [--quick] [GROUP...] [FILTER...]`: builds the
//! `wazero-bench` binary (`benches/`) optimized and runs it, passing the options
//! through.
//!
//! It runs the same WebAssembly programs on wazero's interpreter and on wasmi,
//! and on wazero's compiler and (with `--wasmtime`, which builds the binary with
//! its cargo feature `wasmtime`) on wasmtime, and prints median times and ratios
//! with a verdict per benchmark against the goals: the interpreter faster than
//! wasmi and never slower than 2x; the compiler at least as fast as wasmtime
//! (below 0.8x is a defect), compiling a large module no slower than wasmtime.
//! The groups `bounds` (guard pages against explicit bounds checks),
//! `interrupts` (compiled code with and without interrupt checks) and `cache`
//! (the compiler's directory cache, first against second compilation) have
//! tables of their own. `wasi-files` (filter `wasi`) runs a WASI program doing
//! file I/O on wazero with a host directory and with an in-memory file system,
//! against native Rust. `programs` runs real programs others wrote
//! (`testdata/programs`: CoreMark, Lua, zlib, cJSON, PolyBench/C, SQLite)
//! whole, the interpreter
//! against wasmi and the compiler against wasmtime. Verdicts never fail the command; a build failure or a
//! benchmark whose engines (or configurations) disagree does.
//! The recorded figures are in `docs/benchmarks.md`.

use std::process::ExitCode;

/// Options of `cargo xtask bench`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Smaller inputs and fewer samples: a first look, not figures for the record.
    #[arg(long)]
    pub quick: bool,
    /// List the benchmarks and groups and exit.
    #[arg(long)]
    pub list: bool,
    /// Also run wasmtime, next to wazero's compiler (builds the benchmarks with
    /// the cargo feature `wasmtime`: a longer first build).
    #[arg(long)]
    pub wasmtime: bool,
    /// Parallel jobs for building (default: 2, or cargo's own `CARGO_BUILD_JOBS`).
    #[arg(long, short)]
    pub jobs: Option<u32>,
    /// Groups to run (interp, compiler, bounds, interrupts, cache, parallel,
    /// programs, startup; default: all), and benchmarks whose name contains one of the
    /// other words.
    pub filters: Vec<String>,
}

/// Builds and runs the benchmarks.
pub fn main(args: &Args) -> ExitCode {
    // The `startup` group runs the `wazero` command, built next to the
    // benchmarks.
    let mut cli = crate::cargo::cargo();
    cli.args(["build", "--release", "--package", "wazero-cli"])
        .args(crate::cargo::jobs_args(args.jobs));
    if !cli.status().is_ok_and(|s| s.success()) {
        eprintln!("xtask bench: cannot build the wazero command");
        return ExitCode::FAILURE;
    }
    let mut command = crate::cargo::cargo();
    command.args(["run", "--release", "--package", "wazero-bench"]);
    if args.wasmtime {
        command.args(["--features", "wasmtime"]);
    }
    command.args(crate::cargo::jobs_args(args.jobs)).arg("--");
    if args.quick {
        command.arg("--quick");
    }
    if args.list {
        command.arg("--list");
    }
    command.args(&args.filters);
    match command.status() {
        Ok(status) if status.success() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("xtask bench: cannot run cargo: {e}");
            ExitCode::FAILURE
        }
    }
}
