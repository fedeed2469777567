//! Calls allocate nothing once warmed up: host -> wasm through
//! `call_with_stack`, wasm -> wasm (direct and `call_indirect`) and
//! wasm -> host through typed closures, on every engine. A counting global
//! allocator watches this test's thread.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use wazero::Runtime;

mod engines;

struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: every method forwards to the system allocator unchanged; counting
// touches only const-initialized thread-locals, which never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.with(Cell::get) {
            COUNT.with(|c| c.set(c.get() + 1));
        }
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.with(Cell::get) {
            COUNT.with(|c| c.set(c.get() + 1));
        }
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Allocations made by `f` on this thread.
fn allocations(f: impl FnOnce()) -> u64 {
    COUNT.with(|c| c.set(0));
    COUNTING.with(|c| c.set(true));
    f();
    COUNTING.with(|c| c.set(false));
    COUNT.with(Cell::get)
}

const GUEST: &str = r#"(module
  (import "env" "add" (func $add (param i32 i32) (result i32)))
  (type $un (func (param i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $inc $add)
  (func $inc (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func (export "loop") (param $n i32) (result i32) (local $acc i32)
    (block $done (loop $l
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $acc (call $add (local.get $acc) (i32.const 2)))
      (local.set $acc (call $inc (local.get $acc)))
      (local.set $acc (call_indirect (type $un) (local.get $acc) (i32.const 0)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $l)))
    (local.get $acc)))"#;

#[test]
fn calls_allocate_nothing() {
    // The counter sees this thread's allocations.
    assert_eq!(
        allocations(|| drop(std::hint::black_box(Vec::<u8>::with_capacity(10)))),
        1
    );
    let wasm = wat::parse_str(GUEST).unwrap();
    let mut configs = engines::named();
    if engines::HAS_COMPILER && cfg!(target_arch = "x86_64") {
        // Half of the module compiled for good: `$inc` compiled, the loop
        // interpreted, every call of `$inc` a call between the tiers.
        let half = wazero::engine::TierPolicy::forced().with_whole_at(u32::MAX);
        configs.push((
            "tiered, half compiled",
            wazero::RuntimeConfig::new().with_tier_policy(half),
        ));
    }
    for (engine, config) in configs {
        let runtime = Runtime::with_config(config);
        runtime
            .new_host_module_builder("env")
            .new_function_builder()
            .with_func(|a: i32, b: i32| a.wrapping_add(b))
            .export("add")
            .instantiate()
            .unwrap();
        let module = runtime.instantiate(&wasm).unwrap();
        let f = module.exported_function("loop").unwrap();
        // Warm-up: enough calls into the module for the forced tiered
        // engine to have compiled the whole of it (or, half compiled, to
        // have entered each tier from the other).
        let mut stack = [10u64];
        f.call_with_stack(&mut stack).unwrap();
        assert_eq!(stack[0], 40, "{engine}");
        let mut stack = [1000u64];
        let n = allocations(|| f.call_with_stack(&mut stack).unwrap());
        assert_eq!(stack[0], 4000, "{engine}");
        assert_eq!(
            n, 0,
            "{engine}: a call of 3000 inner calls allocated {n} times"
        );
    }
}
