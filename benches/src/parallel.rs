//! The `parallel` benchmark: requests served by threads sharing one runtime.
//!
//! One request is what a server or plugin host does per request: instantiate a
//! fresh anonymous instance of one compiled module (importing one host
//! function), call it (a loop of [`CALLS`] host calls), and close it. It runs
//! with 1 thread and with 2 (and 4 where the machine has 4 cores or more), each
//! thread serving its share of the requests, on wazero's interpreter and
//! compiler (one `Runtime` shared by the threads) and, in a build with
//! wasmtime, on wasmtime (one `Engine` and `Linker` shared, a `Store` per
//! request, as its documentation recommends). The table gives requests per
//! second, how many times one thread's throughput the threads reach, and the
//! time per request on one thread against wasmtime's.
//!
//! Goals: 2 threads at least 1.85x the throughput of one on 2 idle cores, on
//! both engines, and a request costing at most what it costs on wasmtime.

use std::sync::{Arc, Barrier};
use std::time::Instant;

use wazero::{ModuleConfig, Runtime, RuntimeConfig};

use crate::engines::Result;

/// The benchmark's name (what a filter matches).
pub const NAME: &str = "parallel";

/// What one operation is, for `--list`.
pub const WHAT: &str =
    "per request: instantiate + call (host calls in a loop) + close, on 1, 2 (4) threads";

/// Host calls per request.
const CALLS: u32 = 200;

/// The guest: `run(n)` calls the host's `add` n times.
const GUEST: &str = r#"(module
    (import "env" "add" (func $add (param i32 i32) (result i32)))
    (memory 1)
    (func (export "run") (param i32) (result i32)
        (local i32 i32)
        (loop
            (local.set 2 (call $add (local.get 2) (local.get 1)))
            (local.set 1 (i32.add (local.get 1) (i32.const 1)))
            (br_if 0 (i32.lt_u (local.get 1) (local.get 0))))
        (local.get 2)))"#;

/// What `run(CALLS)` returns: the sum of 0..CALLS.
fn expected() -> i32 {
    (0..CALLS as i32).sum()
}

/// One engine's way of serving a request, shared by the threads.
trait Server: Send + Sync {
    fn request(&self) -> Result<()>;
}

struct Wazero {
    runtime: Runtime,
    compiled: wazero::CompiledModule,
}

impl Wazero {
    fn new(config: RuntimeConfig) -> Result<Self> {
        let runtime = Runtime::with_config(config);
        runtime
            .new_host_module_builder("env")
            .new_function_builder()
            .with_func(|a: i32, b: i32| a.wrapping_add(b))
            .export("add")
            .instantiate()?;
        let compiled = runtime.compile_module(&wat::parse_str(GUEST)?)?;
        Ok(Self { runtime, compiled })
    }
}

impl Server for Wazero {
    fn request(&self) -> Result<()> {
        let module = self
            .runtime
            .instantiate_module(&self.compiled, ModuleConfig::new().with_name(""))?;
        let out = module
            .exported_function("run")
            .ok_or("no run")?
            .call(&[u64::from(CALLS)])?;
        if out[0] as i32 != expected() {
            return Err(format!("run returned {}", out[0]).into());
        }
        module.close()?;
        Ok(())
    }
}

#[cfg(feature = "wasmtime")]
struct Wasmtime {
    engine: wasmtime::Engine,
    linker: wasmtime::Linker<()>,
    module: wasmtime::Module,
}

#[cfg(feature = "wasmtime")]
impl Wasmtime {
    fn new() -> Result<Self> {
        let engine = wasmtime::Engine::default();
        let mut linker = wasmtime::Linker::new(&engine);
        linker
            .func_wrap("env", "add", |a: i32, b: i32| a.wrapping_add(b))
            .map_err(|e| e.to_string())?;
        let module =
            wasmtime::Module::new(&engine, wat::parse_str(GUEST)?).map_err(|e| e.to_string())?;
        Ok(Self {
            engine,
            linker,
            module,
        })
    }
}

#[cfg(feature = "wasmtime")]
impl Server for Wasmtime {
    fn request(&self) -> Result<()> {
        let mut store = wasmtime::Store::new(&self.engine, ());
        let instance = self
            .linker
            .instantiate(&mut store, &self.module)
            .map_err(|e| e.to_string())?;
        let run = instance
            .get_typed_func::<i32, i32>(&mut store, "run")
            .map_err(|e| e.to_string())?;
        let out = run
            .call(&mut store, CALLS as i32)
            .map_err(|e| e.to_string())?;
        if out != expected() {
            return Err(format!("run returned {out}").into());
        }
        Ok(())
    }
}

