//! The reference engine: wasmi, with wazero's resource limits.
//!
//! wasmi 2.0.0 has bugs that generated modules hit; the modules it runs are
//! first rewritten around them, with the same meaning (see [`crate::wasmi_bugs`]).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use wasmi::errors::{ErrorKind, InstantiationError};
use wasmi::{ResourceLimiter, Store, TrapCode, Val, F32, F64, V128};
use wasmi_core::LimiterError;

use crate::engine::{CompiledModule, Engine, Failure, Instance, TrapKind};
use crate::generate::MEMORY_LIMIT_PAGES;
use crate::value::Value;

/// The most elements one table may have in wazero's store.
const TABLE_LIMIT: usize = 10_000_000;

/// The most elements all tables of a wazero namespace may have together.
const TABLE_BUDGET: usize = 1 << 25;

/// wasmi, the reference engine.
pub struct Wasmi {
    config: wasmi::Config,
}

impl Wasmi {
    /// wasmi with its default configuration, but a recursion limit well beyond
    /// what the generator's fuel allows (its default, 1000, is below it), and
    /// 64-bit memories on.
    pub fn new() -> Self {
        let mut config = wasmi::Config::default();
        config.set_max_recursion_depth(100_000);
        config.wasm_memory64(true);
        Self { config }
    }
}

impl Default for Wasmi {
    fn default() -> Self {
        Self::new()
    }
}

impl Engine for Wasmi {
    fn name(&self) -> &str {
        "wasmi"
    }

    fn compile(&self, wasm: &[u8]) -> Result<Box<dyn CompiledModule>, String> {
        // An engine per module: a wasmi engine keeps the code of every module it
        // compiled for as long as it lives, and a fuzzing run compiles millions.
        let engine = wasmi::Engine::new(&self.config);
        let wasm = crate::wasmi_bugs::step_around(wasm)?;
        let module = wasmi::Module::new(&engine, &wasm).map_err(|e| e.to_string())?;
        Ok(Box::new(Compiled {
            engine,
            module,
            panicked: Arc::default(),
        }))
    }
}

/// A module compiled by wasmi.
struct Compiled {
    engine: wasmi::Engine,
    module: wasmi::Module,
    /// Whether wasmi panicked on this module: its engine may be left
    /// inconsistent (a function's lazy translation never finishing), so it
    /// is not run again.
    panicked: Arc<AtomicBool>,
}

/// Runs `f` on wasmi for a module (see [`Compiled::panicked`]).
fn guarded<T>(panicked: &AtomicBool, f: impl FnOnce() -> Result<T, Failure>) -> Result<T, Failure> {
    if panicked.load(Ordering::Relaxed) {
        return Err(Failure::ReferencePanicked("earlier, on this module".into()));
    }
    let result = crate::engine::catch_reference(f);
    if let Err(Failure::ReferencePanicked(_)) = &result {
        panicked.store(true, Ordering::Relaxed);
    }
    result
}

impl CompiledModule for Compiled {
    fn instantiate(&self) -> Result<Box<dyn Instance>, Failure> {
        let mut store = Store::new(&self.engine, Limits::default());
        store.limiter(|limits| limits);
        let instance = guarded(&self.panicked, || {
            wasmi::Instance::new(&mut store, &self.module, &[]).map_err(failure)
        })?;
        Ok(Box::new(WasmiInstance {
            store,
            instance,
            panicked: self.panicked.clone(),
        }))
    }
}

/// wazero's limits, so that `memory.grow` and `table.grow` succeed or fail alike:
/// memories up to [`MEMORY_LIMIT_PAGES`], each table up to 10 million elements
/// within a budget of 2^25 for all tables of the store (wazero's
/// `TABLE_LIMIT` and `StoreLimits::max_table_elements`).
#[derive(Debug, Default)]
struct Limits {
    table_elements: usize,
}

impl ResourceLimiter for Limits {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<bool, LimiterError> {
        let limit = MEMORY_LIMIT_PAGES as usize * 65536;
        Ok(desired <= limit && maximum.is_none_or(|max| desired <= max))
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<bool, LimiterError> {
        let added = desired.saturating_sub(current);
        let allowed = desired <= TABLE_LIMIT
            && maximum.is_none_or(|max| desired <= max)
            && self.table_elements + added <= TABLE_BUDGET;
        if allowed {
            self.table_elements += added;
        }
        Ok(allowed)
    }

    fn instances(&self) -> usize {
        1
    }

    fn tables(&self) -> usize {
        usize::MAX
    }

