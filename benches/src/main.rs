//! `wazero-bench`: runs the same WebAssembly on wazero for Rust's interpreter and
//! on wasmi, side by side, and prints the times and their ratios.
//!
//! Run it through `cargo xtask bench [--quick] [FILTER...]`, which builds it
//! optimized. The goal is an interpreter faster than wasmi, and no benchmark may
//! take more than twice wasmi's time; each row ends with a verdict against that.
//! Verdicts inform and never fail the run: the exit code is non-zero only when a
//! benchmark could not run or the engines disagreed on a result.
//!
//! The call-loop benchmarks (`host-call-typed`, `host-call-raw`, `guest-call`)
//! also get a table of their own after the main one, in nanoseconds per call,
//! with verdicts against the host-call goals (see [`host_calls`]).
//!
//! `wasi-files` runs a WASI program writing and reading back many small files,
//! on wazero's interpreter with a host directory and with an in-memory file
//! system, against native Rust doing the same (see [`wasi_files`]), in a third
//! table: wasmi has no WASI here, so native code is its baseline.
//!
//! See `docs/benchmarks.md` for the benchmarks and recorded figures.

mod engines;
mod generate;
mod host_calls;
mod measure;
mod programs;
mod wasi_files;

use std::process::{Command, ExitCode, Stdio};

use wasmi::CompilationMode;

use crate::engines::{with_callee, Result, Wasmi, Wazero, WazeroEager};
use crate::measure::{
    format_duration, time_calls, time_compilation, time_instantiation, Settings, Stats,
};
use crate::programs::{Benchmark, Callee, INSTANTIATE_WAT};

/// Functions in the generated module of the compile benchmarks, full and quick.
const COMPILE_FUNCTIONS: (u32, u32) = (4_000, 1_500);

/// An interquartile spread of the samples above this (relative to the median)
/// gets a row flagged as noisy.
const NOISY_SPREAD: f64 = 0.20;

const USAGE: &str = "\
usage: wazero-bench [--quick] [--list] [FILTER...]

Runs each benchmark on wazero's interpreter and on wasmi and prints a table of
median (min) times and ratios (wasmi time / wazero time: above 1 means wazero is
faster). The call loops (host-call-typed, host-call-raw, guest-call) also get a
table in ns per call with the host-call goals. wasi-files runs a WASI program
on wazero with a host directory and with a MemFs, against native Rust, in a
table of its own. FILTERs select benchmarks whose name contains any of them
(`call` selects the call loops, `wasi` the WASI benchmark).

  --quick   smaller inputs and fewer samples (a first look, not for the record)
  --list    list the benchmarks and exit";

/// Command-line options.
struct Options {
    quick: bool,
    list: bool,
    filters: Vec<String>,
}

/// Parses the command line; `Err` carries what to print before exiting.
fn parse_args(args: &[String]) -> std::result::Result<Options, String> {
    let mut options = Options {
        quick: false,
        list: false,
        filters: Vec::new(),
    };
    for arg in args {
        match arg.as_str() {
            "--quick" => options.quick = true,
            "--list" => options.list = true,
            "-h" | "--help" => return Err(USAGE.to_string()),
            flag if flag.starts_with('-') => {
                return Err(format!("wazero-bench: unknown option {flag}\n\n{USAGE}"))
            }
            filter => options.filters.push(filter.to_string()),
        }
    }
    Ok(options)
}

/// The two sides of a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    /// wazero for Rust's interpreter.
    Wazero,
    /// wasmi (in the compilation mode the benchmark asks for).
    Wasmi,
}

impl Side {
    /// Both, in the order they run.
    const BOTH: [Side; 2] = [Side::Wazero, Side::Wasmi];

    /// Its name on a child's command line.
    fn name(self) -> &'static str {
        match self {
            Side::Wazero => "wazero",
            Side::Wasmi => "wasmi",
        }
    }

    /// The side called `name`.
    fn parse(name: &str) -> Option<Side> {
        Side::BOTH.into_iter().find(|s| s.name() == name)
    }
}

/// What one benchmark measured on one engine.
struct Measured {
    /// The input, e.g. `fib(32)`.
    input: String,
    /// A value both engines must agree on (a program's result).
    check: i64,
    stats: Stats,
}

