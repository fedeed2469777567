//! `cargo xtask test-arm64`: the AArch64 compiler tested on this x86-64
//! machine, built for `aarch64-unknown-linux-gnu` and run under `qemu-aarch64`
//! user emulation.
//!
//! The cross toolchain is Debian's (`.ci/arm64-toolchain` installs it): the
//! `rustc` of the package `rustc-web` (a release at least as new as the
//! workspace's `rust-version`, which rustup's `cargo` drives through `RUSTC`),
//! its AArch64 standard library unpacked into a private sysroot, the linker
//! `aarch64-linux-gnu-gcc` and `qemu-aarch64-static`. The steps:
//!
//! 1. the unit and integration tests of `wazero-compiler`,
//!    `wazero-compiler-arm64` and `wazero` (faults, traps, interrupts, host
//!    calls, re-entry, threads, WASI programs; on the compiler), with the
//!    differential tests' fixed seeds (`wazero-fuzz`) and the spec runner's
//!    own tests, in one build;
//! 2. the spec runner and the `wazero` command, from the same build;
//! 3. the spec test suite on the compiler engine (`xtask spectest`, the same
//!    suites and count as on x86-64);
//! 4. the official WASI test suite through the `wazero` command built for
//!    AArch64, on the compiler;
//! 5. real WASI C programs run by the `wazero` command of each ISA: the same
//!    output and exit code.
//!
//! Without the toolchain the command says what is missing and, unless
//! `--require` is given, exits successfully having run nothing.

use crate::cargo::{cargo, jobs_args, workspace_root};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

/// The target triple.
const TARGET: &str = "aarch64-unknown-linux-gnu";

/// The emulator (a static build, so that it runs without binfmt set up).
const QEMU: &str = "qemu-aarch64-static";

/// Where the AArch64 C library of Debian's cross packages lives (qemu's `-L`).
const LIBC_PREFIX: &str = "/usr/aarch64-linux-gnu";

/// The packages whose tests run under emulation (see [`main`]): the
/// compiler's, the runtime's, the differential tests' and the spec runner's.
/// The build of the `wazero` command adds its package, which enables no
/// feature of theirs. (Its own tests are left to x86-64: they start the
/// command as a child process, which qemu's user emulation does not follow
/// into another AArch64 binary.)
const PACKAGES: &[&str] = &[
    "-p",
    "wazero-compiler",
    "-p",
    "wazero-compiler-arm64",
    "-p",
    "wazero",
    "-p",
    "wazero-fuzz",
    "-p",
    "xtask",
];

/// The command line that runs an AArch64 program here.
fn runner() -> String {
    format!("{QEMU} -L {LIBC_PREFIX}")
}

/// Options of `cargo xtask test-arm64`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Fail when the cross toolchain is missing instead of skipping.
    #[arg(long)]
    pub require: bool,
    /// The sysroot holding `lib/rustlib/aarch64-unknown-linux-gnu` (default:
    /// `target/arm64-sysroot/sysroot`, where `.ci/arm64-toolchain` puts it).
    #[arg(long)]
    pub sysroot: Option<PathBuf>,
    /// Parallel jobs for cargo.
    #[arg(long, short)]
    pub jobs: Option<u32>,
}

/// The cross toolchain, found.
pub struct Toolchain {
    rustc: PathBuf,
    sysroot: PathBuf,
}

/// The default sysroot, under the workspace's target directory.
fn default_sysroot() -> PathBuf {
    workspace_root().join("target/arm64-sysroot/sysroot")
}

