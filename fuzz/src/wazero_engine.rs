//! wazero's engines, through the public facade.

use wazero::api::{decode_v128, encode_v128};
use wazero::{Error, ModuleConfig, Namespace, Runtime, RuntimeConfig, TrapCode, ValueType};

use crate::engine::{CompiledModule, Engine, Failure, Instance, TrapKind};
use crate::generate::MEMORY_LIMIT_PAGES;
use crate::value::Value;

/// A wazero engine: a [`RuntimeConfig`] with the harness's limits.
pub struct Wazero {
    name: String,
    config: RuntimeConfig,
}

impl Wazero {
    /// The engine `config` selects (e.g. [`RuntimeConfig::interpreter`]), named
    /// `name` in reports. The memory limit becomes the harness's; the call depth
    /// stays the default, far beyond what the generator's fuel allows.
    pub fn new(name: &str, config: RuntimeConfig) -> Self {
        Self {
            name: name.to_string(),
            config: config.with_memory_limit_pages(MEMORY_LIMIT_PAGES),
        }
    }
}

impl Engine for Wazero {
    fn name(&self) -> &str {
        &self.name
    }

    fn compile(&self, wasm: &[u8]) -> Result<Box<dyn CompiledModule>, String> {
        let runtime = Runtime::with_config(self.config.clone());
        let compiled = runtime.compile_module(wasm).map_err(|e| e.to_string())?;
        Ok(Box::new(Compiled { runtime, compiled }))
    }
}

/// A module compiled by a wazero runtime.
struct Compiled {
    runtime: Runtime,
    compiled: wazero::CompiledModule,
}

impl CompiledModule for Compiled {
    fn instantiate(&self) -> Result<Box<dyn Instance>, Failure> {
        // A namespace per instance, so that the store's budgets (table elements)
        // start afresh, as they do in a fresh wasmi store.
        let namespace = self.runtime.new_namespace();
        let config = ModuleConfig::new().with_name("").with_start_functions(&[]);
        let module = namespace
            .instantiate_module(&self.compiled, config)
            .map_err(failure)?;
        Ok(Box::new(WazeroInstance {
            _namespace: namespace,
            module,
        }))
    }
}

/// An instance in a namespace of its own.
struct WazeroInstance {
    _namespace: Namespace,
    module: wazero::Module,
}

impl Instance for WazeroInstance {
    fn call(&mut self, name: &str, args: &[Value]) -> Result<Vec<Value>, Failure> {
        let function = self
            .module
            .exported_function(name)
            .ok_or_else(|| Failure::Other(format!("no exported function {name:?}")))?;
        let mut slots = Vec::with_capacity(args.len() * 2);
        for arg in args {
            match *arg {
                Value::I32(v) => slots.push(u64::from(v)),
                Value::I64(v) | Value::F64(v) => slots.push(v),
                Value::F32(v) => slots.push(u64::from(v)),
                Value::V128(v) => slots.extend(encode_v128(v)),
                // Null references; the harness passes no others.
                Value::FuncRef(_) | Value::ExternRef(_) => slots.push(0),
            }
        }
        let results = function.call(&slots).map_err(failure)?;
        let mut slots = results.into_iter();
        let mut next = || slots.next().unwrap_or_default();
        Ok(function
            .ty()
            .results()
            .iter()
            .map(|ty| match ty {
                ValueType::I32 => Value::I32(next() as u32),
                ValueType::I64 => Value::I64(next()),
                ValueType::F32 => Value::F32(next() as u32),
                ValueType::F64 => Value::F64(next()),
                ValueType::V128 => {
                    let lo = next();
                    Value::V128(decode_v128(lo, next()))
                }
                ValueType::ExternRef => Value::ExternRef(next() != 0),
                r if r.is_func_ref() => Value::FuncRef(next() != 0),
                _ => Value::ExternRef(next() != 0),
            })
            .collect())
    }

    fn with_memory(&self, name: &str, f: &mut dyn FnMut(&[u8])) -> bool {
        self.module
            .exported_memory(name)
            .and_then(|memory| memory.with_bytes(|bytes| f(bytes)))
            .is_some()
    }

    fn global(&self, name: &str) -> Option<Value> {
        let global = self.module.exported_global(name)?;
        let bits = global.get_v128();
        Some(match global.value_type()? {
            ValueType::I32 => Value::I32(bits as u32),
            ValueType::I64 => Value::I64(bits as u64),
            ValueType::F32 => Value::F32(bits as u32),
            ValueType::F64 => Value::F64(bits as u64),
            ValueType::V128 => Value::V128(bits),
            r if r.is_func_ref() => Value::FuncRef(bits != 0),
            _ => Value::ExternRef(bits != 0),
        })
    }

    fn table(&self, name: &str, max_elements: u32) -> Option<(u32, Vec<bool>)> {
        let table = self.module.exported_table(name)?;
        let size = table.size();
        let non_null = if size <= max_elements {
            (0..size).map(|i| table.get(i).unwrap_or(0) != 0).collect()
        } else {
            Vec::new()
        };
        Some((size, non_null))
    }
}

/// The harness's view of a wazero error.
fn failure(error: Error) -> Failure {
    match error {
        Error::Trap(trap) => Failure::Trap(trap_kind(trap.code, &trap.to_string())),
        Error::Resource(message) => Failure::Resource(message),
        // The module's own name for the tag (instances are named apart).
        Error::Exception(e) => {
            let tag = e.tag_name().rsplit('.').next().unwrap_or_default();
            Failure::Exception(format!("{tag} {:?}", e.payload()))
        }
        other => Failure::Other(other.to_string()),
    }
}

/// The harness's view of a wazero trap code.
fn trap_kind(code: TrapCode, message: &str) -> TrapKind {
    match code {
        TrapCode::Unreachable => TrapKind::Unreachable,
        TrapCode::IntegerDivideByZero => TrapKind::IntegerDivideByZero,
        TrapCode::IntegerOverflow => TrapKind::IntegerOverflow,
        TrapCode::InvalidConversionToInteger => TrapKind::InvalidConversionToInteger,
        TrapCode::MemoryOutOfBounds => TrapKind::MemoryOutOfBounds,
        // `call_indirect` past the end of its table: "undefined element" in the
        // spec, a table access out of bounds to wasmi (and the same failure).
        TrapCode::TableOutOfBounds | TrapCode::UndefinedElement => TrapKind::TableOutOfBounds,
        TrapCode::UninitializedElement => TrapKind::UninitializedElement,
        TrapCode::IndirectCallTypeMismatch => TrapKind::IndirectCallTypeMismatch,
        TrapCode::StackExhausted => TrapKind::StackExhausted,
        TrapCode::NullReference => TrapKind::NullReference,
        TrapCode::NullFunctionReference => TrapKind::NullFunctionReference,
        _ => TrapKind::Other(message.to_string()),
    }
}
