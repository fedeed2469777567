//! The engines under test behind one small trait, so that every benchmark runs
//! the same code path on each.
//!
//! Every benchmark program exports `run: (i64) -> i64`, which keeps the calling
//! side identical and cheap: wazero's [`Function::call_with_stack`] with a reused
//! one-slot stack, wasmi's and wasmtime's `TypedFunc`.
//!
//! The call-loop benchmarks import a host function `env.add: (i32, i32) -> i32`,
//! which [`Engine::define_host_add`] defines before the module is instantiated.
//!
//! [`Wazero`] is the facade with a [`RuntimeConfig`]: the interpreter, the
//! compiler with guard pages, or the compiler with explicit bounds checks.
//! [`WazeroEager`] only compiles: it is the interpreter translating every function
//! up front, which the facade does not offer (it translates each function on its
//! first call), for comparison with wasmi's eager mode. [`WazeroStore`] drives
//! any `wazero_store::Engine` below the facade, for the compiler without interrupt
//! checks (`CodegenConfig::interrupt_checks`), which `RuntimeConfig` does not offer.
//! `Wasmtime` (cargo feature `wasmtime`) is wasmtime with its defaults.

use std::sync::Arc;

use wasmi::{CompilationMode, TypedFunc};
use wazero::{CoreFeatures, Function, ModuleConfig, Runtime, RuntimeConfig, ValueType};
use wazero_store::Engine as _;
use wazero_store::{CompiledCode, ExternVal, FuncAddr, InstanceId, InstantiateConfig};
use wazero_validator::ValidatedModule;

use crate::programs::{Callee, HostForm};

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

    /// Defines the host function `env.add(a: i32, b: i32) -> i32` (wrapping add)
    /// for modules instantiated afterwards, in wazero's typed form (`with_func`)
    /// or raw form (`with_stack_func`). wasmi gets `Linker::func_wrap` for both.
    fn define_host_add(&mut self, form: HostForm) -> Result<()>;

    /// Instantiates `module`, its imports resolved among the host functions
    /// defined so far.
    fn instantiate(&mut self, module: &Self::Module) -> Result<Self::Instance>;

    /// The exported function `name`, which must have type `(i64) -> i64`.
    fn func(&mut self, instance: &Self::Instance, name: &str) -> Result<Self::Func>;

    /// Calls `func` with `arg`.
    fn call_i64(&mut self, func: &Self::Func, arg: i64) -> Result<i64>;
}

/// `engine`, with the host `env.add` defined if `callee` is in the host.
pub fn with_callee<E: Engine>(mut engine: E, callee: Callee) -> Result<E> {
    if let Callee::Host(form) = callee {
        engine.define_host_add(form)?;
    }
    Ok(engine)
}

/// wazero for Rust through the public facade: the interpreter, or the compiler.
pub struct Wazero {
    runtime: Runtime,
    /// The parameter/result slots, reused by every call.
    stack: [u64; 1],
}

impl Wazero {
    /// A fresh runtime on the interpreter with the default configuration.
    pub fn new() -> Self {
        Self::with_config(RuntimeConfig::interpreter())
    }

    /// A fresh runtime on the compiler with the default configuration (guard
    /// pages for linear memory where the platform has them).
    pub fn compiler() -> Self {
        Self::with_config(RuntimeConfig::compiler())
    }

    /// A fresh runtime on the compiler with explicit bounds checks.
    pub fn compiler_explicit_checks() -> Self {
        Self::with_config(RuntimeConfig::compiler().with_explicit_bounds_checks(true))
    }

