//! `cargo xtask`: project automation for wazero for Rust.
//!
//! * `cargo xtask spectest` runs the official WebAssembly spec test suite against
//!   the runtime's engines (see [`spectest`]).
//! * `cargo xtask test` runs everything CI runs: the workspace's tests, then the
//!   spec tests on every engine that is built (see [`mod@test`]).
//! * `cargo xtask build-wasi` compiles the C test programs to WASI and records
//!   them in `testdata/wasi/MANIFEST`; `cargo xtask check-wasi` finds stale ones
//!   (see [`wasi`]).
//! * `cargo xtask fuzz` runs the differential harness (wazero's engines against
//!   wasmi) on random modules for a while (see [`fuzz`]).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod arm64;
mod bench;
mod cargo;
mod fuzz;
mod public_api;
mod spectest;
mod test;
mod wasi;
mod wasi_testsuite;

/// Project automation for wazero for Rust.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The tasks.
#[derive(Debug, Subcommand)]
enum Command {
    /// Run the WebAssembly spec test suite (.wast files) against an engine.
    Spectest(spectest::Args),
    /// Run the whole test suite: `cargo test --workspace`, then the spec tests on
    /// every engine that is built.
    Test(test::Args),
    /// Run the benchmarks (optimized build): wazero's interpreter against wasmi,
    /// its compiler against wasmtime (with --wasmtime), with ratios and verdicts.
    Bench(bench::Args),
    /// Compile the C test programs (testdata/wasi/src/*.c, examples/*.c) to
    /// WASI .wasm files next to them and write testdata/wasi/MANIFEST.
    BuildWasi(wasi::BuildArgs),
    /// Check that every committed .wasm was built from its current C source
    /// (and, when clang for wasm32-wasi is available, that rebuilding gives the
    /// same bytes).
    CheckWasi(wasi::CheckArgs),
    /// Run wazero's engines and wasmi on random wasm-smith modules for a while
    /// (optimized build) and compare results, traps, memories and globals.
    Fuzz(fuzz::Args),
    /// Run the official WASI test suite (WebAssembly/wasi-testsuite, preview1,
    /// committed in testdata/wasi-testsuite) through the `wazero` command on
    /// each engine, with the suite's expectations.
    WasiTestsuite(wasi_testsuite::Args),
    /// Compare the public API of every publishable crate with its listing in
    /// api/ (rustdoc JSON, a nightly toolchain); --bless writes the listings.
    PublicApi(public_api::Args),
    /// Build for aarch64-unknown-linux-gnu and run the compiler's and the
    /// facade's tests, the spec suite on the compiler, the differential seeds
    /// and the WASI suite under qemu (skipped without the cross toolchain).
    TestArm64(arm64::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Spectest(args) => spectest::main(&args),
        Command::Test(args) => test::main(&args),
        Command::Bench(args) => bench::main(&args),
        Command::BuildWasi(args) => wasi::build_main(&args),
        Command::CheckWasi(args) => wasi::check_main(&args),
        Command::Fuzz(args) => fuzz::main(&args),
        Command::WasiTestsuite(args) => wasi_testsuite::main(&args),
        Command::PublicApi(args) => public_api::main(&args),
        Command::TestArm64(args) => arm64::main(&args),
    }
}
