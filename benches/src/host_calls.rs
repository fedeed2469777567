//! The report of the call-loop benchmarks, printed after the main tables: what
//! a call of `add` costs when it is a host function (typed or raw form) and when
//! it is a guest function, in nanoseconds per call, on every engine that ran
//! them, with verdicts for wazero's interpreter and compiler against the
//! host-call goals:
//!
//! * a typed host function (`with_func`) costs the same as a raw one
//!   (`with_stack_func`), within [`TYPED_VS_RAW`];
//! * a host call costs at most [`HOST_VS_GUEST`] times a guest-to-guest call.
//!
//! A figure per call is the time of one run of the loop over its number of
//! calls, so it includes the loop's own add, compare and branch (the same in all
//! three benchmarks); the ratios compare whole iterations.

use crate::measure::Stats;
use crate::programs::{Benchmark, Callee, HostForm};
use crate::{noise_note, ratio, Row, Side};

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

/// The engines of the table, with their column headings.
const COLUMNS: [(Side, &str); 4] = [
    (Side::Wazero, "wazero interp"),
    (Side::Wasmi, "wasmi"),
    (Side::Compiler, "wazero compiler"),
    (Side::Wasmtime, "wasmtime"),
];

/// The samples of `side` in `row`, if both are there.
fn stats(row: Option<&Row>, side: Side) -> Option<&Stats> {
    row.and_then(|r| r.get(side))
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
    // The engines that ran any call loop, in table order.
    let columns: Vec<(Side, &str)> = COLUMNS
        .into_iter()
        .filter(|(side, _)| {
            [typed, raw, guest]
                .iter()
                .flatten()
                .any(|r| r.get(*side).is_some())
        })
        .collect();

    println!();
    println!(
        "host calls: ns per call = time per run / {calls} calls, median (min); a call is \
         one iteration of the loop. Ratios: of the medians (of the minimums)."
    );
    println!();
    let headings: Vec<&str> = columns.iter().map(|(_, h)| *h).collect();
    println!("| call | {} |", headings.join(" | "));
    println!("|---|{}", "---:|".repeat(columns.len()));
    for (callee, label) in LINES {
        if let Some(row) = find(callee) {
            let cells: Vec<String> = columns
                .iter()
                .map(|(side, _)| {
                    row.get(*side)
                        .map_or("-".to_string(), |s| per_call(s, calls))
                })
                .collect();
            println!("| {label} | {} |", cells.join(" | "));
        }
    }
    let ratio_line = |label: &str, a: Option<&Row>, b: Option<&Row>| {
        if a.is_none() || b.is_none() {
            return;
        }
        let cells: Vec<String> = columns
            .iter()
            .map(|(side, _)| match (stats(a, *side), stats(b, *side)) {
                (Some(x), Some(y)) => ratio_cell(x, y),
                _ => "-".to_string(),
            })
            .collect();
        println!("| {label} | {} |", cells.join(" | "));
    };
    ratio_line("typed / raw", typed, raw);
    ratio_line("host (typed) / guest", typed, guest);
    ratio_line("host (raw) / guest", raw, guest);
    println!();
    println!(
        "wasmi{} defines env.add with Linker::func_wrap in both host rows: its typed / raw \
         measures the same function twice (run-to-run noise).",
        if crate::WASMTIME_BUILT {
            " (and wasmtime likewise)"
        } else {
            ""
        }
    );
    println!(
        "host-call verdicts (goals: typed within {:.0}% of raw; a host call at most {}x a \
         guest call):",
        TYPED_VS_RAW * 100.0,
        HOST_VS_GUEST
    );
    for (side, engine) in [
        (Side::Wazero, "wazero interp"),
        (Side::Compiler, "wazero compiler"),
    ] {
        let (t, r, g) = (stats(typed, side), stats(raw, side), stats(guest, side));
        if t.is_none() && r.is_none() && g.is_none() {
            continue;
        }
        if let (Some(t), Some(r)) = (t, r) {
            let x = ratio(t, r);
            println!(
                "  {engine:<16} {:<22} {x:>5.2}  {}{}",
                "typed / raw",
                typed_vs_raw_verdict(x),
                noise_note(&[t, r])
            );
        }
        if let (Some(t), Some(g)) = (t, g) {
            let x = ratio(t, g);
            println!(
                "  {engine:<16} {:<22} {x:>5.2}  {}{}",
                "host (typed) / guest",
                host_vs_guest_verdict(x),
                noise_note(&[t, g])
            );
        }
        if let (Some(r), Some(g)) = (r, g) {
            let x = ratio(r, g);
            println!(
                "  {engine:<16} {:<22} {x:>5.2}  {}{}",
                "host (raw) / guest",
                host_vs_guest_verdict(x),
                noise_note(&[r, g])
            );
        }
    }
    if typed.is_none() || guest.is_none() || raw.is_none() {
        println!(
            "  (run host-call-typed, host-call-raw and guest-call together for every ratio: \
             `cargo xtask bench call`)"
        );
    }
}
