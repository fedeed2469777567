//! `Function` and `FunctionDefinition`.

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use wazero_api::{FuncType, TrapCode, ValueType, WasmTyList};
use wazero_store::{FuncAddr, FuncKind, Store};
use wazero_validator::ValidatedModule;

use crate::shared::{Pin, Shared};
use crate::{Error, Result};

/// A function exported by an instantiated module (wazero's `api.Function`).
///
/// Parameters and results are `u64` slots in the encodings of
/// [`wazero::api`](crate::api) (`encode_i32`, `decode_f64`, ...); a `v128` takes two
/// slots, low half first.
///
/// It keeps the module defining it alive (see [`Module`](crate::Module)), so it
/// can be called after the handle of that module is dropped; once the module is
/// closed, calls return [`Error::Exit`].
///
/// ```
/// use wazero::api::{decode_f64, encode_f64};
/// let runtime = wazero::Runtime::new();
/// let module = runtime.instantiate(&wat::parse_str(r#"(module
///     (func (export "half") (param f64) (result f64) (f64.mul (local.get 0) (f64.const 0.5))))"#)?)?;
/// let half = module.exported_function("half").unwrap();
/// assert_eq!(half.ty().params(), [wazero::ValueType::F64]);
/// // Values in u64 slots...
/// assert_eq!(decode_f64(half.call(&[encode_f64(5.0)])?[0]), 2.5);
/// // ... or typed, checked once against the function's signature.
/// let half = half.typed::<f64, f64>()?;
/// assert_eq!(half.call(5.0)?, 2.5);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Function {
    shared: Arc<Shared>,
    addr: FuncAddr,
    ty: FuncType,
    _pin: Pin,
}

impl Function {
    /// Function `addr` of `store`, the locked store of `shared`.
    pub(crate) fn new(shared: &Arc<Shared>, store: &Store, addr: FuncAddr) -> Self {
        let f = &store.funcs[addr.index()];
        let owner = match f.kind {
            FuncKind::Wasm { instance, .. } | FuncKind::Host { instance, .. } => instance,
        };
        Self {
            shared: shared.clone(),
            addr,
            ty: f.ty.clone(),
            _pin: Pin::new(shared, store, owner),
        }
    }

    /// The function's signature.
    pub fn ty(&self) -> &FuncType {
        &self.ty
    }

    /// What is known about this function: names, types, where it comes from.
    pub fn definition(&self) -> FunctionDefinition {
        let Ok(store) = self.shared.lock() else {
            return FunctionDefinition::default();
        };
        Self::definition_in(&store, self.addr)
    }

    /// The definition of function `addr` of `store`.
    pub(crate) fn definition_in(store: &Store, addr: FuncAddr) -> FunctionDefinition {
        let f = &store.funcs[addr.index()];
        match &f.kind {
            FuncKind::Wasm { instance, index } => {
                let inst = store.instance(*instance);
                let module = inst.module.as_ref().expect("wasm instances have a module");
                let full = module.imported_function_count() + index;
                FunctionDefinition::of_wasm(module, &inst.name, full)
            }
            FuncKind::Host { instance, .. } => {
                let inst = store.instance(*instance);
                let index = inst.functions.iter().position(|&a| a == addr).unwrap_or(0);
                let (export, _) = &inst.exports[index];
                let names = f.host_names.clone().unwrap_or_default();
                FunctionDefinition::of_host(&inst.name, index as u32, export, &f.ty, &names)
            }
        }
    }

    /// Calls the function with `params`, returning its results.
    pub fn call(&self, params: &[u64]) -> Result<Vec<u64>> {
        self.call_params(params, None)
    }