    /// A fresh runtime with `config`.
    pub fn with_config(config: RuntimeConfig) -> Self {
        Self {
            runtime: Runtime::with_config(config),
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

    fn define_host_add(&mut self, form: HostForm) -> Result<()> {
        let builder = self.runtime.new_host_module_builder("env");
        let function = builder.new_function_builder();
        let function = match form {
            HostForm::Typed => function.with_func(|a: i32, b: i32| a.wrapping_add(b)),
            HostForm::Raw => {
                use ValueType::I32;
                function.with_stack_func(&[I32, I32], &[I32], |stack| {
                    let (a, b) = (stack[0] as u32, stack[1] as u32);
                    stack[0] = u64::from(a.wrapping_add(b));
                })
            }
        };
        function.export("add").instantiate()?;
        Ok(())
    }

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

    fn define_host_add(&mut self, _form: HostForm) -> Result<()> {
        self.linker
            .func_wrap("env", "add", |a: i32, b: i32| a.wrapping_add(b))?;
        Ok(())
    }

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
        let validated = decode_and_validate(wasm)?;
        Ok(self.interpreter.compile(&validated)?)
    }
}

/// The steps of `Runtime::compile_module` (decode, validate) with the facade's
/// default features, for the engines driven below the facade.
fn decode_and_validate(wasm: &[u8]) -> Result<Arc<ValidatedModule>> {
    let features = CoreFeatures::V2;
    let module = wazero_decoder::decode(wasm, features)?;
    Ok(Arc::new(wazero_validator::validate(module, features)?))
}

/// Any wazero engine driven below the facade, on a `wazero_store::Store` of its
/// own: what `Runtime` does (decode, validate, compile, instantiate, call
/// through the store), less the facade's lock around each call. Host functions
/// are not offered (no benchmark needs them here).
pub struct WazeroStore {
    store: wazero_store::Store,
    /// The parameter/result slots, reused by every call.
    stack: [u64; 1],
}

impl WazeroStore {
    /// A fresh store running on `engine`, with the default limits.
    pub fn new(engine: Arc<dyn wazero_store::Engine>) -> Self {
        Self {
            store: wazero_store::Store::new(engine, wazero_store::StoreLimits::default()),
            stack: [0],
        }
    }

    /// The compiler with guard pages, interrupt checks in compiled code on or
    /// off (`Amd64Compiler::with_codegen`).
    #[cfg(target_arch = "x86_64")]
    pub fn compiler(interrupt_checks: bool) -> Result<Self> {
        let config = wazero_compiler::CodegenConfig {
            guard_pages: true,
            // The default store limit keeps 64-bit memories within 4 GiB.
            memory64_guard_pages: true,
            interrupt_checks,
        };
        let engine = wazero_compiler_amd64::Amd64Compiler::with_codegen(config)?;
        if !engine.guard_pages() {
            return Err("the compiler has no guard pages on this platform".into());
        }
        Ok(Self::new(Arc::new(engine)))
    }

    /// The compiler exists for x86-64 only.
    #[cfg(not(target_arch = "x86_64"))]
    pub fn compiler(_interrupt_checks: bool) -> Result<Self> {
        Err("wazero's compiler is for x86-64 hosts only".into())
    }
}

impl Compile for WazeroStore {
    type Module = (Arc<ValidatedModule>, Arc<dyn CompiledCode>);

    fn compile(&mut self, wasm: &[u8]) -> Result<Self::Module> {
        let validated = decode_and_validate(wasm)?;
        let code = self.store.engine().compile(&validated)?;
        Ok((validated, code))
    }
}

impl Engine for WazeroStore {
    type Instance = InstanceId;
    type Func = FuncAddr;

    fn define_host_add(&mut self, _form: HostForm) -> Result<()> {
        Err("host functions are not offered below the facade in this harness".into())
    }

    fn instantiate(&mut self, module: &Self::Module) -> Result<Self::Instance> {
        let (validated, code) = module;
        Ok(self
            .store
            .instantiate(validated, code.clone(), InstantiateConfig::default())?)
    }

    fn func(&mut self, instance: &Self::Instance, name: &str) -> Result<Self::Func> {
        match self.store.instance(*instance).export(name) {
            Some(ExternVal::Func(addr)) => Ok(addr),
            _ => Err(format!("wazero: no exported function {name:?}").into()),
        }
    }

