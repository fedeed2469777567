//! Function, global and module instances.

use std::collections::HashMap;
use std::sync::Arc;

use wazero_api::{FuncType, GlobalType};
use wazero_validator::ValidatedModule;

use crate::{
    CompiledCode, DirectHostFn, DirectImport, FuncAddr, GlobalAddr, HostFunc, InstanceId,
    MemoryAddr, SigId, TableAddr, TagAddr,
};

/// Something a module exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExternVal {
    /// A function.
    Func(FuncAddr),
    /// A table.
    Table(TableAddr),
    /// A memory.
    Memory(MemoryAddr),
    /// A global.
    Global(GlobalAddr),
    /// An exception tag.
    Tag(TagAddr),
}

impl ExternVal {
    /// Its kind.
    pub fn extern_type(self) -> wazero_api::ExternType {
        use wazero_api::ExternType;
        match self {
            ExternVal::Func(_) => ExternType::Func,
            ExternVal::Table(_) => ExternType::Table,
            ExternVal::Memory(_) => ExternType::Memory,
            ExternVal::Global(_) => ExternType::Global,
            ExternVal::Tag(_) => ExternType::Tag,
        }
    }
}

/// A function: WebAssembly code of an instance, or a Rust closure.
#[derive(Clone)]
pub struct FunctionInstance {
    /// Its signature, interned in the store.
    pub sig: SigId,
    /// Its type.
    pub ty: FuncType,
    /// Where its code is.
    pub kind: FuncKind,
    /// `module.name` for errors and backtraces (wazero's `DebugName`).
    pub debug_name: Arc<str>,
    /// Names given by the host module builder, for host functions.
    pub host_names: Option<Arc<HostNames>>,
}

/// Names of a host function, from its builder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostNames {
    /// Its name (may differ from the export name).
    pub name: String,
    /// Parameter names, if given.
    pub params: Vec<String>,
    /// Result names, if given.
    pub results: Vec<String>,
}

/// A function a host module defines.
#[derive(Clone)]
pub struct HostFunctionDef {
    /// The name it is exported under.
    pub export: String,
    /// Its signature.
    pub ty: FuncType,
    /// Its code.
    pub func: HostFunc,
    /// Its direct entry for compiled code, if its type fits.
    pub direct: Option<DirectHostFn>,
    /// Its names.
    pub names: Arc<HostNames>,
}

/// A tag a host module defines (exception handling).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostTagDef {
    /// The name it is exported under.
    pub export: String,
    /// Its type: the parameters are the payload's types, no results.
    pub ty: FuncType,
}

/// Where a function's code is.
#[derive(Clone)]
pub enum FuncKind {
    /// Function `index` (among the module's defined functions) of an instance.
    Wasm {
        /// The instance it belongs to.
        instance: InstanceId,
        /// Index among the defined (not imported) functions.
        index: u32,
    },
    /// A Rust closure, defined by the host module `instance`.
    Host {
        /// The host module defining it.
        instance: InstanceId,
        /// The closure.
        func: HostFunc,
        /// Its direct entry for compiled code, if it has one.
        direct: Option<DirectHostFn>,
    },
}

/// A global variable.
#[derive(Debug, Clone, Copy)]
pub struct GlobalInstance {
    /// Its type.
    pub ty: GlobalType,
    /// Its value (a `v128` uses all 128 bits, every other type the low 64).
    pub value: u128,
}

/// An instantiated module: the addresses of what it defines and imports.
pub struct ModuleInstance {
    /// The name it was instantiated under (may be empty).
    pub name: String,
    /// The module it instantiates; `None` for host modules.
    pub module: Option<Arc<ValidatedModule>>,
    /// The engine's code for it; `None` for host modules.
    pub code: Option<Arc<dyn CompiledCode>>,
    /// Function index space (imports first).
    pub functions: Vec<FuncAddr>,
    /// The closure of each imported function that is a host function (`None`
    /// for a WebAssembly function), by import index: an engine calls a host
    /// import through it without looking the function up in the store.
    pub host_imports: Vec<Option<HostFunc>>,
    /// The direct entry of each imported function, by import index (see
    /// [`DirectImport`]).
    pub direct_imports: Vec<DirectImport>,
    /// Table index space.
    pub tables: Vec<TableAddr>,
    /// Memory index space.
    pub memories: Vec<MemoryAddr>,
    /// Global index space.
    pub globals: Vec<GlobalAddr>,
    /// Tag index space.
    pub tags: Vec<TagAddr>,
    /// Interned signature of each type in the type section.
    pub sig_ids: Vec<SigId>,
    /// Exports in declaration order.
    pub exports: Vec<(String, ExternVal)>,
    /// Exports by name.
    pub export_map: HashMap<String, ExternVal>,
    /// Evaluated element segments; `None` once dropped.
    pub elements: Vec<Option<Arc<[u64]>>>,
    /// Whether each data segment was dropped.
    pub data_dropped: Vec<bool>,
    /// Set when the module is closed, with its exit code.
    pub closed: Option<u32>,
    /// Data the embedder attached at instantiation, for its host functions.
    pub data: Option<Box<dyn std::any::Any + Send>>,
    /// The system context (WASI state: arguments, environment, open files) the
    /// embedder configured for this instance, for the system host functions.
    pub sys: Option<Box<dyn std::any::Any + Send>>,
    /// The names it is registered under (its own and aliases).
    pub(crate) registered: Vec<String>,
    /// Whether references to its functions may be held outside its own tables,
    /// globals and segments (see `lifecycle`): then only a scan of the store
    /// can tell that it is unreachable.
    pub(crate) escaped: bool,
    /// Whether its memories, tables and globals were released (after a close).
    pub(crate) released: bool,
    /// Whether this slot is free (the instance is gone and the slot reusable).
    pub(crate) freed: bool,
}

impl ModuleInstance {
    /// The export called `name`.
    pub fn export(&self, name: &str) -> Option<ExternVal> {
        self.export_map.get(name).copied()
    }
}
