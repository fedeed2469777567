//! `cargo xtask bench [--quick] [FILTER...]`: builds the `wazero-bench` binary
//! (`benches/`) optimized and runs it, passing the options through.
//!
//! It runs the same WebAssembly programs on wazero's interpreter and on wasmi
//! and prints median times and ratios, with a verdict per benchmark against the
//! interpreter's goal (faster than wasmi, never slower than 2x). `wasi-files`
//! (filter `wasi`) runs a WASI program doing file I/O on wazero with a host
//! directory and with an in-memory file system, against native Rust. Verdicts
//! never fail the command; a build failure or a benchmark whose engines (or
//! configurations) disagree does.
//! The recorded figures are in `docs/benchmarks.md`.

use std::process::ExitCode;

/// Options of `cargo xtask bench`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Smaller inputs and fewer samples: a first look, not figures for the record.
    #[arg(long)]
    pub quick: bool,
    /// List the benchmarks and exit.
    #[arg(long)]
    pub list: bool,
    /// Parallel jobs for building (default: 2, or cargo's own `CARGO_BUILD_JOBS`).
    #[arg(long, short)]
    pub jobs: Option<u32>,
    /// Run only benchmarks whose name contains one of these.
    pub filters: Vec<String>,
}

/// Builds and runs the benchmarks.
pub fn main(args: &Args) -> ExitCode {
    let mut command = crate::cargo::run_release("wazero-bench", args.jobs);
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
