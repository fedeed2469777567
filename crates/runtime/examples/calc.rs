//! The smallest tour of the API: compile, instantiate under a name, call exports,
//! see a trap as an error, use memory and a global, close.
//!
//! Run it with `cargo run --release --example calc`.

use wazero::{ModuleConfig, Runtime, RuntimeConfig};

/// Runs the example; the integration tests call it too.
pub fn main() -> Result<(), Box<dyn std::error::Error>> {
    let wasm = wat::parse_str(
        r#"(module
    (memory (export "memory") 1)
    (global (export "counter") (mut i32) (i32.const 7))
    (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
    (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1))))"#,
    )?;
    let runtime = Runtime::with_config(RuntimeConfig::interpreter());
    let compiled = runtime.compile_module(&wasm)?;
    let module = runtime.instantiate_module(&compiled, ModuleConfig::new().with_name("calc"))?;
    let add = module.exported_function("add").expect("add is exported");
    let sum = add.call(&[40, 2])?;
    assert_eq!(sum, vec![42]);
    println!("add(40, 2) = {}", sum[0]);
    let mut stack = [u64::from(7u32), 5];
    add.call_with_stack(&mut stack)?; // results written from index 0
    assert_eq!(stack[0], 12);
    let err = module
        .exported_function("div")
        .unwrap()
        .call(&[1, 0])
        .unwrap_err();
    assert!(err.to_string().contains("integer divide by zero"));
    println!("div(1, 0) -> {err}");
    let memory = module.memory().expect("memory 0");
    memory.write(100, b"hello")?;
    assert_eq!(memory.read(100, 5)?, b"hello");
    assert_eq!(memory.grow(1), Some(1));
    println!("memory: {} pages after growing by one", memory.size_pages());
    assert_eq!(module.exported_global("counter").unwrap().get(), 7);
    module.close()?;
    println!("closed: {}", module.is_closed());
    Ok(())
}