/// The outcome of one benchmark on both engines.
struct Row {
    benchmark: Benchmark,
    /// The input, e.g. `fib(32)`.
    input: String,
    wazero: Stats,
    wasmi: Stats,
}

impl Row {
    /// wasmi's median time over wazero's: above 1, wazero is faster.
    fn ratio(&self) -> f64 {
        self.wasmi.median().as_secs_f64() / self.wazero.median().as_secs_f64().max(1e-12)
    }

    /// Where the ratio stands against the goal.
    fn verdict(&self) -> &'static str {
        let ratio = self.ratio();
        if ratio >= 1.0 {
            "faster than wasmi"
        } else if ratio >= 0.5 {
            "within 2x"
        } else {
            "SLOWER THAN 2x"
        }
    }
}

/// Runs `benchmark` on one engine, in this process.
fn run_one(benchmark: Benchmark, side: Side, quick: bool) -> Result<Measured> {
    let settings = if quick {
        Settings::QUICK
    } else {
        Settings::FULL
    };
    let wasmi_mode = match benchmark {
        Benchmark::CompileEager => Some(CompilationMode::Eager),
        _ => None,
    };
    let wasmi = || Wasmi::new(wasmi_mode);
    match benchmark {
        Benchmark::Run(program) => {
            let arg = program.arg(quick);
            let wasm = wat::parse_str(program.wat)?;
            let (stats, check) = match side {
                Side::Wazero => time_calls(Wazero::new(), &wasm, arg, &settings)?,
                Side::Wasmi => time_calls(wasmi(), &wasm, arg, &settings)?,
            };
            let input = format!("{}({arg})", program.name);
            Ok(Measured {
                input,
                check,
                stats,
            })
        }
        Benchmark::CallLoop(callee) => {
            let calls = Callee::calls(quick);
            let wasm = wat::parse_str(callee.wat())?;
            let (stats, check) = match side {
                Side::Wazero => {
                    time_calls(with_callee(Wazero::new(), callee)?, &wasm, calls, &settings)?
                }
                Side::Wasmi => time_calls(with_callee(wasmi(), callee)?, &wasm, calls, &settings)?,
            };
            let expected = Callee::expected(calls);
            if check != expected {
                return Err(format!("run({calls}) returned {check}, expected {expected}").into());
            }
            Ok(Measured {
                input: format!("{calls} calls"),
                check,
                stats,
            })
        }
        Benchmark::Instantiate => {
            let wasm = wat::parse_str(INSTANTIATE_WAT)?;
            let (stats, check) = match side {
                Side::Wazero => time_instantiation(Wazero::new, &wasm, &settings)?,
                Side::Wasmi => time_instantiation(wasmi, &wasm, &settings)?,
            };
            let input = format!("{} bytes", wasm.len());
            Ok(Measured {
                input,
                check,
                stats,
            })
        }
        Benchmark::Compile | Benchmark::CompileEager => {
            let functions = if quick {
                COMPILE_FUNCTIONS.1
            } else {
                COMPILE_FUNCTIONS.0
            };
            let wasm = generate::large_module(functions);
            let stats = match (side, benchmark) {
                (Side::Wazero, Benchmark::CompileEager) => {
                    time_compilation(WazeroEager::new, &wasm, &settings)?
                }
                (Side::Wazero, _) => time_compilation(Wazero::new, &wasm, &settings)?,
                (Side::Wasmi, _) => time_compilation(wasmi, &wasm, &settings)?,
            };
            let input = format!("{functions} funcs, {:.1} MB", wasm.len() as f64 / 1e6);
            Ok(Measured {
                input,
                check: wasm.len() as i64,
                stats,
            })
        }
    }
}

/// The first word of the line a child prints its measurement on.
const CHILD_TAG: &str = "wazero-bench-child";

