//! The `programs` group: real programs others wrote (`testdata/programs`:
//! CoreMark, the Lua 5.4 interpreter running five scripts, zlib, cJSON,
//! six PolyBench/C kernels, SQLite), run
//! whole on wazero's interpreter against wasmi and on wazero's compiler against
//! wasmtime (in a build with it). Each engine compiles a program once; a sample
//! is one instantiation, which runs the program's `_start` to its end. Engines
//! alternate sample by sample, so that a change of machine load hits them
//! alike. Every run's output must be the same on every engine.
//!
//! wazero runs the programs on its own `wasi_snapshot_preview1`; wasmi and
//! wasmtime on [`crate::mini_wasi`], the few WASI functions they need. The
//! programs are compute-bound, and Lua reads its script from stdin on every
//! engine.

use std::time::{Duration, Instant};

use wazero::{wasi_snapshot_preview1, ModuleConfig, Runtime, RuntimeConfig, SharedBuffer};

use crate::engines::Result;
use crate::measure::format_duration;
use crate::mini_wasi::{define_wasi, Ctx};

/// The group's name (what a filter matches).
pub const NAME: &str = "programs";

/// What one operation is, for `--list`.
pub const WHAT: &str =
    "real programs (CoreMark, Lua 5.4 scripts, zlib, cJSON, PolyBench/C, SQLite) run to their end";

/// One program run: a binary, its arguments and stdin.
struct Run {
    /// The row's name.
    name: &'static str,
    /// The program's file in `testdata/programs`.
    wasm: &'static str,
    /// `argv` after the program's name: full and `--quick`.
    args: (&'static [&'static str], &'static [&'static str]),
    /// A Lua script (in `testdata/programs/lua`) given on stdin, if any.
    script: Option<&'static str>,
    /// The output lines compared between engines: those containing one of
    /// these (all lines if empty; CoreMark's also hold times).
    compared: &'static [&'static str],
}

const RUNS: &[Run] = &[
    Run {
        name: "coremark",
        wasm: "coremark",
        args: (
            &["0x0", "0x0", "0x66", "600"],
            &["0x0", "0x0", "0x66", "60"],
        ),
        script: None,
        compared: &["crc", "Iterations  "],
    },
    Run {
        name: "lua-fib",
        wasm: "lua",
        args: (&["-", "27"], &["-", "22"]),
        script: Some("fib.lua"),
        compared: &[],
    },
    Run {
        name: "lua-binary-trees",
        wasm: "lua",
        args: (&["-", "13"], &["-", "10"]),
        script: Some("binary_trees.lua"),
        compared: &[],
    },
    Run {
        name: "lua-spectral-norm",
        wasm: "lua",
        args: (&["-", "120"], &["-", "40"]),
        script: Some("spectral_norm.lua"),
        compared: &[],
    },
    Run {
        name: "lua-sort",
        wasm: "lua",
        args: (&["-", "60000"], &["-", "6000"]),
        script: Some("sort.lua"),
        compared: &[],
    },
    Run {
        name: "lua-strings",
        wasm: "lua",
        args: (&["-", "20000"], &["-", "2000"]),
        script: Some("strings.lua"),
        compared: &[],
    },
    Run {
        name: "zlib",
        wasm: "zlib",
        args: (&["3"], &["1"]),
        script: None,
        compared: &[],
    },
    Run {
        name: "cjson",
        wasm: "cjson",
        args: (&["8"], &["1"]),
        script: None,
        compared: &[],
    },
    Run {
        name: "polybench",
        wasm: "polybench",
        args: (&["12"], &["2"]),
        script: None,
        compared: &[],
    },
    Run {
        name: "sqlite",
        wasm: "sqlite",
        args: (&["10"], &["1"]),
        script: None,
        compared: &[],
    },
];

/// `testdata/programs/NAME`.
fn file(name: &str) -> Result<Vec<u8>> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/programs")
        .join(name);
    std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()).into())
}

/// One engine, ready to run a program many times.
trait Runner {
    /// Runs it once to its end: what it printed.
    fn run(&mut self) -> Result<String>;
}

