//! `wazero-fuzz`: the differential harness on random seeds, for a while
//! (`cargo xtask fuzz` builds it optimized and runs it).
//!
//! Seeds run consecutively from the starting seed (random unless `--seed`), so
//! `--seed S` repeats a run, and its first module is the one of seed `S`. A line
//! every 1000 modules shows progress; every mismatch is printed with its seed
//! and the file the module was saved to, and makes the exit code non-zero.
//! `--replay FILE` checks one saved module instead.
//!
//! An engine that panics is reported with its seed (and its module saved) by a
//! panic hook; one that crashes the process outright leaves the seed it was
//! checking in `target/differential-failures/running-seed`, which
//! `cargo xtask fuzz` reports. A module still running after 10 s is named too.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Parser;
use wazero_fuzz::{
    check_module, check_seed, engines, failure_dir, generate, reference, save_failure, Engine,
    Tally,
};

/// Mismatches printed before the rest are only counted.
const MAX_REPORTED: usize = 20;

/// A module still running after this long is reported (and again each time
/// this much longer has passed).
const SLOW: Duration = Duration::from_secs(10);

/// The file that holds the seed being checked while a run is in progress.
const RUNNING_SEED: &str = "running-seed";

/// Run wazero's engines and wasmi on generated modules and compare them.
#[derive(Debug, Parser)]
#[command(name = "wazero-fuzz")]
struct Args {
    /// How long to run, in seconds.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// The first seed (default: from the clock).
    #[arg(long)]
    seed: Option<u64>,
    /// Check this module (e.g. one saved in target/differential-failures) and exit.
    #[arg(long, value_name = "FILE", conflicts_with = "seed")]
    replay: Option<PathBuf>,
    /// What makes the modules, and what the engines are compared with:
    /// `wasm-smith` against wasmi; `exceptions` (`exception_module`, modules
    /// that throw and catch) and `typed-refs` (`typed_reference_module`),
    /// which wasmi does not run, against wazero's interpreter.
    #[arg(long, value_enum, default_value_t = Generator::WasmSmith)]
    generator: Generator,
}

/// The `--generator` choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Generator {
    /// `wasm-smith` modules (`wazero_fuzz::generate`), against wasmi.
    WasmSmith,
    /// `wazero_fuzz::exception_module`, against the interpreter.
    Exceptions,
    /// `wazero_fuzz::typed_reference_module`, against the interpreter.
    TypedRefs,
}

