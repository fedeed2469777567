//! The report of the call-loop benchmarks, printed after the main table: what
//! a call of `add` costs when it is a host function (typed or raw form) and when
//! it is a guest function, in nanoseconds per call, with verdicts against the
//! host-call goals:
//!
//! * a typed host function (`with_func`) costs the same as a raw one
//!   (`with_stack_func`), within [`TYPED_VS_RAW`];
//! * a host call costs at most [`HOST_VS_GUEST`] times a guest-to-guest call.
//!
//! A figure per call is the time of one run of the loop over its number of
//! calls, so it includes the loop's own add, compare and branch (the same in all
//! three benchmarks); the ratios compare whole iterations.

use wazero::{Runtime, RuntimeConfig};

use crate::measure::Stats;
use crate::programs::{Benchmark, Callee, HostForm};
use crate::{Row, NOISY_SPREAD};

/// The goal for typed against raw: the same cost within this fraction.
const TYPED_VS_RAW: f64 = 0.10;

/// The goal for host against guest: a host call costs at most this many guest calls.
const HOST_VS_GUEST: f64 = 2.0;

/// The rows of the report, with what their callee is called there.
const LINES: [(Callee, &str); 3] = [
    (Callee::Host(HostForm::Typed), "host, typed (`with_func`)"),
    (Callee::Host(HostForm::Raw), "host, raw (`with_stack_func`)"),
    (Callee::Guest, "guest (a function of the module)"),
];

/// `median (min)` of `stats` per call, in nanoseconds.
fn per_call(stats: &Stats, calls: i64) -> String {
    let ns = |d: std::time::Duration| d.as_secs_f64() * 1e9 / calls as f64;
    format!("{:.2} ({:.2})", ns(stats.median()), ns(stats.min()))
}

/// The ratio of the medians of `a` and `b` (what the verdicts judge).
fn ratio(a: &Stats, b: &Stats) -> f64 {
    a.median().as_secs_f64() / b.median().as_secs_f64().max(1e-12)
}

/// `median ratio (ratio of the minimums)` of `a` over `b`.
fn ratio_cell(a: &Stats, b: &Stats) -> String {
    let min_ratio = a.min().as_secs_f64() / b.min().as_secs_f64().max(1e-12);
    format!("{:.2} ({min_ratio:.2})", ratio(a, b))
}

/// Where typed / raw stands against its goal.
fn typed_vs_raw_verdict(r: f64) -> String {
    if r > 1.0 + TYPED_VS_RAW {
        format!(
            "MISSED: typed costs {:.0}% more than raw (goal: within {:.0}%)",
            (r - 1.0) * 100.0,
            TYPED_VS_RAW * 100.0
        )
    } else if r < 1.0 - TYPED_VS_RAW {
        format!(
            "MISSED the other way: typed costs {:.0}% less than raw (goal: within {:.0}%)",
            (1.0 - r) * 100.0,
            TYPED_VS_RAW * 100.0
        )
    } else {
        format!("met (within {:.0}%)", TYPED_VS_RAW * 100.0)
    }
}

/// Where host / guest stands against its goal.
fn host_vs_guest_verdict(r: f64) -> String {
    if r <= HOST_VS_GUEST {
        format!("met (at most {HOST_VS_GUEST}x)")
    } else {
        format!("MISSED: a host call costs more than {HOST_VS_GUEST}x a guest call")
    }
}

/// ` (noisy ...)` if either row's samples spread widely, else nothing.
fn noise_note(rows: &[&Row]) -> String {
    let spread = rows.iter().map(|r| r.wazero.spread()).fold(0.0, f64::max);
    if spread > NOISY_SPREAD {
        format!(
            " (noisy: interquartile spread {:.0}%, re-run)",
            spread * 100.0
        )
    } else {
        String::new()
    }
}