/// wazero with a configuration, the program compiled once.
struct Wazero {
    runtime: Runtime,
    compiled: wazero::CompiledModule,
    argv: Vec<String>,
    stdin: Vec<u8>,
}

impl Wazero {
    fn new(config: RuntimeConfig, wasm: &[u8], argv: Vec<String>, stdin: Vec<u8>) -> Result<Self> {
        let runtime = Runtime::with_config(config);
        wasi_snapshot_preview1::instantiate(&runtime)?;
        let compiled = runtime.compile_module(wasm)?;
        Ok(Self {
            runtime,
            compiled,
            argv,
            stdin,
        })
    }
}

impl Runner for Wazero {
    fn run(&mut self) -> Result<String> {
        let out = SharedBuffer::new();
        let config = ModuleConfig::new()
            .with_args(self.argv.clone())
            .with_stdin(std::io::Cursor::new(self.stdin.clone()))
            .with_stdout(out.clone());
        let module = self.runtime.instantiate_module(&self.compiled, config)?;
        module.close()?;
        Ok(out.to_string_lossy())
    }
}

/// The context of a run on wasmi or wasmtime.
fn ctx(argv: &[String], stdin: &[u8]) -> Ctx {
    Ctx {
        args: argv.iter().map(|a| a.as_bytes().to_vec()).collect(),
        stdin: stdin.to_vec(),
        ..Ctx::default()
    }
}

/// wasmi with its defaults, the program compiled once.
struct Wasmi {
    engine: wasmi::Engine,
    module: wasmi::Module,
    linker: wasmi::Linker<Ctx>,
    argv: Vec<String>,
    stdin: Vec<u8>,
}

impl Wasmi {
    fn new(wasm: &[u8], argv: Vec<String>, stdin: Vec<u8>) -> Result<Self> {
        let engine = wasmi::Engine::default();
        let module = wasmi::Module::new(&engine, wasm)?;
        let mut linker = wasmi::Linker::<Ctx>::new(&engine);
        define_wasi!(&mut linker, wasmi, wasmi::Error::i32_exit);
        Ok(Self {
            engine,
            module,
            linker,
            argv,
            stdin,
        })
    }
}

impl Runner for Wasmi {
    fn run(&mut self) -> Result<String> {
        let mut store = wasmi::Store::new(&self.engine, ctx(&self.argv, &self.stdin));
        let instance = self
            .linker
            .instantiate_and_start(&mut store, &self.module)?;
        let start = instance.get_typed_func::<(), ()>(&store, "_start")?;
        match start.call(&mut store, ()) {
            Ok(()) => {}
            Err(e) if e.i32_exit_status() == Some(0) => {}
            Err(e) => return Err(e.into()),
        }
        Ok(String::from_utf8_lossy(&store.data().stdout).into_owned())
    }
}

/// What `proc_exit` ends a wasmtime run with.
#[cfg(feature = "wasmtime")]
#[derive(Debug)]
struct Exit(i32);

#[cfg(feature = "wasmtime")]
impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit {}", self.0)
    }
}

#[cfg(feature = "wasmtime")]
impl std::error::Error for Exit {}

/// wasmtime with its defaults, the program compiled once.
#[cfg(feature = "wasmtime")]
struct Wasmtime {
    engine: wasmtime::Engine,
    module: wasmtime::Module,
    linker: wasmtime::Linker<Ctx>,
    argv: Vec<String>,
    stdin: Vec<u8>,
}

#[cfg(feature = "wasmtime")]
impl Wasmtime {
    fn new(wasm: &[u8], argv: Vec<String>, stdin: Vec<u8>) -> Result<Self> {
        let error = |e: wasmtime::Error| -> crate::engines::Error { e.to_string().into() };
        let engine = wasmtime::Engine::default();
        let module = wasmtime::Module::new(&engine, wasm).map_err(error)?;
        let mut linker = wasmtime::Linker::<Ctx>::new(&engine);
        let define = |linker: &mut wasmtime::Linker<Ctx>| -> wasmtime::Result<()> {
            define_wasi!(linker, wasmtime, |code| wasmtime::Error::new(Exit(code)));
            Ok(())
        };
        define(&mut linker).map_err(error)?;
        Ok(Self {
            engine,
            module,
            linker,
            argv,
            stdin,
        })
    }
}

