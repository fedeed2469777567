//! The `spectest` module that spec tests import: print functions that do nothing,
//! the globals `global_i32` / `global_i64` (666) and `global_f32` / `global_f64`
//! (666.6), a `table` of 10 to 20 funcrefs and a `memory` of 1 to 2 pages.
//!
//! The facade builds host modules out of functions only, so the print functions
//! live in a host module under an internal name, and a small WebAssembly module
//! named `spectest` imports and re-exports them next to its own table, memory and
//! globals.

use wazero::ValueType::{F32, F64, I32, I64};
use wazero::{ModuleConfig, Runtime, ValueType};

/// The name spec tests import from.
pub const NAME: &str = "spectest";

/// The internal name of the host module with the print functions.
const HOST_NAME: &str = "xtask:spectest-host";

/// The print functions and their parameters; none returns anything.
const PRINTS: &[(&str, &[ValueType])] = &[
    ("print", &[]),
    ("print_i32", &[I32]),
    ("print_i64", &[I64]),
    ("print_f32", &[F32]),
    ("print_f64", &[F64]),
    ("print_i32_f32", &[I32, F32]),
    ("print_f64_f64", &[F64, F64]),
];

/// Instantiates the `spectest` module in `runtime`'s default namespace.
pub fn install(runtime: &Runtime) -> Result<(), String> {
    let mut host = runtime.new_host_module_builder(HOST_NAME);
    for (name, params) in PRINTS {
        host = host
            .new_function_builder()
            .with_stack_func(params, &[], |_| {})
            .export(name);
    }
    host.instantiate()
        .map_err(|e| format!("instantiating the host functions: {e}"))?;

    let wasm =
        wat_to_wasm(&module_text()).map_err(|e| format!("encoding the spectest module: {e}"))?;
    let compiled = runtime
        .compile_module(&wasm)
        .map_err(|e| format!("compiling the spectest module: {e}"))?;
    runtime
        .instantiate_module(
            &compiled,
            ModuleConfig::new()
                .with_name(NAME)
                .with_start_functions(&[]),
        )
        .map_err(|e| format!("instantiating the spectest module: {e}"))?;
    Ok(())
}

/// The text of the `spectest` module.
fn module_text() -> String {
    let mut text = String::from("(module\n");
    for (name, params) in PRINTS {
        let params: Vec<&str> = params.iter().map(|t| t.name()).collect();
        text.push_str(&format!(
            "  (func (export \"{name}\") (import \"{HOST_NAME}\" \"{name}\") (param {}))\n",
            params.join(" ")
        ));
    }
    text.push_str(
        r#"  (global (export "global_i32") i32 (i32.const 666))
  (global (export "global_i64") i64 (i64.const 666))
  (global (export "global_f32") f32 (f32.const 666.6))
  (global (export "global_f64") f64 (f64.const 666.6))
  (table (export "table") 10 20 funcref)
  (memory (export "memory") 1 2))
"#,
    );
    text
}

/// Encodes a module in the text format.
pub fn wat_to_wasm(text: &str) -> Result<Vec<u8>, String> {
    let buffer = wast::parser::ParseBuffer::new(text).map_err(|e| e.to_string())?;
    let mut wat: wast::Wat<'_> = wast::parser::parse(&buffer).map_err(|e| e.to_string())?;
    wat.encode().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn module_text_encodes() {
        let wasm = super::wat_to_wasm(&super::module_text()).expect("the spectest module encodes");
        assert!(wasm.starts_with(b"\0asm"));
    }
}
