//! WebAssembly 3.0 features on every engine: extended constant expressions,
//! relaxed SIMD, tail calls, typed function references, multi-memory and
//! memory64 (exception handling has `exceptions.rs`). Relaxed SIMD's results are the
//! ones `docs/design.md` documents, the same on every engine: these tests
//! pin them where the proposal would allow another.

use wazero::{CoreFeatures, Runtime, RuntimeConfig, TrapCode};

mod engines;

/// A v128 of four f32 lanes.
fn f32x4(l: [f32; 4]) -> u128 {
    l.iter()
        .enumerate()
        .fold(0, |v, (i, x)| v | u128::from(x.to_bits()) << (32 * i))
}

/// A v128 of four i32 lanes.
fn i32x4(l: [i32; 4]) -> u128 {
    l.iter()
        .enumerate()
        .fold(0, |v, (i, x)| v | u128::from(*x as u32) << (32 * i))
}

/// A v128 of two f64 lanes.
fn f64x2(l: [f64; 2]) -> u128 {
    u128::from(l[0].to_bits()) | u128::from(l[1].to_bits()) << 64
}

/// A v128 of eight i16 lanes.
fn i16x8(l: [i16; 8]) -> u128 {
    l.iter()
        .enumerate()
        .fold(0, |v, (i, x)| v | u128::from(*x as u16) << (16 * i))
}

/// A v128 of sixteen i8 lanes.
fn i8x16(l: [i8; 16]) -> u128 {
    l.iter()
        .enumerate()
        .fold(0, |v, (i, x)| v | u128::from(*x as u8) << (8 * i))
}

/// Calls `module`'s export `name` with `params`: its results, or its error's
/// text.
fn call(module: &wazero::Module, name: &str, params: &[u64]) -> Result<Vec<u64>, String> {
    module
        .exported_function(name)
        .unwrap()
        .call(params)
        .map_err(|e| e.to_string())
}

fn slots(v: u128) -> [u64; 2] {
    [v as u64, (v >> 64) as u64]
}

const RELAXED: &str = r#"(module
    (func (export "swizzle") (param v128 v128) (result v128)
        (i8x16.relaxed_swizzle (local.get 0) (local.get 1)))
    (func (export "trunc_f32_s") (param v128) (result v128) (i32x4.relaxed_trunc_f32x4_s (local.get 0)))
    (func (export "trunc_f32_u") (param v128) (result v128) (i32x4.relaxed_trunc_f32x4_u (local.get 0)))
    (func (export "trunc_f64_s") (param v128) (result v128) (i32x4.relaxed_trunc_f64x2_s_zero (local.get 0)))
    (func (export "trunc_f64_u") (param v128) (result v128) (i32x4.relaxed_trunc_f64x2_u_zero (local.get 0)))
    (func (export "madd_f32") (param v128 v128 v128) (result v128)
        (f32x4.relaxed_madd (local.get 0) (local.get 1) (local.get 2)))
    (func (export "nmadd_f32") (param v128 v128 v128) (result v128)
        (f32x4.relaxed_nmadd (local.get 0) (local.get 1) (local.get 2)))
    (func (export "madd_f64") (param v128 v128 v128) (result v128)
        (f64x2.relaxed_madd (local.get 0) (local.get 1) (local.get 2)))
    (func (export "nmadd_f64") (param v128 v128 v128) (result v128)
        (f64x2.relaxed_nmadd (local.get 0) (local.get 1) (local.get 2)))
    (func (export "laneselect8") (param v128 v128 v128) (result v128)
        (i8x16.relaxed_laneselect (local.get 0) (local.get 1) (local.get 2)))
    (func (export "laneselect64") (param v128 v128 v128) (result v128)
        (i64x2.relaxed_laneselect (local.get 0) (local.get 1) (local.get 2)))
    (func (export "min_f32") (param v128 v128) (result v128) (f32x4.relaxed_min (local.get 0) (local.get 1)))
    (func (export "max_f64") (param v128 v128) (result v128) (f64x2.relaxed_max (local.get 0) (local.get 1)))
    (func (export "q15mulr") (param v128 v128) (result v128) (i16x8.relaxed_q15mulr_s (local.get 0) (local.get 1)))
    (func (export "dot") (param v128 v128) (result v128)
        (i16x8.relaxed_dot_i8x16_i7x16_s (local.get 0) (local.get 1)))
    (func (export "dot_add") (param v128 v128 v128) (result v128)
        (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get 0) (local.get 1) (local.get 2)))
    ;; An operand computed in place (not a local), to exercise the interpreter's
    ;; slot reuse: (a * b + c) with a = b = c = x + 0.
    (func (export "madd_self") (param v128) (result v128)
        (f32x4.relaxed_madd
            (f32x4.add (local.get 0) (v128.const f32x4 0 0 0 0))
            (f32x4.add (local.get 0) (v128.const f32x4 0 0 0 0))
            (f32x4.add (local.get 0) (v128.const f32x4 0 0 0 0)))))"#;

