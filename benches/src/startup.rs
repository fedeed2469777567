//! The `startup` group: how soon a program's first output comes, and with
//! how much memory, through the `wazero` command on each engine
//! (`-interpreter`, `-compiler`, `-tiered`) and through node (V8, which
//! tiers up), each run a fresh process; and the steady-state speed of a long
//! CoreMark run on the tiered engine against the compiler.
//!
//! A run is timed from the parent: from spawning the process to the first
//! byte on its standard output, and to its exit; its peak memory is the
//! child's maximum resident set (`wait4`). So every side pays its process
//! start, its module's reading, compilation and instantiation.
//!
//! The large module is YoWASP's Yosys, a 28 MB WASI build (release 0.50) of the Yosys
//! synthesis suite (`testdata/startup/fetch.sh` downloads it from PyPI and
//! checks its SHA-256); without it that row is left out, with a note.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::engines::Result;
use crate::measure::format_duration;

/// The group's name (what a filter matches).
pub const NAME: &str = "startup";

/// What one operation is, for `--list`.
pub const WHAT: &str = "a program's first output and peak memory, per engine, a process per run \
     (Yosys 28 MB, SQLite, hello world); CoreMark's speed, tiered against compiled; how soon \
     one numeric loop reaches compiled speed on the tiered engine";

/// One start-up run: a module and its arguments.
struct Start {
    name: &'static str,
    /// The module, from the workspace root.
    wasm: &'static str,
    args: &'static [&'static str],
}

const STARTS: &[Start] = &[
    Start {
        name: "yosys -V (28 MB)",
        wasm: "testdata/startup/yosys.wasm",
        args: &["-V"],
    },
    Start {
        name: "sqlite (1 MB)",
        wasm: "testdata/programs/sqlite.wasm",
        args: &["1"],
    },
    Start {
        name: "hello world",
        wasm: "testdata/wasi/hello.wasm",
        args: &[],
    },
];

/// The sides of a start-up row: a name and how to run a module with args.
const SIDES: &[&str] = &["interpreter", "compiler", "tiered", "node"];

/// What one side measured on one row (medians over the runs).
#[derive(Debug, Clone)]
pub struct Cell {
    pub first_output: Duration,
    pub total: Duration,
    pub peak_mib: f64,
}

/// One row: a start-up run and each side's cell (`None`: the side is not
/// available here).
#[derive(Debug, Clone)]
pub struct Row {
    pub name: &'static str,
    pub cells: Vec<Option<Cell>>,
}

/// CoreMark's iterations per second on the compiler and the tiered engine.
#[derive(Debug, Clone)]
pub struct Steady {
    pub iterations: u32,
    pub compiler: f64,
    pub tiered: f64,
}

/// How soon a numeric loop in a function called once (`kernel.wasm`)
/// reaches compiled speed on the tiered engine, and what the run cost.
#[derive(Debug, Clone)]
pub struct Warmup {
    /// The compiler's median round.
    pub compiled_round: Duration,
    /// The interpreter's median round.
    pub interpreted_round: Duration,
    /// When, from the program's start, the tiered engine's rounds came
    /// within 1.25x of the compiler's (`None`: never).
    pub reached: Option<Duration>,
    /// Each engine's whole run: wall time and CPU time (user and system, all
    /// threads: the tiered engine's includes its compiler thread's).
    pub compiler_run: (Duration, Duration),
    pub tiered_run: (Duration, Duration),
}

/// The sides of the cached start-up rows: the tiered engine through `wazero
/// run -cachedir` (the directory filled by `wazero compile -cachedir`); in a
/// build with wasmtime, wasmtime as `wasmtime run` starts with its
/// compilation cache (`wasmtime::Cache`: the `.wasm` read and hashed, the
/// entry read and decompressed, the directory filled by a first run), and
/// wasmtime from its serialized code alone (`Module::deserialize_file` of
/// `Engine::precompile_module`'s file, without the `.wasm`).
const CACHED_SIDES: &[&str] = &["tiered", "wasmtime cache", "wasmtime .cwasm"];

/// What the group measured.
#[derive(Debug, Clone)]
pub struct Report {
    pub rows: Vec<Row>,
    /// The same starts from compiled code kept on disk ([`CACHED_SIDES`]).
    pub cached: Vec<Row>,
    pub missing: Vec<String>,
    pub steady: Option<Steady>,
    pub warmup: Option<Warmup>,
    /// What a call between the tiers costs.
    pub crossings: Option<crate::crossings::Crossings>,
}

