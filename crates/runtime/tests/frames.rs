//! Every call starts with its locals at zero and its constants in place,
//! however many there are, even where an earlier call left other values in
//! the same stack slots. The interpreter copies a function's initial slots
//! (zeros, then constants, padded to a multiple of four) into each new
//! frame in the callee's prologue; this checks that copy at the sizes
//! around its four-slot steps and its old inline limit (256 slots).

use wazero::{Runtime, RuntimeConfig};

/// Locals counts to try.
const LOCALS: &[usize] = &[1, 2, 3, 4, 5, 7, 8, 9, 255, 256, 257, 300, 1000];

/// A constant that does not fit an immediate, so it keeps a slot.
const WIDE: i64 = 0x1_2345_6789;

/// A module whose `run(p)` calls `callee` three times from the same frame,
/// with `dirty` (which fills as many slots with other values) between the
/// calls. `callee` has `n` `i64` locals: it returns their sum as it found
/// them (zero, if its frame was set up) plus `WIDE` plus `p`, after setting
/// every local to `p`.
fn module(n: usize) -> String {
    let locals = "i64 ".repeat(n);
    let sum: String = (1..=n).map(|i| format!("local.get {i} i64.add ")).collect();
    let set: String = (1..=n)
        .map(|i| format!("(local.set {i} (local.get 0)) "))
        .collect();
    let dirty: String = (1..=n)
        .map(|i| format!("(local.set {i} (i64.const -7)) "))
        .collect();
    format!(
        r#"(module
  (func $callee (param i64) (result i64) (local {locals})
    i64.const 0 {sum}
    i64.const {WIDE} i64.add
    {set}
    local.get 0 i64.add)
  (func $dirty (param i64) (result i64) (local {locals})
    {dirty}
    i64.const 0 {sum})
  (func (export "run") (param i64) (result i64)
    (i64.add
      (i64.add
        (call $callee (local.get 0))
        (i64.sub (call $dirty (local.get 0)) (call $dirty (local.get 0))))
      (i64.add
        (call $callee (i64.add (local.get 0) (i64.const 1)))
        (i64.add
          (i64.sub (call $dirty (local.get 0)) (call $dirty (local.get 0)))
          (call $callee (i64.add (local.get 0) (i64.const 2))))))))"#
    )
}

#[test]
fn every_call_starts_with_zeroed_locals_and_its_constants() {
    for &n in LOCALS {
        let wasm = wat::parse_str(module(n)).unwrap();
        for (engine, config) in [
            ("interpreter", RuntimeConfig::interpreter()),
            ("default", RuntimeConfig::new()),
        ] {
            let runtime = Runtime::with_config(config);
            let module = runtime.instantiate(&wasm).unwrap();
            let run = module
                .exported_function("run")
                .unwrap()
                .typed::<i64, i64>()
                .unwrap();
            for p in [0i64, 5, -1] {
                // Calls twice, so that the second finds the first's slots.
                for _ in 0..2 {
                    let want = 3 * WIDE + 3 * p + 3;
                    assert_eq!(run.call(p).unwrap(), want, "{engine}: {n} locals, p = {p}");
                }
            }
        }
    }
}