#[test]
fn relaxed_simd_gives_the_documented_result_on_every_engine() {
    // 1 + 2^-23: its square's exact value needs more bits than f32 has, so
    // fused and unfused multiply-add differ.
    let a = f32::from_bits(0x3f80_0001);
    let square = a * a;
    assert_ne!(
        a.mul_add(a, -square),
        0.0,
        "the case tells fused from unfused"
    );
    let b = 1.0 + f64::EPSILON;
    let square64 = b * b;
    assert_ne!(b.mul_add(b, -square64), 0.0);
    let nan = f32::NAN;
    let cases: Vec<(&str, Vec<u128>, u128)> = vec![
        // Out-of-range indices select 0, as `i8x16.swizzle`.
        (
            "swizzle",
            vec![
                i8x16([
                    10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25,
                ]),
                i8x16([0, 15, 16, -1, 127, -128, 1, 2, 3, 4, 5, 6, 7, 8, 9, 31]),
            ],
            i8x16([10, 25, 0, 0, 0, 0, 11, 12, 13, 14, 15, 16, 17, 18, 19, 0]),
        ),
        // Saturating, NaN to 0, as `trunc_sat`.
        (
            "trunc_f32_s",
            vec![f32x4([nan, 3e9, -3e9, -1.5])],
            i32x4([0, i32::MAX, i32::MIN, -1]),
        ),
        (
            "trunc_f32_u",
            vec![f32x4([-1.0, nan, 5e9, 2.5])],
            i32x4([0, 0, -1, 2]),
        ),
        (
            "trunc_f64_s",
            vec![f64x2([f64::NAN, -1e10])],
            i32x4([0, i32::MIN, 0, 0]),
        ),
        (
            "trunc_f64_u",
            vec![f64x2([1e10, 7.9])],
            i32x4([-1, 7, 0, 0]),
        ),
        // Unfused: the product is rounded first.
        (
            "madd_f32",
            vec![
                f32x4([a, 2.0, 1.0, 0.0]),
                f32x4([a, 3.0, -1.0, 5.0]),
                f32x4([-square, 1.0, 1.0, -0.0]),
            ],
            f32x4([0.0, 7.0, 0.0, 0.0]),
        ),
        (
            "nmadd_f32",
            vec![
                f32x4([a, 2.0, 1.0, 0.0]),
                f32x4([a, 3.0, 4.0, 1.0]),
                f32x4([square, 1.0, 4.0, -0.0]),
            ],
            f32x4([0.0, -5.0, 0.0, -0.0]),
        ),
        (
            "madd_f64",
            vec![f64x2([b, 0.5]), f64x2([b, 4.0]), f64x2([-square64, 0.25])],
            f64x2([0.0, 2.25]),
        ),
        (
            "nmadd_f64",
            vec![f64x2([b, 0.5]), f64x2([b, 4.0]), f64x2([square64, 0.25])],
            f64x2([0.0, -1.75]),
        ),
        // Bitwise, as `v128.bitselect`, whatever the lane width.
        (
            "laneselect8",
            vec![u128::MAX, 0, 0x0f0f_0000_ffff_0000_8080_0000_0000_00ff],
            0x0f0f_0000_ffff_0000_8080_0000_0000_00ff,
        ),
        (
            "laneselect64",
            vec![0xaaaa, 0x5555, 0x00f0],
            0x5505 | 0x00a0,
        ),
        // IEEE min/max with -0 < +0 and NaN propagated, as `f32x4.min`.
        (
            "min_f32",
            vec![f32x4([-0.0, 0.0, 1.0, 2.0]), f32x4([0.0, -0.0, -1.0, 3.0])],
            f32x4([-0.0, -0.0, -1.0, 2.0]),
        ),
        (
            "max_f64",
            vec![f64x2([-0.0, 1.0]), f64x2([0.0, -1.0])],
            f64x2([0.0, 1.0]),
        ),
        // Saturating, as `i16x8.q15mulr_sat_s`.
        (
            "q15mulr",
            vec![
                i16x8([i16::MIN, 16384, -16384, 100, 0, 1, 2, 3]),
                i16x8([i16::MIN, 16384, 16384, 200, 5, 1, 2, 3]),
            ],
            i16x8([i16::MAX, 8192, -8192, 1, 0, 0, 0, 0]),
        ),
        // Both operands signed; -128 * -128 twice wraps to 16 bits.
        (
            "dot",
            vec![
                i8x16([-128, -128, 1, 2, 3, -4, 127, 127, 0, 0, 0, 0, 0, 0, 5, 5]),
                i8x16([-128, -128, 3, 4, 5, 6, -128, 127, 0, 0, 0, 0, 0, 0, -1, 1]),
            ],
            i16x8([i16::MIN, 11, -9, -127, 0, 0, 0, 0]),
        ),
        (
            "dot_add",
            vec![
                i8x16([
                    1, 2, 3, 4, 5, 6, 7, 8, -1, -2, -3, -4, -128, -128, -128, -128,
                ]),
                i8x16([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, -128, -128, -128, -128]),
                i32x4([100, 0, -1, 7]),
            ],
            // The last lane: (-128)² twice wraps in 16 bits to -32768, twice.
            i32x4([110, 52, -31, -65536 + 7]),
        ),
        (
            "madd_self",
            vec![f32x4([2.0, -1.0, 0.5, 3.0])],
            f32x4([6.0, 0.0, 0.75, 12.0]),
        ),
    ];
    for (engine, config) in engines::named() {
        let runtime = Runtime::with_config(config);
        let module = runtime
            .instantiate(&wat::parse_str(RELAXED).unwrap())
            .unwrap();
        for (name, params, want) in &cases {
            let params: Vec<u64> = params.iter().flat_map(|&v| slots(v)).collect();
            let got = module
                .exported_function(name)
                .unwrap()
                .call(&params)
                .unwrap_or_else(|e| panic!("{engine} {name}: {e}"));
            let got = u128::from(got[0]) | u128::from(got[1]) << 64;
            assert_eq!(got, *want, "{engine} {name}: {got:#x} != {want:#x}");
        }
    }
}