/// The hidden mode the parent runs each measurement in: `--child BENCH ENGINE
/// [--quick]` (for `wasi-files`, a configuration instead of an engine) prints one
/// tab-separated line (tag, input, check, samples in ns).
fn child_main(args: &[String]) -> ExitCode {
    let quick = args.iter().any(|a| a == "--quick");
    let names: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let outcome = match names[..] {
        [wasi_files::NAME, config, ..] => {
            wasi_files::Config::parse(config).map(|c| wasi_files::run_one(c, quick))
        }
        [benchmark, side, ..] => Benchmark::all()
            .into_iter()
            .find(|b| b.name() == benchmark)
            .zip(Side::parse(side))
            .map(|(benchmark, side)| run_one(benchmark, side, quick)),
        _ => None,
    };
    let Some(outcome) = outcome else {
        eprintln!("wazero-bench: --child needs a benchmark and an engine (or configuration)");
        return ExitCode::from(2);
    };
    match outcome {
        Ok(m) => {
            let samples = m.stats.to_nanos_list();
            println!("{CHILD_TAG}\t{}\t{}\t{samples}", m.input, m.check);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// glibc settings for the children: never return freed heap memory to the
/// kernel, as a long-running embedder's warmed-up heap does not. Otherwise
/// `instantiate` mostly measured page faults, up to 3x either way depending on
/// which engine's pattern of frees happened to trim the heap.
const STEADY_HEAP: &str = "glibc.malloc.trim_threshold=1073741824";

/// Measures `benchmark` on `side` in a fresh child process (see [`spawn_child`]).
fn spawn_one(benchmark: Benchmark, side: Side, quick: bool) -> Result<Measured> {
    spawn_child(&[benchmark.name(), side.name()], side.name(), quick)
}

/// Runs `--child WHAT...` in a fresh process, so that no benchmark inherits
/// another's heap (allocator state alone moved `instantiate` by 4x), with
/// [`STEADY_HEAP`] unless `GLIBC_TUNABLES` is set already, and returns what it
/// measured; `label` names the child in errors.
fn spawn_child(what: &[&str], label: &str, quick: bool) -> Result<Measured> {
    let exe = std::env::current_exe()?;
    let mut command = Command::new(exe);
    command.arg("--child").args(what);
    if std::env::var_os("GLIBC_TUNABLES").is_none() {
        command.env("GLIBC_TUNABLES", STEADY_HEAP);
    }
    if quick {
        command.arg("--quick");
    }
    let output = command.stderr(Stdio::inherit()).output()?;
    if !output.status.success() {
        return Err(format!("{label} run failed ({})", output.status).into());
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find(|l| l.starts_with(CHILD_TAG))
        .ok_or_else(|| format!("{label} run printed no result"))?;
    let fields: Vec<&str> = line.split('\t').collect();
    let parsed =
        match fields[..] {
            [_, input, check, samples] => check
                .parse()
                .ok()
                .zip(Stats::from_nanos_list(samples))
                .map(|(check, stats)| Measured {
                    input: input.to_string(),
                    check,
                    stats,
                }),
            _ => None,
        };
    parsed.ok_or_else(|| format!("{label} run printed a malformed result: {line}").into())
}

/// Runs `benchmark` on both engines, each in its own process, and checks they agree.
fn run(benchmark: Benchmark, quick: bool, rounds: u32) -> Result<Row> {
    let mut row: Option<Row> = None;
    for _ in 0..rounds.max(1) {
        let wazero = spawn_one(benchmark, Side::Wazero, quick)?;
        let wasmi = spawn_one(benchmark, Side::Wasmi, quick)?;
        if wazero.check != wasmi.check {
            return Err(format!(
                "the engines disagree: wazero returned {}, wasmi {}",
                wazero.check, wasmi.check
            )
            .into());
        }
        row = Some(match row {
            None => Row {
                benchmark,
                input: wazero.input,
                wazero: wazero.stats,
                wasmi: wasmi.stats,
            },
            Some(r) => Row {
                wazero: r.wazero.merge(wazero.stats),
                wasmi: r.wasmi.merge(wasmi.stats),
                ..r
            },
        });
    }
    row.ok_or_else(|| "no round ran".into())
}

/// The first `model name` in `/proc/cpuinfo`.
fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, model)| model.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".to_string())
}

/// The 1-minute load average, if the system tells.
fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// `median (min)` of `stats`.
fn cell(stats: &Stats) -> String {
    format!(
        "{} ({})",
        format_duration(stats.median()),
        format_duration(stats.min())
    )
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "--child") {
        return child_main(&args[1..]);
    }
    let options = match parse_args(&args) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return if message == USAGE {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            };
        }
    };
    let chosen = |name: &str| {
        options.filters.is_empty() || options.filters.iter().any(|f| name.contains(f.as_str()))
    };
    let selected: Vec<Benchmark> = Benchmark::all()
        .into_iter()
        .filter(|b| chosen(b.name()))
        .collect();
    let wasi_selected = chosen(wasi_files::NAME);
    if options.list {
        for b in Benchmark::all() {
            println!("{:<16} {}", b.name(), b.what());
        }
        println!("{:<16} {}", wasi_files::NAME, wasi_files::WHAT);
        return ExitCode::SUCCESS;
    }
    if selected.is_empty() && !wasi_selected {
        eprintln!(
            "wazero-bench: no benchmark matches {:?} (see --list)",
            options.filters
        );
        return ExitCode::from(2);
    }

    let settings = if options.quick {
        Settings::QUICK
    } else {
        Settings::FULL
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "wazero-bench: {} run: {} round(s) of a fresh process per engine, each a sizing run, \
         {} untimed and {} timed samples; time per operation as median (min) of all samples",
        if options.quick { "quick" } else { "full" },
        settings.rounds,
        settings.warmups,
        settings.samples,
    );
    println!("machine: {}, {cores} cores", cpu_model());
    if std::env::var_os("GLIBC_TUNABLES").is_none() {
        println!("heap: {STEADY_HEAP} (freed memory is reused, not returned to the kernel)");
    }
    println!(
        "build: {}, wasmi {}, {}",
        env!("BENCH_RUSTC_VERSION"),
        env!("BENCH_WASMI_VERSION"),
        if cfg!(debug_assertions) {
            "debug (numbers are meaningless)"
        } else {
            "optimized"
        },
    );
    if let Some(load) = load_average() {
        let busy = load > 0.5;
        println!(
            "load average at start: {load:.2}{}",
            if busy {
                " (above 0.5: other work may be running; expect noise)"
            } else {
                ""
            }
        );
    }
    println!();

    let mut rows = Vec::new();
    let mut failed = Vec::new();
    for &benchmark in &selected {
        eprintln!("wazero-bench: running {} ...", benchmark.name());
        match run(benchmark, options.quick, settings.rounds) {
            Ok(row) => rows.push(row),
            Err(e) => {
                eprintln!("wazero-bench: {} FAILED: {e}", benchmark.name());
                failed.push((benchmark.name(), e.to_string()));
            }
        }
    }
    let wasi = wasi_selected.then(|| {
        eprintln!("wazero-bench: running {} ...", wasi_files::NAME);
        wasi_files::run(options.quick, settings.rounds).map_err(|e| {
            eprintln!("wazero-bench: {} FAILED: {e}", wasi_files::NAME);
            e.to_string()
        })
    });

    if !selected.is_empty() {
        print_main_table(&rows, &failed);
        host_calls::report(&rows, options.quick);
    }
    match &wasi {
        Some(Ok(report)) => wasi_files::report(report),
        Some(Err(error)) => {
            println!();
            println!("  {:<16}  ERROR: {error}", wasi_files::NAME);
        }
        None => {}
    }
    if failed.is_empty() && !matches!(wasi, Some(Err(_))) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Prints the table of the benchmarks run on both engines, with a verdict per