/// Whether this build has wazero's compiler: `RuntimeConfig::compiler()`
/// compiles an empty module only if it does.
fn compiler_built() -> bool {
    wat::parse_str("(module)").is_ok_and(|wasm| {
        Runtime::with_config(RuntimeConfig::compiler())
            .compile_module(&wasm)
            .is_ok()
    })
}

/// Prints the host-call table and its verdicts, if any call-loop benchmark ran.
pub fn report(rows: &[Row], quick: bool) {
    let find = |callee: Callee| {
        rows.iter()
            .find(|r| matches!(r.benchmark, Benchmark::CallLoop(c) if c == callee))
    };
    let typed = find(Callee::Host(HostForm::Typed));
    let raw = find(Callee::Host(HostForm::Raw));
    let guest = find(Callee::Guest);
    if typed.is_none() && raw.is_none() && guest.is_none() {
        return;
    }
    let calls = Callee::calls(quick);

    println!();
    println!(
        "host calls: ns per call = time per run / {calls} calls, median (min); a call is \
         one iteration of the loop. Ratios: of the medians (of the minimums)."
    );
    println!();
    println!("| call | wazero interp | wasmi |");
    println!("|---|---:|---:|");
    for (callee, label) in LINES {
        if let Some(row) = find(callee) {
            println!(
                "| {label} | {} | {} |",
                per_call(&row.wazero, calls),
                per_call(&row.wasmi, calls)
            );
        }
    }
    if let (Some(t), Some(r)) = (typed, raw) {
        println!(
            "| typed / raw | {} | {} |",
            ratio_cell(&t.wazero, &r.wazero),
            ratio_cell(&t.wasmi, &r.wasmi)
        );
    }
    if let (Some(t), Some(g)) = (typed, guest) {
        println!(
            "| host (typed) / guest | {} | {} |",
            ratio_cell(&t.wazero, &g.wazero),
            ratio_cell(&t.wasmi, &g.wasmi)
        );
    }
    if let (Some(r), Some(g)) = (raw, guest) {
        println!(
            "| host (raw) / guest | {} | {} |",
            ratio_cell(&r.wazero, &g.wazero),
            ratio_cell(&r.wasmi, &g.wasmi)
        );
    }
    println!();
    println!(
        "wasmi defines env.add with Linker::func_wrap in both host rows: its typed / raw \
         measures the same function twice (run-to-run noise)."
    );
    if compiler_built() {
        println!(
            "NOTE: this build has wazero's compiler, which the harness does not measure yet; \
             the figures are the interpreter's."
        );
    } else {
        println!(
            "wazero engines: the interpreter only (RuntimeConfig::compiler() is not in this build)."
        );
    }
    println!(
        "host-call verdicts (goals: typed within {:.0}% of raw; a host call at most {}x a \
         guest call):",
        TYPED_VS_RAW * 100.0,
        HOST_VS_GUEST
    );
    if let (Some(t), Some(r)) = (typed, raw) {
        let x = ratio(&t.wazero, &r.wazero);
        println!(
            "  {:<22} {x:>5.2}  {}{}",
            "typed / raw",
            typed_vs_raw_verdict(x),
            noise_note(&[t, r])
        );
    }
    if let (Some(t), Some(g)) = (typed, guest) {
        let x = ratio(&t.wazero, &g.wazero);
        println!(
            "  {:<22} {x:>5.2}  {}{}",
            "host (typed) / guest",
            host_vs_guest_verdict(x),
            noise_note(&[t, g])
        );
    }
    if let (Some(r), Some(g)) = (raw, guest) {
        let x = ratio(&r.wazero, &g.wazero);
        println!(
            "  {:<22} {x:>5.2}  {}{}",
            "host (raw) / guest",
            host_vs_guest_verdict(x),
            noise_note(&[r, g])
        );
    }
    if typed.is_none() || guest.is_none() || raw.is_none() {
        println!(
            "  (run host-call-typed, host-call-raw and guest-call together for every ratio: \
             `cargo xtask bench call`)"
        );
    }
}
