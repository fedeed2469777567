//! Validates a decoded WebAssembly module for wazero for Rust.
//!
//! The second stage of `compile_module`, between `wazero-decoder` and an engine:
//! [`validate`] checks every module-level rule (index spaces, limits, constant
//! expressions, exports, start function, segments) and every function body
//! (operand types, control structure, alignment, features) using `wasmparser`'s
//! validator, and returns a [`ValidatedModule`]. Engines only ever translate
//! validated modules, so they need no checks of their own at run time.
//!
//! ```
//! use wazero_api::CoreFeatures;
//! let wasm = wat::parse_str("(module (func (result i32) i64.const 1))").unwrap();
//! let module = wazero_decoder::decode(&wasm, CoreFeatures::default()).unwrap();
//! let err = wazero_validator::validate(module, CoreFeatures::default()).unwrap_err();
//! assert_eq!(err.function, Some(0));
//! assert!(err.to_string().contains("type mismatch"), "{err}");
//! ```

use std::ops::Deref;

use wazero_api::CoreFeatures;
use wazero_decoder::{wasm_features, Module};

/// A module that failed validation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid module: {}{message} (at offset {offset:#x})", function_label(*function))]
pub struct ValidationError {
    /// What rule is broken, in wasmparser's words (which follow the spec's).
    pub message: String,
    /// Byte offset in the binary of the offending item.
    pub offset: usize,
    /// Index (imports first) of the function whose body is invalid, if it is a body.
    pub function: Option<u32>,
}

fn function_label(function: Option<u32>) -> String {
    match function {
        Some(f) => format!("function[{f}]: "),
        None => String::new(),
    }
}

/// The most 8-byte value slots a function's frame may need: its parameters
/// and locals, twice its deepest operand stack (a `v128` takes two slots),
/// and [`FRAME_CONSTANT_SLOTS`]. Both engines refuse, at validation, a
/// function past it, so that they accept the same modules: the interpreter
/// addresses frame slots with 16 bits. (No compiler emits such functions;
/// they would need tens of thousands of values on the operand stack.)
pub const MAX_FRAME_SLOTS: u64 = 65_535;

/// The slots of a frame kept for constants (the interpreter's constant pool).
pub const FRAME_CONSTANT_SLOTS: u64 = 2048;

/// Refuses a function whose frame would need more than [`MAX_FRAME_SLOTS`].
fn check_frames(module: &Module, heights: &[u32]) -> Result<(), ValidationError> {
    let imported = module.imported_function_count();
    for (i, (body, &height)) in module.code.iter().zip(heights).enumerate() {
        let Some(ty) = module
            .functions
            .get(i)
            .and_then(|&t| module.types.get(t as usize))
        else {
            continue;
        };
        let need = ty.param_slots() as u64
            + body.local_slots()
            + 2 * u64::from(height)
            + FRAME_CONSTANT_SLOTS;
        if need > MAX_FRAME_SLOTS {
            return Err(ValidationError {
                message: format!(
                    "function too large: its frame needs {need} value slots (parameters and \
                     locals, twice its deepest operand stack of {height}, and \
                     {FRAME_CONSTANT_SLOTS} for constants), more than the \
                     {MAX_FRAME_SLOTS} wazero allows"
                ),
                offset: body.range.start,
                function: Some(imported + i as u32),
            });
        }
    }
    Ok(())
}

/// A module that passed validation; engines accept only these.
#[derive(Debug, Clone)]
pub struct ValidatedModule {
    module: Module,
    features: CoreFeatures,
    catches: bool,
}

impl ValidatedModule {
    /// The features it was validated with.
    pub fn features(&self) -> CoreFeatures {
        self.features
    }

    /// Whether a function of it has blocks with exception handlers
    /// (`try_table`, the legacy `try`): only then can an exception be caught
    /// in its code.
    pub fn catches(&self) -> bool {
        self.catches
    }

    /// The validated module.
    pub fn module(&self) -> &Module {
        &self.module
    }
}

impl Deref for ValidatedModule {
    type Target = Module;
    fn deref(&self) -> &Module {
        &self.module
    }
}

/// Validates `module` against the rules of WebAssembly with `features` enabled.
///
/// Module-level rules are checked in one pass over the sections; function
/// bodies are checked after it, in parallel on all cores when the module has
/// [`PARALLEL_THRESHOLD`] bytes of code or more. The error reported is the one
/// `wasmparser`'s `Validator::validate_all` reports, which works in the same
/// two steps: the first module-level error, else the first invalid body.
pub fn validate(
    module: Module,
    features: CoreFeatures,
) -> Result<ValidatedModule, ValidationError> {
    let checked = match validate_sections(&module, features) {
        Ok(bodies) => validate_bodies(bodies),
        Err(e) => Err(e),
    };
    match checked {
        Ok((heights, catches)) => {
            check_frames(&module, &heights)?;
            Ok(ValidatedModule {
                module,
                features,
                catches,
            })
        }
        Err(e) => Err(error_in(&module, &e)),
    }
}

