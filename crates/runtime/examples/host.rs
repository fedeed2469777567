//! Host functions in their two typed shapes: a plain closure over numbers
//! (`env.add`), and one that takes a leading `&mut Caller` to read the calling
//! module's memory (`env.strlen`). The guest imports both and exports `run`.
//!
//! Run it with `cargo run --example host`.

use wazero::{Caller, ModuleConfig, Runtime};

/// Runs the example; the integration tests call it too.
pub fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runtime = Runtime::new();
    runtime
        .new_host_module_builder("env")
        .new_function_builder()
        .with_func(|a: i32, b: i32| a + b)
        .export("add")
        .new_function_builder()
        .with_func(|caller: &mut Caller<'_>, ptr: u32, len: u32| -> u32 {
            let text = caller.memory().unwrap().read(ptr, len).unwrap().to_vec();
            println!(
                "host: strlen({ptr}, {len}) reads {:?}",
                String::from_utf8_lossy(&text)
            );
            String::from_utf8(text).unwrap().len() as u32
        })
        .export("strlen")
        .instantiate()?;
    println!("host module \"env\" exports add and strlen");

    // "héllo" is 5 characters but 6 bytes of UTF-8: lengths are in bytes.
    let wasm = wat::parse_str(
        r#"(module
    (import "env" "add" (func $add (param i32 i32) (result i32)))
    (import "env" "strlen" (func $strlen (param i32 i32) (result i32)))
    (memory (export "memory") 1) (data (i32.const 8) "héllo")
    (func (export "run") (param i32) (result i32)
      (i32.add (call $add (local.get 0) (i32.const 1)) (call $strlen (i32.const 8) (i32.const 6)))))"#,
    )?;
    let module =
        runtime.instantiate_module(&runtime.compile_module(&wasm)?, ModuleConfig::new())?;
    let result = module.exported_function("run").unwrap().call(&[41])?;
    println!("run(41) = add(41, 1) + strlen(\"héllo\") = {}", result[0]);
    assert_eq!(result, vec![48]);
    Ok(())
}