#[cfg(feature = "wasmtime")]
impl Runner for Wasmtime {
    fn run(&mut self) -> Result<String> {
        let error = |e: wasmtime::Error| -> crate::engines::Error { e.to_string().into() };
        let mut store = wasmtime::Store::new(&self.engine, ctx(&self.argv, &self.stdin));
        let instance = self
            .linker
            .instantiate(&mut store, &self.module)
            .map_err(error)?;
        let start = instance
            .get_typed_func::<(), ()>(&mut store, "_start")
            .map_err(error)?;
        match start.call(&mut store, ()) {
            Ok(()) => {}
            Err(e) if matches!(e.downcast_ref::<Exit>(), Some(Exit(0))) => {}
            Err(e) => return Err(error(e)),
        }
        Ok(String::from_utf8_lossy(&store.data().stdout).into_owned())
    }
}

/// Runs a program from wasmtime's serialized code (what its compilation
/// cache keeps): `cwasm` read with `Module::deserialize_file`, which maps
/// the file as wasmtime's cache does, then instantiated with the shim and
/// started with `argv`; returns what it printed. For the startup group's
/// cached starts, in a process of its own.
#[cfg(feature = "wasmtime")]
pub fn run_wasmtime_serialized(cwasm: &std::path::Path, argv: Vec<String>) -> Result<String> {
    let error = |e: wasmtime::Error| -> crate::engines::Error { e.to_string().into() };
    let engine = wasmtime::Engine::default();
    // SAFETY: `cwasm` is what `Engine::precompile_module` of this build,
    // with the same (default) configuration, wrote for the startup group,
    // and nothing changes it while it is mapped.
    let module = unsafe { wasmtime::Module::deserialize_file(&engine, cwasm) }.map_err(error)?;
    run_wasmtime_module(engine, module, argv)
}

/// Runs a program as `wasmtime run` does with its compilation cache on
/// (`wasmtime::Cache` in `cache_dir`): the `.wasm` read and hashed, and its
/// code read back from the cache when an earlier run put it there (else
/// compiled and put there), then instantiated with the shim and started with
/// `argv`; returns what it printed. For the startup group's cached starts,
/// in a process of its own.
#[cfg(feature = "wasmtime")]
pub fn run_wasmtime_cached(
    cache_dir: &std::path::Path,
    wasm: &std::path::Path,
    argv: Vec<String>,
) -> Result<String> {
    let error = |e: wasmtime::Error| -> crate::engines::Error { e.to_string().into() };
    let mut cache = wasmtime::CacheConfig::new();
    cache.with_directory(cache_dir);
    let mut config = wasmtime::Config::new();
    config.cache(Some(wasmtime::Cache::new(cache).map_err(error)?));
    let engine = wasmtime::Engine::new(&config).map_err(error)?;
    let module = wasmtime::Module::from_file(&engine, wasm).map_err(error)?;
    run_wasmtime_module(engine, module, argv)
}

/// Runs wasmtime's `module` with the shim and `argv`; returns what it printed.
#[cfg(feature = "wasmtime")]
fn run_wasmtime_module(
    engine: wasmtime::Engine,
    module: wasmtime::Module,
    argv: Vec<String>,
) -> Result<String> {
    let error = |e: wasmtime::Error| -> crate::engines::Error { e.to_string().into() };
    let mut linker = wasmtime::Linker::<Ctx>::new(&engine);
    let define = |linker: &mut wasmtime::Linker<Ctx>| -> wasmtime::Result<()> {
        define_wasi!(&mut *linker, wasmtime, |code| wasmtime::Error::new(Exit(
            code
        )));
        // The file-system calls the shim lacks: a trap if called (a start
        // that prints a version calls none).
        linker.define_unknown_imports_as_traps(&module)?;
        Ok(())
    };
    define(&mut linker).map_err(error)?;
    let mut runner = Wasmtime {
        engine,
        module,
        linker,
        argv,
        stdin: Vec::new(),
    };
    runner.run()
}

