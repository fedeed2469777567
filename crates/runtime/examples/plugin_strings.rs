//! A plugin host that exchanges strings with its plugins through their memory,
//! with state of its own for each plugin instance.
//!
//! WebAssembly functions take and return numbers only, so a string crosses as
//! `(pointer, length)` into the guest's memory:
//!
//! - host → guest: the host asks the guest's allocator (`alloc`) for room,
//!   writes the bytes there and passes `(ptr, len)`;
//! - guest → host: the guest returns its own buffer packed in an `i64` as
//!   `(ptr << 32) | len`; the host copies the bytes out and gives the buffer
//!   back (`dealloc`);
//! - inside a call, a host function the guest imports (`env.greeting`) writes
//!   into the guest's memory through `Caller::memory`.
//!
//! Each instance gets its own `Greeter` with `ModuleConfig::with_data`; the host
//! function finds the one of the instance calling it with `Caller::data_mut`,
//! so two instances of one compiled plugin greet in their own language and
//! count their own calls.
//!
//! Run it with `cargo run -p wazero --example plugin_strings`.

use wazero::{Caller, Memory, Module, ModuleConfig, Runtime, TypedFunction};

/// The plugin. `alloc` is a bump allocator; `dealloc` gives back the most
/// recent allocation (so last-in, first-out use reuses memory). `greet(name)`
/// returns a new string "<greeting>, <name>!" where the host supplies the
/// greeting.
const PLUGIN: &str = r#"(module
  (import "env" "greeting" (func $greeting (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (func $alloc (export "alloc") (param $size i32) (result i32)
    (local $ptr i32)
    (local.set $ptr (global.get $heap))
    (global.set $heap (i32.add (local.get $ptr) (local.get $size)))
    (if (i32.gt_u (global.get $heap) (i32.shl (memory.size) (i32.const 16)))
      (then (if (i32.eq (i32.const -1) (memory.grow (i32.const 1))) (then unreachable))))
    (local.get $ptr))
  (func (export "dealloc") (param $ptr i32) (param $size i32)
    (if (i32.eq (global.get $heap) (i32.add (local.get $ptr) (local.get $size)))
      (then (global.set $heap (local.get $ptr)))))
  (func (export "greet") (param $name i32) (param $len i32) (result i64)
    (local $out i32) (local $at i32)
    ;; Room for a greeting of up to 64 bytes, ", ", the name and "!".
    (local.set $out (call $alloc (i32.add (local.get $len) (i32.const 67))))
    ;; The host writes the greeting at $out and says how long it is.
    (local.set $at (i32.add (local.get $out) (call $greeting (local.get $out) (i32.const 64))))
    (i32.store16 (local.get $at) (i32.const 0x202c))  ;; ", "
    (local.set $at (i32.add (local.get $at) (i32.const 2)))
    (memory.copy (local.get $at) (local.get $name) (local.get $len))
    (local.set $at (i32.add (local.get $at) (local.get $len)))
    (i32.store8 (local.get $at) (i32.const 33))  ;; "!"
    (local.set $at (i32.add (local.get $at) (i32.const 1)))
    ;; Shrink the allocation to what was used, so `dealloc(out, len)` frees it.
    (global.set $heap (local.get $at))
    (i64.or (i64.shl (i64.extend_i32_u (local.get $out)) (i64.const 32))
            (i64.extend_i32_u (i32.sub (local.get $at) (local.get $out))))))"#;

/// Per-instance state, attached with `ModuleConfig::with_data`.
struct Greeter {
    greeting: &'static str,
    calls: u32,
}

/// One plugin instance and its exports, looked up once.
struct Plugin {
    module: Module,
    memory: Memory,
    alloc: TypedFunction<u32, u32>,
    dealloc: TypedFunction<(u32, u32), ()>,
    greet: TypedFunction<(u32, u32), u64>,
}

type BoxError = Box<dyn std::error::Error>;

impl Plugin {
    fn new(module: Module) -> Result<Self, BoxError> {
        let func = |name: &str| {
            module
                .exported_function(name)
                .ok_or(format!("the plugin does not export {name}"))
        };
        Ok(Self {
            memory: module.memory().ok_or("the plugin has no memory")?,
            alloc: func("alloc")?.typed()?,
            dealloc: func("dealloc")?.typed()?,
            greet: func("greet")?.typed()?,
            module,
        })
    }

    /// Calls `greet` with `name`: a string in, a string out.
    fn greet(&self, name: &str) -> Result<String, BoxError> {
        // Host -> guest: room from the guest's allocator, then the bytes.
        let len = u32::try_from(name.len())?;
        let name_ptr = self.alloc.call(len)?;
        // A typed error if `alloc` returned memory out of bounds.
        self.memory.write(name_ptr, name.as_bytes())?;
        // Guest -> host: (ptr << 32) | len of a buffer the guest allocated.
        let packed = self.greet.call((name_ptr, len))?;
        let (ptr, size) = ((packed >> 32) as u32, packed as u32);
        let bytes = self.memory.read(ptr, size)?;
        // Give both buffers back, newest first.
        self.dealloc.call((ptr, size))?;
        self.dealloc.call((name_ptr, len))?;
        // A guest is untrusted: its bytes need not be UTF-8.
        Ok(String::from_utf8(bytes)?)
    }
}

/// Runs the example; the integration tests call it too.
pub fn main() -> Result<(), BoxError> {
    let runtime = Runtime::new();
    runtime
        .new_host_module_builder("env")
        .new_function_builder()
        .with_func(|caller: &mut Caller<'_>, ptr: u32, cap: u32| -> u32 {
            // The calling instance's memory and its own Greeter, together.
            let (memory, greeter) = caller.memory_and_data::<Greeter>();
            let (mut memory, greeter) = (
                memory.expect("the plugin has a memory"),
                greeter.expect("every plugin instance has a Greeter"),
            );
            greeter.calls += 1;
            let text = format!("{} #{}", greeter.greeting, greeter.calls);
            let text = &text.as_bytes()[..text.len().min(cap as usize)];
            // Write into the caller's memory, where the guest asked.
            match memory.write(ptr, text) {
                Ok(()) => text.len() as u32,
                Err(_) => 0, // out of bounds: no greeting
            }
        })
        .export("greeting")
        .instantiate()?;

    let compiled = runtime.compile_module(&wat::parse_str(PLUGIN)?)?;
    let instance = |name: &str, greeting| -> Result<Plugin, BoxError> {
        let config = ModuleConfig::new()
            .with_name(name)
            .with_data(Greeter { greeting, calls: 0 });
        Plugin::new(runtime.instantiate_module(&compiled, config)?)
    };
    let english = instance("english", "Hello")?;
    let french = instance("french", "Bonjour")?;

    let mut heard = Vec::new();
    for (plugin, name) in [
        (&english, "wazero"),
        (&french, "le monde"),
        (&english, "Rust"),
        (&english, "ünïcödé"),
    ] {
        let text = plugin.greet(name)?;
        println!("{}: greet({name:?}) = {text:?}", plugin.module.name());
        heard.push(text);
    }
    assert_eq!(
        heard,
        [
            "Hello #1, wazero!",
            "Bonjour #1, le monde!",
            "Hello #2, Rust!",
            "Hello #3, ünïcödé!",
        ]
    );
    // The host reads each instance's state between calls.
    let calls = |p: &Plugin| p.module.data::<Greeter>().map(|g| g.calls);
    assert_eq!((calls(&english), calls(&french)), (Some(3), Some(1)));
    // Every buffer was given back: the next allocation starts where the first did.
    assert_eq!(english.alloc.call(1)?, 1024);
    Ok(())
}