/// The workspace root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The `wazero` command built next to this benchmark binary.
fn wazero_command() -> Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let path = exe.with_file_name("wazero");
    if path.exists() {
        Ok(path)
    } else {
        Err(format!(
            "{} is missing: cargo build --release -p wazero-cli (cargo xtask bench builds it)",
            path.display()
        )
        .into())
    }
}

/// node, if it runs here.
fn node() -> Option<PathBuf> {
    Command::new("node")
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|_| PathBuf::from("node"))
}

/// The command that runs `wasm` with `args` on `side`.
fn command(side: &str, wasm: &Path, args: &[&str], node: Option<&Path>) -> Result<Option<Command>> {
    let mut command = match side {
        "node" => {
            let Some(node) = node else {
                return Ok(None);
            };
            let mut c = Command::new(node);
            c.arg("--no-warnings")
                .arg(root().join("benches/src/startup_node.mjs"));
            c
        }
        engine => {
            let mut c = Command::new(wazero_command()?);
            c.arg("run").arg(format!("-{engine}"));
            c
        }
    };
    command.arg(wasm).args(args);
    Ok(Some(command))
}

/// Runs `command` once: when its first output came, when it ended, and its
/// peak resident memory.
fn time_once(mut command: Command) -> Result<Cell> {
    let started = Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let mut out = child.stdout.take().expect("piped");
    let mut buf = [0u8; 4096];
    let mut first = None;
    loop {
        let n = out.read(&mut buf)?;
        if n == 0 {
            break;
        }
        first.get_or_insert_with(|| started.elapsed());
    }
    let (status, peak_kib) = wait(child)?;
    let total = started.elapsed();
    if !status {
        return Err("the program failed".into());
    }
    Ok(Cell {
        first_output: first.ok_or("the program printed nothing")?,
        total,
        peak_mib: peak_kib as f64 / 1024.0,
    })
}

/// Waits for `child`: whether it exited with 0, and its peak resident set in
/// KiB.
fn wait(child: std::process::Child) -> Result<(bool, i64)> {
    let (ok, peak, _) = wait_usage(child)?;
    Ok((ok, peak))
}

/// [`wait`], and the child's CPU time (user and system, all its threads).
#[cfg(unix)]
fn wait_usage(child: std::process::Child) -> Result<(bool, i64, Duration)> {
    let mut status = 0;
    // SAFETY: `rusage` is plain data, zeroed is a valid value, and `wait4`
    // writes only it and `status` for our own child's pid.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: as above; the pid is a child of this process not yet waited for.
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    if pid < 0 {
        return Err(std::io::Error::last_os_error().into());
    }
    let ok = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec.max(0) as u64) + Duration::from_micros(t.tv_usec.max(0) as u64)
    };
    Ok((
        ok,
        usage.ru_maxrss,
        time(usage.ru_utime) + time(usage.ru_stime),
    ))
}

#[cfg(not(unix))]
fn wait_usage(mut child: std::process::Child) -> Result<(bool, i64, Duration)> {
    Ok((child.wait()?.success(), 0, Duration::ZERO))
}

/// The times `kernel.wasm` printed after each round, in milliseconds from
/// its start.
fn rounds(output: &str) -> Vec<f64> {
    output
        .lines()
        .filter_map(|l| l.strip_prefix("round "))
        .filter_map(|l| l.split_whitespace().nth(1)?.parse().ok())
        .collect()
}

/// The length of each round, from the times they ended.
fn round_lengths(ends: &[f64]) -> Vec<f64> {
    let mut last = 0.0;
    ends.iter()
        .map(|&t| {
            let d = t - last;
            last = t;
            d
        })
        .collect()
}