    fn call_i64(&mut self, func: &Self::Func, arg: i64) -> Result<i64> {
        self.stack[0] = arg as u64;
        self.store.call(*func, &mut self.stack)?;
        Ok(self.stack[0] as i64)
    }
}

/// wasmtime with `Config::default()`: Cranelift at its default optimization
/// level (`speed`), parallel compilation, the default (on-demand) memory
/// allocator with guard pages and signal-based traps; no epoch or fuel checks
/// (both off by default).
#[cfg(feature = "wasmtime")]
pub struct Wasmtime {
    store: wasmtime::Store<()>,
    linker: wasmtime::Linker<()>,
}

#[cfg(feature = "wasmtime")]
impl Wasmtime {
    /// A fresh wasmtime engine and store with the default configuration.
    pub fn new() -> Self {
        let engine = wasmtime::Engine::default();
        Self {
            store: wasmtime::Store::new(&engine, ()),
            linker: wasmtime::Linker::new(&engine),
        }
    }

    /// The default configuration plus `Config::epoch_interruption(true)`:
    /// compiled code then checks the engine's epoch against the store's deadline
    /// at function entries and loop headers, wasmtime's counterpart of wazero's
    /// interrupt checks (the deadline is set far away, so it never traps).
    pub fn with_epochs() -> Result<Self> {
        let mut config = wasmtime::Config::default();
        config.epoch_interruption(true);
        let engine = wasmtime::Engine::new(&config).map_err(wasmtime_error)?;
        let mut store = wasmtime::Store::new(&engine, ());
        store.set_epoch_deadline(1 << 62);
        Ok(Self {
            store,
            linker: wasmtime::Linker::new(&engine),
        })
    }
}

/// A wasmtime error as ours (its error type converts through its message).
#[cfg(feature = "wasmtime")]
fn wasmtime_error(e: wasmtime::Error) -> Error {
    format!("wasmtime: {e:#}").into()
}

#[cfg(feature = "wasmtime")]
impl Compile for Wasmtime {
    type Module = wasmtime::Module;

    fn compile(&mut self, wasm: &[u8]) -> Result<Self::Module> {
        wasmtime::Module::new(self.store.engine(), wasm).map_err(wasmtime_error)
    }
}

#[cfg(feature = "wasmtime")]
impl Engine for Wasmtime {
    type Instance = wasmtime::Instance;
    type Func = wasmtime::TypedFunc<i64, i64>;

    fn define_host_add(&mut self, _form: HostForm) -> Result<()> {
        self.linker
            .func_wrap("env", "add", |a: i32, b: i32| a.wrapping_add(b))
            .map_err(wasmtime_error)?;
        Ok(())
    }

    fn instantiate(&mut self, module: &Self::Module) -> Result<Self::Instance> {
        self.linker
            .instantiate(&mut self.store, module)
            .map_err(wasmtime_error)
    }

    fn func(&mut self, instance: &Self::Instance, name: &str) -> Result<Self::Func> {
        instance
            .get_typed_func::<i64, i64>(&mut self.store, name)
            .map_err(wasmtime_error)
    }

    fn call_i64(&mut self, func: &Self::Func, arg: i64) -> Result<i64> {
        func.call(&mut self.store, arg).map_err(wasmtime_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `run(calls)` of the call loop for `callee` on `engine`.
    fn call_loop<E: Engine>(engine: E, callee: Callee, calls: i64) -> Result<i64> {
        let mut engine = with_callee(engine, callee)?;
        let module = engine.compile(&wat::parse_str(callee.wat())?)?;
        let instance = engine.instantiate(&module)?;
        let run = engine.func(&instance, "run")?;
        engine.call_i64(&run, calls)
    }

    #[test]
    fn every_engine_runs_every_call_loop() -> Result<()> {
        for callee in Callee::ALL {
            for calls in [0, 1, 1000] {
                let want = Callee::expected(calls);
                assert_eq!(call_loop(Wazero::new(), callee, calls)?, want, "{callee:?}");
                assert_eq!(
                    call_loop(Wasmi::new(None), callee, calls)?,
                    want,
                    "{callee:?}"
                );
                assert_eq!(call_loop(Wazero::compiler(), callee, calls)?, want);
                #[cfg(feature = "wasmtime")]
                assert_eq!(call_loop(Wasmtime::new(), callee, calls)?, want);
            }
        }
        for checks in [true, false] {
            let calls = 1000;
            let got = call_loop(WazeroStore::compiler(checks)?, Callee::Guest, calls)?;
            assert_eq!(got, Callee::expected(calls));
        }
        Ok(())
    }
}
