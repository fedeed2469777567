//! The interpreter's threaded dispatch ends every handler in a call of the next
//! handler, which must compile to a jump. If one did not, every instruction would
//! take native stack, and a long-running loop would overflow it (killing this test
//! process). This runs tens of millions of instructions of every hot kind, calls,
//! host calls, indirect calls, br_table, returns, stack-pointer moves and
//! branches on loaded values included, on a thread with a small native stack.

use wazero::{Runtime, RuntimeConfig};

const KERNEL: &str = r#"(module
    (import "env" "host_mix" (func $host_mix (param i64 i32) (result i64)))
    (memory 1)
    (type $mix_type (func (param i64 i32) (result i64)))
    (table 1 funcref)
    (elem (i32.const 0) $mix)
    (global $sp (mut i32) (i32.const 4096))
    (func $mix (param i64 i32) (result i64)
        (i64.add (local.get 0) (i64.extend_i32_u (local.get 1))))
    (func (export "run") (param $n i32) (result i64)
        (local $i i32) (local $acc i64) (local $v v128) (local $f f64)
        (loop $l
            (i32.store offset=8 (i32.and (local.get $i) (i32.const 1020)) (local.get $i))
            (local.set $acc (i64.xor (local.get $acc)
                (i64.load32_u offset=8 (i32.and (local.get $i) (i32.const 1020)))))
            (local.set $acc (call $mix (local.get $acc) (i32.rotl (local.get $i) (i32.const 3))))
            (local.set $acc (call $host_mix (local.get $acc) (local.get $i)))
            (local.set $acc (call_indirect (type $mix_type)
                (local.get $acc) (local.get $i) (i32.const 0)))
            (block $odd (block $even
                (br_table $even $odd (i32.and (local.get $i) (i32.const 1))))
                (local.set $acc (i64.add (local.get $acc) (i64.const 3))))
            ;; C's stack pointer moved, and a branch on a loaded value.
            (global.set $sp (i32.sub (global.get $sp) (i32.const 16)))
            (if (i32.load offset=8 (i32.and (local.get $i) (i32.const 1020)))
                (then (local.set $acc (i64.add (local.get $acc) (i64.const 1)))))
            (global.set $sp (i32.add (global.get $sp) (i32.const 16)))
            (local.set $f (f64.add (local.get $f) (f64.convert_i32_u (local.get $i))))
            (local.set $v (i32x4.add (local.get $v) (i32x4.splat (local.get $i))))
            (local.set $acc (select (local.get $acc) (i64.const 1)
                (i32.ne (i32.rem_u (local.get $i) (i32.const 7)) (i32.const 0))))
            (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
        (i64.add (local.get $acc)
            (i64.add (i64.trunc_f64_u (local.get $f))
                (i64.extend_i32_u (i32x4.extract_lane 0 (local.get $v)))))))"#;

#[test]
fn long_loops_run_in_constant_native_stack() {
    let wasm = wat::parse_str(KERNEL).unwrap();
    let result = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            let runtime = Runtime::with_config(RuntimeConfig::interpreter());
            runtime
                .new_host_module_builder("env")
                .new_function_builder()
                .with_func(|acc: i64, i: i32| acc.rotate_left(1) ^ i64::from(i))
                .export("host_mix")
                .instantiate()
                .unwrap();
            let module = runtime.instantiate(&wasm).unwrap();
            let run = module.exported_function("run").unwrap();
            run.typed::<u32, u64>().unwrap().call(1_000_000).unwrap()
        })
        .unwrap()
        .join()
        .unwrap();
    assert_ne!(result, 0);
}

/// Accesses to a 64-bit memory 0 open and close a window of it in threaded
/// code: a long loop of them must not take native stack either.
#[test]
fn memory64_accesses_run_in_constant_native_stack() {
    let wasm = wat::parse_str(
        r#"(module
            (memory i64 1)
            (func (export "run") (param $n i64) (result i64)
                (local $i i64) (local $acc i64)
                (loop $l
                    (i64.store offset=16 (i64.and (local.get $i) (i64.const 4088)) (local.get $i))
                    (local.set $acc (i64.add (local.get $acc)
                        (i64.load offset=16 (i64.and (local.get $i) (i64.const 4088)))))
                    (br_if $l (i64.lt_u (local.tee $i (i64.add (local.get $i) (i64.const 1)))
                        (local.get $n))))
                (local.get $acc)))"#,
    )
    .unwrap();
    let result = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            let runtime = Runtime::with_config(RuntimeConfig::interpreter());
            let module = runtime.instantiate(&wasm).unwrap();
            let run = module.exported_function("run").unwrap();
            run.typed::<u64, u64>().unwrap().call(1_000_000).unwrap()
        })
        .unwrap()
        .join()
        .unwrap();
    // Each iteration reads back the value it stored: the sum of 0..n.
    assert_eq!(result, 999_999 * 1_000_000 / 2);
}