/// Whether `program` runs with `--version`.
fn runs(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The cross toolchain, or what is missing.
pub fn find(sysroot: Option<&Path>) -> Result<Toolchain, String> {
    let sysroot = sysroot.map_or_else(default_sysroot, Path::to_path_buf);
    if !sysroot
        .join("lib/rustlib")
        .join(TARGET)
        .join("lib")
        .is_dir()
    {
        return Err(format!(
            "no AArch64 standard library in {} (run .ci/arm64-toolchain)",
            sysroot.display()
        ));
    }
    let rustc = PathBuf::from("/usr/bin/rustc");
    if !rustc.is_file() {
        return Err("no /usr/bin/rustc (Debian's rustc-web)".into());
    }
    for program in ["aarch64-linux-gnu-gcc", QEMU] {
        if !runs(program) {
            return Err(format!("no {program}"));
        }
    }
    if !Path::new(LIBC_PREFIX).is_dir() {
        return Err(format!("no {LIBC_PREFIX} (libc6-dev-arm64-cross)"));
    }
    Ok(Toolchain { rustc, sysroot })
}

impl Toolchain {
    /// `cargo <args> --target aarch64-unknown-linux-gnu` with the cross
    /// toolchain and qemu as the runner, in its own target directory.
    fn cargo(&self, args: &[&str]) -> Command {
        let mut command = cargo();
        command
            .args(args)
            .args(["--target", TARGET])
            .env("RUSTC", &self.rustc)
            // No debug info: CI's disk is watched, and these builds are only run.
            .env("CARGO_PROFILE_DEV_DEBUG", "false")
            .env("CARGO_TARGET_DIR", self.target_dir())
            .env(
                "CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER",
                "aarch64-linux-gnu-gcc",
            )
            .env("CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER", runner())
            // Tests that run themselves in a child process go through qemu too.
            .env("WAZERO_TEST_RUNNER", runner())
            .env(
                "CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUSTFLAGS",
                format!("--sysroot={}", self.sysroot.display()),
            );
        command
    }

    /// The target directory of AArch64 builds.
    fn target_dir(&self) -> PathBuf {
        workspace_root().join("target/arm64")
    }

    /// The AArch64 debug build of the binary `name`.
    fn binary(&self, name: &str) -> PathBuf {
        self.target_dir().join(TARGET).join("debug").join(name)
    }

    /// A script that runs the AArch64 `wazero` binary under qemu, for runners
    /// that take a program to execute.
    fn wazero_wrapper(&self) -> Result<PathBuf, String> {
        let binary = self.binary("wazero");
        let script = self.target_dir().join("wazero-qemu");
        let text = format!(
            "#!/bin/sh\nexec {} '{}' \"$@\"\n",
            runner(),
            binary.display()
        );
        std::fs::write(&script, text).map_err(|e| format!("{}: {e}", script.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))
                .map_err(|e| format!("{}: {e}", script.display()))?;
        }
        Ok(script)
    }
}

/// Runs one step, echoing its name and time; false when it failed.
fn step(name: &str, mut command: Command) -> bool {
    println!("test-arm64: {name}");
    let started = Instant::now();
    let ok = command.status().is_ok_and(|s| s.success());
    println!(
        "test-arm64: {} {name} in {:.1?}",
        if ok { "ok" } else { "FAILED" },
        started.elapsed()
    );
    ok
}

/// Real WASI C programs (committed, built by clang and wasi-libc), each run by
/// the `wazero` command built for this host and the one built for AArch64,
/// on both engines: the same output and exit code.
const PROGRAMS: &[(&[&str], &str)] = &[
    (
        &[
            "-mount",
            "examples/data:/data",
            "examples/cat.wasm",
            "/data/hello.txt",
        ],
        "Hello, WebAssembly!",
    ),
    (&["testdata/wasi/hello.wasm"], "hello from wasi"),
    (
        &[
            "-env",
            "GREETING=hi",
            "testdata/wasi/args_env.wasm",
            "one",
            "two words",
        ],
        "argv[2]=two words",
    ),
    (&["testdata/wasi/exit_code.wasm", "7"], ""),
    (&["testdata/wasi/trap.wasm"], "about to trap"),
    (
        &["testdata/wasi/sieve.wasm", "300000"],
        "primes below 300000: 25997",
    ),
];

/// Runs [`PROGRAMS`] on both ISAs and engines; false at the first difference.
fn same_output_on_both_isas(jobs: Option<u32>) -> bool {
    println!("test-arm64: WASI C programs: the same output on x86-64 and AArch64");
    let host = match crate::wasi_testsuite::build_wazero(jobs) {
        Ok(path) => path,
        Err(e) => {
            println!("test-arm64: FAILED {e}");
            return false;
        }
    };
    let emulated = workspace_root().join("target/arm64/wazero-qemu");
    let mut ok = true;
    for (program, expected) in PROGRAMS {
        for engine in [&[][..], &["-interpreter"][..]] {
            let run = |wazero: &Path| {
                Command::new(wazero)
                    .arg("run")
                    .args(engine)
                    .args(*program)
                    .current_dir(workspace_root())
                    .output()
                    .map(|o| (o.status.code(), o.stdout))
                    .map_err(|e| e.to_string())
            };
            let (x86, arm) = (run(&host), run(&emulated));
            let same = matches!((&x86, &arm), (Ok(a), Ok(b)) if a == b)
                && x86
                    .as_ref()
                    .is_ok_and(|(_, out)| String::from_utf8_lossy(out).contains(expected));
            let shown = program.join(" ");
            if same {
                let (code, out) = x86.as_ref().expect("compared equal, so both ran");
                println!(
                    "test-arm64: ok {shown} {engine:?}: exit {code:?}, {} bytes out",
                    out.len()
                );
            } else {
                ok = false;
                println!("test-arm64: FAILED {shown} {engine:?}: x86-64 {x86:?}, AArch64 {arm:?}");
            }
        }
    }
    ok
}

