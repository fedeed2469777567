//! What a call between the tiered engine's tiers costs: compiled code
//! calling a function still in the interpreter (through the store and the
//! engine), against calls that stay in one tier. Part of the `startup`
//! group; measured in this process, in nanoseconds per call.

use std::time::Instant;

use wazero::engine::TierPolicy;
use wazero::{Runtime, RuntimeConfig};

use crate::engines::Result;

/// Drivers looping over calls of a leaf. Under `TierPolicy::forced`, the
/// even-numbered functions (`$driver`, `$leaf_compiled`) are compiled and
/// the odd ones (`$leaf`, `$driver_interpreted`) stay interpreted.
const MODULE: &str = r#"(module
    (func $driver (export "driver") (param $n i32) (param $compiled i32) (result i32)
        (local $acc i32)
        (loop $l
            (if (local.get $compiled)
                (then (local.set $acc (call $leaf_compiled (local.get $acc))))
                (else (local.set $acc (call $leaf (local.get $acc)))))
            (local.set $n (i32.sub (local.get $n) (i32.const 1)))
            (br_if $l (local.get $n)))
        (local.get $acc))
    (func $leaf (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
    (func $leaf_compiled (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
    (func $driver_interpreted (export "driver_interpreted") (param $n i32) (param $compiled i32) (result i32)
        (local $acc i32)
        (loop $l
            (local.set $acc (call $leaf_compiled (local.get $acc)))
            (local.set $n (i32.sub (local.get $n) (i32.const 1)))
            (br_if $l (local.get $n)))
        (local.get $acc)))"#;

/// Nanoseconds per call of a leaf function.
#[derive(Debug, Clone, Copy)]
pub struct Crossings {
    /// From compiled code to a function the interpreter runs.
    pub compiled_to_interpreted: f64,
    /// From the interpreter to a compiled function.
    pub interpreted_to_compiled: f64,
    /// Between compiled functions.
    pub compiled: f64,
    /// Between interpreted functions (the interpreter alone).
    pub interpreted: f64,
}

/// The best of a few runs of `driver(n, compiled)` (the export `driver`
/// names) on `runtime`'s instance of the module, in nanoseconds per call.
fn per_call(config: RuntimeConfig, driver: &str, compiled: bool, calls: u32) -> Result<f64> {
    let runtime = Runtime::with_config(config);
    let module = runtime
        .instantiate(&wat::parse_str(MODULE).map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    let driver = module.exported_function(driver).ok_or("no driver export")?;
    let mut best = f64::MAX;
    // The first call moves the module (and its loop) to compiled code.
    for _ in 0..4 {
        let started = Instant::now();
        let result = driver
            .call(&[u64::from(calls), u64::from(compiled)])
            .map_err(|e| e.to_string())?;
        let ns = started.elapsed().as_nanos() as f64 / f64::from(calls);
        if result.first() != Some(&u64::from(calls)) {
            return Err(format!("driver returned {result:?}, not {calls}").into());
        }
        best = best.min(ns);
    }
    Ok(best)
}

/// Measures each kind of call.
pub fn measure(quick: bool) -> Result<Crossings> {
    let calls = if quick { 200_000 } else { 1_000_000 };
    // The first half of the module compiled, the rest never.
    let half =
        || RuntimeConfig::new().with_tier_policy(TierPolicy::forced().with_whole_at(u32::MAX));
    Ok(Crossings {
        compiled_to_interpreted: per_call(half(), "driver", false, calls)?,
        interpreted_to_compiled: per_call(half(), "driver_interpreted", false, calls)?,
        compiled: per_call(half(), "driver", true, calls)?,
        interpreted: per_call(RuntimeConfig::interpreter(), "driver", false, calls)?,
    })
}

/// The hidden mode `--crossings [--quick]`: measures and prints only what a
/// call between the tiers costs (the last lines of the `startup` group).
pub fn main(args: &[String]) -> std::process::ExitCode {
    let quick = args.iter().any(|a| a == "--quick");
    match measure(quick) {
        Ok(c) => {
            println!("{}", c.line());
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("wazero-bench: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

impl Crossings {
    /// The measurement as the `startup` report prints it.
    pub fn line(&self) -> String {
        format!(
            "a call from compiled code to a function the interpreter runs (tiered engine, half of \
             the module compiled): {:.0} ns; from the interpreter to a compiled function {:.0} \
             ns; between compiled functions {:.1} ns, between interpreted ones {:.1} ns",
            self.compiled_to_interpreted,
            self.interpreted_to_compiled,
            self.compiled,
            self.interpreted
        )
    }
}
