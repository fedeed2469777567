//! The compiler against the interpreter: the same functions, the same arguments,
//! the same results or the same traps.

use std::time::Duration;

use wazero::{Runtime, RuntimeConfig};

/// Runs `calls` (export, arguments) on both engines and compares the outcomes:
/// result slots, or the error message.
fn compare(wat: &str, calls: &[(&str, &[u64])]) {
    let wasm = wat::parse_str(wat).expect("test WAT parses");
    let run = |config: RuntimeConfig| {
        let runtime = Runtime::with_config(config);
        let module = runtime.instantiate(&wasm).expect("instantiates");
        calls
            .iter()
            .map(|(name, args)| {
                let f = module
                    .exported_function(name)
                    .unwrap_or_else(|| panic!("export {name}"));
                f.call(args).map_err(|e| e.to_string())
            })
            .collect::<Vec<_>>()
    };
    let interpreted = run(RuntimeConfig::interpreter());
    let compiled = run(RuntimeConfig::compiler());
    for (i, (call, (want, got))) in calls
        .iter()
        .zip(interpreted.iter().zip(&compiled))
        .enumerate()
    {
        assert_eq!(got, want, "call #{i} {}{:x?}", call.0, call.1);
    }
}

const I32_MIN: u64 = 0x8000_0000;
const M1_32: u64 = 0xffff_ffff;
const I64_MIN: u64 = 0x8000_0000_0000_0000;