#[test]
fn extended_constant_expressions_initialize_globals_and_offsets() {
    let wat = r#"(module
        (import "env" "base" (global $base i32))
        (global $g (export "g") i32 (i32.add (global.get $base) (i32.mul (i32.const 3) (i32.const 4))))
        (global (export "wrap") i64 (i64.sub (i64.const 0) (i64.const 1)))
        (memory (export "memory") 1)
        (data (i32.add (global.get $base) (i32.const 2)) "hi"))"#;
    for (engine, config) in engines::named() {
        let runtime = Runtime::with_config(config);
        let env = wat::parse_str(r#"(module (global (export "base") i32 (i32.const 100)))"#);
        let env = runtime.compile_module(&env.unwrap()).unwrap();
        runtime
            .instantiate_module(&env, wazero::ModuleConfig::new().with_name("env"))
            .unwrap_or_else(|e| panic!("{engine}: {e}"));
        let module = runtime.instantiate(&wat::parse_str(wat).unwrap()).unwrap();
        assert_eq!(module.exported_global("g").unwrap().get(), 112, "{engine}");
        assert_eq!(
            module.exported_global("wrap").unwrap().get(),
            u64::MAX,
            "{engine}"
        );
        let memory = module.memory().unwrap();
        assert_eq!(memory.read(102, 2).unwrap(), b"hi".to_vec(), "{engine}");
    }
}

#[test]
fn wasm3_features_can_be_turned_off() {
    let cases = [
        (
            CoreFeatures::EXTENDED_CONST,
            "(module (global i32 (i32.add (i32.const 1) (i32.const 2))))",
            "constant expression required",
        ),
        (
            CoreFeatures::TAIL_CALL,
            "(module (func $f (return_call $f)))",
            "tail calls support is not enabled",
        ),
        (
            CoreFeatures::FUNCTION_REFERENCES,
            "(module (type $t (func)) (func (param (ref $t))))",
            "function references",
        ),
        (
            CoreFeatures::FUNCTION_REFERENCES,
            "(module (func (drop (ref.as_non_null (ref.null func)))))",
            "function references",
        ),
        (
            CoreFeatures::MULTI_MEMORY,
            "(module (memory 1) (memory 1))",
            "multiple memories",
        ),
        (
            CoreFeatures::MEMORY64,
            "(module (memory i64 1))",
            "memory64",
        ),
        (
            CoreFeatures::EXCEPTIONS,
            "(module (tag $e) (func (throw $e)))",
            "exceptions proposal not enabled",
        ),
        (
            CoreFeatures::LEGACY_EXCEPTIONS,
            "(module (func try catch_all end))",
            "legacy_exceptions feature required for try instruction",
        ),
        (
            CoreFeatures::RELAXED_SIMD,
            "(module (func (param v128) (result v128) (i8x16.relaxed_swizzle (local.get 0) (local.get 0))))",
            "relaxed SIMD support is not enabled",
        ),
    ];
    for (feature, wat, message) in cases {
        let wasm = wat::parse_str(wat).unwrap();
        let on = Runtime::with_config(RuntimeConfig::interpreter());
        assert!(
            on.compile_module(&wasm).is_ok(),
            "{feature:?} on by default"
        );
        let off = Runtime::with_config(
            RuntimeConfig::interpreter()
                .with_core_features(CoreFeatures::DEFAULT.set(feature, false)),
        );
        let err = off.compile_module(&wasm).unwrap_err();
        assert!(err.to_string().contains(message), "{feature:?}: {err}");
    }
}