/// row, and the benchmarks that failed.
fn print_main_table(rows: &[Row], failed: &[(&str, String)]) {
    println!("| benchmark | input | wazero interp | wasmi | ratio |");
    println!("|---|---|---:|---:|---:|");
    for row in rows {
        println!(
            "| {} | {} | {} | {} | {:.2} |",
            row.benchmark.name(),
            row.input,
            cell(&row.wazero),
            cell(&row.wasmi),
            row.ratio()
        );
    }
    println!();
    println!("ratio = wasmi time / wazero time (median): above 1 means wazero is faster.");
    println!("verdicts (goal: faster than wasmi; never slower than 2x wasmi's time):");
    for row in rows {
        let noise = row.wazero.spread().max(row.wasmi.spread());
        println!(
            "  {:<16} {:>5.2}  {}{}",
            row.benchmark.name(),
            row.ratio(),
            row.verdict(),
            if noise > NOISY_SPREAD {
                format!(
                    " (noisy: interquartile spread {:.0}%, re-run)",
                    noise * 100.0
                )
            } else {
                String::new()
            }
        );
        if row.ratio() < 1.0 / 1.5 {
            println!("  {:<16}        hot: {}", "", row.benchmark.hot());
        }
    }
    for (name, error) in failed {
        println!("  {name:<16}  ERROR: {error}");
    }
}
