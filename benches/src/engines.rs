//! The two engines under test behind one small trait, so that every benchmark
//! runs the same code path on both.
//!
//! Every benchmark program exports `run: (i64) -> i64`, which keeps the calling
//! side identical and cheap: wazero's [`Function::call_with_stack`] with a reused
//! one-slot stack, and wasmi's [`TypedFunc`].
//!
//! [`WazeroEager`] only compiles: it is the interpreter translating every function
//! up front, which the facade does not offer (it translates each function on its
//! first call), for comparison with wasmi's eager mode.

use std::sync::Arc;

use wasmi::{CompilationMode, TypedFunc};
use wazero::{CoreFeatures, Function, ModuleConfig, Runtime, RuntimeConfig};
use wazero_store::Engine as _;

/// What a benchmark step can fail with.
pub type Error = Box<dyn std::error::Error>;

/// A benchmark step's result.
pub type Result<T> = std::result::Result<T, Error>;

/// Something that compiles WebAssembly.
pub trait Compile {
    /// A compiled module.
    type Module;

    /// Decodes, validates and compiles `wasm` (as far as the engine does before
    /// the first call).
    fn compile(&mut self, wasm: &[u8]) -> Result<Self::Module>;
}

/// One WebAssembly engine: compile, instantiate, look up and call `(i64) -> i64`.
///
/// A value owns everything its instances live in (a wazero [`Runtime`], a wasmi
/// [`wasmi::Store`]); dropping it frees them, so benchmarks that create many
/// instances make a fresh engine per sample.
pub trait Engine: Compile {
    /// An instantiated module.
    type Instance;
    /// An exported function of type `(i64) -> i64`, ready to call.
    type Func;

    /// Instantiates `module` (no imports).
    fn instantiate(&mut self, module: &Self::Module) -> Result<Self::Instance>;

    /// The exported function `name`, which must have type `(i64) -> i64`.
    fn func(&mut self, instance: &Self::Instance, name: &str) -> Result<Self::Func>;

    /// Calls `func` with `arg`.
    fn call_i64(&mut self, func: &Self::Func, arg: i64) -> Result<i64>;
}

/// wazero for Rust's interpreter, through the public facade.
pub struct Wazero {
    runtime: Runtime,
    /// The parameter/result slots, reused by every call.
    stack: [u64; 1],
}

impl Wazero {
    /// A fresh runtime on the interpreter with the default configuration.
    pub fn new() -> Self {
        Self {
            runtime: Runtime::with_config(RuntimeConfig::interpreter()),
            stack: [0],
        }
    }
}

impl Compile for Wazero {
    type Module = wazero::CompiledModule;

    fn compile(&mut self, wasm: &[u8]) -> Result<Self::Module> {
        Ok(self.runtime.compile_module(wasm)?)
    }
}

impl Engine for Wazero {
    type Instance = wazero::Module;
    type Func = Function;

    fn instantiate(&mut self, module: &Self::Module) -> Result<Self::Instance> {
        Ok(self
            .runtime
            .instantiate_module(module, ModuleConfig::new())?)
    }

    fn func(&mut self, instance: &Self::Instance, name: &str) -> Result<Self::Func> {
        instance
            .exported_function(name)
            .ok_or_else(|| format!("wazero: no exported function {name:?}").into())
    }

    fn call_i64(&mut self, func: &Self::Func, arg: i64) -> Result<i64> {
        self.stack[0] = arg as u64;
        func.call_with_stack(&mut self.stack)?;
        Ok(self.stack[0] as i64)
    }
}

/// wasmi with its default configuration, or with eager compilation.
pub struct Wasmi {
    store: wasmi::Store<()>,
    linker: wasmi::Linker<()>,
}

impl Wasmi {
    /// A fresh wasmi engine and store. `None` keeps wasmi's default compilation
    /// mode (lazy translation: validation up front, translation on first call).
    pub fn new(mode: Option<CompilationMode>) -> Self {
        let mut config = wasmi::Config::default();
        if let Some(mode) = mode {
            config.compilation_mode(mode);
        }
        let engine = wasmi::Engine::new(&config);
        Self {
            store: wasmi::Store::new(&engine, ()),
            linker: wasmi::Linker::new(&engine),
        }
    }
}

impl Compile for Wasmi {
    type Module = wasmi::Module;

    fn compile(&mut self, wasm: &[u8]) -> Result<Self::Module> {
        Ok(wasmi::Module::new(self.store.engine(), wasm)?)
    }
}

impl Engine for Wasmi {
    type Instance = wasmi::Instance;
    type Func = TypedFunc<i64, i64>;

    fn instantiate(&mut self, module: &Self::Module) -> Result<Self::Instance> {
        Ok(self.linker.instantiate_and_start(&mut self.store, module)?)
    }

    fn func(&mut self, instance: &Self::Instance, name: &str) -> Result<Self::Func> {
        Ok(instance.get_typed_func::<i64, i64>(&self.store, name)?)
    }

    fn call_i64(&mut self, func: &Self::Func, arg: i64) -> Result<i64> {
        Ok(func.call(&mut self.store, arg)?)
    }
}

/// wazero's interpreter translating every function when the module is compiled:
/// the steps of `Runtime::compile_module` (decode, validate, engine compile) with
/// `Interpreter::with_eager_translation(true)`, which the facade does not expose.
pub struct WazeroEager {
    interpreter: wazero_interpreter::Interpreter,
}

impl WazeroEager {
    /// An eagerly translating interpreter.
    pub fn new() -> Self {
        Self {
            interpreter: wazero_interpreter::Interpreter::new().with_eager_translation(true),
        }
    }
}

impl Compile for WazeroEager {
    type Module = Arc<dyn wazero_store::CompiledCode>;

    fn compile(&mut self, wasm: &[u8]) -> Result<Self::Module> {
        // The facade's default features.
        let features = CoreFeatures::V2;
        let module = wazero_decoder::decode(wasm, features)?;
        let validated = Arc::new(wazero_validator::validate(module, features)?);
        Ok(self.interpreter.compile(&validated)?)
    }
}