const TAIL: &str = r#"(module
    (type $t (func (param i64) (result i64)))
    (table 2 funcref)
    (elem (i32.const 0) $even_i $odd_i)
    ;; Mutual recursion by tail calls: constant native and interpreter stack.
    (func $even (export "even") (param i64) (result i64)
        (if (result i64) (i64.eqz (local.get 0))
            (then (i64.const 1))
            (else (return_call $odd (i64.sub (local.get 0) (i64.const 1))))))
    (func $odd (param i64) (result i64)
        (if (result i64) (i64.eqz (local.get 0))
            (then (i64.const 0))
            (else (return_call $even (i64.sub (local.get 0) (i64.const 1))))))
    ;; The same through the table.
    (func $even_i (export "even_indirect") (param i64) (result i64)
        (if (result i64) (i64.eqz (local.get 0))
            (then (i64.const 1))
            (else (return_call_indirect (type $t) (i64.sub (local.get 0) (i64.const 1)) (i32.const 1)))))
    (func $odd_i (param i64) (result i64)
        (if (result i64) (i64.eqz (local.get 0))
            (then (i64.const 0))
            (else (return_call_indirect (type $t) (i64.sub (local.get 0) (i64.const 1)) (i32.const 0)))))
    ;; The same through function references.
    (elem declare func $even_r $odd_r)
    (func $even_r (export "even_ref") (param i64) (result i64)
        (if (result i64) (i64.eqz (local.get 0))
            (then (i64.const 1))
            (else (return_call_ref $t (i64.sub (local.get 0) (i64.const 1)) (ref.func $odd_r)))))
    (func $odd_r (param i64) (result i64)
        (if (result i64) (i64.eqz (local.get 0))
            (then (i64.const 0))
            (else (return_call_ref $t (i64.sub (local.get 0) (i64.const 1)) (ref.func $even_r)))))
    ;; Several results, passed on by a tail call.
    (func $swap (param i32 i32) (result i32 i32) (local.get 1) (local.get 0))
    (func (export "swap_tail") (param i32 i32) (result i32 i32)
        (return_call $swap (local.get 0) (local.get 1)))
    ;; A tail call that never ends: stopped by an interrupt, not by the stack.
    (func $forever (export "forever") (param i64) (result i64)
        (return_call $forever (i64.add (local.get 0) (i64.const 1))))
    ;; The same recursion with plain calls runs out of stack.
    (func $deep (export "deep") (param i64) (result i64)
        (if (result i64) (i64.eqz (local.get 0))
            (then (i64.const 1))
            (else (call $deep (i64.sub (local.get 0) (i64.const 1)))))))"#;

/// Tail calls run in constant stack space on every engine: a million-deep
/// mutual recursion (direct and through a table) completes on a thread with
/// a 256 KiB stack, where the same depth with plain calls is refused with
/// "call stack exhausted"; results pass through, and an endless tail
/// recursion is stopped by a timeout.
#[test]
fn tail_calls_run_in_constant_stack_space() {
    for (engine, config) in engines::named() {
        let outcome = std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(move || {
                let runtime = Runtime::with_config(config);
                let module = runtime.instantiate(&wat::parse_str(TAIL).unwrap()).unwrap();
                let call = |name: &str, params: &[u64]| {
                    module.exported_function(name).unwrap().call(params)
                };
                assert_eq!(call("even", &[1_000_000]).unwrap(), vec![1]);
                assert_eq!(call("even", &[1_000_001]).unwrap(), vec![0]);
                assert_eq!(call("even_indirect", &[1_000_000]).unwrap(), vec![1]);
                assert_eq!(call("even_ref", &[1_000_001]).unwrap(), vec![0]);
                assert_eq!(call("swap_tail", &[1, 2]).unwrap(), vec![2, 1]);
                let err = call("deep", &[1_000_000]).unwrap_err();
                assert_eq!(
                    err.trap_code(),
                    Some(wazero::TrapCode::StackExhausted),
                    "{err}"
                );
                let err = module
                    .exported_function("forever")
                    .unwrap()
                    .call_with_timeout(&[0], std::time::Duration::from_millis(50))
                    .unwrap_err();
                assert!(err.is_interrupted(), "{err}");
            })
            .unwrap()
            .join();
        assert!(outcome.is_ok(), "{engine}: failed on a 256 KiB thread");
    }
}

/// The module that defines typed references for [`typed_function_references`].
const TYPED_EXPORTER: &str = r#"(module
    (type $t (func (param i32) (result i32)))
    (func $inc (export "inc") (type $t) (i32.add (local.get 0) (i32.const 1)))
    (global (export "inc_ref") (ref $t) (ref.func $inc))
    (table (export "tab") 2 (ref null $t))
    (elem declare func $inc))"#;

