//! The store: every run-time instance of one namespace.

use std::any::Any;
use std::collections::HashMap;
use std::sync::Arc;

use wazero_api::{FuncType, MAX_PAGES};

use crate::{
    CallError, Engine, ExternVal, FuncAddr, FuncKind, FunctionInstance, GlobalAddr, GlobalInstance,
    HostError, HostFn, InstanceId, MemoryAddr, MemoryInstance, ModuleInstance, SigId, TableAddr,
    TableInstance,
};

/// Limits that apply to everything in a store.
#[derive(Debug, Clone, Copy)]
pub struct StoreLimits {
    /// No memory grows past this many pages.
    pub memory_limit_pages: u32,
    /// Allocate each memory's maximum up front, so it never moves when grown.
    pub memory_capacity_from_max: bool,
    /// The deepest nesting of WebAssembly calls before "call stack exhausted".
    pub max_call_depth: u32,
    /// The most value-stack slots all active frames may use together.
    pub max_stack_slots: usize,
    /// The deepest nesting of host-to-guest re-entry (each uses native stack).
    pub max_reentry_depth: u32,
    /// The most table elements all tables of the store may hold together.
    pub max_table_elements: u64,
}

impl Default for StoreLimits {
    fn default() -> Self {
        Self {
            memory_limit_pages: MAX_PAGES,
            memory_capacity_from_max: false,
            max_call_depth: 100_000,
            max_stack_slots: 4 << 20,
            max_reentry_depth: 256,
            max_table_elements: 1 << 25,
        }
    }
}

/// Every function, table, memory, global and module instance of one namespace.
pub struct Store {
    engine: Arc<dyn Engine>,
    /// Function instances.
    pub funcs: Vec<FunctionInstance>,
    /// Table instances.
    pub tables: Vec<TableInstance>,
    /// Memory instances.
    pub memories: Vec<MemoryInstance>,
    /// Global instances.
    pub globals: Vec<GlobalInstance>,
    /// Module instances.
    pub instances: Vec<ModuleInstance>,
    names: HashMap<String, InstanceId>,
    sigs: HashMap<FuncType, SigId>,
    /// Limits for everything in this store.
    pub limits: StoreLimits,
    /// Scratch state an engine keeps between calls (e.g. its value stack), taken
    /// out while a call runs so re-entrant calls get their own.
    pub engine_state: Option<Box<dyn Any + Send>>,
    /// Depth of nested calls across host re-entry, for the call-depth limit.
    pub call_depth: u32,
    /// Elements held by all tables, against `limits.max_table_elements`.
    table_elements: u64,
    /// How many open instances use each memory / table; at zero it is freed.
    memory_users: Vec<u32>,
    table_users: Vec<u32>,
    /// Closed instances whose resources wait to be released until no guest code runs.
    closed_pending: Vec<InstanceId>,
    /// Whether backtraces and debug names use the name section.
    pub debug_info: bool,
    /// How many engine invocations are nested through host functions; each one
    /// uses native stack, so this is limited separately from the call depth.
    pub reentry_depth: u32,
    /// Requested from any thread to stop the guest code running in this store:
    /// engines check it at loop back-edges and function entries, take it, and
    /// trap with [`TrapCode::Interrupted`](wazero_api::TrapCode::Interrupted).
    pub interrupt: Arc<crate::Interrupt>,
    /// For engines that run guest code on the native stack: the lowest stack
    /// address guest code may use, set by the outermost entry (`reentry_depth`
    /// 0) and kept by entries nested through host functions, so that re-entry
    /// cannot reset the budget.
    pub native_stack_limit: usize,
}

impl Store {
    /// An empty store whose functions run on `engine`.
    pub fn new(engine: Arc<dyn Engine>, limits: StoreLimits) -> Self {
        Self {
            engine,
            funcs: Vec::new(),
            tables: Vec::new(),
            memories: Vec::new(),
            globals: Vec::new(),
            instances: Vec::new(),
            names: HashMap::new(),
            sigs: HashMap::new(),
            limits,
            engine_state: None,
            call_depth: 0,
            reentry_depth: 0,
            interrupt: Arc::default(),
            native_stack_limit: 0,
            table_elements: 0,
            memory_users: Vec::new(),
            table_users: Vec::new(),
            closed_pending: Vec::new(),
            debug_info: true,
        }
    }

    /// The engine.
    pub fn engine(&self) -> &Arc<dyn Engine> {
        &self.engine
    }

    /// The interned id of `ty`.
    pub fn intern(&mut self, ty: &FuncType) -> SigId {
        let next = SigId(self.sigs.len() as u32);
        *self.sigs.entry(ty.clone()).or_insert(next)
    }

    /// The instance registered under `name`.
    pub fn instance_named(&self, name: &str) -> Option<InstanceId> {
        self.names.get(name).copied()
    }

