//! `cargo xtask fuzz [--seconds N] [--seed S] [--generator G] [--replay FILE]`: builds the
//! `wazero-fuzz` binary (`fuzz/`) optimized and runs it, passing the options
//! through.
//!
//! It runs wazero's engines and wasmi, the reference, on `wasm-smith` modules of
//! consecutive seeds (from `--seed`, or a random one) for `--seconds` (default
//! 60), comparing results, traps, memories, globals and tables, with a line per
//! 1000 modules. Every mismatch is printed with its seed and the module saved
//! in `target/differential-failures/<seed>.wasm`, and fails the command;
//! `--replay FILE` checks one such module again. `--generator exceptions` and
//! `--generator typed-refs` run wazero's own generators instead (modules that
//! throw and catch, or call through typed references), whose proposals wasmi
//! does not run: the compiler is then compared with the interpreter. If the fuzzer crashes (an
//! engine faulting), the seed it was checking is reported from
//! `target/differential-failures/running-seed`. The test suite runs the same
//! harness on a fixed list of seeds (`fuzz/tests/differential.rs`).

use crate::cargo::workspace_root;
use std::path::PathBuf;
use std::process::ExitCode;

/// Options of `cargo xtask fuzz`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// How long to run, in seconds.
    #[arg(long, default_value_t = 60)]
    pub seconds: u64,
    /// The first seed (default: random; printed, so a run can be repeated).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Check one module (e.g. target/differential-failures/SEED.wasm) and exit.
    #[arg(long, value_name = "FILE", conflicts_with = "seed")]
    pub replay: Option<PathBuf>,
    /// What makes the modules: `wasm-smith` (against wasmi), `exceptions`
    /// or `typed-refs` (wazero's own generators, against the interpreter).
    #[arg(long, default_value = "wasm-smith")]
    pub generator: String,
    /// Parallel jobs for building (default: 2, or cargo's own `CARGO_BUILD_JOBS`).
    #[arg(long, short)]
    pub jobs: Option<u32>,
}

/// Builds and runs the fuzzer.
pub fn main(args: &Args) -> ExitCode {
    let mut command = crate::cargo::run_release("wazero-fuzz", args.jobs);
    match &args.replay {
        Some(file) => {
            // Relative to where `cargo xtask` was run, not the workspace root.
            let file = std::path::absolute(file).unwrap_or_else(|_| file.clone());
            command.arg("--replay").arg(file);
        }
        None => {
            command.args(["--seconds", &args.seconds.to_string()]);
            command.args(["--generator", &args.generator]);
            if let Some(seed) = args.seed {
                command.args(["--seed", &seed.to_string()]);
            }
        }
    }
    match command.status() {
        Ok(status) if status.success() => ExitCode::SUCCESS,
        Ok(status) => {
            // Left behind only by a run that did not finish.
            let marker = workspace_root().join("target/differential-failures/running-seed");
            if let Ok(seed) = std::fs::read_to_string(&marker) {
                let _ = std::fs::remove_file(&marker);
                eprintln!(
                    "xtask fuzz: the fuzzer stopped ({status}) while checking seed {seed}; \
                     `cargo xtask fuzz --seed {seed} --seconds 1` repeats it"
                );
            }
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("xtask fuzz: cannot run cargo: {e}");
            ExitCode::FAILURE
        }
    }
}