/// A module importing them with its own, equal, signature type; calling
/// through references, trapping on null, branching on null, and
/// initializing a table and a global from constant expressions.
const TYPED_USER: &str = r#"(module
    (type $u (func (param i32) (result i32)))
    (import "lib" "inc_ref" (global $inc (ref $u)))
    (import "lib" "inc_ref" (global $any funcref))
    (import "lib" "tab" (table $imported 2 (ref null $u)))
    (func $double (type $u) (i32.mul (local.get 0) (i32.const 2)))
    (elem declare func $double)
    ;; A table of non-null references needs an initializer.
    (table $own 3 (ref $u) (ref.func $double))
    (global $five i32 (i32.const 5))
    (global (export "six") i32 (i32.add (global.get $five) (i32.const 1)))
    (func (export "call_imported") (param i32) (result i32)
        (call_ref $u (local.get 0) (global.get $inc)))
    (func (export "call_table") (param i32) (result i32)
        (call_indirect $own (type $u) (local.get 0) (i32.const 2)))
    (func (export "call_null") (result i32)
        (call_ref $u (i32.const 1) (ref.null $u)))
    (func (export "as_non_null") (param i32) (result i32)
        (ref.is_null (ref.as_non_null (table.get $imported (local.get 0)))))
    (func (export "store") (param i32)
        (table.set $imported (local.get 0) (global.get $inc)))
    ;; 1 when the element is null (br_on_null branches), else the call's result.
    (func (export "on_null") (param i32) (result i32)
        (block $null
            (return (call_ref $u (i32.const 10)
                (br_on_null $null (table.get $imported (local.get 0))))))
        (i32.const -1))
    ;; The call's result when the element is not null (br_on_non_null
    ;; branches with it), else -1.
    (func (export "on_non_null") (param i32) (result i32) (local $f (ref null $u))
        (block $some (result (ref $u))
            (br_on_non_null $some (table.get $imported (local.get 0)))
            (return (i32.const -1)))
        (local.set $f)
        (call_ref $u (i32.const 20) (local.get $f)))
    (func (export "any_is_null") (result i32) (ref.is_null (global.get $any))))"#;

/// Typed function references on every engine: signatures are one type
/// across modules (an import of `(ref $u)` links to an export of `(ref $t)`
/// of an equal signature, and a `(ref $t)` is a `funcref`), calls through
/// references and their null traps, `ref.as_non_null`, `br_on_null` and
/// `br_on_non_null`, table initializers, `global.get` of the module's own
/// globals in constant expressions; imports of another signature or a table
/// of another element type do not link.
#[test]
fn typed_function_references() {
    for (engine, config) in engines::named() {
        let runtime = Runtime::with_config(config);
        let lib = runtime
            .compile_module(&wat::parse_str(TYPED_EXPORTER).unwrap())
            .unwrap();
        runtime
            .instantiate_module(&lib, wazero::ModuleConfig::new().with_name("lib"))
            .unwrap();
        let user = runtime.instantiate(&wat::parse_str(TYPED_USER).unwrap());
        let user = user.unwrap_or_else(|e| panic!("{engine}: {e}"));
        let call = |name: &str, params: &[u64]| user.exported_function(name).unwrap().call(params);
        assert_eq!(call("call_imported", &[41]).unwrap(), vec![42], "{engine}");
        assert_eq!(call("call_table", &[21]).unwrap(), vec![42], "{engine}");
        assert_eq!(user.exported_global("six").unwrap().get(), 6, "{engine}");
        assert_eq!(call("any_is_null", &[]).unwrap(), vec![0], "{engine}");
        let traps = [
            (
                "call_null",
                vec![],
                TrapCode::NullFunctionReference,
                "null function reference",
            ),
            (
                "as_non_null",
                vec![0],
                TrapCode::NullReference,
                "null reference",
            ),
        ];
        for (name, params, code, message) in traps {
            let err = call(name, &params).unwrap_err();
            assert_eq!(err.trap_code(), Some(code), "{engine} {name}: {err}");
            assert!(err.to_string().contains(message), "{engine} {name}: {err}");
        }
        assert_eq!(
            call("on_null", &[1]).unwrap(),
            vec![-1i32 as u32 as u64],
            "{engine}"
        );
        assert_eq!(
            call("on_non_null", &[1]).unwrap(),
            vec![-1i32 as u32 as u64],
            "{engine}"
        );
        call("store", &[1]).unwrap();
        assert_eq!(call("as_non_null", &[1]).unwrap(), vec![0], "{engine}");
        assert_eq!(call("on_null", &[1]).unwrap(), vec![11], "{engine}");
        assert_eq!(call("on_non_null", &[1]).unwrap(), vec![21], "{engine}");

        let unlinkable = [
            r#"(module (type $v (func (param i64) (result i32)))
                (import "lib" "inc_ref" (global (ref $v))))"#,
            r#"(module (import "lib" "tab" (table 2 funcref)))"#,
            r#"(module (type $t (func (param i32) (result i32)))
                (import "lib" "inc" (func (param i64) (result i32))))"#,
        ];
        for wat in unlinkable {
            let err = runtime
                .instantiate(&wat::parse_str(wat).unwrap())
                .unwrap_err();
            assert!(
                matches!(err, wazero::Error::Link(_)),
                "{engine}: {wat}: {err}"
            );
        }
    }
}