    /// Module instance `id`.
    pub fn instance(&self, id: InstanceId) -> &ModuleInstance {
        &self.instances[id.index()]
    }

    /// Registers `id` under `name` (empty names are not registered).
    pub(crate) fn register(&mut self, name: &str, id: InstanceId) -> bool {
        if name.is_empty() {
            return true;
        }
        if self.names.contains_key(name) {
            return false;
        }
        self.names.insert(name.to_string(), id);
        true
    }

    /// Makes `name` refer to instance `id`, as the spec test's `register` does.
    pub fn alias(&mut self, name: &str, id: InstanceId) {
        self.names.insert(name.to_string(), id);
    }

    /// Closes instance `id` with `exit_code`: it is no longer callable and its name is
    /// free again. Its memories and tables are freed once no open instance uses them
    /// (immediately, or when the running guest call returns if it is closed from
    /// inside one). Returns false if it was already closed.
    pub fn close(&mut self, id: InstanceId, exit_code: u32) -> bool {
        let instance = &mut self.instances[id.index()];
        if instance.closed.is_some() {
            return false;
        }
        instance.closed = Some(exit_code);
        // Its system state (open files, sockets) is released at once; a host
        // function still running for it holds no reference to it across calls.
        instance.sys = None;
        if self.names.get(&instance.name) == Some(&id) {
            self.names.remove(&instance.name);
        }
        self.closed_pending.push(id);
        self.release_closed();
        true
    }

    /// Records that a new instance uses its memories and tables.
    pub(crate) fn add_users(&mut self, id: InstanceId) {
        let instance = &self.instances[id.index()];
        for m in &instance.memories {
            self.memory_users[m.index()] += 1;
        }
        for t in &instance.tables {
            self.table_users[t.index()] += 1;
        }
    }

    /// Frees what closed instances held and no open instance uses, unless guest
    /// code is running (an engine may hold pointers into those memories).
    fn release_closed(&mut self) {
        if self.reentry_depth > 0 {
            return;
        }
        if !self.closed_pending.is_empty() {
            crate::note_resize();
        }
        for id in std::mem::take(&mut self.closed_pending) {
            let instance = &mut self.instances[id.index()];
            let memories = std::mem::take(&mut instance.memories);
            let tables = std::mem::take(&mut instance.tables);
            instance.elements.clear();
            instance.code = None;
            for m in memories {
                self.memory_users[m.index()] -= 1;
                if self.memory_users[m.index()] == 0 {
                    self.memories[m.index()] = MemoryInstance::empty();
                }
            }
            for t in tables {
                self.table_users[t.index()] -= 1;
                if self.table_users[t.index()] == 0 {
                    let table = &mut self.tables[t.index()];
                    self.table_elements -= table.elements.len() as u64;
                    table.elements = Vec::new();
                }
            }
        }
    }

    /// Instantiates a host module: functions implemented in Rust, exported in order.
    pub fn instantiate_host(
        &mut self,
        name: &str,
        functions: &[crate::HostFunctionDef],
    ) -> Result<InstanceId, crate::InstantiationError> {
        if self.instance_named(name).is_some() {
            return Err(crate::InstantiationError::NameInUse(name.to_string()));
        }
        let id = InstanceId(self.instances.len() as u32);
        let mut instance = empty_instance(name);
        for def in functions {
            let export = def.export.clone();
            let addr = FuncAddr(self.funcs.len() as u32);
            let sig = self.intern(&def.ty);
            let label = if def.names.name.is_empty() {
                &export
            } else {
                &def.names.name
            };
            self.funcs.push(FunctionInstance {
                sig,
                ty: def.ty.clone(),
                kind: FuncKind::Host {
                    instance: id,
                    func: def.func.clone(),
                    direct: def.direct.clone(),
                },
                debug_name: format!("{name}.{label}").into(),
                host_names: Some(def.names.clone()),
            });
            instance.functions.push(addr);
            instance
                .export_map
                .insert(export.clone(), ExternVal::Func(addr));
            instance.exports.push((export, ExternVal::Func(addr)));
        }
        self.instances.push(instance);
        self.add_users(id);
        self.register(name, id);
        Ok(id)
    }

    /// Calls function `func` with its parameters in `stack`; results are left in
    /// `stack` from index 0. `stack` must hold the larger of the parameter and result
    /// slot counts (the caller checks).
    pub fn call(&mut self, func: FuncAddr, stack: &mut [u64]) -> Result<(), CallError> {
        match &self.funcs[func.index()].kind {
            FuncKind::Wasm { instance, .. } => {
                if let Some(code) = self.instances[instance.index()].closed {
                    return Err(CallError::Exit(code));
                }
                let engine = self.engine.clone();
                let result = engine.call_wasm(self, func, stack);
                self.release_closed();
                result
            }
            FuncKind::Host {
                instance, func: f, ..
            } => {
                let (instance, f) = (*instance, f.clone());
                self.call_host(func, instance, &*f, stack)
            }
        }
    }

