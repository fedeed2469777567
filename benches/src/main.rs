//! `wazero-bench`: runs the same WebAssembly on wazero for Rust's engines and on
//! the engines they are measured against, side by side, and prints the times and
//! their ratios.
//!
//! Run it through `cargo xtask bench [--wasmtime] [--quick] [FILTER...]`, which
//! builds it optimized. Verdicts inform and never fail the run: the exit code is
//! non-zero only when a benchmark could not run or the engines disagreed on a
//! result. Each benchmark runs in one or more groups, each with a table:
//!
//! * `interp`: wazero's interpreter against wasmi. The goal is an interpreter
//!   faster than wasmi, and no benchmark may take more than twice wasmi's time.
//! * `compiler`: wazero's compiler against wasmtime (only in a build with the
//!   cargo feature `wasmtime`), with the interpreter for reference: execution at
//!   least as fast as wasmtime (below 0.8x is a defect), and compiling the
//!   large generated module (`compile-native`) no slower than wasmtime.
//! * `bounds`: the memory-heavy programs on the compiler with guard pages and
//!   with explicit bounds checks.
//! * `interrupts`: the compiler with and without interrupt checks in the
//!   compiled code, both driven below the facade (see [`engines::WazeroStore`]),
//!   and wasmtime with epoch interruption, its counterpart of those checks.
//! * `cache`: the compiler's directory cache, first against second compilation
//!   of the large module (see [`compile_cache`]); the goal is at least 20x.
//!
//! The call-loop benchmarks (`host-call-typed`, `host-call-raw`, `guest-call`)
//! also get a table of their own, in nanoseconds per call, with verdicts against
//! the host-call goals (see [`host_calls`]).
//!
//! `wasi-files` runs a WASI program writing and reading back many small files,
//! on wazero's interpreter with a host directory and with an in-memory file
//! system, against native Rust doing the same (see [`wasi_files`]), in a table
//! of its own: wasmi has no WASI here, so native code is its baseline.
//!
//! `parallel` (a group of its own) serves requests (instantiate, call, close)
//! from 1, 2 (and 4) threads sharing one runtime, on both engines and wasmtime
//! (see [`parallel`]).
//!
//! See `docs/benchmarks.md` for the benchmarks and recorded figures.

mod compile_cache;
mod compiler;
mod crossings;
mod density;
mod disasm;
mod engines;
mod generate;
mod host_calls;
mod measure;
mod mini_wasi;
mod parallel;
mod programs;
mod real_programs;
mod startup;
mod wasi_files;

use std::process::{Command, ExitCode, Stdio};

use wasmi::CompilationMode;

#[cfg(feature = "wasmtime")]
use crate::engines::Wasmtime;
use crate::engines::{with_callee, Result, Wasmi, Wazero, WazeroEager, WazeroStore};
use crate::measure::{
    format_duration, time_calls, time_compilation, time_instantiation, Settings, Stats,
};
use crate::programs::{Benchmark, Callee, INSTANTIATE_WAT};

/// Functions in the generated module of the compile benchmarks, full and quick.
const COMPILE_FUNCTIONS: (u32, u32) = (4_000, 1_500);

/// An interquartile spread of the samples above this (relative to the median)
/// gets a row flagged as noisy.
const NOISY_SPREAD: f64 = 0.20;

/// Whether this build has wasmtime (cargo feature `wasmtime`).
const WASMTIME_BUILT: bool = cfg!(feature = "wasmtime");

const USAGE: &str = "\
usage: wazero-bench [--quick] [--list] [GROUP...] [FILTER...]

Runs each benchmark on the engines of its groups, each engine in fresh
processes, and prints a table per group of median (min) times and ratios:

  interp      wazero's interpreter and wasmi (ratio wasmi / wazero: above 1
              means wazero is faster)
  compiler    wazero's compiler and wasmtime, the interpreter for reference
              (ratio wasmtime / compiler: at least 1 means the compiler is as
              fast or faster); wasmtime only in a build with the cargo feature
              `wasmtime` (`cargo xtask bench --wasmtime`)
  bounds      memory-* programs on the compiler with guard pages and with
              explicit bounds checks
  interrupts  the compiler with and without interrupt checks in compiled code,
              and wasmtime with epoch interruption (its counterpart)
  cache       compile-cache: compiling into an empty cache directory, then
              again with a fresh cache on it
  parallel    requests (instantiate, call, close) from 1, 2 (4) threads
              sharing one runtime
  programs    real programs others wrote (testdata/programs: CoreMark, Lua
              5.4 scripts, zlib, cJSON, PolyBench/C, SQLite) run whole: the
              interpreter against wasmi, the compiler against wasmtime