/// The median of `values` (0 for none).
fn median_of(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// When the rounds ending at `ends` came within `factor` of `round`
/// milliseconds: the start of the first round that is no longer, and from
/// which the median of it and the next four is no longer either (one slow
/// round after it is noise, not the interpreter).
fn reached(ends: &[f64], round: f64, factor: f64) -> Option<f64> {
    let lengths = round_lengths(ends);
    let limit = round * factor;
    (0..lengths.len())
        .find(|&i| {
            lengths[i] <= limit && median_of(&lengths[i..(i + 5).min(lengths.len())]) <= limit
        })
        .map(|i| if i == 0 { 0.0 } else { ends[i - 1] })
}

/// Runs `kernel.wasm` with `args` on `engine`: the ends of its rounds, and
/// its wall and CPU time.
fn kernel(engine: &str, args: &[&str]) -> Result<(Vec<f64>, (Duration, Duration))> {
    let started = Instant::now();
    let mut child = Command::new(wazero_command()?)
        .arg("run")
        .arg(format!("-{engine}"))
        .arg(root().join("testdata/wasi/kernel.wasm"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let mut output = String::new();
    child
        .stdout
        .take()
        .expect("piped")
        .read_to_string(&mut output)?;
    let (ok, _, cpu) = wait_usage(child)?;
    if !ok {
        return Err(format!("kernel.wasm failed on {engine}").into());
    }
    Ok((rounds(&output), (started.elapsed(), cpu)))
}

/// Measures [`Warmup`].
fn warmup(quick: bool) -> Result<Warmup> {
    let args: &[&str] = if quick {
        &["60", "1000000"]
    } else {
        &["150", "1000000"]
    };
    let (compiled, compiler_run) = kernel("compiler", args)?;
    let (tiered, tiered_run) = kernel("tiered", args)?;
    let (interpreted, _) = kernel("interpreter", &[args[0], "100000"])?;
    let round = median_of(&round_lengths(&compiled));
    let ms = |v: f64| Duration::from_secs_f64(v.max(0.0) / 1e3);
    Ok(Warmup {
        compiled_round: ms(round),
        interpreted_round: ms(median_of(&round_lengths(&interpreted)) * 10.0),
        reached: reached(&tiered, round, 1.25).map(ms),
        compiler_run,
        tiered_run,
    })
}

/// The median of `cells` by each measure.
fn median(mut cells: Vec<Cell>) -> Cell {
    let mid = cells.len() / 2;
    cells.sort_by_key(|c| c.first_output);
    let first_output = cells[mid].first_output;
    cells.sort_by_key(|c| c.total);
    let total = cells[mid].total;
    cells.sort_by(|a, b| a.peak_mib.total_cmp(&b.peak_mib));
    Cell {
        first_output,
        total,
        peak_mib: cells[mid].peak_mib,
    }
}

/// CoreMark's "Iterations/Sec" line.
fn coremark_rate(output: &str) -> Option<f64> {
    output
        .lines()
        .find(|l| l.starts_with("Iterations/Sec"))?
        .split(':')
        .nth(1)?
        .trim()
        .parse()
        .ok()
}

/// Runs CoreMark for `iterations` on `engine`: its iterations per second.
fn coremark(engine: &str, iterations: u32) -> Result<f64> {
    let output = Command::new(wazero_command()?)
        .arg("run")
        .arg(format!("-{engine}"))
        .arg(root().join("testdata/programs/coremark.wasm"))
        .args(["0x0", "0x0", "0x66", &iterations.to_string()])
        .stderr(Stdio::null())
        .output()?;
    coremark_rate(&String::from_utf8_lossy(&output.stdout))
        .ok_or_else(|| format!("CoreMark on {engine} printed no rate").into())
}

/// A directory of its own for this run's cached code, removed when dropped.
struct CacheDir(PathBuf);

impl CacheDir {
    fn new() -> Result<Self> {
        let dir = std::env::temp_dir().join(format!("wazero-bench-cache-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        Ok(Self(dir))
    }
}

impl Drop for CacheDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The command that runs `wasm` with `args` from compiled code on disk on
/// `side`, after filling `dir` with it; `None` where the side is not built.
fn cached_command(side: &str, wasm: &Path, args: &[&str], dir: &Path) -> Result<Option<Command>> {
    match side {
        "tiered" => {
            let filled = Command::new(wazero_command()?)
                .arg("compile")
                .arg("-cachedir")
                .arg(dir)
                .arg(wasm)
                .status()?;
            if !filled.success() {
                return Err(format!("wazero compile {} failed", wasm.display()).into());
            }
            let mut c = Command::new(wazero_command()?);
            c.arg("run").arg("-cachedir").arg(dir).arg(wasm).args(args);
            Ok(Some(c))
        }
        "wasmtime cache" => wasmtime_cache_command(wasm, args, dir),
        _ => wasmtime_command(wasm, args, dir),
    }
}

/// wasmtime's side of [`cached_command`] with its compilation cache in
/// `dir`: this program run as `--wasmtime-cached` once to fill it, then
/// the command that starts from it.
#[cfg(feature = "wasmtime")]
fn wasmtime_cache_command(wasm: &Path, args: &[&str], dir: &Path) -> Result<Option<Command>> {
    let cache = dir.join("wasmtime-cache");
    let mut c = Command::new(std::env::current_exe()?);
    c.arg("--wasmtime-cached")
        .arg(&cache)
        .arg(wasm)
        .arg(wasm.file_stem().unwrap_or_default())
        .args(args)
        .stdout(std::process::Stdio::null());
    if !c.status()?.success() {
        return Err(format!(
            "wasmtime could not run {} to fill its cache",
            wasm.display()
        )
        .into());
    }
    Ok(Some(c))
}

#[cfg(not(feature = "wasmtime"))]
fn wasmtime_cache_command(_: &Path, _: &[&str], _: &Path) -> Result<Option<Command>> {
    Ok(None)
}

/// wasmtime's side of [`cached_command`]: its serialized code written to
/// `dir`, then this program run as `--wasmtime-serialized` on it.
///
/// The compilation runs in a process of its own too: a child's peak memory
/// as `wait4` reports it starts from its parent's at the `exec` (Linux
/// keeps the larger), and compiling the large module in this process took
/// it to 617 MiB.
#[cfg(feature = "wasmtime")]
fn wasmtime_command(wasm: &Path, args: &[&str], dir: &Path) -> Result<Option<Command>> {
    let name = wasm
        .file_stem()
        .map_or("module".into(), |s| s.to_string_lossy());
    let cwasm = dir.join(format!("{name}.cwasm"));
    let compiled = Command::new(std::env::current_exe()?)
        .arg("--wasmtime-precompile")
        .arg(wasm)
        .arg(&cwasm)
        .status()?;
    if !compiled.success() {
        return Err(format!("wasmtime could not compile {}", wasm.display()).into());
    }
    let mut c = Command::new(std::env::current_exe()?);
    c.arg("--wasmtime-serialized")
        .arg(cwasm)
        .arg(&*name)
        .args(args);
    Ok(Some(c))
}

#[cfg(not(feature = "wasmtime"))]
fn wasmtime_command(_: &Path, _: &[&str], _: &Path) -> Result<Option<Command>> {
    Ok(None)
}

/// `wazero-bench --wasmtime-precompile WASM CWASM`: writes wasmtime's
/// serialized code of `WASM` (`Engine::precompile_module`) to `CWASM`.
pub fn wasmtime_precompile(args: &[String]) -> std::process::ExitCode {
    #[cfg(feature = "wasmtime")]
    if let [wasm, cwasm] = args {
        return exit_with(
            std::fs::read(wasm)
                .map_err(|e| e.to_string())
                .and_then(|bytes| {
                    wasmtime::Engine::default()
                        .precompile_module(&bytes)
                        .map_err(|e| e.to_string())
                })
                .and_then(|code| std::fs::write(cwasm, code).map_err(|e| e.to_string())),
        );
    }
    exit_with(Err(format!(
        "--wasmtime-precompile needs a build with wasmtime and WASM CWASM, not {args:?}"
    )))
}

/// `wazero-bench --wasmtime-serialized CWASM ARGV...`: runs wasmtime's
/// serialized code with `ARGV` (the program's name first) and prints what
/// it printed.
pub fn wasmtime_child(args: &[String]) -> std::process::ExitCode {
    #[cfg(feature = "wasmtime")]
    if let Some((cwasm, argv)) = args.split_first() {
        use std::io::Write;
        let ran = crate::real_programs::run_wasmtime_serialized(Path::new(cwasm), argv.to_vec());
        return exit_with(ran.map_err(|e| e.to_string()).map(|out| {
            let _ = std::io::stdout().write_all(out.as_bytes());
        }));
    }
    exit_with(Err(format!(
        "--wasmtime-serialized needs a build with wasmtime and CWASM ARGV..., not {args:?}"
    )))
}

/// `wazero-bench --wasmtime-cached DIR WASM ARGV...`: runs `WASM` with
/// `ARGV` (the program's name first) as `wasmtime run` does with its
/// compilation cache in `DIR`, and prints what it printed.
pub fn wasmtime_cached_child(args: &[String]) -> std::process::ExitCode {
    #[cfg(feature = "wasmtime")]
    if let [dir, wasm, argv @ ..] = args {
        use std::io::Write;
        let ran = crate::real_programs::run_wasmtime_cached(
            Path::new(dir),
            Path::new(wasm),
            argv.to_vec(),
        );
        return exit_with(ran.map_err(|e| e.to_string()).map(|out| {
            let _ = std::io::stdout().write_all(out.as_bytes());
        }));
    }
    exit_with(Err(format!(
        "--wasmtime-cached needs a build with wasmtime and DIR WASM ARGV..., not {args:?}"
    )))
}

/// The exit of a child mode: success, or the error on standard error.
fn exit_with(result: std::result::Result<(), String>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wazero-bench: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The cached rows: each of [`STARTS`] whose module is here, on each of
/// [`CACHED_SIDES`], `runs` processes each.
fn cached_rows(runs: usize) -> Result<Vec<Row>> {
    let dir = CacheDir::new()?;
    let mut rows = Vec::new();
    for start in STARTS {
        let wasm = root().join(start.wasm);
        if !wasm.exists() {
            continue;
        }
        let mut cells = Vec::new();
        for side in CACHED_SIDES {
            let mut measured = Vec::new();
            if let Some(c) = cached_command(side, &wasm, start.args, &dir.0)? {
                for _ in 0..runs {
                    let mut again = Command::new(c.get_program());
                    again.args(c.get_args());
                    measured.push(
                        time_once(again)
                            .map_err(|e| format!("{} cached on {side}: {e}", start.name))?,
                    );
                }
            }
            cells.push((!measured.is_empty()).then(|| median(measured)));
        }
        rows.push(Row {
            name: start.name,
            cells,
        });
    }
    Ok(rows)
}

/// Runs the group: `runs` processes per side and row (one for the compiler
/// on the large module, whose compilation takes about a minute).
pub fn run(quick: bool) -> Result<Report> {
    let runs = if quick { 1 } else { 3 };
    let node = node();
    let mut rows = Vec::new();
    let mut missing = Vec::new();
    if node.is_none() {
        missing.push("node is not installed: its column is empty".to_string());
    }
    for start in STARTS {
        let wasm = root().join(start.wasm);
        if !wasm.exists() {
            missing.push(format!(
                "{}: {} is missing (testdata/startup/fetch.sh downloads it)",
                start.name, start.wasm
            ));
            continue;
        }
        let mut cells = Vec::new();
        for side in SIDES {
            let large = start.wasm.contains("yosys");
            let times = if *side == "compiler" && large {
                1
            } else {
                runs
            };
            let mut measured = Vec::new();
            for _ in 0..times {
                match command(side, &wasm, start.args, node.as_deref())? {
                    Some(c) => measured
                        .push(time_once(c).map_err(|e| format!("{} on {side}: {e}", start.name))?),
                    None => break,
                }
            }
            cells.push((!measured.is_empty()).then(|| median(measured)));
        }
        rows.push(Row {
            name: start.name,
            cells,
        });
    }
    let iterations = if quick { 20_000 } else { 100_000 };
    let steady = Some(Steady {
        iterations,
        compiler: coremark("compiler", iterations)?,
        tiered: coremark("tiered", iterations)?,
    });
    let cached = cached_rows(runs)?;
    if !crate::WASMTIME_BUILT {
        missing.push(
            "wasmtime's cached column needs a build with it (cargo xtask bench --wasmtime)"
                .to_string(),
        );
    }
    Ok(Report {
        rows,
        cached,
        missing,
        steady,
        warmup: Some(warmup(quick)?),
        crossings: Some(crate::crossings::measure(quick)?),
    })
}

/// Each cell as "first output / peak".
fn cells_text(cells: &[Option<Cell>]) -> Vec<String> {
    cells
        .iter()
        .map(|c| match c {
            Some(c) => format!(
                "{} / {:.0} MiB",
                format_duration(c.first_output),
                c.peak_mib
            ),
            None => "-".to_string(),
        })
        .collect()
}

/// Prints the group's tables.
pub fn report(report: &Report) {
    println!();
    println!(
        "## startup: first output (median of the runs, from spawning the process) and peak \
         memory, a fresh process per run"
    );
    println!();
    let heads: Vec<String> = SIDES
        .iter()
        .map(|s| format!("{s}: first output / peak"))
        .collect();
    println!("| program | {} |", heads.join(" | "));
    println!("|---|{}", "---:|".repeat(SIDES.len()));
    for row in &report.rows {
        println!("| {} | {} |", row.name, cells_text(&row.cells).join(" | "));
    }
    println!();
    println!(
        "## startup from compiled code on disk: first output / peak memory (the tiered engine \
         through `wazero run -cachedir`; wasmtime with its compilation cache, as `wasmtime \
         run` starts, and from its serialized code alone (`Module::deserialize_file`, the \
         `.wasm` not read), both printing when their run ends)"
    );
    println!();
    println!(
        "| program | {} |",
        CACHED_SIDES
            .iter()
            .map(|s| format!("{s}, cached"))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    println!("|---|{}", "---:|".repeat(CACHED_SIDES.len()));
    for row in &report.cached {
        println!("| {} | {} |", row.name, cells_text(&row.cells).join(" | "));
    }
    for note in &report.missing {
        println!("note: {note}");
    }
    if let Some(s) = &report.steady {
        println!();
        println!(
            "CoreMark, {} iterations: compiler {:.0} it/s, tiered {:.0} it/s: tiered / compiler = {:.2} \
             (goal of issue 18: at least 0.95 on a long run)",
            s.iterations,
            s.compiler,
            s.tiered,
            s.tiered / s.compiler
        );
    }
    if let Some(w) = &report.warmup {
        println!();
        println!(
            "kernel.wasm (one numeric loop in main): a round takes {} compiled, {} interpreted; \
             the tiered engine's rounds reach 1.25x the compiled one's {} after the program \
             starts (goal of issue 18: within 0.5 s)",
            format_duration(w.compiled_round),
            format_duration(w.interpreted_round),
            w.reached.map_or("never".to_string(), format_duration),
        );
        println!(
            "kernel.wasm whole run, wall / CPU (all threads): compiler {} / {}, tiered {} / {}",
            format_duration(w.compiler_run.0),
            format_duration(w.compiler_run.1),
            format_duration(w.tiered_run.0),
            format_duration(w.tiered_run.1),
        );
    }
    if let Some(c) = &report.crossings {
        println!();
        println!("{}", c.line());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coremark_rates_are_read_from_its_report() {
        let cases = [
            ("Iterations/Sec   : 11627.906977\nTotal", Some(11627.906977)),
            ("Iterations       : 3000\n", None),
            ("", None),
        ];
        for (output, rate) in cases {
            assert_eq!(coremark_rate(output), rate, "{output:?}");
        }
    }

    #[test]
    fn compiled_speed_is_reached_where_five_rounds_keep_it() {
        // Ends of rounds of 10 ms (interpreted), then 2 ms, with one slow
        // round (noise) among the fast ones.
        let ends = [10.0, 20.0, 30.0, 32.0, 34.0, 40.0, 42.0, 44.0, 46.0, 48.0];
        let cases = [
            (2.0, 1.25, Some(30.0)),
            (10.0, 1.0, Some(0.0)),
            (1.0, 1.25, None),
        ];
        for (round, factor, expected) in cases {
            assert_eq!(reached(&ends, round, factor), expected, "{round} {factor}");
        }
        assert_eq!(
            rounds("round 0 1.5\nround 1 3.250\nchecksum 7 1.0\n"),
            vec![1.5, 3.25]
        );
        assert_eq!(round_lengths(&[1.5, 3.25]), vec![1.5, 1.75]);
    }

    #[test]
    fn medians_take_each_measure_on_its_own() {
        let cell = |first, total, peak| Cell {
            first_output: Duration::from_millis(first),
            total: Duration::from_millis(total),
            peak_mib: peak,
        };
        let m = median(vec![cell(3, 10, 5.0), cell(1, 30, 7.0), cell(2, 20, 6.0)]);
        assert_eq!(m.first_output, Duration::from_millis(2));
        assert_eq!(m.total, Duration::from_millis(20));
        assert_eq!(m.peak_mib, 6.0);
    }
}