/// Runs every step; see the module documentation.
pub fn main(args: &Args) -> ExitCode {
    let toolchain = match find(args.sysroot.as_deref()) {
        Ok(t) => t,
        Err(why) if !args.require => {
            println!("test-arm64: skipped: {why}");
            return ExitCode::SUCCESS;
        }
        Err(why) => {
            eprintln!("test-arm64: {why}");
            return ExitCode::FAILURE;
        }
    };
    let jobs = jobs_args(args.jobs);
    let jobs: Vec<&str> = jobs.iter().map(String::as_str).collect();
    let mut results = Vec::new();

    // One feature resolution for every step: the tests, the spec runner and
    // the `wazero` command are built by invocations that select the same
    // packages (and dev-dependencies), so Cranelift and the workspace's crates
    // are cross-compiled once. (Separate `cargo run -p xtask` and `cargo test
    // -p wazero-fuzz` invocations resolved other features and rebuilt it all,
    // twice: about five minutes under CI.)
    let mut tests = toolchain.cargo(&["test"]);
    tests
        .args(PACKAGES)
        .args(["--lib", "--tests"])
        .args(&jobs)
        // The runtime's tests that run on each engine run on the compiler
        // alone here (see their `engines::base`).
        .env("WAZERO_TEST_ENGINES", "compiler")
        // A third of the differential seeds x86-64 runs: under emulation the
        // interpreter and wasmi, the references, run emulated too, and took
        // five of CI's minutes.
        .env("WAZERO_DIFFERENTIAL_SEEDS", "100")
        // The generated-module robustness test runs the interpreter, the
        // same code x86-64 runs 600 modules through: a sixth of them here.
        .env("ROBUSTNESS_MODULES", "100");
    results.push(step("unit, integration and differential tests", tests));

    // (No doc tests here or above: rustup's rustdoc cannot use Debian's
    // AArch64 standard library.)
    let mut build = toolchain.cargo(&["build"]);
    build
        .args(PACKAGES)
        .args([
            "-p",
            "wazero-cli",
            "--tests",
            "--bin",
            "xtask",
            "--bin",
            "wazero",
        ])
        .args(&jobs);
    let built = step("build the spec runner and the wazero command", build);
    results.push(built);

    if built {
        let mut spec = Command::new(QEMU);
        spec.args(["-L", LIBC_PREFIX])
            .arg(toolchain.binary("xtask"))
            .args(["spectest", "--engine", "compiler"])
            .current_dir(workspace_root());
        results.push(step("spectest --engine compiler", spec));
    }

    let wrapper = toolchain.wazero_wrapper();
    results.push(wrapper.is_ok());
    if let (true, Ok(wrapper)) = (built, wrapper) {
        let mut suite = cargo();
        suite
            .args(["run", "-p", "xtask", "--", "wasi-testsuite", "--wazero"])
            .arg(wrapper)
            // The interpreter's WASI is the same code as on x86-64; under
            // emulation the suite's time goes to the engine that generates
            // AArch64 code for every test (the tiered one's runs here were
            // mostly interpreted, and its AArch64 code is tested by the
            // runtime's tests above).
            .args(["--engine", "compiler"]);
        results.push(step("wasi-testsuite through the AArch64 wazero", suite));
    }

    let programs = if built {
        same_output_on_both_isas(args.jobs)
    } else {
        false
    };
    results.push(programs);

    let failed = results.iter().filter(|ok| !**ok).count();
    if failed == 0 {
        println!("test-arm64: all {} steps passed", results.len());
        ExitCode::SUCCESS
    } else {
        println!("test-arm64: {failed} of {} steps failed", results.len());
        ExitCode::FAILURE
    }
}
