//! The reports of wazero's compiler, printed after the interpreter's table:
//!
//! * `compiler`: every benchmark on the interpreter (for reference), the
//!   compiler and wasmtime, with `wasmtime / compiler` (of the medians) and a
//!   verdict against the goals: execution at least as fast as wasmtime
//!   ([`GOAL`]), never below [`DEFECT`]; compiling the large module
//!   (`compile-native`) no slower than wasmtime.
//! * `bounds`: guard pages against explicit bounds checks, on the memory-heavy
//!   programs: `explicit / guard pages`.
//! * `interrupts`: the compiler with against without interrupt checks:
//!   `with / without`, flagged above [`INTERRUPT_COST`]; and wasmtime with
//!   epoch interruption, its counterpart, against its default.
//! * `cache`: first against second compilation through the directory cache:
//!   `first / second`, against [`CACHE_GOAL`].

use crate::measure::Stats;
use crate::programs::Benchmark;
use crate::{cell, noise_note, ratio, Group, Row, Side, WASMTIME_BUILT};

/// wasmtime / compiler at or above this: the goal is met.
const GOAL: f64 = 1.0;

/// wasmtime / compiler below this is a defect.
const DEFECT: f64 = 0.8;

/// Interrupt checks costing more than this fraction are flagged as not small.
const INTERRUPT_COST: f64 = 0.10;

/// The second compilation through the cache must be this many times faster.
const CACHE_GOAL: f64 = 20.0;

/// A cell for `stats`, or `-` if that side did not run.
fn maybe_cell(stats: Option<&Stats>) -> String {
    stats.map_or_else(|| "-".to_string(), cell)
}

/// `a / b` of the medians (of the minimums), or `-`.
fn maybe_ratio(a: Option<&Stats>, b: Option<&Stats>) -> String {
    match (a, b) {
        (Some(a), Some(b)) => ratio_cell(a, b),
        _ => "-".to_string(),
    }
}

/// `a / b` of the medians (of the minimums): the minimums move less on a
/// shared machine.
fn ratio_cell(a: &Stats, b: &Stats) -> String {
    let min_ratio = a.min().as_secs_f64() / b.min().as_secs_f64().max(1e-12);
    format!("{:.2} ({min_ratio:.2})", ratio(a, b))
}

/// Where wasmtime / compiler stands against the goals of `benchmark`.
fn verdict(benchmark: Benchmark, r: f64) -> &'static str {
    match benchmark {
        Benchmark::CompileNative if r >= GOAL => "met: compiles no slower than wasmtime",
        Benchmark::CompileNative => "MISSED: compiles slower than wasmtime",
        _ if r >= GOAL => "met: as fast as wasmtime or faster",
        _ if r >= DEFECT => "below the goal (1.0x), above 0.8x",
        _ => "DEFECT: below 0.8x wasmtime's speed",
    }
}

/// Prints the tables of the groups that ran.
pub fn report(rows: &[Row], groups: &[Group], cores: usize) {
    if groups.contains(&Group::Compiler) {
        compiler_table(rows, cores);
    }
    bounds_table(rows);
    interrupts_table(rows);
    cache_table(rows);
}

/// The compiler against wasmtime, with the interpreter for reference.
fn compiler_table(rows: &[Row], cores: usize) {
    let rows: Vec<&Row> = rows
        .iter()
        .filter(|r| r.get(Side::Compiler).is_some())
        .collect();
    if rows.is_empty() {
        return;
    }
    println!();
    println!("wazero compiler against wasmtime (compile-native: {cores} cores, both compile in parallel; interp column there: eager translation)");
    println!();
    println!("| benchmark | input | wazero interp | wazero compiler | wasmtime | interp / compiler | wasmtime / compiler |");
    println!("|---|---|---:|---:|---:|---:|---:|");
    for row in &rows {
        let interp = row.get(Side::Wazero);
        let compiler = row.get(Side::Compiler);
        let wasmtime = row.get(Side::Wasmtime);
        println!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            row.benchmark.name(),
            row.input,
            maybe_cell(interp),
            maybe_cell(compiler),
            maybe_cell(wasmtime),
            maybe_ratio(interp, compiler),
            maybe_ratio(wasmtime, compiler),
        );
    }
    println!();
    println!(
        "wasmtime / compiler = wasmtime time / wazero compiler time, of the medians (of the \
         minimums): at least 1 means the compiler is as fast or faster; verdicts judge the medians."
    );
    if !WASMTIME_BUILT {
        println!(
            "wasmtime is not in this build: `cargo xtask bench --wasmtime` adds it (and the verdicts)."
        );
        return;
    }
    println!(
        "verdicts (goals: execution at least {GOAL:.1}x wasmtime's speed, below {DEFECT:.1}x is \
         a defect; compile-native no slower than wasmtime):"
    );
    for row in &rows {
        let (Some(compiler), Some(wasmtime)) = (row.get(Side::Compiler), row.get(Side::Wasmtime))
        else {
            continue;
        };
        let r = ratio(wasmtime, compiler);
        println!(
            "  {:<16} {r:>5.2}  {}{}",
            row.benchmark.name(),
            verdict(row.benchmark, r),
            noise_note(&[compiler, wasmtime])
        );
        if r < DEFECT {
            println!("  {:<16}        hot: {}", "", row.benchmark.hot_compiled());
        }
    }
}