Arguments naming a group run only those groups (default: all). Other FILTERs
select benchmarks whose name contains any of them (`call` selects the call
loops, `wasi` the WASI benchmark, which belongs to no group and runs only
when no group is named). The call loops (host-call-typed, host-call-raw,
guest-call) also get a table in ns per call with the host-call goals.

  --quick   smaller inputs and fewer samples (a first look, not for the record)
  --list    list the benchmarks and groups and exit
  --disasm PROGRAM [--explicit] [--no-interrupts] [--epochs]
            print the compiler's machine code for a program (and with the
            `wasmtime` feature, write wasmtime's as PROGRAM.cwasm, with
            epoch interruption if --epochs)
  --density [FILE.wasm...]
            machine instructions per wasm instruction on x86-64 and AArch64
            (fixed targets), for the programs and real WASI binaries";

/// Command-line options.
struct Options {
    quick: bool,
    list: bool,
    groups: Vec<Group>,
    filters: Vec<String>,
}

/// Parses the command line; `Err` carries what to print before exiting.
fn parse_args(args: &[String]) -> std::result::Result<Options, String> {
    let mut options = Options {
        quick: false,
        list: false,
        groups: Vec::new(),
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
            word => match Group::parse(word) {
                Some(group) => options.groups.push(group),
                None => options.filters.push(word.to_string()),
            },
        }
    }
    Ok(options)
}

/// A table of the report, and the engines its benchmarks run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    /// The interpreter against wasmi.
    Interp,
    /// The compiler against wasmtime.
    Compiler,
    /// The compiler with guard pages against explicit bounds checks.
    Bounds,
    /// The compiler with and without interrupt checks.
    Interrupts,
    /// The compiler's directory cache.
    Cache,
    /// Requests served from several threads sharing one runtime.
    Parallel,
    /// Real programs (CoreMark, Lua, zlib, cJSON, PolyBench/C, SQLite) on every engine.
    Programs,
    /// A program's first output and peak memory per engine, a process per run.
    Startup,
}

impl Group {
    /// Every group, in report order.
    const ALL: [Group; 8] = [
        Group::Interp,
        Group::Compiler,
        Group::Bounds,
        Group::Interrupts,
        Group::Cache,
        Group::Parallel,
        Group::Programs,
        Group::Startup,
    ];

    /// Its name on the command line.
    fn name(self) -> &'static str {
        match self {
            Group::Interp => "interp",
            Group::Compiler => "compiler",
            Group::Bounds => "bounds",
            Group::Interrupts => "interrupts",
            Group::Cache => "cache",
            Group::Parallel => "parallel",
            Group::Programs => "programs",
            Group::Startup => "startup",
        }
    }

    /// The group called `name`.
    fn parse(name: &str) -> Option<Group> {
        Group::ALL.into_iter().find(|g| g.name() == name)
    }
}

/// An engine, or an engine configuration, that a benchmark runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    /// wazero for Rust's interpreter (for `compile-eager` and `compile-native`,
    /// translating every function up front).
    Wazero,
    /// wasmi (in the compilation mode the benchmark asks for).
    Wasmi,
    /// wazero's compiler through the facade, default configuration (guard pages).
    Compiler,
    /// wazero's compiler through the facade with explicit bounds checks.
    CompilerExplicit,
    /// wazero's compiler below the facade, with interrupt checks (the default).
    CompilerInterrupts,
    /// wazero's compiler below the facade, without interrupt checks.
    CompilerNoInterrupts,
    /// wasmtime with its defaults (cargo feature `wasmtime`).
    Wasmtime,
    /// wasmtime with epoch interruption (checks like wazero's interrupt checks).
    WasmtimeEpochs,
    /// `compile-cache`: compiling into an empty cache directory.
    CacheFirst,
    /// `compile-cache`: compiling with a fresh cache on a filled directory.
    CacheSecond,
}

impl Side {
    /// Every side.
    const ALL: [Side; 10] = [
        Side::Wazero,
        Side::Wasmi,
        Side::Compiler,
        Side::CompilerExplicit,
        Side::CompilerInterrupts,
        Side::CompilerNoInterrupts,
        Side::Wasmtime,
        Side::WasmtimeEpochs,
        Side::CacheFirst,
        Side::CacheSecond,
    ];

