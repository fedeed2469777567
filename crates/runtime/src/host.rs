//! Host modules: functions written in Rust, imported by guests.
//!
//! This is the raw (`u64` stack) form that wazero calls `WithGoFunction` /
//! `WithGoModuleFunction`.

use std::sync::Arc;

use wazero_api::{FuncType, ValueType};
use wazero_store::{HostError, HostFunc, MemoryInstance};

use crate::{Module, Namespace, Result};

/// What a host function sees of the module that called it.
pub struct Caller<'a> {
    store: &'a mut wazero_store::Store,
    instance: wazero_store::InstanceId,
}

impl Caller<'_> {
    /// The calling module's name.
    pub fn module_name(&self) -> &str {
        &self.store.instance(self.instance).name
    }

    /// The calling module's memory 0, if it has one. Slices it lends stay valid
    /// while the borrow of the caller lasts: the guest is paused meanwhile.
    pub fn memory(&mut self) -> Option<CallerMemory<'_>> {
        let addr = self.store.memory_of(self.instance)?;
        Some(CallerMemory {
            memory: &mut self.store.memories[addr.index()],
        })
    }
}

/// The calling module's memory, borrowed for the duration of a host function.
pub struct CallerMemory<'a> {
    memory: &'a mut MemoryInstance,
}

impl CallerMemory<'_> {
    /// `len` bytes at `offset`, without copying.
    pub fn read(&self, offset: u32, len: u32) -> Option<&[u8]> {
        self.memory.read(u64::from(offset), u64::from(len))
    }

    /// Writes `data` at `offset`; false if it does not fit.
    pub fn write(&mut self, offset: u32, data: &[u8]) -> bool {
        self.memory.write(u64::from(offset), data)
    }

    /// Size in bytes.
    pub fn size(&self) -> u64 {
        self.memory.size_bytes() as u64
    }

    /// Grows by `delta_pages`; the previous size in pages, or `None`.
    pub fn grow(&mut self, delta_pages: u32) -> Option<u32> {
        self.memory.grow(delta_pages)
    }
}

/// Builds a host module (wazero's `HostModuleBuilder`).
///
/// ```
/// use wazero::{Runtime, ValueType::I32};
/// let runtime = Runtime::new();
/// runtime
///     .new_host_module_builder("env")
///     .new_function_builder()
///     .with_stack_func(&[I32, I32], &[I32], |stack| {
///         stack[0] = u64::from((stack[0] as u32).wrapping_add(stack[1] as u32));
///     })
///     .export("add")
///     .instantiate()?;
/// # Ok::<(), wazero::Error>(())
/// ```
pub struct HostModuleBuilder {
    namespace: Namespace,
    name: String,
    functions: Vec<(String, FuncType, HostFunc)>,
}

impl HostModuleBuilder {
    pub(crate) fn new(namespace: Namespace, name: &str) -> Self {
        Self {
            namespace,
            name: name.to_string(),
            functions: Vec::new(),
        }
    }

    /// Starts defining a function; finish it with [`HostFunctionBuilder::export`].
    pub fn new_function_builder(self) -> HostFunctionBuilder {
        HostFunctionBuilder {
            module: self,
            func: None,
        }
    }

    /// Instantiates the host module in its namespace under its name.
    pub fn instantiate(self) -> Result<Module> {
        let id = self
            .namespace
            .shared
            .lock()?
            .instantiate_host(&self.name, self.functions)?;
        Ok(Module::new(self.namespace.shared.clone(), id))
    }
}

/// Defines one host function (wazero's `HostFunctionBuilder`).
pub struct HostFunctionBuilder {
    module: HostModuleBuilder,
    func: Option<(FuncType, HostFunc)>,
}

impl HostFunctionBuilder {
    /// The raw form: the closure reads parameters from `stack` and writes results
    /// back from index 0 (the stack is as long as the larger of the two).
    pub fn with_stack_func(
        self,
        params: &[ValueType],
        results: &[ValueType],
        f: impl Fn(&mut [u64]) + Send + Sync + 'static,
    ) -> Self {
        self.with_caller_stack_func(params, results, move |_, stack| f(stack))
    }

    /// The raw form with access to the calling module.
    pub fn with_caller_stack_func(
        mut self,
        params: &[ValueType],
        results: &[ValueType],
        f: impl Fn(&mut Caller<'_>, &mut [u64]) + Send + Sync + 'static,
    ) -> Self {
        let func: HostFunc =
            Arc::new(move |c: &mut wazero_store::Caller<'_>, stack: &mut [u64]| {
                let mut caller = Caller {
                    store: &mut *c.store,
                    instance: c.instance,
                };
                f(&mut caller, stack);
                Ok::<(), HostError>(())
            });
        self.func = Some((
            FuncType::new(params.iter().copied(), results.iter().copied()),
            func,
        ));
        self
    }

    /// Exports the function under `name` and returns to the module builder.
    ///
    /// # Panics
    /// If no `with_*` method gave the function a body.
    pub fn export(mut self, name: &str) -> HostModuleBuilder {
        let (ty, func) = self
            .func
            .take()
            .expect("host function needs a body before export");
        self.module.functions.push((name.to_string(), ty, func));
        self.module
    }
}