    /// Calls the function, stopping it if it runs longer than `timeout`
    /// (wazero's per-call `context.WithTimeout`): it then fails with a trap of
    /// code [`TrapCode::Interrupted`](crate::TrapCode::Interrupted), at the next
    /// check the guest reaches (see [`InterruptHandle`](crate::InterruptHandle)
    /// for where checks are and what state the module is left in). The timeout
    /// belongs to this call alone: it never stops another, and costs no thread.
    ///
    /// ```
    /// use std::time::Duration;
    /// use wazero::Runtime;
    /// let runtime = Runtime::new();
    /// let module = runtime.instantiate(&wat::parse_str(r#"(module
    ///     (func (export "spin") (loop (br 0)))
    ///     (func (export "add") (param i32 i32) (result i32)
    ///         (i32.add (local.get 0) (local.get 1))))"#)?)?;
    /// let spin = module.exported_function("spin").unwrap();
    /// let err = spin.call_with_timeout(&[], Duration::from_millis(10)).unwrap_err();
    /// assert!(err.is_interrupted());
    /// let add = module.exported_function("add").unwrap();
    /// assert_eq!(add.call_with_timeout(&[40, 2], Duration::from_secs(1))?, vec![42]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn call_with_timeout(&self, params: &[u64], timeout: Duration) -> Result<Vec<u64>> {
        self.call_params(params, Some(timeout))
    }

    fn call_params(&self, params: &[u64], timeout: Option<Duration>) -> Result<Vec<u64>> {
        let (p, r) = (self.ty.param_slots(), self.ty.result_slots());
        if params.len() != p {
            return Err(Error::InvalidArgument(format!(
                "expected {p} parameter slots, got {}",
                params.len()
            )));
        }
        let mut stack = vec![0u64; p.max(r)];
        stack[..p].copy_from_slice(params);
        self.call_stack(&mut stack, timeout)?;
        stack.truncate(r);
        Ok(stack)
    }

    /// Calls the function with its parameters at the front of `stack`, leaving the
    /// results there from index 0. `stack` must be at least as long as the larger
    /// of the parameter and result slot counts. No allocation happens here, so a
    /// reused stack makes repeated calls cheap.
    pub fn call_with_stack(&self, stack: &mut [u64]) -> Result<()> {
        self.call_stack(stack, None)
    }

    /// [`Function::call_with_stack`] with a timeout (see
    /// [`Function::call_with_timeout`]).
    pub fn call_with_stack_and_timeout(&self, stack: &mut [u64], timeout: Duration) -> Result<()> {
        self.call_stack(stack, Some(timeout))
    }

    fn call_stack(&self, stack: &mut [u64], timeout: Option<Duration>) -> Result<()> {
        let need = self.ty.param_slots().max(self.ty.result_slots());
        if stack.len() < need {
            return Err(Error::InvalidArgument(format!(
                "stack has {} slots, the function needs {need}",
                stack.len()
            )));
        }
        let mut store = self.shared.lock()?;
        let (instance, wasm) = match &store.funcs[self.addr.index()].kind {
            wazero_store::FuncKind::Wasm { instance, .. } => (*instance, true),
            wazero_store::FuncKind::Host { instance, .. } => (*instance, false),
        };
        let running = self.shared.running(instance);
        let _timeout = timeout
            .map(|t| crate::timer::stop_call_after(t, &self.shared.interrupt, running.serial));
        let result = store.call(self.addr, stack);
        if let Err(wazero_store::CallError::Trap(trap)) = &result {
            if wasm && trap.code == TrapCode::Interrupted && self.shared.close_on_interrupt {
                store.close(instance, crate::EXIT_CODE_INTERRUPTED);
            }
        }
        result.map_err(Error::from)
    }
}

impl Function {
    /// A typed view of this function: parameters `P` and results `R` are Rust
    /// values (`i32`, `u64`, `f64`, `u128` for `v128`, or tuples of them), checked
    /// against the signature once, here.
    ///
    /// ```
    /// let runtime = wazero::Runtime::new();
    /// let wasm = wat::parse_str(r#"(module (func (export "add") (param i32 i32) (result i32)
    ///     (i32.add (local.get 0) (local.get 1))))"#)?;
    /// let add = runtime.instantiate(&wasm)?.exported_function("add").unwrap();
    /// assert_eq!(add.typed::<(i32, i32), i32>()?.call((40, 2))?, 42);
    /// assert!(add.typed::<i64, i32>().is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn typed<P: WasmTyList, R: WasmTyList>(&self) -> Result<TypedFunction<P, R>> {
        if !P::matches(self.ty.params()) || !R::matches(self.ty.results()) {
            return Err(Error::InvalidArgument(format!(
                "function has type {}, not {}",
                self.ty,
                FuncType::new(P::types(), R::types())
            )));
        }
        Ok(TypedFunction {
            func: self.clone(),
            _types: PhantomData,
        })
    }
}

/// A [`Function`] with its parameter and result types fixed in Rust; calls need no
/// allocation and no type checks.
///
/// `P` and `R` are `()`, one of `i32`, `u32`, `i64`, `u64`, `f32`, `f64`,
/// `u128` (`v128`), or a tuple of them.
///
/// ```
/// let runtime = wazero::Runtime::new();
/// let module = runtime.instantiate(&wat::parse_str(r#"(module
///     (func (export "divmod") (param i32 i32) (result i32 i32)
///       (i32.div_u (local.get 0) (local.get 1)) (i32.rem_u (local.get 0) (local.get 1))))"#)?)?;
/// let func = module.exported_function("divmod").unwrap();
/// let divmod = func.typed::<(u32, u32), (u32, u32)>()?;
/// assert_eq!(divmod.call((17, 5))?, (3, 2));
/// // A signature that does not match is an error when typing, not when calling.
/// assert!(func.typed::<u32, u32>().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct TypedFunction<P, R> {
    func: Function,
    _types: PhantomData<fn(P) -> R>,
}

/// Slots on the native stack for a typed call: 16 `v128` values at most.
const TYPED_STACK: usize = 32;