    /// Its name on a child's command line.
    fn name(self) -> &'static str {
        match self {
            Side::Wazero => "wazero",
            Side::Wasmi => "wasmi",
            Side::Compiler => "compiler",
            Side::CompilerExplicit => "compiler-explicit",
            Side::CompilerInterrupts => "compiler-interrupts",
            Side::CompilerNoInterrupts => "compiler-no-interrupts",
            Side::Wasmtime => "wasmtime",
            Side::WasmtimeEpochs => "wasmtime-epochs",
            Side::CacheFirst => "cache-first",
            Side::CacheSecond => "cache-second",
        }
    }

    /// The side called `name`.
    fn parse(name: &str) -> Option<Side> {
        Side::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// The sides `benchmark` runs on for `groups`, in the order they run in a round.
fn plan(benchmark: Benchmark, groups: &[Group]) -> Vec<Side> {
    use Side::*;
    let wasmtime: &[Side] = if WASMTIME_BUILT { &[Wasmtime] } else { &[] };
    let epochs: &[Side] = if WASMTIME_BUILT {
        &[WasmtimeEpochs]
    } else {
        &[]
    };
    let interrupts = [&[CompilerInterrupts, CompilerNoInterrupts][..], epochs].concat();
    let mut plan: Vec<(Group, Vec<Side>)> = Vec::new();
    let compiler_and_wasmtime = [&[Compiler][..], wasmtime].concat();
    match benchmark {
        Benchmark::Run(program) if program.exceptions => {
            plan.push((Group::Interp, vec![Wazero]));
            plan.push((Group::Compiler, vec![Compiler]));
        }
        Benchmark::Run(program) => {
            plan.push((Group::Interp, vec![Wazero, Wasmi]));
            plan.push((Group::Compiler, compiler_and_wasmtime));
            if program.memory {
                plan.push((Group::Bounds, vec![Compiler, CompilerExplicit]));
            }
            plan.push((Group::Interrupts, interrupts));
        }
        Benchmark::CallLoop(callee) => {
            plan.push((Group::Interp, vec![Wazero, Wasmi]));
            plan.push((Group::Compiler, compiler_and_wasmtime));
            if callee == Callee::Guest {
                plan.push((Group::Interrupts, interrupts));
            }
        }
        Benchmark::Instantiate => {
            plan.push((Group::Interp, vec![Wazero, Wasmi]));
            plan.push((Group::Compiler, compiler_and_wasmtime));
        }
        Benchmark::Compile | Benchmark::CompileEager => {
            plan.push((Group::Interp, vec![Wazero, Wasmi]));
        }
        Benchmark::CompileNative => {
            plan.push((
                Group::Compiler,
                [compiler_and_wasmtime, vec![Wazero]].concat(),
            ));
        }
        Benchmark::CompileCache => plan.push((Group::Cache, vec![CacheFirst, CacheSecond])),
    }
    let mut sides = Vec::new();
    for (group, list) in plan {
        if groups.contains(&group) {
            for side in list {
                if !sides.contains(&side) {
                    sides.push(side);
                }
            }
        }
    }
    sides
}

/// What one benchmark measured on one engine.
struct Measured {
    /// The input, e.g. `fib(32)`.
    input: String,
    /// A value all engines must agree on (a program's result).
    check: i64,
    stats: Stats,
}

/// The outcome of one benchmark on every side it ran on.
pub struct Row {
    benchmark: Benchmark,
    /// The input, e.g. `fib(32)`.
    input: String,
    /// The samples of each side, in the order the sides ran.
    results: Vec<(Side, Stats)>,
}

impl Row {
    /// The samples of `side`, if it ran.
    fn get(&self, side: Side) -> Option<&Stats> {
        self.results
            .iter()
            .find(|(s, _)| *s == side)
            .map(|(_, stats)| stats)
    }

    /// The interpreter's and wasmi's samples, if both ran.
    fn interp_and_wasmi(&self) -> Option<(&Stats, &Stats)> {
        self.get(Side::Wazero).zip(self.get(Side::Wasmi))
    }
}

/// The ratio of the medians of `a` and `b`.
fn ratio(a: &Stats, b: &Stats) -> f64 {
    a.median().as_secs_f64() / b.median().as_secs_f64().max(1e-12)
}

/// Where wasmi / wazero (interpreter) stands against the goal.
fn interp_verdict(ratio: f64) -> &'static str {
    if ratio >= 1.0 {
        "faster than wasmi"
    } else if ratio >= 0.5 {
        "within 2x"
    } else {
        "SLOWER THAN 2x"
    }
}