/// [`validate`] for a module whose function bodies were validated before:
/// checks every module-level rule, and takes the bodies as they were found
/// then. A compilation cache uses it for a module it has compiled code of,
/// where validating every body again would take most of the start-up.
///
/// `catches` is what [`ValidatedModule::catches`] said of the module then.
///
/// # Safety
///
/// `module.bytes` must be bytes that [`validate`] accepted with the same
/// `features` (in this version of this crate), and `catches` what that
/// validation found. Engines translate function bodies assuming they are
/// valid: an invalid body taken here can make them read and write memory
/// they must not, or run code they must not.
///
/// ```
/// use wazero_api::CoreFeatures;
/// let wasm = wat::parse_str("(module (func (export \"f\")))").unwrap();
/// let features = CoreFeatures::default();
/// let module = wazero_decoder::decode(&wasm, features).unwrap();
/// let checked = wazero_validator::validate(module.clone(), features).unwrap();
/// // SAFETY: the same bytes and features passed `validate` just above.
/// let trusted = unsafe {
///     wazero_validator::validate_trusting_bodies(module, features, checked.catches())
/// }
/// .unwrap();
/// assert_eq!(trusted.code.len(), 1);
/// ```
pub unsafe fn validate_trusting_bodies(
    module: Module,
    features: CoreFeatures,
    catches: bool,
) -> Result<ValidatedModule, ValidationError> {
    match validate_sections(&module, features) {
        Ok(_) => Ok(ValidatedModule {
            module,
            features,
            catches,
        }),
        Err(e) => Err(error_in(&module, &e)),
    }
}

/// The module-level pass of [`validate`]: every rule but the bodies', and
/// the bodies to validate.
fn validate_sections(
    module: &Module,
    features: CoreFeatures,
) -> Result<Vec<Body<'_>>, wasmparser::BinaryReaderError> {
    let body_features = wasm_features(features);
    // WebAssembly 3.0 lets constant expressions read the module's own
    // immutable globals; wasmparser counts that as part of GC. The decoder has
    // refused every GC type, heap type and constant instruction, so GC on at
    // the module level adds only that; bodies are validated without it.
    let module_features = if features.contains(CoreFeatures::FUNCTION_REFERENCES) {
        body_features | wasmparser::WasmFeatures::GC
    } else {
        body_features
    };
    let mut validator = wasmparser::Validator::new_with_features(module_features);
    let mut parser = wasmparser::Parser::new(0);
    // The features decide how some items are read (32-bit memory limits
    // without memory64).
    parser.set_features(wasm_features(features));
    let mut bodies = Vec::new();
    for payload in parser.parse_all(&module.bytes) {
        match payload.and_then(|payload| validator.payload(&payload))? {
            wasmparser::ValidPayload::Func(mut func, body) => {
                func.features = body_features;
                bodies.push((func, body));
            }
            wasmparser::ValidPayload::End(_) => break,
            _ => {}
        }
    }
    Ok(bodies)
}

/// `e`, found validating `module`, with the function it is in.
fn error_in(module: &Module, e: &wasmparser::BinaryReaderError) -> ValidationError {
    let offset = usize::try_from(e.offset()).unwrap_or(usize::MAX);
    let imported = module.imported_function_count();
    let function = module
        .code
        .iter()
        .position(|body| body.range.contains(&offset))
        .map(|i| imported + i as u32);
    ValidationError {
        message: e.message().to_string(),
        offset,
        function,
    }
}

/// The depths (from the top of the operand stack, 0 being the top) of `op`'s
/// `i64` operands when it works on 64-bit tables (`is64` says which tables
/// are), else none: what an engine that keeps table indices in 32 bits
/// narrows (a 64-bit table's indices, destinations and lengths are `i64`s).
pub fn table64_operands(op: &wasmparser::Operator<'_>, is64: impl Fn(u32) -> bool) -> Vec<usize> {
    use wasmparser::Operator as O;
    match *op {
        O::TableGet { table } | O::TableGrow { table } if is64(table) => vec![0],
        O::TableSet { table } if is64(table) => vec![1],
        O::TableFill { table } if is64(table) => vec![2, 0],
        O::TableInit { table, .. } if is64(table) => vec![2],
        O::CallIndirect { table_index, .. } | O::ReturnCallIndirect { table_index, .. }
            if is64(table_index) =>
        {
            vec![0]
        }
        O::TableCopy {
            dst_table,
            src_table,
        } => {
            let (d, s) = (is64(dst_table), is64(src_table));
            let mut depths = Vec::new();
            if d {
                depths.push(2);
            }
            if s {
                depths.push(1);
            }
            if d && s {
                depths.push(0);
            }
            depths
        }
        _ => Vec::new(),
    }
}