#[test]
fn integer_arithmetic_and_traps() {
    let wat = r#"(module
      (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
      (func (export "div_s") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
      (func (export "div_u") (param i32 i32) (result i32) (i32.div_u (local.get 0) (local.get 1)))
      (func (export "rem_s") (param i32 i32) (result i32) (i32.rem_s (local.get 0) (local.get 1)))
      (func (export "rem_u") (param i32 i32) (result i32) (i32.rem_u (local.get 0) (local.get 1)))
      (func (export "div_s64") (param i64 i64) (result i64) (i64.div_s (local.get 0) (local.get 1)))
      (func (export "rem_s64") (param i64 i64) (result i64) (i64.rem_s (local.get 0) (local.get 1)))
      (func (export "shl") (param i32 i32) (result i32) (i32.shl (local.get 0) (local.get 1)))
      (func (export "shr_s") (param i64 i64) (result i64) (i64.shr_s (local.get 0) (local.get 1)))
      (func (export "rotl") (param i32 i32) (result i32) (i32.rotl (local.get 0) (local.get 1)))
      (func (export "clz") (param i64) (result i64) (i64.clz (local.get 0)))
      (func (export "ctz") (param i32) (result i32) (i32.ctz (local.get 0)))
      (func (export "popcnt") (param i64) (result i64) (i64.popcnt (local.get 0)))
      (func (export "lt_u") (param i32 i32) (result i32) (i32.lt_u (local.get 0) (local.get 1)))
      (func (export "ge_s") (param i64 i64) (result i32) (i64.ge_s (local.get 0) (local.get 1)))
      (func (export "eqz") (param i64) (result i32) (i64.eqz (local.get 0)))
      (func (export "ext8") (param i32) (result i32) (i32.extend8_s (local.get 0)))
      (func (export "ext32") (param i64) (result i64) (i64.extend32_s (local.get 0)))
      (func (export "wrap") (param i64) (result i32) (i32.wrap_i64 (local.get 0)))
      (func (export "extend_s") (param i32) (result i64) (i64.extend_i32_s (local.get 0)))
      (func (export "extend_u") (param i32) (result i64) (i64.extend_i32_u (local.get 0)))
      (func (export "unreachable") (unreachable))
    )"#;
    compare(
        wat,
        &[
            ("add", &[M1_32, 1]),
            ("add", &[0x7fff_ffff, 1]),
            ("div_s", &[7, M1_32]),
            ("div_s", &[1, 0]),
            ("div_s", &[I32_MIN, M1_32]),
            ("div_u", &[I32_MIN, 2]),
            ("div_u", &[1, 0]),
            ("rem_s", &[I32_MIN, M1_32]),
            ("rem_s", &[M1_32 - 6, 3]),
            ("rem_s", &[5, 0]),
            ("rem_u", &[M1_32, 10]),
            ("div_s64", &[I64_MIN, u64::MAX]),
            ("div_s64", &[u64::MAX - 9, 3]),
            ("rem_s64", &[I64_MIN, u64::MAX]),
            ("rem_s64", &[1, 0]),
            ("shl", &[1, 33]),
            ("shr_s", &[I64_MIN, 65]),
            ("rotl", &[0x8000_0001, 1]),
            ("clz", &[0]),
            ("clz", &[1]),
            ("ctz", &[0]),
            ("popcnt", &[u64::MAX]),
            ("lt_u", &[M1_32, 1]),
            ("ge_s", &[u64::MAX, 1]),
            ("eqz", &[0]),
            ("ext8", &[0x80]),
            ("ext32", &[0x8000_0000]),
            ("wrap", &[0x1_2345_6789]),
            ("extend_s", &[M1_32]),
            ("extend_u", &[M1_32]),
            ("unreachable", &[]),
        ],
    );
}

fn f32b(v: f32) -> u64 {
    u64::from(v.to_bits())
}
fn f64b(v: f64) -> u64 {
    v.to_bits()
}

#[test]
fn floats_and_conversions() {
    let wat = r#"(module
      (func (export "min") (param f32 f32) (result f32) (f32.min (local.get 0) (local.get 1)))
      (func (export "max") (param f64 f64) (result f64) (f64.max (local.get 0) (local.get 1)))
      (func (export "nearest") (param f64) (result f64) (f64.nearest (local.get 0)))
      (func (export "floor") (param f32) (result f32) (f32.floor (local.get 0)))
      (func (export "sqrt") (param f64) (result f64) (f64.sqrt (local.get 0)))
      (func (export "copysign") (param f32 f32) (result f32) (f32.copysign (local.get 0) (local.get 1)))
      (func (export "ne") (param f64 f64) (result i32) (f64.ne (local.get 0) (local.get 1)))
      (func (export "trunc_s32_f32") (param f32) (result i32) (i32.trunc_f32_s (local.get 0)))
      (func (export "trunc_s32_f64") (param f64) (result i32) (i32.trunc_f64_s (local.get 0)))
      (func (export "trunc_u32_f64") (param f64) (result i32) (i32.trunc_f64_u (local.get 0)))
      (func (export "trunc_s64_f64") (param f64) (result i64) (i64.trunc_f64_s (local.get 0)))
      (func (export "trunc_u64_f32") (param f32) (result i64) (i64.trunc_f32_u (local.get 0)))
      (func (export "sat_s32") (param f64) (result i32) (i32.trunc_sat_f64_s (local.get 0)))
      (func (export "sat_u64") (param f32) (result i64) (i64.trunc_sat_f32_u (local.get 0)))
      (func (export "conv_u64") (param i64) (result f32) (f32.convert_i64_u (local.get 0)))
      (func (export "conv_s32") (param i32) (result f64) (f64.convert_i32_s (local.get 0)))
      (func (export "demote") (param f64) (result f32) (f32.demote_f64 (local.get 0)))
      (func (export "promote") (param f32) (result f64) (f64.promote_f32 (local.get 0)))
      (func (export "reinterpret") (param f32) (result i32) (i32.reinterpret_f32 (local.get 0)))
    )"#;
    compare(
        wat,
        &[
            ("min", &[f32b(-0.0), f32b(0.0)]),
            ("min", &[f32b(1.0), f32b(f32::NAN)]),
            ("max", &[f64b(0.0), f64b(-0.0)]),
            ("nearest", &[f64b(2.5)]),
            ("nearest", &[f64b(-3.5)]),
            ("floor", &[f32b(-1.5)]),
            ("sqrt", &[f64b(2.0)]),
            ("copysign", &[f32b(1.0), f32b(-0.0)]),
            ("ne", &[f64b(f64::NAN), f64b(f64::NAN)]),
            ("trunc_s32_f32", &[f32b(-2147483648.0)]),
            ("trunc_s32_f32", &[f32b(2147483648.0)]),
            ("trunc_s32_f32", &[f32b(f32::NAN)]),
            ("trunc_s32_f64", &[f64b(-2147483648.9)]),
            ("trunc_s32_f64", &[f64b(-2147483649.0)]),
            ("trunc_s32_f64", &[f64b(2147483647.9)]),
            ("trunc_u32_f64", &[f64b(-0.9)]),
            ("trunc_u32_f64", &[f64b(-1.0)]),
            ("trunc_u32_f64", &[f64b(4294967295.9)]),
            ("trunc_u32_f64", &[f64b(4294967296.0)]),
            ("trunc_s64_f64", &[f64b(-9223372036854775808.0)]),
            ("trunc_s64_f64", &[f64b(9223372036854775808.0)]),
            ("trunc_u64_f32", &[f32b(18446742974197923840.0)]),
            ("trunc_u64_f32", &[f32b(18446744073709551616.0)]),
            ("trunc_u64_f32", &[f32b(f32::INFINITY)]),
            ("sat_s32", &[f64b(1e10)]),
            ("sat_s32", &[f64b(f64::NAN)]),
            ("sat_u64", &[f32b(-5.0)]),
            ("conv_u64", &[u64::MAX]),
            ("conv_s32", &[M1_32]),
            ("demote", &[f64b(1e300)]),
            ("promote", &[f32b(1.5)]),
            ("reinterpret", &[f32b(-1.0)]),
        ],
    );
}