/// The median and minimum times of one program on one engine.
#[derive(Debug, Clone, Copy)]
pub struct Times {
    median: Duration,
    min: Duration,
}

/// One program's row: its times on each engine of its table.
#[derive(Debug)]
pub struct Row {
    name: &'static str,
    interp: Times,
    wasmi: Times,
    compiler: Times,
    wasmtime: Option<Times>,
}

/// The group's results.
#[derive(Debug)]
pub struct Report {
    rows: Vec<Row>,
    samples: usize,
    /// The interpreter's translated code of each program's module, eagerly
    /// translated: the module's file and the size.
    sizes: Vec<(&'static str, wazero_interpreter::TranslatedSize)>,
}

/// The interpreter's translated code for `wasm`, every function translated.
fn translated_size(wasm: &[u8]) -> Result<wazero_interpreter::TranslatedSize> {
    use wazero_store::Engine;
    let features = wazero::CoreFeatures::DEFAULT;
    let module = wazero_decoder::decode(wasm, features)?;
    let module = std::sync::Arc::new(wazero_validator::validate(module, features)?);
    let code = wazero_interpreter::Interpreter::new()
        .with_eager_translation(true)
        .compile(&module)?;
    Ok(wazero_interpreter::translated_size(&*code).ok_or("not the interpreter's code")?)
}

/// The lines of `output` that must match between engines.
fn compared(run: &Run, output: &str) -> String {
    output
        .lines()
        .filter(|l| run.compared.is_empty() || run.compared.iter().any(|c| l.contains(c)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The names of the group's rows (what a filter matches).
pub fn names() -> impl Iterator<Item = &'static str> {
    RUNS.iter().map(|r| r.name)
}

/// Runs the programs whose row `selected` names on every engine.
pub fn run(quick: bool, selected: impl Fn(&str) -> bool) -> Result<Report> {
    let samples = if quick { 3 } else { 7 };
    let mut rows = Vec::new();
    let mut sizes = Vec::new();
    for run in RUNS.iter().filter(|r| selected(r.name)) {
        eprintln!("wazero-bench: running {} ...", run.name);
        let wasm = file(&format!("{}.wasm", run.wasm))?;
        if !sizes.iter().any(|(name, _)| *name == run.wasm) {
            sizes.push((run.wasm, translated_size(&wasm)?));
        }
        let args = if quick { run.args.1 } else { run.args.0 };
        let argv: Vec<String> = std::iter::once(run.wasm)
            .chain(args.iter().copied())
            .map(str::to_string)
            .collect();
        let stdin = match run.script {
            Some(script) => file(&format!("lua/{script}"))?,
            None => Vec::new(),
        };
        let mut runners: Vec<(&str, Box<dyn Runner>)> = vec![
            (
                "wazero interp",
                Box::new(Wazero::new(
                    RuntimeConfig::interpreter(),
                    &wasm,
                    argv.clone(),
                    stdin.clone(),
                )?),
            ),
            (
                "wasmi",
                Box::new(Wasmi::new(&wasm, argv.clone(), stdin.clone())?),
            ),
            (
                "wazero compiler",
                Box::new(Wazero::new(
                    RuntimeConfig::compiler(),
                    &wasm,
                    argv.clone(),
                    stdin.clone(),
                )?),
            ),
        ];
        #[cfg(feature = "wasmtime")]
        runners.push((
            "wasmtime",
            Box::new(Wasmtime::new(&wasm, argv.clone(), stdin.clone())?),
        ));
        // One untimed run each, whose outputs must agree.
        let mut first: Option<(String, String)> = None;
        for (name, runner) in &mut runners {
            let output = compared(
                run,
                &runner
                    .run()
                    .map_err(|e| format!("{}: {name}: {e}", run.name))?,
            );
            if output.is_empty() {
                return Err(format!("{}: {name} printed nothing to compare", run.name).into());
            }
            match &first {
                None => first = Some((name.to_string(), output)),
                Some((reference, expected)) if *expected != output => {
                    return Err(format!(
                        "{}: {name} printed\n{output}\nbut {reference} printed\n{expected}",
                        run.name
                    )
                    .into())
                }
                Some(_) => {}
            }
        }
        let mut times: Vec<Vec<Duration>> = vec![Vec::new(); runners.len()];
        for _ in 0..samples {
            for (i, (_, runner)) in runners.iter_mut().enumerate() {
                let start = Instant::now();
                runner.run()?;
                times[i].push(start.elapsed());
            }
        }
        let stats: Vec<Times> = times
            .into_iter()
            .map(|mut t| {
                t.sort();
                Times {
                    median: t[t.len() / 2],
                    min: t[0],
                }
            })
            .collect();
        rows.push(Row {
            name: run.name,
            interp: stats[0],
            wasmi: stats[1],
            compiler: stats[2],
            wasmtime: stats.get(3).copied(),
        });
    }
    Ok(Report {
        rows,
        samples,
        sizes,
    })
}

fn cell(t: Times) -> String {
    format!("{} ({})", format_duration(t.median), format_duration(t.min))
}

fn ratio(ours: Duration, theirs: Duration) -> f64 {
    ours.as_secs_f64() / theirs.as_secs_f64()
}

/// The geometric mean of `values`.
fn geomean(values: &[f64]) -> f64 {
    (values.iter().map(|v| v.ln()).sum::<f64>() / values.len() as f64).exp()
}

/// Prints the two tables.
pub fn report(report: &Report) {
    println!();
    println!(
        "real programs ({} samples per engine, engines alternating; a sample is one \
         instantiation running the program to its end), median (min)",
        report.samples
    );
    println!();
    println!("| program | wazero interp | wasmi | interp / wasmi |");
    println!("|---|---:|---:|---:|");
    let mut interp = Vec::new();
    for row in &report.rows {
        let r = ratio(row.interp.median, row.wasmi.median);
        interp.push(r);
        println!(
            "| {} | {} | {} | {r:.2} |",
            row.name,
            cell(row.interp),
            cell(row.wasmi)
        );
    }
    println!("| geometric mean | | | {:.2} |", geomean(&interp));
    println!();
    println!("interp / wasmi = wazero interpreter's time / wasmi's (medians): below 1 is faster;");
    println!("goal (issue 17): every program at most 0.80, the geometric mean at most 0.70.");
    println!();
    println!("| program | wazero compiler | wasmtime | compiler / wasmtime |");
    println!("|---|---:|---:|---:|");
    let mut compiler = Vec::new();
    for row in &report.rows {
        match row.wasmtime {
            Some(w) => {
                let r = ratio(row.compiler.median, w.median);
                compiler.push(r);
                println!(
                    "| {} | {} | {} | {r:.2} |",
                    row.name,
                    cell(row.compiler),
                    cell(w)
                );
            }
            None => println!("| {} | {} | - | - |", row.name, cell(row.compiler)),
        }
    }
    if !compiler.is_empty() {
        println!("| geometric mean | | | {:.2} |", geomean(&compiler));
    }
    println!();
    println!("compiler / wasmtime = wazero compiler's time / wasmtime's (medians): at most 1 is as fast or faster.");
    println!();
    println!("the interpreter's translated code (every function translated), against the module's code section");
    println!();
    println!("| module | functions | wasm code | translated | ops | translated / wasm |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (name, size) in &report.sizes {
        println!(
            "| {name} | {} | {} KiB | {} KiB | {} | {:.1} |",
            size.functions,
            size.wasm_bytes / 1024,
            size.bytes / 1024,
            size.ops,
            size.bytes as f64 / size.wasm_bytes.max(1) as f64
        );
    }
    println!();
    println!("goal (issue 17): the translated code at most 2x the module's code.");
}

/// Where [`write_chart`] puts the chart: `target/bench-programs.svg` in the
/// workspace.
pub fn chart_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-programs.svg")
}

/// Writes the report as an SVG bar chart: per program, wazero's interpreter
/// time over wasmi's and wazero's compiler time over wasmtime's (medians),
/// with lines at 1 (as fast) and at issue 17's goal for the interpreter (0.8).
pub fn write_chart(report: &Report, path: &std::path::Path) -> std::io::Result<()> {
    const ROW: f64 = 34.0;
    const LEFT: f64 = 150.0;
    const WIDTH: f64 = 420.0;
    const TOP: f64 = 40.0;
    // The axis runs from 0 to the largest ratio, at least 2.
    let ratios = report.rows.iter().flat_map(|r| {
        let compiler = r.wasmtime.map(|w| ratio(r.compiler.median, w.median));
        std::iter::once(ratio(r.interp.median, r.wasmi.median)).chain(compiler)
    });
    let max = ratios.fold(2.0f64, f64::max).ceil();
    let x = |v: f64| LEFT + WIDTH * v / max;
    let height = TOP + ROW * report.rows.len() as f64 + 50.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{height}\" \
         font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"10\" y=\"18\" font-size=\"14\">Real programs: wazero's time / the peer's \
         (lower is faster)</text>\n\
         <rect x=\"{LEFT}\" y=\"24\" width=\"10\" height=\"10\" fill=\"#4878a8\"/>\
         <text x=\"{lx1}\" y=\"33\">interpreter / wasmi</text>\n\
         <rect x=\"{lx2}\" y=\"24\" width=\"10\" height=\"10\" fill=\"#e08030\"/>\
         <text x=\"{lx3}\" y=\"33\">compiler / wasmtime</text>\n",
        w = LEFT + WIDTH + 60.0,
        lx1 = LEFT + 14.0,
        lx2 = LEFT + 160.0,
        lx3 = LEFT + 174.0,
    );
    for (i, row) in report.rows.iter().enumerate() {
        let y = TOP + ROW * i as f64;
        svg += &format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n",
            LEFT - 6.0,
            y + 18.0,
            row.name
        );
        let bars = [
            (
                Some(ratio(row.interp.median, row.wasmi.median)),
                "#4878a8",
                4.0,
            ),
            (
                row.wasmtime.map(|w| ratio(row.compiler.median, w.median)),
                "#e08030",
                17.0,
            ),
        ];
        for (value, color, dy) in bars {
            let Some(v) = value else { continue };
            svg += &format!(
                "<rect x=\"{LEFT}\" y=\"{}\" width=\"{:.1}\" height=\"12\" fill=\"{color}\"/>\
                 <text x=\"{:.1}\" y=\"{}\">{v:.2}</text>\n",
                y + dy,
                x(v) - LEFT,
                x(v) + 4.0,
                y + dy + 10.0
            );
        }
    }
    let bottom = TOP + ROW * report.rows.len() as f64;
    for (v, label, dash) in [
        (1.0, "1 (as fast)", ""),
        (0.8, "0.8 (goal)", " stroke-dasharray=\"4 3\""),
    ] {
        svg += &format!(
            "<line x1=\"{x:.1}\" y1=\"{TOP}\" x2=\"{x:.1}\" y2=\"{bottom}\" stroke=\"black\"{dash}/>\
             <text x=\"{x:.1}\" y=\"{}\" text-anchor=\"middle\">{label}</text>\n",
            bottom + (if v == 1.0 { 14.0 } else { 28.0 }),
            x = x(v)
        );
    }
    svg += &format!(
        "<line x1=\"{LEFT}\" y1=\"{bottom}\" x2=\"{}\" y2=\"{bottom}\" stroke=\"gray\"/>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"end\">{max}</text>\n</svg>\n",
        LEFT + WIDTH,
        LEFT + WIDTH,
        bottom + 14.0
    );
    std::fs::write(path, svg)
}