/// Guard pages against explicit bounds checks.
fn bounds_table(rows: &[Row]) {
    let rows: Vec<(&Row, &Stats, &Stats)> = rows
        .iter()
        .filter_map(|r| Some((r, r.get(Side::Compiler)?, r.get(Side::CompilerExplicit)?)))
        .collect();
    if rows.is_empty() {
        return;
    }
    println!();
    println!("wazero compiler: guard pages (the default) against explicit bounds checks");
    println!();
    println!("| benchmark | input | guard pages | explicit checks | explicit / guard pages |");
    println!("|---|---|---:|---:|---:|");
    for (row, guard, explicit) in &rows {
        println!(
            "| {} | {} | {} | {} | {} |",
            row.benchmark.name(),
            row.input,
            cell(guard),
            cell(explicit),
            ratio_cell(explicit, guard)
        );
    }
    println!();
    println!("explicit / guard pages (medians): what the checks cost; 1.00 means nothing.");
    for (row, guard, explicit) in &rows {
        let r = ratio(explicit, guard);
        println!(
            "  {:<16} {r:>5.2}  explicit checks {} {:.0}%{}",
            row.benchmark.name(),
            if r >= 1.0 { "cost" } else { "save" },
            (r - 1.0).abs() * 100.0,
            noise_note(&[guard, explicit])
        );
    }
}

/// With against without interrupt checks, and wasmtime's epoch checks.
fn interrupts_table(rows: &[Row]) {
    let rows: Vec<(&Row, &Stats, &Stats)> = rows
        .iter()
        .filter_map(|r| {
            Some((
                r,
                r.get(Side::CompilerInterrupts)?,
                r.get(Side::CompilerNoInterrupts)?,
            ))
        })
        .collect();
    if rows.is_empty() {
        return;
    }
    println!();
    println!(
        "wazero compiler: with and without interrupt checks (function entries, loop headers), \
         both below the facade, guard pages; wasmtime with epoch interruption (its checks at \
         the same places) and with its default (no checks)"
    );
    println!();
    println!(
        "| benchmark | input | with checks | without | with / without | wasmtime, epochs | \
         wasmtime | epochs / default | wasmtime epochs / with checks |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for (row, with, without) in &rows {
        let epochs = row.get(Side::WasmtimeEpochs);
        let wasmtime = row.get(Side::Wasmtime);
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            row.benchmark.name(),
            row.input,
            cell(with),
            cell(without),
            ratio_cell(with, without),
            maybe_cell(epochs),
            maybe_cell(wasmtime),
            maybe_ratio(epochs, wasmtime),
            maybe_ratio(epochs, Some(with)),
        );
    }
    println!();
    println!(
        "with / without (medians): what the checks cost (goal: measured and small; flagged \
         above {:.0}%); the last column compares like with like (at least 1: wazero as fast):",
        INTERRUPT_COST * 100.0
    );
    for (row, with, without) in &rows {
        let r = ratio(with, without);
        println!(
            "  {:<16} {r:>5.2}  {}{}",
            row.benchmark.name(),
            if r > 1.0 + INTERRUPT_COST {
                format!("NOT SMALL: the checks cost {:.0}%", (r - 1.0) * 100.0)
            } else if r >= 1.0 {
                format!("small: the checks cost {:.0}%", (r - 1.0) * 100.0)
            } else {
                "small: no measurable cost (within noise)".to_string()
            },
            noise_note(&[with, without])
        );
    }
}

/// First against second compilation through the directory cache.
fn cache_table(rows: &[Row]) {
    let rows: Vec<(&Row, &Stats, &Stats)> = rows
        .iter()
        .filter_map(|r| Some((r, r.get(Side::CacheFirst)?, r.get(Side::CacheSecond)?)))
        .collect();
    if rows.is_empty() {
        return;
    }
    println!();
    println!(
        "wazero compiler: the directory cache (CompilationCache::with_dir), a fresh cache and \
         runtime per compilation"
    );
    println!();
    println!("| benchmark | input | first (empty dir) | second (same dir) | first / second |");
    println!("|---|---|---:|---:|---:|");
    for (row, first, second) in &rows {
        println!(
            "| {} | {} | {} | {} | {:.1} |",
            row.benchmark.name(),
            row.input,
            cell(first),
            cell(second),
            ratio(first, second)
        );
    }
    println!();
    println!("first / second (medians), goal: at least {CACHE_GOAL:.0}x:");
    for (row, first, second) in &rows {
        let r = ratio(first, second);
        println!(
            "  {:<16} {r:>5.1}  {}{}",
            row.benchmark.name(),
            if r >= CACHE_GOAL {
                "met"
            } else {
                "MISSED: the second compilation is less than 20x faster"
            },
            noise_note(&[first, second])
        );
    }
}