    fn memories(&self) -> usize {
        usize::MAX
    }
}

/// An instance in a store of its own.
struct WasmiInstance {
    store: Store<Limits>,
    instance: wasmi::Instance,
    /// Its module's [`Compiled::panicked`].
    panicked: Arc<AtomicBool>,
}

impl Instance for WasmiInstance {
    fn call(&mut self, name: &str, args: &[Value]) -> Result<Vec<Value>, Failure> {
        let function = self
            .instance
            .get_func(&self.store, name)
            .ok_or_else(|| Failure::Other(format!("no exported function {name:?}")))?;
        let args: Vec<Val> = args.iter().map(|&arg| to_val(arg)).collect();
        let mut results: Vec<Val> = function
            .ty(&self.store)
            .results()
            .iter()
            .map(|&ty| Val::default_for_ty(ty))
            .collect();
        // wasmi translates a function on its first call, where its
        // translator may panic.
        guarded(&self.panicked, || {
            function
                .call(&mut self.store, &args, &mut results)
                .map_err(failure)
        })?;
        Ok(results.iter().map(from_val).collect())
    }

    fn with_memory(&self, name: &str, f: &mut dyn FnMut(&[u8])) -> bool {
        match self.instance.get_memory(&self.store, name) {
            Some(memory) => {
                f(memory.data(&self.store));
                true
            }
            None => false,
        }
    }

    fn global(&self, name: &str) -> Option<Value> {
        let global = self.instance.get_global(&self.store, name)?;
        Some(from_val(&global.get(&self.store)))
    }

    fn table(&self, name: &str, max_elements: u32) -> Option<(u32, Vec<bool>)> {
        let table = self.instance.get_table(&self.store, name)?;
        let size = u32::try_from(table.size(&self.store)).ok()?;
        let non_null = if size <= max_elements {
            (0..size)
                .map(|i| {
                    table
                        .get(&self.store, u64::from(i))
                        .is_some_and(|r| r.is_non_null())
                })
                .collect()
        } else {
            Vec::new()
        };
        Some((size, non_null))
    }
}

/// A harness value as a wasmi value (references are null: the harness passes no
/// others).
fn to_val(value: Value) -> Val {
    match value {
        Value::I32(v) => Val::I32(v as i32),
        Value::I64(v) => Val::I64(v as i64),
        Value::F32(v) => Val::F32(F32::from_bits(v)),
        Value::F64(v) => Val::F64(F64::from_bits(v)),
        Value::V128(v) => Val::V128(V128::from(v)),
        Value::FuncRef(_) => Val::FuncRef(wasmi::Nullable::Null),
        Value::ExternRef(_) => Val::ExternRef(wasmi::Nullable::Null),
    }
}

/// A wasmi value as the harness compares it.
fn from_val(value: &Val) -> Value {
    match value {
        Val::I32(v) => Value::I32(*v as u32),
        Val::I64(v) => Value::I64(*v as u64),
        Val::F32(v) => Value::F32(v.to_bits()),
        Val::F64(v) => Value::F64(v.to_bits()),
        Val::V128(v) => Value::V128(v.as_u128()),
        Val::FuncRef(r) => Value::FuncRef(!r.is_null()),
        Val::ExternRef(r) => Value::ExternRef(!r.is_null()),
    }
}

/// The harness's view of a wasmi error.
fn failure(error: wasmi::Error) -> Failure {
    if let Some(code) = error.as_trap_code() {
        return Failure::Trap(trap_kind(code));
    }
    match error.kind() {
        // An active element segment out of bounds at instantiation: wasmi checks
        // it before initializing, the spec runs `table.init`, which traps.
        ErrorKind::Instantiation(InstantiationError::ElementSegmentDoesNotFit { .. }) => {
            Failure::Trap(TrapKind::TableOutOfBounds)
        }
        ErrorKind::Instantiation(
            InstantiationError::FailedToInstantiateMemory(_)
            | InstantiationError::FailedToInstantiateTable(_),
        ) => Failure::Resource(error.to_string()),
        _ => Failure::Other(error.to_string()),
    }
}

/// The harness's view of a wasmi trap code.
fn trap_kind(code: TrapCode) -> TrapKind {
    match code {
        TrapCode::UnreachableCodeReached => TrapKind::Unreachable,
        TrapCode::IntegerDivisionByZero => TrapKind::IntegerDivideByZero,
        TrapCode::IntegerOverflow => TrapKind::IntegerOverflow,
        TrapCode::BadConversionToInteger => TrapKind::InvalidConversionToInteger,
        TrapCode::MemoryOutOfBounds => TrapKind::MemoryOutOfBounds,
        TrapCode::TableOutOfBounds => TrapKind::TableOutOfBounds,
        TrapCode::IndirectCallToNull => TrapKind::UninitializedElement,
        TrapCode::BadSignature => TrapKind::IndirectCallTypeMismatch,
        TrapCode::StackOverflow => TrapKind::StackExhausted,
        other => TrapKind::Other(other.trap_message().to_string()),
    }
}