/// A `try_table` catch clause's parts, for engines: the tag it catches (the
/// module's index; `None` for any exception), the label it branches to
/// (relative to the block around the `try_table`), and whether the `exnref`
/// goes to the label after the payload (`catch_ref`, `catch_all_ref`).
///
/// ```
/// use wasmparser::Catch;
/// assert_eq!(wazero_validator::catch_clause(&Catch::OneRef { tag: 2, label: 1 }), (Some(2), 1, true));
/// assert_eq!(wazero_validator::catch_clause(&Catch::All { label: 0 }), (None, 0, false));
/// ```
pub fn catch_clause(catch: &wasmparser::Catch) -> (Option<u32>, u32, bool) {
    use wasmparser::Catch;
    match *catch {
        Catch::One { tag, label } => (Some(tag), label, false),
        Catch::OneRef { tag, label } => (Some(tag), label, true),
        Catch::All { label } => (None, label, false),
        Catch::AllRef { label } => (None, label, true),
    }
}

/// Below this many bytes of function bodies, they are validated on the
/// calling thread: starting threads would cost more than they save.
pub const PARALLEL_THRESHOLD: usize = 64 << 10;

/// A function body with what its validation needs.
type Body<'a> = (
    wasmparser::FuncToValidate<wasmparser::ValidatorResources>,
    wasmparser::FunctionBody<'a>,
);

/// Validates one function body like `FuncValidator::validate`; the deepest
/// its operand stack gets, and whether it has exception handlers.
fn validate_body(
    validator: &mut wasmparser::FuncValidator<wasmparser::ValidatorResources>,
    body: &wasmparser::FunctionBody<'_>,
) -> Result<BodyFacts, wasmparser::BinaryReaderError> {
    let mut reader = body.get_binary_reader();
    validator.read_locals(&mut reader)?;
    reader.set_features(*validator.features());
    let mut facts = BodyFacts::default();
    while !reader.eof() {
        // An operator's first byte is its opcode: `try_table` (0x1f) and the
        // legacy `try` (0x06) are the blocks with handlers.
        if matches!(reader.clone().read_u8(), Ok(0x1f | 0x06)) {
            facts.handlers = true;
        }
        reader.visit_operator(&mut validator.visitor(reader.original_position()))??;
        facts.deepest = facts.deepest.max(validator.operand_stack_height());
    }
    reader.finish_expression(&validator.visitor(reader.original_position()))?;
    Ok(facts)
}

/// What validating a body found out.
#[derive(Debug, Clone, Copy, Default)]
struct BodyFacts {
    /// The deepest its operand stack gets.
    deepest: u32,
    /// Whether it has blocks with exception handlers (`try_table`, `try`).
    handlers: bool,
}