#[test]
fn control_flow_locals_globals_and_calls() {
    let wat = r#"(module
      (global $g (mut i64) (i64.const 5))
      (global $f (mut f32) (f32.const 1.5))
      (func $fac (export "fac") (param i64) (result i64)
        (if (result i64) (i64.eqz (local.get 0))
          (then (i64.const 1))
          (else (i64.mul (local.get 0) (call $fac (i64.sub (local.get 0) (i64.const 1)))))))
      (func $fib (export "fib") (param i32) (result i32)
        (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
          (then (local.get 0))
          (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                         (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
      (func (export "sum") (param i32) (result i64) (local i64)
        (block $done
          (loop $again
            (br_if $done (i32.eqz (local.get 0)))
            (local.set 1 (i64.add (local.get 1) (i64.extend_i32_u (local.get 0))))
            (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
            (br $again)))
        (local.get 1))
      (func (export "switch") (param i32) (result i32)
        (block $d (block $c (block $b (block $a
          (br_table $a $b $c $d (local.get 0)))
          (return (i32.const 10)))
          (return (i32.const 11)))
          (return (i32.const 12)))
        (i32.const 13))
      (func $swap (export "swap") (param i32 i64) (result i64 i32) (local.get 1) (local.get 0))
      (func (export "swap_twice") (param i32 i64) (result i32 i64)
        (call $swap (local.get 0) (local.get 1))
        (call $swap2))
      (func $swap2 (param i64 i32) (result i32 i64) (local.get 1) (local.get 0))
      (func (export "multi_block") (param i32) (result i32)
        (local.get 0)
        (block (param i32) (result i32 i32) (i32.const 1) (i32.const 2) (drop))
        (i32.add))
      (func (export "loop_params") (param i32) (result i32)
        (i32.const 0) (local.get 0)
        (loop (param i32 i32) (result i32)
          (local.set 0)
          (i32.add (local.get 0))
          (local.get 0) (i32.const 1) (i32.sub) (local.tee 0)
          (local.get 0)
          (br_if 0)
          (drop)))
      (func (export "select") (param i32 f64 f64) (result f64)
        (select (local.get 1) (local.get 2) (local.get 0)))
      (func (export "globals") (param i64) (result i64)
        (global.set $g (i64.add (global.get $g) (local.get 0)))
        (global.set $f (f32.mul (global.get $f) (f32.const 2)))
        (i64.add (global.get $g) (i64.trunc_f32_s (global.get $f))))
      (func (export "if_no_else") (param i32) (result i32) (local i32)
        (local.set 1 (i32.const 7))
        (if (local.get 0) (then (local.set 1 (i32.const 9))))
        (local.get 1))
      (func (export "dead_code") (param i32) (result i32)
        (block (result i32)
          (br 0 (i32.const 3))
          (i32.add (i32.const 1) (unreachable))))
      (func $runaway (export "runaway") (call $runaway))
    )"#;
    compare(
        wat,
        &[
            ("fac", &[20]),
            ("fib", &[20]),
            ("sum", &[100_000]),
            ("switch", &[0]),
            ("switch", &[2]),
            ("switch", &[3]),
            ("switch", &[99]),
            ("swap", &[7, 9]),
            ("swap_twice", &[1, 2]),
            ("multi_block", &[40]),
            ("loop_params", &[10]),
            ("select", &[0, f64b(1.0), f64b(2.0)]),
            ("select", &[1, f64b(1.0), f64b(2.0)]),
            ("globals", &[10]),
            ("globals", &[10]),
            ("if_no_else", &[0]),
            ("if_no_else", &[1]),
            ("dead_code", &[0]),
        ],
    );
    // Deep recursion: the interpreter stops at its frame limit, the compiler at its
    // native stack budget; both report the same trap.
    let wasm = wat::parse_str(wat).unwrap();
    let runtime = Runtime::with_config(RuntimeConfig::compiler());
    let module = runtime.instantiate(&wasm).unwrap();
    let err = module
        .exported_function("runaway")
        .unwrap()
        .call(&[])
        .unwrap_err();
    assert!(err.to_string().contains("call stack exhausted"), "{err}");
}

#[test]
fn memory_bounds_and_growth() {
    let wat = r#"(module
      (memory 1 3)
      (data (i32.const 8) "\01\02\03\04\05\06\07\08")
      (func (export "load8_s") (param i32) (result i32) (i32.load8_s (local.get 0)))
      (func (export "load16_u") (param i32) (result i32) (i32.load16_u offset=1 (local.get 0)))
      (func (export "load64") (param i32) (result i64) (i64.load offset=4 (local.get 0)))
      (func (export "load32_s") (param i32) (result i64) (i64.load32_s (local.get 0)))
      (func (export "store") (param i32 i64) (i64.store (local.get 0) (local.get 1)))
      (func (export "store_load") (param i32 f64) (result f64)
        (f64.store offset=3 (local.get 0) (local.get 1))
        (f64.load offset=3 (local.get 0)))
      (func (export "store8") (param i32 i32) (result i32)
        (i32.store8 (local.get 0) (local.get 1))
        (i32.load (local.get 0)))
      (func (export "size") (result i32) (memory.size))
      (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
      (func (export "last") (result i32)
        (i32.load8_u (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 1))))
    )"#;
    compare(
        wat,
        &[
            ("load8_s", &[8]),
            ("load8_s", &[65535]),
            ("load8_s", &[65536]),
            ("load8_s", &[M1_32]),
            ("load16_u", &[65534]),
            ("load16_u", &[65533]),
            ("load64", &[4]),
            ("load64", &[65524]),
            ("load64", &[65525]),
            ("load64", &[M1_32]),
            ("load32_s", &[0xfffc]),
            ("store", &[65528, u64::MAX]),
            ("store", &[65529, 1]),
            ("load32_s", &[65528]),
            ("store_load", &[100, f64b(-2.5)]),
            ("store8", &[200, 0x1ff]),
            ("size", &[]),
            ("last", &[]),
            ("grow", &[1]),
            ("size", &[]),
            ("load8_s", &[65536]),
            ("last", &[]),
            ("grow", &[2]),
            ("grow", &[1]),
            ("size", &[]),
            ("load64", &[3 * 65536 - 12]),
            ("load64", &[3 * 65536 - 11]),
            ("grow", &[0]),
        ],
    );
}

#[test]
fn memory_without_max_and_no_memory() {
    compare(
        r#"(module (memory 0)
          (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
          (func (export "load") (param i32) (result i32) (i32.load (local.get 0))))"#,
        &[
            ("load", &[0]),
            ("grow", &[1]),
            ("load", &[65532]),
            ("load", &[65533]),
        ],
    );
}

#[test]
fn unsupported_features_fail_to_compile_clearly() {
    let cases = [(
        r#"(module (func (result v128) (v128.const i64x2 0 0)))"#,
        "SIMD",
    )];
    let runtime = Runtime::with_config(RuntimeConfig::compiler());
    for (wat, feature) in cases {
        let wasm = wat::parse_str(wat).unwrap();
        let err = runtime.compile_module(&wasm).expect_err("fails to compile");
        let message = err.to_string();
        assert!(matches!(err, wazero::Error::Compile(_)), "{wat}: {message}");
        assert!(
            message.contains("compiler: ") && message.contains(feature),
            "{wat}: {message}"
        );
        assert!(message.contains("not supported yet"), "{message}");
    }
}

#[test]
fn infinite_loop_stops_on_interrupt() {
    let wasm = wat::parse_str(
        r#"(module
          (func (export "spin") (loop $l (br $l)))
          (func (export "spin_calls") (loop $l (call $nop) (br $l)))
          (func $nop)
          (func (export "ok") (result i32) (i32.const 1)))"#,
    )
    .unwrap();
    let runtime = Runtime::with_config(RuntimeConfig::compiler());
    let module = runtime.instantiate(&wasm).unwrap();
    for name in ["spin", "spin_calls"] {
        let _deadline = runtime
            .interrupt_handle()
            .interrupt_after(Duration::from_millis(50));
        let err = module
            .exported_function(name)
            .unwrap()
            .call(&[])
            .unwrap_err();
        assert!(err.is_interrupted(), "{name}: {err}");
        assert!(err.to_string().contains("interrupted"), "{err}");
    }
    // The request was consumed: the next call runs normally.
    assert_eq!(
        module.exported_function("ok").unwrap().call(&[]).unwrap(),
        vec![1]
    );
}

#[test]
fn start_function_and_instances_share_code() {
    let wasm = wat::parse_str(
        r#"(module (memory 1) (global $g (mut i32) (i32.const 0))
          (func $start (global.set $g (i32.const 41)) (i32.store (i32.const 0) (i32.const 7)))
          (start $start)
          (func (export "get") (result i32) (i32.add (global.get $g) (i32.load (i32.const 0))))
          (func (export "bump") (global.set $g (i32.add (global.get $g) (i32.const 1)))))"#,
    )
    .unwrap();
    let runtime = Runtime::with_config(RuntimeConfig::compiler());
    let compiled = runtime.compile_module(&wasm).unwrap();
    let a = runtime
        .instantiate_module(&compiled, wazero::ModuleConfig::new().with_name("a"))
        .unwrap();
    let b = runtime
        .instantiate_module(&compiled, wazero::ModuleConfig::new().with_name("b"))
        .unwrap();
    a.exported_function("bump").unwrap().call(&[]).unwrap();
    assert_eq!(
        a.exported_function("get").unwrap().call(&[]).unwrap(),
        vec![49]
    );
    assert_eq!(
        b.exported_function("get").unwrap().call(&[]).unwrap(),
        vec![48]
    );
}