/// Three memories: data segments, loads and stores, SIMD, size, grow, fill,
/// init and copy on each, a memory imported as the second, and every one seen
/// from the host by its export name.
const MULTI_MEMORY: &str = r#"(module
    (import "lib" "shared" (memory $imported 1))
    (memory $a 1)
    (memory $b 2 4)
    (data (memory $a) (i32.const 8) "\01\02\03\04")
    (data (memory $b) (i32.const 65536) "abcd")
    (data $passive "xyz")
    (func (export "load_a") (param i32) (result i32) (i32.load $a (local.get 0)))
    (func (export "load_b") (param i32) (result i32) (i32.load8_u $b offset=65536 (local.get 0)))
    (func (export "store_imported") (param i32 i32) (i32.store $imported (local.get 0) (local.get 1)))
    (func (export "simd_b") (result i64)
        (i64x2.extract_lane 0 (v128.load $b (i32.const 65536))))
    (func (export "sizes") (result i32 i32 i32)
        (memory.size $imported) (memory.size $a) (memory.size $b))
    (func (export "grow_b") (param i32) (result i32) (memory.grow $b (local.get 0)))
    (func (export "fill_a") (param i32 i32 i32) (memory.fill $a (local.get 0) (local.get 1) (local.get 2)))
    (func (export "init_b") (param i32) (memory.init $b $passive (local.get 0) (i32.const 0) (i32.const 3)))
    ;; From memory $b to memory $a, and within $b.
    (func (export "copy_b_to_a") (param i32 i32 i32)
        (memory.copy $a $b (local.get 0) (local.get 1) (local.get 2)))
    (func (export "copy_within_b") (param i32 i32 i32)
        (memory.copy $b $b (local.get 0) (local.get 1) (local.get 2)))
    (export "a" (memory $a))
    (export "b" (memory $b)))"#;

/// Multi-memory on every engine: each instruction addresses the memory its
/// index names, with that memory's bounds, and the host reaches each memory
/// by its export name.
#[test]
fn several_memories_per_module() {
    for (engine, config) in engines::named() {
        let runtime = Runtime::with_config(config);
        let lib = wat::parse_str(r#"(module (memory (export "shared") 1))"#).unwrap();
        let lib = runtime.compile_module(&lib).unwrap();
        let lib = runtime
            .instantiate_module(&lib, wazero::ModuleConfig::new().with_name("lib"))
            .unwrap();
        let module = runtime
            .instantiate(&wat::parse_str(MULTI_MEMORY).unwrap())
            .unwrap_or_else(|e| panic!("{engine}: {e}"));
        let call = |name: &str, params: &[u64]| call(&module, name, params);
        assert_eq!(call("load_a", &[8]), Ok(vec![0x0403_0201]), "{engine}");
        assert_eq!(call("load_b", &[1]), Ok(vec![u64::from(b'b')]), "{engine}");
        assert_eq!(call("simd_b", &[]), Ok(vec![0x6463_6261]), "{engine}");
        assert_eq!(call("sizes", &[]), Ok(vec![1, 1, 2]), "{engine}");
        // Bounds are each memory's own: $a has one page, $b two.
        let oob = call("load_a", &[65535]).unwrap_err();
        assert!(
            oob.contains("out of bounds memory access"),
            "{engine}: {oob}"
        );
        assert_eq!(call("load_b", &[65535]), Ok(vec![0]), "{engine}");

        call("store_imported", &[16, 0xfeed]).unwrap();
        let shared = lib.exported_memory("shared").unwrap();
        assert_eq!(shared.read(16, 2).unwrap(), vec![0xed, 0xfe], "{engine}");

        assert_eq!(call("grow_b", &[1]), Ok(vec![2]), "{engine}");
        assert_eq!(
            call("grow_b", &[2]),
            Ok(vec![u64::from(u32::MAX)]),
            "{engine}: max 4"
        );
        assert_eq!(call("sizes", &[]), Ok(vec![1, 1, 3]), "{engine}");
        assert_eq!(module.exported_memory("b").unwrap().size_pages(), 3);

        call("fill_a", &[100, 7, 3]).unwrap();
        call("init_b", &[200]).unwrap();
        call("copy_b_to_a", &[300, 200, 3]).unwrap();
        call("copy_within_b", &[201, 200, 3]).unwrap();
        let a = module.exported_memory("a").unwrap();
        let b = module.exported_memory("b").unwrap();
        assert_eq!(a.read(100, 3).unwrap(), vec![7, 7, 7], "{engine}");
        assert_eq!(a.read(300, 3).unwrap(), b"xyz".to_vec(), "{engine}");
        assert_eq!(b.read(200, 4).unwrap(), b"xxyz".to_vec(), "{engine}");
        // Memory 0 (the imported one) is untouched by all of it.
        assert_eq!(shared.read(100, 4).unwrap(), vec![0; 4], "{engine}");
        let oob = call("copy_b_to_a", &[65535, 0, 2]).unwrap_err();
        assert!(
            oob.contains("out of bounds memory access"),
            "{engine}: {oob}"
        );
    }
}

/// A 64-bit memory of one page more than 4 GiB, with a data segment past
/// 4 GiB, loads and stores at `i64` addresses and offsets past 4 GiB, size,
/// grow, fill and copy with `i64` operands.
const MEMORY64_SMALL: &str = r#"(module
    (memory (export "memory") i64 1)
    (func (export "load8") (param i64) (result i32) (i32.load8_u (local.get 0)))
    (func (export "load8_high") (param i64) (result i32)
        (i32.load8_u offset=0xffffffff (local.get 0)))
    (func (export "load8_past") (param i64) (result i32)
        (i32.load8_u offset=0x100000000 (local.get 0)))
    (func (export "store64") (param i64 i64) (i64.store (local.get 0) (local.get 1)))
    (func (export "load64") (param i64) (result i64) (i64.load (local.get 0)))
    (func (export "size") (result i64) (memory.size))
    (func (export "grow") (param i64) (result i64) (memory.grow (local.get 0))))"#;

