//! `HostModuleBuilder` and `HostFunctionBuilder`.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use wazero_api::{FuncType, ValueType};
use wazero_store::{
    DirectHostCode, DirectHostFn, HostCallCx, HostError, HostFunc, HostFunctionDef, HostNames,
    HostResult, HostTagDef, DIRECT_PARAMS,
};

use crate::typed::direct_call;

use crate::typed::panic_message;
use crate::{Caller, HostFunction};

/// A mistake in a host module's definition, reported when it is compiled or
/// instantiated, naming the function.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("host function {module}.{function}: {reason}")]
pub struct BuildError {
    /// The host module.
    pub module: String,
    /// The function (its export name).
    pub function: String,
    /// What is wrong.
    pub reason: String,
}

/// Where a finished host module goes: the facade implements this for its
/// namespaces, so `instantiate` and `compile` return its types.
pub trait HostModuleSink {
    /// What `instantiate` returns.
    type Module;
    /// What `compile` returns.
    type Compiled;
    /// The error of both, which a [`BuildError`] converts into.
    type Error: From<BuildError>;
    /// Instantiates the functions as module `name`.
    fn instantiate_host(
        self,
        name: &str,
        functions: Vec<HostFunctionDef>,
        tags: Vec<HostTagDef>,
    ) -> Result<Self::Module, Self::Error>;
    /// Keeps the functions as a compiled module to instantiate later, any number of
    /// times.
    fn compile_host(
        self,
        name: &str,
        functions: Vec<HostFunctionDef>,
        tags: Vec<HostTagDef>,
    ) -> Result<Self::Compiled, Self::Error>;
}

/// Builds a host module (wazero's `HostModuleBuilder`). Functions are exported
/// in the order of their `new_function_builder` calls, as in wazero, so a
/// listing of the module's exports is stable.
pub struct HostModuleBuilder<S> {
    sink: S,
    name: String,
    functions: Vec<HostFunctionDef>,
    tags: Vec<HostTagDef>,
    error: Option<BuildError>,
}

impl<S: HostModuleSink> HostModuleBuilder<S> {
    /// A builder for module `name` that hands its result to `sink`.
    pub fn new(sink: S, name: &str) -> Self {
        Self {
            sink,
            name: name.to_string(),
            functions: Vec::new(),
            tags: Vec::new(),
            error: None,
        }
    }

    /// Starts defining a function; finish it with [`HostFunctionBuilder::export`].
    pub fn new_function_builder(self) -> HostFunctionBuilder<S> {
        HostFunctionBuilder {
            module: self,
            func: None,
            names: HostNames::default(),
        }
    }

    /// Checks the definitions and instantiates the module under its name.
    pub fn instantiate(self) -> Result<S::Module, S::Error> {
        if let Some(e) = self.error {
            return Err(e.into());
        }
        self.sink
            .instantiate_host(&self.name, self.functions, self.tags)
    }

    /// Checks the definitions and keeps them as a compiled module that can be
    /// instantiated many times, under different names.
    pub fn compile(self) -> Result<S::Compiled, S::Error> {
        if let Some(e) = self.error {
            return Err(e.into());
        }
        self.sink
            .compile_host(&self.name, self.functions, self.tags)
    }

    /// Exports a tag (exception handling) named `name` whose exceptions
    /// carry values of `params`: guests import it to throw and catch them,
    /// and host functions throw them.
    pub fn export_tag(mut self, name: &str, params: &[ValueType]) -> Self {
        self.tags.push(HostTagDef {
            export: name.to_string(),
            ty: FuncType::new(params.to_vec(), Vec::new()),
        });
        self
    }

    fn fail(&mut self, function: &str, reason: String) {
        if self.error.is_none() {
            self.error = Some(BuildError {
                module: self.name.clone(),
                function: function.to_string(),
                reason,
            });
        }
    }
}

/// Defines one host function (wazero's `HostFunctionBuilder`).
pub struct HostFunctionBuilder<S> {
    module: HostModuleBuilder<S>,
    func: Option<(FuncType, HostFunc, Option<DirectHostFn>)>,
    names: HostNames,
}

impl<S: HostModuleSink> HostFunctionBuilder<S> {
    /// The function as a typed Rust closure or `fn`: parameters and results are
    /// `i32`, `u32`, `i64`, `u64`, `f32`, `f64` or `u128` (`v128`), with an optional
    /// leading `&mut Caller<'_>`; it may return `()`, a value, a tuple, or a
    /// `Result` of those (an `Err` fails the guest call; `Err(ExitCode(n))` closes
    /// the calling module with exit code `n`).
    ///
    /// With the `wazero` facade, `Result<_, wazero::Error>` is the error type to
    /// pick: `?` works on a call back into the guest
    /// ([`CallerFunction::call`](crate::CallerFunction::call)'s `CallError`), a
    /// memory access (`MemoryAccessError`), an `ExitCode` and the facade's own
    /// calls, and a trap or an exit passes through unchanged: the guest's call
    /// fails with the same trap code (and backtrace) or exit code. A
    /// `wazero::Error::Trap` the host makes itself traps with that code.
    pub fn with_func<M, F: HostFunction<M>>(mut self, f: F) -> Self {
        let (func, direct) = f.into_host_funcs();
        self.func = Some((F::func_type(), func, direct));
        self
    }

