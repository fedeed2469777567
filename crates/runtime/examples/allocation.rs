//! Passing strings between host and guest through the guest's own allocator
//! (wazero's `allocation` example). The host asks the guest for memory with
//! `malloc`, writes a name there, and calls `greet`, which builds a greeting in
//! guest memory and hands it back to the host's `env.log` as `(ptr, len)`. Then
//! `greeting` returns a new string to the host packed in an `i64` as
//! `(ptr << 32) | len`; the host reads it and gives both buffers back with `free`.
//!
//! Run it with `cargo run --example allocation`.

use wazero::{Caller, Runtime};

/// The guest. Its allocator is a bump pointer that grows memory as needed;
/// `free` only reclaims the most recent allocation (so last-in, first-out use
/// reuses memory) and is otherwise a no-op. No alignment: buffers are bytes.
const GUEST: &str = r#"(module
  (import "env" "log" (func $log (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "wasm >> Hello, ")
  (global $heap (mut i32) (i32.const 1024))
  (func $malloc (export "malloc") (param $size i32) (result i32)
    (local $ptr i32) (local $end i32)
    (local.set $ptr (global.get $heap))
    (local.set $end (i32.add (local.get $ptr) (local.get $size)))
    (if (i32.gt_u (local.get $end) (i32.shl (memory.size) (i32.const 16)))
      (then (if (i32.eq (i32.const -1) (memory.grow (i32.shr_u
                  (i32.sub (i32.add (local.get $end) (i32.const 0xffff)) (i32.shl (memory.size) (i32.const 16)))
                  (i32.const 16))))
        (then unreachable))))
    (global.set $heap (local.get $end))
    (local.get $ptr))
  (func $free (export "free") (param $ptr i32) (param $size i32)
    (if (i32.eq (global.get $heap) (i32.add (local.get $ptr) (local.get $size)))
      (then (global.set $heap (local.get $ptr)))))
  ;; A new buffer holding prefix ++ name ++ "!"; its length is plen + len + 1.
  (func $concat (param $prefix i32) (param $plen i32) (param $name i32) (param $len i32) (result i32)
    (local $out i32) (local $at i32)
    (local.set $out (call $malloc (i32.add (i32.add (local.get $plen) (local.get $len)) (i32.const 1))))
    (memory.copy (local.get $out) (local.get $prefix) (local.get $plen))
    (local.set $at (i32.add (local.get $out) (local.get $plen)))
    (memory.copy (local.get $at) (local.get $name) (local.get $len))
    (i32.store8 (i32.add (local.get $at) (local.get $len)) (i32.const 33))
    (local.get $out))
  (func (export "greet") (param $name i32) (param $len i32)
    (local $msg i32) (local $n i32)
    (local.set $n (i32.add (local.get $len) (i32.const 16)))
    (local.set $msg (call $concat (i32.const 16) (i32.const 15) (local.get $name) (local.get $len)))
    (call $log (local.get $msg) (local.get $n))
    (call $free (local.get $msg) (local.get $n)))
  (func (export "greeting") (param $name i32) (param $len i32) (result i64)
    (i64.or
      (i64.shl (i64.extend_i32_u (call $concat (i32.const 24) (i32.const 7) (local.get $name) (local.get $len)))
               (i64.const 32))
      (i64.extend_i32_u (i32.add (local.get $len) (i32.const 8))))))"#;

/// Runs the example; the integration tests call it too.
pub fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runtime = Runtime::new();
    runtime
        .new_host_module_builder("env")
        .new_function_builder()
        .with_func(|caller: &mut Caller<'_>, ptr: u32, len: u32| {
            let memory = caller.memory().expect("the guest has a memory");
            let bytes = memory.read(ptr, len).expect("log: out of bounds");
            println!("{}", String::from_utf8_lossy(bytes));
        })
        .export("log")
        .instantiate()?;
    let module = runtime.instantiate(&wat::parse_str(GUEST)?)?;
    let memory = module.memory().expect("the guest exports memory");
    let func = |name: &str| module.exported_function(name).ok_or(name.to_string());
    let malloc = func("malloc")?.typed::<u32, u32>()?;
    let free = func("free")?.typed::<(u32, u32), ()>()?;
    let greet = func("greet")?.typed::<(u32, u32), ()>()?;
    let greeting = func("greeting")?.typed::<(u32, u32), u64>()?;

    // Host -> guest: allocate in the guest and copy the name in.
    let name = "wazero";
    let len = name.len() as u32;
    let name_ptr = malloc.call(len)?;
    memory.write(name_ptr, name.as_bytes())?;
    println!("host: wrote {name:?} at {name_ptr}");
    greet.call((name_ptr, len))?;

    // Guest -> host: a string the guest allocated, as (ptr << 32) | len.
    let packed = greeting.call((name_ptr, len))?;
    let (ptr, size) = ((packed >> 32) as u32, packed as u32);
    let bytes = memory.read(ptr, size)?;
    let text = String::from_utf8(bytes)?;
    println!("host: greeting({name:?}) returned {text:?} ({size} bytes at {ptr})");

    // Give the buffers back, newest first, so the bump allocator reuses them.
    free.call((ptr, size))?;
    free.call((name_ptr, len))?;
    let again = malloc.call(1)?;
    println!("host: freed both; the next malloc returns {again} again");

    assert_eq!(text, "Hello, wazero!");
    assert_eq!(again, name_ptr);
    // A buffer larger than the memory makes the guest grow it.
    let big = malloc.call(200_000)?;
    memory.write(big + 199_999, b"x")?;
    println!(
        "host: malloc(200000) = {big}; memory is {} pages",
        memory.size_pages()
    );
    Ok(())
}