/// A 64-bit memory under the default memory limit (4 GiB), which the
/// compiler reserves with the guard pages of a 32-bit memory, checking only
/// that an address fits in 32 bits: every address and offset past the end
/// traps, on every engine, before and after the memory grows, and it never
/// grows past the limit.
#[test]
fn a_64_bit_memory_within_the_default_limit_traps_past_its_end() {
    for (engine, config) in engines::named() {
        let runtime = Runtime::with_config(config);
        let module = runtime
            .instantiate(&wat::parse_str(MEMORY64_SMALL).unwrap())
            .unwrap_or_else(|e| panic!("{engine}: {e}"));
        let call = |name: &str, params: &[u64]| call(&module, name, params);
        let oob = |r: Result<Vec<u64>, String>, what: &str| match r {
            Err(e) => assert!(
                e.contains("out of bounds memory access"),
                "{engine}: {what}: {e}"
            ),
            Ok(v) => panic!("{engine}: {what}: returned {v:?}"),
        };
        call("store64", &[65536 - 8, 0x1122_3344_5566_7788]).unwrap();
        assert_eq!(
            call("load64", &[65536 - 8]),
            Ok(vec![0x1122_3344_5566_7788])
        );
        let far = [
            65536 - 7,
            65536,
            0xffff_ffff,
            0x1_0000_0000,
            0x1_0000_0000 + 65536,
            1 << 40,
            1 << 63,
            u64::MAX,
        ];
        for addr in far {
            oob(call("load64", &[addr]), &format!("load64 {addr:#x}"));
            if addr >= 65536 {
                oob(call("load8", &[addr]), &format!("load8 {addr:#x}"));
            }
        }
        for addr in [0, 1, 0xffff_ffff, u64::MAX] {
            oob(
                call("load8_high", &[addr]),
                &format!("offset 2^32-1 + {addr:#x}"),
            );
            oob(
                call("load8_past", &[addr]),
                &format!("offset 2^32 + {addr:#x}"),
            );
        }
        assert_eq!(call("grow", &[3]), Ok(vec![1]), "{engine}");
        assert_eq!(call("load8", &[4 * 65536 - 1]), Ok(vec![0]), "{engine}");
        oob(call("load8", &[4 * 65536]), "past the grown end");
        // The default limit is 4 GiB: no growth past it.
        assert_eq!(call("grow", &[65533]), Ok(vec![u64::MAX]), "{engine}");
        assert_eq!(call("size", &[]), Ok(vec![4]), "{engine}");
    }
}

const MEMORY64: &str = r#"(module
    (memory (export "memory") i64 65537 65600)
    (data (i64.const 0x100000008) "\2a")
    (func (export "load8") (param i64) (result i32) (i32.load8_u (local.get 0)))
    (func (export "load8_far") (param i64) (result i32)
        (i32.load8_u offset=0x100000000 (local.get 0)))
    (func (export "store64") (param i64 i64) (i64.store (local.get 0) (local.get 1)))
    (func (export "load64") (param i64) (result i64) (i64.load (local.get 0)))
    (func (export "size") (result i64) (memory.size))
    (func (export "grow") (param i64) (result i64) (memory.grow (local.get 0)))
    (func (export "fill") (param i64 i32 i64) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
    (func (export "copy") (param i64 i64 i64) (memory.copy (local.get 0) (local.get 1) (local.get 2))))"#;