/// ` (noisy ...)` if any of `stats` spreads widely, else nothing.
fn noise_note(stats: &[&Stats]) -> String {
    let spread = stats.iter().map(|s| s.spread()).fold(0.0, f64::max);
    if spread > NOISY_SPREAD {
        format!(
            " (noisy: interquartile spread {:.0}%, re-run)",
            spread * 100.0
        )
    } else {
        String::new()
    }
}

/// Runs `make() -> Result<E>` into `$body` for the engine of `$side` (`$make`
/// names the maker in the body), or fails for a side that is no engine.
macro_rules! with_engine {
    ($side:expr, $wasmi_mode:expr, $make:ident => $body:expr) => {
        match $side {
            Side::Wazero => {
                let $make = || -> Result<Wazero> { Ok(Wazero::new()) };
                $body
            }
            Side::Wasmi => {
                let $make = || -> Result<Wasmi> { Ok(Wasmi::new($wasmi_mode)) };
                $body
            }
            Side::Compiler => {
                let $make = || -> Result<Wazero> { Ok(Wazero::compiler()) };
                $body
            }
            Side::CompilerExplicit => {
                let $make = || -> Result<Wazero> { Ok(Wazero::compiler_explicit_checks()) };
                $body
            }
            Side::CompilerInterrupts => {
                let $make = || WazeroStore::compiler(true);
                $body
            }
            Side::CompilerNoInterrupts => {
                let $make = || WazeroStore::compiler(false);
                $body
            }
            #[cfg(feature = "wasmtime")]
            Side::Wasmtime => {
                let $make = || -> Result<Wasmtime> { Ok(Wasmtime::new()) };
                $body
            }
            #[cfg(feature = "wasmtime")]
            Side::WasmtimeEpochs => {
                let $make = Wasmtime::with_epochs;
                $body
            }
            #[cfg(not(feature = "wasmtime"))]
            Side::Wasmtime | Side::WasmtimeEpochs => Err(
                "wasmtime is not in this build (cargo feature `wasmtime`: cargo xtask bench --wasmtime)"
                    .into(),
            ),
            Side::CacheFirst | Side::CacheSecond => {
                Err(format!("{} is not an engine", $side.name()).into())
            }
        }
    };
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
    match benchmark {
        Benchmark::Run(program) => {
            let arg = program.arg(quick);
            let wasm = wat::parse_str(program.wat)?;
            let (stats, check) = with_engine!(side, wasmi_mode, make => {
                time_calls(make()?, &wasm, arg, &settings)
            })?;
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
            let (stats, check) = with_engine!(side, wasmi_mode, make => {
                time_calls(with_callee(make()?, callee)?, &wasm, calls, &settings)
            })?;
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
            let (stats, check) = with_engine!(side, wasmi_mode, make => {
                time_instantiation(make, &wasm, &settings)
            })?;
            let input = format!("{} bytes", wasm.len());
            Ok(Measured {
                input,
                check,
                stats,
            })
        }
        Benchmark::Compile
        | Benchmark::CompileEager
        | Benchmark::CompileNative
        | Benchmark::CompileCache => {
            let functions = if quick {
                COMPILE_FUNCTIONS.1
            } else {
                COMPILE_FUNCTIONS.0
            };
            let wasm = generate::large_module(functions);
            // Compiling to machine code takes seconds.
            let settings = match (benchmark, side) {
                (Benchmark::CompileNative, Side::Compiler | Side::Wasmtime)
                | (_, Side::CacheFirst) => settings.for_slow_operation(),
                _ => settings,
            };
            let eager = matches!(
                benchmark,
                Benchmark::CompileEager | Benchmark::CompileNative
            );
            let mut input = format!("{functions} funcs, {:.1} MB", wasm.len() as f64 / 1e6);
            let stats = match side {
                Side::Wazero if eager => {
                    time_compilation(|| Ok(WazeroEager::new()), &wasm, &settings)?
                }
                Side::CacheFirst | Side::CacheSecond => {
                    let (stats, entry) = if side == Side::CacheFirst {
                        compile_cache::time_first(&wasm, &settings)?
                    } else {
                        compile_cache::time_second(&wasm, &settings)?
                    };
                    input = format!("{input}; entry {:.1} MB", entry as f64 / 1e6);
                    stats
                }
                _ => with_engine!(side, wasmi_mode, make => {
                    time_compilation(make, &wasm, &settings)
                })?,
            };
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

/// Runs `benchmark` on each of `sides`, each in its own process, and checks
/// they agree.
fn run(benchmark: Benchmark, sides: &[Side], quick: bool, rounds: u32) -> Result<Row> {
    let mut row: Option<Row> = None;
    let mut reference: Option<(Side, i64)> = None;
    for _ in 0..rounds.max(1) {
        for &side in sides {
            let measured = spawn_one(benchmark, side, quick)?;
            match reference {
                None => reference = Some((side, measured.check)),
                Some((first, check)) if check != measured.check => {
                    return Err(format!(
                        "the engines disagree: {} returned {check}, {} {}",
                        first.name(),
                        side.name(),
                        measured.check
                    )
                    .into());
                }
                Some(_) => {}
            }
            let row = row.get_or_insert_with(|| Row {
                benchmark,
                input: measured.input.clone(),
                results: Vec::new(),
            });
            match row.results.iter_mut().find(|(s, _)| *s == side) {
                Some((_, stats)) => *stats = stats.clone().merge(measured.stats),
                None => row.results.push((side, measured.stats)),
            }
        }
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
    if args.first().is_some_and(|a| a == "--disasm") {
        return disasm::main(&args[1..]);
    }
    if args.first().is_some_and(|a| a == "--density") {
        return density::main(&args[1..]);
    }
    if args.first().is_some_and(|a| a == "--crossings") {
        return crossings::main(&args[1..]);
    }
    if args.first().is_some_and(|a| a == "--wasmtime-serialized") {
        return startup::wasmtime_child(&args[1..]);
    }
    if args.first().is_some_and(|a| a == "--wasmtime-cached") {
        return startup::wasmtime_cached_child(&args[1..]);
    }
    if args.first().is_some_and(|a| a == "--wasmtime-precompile") {
        return startup::wasmtime_precompile(&args[1..]);
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
    let groups: Vec<Group> = if options.groups.is_empty() {
        Group::ALL.to_vec()
    } else {
        options.groups.clone()
    };
    let chosen = |name: &str| {
        options.filters.is_empty() || options.filters.iter().any(|f| name.contains(f.as_str()))
    };
    let selected: Vec<(Benchmark, Vec<Side>)> = Benchmark::all()
        .into_iter()
        .filter(|b| chosen(b.name()))
        .map(|b| (b, plan(b, &groups)))
        .filter(|(_, sides)| !sides.is_empty())
        .collect();
    let wasi_selected = options.groups.is_empty() && chosen(wasi_files::NAME);
    let parallel_selected = (options.groups.is_empty()
        || options.groups.contains(&Group::Parallel))
        && chosen(parallel::NAME);
    let programs_selected = (options.groups.is_empty()
        || options.groups.contains(&Group::Programs))
        && (chosen(real_programs::NAME) || real_programs::names().any(chosen));
    let startup_selected = (options.groups.is_empty() || options.groups.contains(&Group::Startup))
        && chosen(startup::NAME);
    if options.list {
        for b in Benchmark::all() {
            let sides: Vec<&str> = plan(b, &Group::ALL).iter().map(|s| s.name()).collect();
            println!("{:<16} {}", b.name(), b.what());
            println!("{:<16}   runs on: {}", "", sides.join(", "));
        }
        println!("{:<16} {}", wasi_files::NAME, wasi_files::WHAT);
        println!("{:<16} {}", parallel::NAME, parallel::WHAT);
        println!("{:<16} {}", real_programs::NAME, real_programs::WHAT);
        println!("{:<16} {}", startup::NAME, startup::WHAT);
        let names: Vec<&str> = Group::ALL.iter().map(|g| g.name()).collect();
        println!();
        println!("groups (one table each): {}", names.join(", "));
        if !WASMTIME_BUILT {
            println!("wasmtime is not in this build (cargo xtask bench --wasmtime)");
        }
        return ExitCode::SUCCESS;
    }
    if selected.is_empty()
        && !wasi_selected
        && !parallel_selected
        && !programs_selected
        && !startup_selected
    {
        eprintln!(
            "wazero-bench: no benchmark matches {:?} in groups {:?} (see --list)",
            options.filters,
            groups.iter().map(|g| g.name()).collect::<Vec<_>>()
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
        "build: {}, wasmi {}, {}, {}",
        env!("BENCH_RUSTC_VERSION"),
        env!("BENCH_WASMI_VERSION"),
        if WASMTIME_BUILT {
            concat!("wasmtime ", env!("BENCH_WASMTIME_VERSION"))
        } else {
            "no wasmtime (cargo xtask bench --wasmtime adds it)"
        },
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
    for (benchmark, sides) in &selected {
        let names: Vec<&str> = sides.iter().map(|s| s.name()).collect();
        eprintln!(
            "wazero-bench: running {} on {} ...",
            benchmark.name(),
            names.join(", ")
        );
        match run(*benchmark, sides, options.quick, settings.rounds) {
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

    let parallel = parallel_selected.then(|| {
        eprintln!("wazero-bench: running {} ...", parallel::NAME);
        parallel::run(options.quick).map_err(|e| {
            eprintln!("wazero-bench: {} FAILED: {e}", parallel::NAME);
            e.to_string()
        })
    });

    let programs = programs_selected.then(|| {
        eprintln!("wazero-bench: running {} ...", real_programs::NAME);
        let only = |name: &str| chosen(real_programs::NAME) || chosen(name);
        real_programs::run(options.quick, only).map_err(|e| {
            eprintln!("wazero-bench: {} FAILED: {e}", real_programs::NAME);
            e.to_string()
        })
    });

    let startup = startup_selected.then(|| {
        eprintln!("wazero-bench: running {} ...", startup::NAME);
        startup::run(options.quick).map_err(|e| {
            eprintln!("wazero-bench: {} FAILED: {e}", startup::NAME);
            e.to_string()
        })
    });

    if !selected.is_empty() {
        if rows.iter().any(|r| r.interp_and_wasmi().is_some()) {
            print_main_table(&rows);
        }
        compiler::report(&rows, &groups, cores);
        host_calls::report(&rows, options.quick);
        if !failed.is_empty() {
            println!();
            for (name, error) in &failed {
                println!("  {name:<16}  ERROR: {error}");
            }
        }
    }
    match &wasi {
        Some(Ok(report)) => wasi_files::report(report),
        Some(Err(error)) => {
            println!();
            println!("  {:<16}  ERROR: {error}", wasi_files::NAME);
        }
        None => {}
    }
    match &parallel {
        Some(Ok(report)) => parallel::report(report),
        Some(Err(error)) => {
            println!();
            println!("  {:<16}  ERROR: {error}", parallel::NAME);
        }
        None => {}
    }
    match &programs {
        Some(Ok(report)) => {
            real_programs::report(report);
            let path = real_programs::chart_path();
            match real_programs::write_chart(report, &path) {
                Ok(()) => println!("chart: {}", path.display()),
                Err(e) => println!("chart: cannot write {}: {e}", path.display()),
            }
        }
        Some(Err(error)) => {
            println!();
            println!("  {:<16}  ERROR: {error}", real_programs::NAME);
        }
        None => {}
    }
    match &startup {
        Some(Ok(report)) => startup::report(report),
        Some(Err(error)) => {
            println!();
            println!("  {:<16}  ERROR: {error}", startup::NAME);
        }
        None => {}
    }
    if failed.is_empty()
        && !matches!(startup, Some(Err(_)))
        && !matches!(wasi, Some(Err(_)))
        && !matches!(parallel, Some(Err(_)))
        && !matches!(programs, Some(Err(_)))
    {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Prints the table of the benchmarks run on the interpreter and wasmi, with a
/// verdict per row.
fn print_main_table(rows: &[Row]) {
    println!("| benchmark | input | wazero interp | wasmi | ratio |");
    println!("|---|---|---:|---:|---:|");
    for row in rows {
        if let Some((wazero, wasmi)) = row.interp_and_wasmi() {
            println!(
                "| {} | {} | {} | {} | {:.2} |",
                row.benchmark.name(),
                row.input,
                cell(wazero),
                cell(wasmi),
                ratio(wasmi, wazero)
            );
        }
    }
    println!();
    println!("ratio = wasmi time / wazero time (median): above 1 means wazero is faster.");
    println!("verdicts (goal: faster than wasmi; never slower than 2x wasmi's time):");
    for row in rows {
        let Some((wazero, wasmi)) = row.interp_and_wasmi() else {
            continue;
        };
        let r = ratio(wasmi, wazero);
        println!(
            "  {:<16} {r:>5.2}  {}{}",
            row.benchmark.name(),
            interp_verdict(r),
            noise_note(&[wazero, wasmi])
        );
        if r < 1.0 / 1.5 {
            println!("  {:<16}        hot: {}", "", row.benchmark.hot());
        }
    }
}
