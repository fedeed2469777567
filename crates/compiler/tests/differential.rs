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
fn unimplemented_proposals_are_refused_before_compilation() {
    // The proposal not implemented yet (GC) is refused by the decoder,
    // with the proposal named, so a module using it never reaches the
    // compiler.
    let cases = [
        ("(module (type (struct)))", "GC types"),
        ("(module (func (param anyref)))", "GC types"),
    ];
    for (wat, proposal) in cases {
        let wasm = wat::parse_str(wat).unwrap();
        let runtime = Runtime::with_config(RuntimeConfig::compiler());
        let err = runtime.compile_module(&wasm).expect_err(wat);
        assert!(
            matches!(err, wazero::Error::Decode(_) | wazero::Error::Validation(_)),
            "{wat}: {err}"
        );
        assert!(err.to_string().contains(proposal), "{wat}: {err}");
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

/// A `v128` as its two slots (low half first) from 16 little-endian bytes.
fn v128(bytes: [u8; 16]) -> [u64; 2] {
    let v = u128::from_le_bytes(bytes);
    [v as u64, (v >> 64) as u64]
}
fn i8x16(l: [i8; 16]) -> [u64; 2] {
    v128(l.map(|x| x as u8))
}
fn i16x8(l: [i16; 8]) -> [u64; 2] {
    let mut b = [0u8; 16];
    for (i, x) in l.iter().enumerate() {
        b[2 * i..2 * i + 2].copy_from_slice(&x.to_le_bytes());
    }
    v128(b)
}
fn i32x4(l: [i32; 4]) -> [u64; 2] {
    let mut b = [0u8; 16];
    for (i, x) in l.iter().enumerate() {
        b[4 * i..4 * i + 4].copy_from_slice(&x.to_le_bytes());
    }
    v128(b)
}
fn f32x4(l: [f32; 4]) -> [u64; 2] {
    i32x4(l.map(|x| x.to_bits() as i32))
}
fn i64x2(l: [i64; 2]) -> [u64; 2] {
    [l[0] as u64, l[1] as u64]
}
fn f64x2(l: [f64; 2]) -> [u64; 2] {
    [l[0].to_bits(), l[1].to_bits()]
}

/// The slots of `parts` (vectors and scalars) one after the other.
fn args(parts: &[&[u64]]) -> Vec<u64> {
    parts.concat()
}

#[test]
fn simd_edge_cases() {
    let wat = r#"(module
      (memory 1 1)
      (data (i32.const 65520) "\00\01\02\03\04\05\06\07\08\09\0a\0b\0c\0d\0e\0f")
      (func (export "swizzle") (param v128 v128) (result v128)
        (i8x16.swizzle (local.get 0) (local.get 1)))
      (func (export "shuffle") (param v128 v128) (result v128)
        (i8x16.shuffle 31 0 16 15 1 17 30 14 2 18 29 13 3 19 28 12 (local.get 0) (local.get 1)))
      (func (export "i8x16.shl") (param v128 i32) (result v128) (i8x16.shl (local.get 0) (local.get 1)))
      (func (export "i8x16.shr_s") (param v128 i32) (result v128) (i8x16.shr_s (local.get 0) (local.get 1)))
      (func (export "i8x16.shr_u") (param v128 i32) (result v128) (i8x16.shr_u (local.get 0) (local.get 1)))
      (func (export "i16x8.shr_s") (param v128 i32) (result v128) (i16x8.shr_s (local.get 0) (local.get 1)))
      (func (export "i32x4.shl") (param v128 i32) (result v128) (i32x4.shl (local.get 0) (local.get 1)))
      (func (export "i64x2.shr_s") (param v128 i32) (result v128) (i64x2.shr_s (local.get 0) (local.get 1)))
      (func (export "i64x2.shr_u") (param v128 i32) (result v128) (i64x2.shr_u (local.get 0) (local.get 1)))
      (func (export "i64x2.shr_s_by_65") (param v128) (result v128) (i64x2.shr_s (local.get 0) (i32.const 65)))
      (func (export "narrow8_s") (param v128 v128) (result v128) (i8x16.narrow_i16x8_s (local.get 0) (local.get 1)))
      (func (export "narrow8_u") (param v128 v128) (result v128) (i8x16.narrow_i16x8_u (local.get 0) (local.get 1)))
      (func (export "narrow16_u") (param v128 v128) (result v128) (i16x8.narrow_i32x4_u (local.get 0) (local.get 1)))
      (func (export "trunc_sat_s") (param v128) (result v128) (i32x4.trunc_sat_f32x4_s (local.get 0)))
      (func (export "trunc_sat_u") (param v128) (result v128) (i32x4.trunc_sat_f32x4_u (local.get 0)))
      (func (export "trunc_sat_s_zero") (param v128) (result v128) (i32x4.trunc_sat_f64x2_s_zero (local.get 0)))
      (func (export "trunc_sat_u_zero") (param v128) (result v128) (i32x4.trunc_sat_f64x2_u_zero (local.get 0)))
      (func (export "convert_u") (param v128) (result v128) (f32x4.convert_i32x4_u (local.get 0)))
      (func (export "convert_low_u") (param v128) (result v128) (f64x2.convert_low_i32x4_u (local.get 0)))
      (func (export "demote") (param v128) (result v128) (f32x4.demote_f64x2_zero (local.get 0)))
      (func (export "promote") (param v128) (result v128) (f64x2.promote_low_f32x4 (local.get 0)))
      ;; min and max return a NaN of either sign for a NaN operand (both engines
      ;; are right, and differ): NaN lanes become the positive canonical NaN.
      (func $nan32 (param v128) (result v128)
        (v128.bitselect (v128.const i32x4 0x7fc00000 0x7fc00000 0x7fc00000 0x7fc00000)
          (local.get 0) (f32x4.ne (local.get 0) (local.get 0))))
      (func $nan64 (param v128) (result v128)
        (v128.bitselect (v128.const i64x2 0x7ff8000000000000 0x7ff8000000000000)
          (local.get 0) (f64x2.ne (local.get 0) (local.get 0))))
      (func (export "f32x4.min") (param v128 v128) (result v128)
        (call $nan32 (f32x4.min (local.get 0) (local.get 1))))
      (func (export "f32x4.max") (param v128 v128) (result v128)
        (call $nan32 (f32x4.max (local.get 0) (local.get 1))))
      (func (export "f32x4.pmin") (param v128 v128) (result v128) (f32x4.pmin (local.get 0) (local.get 1)))
      (func (export "f32x4.pmax") (param v128 v128) (result v128) (f32x4.pmax (local.get 0) (local.get 1)))
      (func (export "f64x2.min") (param v128 v128) (result v128)
        (call $nan64 (f64x2.min (local.get 0) (local.get 1))))
      (func (export "f64x2.max") (param v128 v128) (result v128)
        (call $nan64 (f64x2.max (local.get 0) (local.get 1))))
      (func (export "f64x2.pmin") (param v128 v128) (result v128) (f64x2.pmin (local.get 0) (local.get 1)))
      (func (export "f64x2.pmax") (param v128 v128) (result v128) (f64x2.pmax (local.get 0) (local.get 1)))
      (func (export "f32x4.nearest") (param v128) (result v128) (f32x4.nearest (local.get 0)))
      (func (export "q15mulr") (param v128 v128) (result v128) (i16x8.q15mulr_sat_s (local.get 0) (local.get 1)))
      (func (export "dot") (param v128 v128) (result v128) (i32x4.dot_i16x8_s (local.get 0) (local.get 1)))
      (func (export "extmul_high_u") (param v128 v128) (result v128) (i64x2.extmul_high_i32x4_u (local.get 0) (local.get 1)))
      (func (export "extadd_s") (param v128) (result v128) (i16x8.extadd_pairwise_i8x16_s (local.get 0)))
      (func (export "extadd_u") (param v128) (result v128) (i32x4.extadd_pairwise_i16x8_u (local.get 0)))
      (func (export "avgr_u") (param v128 v128) (result v128) (i8x16.avgr_u (local.get 0) (local.get 1)))
      (func (export "abs64") (param v128) (result v128) (i64x2.abs (local.get 0)))
      (func (export "popcnt") (param v128) (result v128) (i8x16.popcnt (local.get 0)))
      (func (export "i64x2.mul") (param v128 v128) (result v128) (i64x2.mul (local.get 0) (local.get 1)))
      (func (export "i64x2.lt_s") (param v128 v128) (result v128) (i64x2.lt_s (local.get 0) (local.get 1)))
      (func (export "i32x4.gt_u") (param v128 v128) (result v128) (i32x4.gt_u (local.get 0) (local.get 1)))
      (func (export "bitselect") (param v128 v128 v128) (result v128)
        (v128.bitselect (local.get 0) (local.get 1) (local.get 2)))
      (func (export "bitmask8") (param v128) (result i32) (i8x16.bitmask (local.get 0)))
      (func (export "bitmask16") (param v128) (result i32) (i16x8.bitmask (local.get 0)))
      (func (export "bitmask32") (param v128) (result i32) (i32x4.bitmask (local.get 0)))
      (func (export "bitmask64") (param v128) (result i32) (i64x2.bitmask (local.get 0)))
      (func (export "all_true16") (param v128) (result i32) (i16x8.all_true (local.get 0)))
      (func (export "any_true") (param v128) (result i32) (v128.any_true (local.get 0)))
      (func (export "extract_s") (param v128) (result i32) (i8x16.extract_lane_s 15 (local.get 0)))
      (func (export "extract_u16") (param v128) (result i32) (i16x8.extract_lane_u 7 (local.get 0)))
      (func (export "replace8") (param v128 i32) (result v128) (i8x16.replace_lane 3 (local.get 0) (local.get 1)))
      (func (export "splat8") (param i32) (result v128) (i8x16.splat (local.get 0)))
      (func (export "load") (param i32) (result v128) (v128.load (local.get 0)))
      (func (export "load_off") (param i32) (result v128) (v128.load offset=16 align=1 (local.get 0)))
      (func (export "load8x8_s") (param i32) (result v128) (v128.load8x8_s (local.get 0)))
      (func (export "load32x2_u") (param i32) (result v128) (v128.load32x2_u (local.get 0)))
      (func (export "load16_splat") (param i32) (result v128) (v128.load16_splat (local.get 0)))
      (func (export "load64_zero") (param i32) (result v128) (v128.load64_zero (local.get 0)))
      (func (export "load8_lane") (param i32 v128) (result v128) (v128.load8_lane 9 (local.get 0) (local.get 1)))
      (func (export "load64_lane") (param i32 v128) (result v128) (v128.load64_lane 1 (local.get 0) (local.get 1)))
      (func (export "store32_lane") (param i32 v128) (result i64)
        (v128.store32_lane 2 (local.get 0) (local.get 1))
        (i64.load (i32.const 65528)))
      (func (export "store16_lane") (param i32 v128) (result i32)
        (v128.store16_lane offset=1 7 (local.get 0) (local.get 1))
        (i32.load16_u (i32.const 65534)))
      (func (export "store") (param i32 v128) (v128.store (local.get 0) (local.get 1)))
      ;; Constant operands, which Cranelift's optimizer sees through.
      (func (export "constants") (result v128)
        (i32x4.add
          (i32x4.trunc_sat_f64x2_u_zero (v128.const f64x2 -1 5e9))
          (i32x4.add
            (i32x4.trunc_sat_f64x2_s_zero (v128.const f64x2 -3e9 nan))
            (i32x4.add
              (i32x4.extadd_pairwise_i16x8_u (v128.const i16x8 -1 -1 1 2 3 4 5 6))
              (i32x4.shl (v128.const i32x4 1 2 3 4) (i32.const 35))))))
      (func (export "through_locals_and_blocks") (param v128 i32) (result v128 i64) (local v128)
        (local.set 2 (i32x4.add (local.get 0) (local.get 0)))
        (block (result v128)
          (br_if 0 (local.get 2) (local.get 1))
          (drop)
          (f64x2.splat (f64.const 1.5)))
        (i64x2.extract_lane 1 (local.get 2)))
    )"#;
    let nan = f32::NAN;
    let inf = f32::INFINITY;
    let iota = v128(core::array::from_fn(|i| i as u8 + 0x10));
    let other = v128(core::array::from_fn(|i| 0xa0 + i as u8));
    let mixed = i8x16([
        -128, -1, 0, 1, 127, -2, 64, -64, 3, -3, 100, -100, 7, 8, 9, 10,
    ]);
    let wide16 = i16x8([-32768, -129, -128, 127, 128, 255, 256, 32767]);
    let wide32 = i32x4([-1, 65535, 65536, i32::MIN]);
    let floats = f32x4([nan, inf, -1.5, 4.5e9]);
    let floats2 = f32x4([-inf, 2147483520.0, 2147483648.0, -2147483904.0]);
    let zeros = f32x4([-0.0, 0.0, -0.0, 0.0]);
    let zeros_swapped = f32x4([0.0, -0.0, -0.0, 0.0]);
    let nan_mix = f32x4([nan, 1.0, -nan, 2.0]);
    let nan_mix2 = f32x4([1.0, nan, 3.0, -nan]);
    let ordered = f32x4([1.0, 5.0, -2.0, inf]);
    let ordered2 = f32x4([2.0, 3.0, -2.5, -inf]);
    let d_zeros = f64x2([-0.0, 0.0]);
    let d_zeros_swapped = f64x2([0.0, -0.0]);
    let d_nan = f64x2([f64::NAN, 1.0]);
    let d_nan2 = f64x2([2.0, f64::NAN]);
    let d_big = f64x2([f64::NAN, 1e10]);
    let d_neg = f64x2([-1e10, -0.9]);
    let d_edge = f64x2([2147483647.9, 4294967295.5]);
    let q15 = i16x8([-32768, -32768, 32767, -32768, 16384, -16384, 1, 0]);
    let q15b = i16x8([-32768, 32767, 32767, 1, 16384, 16384, -1, 5]);
    let mins16 = i16x8([-32768, -32768, 32767, 32767, -1, 2, 3, 4]);
    let u32s = i32x4([-1, i32::MIN, 0, 1]);
    let i64s = i64x2([i64::MIN, -5]);
    let i64t = i64x2([3, i64::MIN]);
    let signs = i8x16([-1, 0, -128, 127, 0, 0, 0, -1, -2, 5, 0, 0, 0, 0, 0, -7]);
    let no_zero16 = i16x8([1, -1, 2, 3, 4, 5, 6, 7]);
    let one_zero16 = i16x8([1, -1, 2, 3, 0, 5, 6, 7]);
    let rounding = f32x4([2.5, -3.5, 0.5, -0.49999997]);
    let idx = i8x16([
        0, 15, 16, 17, 31, 127, -128, -1, 5, 1, 32, 64, 3, 14, 100, 2,
    ]);

    let calls: Vec<(&str, Vec<u64>)> = vec![
        ("swizzle", args(&[&iota, &idx])),
        ("shuffle", args(&[&iota, &other])),
        ("i8x16.shl", args(&[&mixed, &[9]])),
        ("i8x16.shl", args(&[&mixed, &[8]])),
        ("i8x16.shr_s", args(&[&mixed, &[15]])),
        ("i8x16.shr_u", args(&[&mixed, &[0xffff_ffff]])),
        ("i16x8.shr_s", args(&[&wide16, &[17]])),
        ("i32x4.shl", args(&[&wide32, &[32]])),
        ("i32x4.shl", args(&[&wide32, &[33]])),
        ("i64x2.shr_s", args(&[&i64s, &[64]])),
        ("i64x2.shr_s", args(&[&i64s, &[127]])),
        ("i64x2.shr_u", args(&[&i64s, &[65]])),
        ("i64x2.shr_s_by_65", args(&[&i64s])),
        (
            "narrow8_s",
            args(&[&wide16, &i16x8([0, 1, -1, 200, -200, 32767, -32768, 5])]),
        ),
        (
            "narrow8_u",
            args(&[&wide16, &i16x8([0, 1, -1, 200, -200, 32767, -32768, 5])]),
        ),
        (
            "narrow16_u",
            args(&[&wide32, &i32x4([-65536, 65535, 70000, 12345])]),
        ),
        ("trunc_sat_s", args(&[&floats])),
        ("trunc_sat_s", args(&[&floats2])),
        ("trunc_sat_u", args(&[&floats])),
        ("trunc_sat_u", args(&[&floats2])),
        ("trunc_sat_s_zero", args(&[&d_big])),
        ("trunc_sat_s_zero", args(&[&d_neg])),
        ("trunc_sat_s_zero", args(&[&d_edge])),
        ("trunc_sat_u_zero", args(&[&d_big])),
        ("trunc_sat_u_zero", args(&[&d_neg])),
        ("trunc_sat_u_zero", args(&[&d_edge])),
        ("convert_u", args(&[&u32s])),
        ("convert_low_u", args(&[&u32s])),
        ("demote", args(&[&f64x2([1e300, -1.0000000001])])),
        ("promote", args(&[&f32x4([-1.5, 3.4e38, 7.0, 8.0])])),
        ("f32x4.min", args(&[&zeros, &zeros_swapped])),
        ("f32x4.max", args(&[&zeros, &zeros_swapped])),
        ("f32x4.min", args(&[&nan_mix, &nan_mix2])),
        ("f32x4.max", args(&[&nan_mix2, &nan_mix])),
        ("f64x2.min", args(&[&d_nan, &d_nan2])),
        ("f64x2.max", args(&[&d_nan2, &d_nan])),
        ("f32x4.pmin", args(&[&zeros, &zeros_swapped])),
        ("f32x4.pmax", args(&[&zeros, &zeros_swapped])),
        ("f32x4.pmin", args(&[&nan_mix, &nan_mix2])),
        ("f32x4.pmax", args(&[&nan_mix, &nan_mix2])),
        ("f32x4.pmin", args(&[&nan_mix2, &nan_mix])),
        ("f32x4.pmin", args(&[&ordered, &ordered2])),
        ("f32x4.pmax", args(&[&ordered, &ordered2])),
        (
            "f64x2.pmin",
            args(&[&f64x2([1.0, -3.0]), &f64x2([2.0, -4.0])]),
        ),
        (
            "f64x2.pmax",
            args(&[&f64x2([1.0, -3.0]), &f64x2([2.0, -4.0])]),
        ),
        ("f64x2.min", args(&[&d_zeros, &d_zeros_swapped])),
        ("f64x2.max", args(&[&d_zeros, &d_zeros_swapped])),
        ("f64x2.pmin", args(&[&d_zeros, &d_zeros_swapped])),
        ("f64x2.pmax", args(&[&d_zeros, &d_zeros_swapped])),
        ("f64x2.pmin", args(&[&d_nan, &d_nan2])),
        ("f64x2.pmax", args(&[&d_nan, &d_nan2])),
        ("f32x4.nearest", args(&[&rounding])),
        ("q15mulr", args(&[&q15, &q15b])),
        ("dot", args(&[&mins16, &mins16])),
        ("extmul_high_u", args(&[&u32s, &u32s])),
        ("extadd_s", args(&[&mixed])),
        ("extadd_u", args(&[&wide16])),
        ("avgr_u", args(&[&mixed, &signs])),
        ("abs64", args(&[&i64s])),
        ("popcnt", args(&[&mixed])),
        ("i64x2.mul", args(&[&i64s, &i64t])),
        ("i64x2.lt_s", args(&[&i64s, &i64t])),
        ("i32x4.gt_u", args(&[&u32s, &i32x4([0, 0, 0, 0])])),
        ("bitselect", args(&[&iota, &other, &mixed])),
        ("bitmask8", args(&[&signs])),
        ("bitmask16", args(&[&wide16])),
        ("bitmask32", args(&[&u32s])),
        ("bitmask64", args(&[&i64t])),
        ("all_true16", args(&[&no_zero16])),
        ("all_true16", args(&[&one_zero16])),
        ("any_true", args(&[&[0, 0]])),
        ("any_true", args(&[&[0, 1 << 63]])),
        ("extract_s", args(&[&signs])),
        ("extract_u16", args(&[&wide16])),
        ("replace8", args(&[&iota, &[0x1ff]])),
        ("splat8", args(&[&[0x180]])),
        ("load", args(&[&[65520]])),
        ("load", args(&[&[65521]])),
        ("load", args(&[&[u64::from(u32::MAX)]])),
        ("load_off", args(&[&[65504]])),
        ("load_off", args(&[&[65505]])),
        ("load8x8_s", args(&[&[65528]])),
        ("load8x8_s", args(&[&[65529]])),
        ("load32x2_u", args(&[&[65524]])),
        ("load16_splat", args(&[&[65534]])),
        ("load16_splat", args(&[&[65535]])),
        ("load64_zero", args(&[&[65528]])),
        ("load64_zero", args(&[&[65529]])),
        ("load8_lane", args(&[&[65535], &iota])),
        ("load8_lane", args(&[&[65536], &iota])),
        ("load64_lane", args(&[&[65528], &iota])),
        ("load64_lane", args(&[&[65529], &iota])),
        ("store32_lane", args(&[&[65532], &other])),
        ("store32_lane", args(&[&[65533], &iota])),
        ("store32_lane", args(&[&[65528], &iota])),
        ("store16_lane", args(&[&[65533], &iota])),
        ("store16_lane", args(&[&[65534], &other])),
        ("store", args(&[&[65505], &other])),
        ("store", args(&[&[65504], &other])),
        ("load", args(&[&[65504]])),
        ("constants", vec![]),
        ("through_locals_and_blocks", args(&[&iota, &[1]])),
        ("through_locals_and_blocks", args(&[&iota, &[0]])),
    ];
    let calls: Vec<(&str, &[u64])> = calls.iter().map(|(n, a)| (*n, a.as_slice())).collect();
    compare(wat, &calls);
}