/// Requests per second with `threads` threads serving `per_thread` requests
/// each, after each served a few untimed ones.
fn throughput(server: &Arc<dyn Server>, threads: usize, per_thread: usize) -> Result<f64> {
    let start = Arc::new(Barrier::new(threads + 1));
    let done = Arc::new(Barrier::new(threads + 1));
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (server, start, done) = (server.clone(), start.clone(), done.clone());
            std::thread::spawn(move || -> std::result::Result<(), String> {
                for _ in 0..per_thread / 10 + 1 {
                    server.request().map_err(|e| e.to_string())?;
                }
                start.wait();
                let result = (0..per_thread).try_for_each(|_| server.request());
                done.wait();
                result.map_err(|e| e.to_string())
            })
        })
        .collect();
    start.wait();
    let began = Instant::now();
    done.wait();
    let took = began.elapsed();
    for w in workers {
        w.join().map_err(|_| "a worker panicked")??;
    }
    Ok((threads * per_thread) as f64 / took.as_secs_f64())
}

/// One engine's figures: requests per second by thread count.
pub struct Row {
    engine: &'static str,
    rates: Vec<(usize, f64)>,
}

/// What [`run`] measured.
pub struct Report {
    rows: Vec<Row>,
    cores: usize,
}

/// The thread counts to measure on this machine.
fn thread_counts(cores: usize) -> Vec<usize> {
    let mut counts = vec![1, 2];
    if cores >= 4 {
        counts.push(4);
    }
    counts
}

/// Measures every engine: for each thread count, the median of `samples`
/// runs.
pub fn run(quick: bool) -> Result<Report> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (per_thread, samples) = if quick { (2000, 3) } else { (20000, 5) };
    let mut servers: Vec<(&'static str, Arc<dyn Server>)> = vec![
        (
            "interpreter",
            Arc::new(Wazero::new(RuntimeConfig::interpreter())?),
        ),
        (
            "compiler",
            Arc::new(Wazero::new(RuntimeConfig::compiler())?),
        ),
    ];
    #[cfg(feature = "wasmtime")]
    servers.push(("wasmtime", Arc::new(Wasmtime::new()?)));
    // `WAZERO_BENCH_PARALLEL=compiler` (say) runs one engine only, for a profiler.
    if let Ok(only) = std::env::var("WAZERO_BENCH_PARALLEL") {
        servers.retain(|(engine, _)| *engine == only);
    }
    let mut rows = Vec::new();
    for (engine, server) in servers {
        let mut rates = Vec::new();
        for threads in thread_counts(cores) {
            let mut measured = (0..samples)
                .map(|_| throughput(&server, threads, per_thread))
                .collect::<Result<Vec<f64>>>()?;
            measured.sort_by(f64::total_cmp);
            rates.push((threads, measured[measured.len() / 2]));
        }
        rows.push(Row { engine, rates });
    }
    Ok(Report { rows, cores })
}

/// Prints the table.
pub fn report(report: &Report) {
    println!();
    println!(
        "## parallel: instantiate + call ({CALLS} host calls) + close per request, \
         threads sharing one runtime ({} cores)",
        report.cores
    );
    println!();
    let counts = thread_counts(report.cores);
    let heads: Vec<String> = counts.iter().map(|t| format!("{t} thr req/s")).collect();
    let scale: Vec<String> = counts[1..].iter().map(|t| format!("{t} thr / 1")).collect();
    println!(
        "| engine | {} | {} | µs per request (1 thr) | vs wasmtime |",
        heads.join(" | "),
        scale.join(" | ")
    );
    println!(
        "|---|{}|{}|---:|---:|",
        "---:|".repeat(counts.len()).trim_end_matches('|'),
        "---:|".repeat(counts.len() - 1).trim_end_matches('|')
    );
    let one = |row: &Row| row.rates.first().map_or(0.0, |r| r.1);
    let wasmtime = report.rows.iter().find(|r| r.engine == "wasmtime").map(one);
    for row in &report.rows {
        let rates: Vec<String> = row.rates.iter().map(|r| format!("{:.0}", r.1)).collect();
        let scaling: Vec<String> = row.rates[1..]
            .iter()
            .map(|r| format!("{:.2}x", r.1 / one(row)))
            .collect();
        let us = 1e6 / one(row);
        let versus = match wasmtime {
            Some(w) if row.engine != "wasmtime" => format!("{:.2}x", w / one(row)),
            _ => "—".to_string(),
        };
        println!(
            "| {} | {} | {} | {us:.1} | {versus} |",
            row.engine,
            rates.join(" | "),
            scaling.join(" | ")
        );
    }
    println!();
    println!(
        "N thr / 1: throughput of N threads over one thread's (goal: 2 threads at least \
         1.85x on 2 idle cores). vs wasmtime: time per request as a multiple of \
         wasmtime's, one thread (goal: at most 1.00x)."
    );
}
