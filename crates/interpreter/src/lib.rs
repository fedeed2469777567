//! The portable interpreter engine of wazero for Rust.
//!
//! It implements `wazero_store::Engine`: [`Interpreter::compile`](wazero_store::Engine::compile)
//! translates every function of a validated module once into a compact
//! register-style code (operands resolved to frame slots, branch targets
//! precomputed, no validation at run time), and calls run that code in a tight
//! dispatch loop with an explicit frame stack, so deep guest recursion traps
//! instead of overflowing the native stack. Select it through the `wazero` facade
//! with `RuntimeConfig::interpreter()`.
//!
//! ```
//! use wazero_store::Engine;
//! let engine = wazero_interpreter::Interpreter::new();
//! assert_eq!(engine.name(), "interpreter");
//! ```

mod code;
mod exec;
mod float;
mod ops;
mod prescan;
mod simd;
mod threaded;
mod translate;
mod visit;

use std::sync::Arc;

use wazero_store::{CallError, CompiledCode, Engine, FuncAddr, Store};
use wazero_validator::ValidatedModule;

use crate::code::InterpModule;

/// How large a module's translated code is, against its WebAssembly code
/// (what [`translated_size`] measures).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TranslatedSize {
    /// The functions translated so far (all of them, with eager translation).
    pub functions: usize,
    /// Their instructions.
    pub ops: usize,
    /// The bytes their code takes: instructions, initial frame values,
    /// exception handlers and per-function records.
    pub bytes: usize,
    /// The bytes of the same functions' bodies in the WebAssembly binary.
    pub wasm_bytes: usize,
}

/// The size of the code translated so far for `code` (compiled by an
/// [`Interpreter`]), or `None` for another engine's code.
///
/// ```
/// use wazero_store::Engine;
/// let wasm = wat::parse_str(r#"(module (func (export "f") (result i32)
///     (i32.add (i32.const 1) (i32.const 2))))"#).unwrap();
/// let module = wazero_decoder::decode(&wasm, Default::default()).unwrap();
/// let module = std::sync::Arc::new(wazero_validator::validate(module, Default::default()).unwrap());
/// let eager = wazero_interpreter::Interpreter::new().with_eager_translation(true);
/// let size = wazero_interpreter::translated_size(&*eager.compile(&module).unwrap()).unwrap();
/// assert_eq!(size.functions, 1);
/// assert!(size.bytes > size.wasm_bytes);
/// ```
pub fn translated_size(code: &dyn CompiledCode) -> Option<TranslatedSize> {
    Some(wazero_store::code_as::<InterpModule>(code)?.translated_size())
}

/// The interpreter engine. All run-time state lives in the store.
#[derive(Debug, Default, Clone, Copy)]
pub struct Interpreter {
    eager: bool,
}

impl Interpreter {
    /// The interpreter, translating each function on its first call (modules are
    /// still validated completely when compiled).
    pub fn new() -> Self {
        Self { eager: false }
    }

    /// With `eager`, every function is translated when the module is compiled
    /// (on as many threads as the machine has cores, for a module of more than
    /// a few dozen functions), so nothing is left to do on first calls.
    pub fn with_eager_translation(mut self, eager: bool) -> Self {
        self.eager = eager;
        self
    }
}

impl Engine for Interpreter {
    fn name(&self) -> &'static str {
        "interpreter"
    }

    fn compile(&self, module: &Arc<ValidatedModule>) -> Result<Arc<dyn CompiledCode>, String> {
        Ok(Arc::new(InterpModule::new(module, self.eager)?))
    }

    fn call_wasm(
        &self,
        store: &mut Store,
        func: FuncAddr,
        stack: &mut [u64],
    ) -> Result<(), CallError> {
        exec::call(store, func, stack)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compile(wat: &str, eager: bool) -> Result<Arc<dyn CompiledCode>, String> {
        let wasm = wat::parse_str(wat).unwrap();
        let module = wazero_decoder::decode(&wasm, Default::default()).unwrap();
        let module = Arc::new(wazero_validator::validate(module, Default::default()).unwrap());
        Interpreter::new()
            .with_eager_translation(eager)
            .compile(&module)
    }

    /// Eager translation, spread over threads for a module of many
    /// functions, translates every function as one thread does.
    #[test]
    fn eager_translation_on_threads_translates_every_function() {
        let func = "(func (param i32) (result i32)
            (if (result i32) (local.get 0)
                (then (i32.add (local.get 0) (i32.const 1)))
                (else (i32.const 7))))";
        let one = compile(&format!("(module {func})"), true).unwrap();
        let one = translated_size(&*one).unwrap();
        assert_eq!(one.functions, 1);
        let many = compile(&format!("(module {})", func.repeat(1000)), true).unwrap();
        let many = translated_size(&*many).unwrap();
        assert_eq!(many.functions, 1000);
        assert_eq!(many.ops, 1000 * one.ops);
        assert_eq!(many.bytes, 1000 * one.bytes);
    }
}