/// memory64 on every engine: a memory past 4 GiB under a raised memory limit,
/// addressed at `i64` addresses; out-of-bounds accesses trap wherever the
/// address or offset points, even past 2^64; the memory limit holds; without
/// a raised limit the module cannot be instantiated.
#[test]
fn a_64_bit_memory_addresses_more_than_4_gib() {
    const FAR: u64 = 0x1_0000_0008; // past 4 GiB
    const END: u64 = 65537 * 65536;
    for (engine, config) in engines::named() {
        let wasm = wat::parse_str(MEMORY64).unwrap();
        let err = Runtime::with_config(config.clone())
            .instantiate(&wasm)
            .unwrap_err();
        assert!(err.to_string().contains("limit"), "{engine}: {err}");

        let runtime = Runtime::with_config(config.with_memory_limit_pages(65540));
        let module = runtime
            .instantiate(&wasm)
            .unwrap_or_else(|e| panic!("{engine}: {e}"));
        let call = |name: &str, params: &[u64]| call(&module, name, params);
        let oob = |r: Result<Vec<u64>, String>| {
            let e = r.unwrap_err();
            assert!(e.contains("out of bounds memory access"), "{engine}: {e}");
        };
        assert_eq!(
            call("load8", &[FAR]),
            Ok(vec![42]),
            "{engine}: data segment"
        );
        assert_eq!(call("load8_far", &[8]), Ok(vec![42]), "{engine}: offset");
        call("store64", &[FAR + 8, 0x0102_0304_0506_0708]).unwrap();
        assert_eq!(
            call("load64", &[FAR + 8]),
            Ok(vec![0x0102_0304_0506_0708]),
            "{engine}"
        );
        assert_eq!(
            call("load64", &[END - 8]),
            Ok(vec![0]),
            "{engine}: last bytes"
        );
        oob(call("load64", &[END - 7]));
        oob(call("load8", &[END]));
        oob(call("load8", &[u64::MAX]));
        oob(call("load8_far", &[u64::MAX - 0xffff]));
        oob(call("load8_far", &[END - 0x1_0000_0000]));
        assert_eq!(call("size", &[]), Ok(vec![65537]), "{engine}");
        // The limit (65540 pages) holds below the declared maximum (65600).
        assert_eq!(call("grow", &[3]), Ok(vec![65537]), "{engine}");
        assert_eq!(
            call("grow", &[1]),
            Ok(vec![u64::MAX]),
            "{engine}: past the limit"
        );
        assert_eq!(
            call("grow", &[1 << 40]),
            Ok(vec![u64::MAX]),
            "{engine}: huge delta"
        );
        assert_eq!(call("size", &[]), Ok(vec![65540]), "{engine}");
        call("fill", &[FAR + 100, 7, 3]).unwrap();
        call("copy", &[16, FAR + 100, 3]).unwrap();
        assert_eq!(call("load8", &[18]), Ok(vec![7]), "{engine}");
        oob(call("fill", &[u64::MAX, 7, 2]));
        oob(call("copy", &[0, END + 3 * 65536, 1]));
    }
}

/// A 64-bit table: `i64` indices, sizes and lengths on every table
/// instruction and `call_indirect`; indices past 2^32 are out of bounds, not
/// wrapped; copies between a 64-bit and a 32-bit table.
const TABLE64: &str = r#"(module
    (type $r (func (result i32)))
    (table $t i64 4 8 funcref)
    (table $small 2 funcref)
    (func $seven (result i32) (i32.const 7))
    (func $nine (result i32) (i32.const 9))
    (elem (table $t) (i64.const 1) func $seven $nine)
    (func (export "call") (param i64) (result i32) (call_indirect $t (type $r) (local.get 0)))
    (func (export "is_null") (param i64) (result i32) (ref.is_null (table.get $t (local.get 0))))
    (func (export "size") (result i64) (table.size $t))
    (func (export "grow") (param i64) (result i64) (table.grow $t (ref.null func) (local.get 0)))
    (func (export "fill") (param i64 i64) (table.fill $t (local.get 0) (ref.func $nine) (local.get 1)))
    (func (export "to_small") (param i32 i64 i32) (table.copy $small $t (local.get 0) (local.get 1) (local.get 2)))
    (func (export "call_small") (param i32) (result i32) (call_indirect $small (type $r) (local.get 0))))"#;

/// 64-bit tables on every engine.
#[test]
fn a_64_bit_table_takes_i64_indices() {
    const FAR: u64 = 1 << 32; // index 0 if it were wrapped to 32 bits
    for (engine, config) in engines::named() {
        let runtime = Runtime::with_config(config);
        let module = runtime
            .instantiate(&wat::parse_str(TABLE64).unwrap())
            .unwrap_or_else(|e| panic!("{engine}: {e}"));
        let call = |name: &str, params: &[u64]| call(&module, name, params);
        let trap = |r: Result<Vec<u64>, String>, what: &str| {
            let e = r.unwrap_err();
            assert!(e.contains(what), "{engine}: {e}");
        };
        assert_eq!(call("call", &[1]), Ok(vec![7]), "{engine}");
        assert_eq!(call("call", &[2]), Ok(vec![9]), "{engine}");
        trap(call("call", &[0]), "uninitialized element");
        trap(call("call", &[FAR + 1]), "undefined element");
        trap(call("is_null", &[FAR]), "out of bounds table access");
        assert_eq!(call("size", &[]), Ok(vec![4]), "{engine}");
        assert_eq!(call("grow", &[2]), Ok(vec![4]), "{engine}");
        assert_eq!(call("grow", &[FAR]), Ok(vec![u64::MAX]), "{engine}: -1");
        assert_eq!(call("grow", &[3]), Ok(vec![u64::MAX]), "{engine}: past 8");
        assert_eq!(call("size", &[]), Ok(vec![6]), "{engine}");
        call("fill", &[4, 2]).unwrap();
        assert_eq!(call("call", &[5]), Ok(vec![9]), "{engine}");
        trap(call("fill", &[5, FAR]), "out of bounds table access");
        call("to_small", &[0, 1, 2]).unwrap();
        assert_eq!(call("call_small", &[0]), Ok(vec![7]), "{engine}");
        assert_eq!(call("call_small", &[1]), Ok(vec![9]), "{engine}");
        trap(call("to_small", &[0, FAR, 1]), "out of bounds table access");
    }
}