/// Validates `bodies`, in parallel when they are large enough: the deepest
/// operand stack of each, or the error of the first invalid one, in order.
fn validate_bodies(
    bodies: Vec<Body<'_>>,
) -> Result<(Vec<u32>, bool), wasmparser::BinaryReaderError> {
    let heights: Vec<std::sync::atomic::AtomicU32> =
        bodies.iter().map(|_| Default::default()).collect();
    let handlers = std::sync::atomic::AtomicBool::new(false);
    let size: u64 = bodies
        .iter()
        .map(|(_, body)| {
            let range = body.range();
            range.end - range.start
        })
        .sum();
    let threads = if size < PARALLEL_THRESHOLD as u64 {
        1
    } else {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(bodies.len())
    };
    // The bodies still to validate, in order, each with its index.
    let queue = std::sync::Mutex::new(bodies.into_iter().enumerate());
    // The index of the first invalid body found so far (bodies after it need
    // no validating), and its error.
    let first = std::sync::Mutex::new((usize::MAX, None));
    let worker = || {
        let mut allocs = wasmparser::FuncValidatorAllocations::default();
        loop {
            let taken = queue.lock().unwrap_or_else(|e| e.into_inner()).next();
            let Some((i, (func, body))) = taken else {
                break;
            };
            if i > first.lock().unwrap_or_else(|e| e.into_inner()).0 {
                continue;
            }
            let mut validator = func.into_validator(allocs);
            let result = validate_body(&mut validator, &body);
            allocs = validator.into_allocations();
            match result {
                Ok(facts) => {
                    heights[i].store(facts.deepest, std::sync::atomic::Ordering::Relaxed);
                    if facts.handlers {
                        handlers.store(true, std::sync::atomic::Ordering::Relaxed);
                    }
                }
                Err(e) => {
                    let mut first = first.lock().unwrap_or_else(|e| e.into_inner());
                    if i < first.0 {
                        *first = (i, Some(e));
                    }
                }
            }
        }
    };
    if threads <= 1 {
        worker();
    } else {
        std::thread::scope(|scope| {
            for _ in 1..threads {
                scope.spawn(worker);
            }
            worker();
        });
    }
    match first.into_inner().unwrap_or_else(|e| e.into_inner()).1 {
        Some(e) => Err(e),
        None => Ok((
            heights.into_iter().map(|h| h.into_inner()).collect(),
            handlers.into_inner(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(wat: &str, features: CoreFeatures) -> Result<ValidatedModule, ValidationError> {
        let wasm = wat::parse_str(wat).unwrap();
        validate(wazero_decoder::decode(&wasm, features).unwrap(), features)
    }

    #[test]
    fn table_of_rules() {
        struct Case {
            name: &'static str,
            wat: &'static str,
            features: CoreFeatures,
            error: Option<(&'static str, Option<u32>)>,
        }
        let v2 = CoreFeatures::V2;
        let cases = [
            Case {
                name: "valid",
                wat: "(module (func (result i32) i32.const 1))",
                features: v2,
                error: None,
            },
            Case {
                name: "body type mismatch names the function",
                wat: r#"(module (import "a" "b" (func)) (func) (func (result i32) f32.const 0))"#,
                features: v2,
                error: Some(("type mismatch", Some(2))),
            },
            Case {
                name: "unknown global is module-level",
                wat: "(module (export \"g\" (global 3)))",
                features: v2,
                error: Some(("unknown global", None)),
            },
            Case {
                name: "simd off",
                wat: "(module (func v128.const i64x2 0 0 drop))",
                features: CoreFeatures::V1,
                error: Some(("SIMD support is not enabled", Some(0))),
            },
            Case {
                name: "multi-value off",
                wat: "(module (func (result i32 i32) i32.const 0 i32.const 1))",
                features: CoreFeatures::V1,
                error: Some(("multiple", None)),
            },
            Case {
                name: "extended constant expressions on",
                wat: "(module (global i32 (i32.add (i32.const 1) (i32.mul (i32.const 2) (i32.const 3)))))",
                features: CoreFeatures::DEFAULT,
                error: None,
            },
            Case {
                name: "extended constant expressions off",
                wat: "(module (global i32 (i32.add (i32.const 1) (i32.const 2))))",
                features: v2,
                error: Some(("constant expression required", None)),
            },
        ];
        for case in cases {
            match (check(case.wat, case.features), case.error) {
                (Ok(_), None) => {}
                (Err(e), Some((text, function))) => {
                    assert!(e.message.contains(text), "{}: {e}", case.name);
                    assert_eq!(e.function, function, "{}: {e}", case.name);
                }
                (got, want) => panic!("{}: got {:?}, want {want:?}", case.name, got.map(|_| ())),
            }
        }
    }

    /// A module of `count` functions, large enough to be validated in
    /// parallel; `bad` holds the indices of bodies made invalid, and
    /// `bad_data` adds a data segment for a memory that does not exist (a
    /// module-level error after the code section).
    fn big_module(count: usize, bad: &[usize], bad_data: bool) -> String {
        let mut wat = String::from("(module\n");
        for i in 0..count {
            let body = if bad.contains(&i) {
                "f32.const 0".to_string()
            } else {
                "(i32.add (i32.mul (local.get 0) (i32.const 12345)) (i32.const 678))".repeat(8)
                    + &" drop".repeat(7)
            };
            wat += &format!("(func (param i32) (result i32) {body})\n");
        }
        if bad_data {
            wat += "(data (memory 3) (i32.const 0) \"x\")\n";
        }
        wat + ")"
    }

    #[test]
    fn large_modules_report_the_same_error_as_a_serial_pass() {
        let count = 2000;
        let valid = check(&big_module(count, &[], false), CoreFeatures::V2).unwrap();
        let body_bytes: usize = valid.code.iter().map(|c| c.range.len()).sum();
        assert!(
            body_bytes >= PARALLEL_THRESHOLD,
            "{body_bytes} bytes: not parallel"
        );
        let cases: [(&[usize], bool, &str, Option<u32>); 4] = [
            (&[1500], false, "type mismatch", Some(1500)),
            (&[1999, 3, 700], false, "type mismatch", Some(3)),
            (&[], true, "unknown memory", None),
            (&[1800], true, "unknown memory", None),
        ];
        for (bad, bad_data, text, function) in cases {
            let e = check(&big_module(count, bad, bad_data), CoreFeatures::V2).unwrap_err();
            assert!(e.message.contains(text), "{bad:?} {bad_data}: {e}");
            assert_eq!(e.function, function, "{bad:?} {bad_data}: {e}");
        }
    }
}
