//! `cargo xtask test`: everything CI checks, in order, each step reported.
//!
//! 1. `cargo fmt --check` and `cargo clippy --workspace --all-targets -D warnings`.
//! 2. `cargo doc --workspace --no-deps` without warnings, and the builds of
//!    only what a user needs: `wazero` with only the interpreter (no Cranelift
//!    in its dependency tree), with only the compiler (no interpreter), and
//!    `wazero-wasi-preview1` and `wazero-validator`, which pull in no engine.
//!    Then `cargo package --workspace`: every publishable crate packages and
//!    its package builds alone.
//! 3. `cargo test --workspace -j2`: unit, integration, property and doc tests.
//! 4. The spec tests on every engine that is built, as a subprocess (so that even
//!    a crash of the runtime leaves this summary standing): `cargo run -p xtask --
//!    spectest --engine all`. The debug build is the fastest end to end: its
//!    dependencies were just built by step 1, so it costs a link and a run of
//!    about 5 s (v2 and simd on 2 cores), while `--release` first spends well over
//!    a minute compiling the runtime, `wast` and the suite optimized, to save a
//!    few seconds of running.
//!
//! 5. The official WASI test suite through the `wazero` command, on both
//!    engines (`cargo xtask wasi-testsuite`).
//! 6. In release: the dispatch test and the spec tests again, on the
//!    interpreter's threaded dispatch (debug builds use its loop dispatch).
//! 7. The AArch64 compiler built for `aarch64-unknown-linux-gnu` and tested
//!    under qemu (`cargo xtask test-arm64`), where the cross toolchain is
//!    installed; reported as skipped otherwise.
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
    /// The last lines the step printed (both streams), kept for a failed step
    /// so that the reason stands after the summary, where CI logs are read.
    tail: Vec<String>,
}

/// The store's unit tests that Miri runs (filters of the test harness).
const MIRI_TESTS: &[&str] = &[
    "sharded::",
    "interrupt::tests::a_request_stops_only_the_running_activity_and_is_taken_once",
    "interrupt::tests::late_requests_never_reach_a_later_activity",
    "bulk::",
    "store::tests::",
];

/// How many closing output lines of a failed step the summary repeats.
const TAIL_LINES: usize = 40;

/// The last [`TAIL_LINES`] lines seen by any of the echoing readers.
type Tail = std::sync::Arc<std::sync::Mutex<std::collections::VecDeque<String>>>;

/// Copies `from` line by line to `to`, keeping the last lines in `tail`;
/// `closing` picks the last line worth repeating after the summary.
fn echo(
    from: impl std::io::Read,
    mut to: impl Write,
    tail: &Tail,
    closing: Option<fn(&str) -> bool>,
) -> Option<String> {
    let mut note = None;
    for line in BufReader::new(from).lines().map_while(Result::ok) {
        if closing.is_some_and(|is_closing| is_closing(&line)) {
            note = Some(line.clone());
        }
        let _ = writeln!(to, "{line}");
        let _ = to.flush();
        let mut kept = tail.lock().unwrap_or_else(|e| e.into_inner());
        if kept.len() == TAIL_LINES {
            kept.pop_front();
        }
        kept.push_back(line);
    }
    note
}

/// Runs `command`, echoing its output; with `closing`, also returns the last
/// stdout line that `closing` accepts.
fn run_step(name: &str, mut command: Command, closing: Option<fn(&str) -> bool>) -> Step {
    println!("xtask test: running {name}");
    let started = Instant::now();
    let tail = Tail::default();
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let (ok, note) = match command.spawn() {
        Ok(mut child) => {
            let stderr = child.stderr.take().map(|err| {
                let tail = tail.clone();
                std::thread::spawn(move || echo(err, std::io::stderr(), &tail, None))
            });
            let note = child
                .stdout
                .take()
                .and_then(|out| echo(out, std::io::stdout(), &tail, closing));
            if let Some(reader) = stderr {
                let _ = reader.join();
            }
            (child.wait().is_ok_and(|s| s.success()), note)
        }
        Err(e) => {
            tail.lock()
                .unwrap_or_else(|e| e.into_inner())
                .push_back(format!("cannot run {name}: {e}"));
            (false, None)
        }
    };
    let tail = if ok {
        Vec::new()
    } else {
        std::mem::take(&mut *tail.lock().unwrap_or_else(|e| e.into_inner())).into()
    };
    Step {
        name: name.to_string(),
        ok,
        took: started.elapsed(),
        note,
        tail,
    }
}

