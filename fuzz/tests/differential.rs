//! wazero's engines agree with wasmi on generated modules.
//!
//! What this file proves: for a fixed list of seeds, the `wasm-smith` modules
//! of `wazero_fuzz::generate` (WebAssembly 2.0 with SIMD, no imports, NaNs
//! canonicalized, made to terminate) compile, instantiate and run every export
//! with the fixed argument sets alike on every engine under test and on wasmi:
//! the same results bit for bit, or the same trap kinds, and the same exported
//! memories, globals and tables after each step (see `wazero_fuzz::check_module`).
//!
//! A mismatch fails the test with the seed, the call and both outcomes, and the
//! module is written to `target/differential-failures/<seed>.wasm`
//! (`cargo xtask fuzz --replay FILE` runs it again). `cargo xtask fuzz` runs the
//! same check on random seeds for as long as asked.

use wazero_fuzz::{
    check_module, check_seed, engines, generate_with, reference, relaxed_simd_config,
    CompiledModule, Engine, Failure, Instance, Tally, TrapKind, Value,
};

/// The seeds: `0..MODULES`.
const MODULES: u64 = 300;

/// The seeds the comparison with wasmi runs: `0..MODULES`, or fewer when
/// `WAZERO_DIFFERENTIAL_SEEDS` says so (`cargo xtask test-arm64` does: under
/// emulation every engine and wasmi run emulated, and CI's time goes to the
/// compiler's own tests there).
fn seeds() -> u64 {
    std::env::var("WAZERO_DIFFERENTIAL_SEEDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(MODULES, |n: u64| n.clamp(1, MODULES))
}

#[test]
fn engines_agree_with_wasmi_on_generated_modules() {
    let engines = engines();
    let reference = reference();
    let mut tally = Tally::default();
    let mut mismatches = Vec::new();
    let seeds = seeds();
    for seed in 0..seeds {
        if let Err(mismatch) = check_seed(seed, &engines, reference.as_ref(), &mut tally) {
            mismatches.push(mismatch.to_string());
        }
    }
    eprintln!("{tally}");
    assert!(
        mismatches.is_empty(),
        "{} of {seeds} modules differ:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    // The run must have exercised something, or it proves nothing.
    let modules = seeds as usize * engines.len();
    assert!(tally.modules >= modules * 9 / 10, "{tally}");
    assert!(tally.instantiated >= tally.modules / 2, "{tally}");
    assert!(tally.calls >= 3 * tally.instantiated, "{tally}");
    assert!(tally.returned >= tally.calls / 4, "{tally}");
    assert!(tally.trapped > 0, "{tally}");
}

/// The generated modules of the fixed seeds exercise WebAssembly 3.0's tail
/// calls, extended constant expressions, multi-memory and memory64, which
/// wasmi runs too: the test above covers them.
#[test]
fn generated_modules_use_wasm3_features() {
    use wasmparser::{Operator as O, Parser, Payload};
    let (mut tail, mut extended, mut multi, mut wide) = (0, 0, 0, 0);
    for seed in 0..MODULES {
        let Some(wasm) = wazero_fuzz::generate(seed) else {
            continue;
        };
        let (mut has_tail, mut has_extended, mut memories, mut has_64) = (false, false, 0, false);
        for payload in Parser::new(0).parse_all(&wasm).flatten() {
            match payload {
                Payload::CodeSectionEntry(body) => {
                    let Ok(ops) = body.get_operators_reader() else {
                        continue;
                    };
                    has_tail |= ops.into_iter().flatten().any(|op| {
                        matches!(op, O::ReturnCall { .. } | O::ReturnCallIndirect { .. })
                    });
                }
                Payload::MemorySection(section) => {
                    memories += section.count();
                    has_64 |= section.into_iter().flatten().any(|m| m.memory64);
                }
                Payload::GlobalSection(globals) => {
                    for global in globals.into_iter().flatten() {
                        let ops = global.init_expr.get_operators_reader();
                        has_extended |= ops.into_iter().flatten().count() > 2;
                    }
                }
                _ => {}
            }
        }
        tail += usize::from(has_tail);
        extended += usize::from(has_extended);
        multi += usize::from(memories > 1);
        wide += usize::from(has_64);
    }
    assert!(tail >= 10, "{tail} modules with tail calls");
    assert!(multi >= 10, "{multi} modules with several memories");
    assert!(wide >= 10, "{wide} modules with 64-bit memories");
    assert!(extended >= 10, "{extended} modules with extended constants");
}

/// Compares the other engines of this build with the interpreter on each
/// `(seed, module)`: asserts they never differ; the tally and how many engines
/// were compared.
#[cfg(feature = "compiler")]
fn compare_with_interpreter(modules: impl Iterator<Item = (u64, Vec<u8>)>) -> (Tally, usize) {
    let mut engines = engines();
    let reference = engines.remove(0);
    assert_eq!(reference.name(), "wazero interpreter");
    let mut tally = Tally::default();
    let mut mismatches = Vec::new();
    for (seed, wasm) in modules {
        if let Err(mismatch) = check_module(&wasm, &engines, reference.as_ref(), &mut tally) {
            mismatches.push(format!("seed {seed}: {mismatch}"));
        }
    }
    eprintln!("{tally}");
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    (tally, engines.len())
}

/// Relaxed SIMD (WebAssembly 3.0), which wasmi resolves differently: the
/// compiler agrees with the interpreter on generated modules that use it.
#[cfg(feature = "compiler")]
#[test]
fn compiler_agrees_with_interpreter_on_relaxed_simd_modules() {
    const SEEDS: u64 = 150;
    let mut relaxed = 0;
    let (tally, _) = compare_with_interpreter((0..SEEDS).filter_map(|seed| {
        let wasm = generate_with(seed, relaxed_simd_config(seed))?;
        relaxed += usize::from(uses_relaxed_simd(&wasm));
        Some((seed, wasm))
    }));
    eprintln!("{relaxed} modules use relaxed SIMD");
    assert!(relaxed >= 10, "too few modules use relaxed SIMD: {relaxed}");
    assert!(tally.calls >= 3 * tally.instantiated, "{tally}");
}

/// Typed function references (WebAssembly 3.0), which wasmi does not run and
/// `wasm-smith` makes only with GC types: the compiler agrees with the
/// interpreter on the modules of `typed_reference_module`, calls through
/// references of every kind, null traps included.
#[cfg(feature = "compiler")]
#[test]
fn compiler_agrees_with_interpreter_on_typed_reference_modules() {
    const SEEDS: u64 = 150;
    let (tally, engines) = compare_with_interpreter(
        (0..SEEDS).map(|seed| (seed, wazero_fuzz::typed_reference_module(seed))),
    );
    assert_eq!(tally.instantiated, SEEDS as usize * engines, "{tally}");
    assert!(tally.calls >= 4 * tally.instantiated, "{tally}");
    assert!(tally.trapped >= 20, "null references trap: {tally}");
}

/// Exception handling (WebAssembly 3.0), which wasmi does not run: the
/// compiler agrees with the interpreter on generated modules that throw and
/// catch (tags, `throw`, `throw_ref`, `try_table` with every clause),
/// exceptions that escape included.
#[cfg(feature = "compiler")]
#[test]
fn compiler_agrees_with_interpreter_on_exception_modules() {
    use wasmparser::{Operator as O, Parser, Payload};
    const SEEDS: u64 = 400;
    let (mut throwing, mut catching) = (0, 0);
    let (tally, _) = compare_with_interpreter((0..SEEDS).filter_map(|seed| {
        let wasm = generate_with(seed, wazero_fuzz::exceptions_config(seed))?;
        let (mut throws, mut catches) = (false, false);
        for payload in Parser::new(0).parse_all(&wasm).flatten() {
            let Payload::CodeSectionEntry(body) = payload else {
                continue;
            };
            for op in body.get_operators_reader().into_iter().flatten().flatten() {
                throws |= matches!(op, O::Throw { .. } | O::ThrowRef);
                catches |= matches!(op, O::TryTable { .. });
            }
        }
        throwing += usize::from(throws);
        catching += usize::from(catches);
        Some((seed, wasm))
    }));
    eprintln!("{throwing} modules throw, {catching} catch");
    assert!(throwing >= 40, "too few modules throw: {throwing}");
    assert!(catching >= 100, "too few modules catch: {catching}");
    assert!(tally.calls >= 3 * tally.instantiated, "{tally}");
}

/// Exception handling as `exception_module` makes it: clauses of every kind
/// in every order, tags that do not match tried first, rethrows, the legacy
/// instructions, exceptions through calls and out of the module. The
/// compiler agrees with the interpreter on every call.
#[cfg(feature = "compiler")]
#[test]
fn compiler_agrees_with_interpreter_on_throwing_and_catching_modules() {
    const SEEDS: u64 = 200;
    let (tally, engines) = compare_with_interpreter(
        (0..SEEDS).map(|seed| (seed, wazero_fuzz::exception_module(seed))),
    );
    assert_eq!(tally.instantiated, SEEDS as usize * engines, "{tally}");
    assert!(tally.calls >= 4 * tally.instantiated, "{tally}");
    assert!(tally.returned >= tally.calls / 4, "{tally}");
    assert!(tally.trapped >= 200, "uncaught exceptions: {tally}");
}

/// Whether `wasm` has a relaxed SIMD instruction (opcodes 0xfd 0x100..=0x113).
#[cfg(feature = "compiler")]
fn uses_relaxed_simd(wasm: &[u8]) -> bool {
    use wasmparser::{Operator as O, Parser, Payload};
    Parser::new(0).parse_all(wasm).flatten().any(|payload| {
        let Payload::CodeSectionEntry(body) = payload else {
            return false;
        };
        let Ok(ops) = body.get_operators_reader() else {
            return false;
        };
        ops.into_iter().flatten().any(|op| {
            matches!(
                op,
                O::I8x16RelaxedSwizzle
                    | O::I32x4RelaxedTruncF32x4S
                    | O::I32x4RelaxedTruncF32x4U
                    | O::I32x4RelaxedTruncF64x2SZero
                    | O::I32x4RelaxedTruncF64x2UZero
                    | O::F32x4RelaxedMadd
                    | O::F32x4RelaxedNmadd
                    | O::F64x2RelaxedMadd
                    | O::F64x2RelaxedNmadd
                    | O::I8x16RelaxedLaneselect
                    | O::I16x8RelaxedLaneselect
                    | O::I32x4RelaxedLaneselect
                    | O::I64x2RelaxedLaneselect
                    | O::F32x4RelaxedMin
                    | O::F32x4RelaxedMax
                    | O::F64x2RelaxedMin
                    | O::F64x2RelaxedMax
                    | O::I16x8RelaxedQ15mulrS
                    | O::I16x8RelaxedDotI8x16I7x16S
                    | O::I32x4RelaxedDotI8x16I7x16AddS
            )
        })
    })
}

/// How [`Skewed`] gets things wrong.
#[derive(Debug, Clone, Copy)]
enum Skew {
    /// Nothing: it agrees with the reference.
    None,
    /// An `i32` result is one too large.
    Result,
    /// Division by zero is reported as an overflow.
    TrapKind,
    /// An `i32` global reads one too large.
    Global,
    /// The first byte of memory reads flipped.
    Memory,
}

/// The interpreter, made wrong in one way, to show the harness notices.
struct Skewed(Box<dyn Engine>, Skew);

struct SkewedModule(Box<dyn CompiledModule>, Skew);

struct SkewedInstance(Box<dyn Instance>, Skew);

impl Engine for Skewed {
    fn name(&self) -> &str {
        "skewed"
    }

    fn compile(&self, wasm: &[u8]) -> Result<Box<dyn CompiledModule>, String> {
        Ok(Box::new(SkewedModule(self.0.compile(wasm)?, self.1)))
    }
}

impl CompiledModule for SkewedModule {
    fn instantiate(&self) -> Result<Box<dyn Instance>, Failure> {
        Ok(Box::new(SkewedInstance(self.0.instantiate()?, self.1)))
    }
}

impl Instance for SkewedInstance {
    fn call(&mut self, name: &str, args: &[Value]) -> Result<Vec<Value>, Failure> {
        match (self.1, self.0.call(name, args)) {
            (Skew::Result, Ok(mut results)) => {
                if let Some(Value::I32(v)) = results.first_mut() {
                    *v += 1;
                }
                Ok(results)
            }
            (Skew::TrapKind, Err(Failure::Trap(TrapKind::IntegerDivideByZero))) => {
                Err(Failure::Trap(TrapKind::IntegerOverflow))
            }
            (_, outcome) => outcome,
        }
    }

    fn with_memory(&self, name: &str, f: &mut dyn FnMut(&[u8])) -> bool {
        self.0.with_memory(name, &mut |bytes| match self.1 {
            Skew::Memory => {
                let mut copy = bytes.to_vec();
                copy[0] ^= 1;
                f(&copy);
            }
            _ => f(bytes),
        })
    }

    fn global(&self, name: &str) -> Option<Value> {
        match (self.1, self.0.global(name)?) {
            (Skew::Global, Value::I32(v)) => Some(Value::I32(v + 1)),
            (_, value) => Some(value),
        }
    }

    fn table(&self, name: &str, max_elements: u32) -> Option<(u32, Vec<bool>)> {
        self.0.table(name, max_elements)
    }
}

#[test]
fn the_harness_reports_each_kind_of_difference() {
    let wasm = wat::parse_str(
        r#"(module
            (memory (export "memory") 1)
            (global (export "counter") (mut i32) (i32.const 0))
            (func (export "add") (param i32 i32) (result i32)
                (i32.add (local.get 0) (local.get 1)))
            (func (export "div") (param i32) (result i32)
                (i32.div_s (i32.const 1) (local.get 0))))"#,
    )
    .unwrap();
    // (skew, where the first difference is found, what the skewed engine did)
    let cases = [
        (Skew::None, None),
        (
            Skew::Result,
            Some((
                r#"call "add"[i32:0x00000000 (0), i32:0x00000000 (0)] (zeros arguments)"#,
                "returned [i32:0x00000001 (1)]",
            )),
        ),
        (
            Skew::TrapKind,
            Some((
                r#"call "div"[i32:0x00000000 (0)] (zeros arguments)"#,
                "trap: IntegerOverflow",
            )),
        ),
        (
            Skew::Global,
            Some((
                r#"global "counter" after instantiation"#,
                "i32:0x00000001 (1)",
            )),
        ),
        (
            Skew::Memory,
            Some((
                r#"memory "memory" after instantiation"#,
                "bytes at 0x0: [01, 00, 00, 00, 00, 00, 00, 00, 00, 00, 00, 00, 00, 00, 00, 00]",
            )),
        ),
    ];
    let reference = reference();
    for (skew, expected) in cases {
        let interpreter = engines().remove(0);
        let skewed: Vec<Box<dyn Engine>> = vec![Box::new(Skewed(interpreter, skew))];
        let result = check_module(&wasm, &skewed, reference.as_ref(), &mut Tally::default());
        match (result, expected) {
            (Ok(()), None) => {}
            (Err(mismatch), Some((context, actual))) => {
                assert_eq!(mismatch.context, context, "{skew:?}");
                assert_eq!(mismatch.actual, actual, "{skew:?}");
                assert_eq!(mismatch.engine, "skewed");
                assert_eq!(mismatch.reference, "wasmi");
            }
            (result, expected) => panic!("{skew:?}: {result:?}, expected {expected:?}"),
        }
    }
}