impl<P: WasmTyList, R: WasmTyList> TypedFunction<P, R> {
    /// Calls the function.
    pub fn call(&self, params: P) -> Result<R> {
        self.call_timed(params, None)
    }

    /// Calls the function, stopping it if it runs longer than `timeout` (see
    /// [`Function::call_with_timeout`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// use wazero::Runtime;
    /// let runtime = Runtime::new();
    /// let module = runtime.instantiate(&wat::parse_str(r#"(module
    ///     (func (export "count") (param i64) (result i64) (local i64)
    ///         (loop (local.set 1 (i64.add (local.get 1) (i64.const 1)))
    ///               (br_if 0 (i64.lt_u (local.get 1) (local.get 0))))
    ///         (local.get 1)))"#)?)?;
    /// let count = module.exported_function("count").unwrap().typed::<i64, i64>()?;
    /// assert_eq!(count.call_with_timeout(1000, Duration::from_secs(5))?, 1000);
    /// let err = count.call_with_timeout(-1, Duration::from_millis(10)).unwrap_err();
    /// assert!(err.is_interrupted());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn call_with_timeout(&self, params: P, timeout: Duration) -> Result<R> {
        self.call_timed(params, Some(timeout))
    }

    fn call_timed(&self, params: P, timeout: Option<Duration>) -> Result<R> {
        let mut stack = [0u64; TYPED_STACK];
        let n = P::SLOTS.max(R::SLOTS);
        params.store(&mut stack);
        self.func.call_stack(&mut stack[..n], timeout)?;
        Ok(R::load(&stack))
    }

    /// The untyped function.
    pub fn func(&self) -> &Function {
        &self.func
    }
}

impl<P, R> std::fmt::Debug for TypedFunction<P, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TypedFunction{}", self.func.ty)
    }
}

impl<P, R> Clone for TypedFunction<P, R> {
    fn clone(&self) -> Self {
        Self {
            func: self.func.clone(),
            _types: PhantomData,
        }
    }
}

impl std::fmt::Debug for Function {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Function{}", self.ty)
    }
}

/// Metadata of a function (wazero's `api.FunctionDefinition`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FunctionDefinition {
    /// Name of the defining module instance (empty before instantiation).
    pub module_name: String,
    /// Index in the module's function index space (imports first).
    pub index: u32,
    /// `(module, name)` when the function is imported.
    pub import: Option<(String, String)>,
    /// Every name it is exported under.
    pub export_names: Vec<String>,
    /// Its name from the name section, or empty.
    pub name: String,
    /// `module.name`, or `module.$index` without a name, for errors and traces.
    pub debug_name: String,
    /// Parameter types.
    pub param_types: Vec<ValueType>,
    /// Result types.
    pub result_types: Vec<ValueType>,
    /// Parameter names, when known (empty otherwise).
    pub param_names: Vec<String>,
    /// Result names, when known (empty otherwise).
    pub result_names: Vec<String>,
    /// Whether it is implemented in Rust.
    pub is_host: bool,
}

impl FunctionDefinition {
    pub(crate) fn of_host(
        module_name: &str,
        index: u32,
        export: &str,
        ty: &FuncType,
        names: &wazero_store::HostNames,
    ) -> Self {
        Self {
            module_name: module_name.to_string(),
            index,
            import: None,
            export_names: vec![export.to_string()],
            name: names.name.clone(),
            debug_name: format!("{module_name}.{}", names.name),
            param_types: ty.params().to_vec(),
            result_types: ty.results().to_vec(),
            param_names: names.params.clone(),
            result_names: names.results.clone(),
            is_host: true,
        }
    }

    pub(crate) fn of_wasm(module: &ValidatedModule, module_name: &str, index: u32) -> Self {
        let ty = module.function_type(index).cloned().unwrap_or_default();
        let import = module
            .imports
            .iter()
            .filter(|i| matches!(i.desc, wazero_decoder::ImportDesc::Func(_)))
            .nth(index as usize)
            .map(|i| (i.module.clone(), i.name.clone()));
        let name = module
            .names
            .functions
            .get(&index)
            .cloned()
            .unwrap_or_default();
        let label = if name.is_empty() {
            format!("${index}")
        } else {
            name.clone()
        };
        Self {
            module_name: module_name.to_string(),
            index,
            import,
            export_names: module
                .exports
                .iter()
                .filter(|e| e.kind == wazero_api::ExternType::Func && e.index == index)
                .map(|e| e.name.clone())
                .collect(),
            debug_name: format!("{module_name}.{label}"),
            name,
            param_types: ty.params().to_vec(),
            result_types: ty.results().to_vec(),
            param_names: module
                .names
                .locals
                .get(&index)
                .map(|locals| {
                    (0..ty.params().len() as u32)
                        .map(|i| locals.get(&i).cloned().unwrap_or_default())
                        .collect()
                })
                .unwrap_or_default(),
            result_names: Vec::new(),
            is_host: false,
        }
    }
}