    /// Runs host function `addr` (closure `f`) on behalf of `caller`, turning its
    /// failure into a [`CallError`]. Engines call this for imported host functions.
    #[inline]
    pub fn call_host(
        &mut self,
        addr: FuncAddr,
        caller: InstanceId,
        f: &HostFn,
        stack: &mut [u64],
    ) -> Result<(), CallError> {
        let mut c = Caller {
            store: self,
            instance: caller,
        };
        match f(&mut c, stack) {
            Ok(()) => Ok(()),
            Err(error) => Err(self.host_failure(addr, caller, *error)),
        }
    }

    /// What the failure of host function `addr`, called by `caller`, means
    /// for the call: an exit closes the calling module. Out of line, so that
    /// the inlined success path of [`Store::call_host`] (and an engine's own)
    /// stays small.
    #[cold]
    #[inline(never)]
    pub fn host_failure(
        &mut self,
        addr: FuncAddr,
        caller: InstanceId,
        error: HostError,
    ) -> CallError {
        match error {
            HostError::Exit(code) => {
                self.close(caller, code);
                CallError::Exit(code)
            }
            HostError::Trap(code) => CallError::Trap(crate::Trap {
                code,
                backtrace: vec![self.funcs[addr.index()].debug_name.to_string()],
            }),
            HostError::Call(error) => error,
            HostError::Failed(error) => CallError::Host {
                function: self.funcs[addr.index()].debug_name.to_string(),
                error,
            },
        }
    }

    /// The memory at index 0 of instance `id`, if it has one.
    pub fn memory_of(&self, id: InstanceId) -> Option<MemoryAddr> {
        self.instances[id.index()].memories.first().copied()
    }

    /// Creates a table of type `ty`, within the store's element budget.
    pub fn new_table(&mut self, ty: wazero_api::TableType) -> Result<TableAddr, String> {
        let min = ty.limits.min;
        if self.table_elements.saturating_add(min) > self.limits.max_table_elements {
            return Err(format!(
                "a table of {min} elements is too large: all tables together may hold {} elements",
                self.limits.max_table_elements
            ));
        }
        let table = TableInstance::new(ty, 0).ok_or_else(|| {
            format!(
                "a table of {min} elements is too large: the limit is {} per table",
                crate::table::TABLE_LIMIT
            )
        })?;
        self.table_elements += min;
        self.tables.push(table);
        self.table_users.push(0);
        Ok(TableAddr(self.tables.len() as u32 - 1))
    }

    /// Grows table `addr` by `delta` elements set to `init`: the previous size, or
    /// `None` past its maximum or the store's element budget (`table.grow`'s -1).
    pub fn grow_table(&mut self, addr: TableAddr, delta: u32, init: u64) -> Option<u32> {
        if self.table_elements + u64::from(delta) > self.limits.max_table_elements {
            return None;
        }
        let old = self.tables[addr.index()].grow(delta, init)?;
        self.table_elements += u64::from(delta);
        Some(old)
    }

    /// Adds a memory instance.
    pub fn push_memory(&mut self, m: MemoryInstance) -> MemoryAddr {
        self.memories.push(m);
        self.memory_users.push(0);
        MemoryAddr(self.memories.len() as u32 - 1)
    }

    /// Adds a global instance.
    pub fn push_global(&mut self, g: GlobalInstance) -> GlobalAddr {
        self.globals.push(g);
        GlobalAddr(self.globals.len() as u32 - 1)
    }
}

pub(crate) fn empty_instance(name: &str) -> ModuleInstance {
    ModuleInstance {
        name: name.to_string(),
        module: None,
        code: None,
        functions: Vec::new(),
        host_imports: Vec::new(),
        direct_imports: Vec::new(),
        tables: Vec::new(),
        memories: Vec::new(),
        globals: Vec::new(),
        sig_ids: Vec::new(),
        exports: Vec::new(),
        export_map: HashMap::new(),
        elements: Vec::new(),
        data_dropped: Vec::new(),
        closed: None,
        data: None,
        sys: None,
    }
}

/// What a host function sees of the module that called it.
pub struct Caller<'a> {
    /// The store of the calling module.
    pub store: &'a mut Store,
    /// The calling module (for a call from Rust, the module defining the function).
    pub instance: InstanceId,
}

impl Caller<'_> {
    /// The calling module's name.
    pub fn module_name(&self) -> &str {
        &self.store.instance(self.instance).name
    }

    /// The calling module's memory 0, if it has one.
    pub fn memory(&mut self) -> Option<&mut MemoryInstance> {
        let addr = self.store.memory_of(self.instance)?;
        Some(&mut self.store.memories[addr.index()])
    }
}