    /// The raw form (wazero's `WithGoFunction`): the closure reads its parameters
    /// from `stack` and writes its results back from index 0 (the stack is as long
    /// as the larger of the two).
    pub fn with_stack_func(
        self,
        params: &[ValueType],
        results: &[ValueType],
        f: impl Fn(&mut [u64]) + Send + Sync + 'static,
    ) -> Self {
        self.with_caller_stack_func(params, results, move |_, stack| f(stack))
    }

    /// The raw form with the calling module (wazero's `WithGoModuleFunction`).
    pub fn with_caller_stack_func(
        mut self,
        params: &[ValueType],
        results: &[ValueType],
        f: impl Fn(&mut Caller<'_>, &mut [u64]) + Send + Sync + 'static,
    ) -> Self {
        let ty = FuncType::new(params.iter().copied(), results.iter().copied());
        let f = RawFn::new(f, &ty);
        let g = Arc::clone(&f);
        let func: HostFunc =
            Arc::new(move |c: &mut wazero_store::Caller<'_>, stack: &mut [u64]| {
                // SAFETY: `Caller` lends only what keeps the store's layout:
                // memory bytes and growth, data, and calls back into the guest.
                let (store, instance) = unsafe { c.store_mut() };
                let mut caller = Caller::new(store, instance);
                guard(|| (g.f)(&mut caller, stack))
            });
        let direct = DirectHostFn::fits(&ty).then(|| DirectHostFn {
            code: raw_entry(&f),
            data: f,
        });
        self.func = Some((ty, func, direct));
        self
    }

    /// Its name in definitions and backtraces (default: the export name).
    pub fn with_name(mut self, name: &str) -> Self {
        self.names.name = name.to_string();
        self
    }

    /// Names of its parameters, in order.
    pub fn with_parameter_names(mut self, names: &[&str]) -> Self {
        self.names.params = names.iter().map(|s| s.to_string()).collect();
        self
    }

    /// Names of its results, in order.
    pub fn with_result_names(mut self, names: &[&str]) -> Self {
        self.names.results = names.iter().map(|s| s.to_string()).collect();
        self
    }

    /// Exports the function under `name` and returns to the module builder. A
    /// missing body, a duplicate export name or a wrong count of parameter or
    /// result names is reported by `compile` / `instantiate`.
    pub fn export(mut self, name: &str) -> HostModuleBuilder<S> {
        let mut module = self.module;
        let Some((ty, func, direct)) = self.func.take() else {
            module.fail(
                name,
                "no body: call with_func or with_stack_func first".to_string(),
            );
            return module;
        };
        if module.functions.iter().any(|f| f.export == name) {
            module.fail(name, "exported twice".to_string());
        }
        let counts = [
            ("parameter", self.names.params.len(), ty.params().len()),
            ("result", self.names.results.len(), ty.results().len()),
        ];
        for (what, given, want) in counts {
            if given != 0 && given != want {
                module.fail(name, format!("{given} {what} names for {want} {what}s"));
            }
        }
        let mut names = self.names;
        if names.name.is_empty() {
            names.name = name.to_string();
        }
        module.functions.push(HostFunctionDef {
            export: name.to_string(),
            ty,
            func,
            direct,
            names: Arc::new(names),
        });
        module
    }
}

/// A raw host function with the length of its stack (the larger of its
/// parameter and result slot counts).
struct RawFn<F> {
    f: F,
    slots: usize,
}

impl<F> RawFn<F> {
    fn new(f: F, ty: &FuncType) -> Arc<Self> {
        Arc::new(Self {
            f,
            slots: ty.param_slots().max(ty.result_slots()),
        })
    }

    /// The part of a direct entry's stack of arguments the function sees.
    fn stack<'s>(&self, stack: &'s mut [u64; DIRECT_PARAMS]) -> &'s mut [u64] {
        &mut stack[..self.slots.min(DIRECT_PARAMS)]
    }
}

/// The direct entry of raw host function `F`: the arguments in a stack of
/// as many slots as its type takes, the result from its first. (`f` only
/// names the type.)
fn raw_entry<F: Fn(&mut Caller<'_>, &mut [u64])>(_f: &Arc<RawFn<F>>) -> DirectHostCode {
    /// # Safety
    /// `data` points at a `RawFn<F>`; `cx` is as for `direct_call`.
    unsafe extern "C" fn entry<F: Fn(&mut Caller<'_>, &mut [u64])>(
        data: *const (),
        cx: *mut HostCallCx,
        a0: u64,
        a1: u64,
        a2: u64,
        a3: u64,
    ) -> u64 {
        let mut stack = [a0, a1, a2, a3];
        // SAFETY: see the function's contract.
        let f = unsafe { &*data.cast::<RawFn<F>>() };
        // SAFETY: forwarded.
        unsafe {
            direct_call(cx, |caller| {
                (f.f)(caller, f.stack(&mut stack));
                stack[0]
            })
        }
    }
    entry::<F>
}

/// Runs a raw host function, turning a panic into a failure of the call.
fn guard(f: impl FnOnce()) -> HostResult {
    catch_unwind(AssertUnwindSafe(f))
        .map_err(|panic| Box::new(HostError::Failed(panic_message(panic).into())))
}