/// Checks with `cargo tree` that the crate and features of `args` depend on
/// no crate whose name starts with one of `forbidden`, and on each of
/// `required`: so that a user depending on only what they need builds nothing
/// else.
fn dependencies(name: &str, args: &[&str], forbidden: &[&str], required: &[&str]) -> Step {
    println!("xtask test: running {name}");
    let started = Instant::now();
    let output = cargo()
        .arg("tree")
        .args(args)
        .args(["--edges", "normal,build", "--prefix", "none"])
        .output();
    let mut tail = Vec::new();
    let ok = match output {
        Ok(out) if out.status.success() => {
            let tree = String::from_utf8_lossy(&out.stdout);
            let unwanted: Vec<&str> = tree
                .lines()
                .filter(|l| forbidden.iter().any(|f| l.starts_with(f)))
                .collect();
            let missing: Vec<&&str> = required
                .iter()
                .filter(|r| !tree.lines().any(|l| l.starts_with(**r)))
                .collect();
            if !unwanted.is_empty() || !missing.is_empty() {
                tail.push(format!("depends on {unwanted:?}, lacks {missing:?}"));
            }
            unwanted.is_empty() && missing.is_empty()
        }
        Ok(out) => {
            let err = String::from_utf8_lossy(&out.stderr);
            let lines: Vec<&str> = err.lines().collect();
            let from = lines.len().saturating_sub(TAIL_LINES);
            tail.extend(lines[from..].iter().map(|l| l.to_string()));
            false
        }
        Err(e) => {
            tail.push(format!("cannot run cargo tree: {e}"));
            false
        }
    };
    for line in &tail {
        eprintln!("xtask test: {name}: {line}");
    }
    Step {
        name: name.to_string(),
        ok,
        took: started.elapsed(),
        note: None,
        tail,
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

/// The doc tests of `wazero` built with only the engine `feature`.
fn one_engine_doc_tests(feature: &str, jobs: &[String]) -> Step {
    let mut test = cargo();
    test.args([
        "test",
        "-p",
        "wazero",
        "--no-default-features",
        "--features",
    ])
    .args([feature, "--doc"])
    .args(jobs);
    run_step(
        &format!("test wazero with only the {feature} (doc tests)"),
        test,
        None,
    )
}

/// The workspace's `rust-version`, from its manifest.
fn msrv() -> Option<String> {
    let manifest =
        std::fs::read_to_string(crate::cargo::workspace_root().join("Cargo.toml")).ok()?;
    manifest.lines().find_map(|line| {
        let value = line
            .trim()
            .strip_prefix("rust-version")?
            .trim()
            .strip_prefix('=')?;
        Some(value.trim().trim_matches('"').to_string())
    })
}

/// The rustup toolchain of `version` (`1.95` is `1.95.0-<host>`), if installed.
fn installed_toolchain(version: &str) -> Option<String> {
    let out = Command::new("rustup")
        .args(["toolchain", "list"])
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|line| {
            let name = line.split_whitespace().next()?;
            let exact = name == version;
            let prefixed = [format!("{version}-"), format!("{version}.0-")]
                .iter()
                .any(|p| name.starts_with(p.as_str()));
            (exact || prefixed).then(|| name.to_string())
        })
}

/// Bytes in the files under `dir` (0 where it cannot be read).
fn dir_size(dir: &std::path::Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| match entry.file_type() {
            Ok(t) if t.is_dir() => dir_size(&entry.path()),
            Ok(t) if t.is_file() => entry.metadata().map_or(0, |m| m.len()),
            _ => 0,
        })
        .sum()
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
        .env("RUSTDOCFLAGS", "-D warnings --cfg docsrs");
    steps.push(run_step("cargo doc (no warnings)", doc, None));

    // Only what a user needs: the facade with one engine builds, and its
    // doc tests (which cover the API) pass.
    steps.push(one_engine_doc_tests("interpreter", &jobs));
    steps.push(dependencies(
        "the interpreter-only build has no Cranelift",
        &[
            "-p",
            "wazero",
            "--no-default-features",
            "--features",
            "interpreter",
        ],
        &["cranelift", "wazero-compiler"],
        &["wazero-interpreter"],
    ));
    steps.push(one_engine_doc_tests("compiler", &jobs));
    steps.push(dependencies(
        "the compiler-only build has no interpreter",
        &[
            "-p",
            "wazero",
            "--no-default-features",
            "--features",
            "compiler",
        ],
        &["wazero-interpreter"],
        &[],
    ));
    steps.push(dependencies(
        "WASI and the validator pull in no engine",
        &["-p", "wazero-wasi-preview1", "-p", "wazero-validator"],
        &["wazero-interpreter", "wazero-compiler", "cranelift"],
        &["wazero-decoder"],
    ));

    // The minimum supported Rust version (`rust-version`) builds the
    // workspace, where that toolchain is installed.
    if let Some((msrv, toolchain)) = msrv().and_then(|v| installed_toolchain(&v).map(|t| (v, t))) {
        // Through rustup: the cargo running this task is one toolchain's own.
        let mut check = Command::new("rustup");
        check
            .args(["run", &toolchain, "cargo"])
            .args(["check", "--workspace", "--exclude", "wazero-bench"])
            .args(&jobs)
            .current_dir(crate::cargo::workspace_root());
        steps.push(run_step(
            &format!("cargo +{msrv} check (the MSRV)"),
            check,
            None,
        ));
    } else {
        println!("xtask test: the MSRV toolchain is not installed; skipping that check");
    }

    // The public API of each crate, against its listing in api/ (rustdoc
    // JSON needs a nightly toolchain).
    if installed_toolchain("nightly").is_some() {
        let mut api = cargo();
        api.args(["run", "-q", "-p", "xtask"])
            .args(&jobs)
            .args(["--", "public-api"]);
        steps.push(run_step(
            "public-api (each crate's API matches api/)",
            api,
            None,
        ));
    } else {
        println!("xtask test: no nightly toolchain; skipping the public API check");
    }

    // Miri on what it can run of the store: the lock-free interrupt
    // activities and the sharded counters that threads share, the bulk-copy
    // chunking and the function slot lists (the rest maps memory with guard
    // pages, which Miri does not model; the engines run JIT code or threaded
    // dispatch).
    let miri = Command::new("rustup")
        .args(["run", "nightly", "cargo", "miri", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if miri {
        let mut miri = Command::new("rustup");
        miri.current_dir(crate::cargo::workspace_root())
            .args([
                "run",
                "nightly",
                "cargo",
                "miri",
                "test",
                "-p",
                "wazero-store",
            ])
            .args(["--lib", "--"])
            .args(MIRI_TESTS);
        steps.push(run_step("Miri: the store's lock-free parts", miri, None));
    } else {
        println!("xtask test: no Miri (rustup component miri of nightly); skipping that check");
    }

    // Every publishable crate packages and builds alone from its `.crate`
    // against the others' packages (cargo strips path-only dev-dependencies).
    // The packages are resolved offline, from the crates the earlier steps
    // and a `cargo fetch` brought: what is checked is the packages, not the
    // registry's answers for crate names that are not published yet, which
    // differ between registry mirrors.
    let verify_dir = crate::cargo::target_dir().join("package-verify");
    forget_packaged_builds(&verify_dir, cargo_home().as_deref());
    let _ = cargo()
        .arg("fetch")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let mut package = cargo();
    package
        .args(["package", "--workspace", "--allow-dirty", "--offline"])
        .env("CARGO_TARGET_DIR", &verify_dir)
        .args([
            "--exclude",
            "xtask",
            "--exclude",
            "wazero-bench",
            "--exclude",
            "wazero-fuzz",
        ])
        .args(&jobs);
    steps.push(run_step(
        "cargo package --workspace (each crate verified alone)",
        package,
        None,
    ));

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

    // The official WASI suite through the `wazero` command (the debug binary
    // `cargo test` just built), on both engines.
    let mut wasi_suite = cargo();
    wasi_suite
        .args(["run", "-q", "-p", "xtask"])
        .args(&jobs)
        .args(["--", "wasi-testsuite", "--engine", "all"]);
    steps.push(run_step(
        "wasi-testsuite --engine all (official WASI suite)",
        wasi_suite,
        Some(|line| line.starts_with("wasi-testsuite: ") && line.contains(" passed, ")),
    ));

    // Optimized builds dispatch the interpreter's hot instructions by threaded
    // tail calls (debug builds above use a loop): check that every tail call is a
    // jump, and run the spec suite on that dispatch too. Both release builds
    // select the same packages, so that they resolve the same features and
    // share one optimized build of Cranelift and the workspace (`cargo run
    // -p xtask` alone resolves other features and rebuilt it all: three of
    // CI's minutes).
    const RELEASE_PACKAGES: [&str; 4] = ["-p", "wazero", "-p", "xtask"];
    let mut dispatch = cargo();
    dispatch
        .args(["test", "--release"])
        .args(RELEASE_PACKAGES)
        .args(["--test", "dispatch"])
        .args(&jobs);
    steps.push(run_step(
        "threaded dispatch keeps the native stack flat (release)",
        dispatch,
        None,
    ));
    let mut release_xtask = cargo();
    release_xtask
        .args(["build", "--release"])
        .args(RELEASE_PACKAGES)
        .args(["--test", "dispatch", "--bin", "xtask"])
        .args(&jobs);
    let built = run_step("build the release spec runner", release_xtask, None);
    let built_ok = built.ok;
    steps.push(built);
    if built_ok {
        let mut spec = Command::new(crate::cargo::target_dir().join("release/xtask"));
        spec.args(["spectest", "--engine", "all"])
            .current_dir(crate::cargo::workspace_root());
        steps.push(run_step(
            "spectest --engine all (release build, threaded dispatch)",
            spec,
            Some(|line| line.starts_with("spectest: ") && line.contains(" passed, ")),
        ));
    }

    // The AArch64 compiler under qemu, where the cross toolchain is installed
    // (`.ci/arm64-toolchain`); the step says "skipped" and why otherwise.
    let mut arm64 = cargo();
    arm64
        .args(["run", "--package", "xtask", "--", "test-arm64"])
        .args(&jobs);
    steps.push(run_step(
        "AArch64 compiler under qemu (test-arm64)",
        arm64,
        Some(|line| {
            line.starts_with("test-arm64: skipped")
                || line.starts_with("test-arm64: all ")
                || line.contains(" steps failed")
        }),
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
    // CI machines have limited disk: the size of what the steps wrote is
    // watched like their time.
    let target = crate::cargo::target_dir();
    println!(
        "xtask test: target directory holds {:.1} GiB",
        dir_size(&target) as f64 / (1u64 << 30) as f64
    );
    let failed = steps.iter().filter(|s| !s.ok).count();
    if failed == 0 {
        println!("xtask test: all {} steps passed", steps.len());
    } else {
        println!("xtask test: {failed} of {} steps failed", steps.len());
    }
    for step in steps.iter().filter(|s| !s.ok && !s.tail.is_empty()) {
        println!();
        println!("xtask test: how \"{}\" ended:", step.name);
        for line in &step.tail {
            println!("  | {line}");
        }
    }
    // The suites' closing lines go last, where CI looks for counts.
    for note in steps.iter().filter_map(|s| s.note.as_ref()) {
        println!("{note}");
    }
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Removes what earlier `cargo package --workspace` runs left of this
/// workspace's packages, so that each run verifies the packages it just made.
///
/// Cargo takes a registry's package as immutable (same name and version, same
/// contents), and the packages of its temporary registry
/// (`package/tmp-registry` in `verify_dir`) are always version 0.1.0 here:
/// - it unpacks them under `$CARGO_HOME/registry/src/-<hash>/`, a name that
///   depends only on the registry's path, and never unpacks one again once
///   its directory is there;
/// - it keeps their build in `verify_dir` and never rebuilds it.
///
/// A checkout at a fixed path with a kept `CARGO_HOME` or target directory
/// would otherwise verify each crate against an older commit's packages.
/// The build of the other dependencies in `verify_dir` is kept.
fn forget_packaged_builds(verify_dir: &std::path::Path, cargo_home: Option<&std::path::Path>) {
    let ours = |entry: &std::fs::DirEntry| {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        name.starts_with("wazero") || name.starts_with("libwazero")
    };
    let remove = |entry: std::fs::DirEntry| {
        let path = entry.path();
        let _ = if path.is_dir() {
            std::fs::remove_dir_all(path)
        } else {
            std::fs::remove_file(path)
        };
    };
    let entries = |dir: &std::path::Path| std::fs::read_dir(dir).into_iter().flatten().flatten();
    for dir in [".fingerprint", "deps", "build"] {
        entries(&verify_dir.join("debug").join(dir))
            .filter(ours)
            .for_each(remove);
    }
    if let Some(home) = cargo_home {
        // Local registries are named `-<hash>`; crates.io's `index.crates.io-…`.
        for registry in entries(&home.join("registry").join("src"))
            .filter(|r| r.file_name().to_string_lossy().starts_with('-'))
        {
            entries(&registry.path()).filter(ours).for_each(remove);
        }
    }
}

/// `$CARGO_HOME`, else `~/.cargo`.
fn cargo_home() -> Option<std::path::PathBuf> {
    std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".cargo")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shell(script: &str) -> Command {
        let mut command = Command::new("sh");
        command.args(["-c", script]);
        command
    }

    #[test]
    fn a_failed_step_keeps_its_last_lines() {
        let step = run_step(
            "fails",
            shell("for i in $(seq 1 100); do echo err$i >&2; done; exit 3"),
            None,
        );
        assert!(!step.ok);
        let expected: Vec<String> = (61..=100).map(|i| format!("err{i}")).collect();
        assert_eq!(step.tail, expected);
    }

    #[test]
    fn a_failed_step_keeps_lines_of_both_streams() {
        let step = run_step("fails", shell("echo out; echo err >&2; exit 1"), None);
        assert!(!step.ok);
        let mut tail = step.tail.clone();
        tail.sort();
        assert_eq!(tail, ["err", "out"]);
    }

    #[test]
    fn a_passed_step_keeps_no_lines_but_its_closing_note() {
        let step = run_step(
            "passes",
            shell("echo 'spectest: 3 passed, 0 failed'; echo done"),
            Some(|l| l.starts_with("spectest: ")),
        );
        assert!(step.ok);
        assert!(step.tail.is_empty());
        assert_eq!(step.note.as_deref(), Some("spectest: 3 passed, 0 failed"));
    }

    #[test]
    fn earlier_package_builds_of_ours_are_forgotten_and_others_kept() {
        let root = std::env::temp_dir().join(format!("xtask-forget-{}", std::process::id()));
        let verify = root.join("verify");
        let home = root.join("home");
        let paths = [
            // (path, removed)
            ("verify/debug/.fingerprint/wazero-api-0123", true),
            ("verify/debug/.fingerprint/thiserror-4567", false),
            ("verify/debug/deps/libwazero_api-0123.rlib", true),
            ("verify/debug/deps/libthiserror-4567.rlib", false),
            ("verify/debug/build/wazero-cli-89ab", true),
            ("home/registry/src/-1b2c3d/wazero-api-0.1.0", true),
            (
                "home/registry/src/index.crates.io-1949/wazero-like-1.0.0",
                false,
            ),
            (
                "home/registry/src/index.crates.io-1949/thiserror-2.0.0",
                false,
            ),
        ];
        for (path, _) in paths {
            let path = root.join(path);
            if path.extension().is_some() {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, b"").unwrap();
            } else {
                std::fs::create_dir_all(path.join("src")).unwrap();
            }
        }
        forget_packaged_builds(&verify, Some(&home));
        for (path, removed) in paths {
            assert_eq!(!root.join(path).exists(), removed, "{path}");
        }
        std::fs::remove_dir_all(&root).unwrap();
    }
}