impl Generator {
    /// The module of `seed`, if the seed makes one.
    fn module(self, seed: u64) -> Option<Vec<u8>> {
        match self {
            Generator::WasmSmith => generate(seed),
            Generator::Exceptions => Some(wazero_fuzz::exception_module(seed)),
            Generator::TypedRefs => Some(wazero_fuzz::typed_reference_module(seed)),
        }
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut engines = engines();
    // wasmi runs what wasm-smith makes; the other generators' modules use
    // proposals it does not run, so the interpreter is the reference there.
    let reference = match args.generator {
        Generator::WasmSmith => reference(),
        _ if engines.len() > 1 => engines.remove(0),
        _ => {
            eprintln!(
                "wazero-fuzz: --generator {:?} needs the compiler feature",
                args.generator
            );
            return ExitCode::FAILURE;
        }
    };
    let names: Vec<&str> = engines.iter().map(|e| e.name()).collect();
    println!(
        "wazero-fuzz: {} against {}",
        names.join(", "),
        reference.name()
    );
    match &args.replay {
        Some(path) => replay(path, &engines, reference.as_ref()),
        None => fuzz(&args, &engines, reference.as_ref()),
    }
}

/// Checks the module in `path`.
fn replay(path: &Path, engines: &[Box<dyn Engine>], reference: &dyn Engine) -> ExitCode {
    let wasm = match std::fs::read(path) {
        Ok(wasm) => wasm,
        Err(e) => {
            eprintln!("wazero-fuzz: cannot read {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    };
    let mut tally = Tally::default();
    match check_module(&wasm, engines, reference, &mut tally) {
        Ok(()) => {
            println!("{}: no mismatch; {tally}", path.display());
            ExitCode::SUCCESS
        }
        Err(mismatch) => {
            println!("{}: {mismatch}", path.display());
            ExitCode::FAILURE
        }
    }
}

/// Checks consecutive seeds until the time is up.
fn fuzz(args: &Args, engines: &[Box<dyn Engine>], reference: &dyn Engine) -> ExitCode {
    let first = args.seed.unwrap_or_else(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |t| t.as_nanos() as u64)
    });
    println!(
        "wazero-fuzz: seeds from {first}, for {} s (--seed {first} repeats this run)",
        args.seconds
    );
    let running = Arc::new(AtomicU64::new(first));
    watch(running.clone());
    report_panics(running.clone(), args.generator);
    let marker = failure_dir().join(RUNNING_SEED);
    let _ = std::fs::create_dir_all(failure_dir());

    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let mut tally = Tally::default();
    let mut mismatches = 0;
    let mut seed = first;
    let mut seeds = 0u64;
    while Instant::now() < deadline {
        running.store(seed, Ordering::Relaxed);
        // Cheap next to checking a module (a few microseconds of ~2 ms).
        let _ = std::fs::write(&marker, seed.to_string());
        let checked = match (args.generator, args.generator.module(seed)) {
            (Generator::WasmSmith, _) => check_seed(seed, engines, reference, &mut tally),
            (_, None) => Ok(()),
            (_, Some(wasm)) => {
                check_module(&wasm, engines, reference, &mut tally).map_err(|mut mismatch| {
                    mismatch.seed = Some(seed);
                    mismatch.saved = save_failure(&seed.to_string(), &wasm);
                    mismatch
                })
            }
        };
        if let Err(mismatch) = checked {
            mismatches += 1;
            if mismatches <= MAX_REPORTED {
                println!("MISMATCH {mismatch}");
            }
        }
        seeds += 1;
        seed = seed.wrapping_add(1);
        if seeds.is_multiple_of(1000) {
            println!("{seeds} seeds (up to {}): {tally}", seed.wrapping_sub(1));
        }
    }
    let _ = std::fs::remove_file(&marker);
    println!(
        "wazero-fuzz: {seeds} seeds from {first}: {tally}; {mismatches} mismatch{}",
        if mismatches == 1 { "" } else { "es" }
    );
    let entries = wazero_fuzz::harness::LOOP_ENTRIES.load(std::sync::atomic::Ordering::Relaxed);
    if entries > 0 {
        println!(
            "wazero-fuzz: the tiered engine handed {entries} calls over to compiled code at loops"
        );
    }
    if mismatches > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Starts a thread that names a seed whose module has been running for longer
/// than [`SLOW`] (a hang is a finding too: fuel bounds every module).
fn watch(running: Arc<AtomicU64>) {
    std::thread::spawn(move || {
        let mut last = (running.load(Ordering::Relaxed), Instant::now());
        loop {
            std::thread::sleep(SLOW);
            let seed = running.load(Ordering::Relaxed);
            if seed != last.0 {
                last = (seed, Instant::now());
            } else {
                let secs = last.1.elapsed().as_secs();
                println!("SLOW seed {seed} has been running for about {secs} s");
            }
        }
    });
}

/// Makes a panic (of an engine, or of the harness) name the seed being checked
/// and save its module before the default hook reports it.
fn report_panics(running: Arc<AtomicU64>, generator: Generator) {
    let default_hook = std::panic::take_hook();
    let reported = AtomicBool::new(false);
    std::panic::set_hook(Box::new(move |info| {
        // The reference's own failure: caught, and counted as inconclusive.
        if wazero_fuzz::engine::in_reference() {
            return;
        }
        // Once: a panic that cannot unwind panics again on its way out.
        if !reported.swap(true, Ordering::Relaxed) {
            let seed = running.load(Ordering::Relaxed);
            let saved = generator
                .module(seed)
                .and_then(|wasm| save_failure(&seed.to_string(), &wasm));
            let saved = saved.map_or(String::new(), |path| {
                format!("; module: {}", path.display())
            });
            println!("PANIC while checking seed {seed}{saved}");
        }
        default_hook(info);
    }));
}
