//! The store: every run-time instance of one namespace.

use std::any::Any;
use std::collections::HashMap;
use std::sync::Arc;

use wazero_api::{FuncType, HeapType, ValueType, MAX_PAGES};

use crate::{
    CallError, Engine, ExternVal, FuncAddr, FuncKind, FunctionInstance, GlobalAddr, GlobalInstance,
    HostError, HostFn, HostResult, InstanceId, MemoryAddr, MemoryInstance, ModuleInstance, SigId,
    TableAddr, TableInstance,
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
    /// The most exceptions the store holds at once (see
    /// [`Exception`](crate::Exception): exceptions the guest keeps as
    /// `exnref` values live as long as the store).
    pub max_exceptions: u32,
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
            max_exceptions: 1 << 20,
        }
    }
}

/// Classifies the error a host function failed with (see
/// [`Store::classify_host_error`]).
pub type ClassifyHostError = fn(Box<dyn std::error::Error + Send + Sync>) -> HostError;

/// The signature id of a freed function slot: no type's.
const FREED_SIG: SigId = SigId(u32::MAX);

/// Every function, table, memory, global and module instance of one namespace.
pub struct Store {
    /// The runtime's engine, through this store's own reference count: a call
    /// takes a reference for its duration, which stays on this core instead
    /// of bouncing the engine's shared count between the cores of stores
    /// running at once.
    engine: Arc<Arc<dyn Engine>>,
    /// Function instances.
    pub funcs: Vec<FunctionInstance>,
    /// Table instances.
    pub tables: Vec<TableInstance>,
    /// Memory instances.
    pub memories: Vec<MemoryInstance>,
    /// Global instances.
    pub globals: Vec<GlobalInstance>,
    /// Exception tags (never freed: exceptions name them).
    pub tags: Vec<crate::TagInstance>,
    /// Exceptions the guest holds.
    pub(crate) exceptions: crate::exception::Exceptions,
    /// Module instances.
    pub instances: Vec<ModuleInstance>,
    names: HashMap<String, InstanceId>,
    sigs: HashMap<FuncType, SigId>,
    /// The signature of each id of `sigs`.
    sig_types: Vec<FuncType>,
    /// Limits for everything in this store.
    pub limits: StoreLimits,
    /// Scratch state an engine keeps between calls (e.g. its value stack), taken
    /// out while a call runs so re-entrant calls get their own.
    pub engine_state: Option<Box<dyn Any + Send>>,
    /// Depth of nested calls across host re-entry, for the call-depth limit.
    pub call_depth: u32,
    /// Elements held by all tables, against `limits.max_table_elements`.
    table_elements: u64,
    /// How many open instances use each memory / table / global; at zero it
    /// is freed and its slot reused.
    pub(crate) memory_users: Vec<u32>,
    pub(crate) table_users: Vec<u32>,
    pub(crate) global_users: Vec<u32>,
    /// The generation of each memory / table / global slot, bumped when it is
    /// freed: a handle made before sees that what it referred to is gone.
    memory_gens: Vec<u32>,
    table_gens: Vec<u32>,
    global_gens: Vec<u32>,
    /// Free slots of each array, to reuse.
    pub(crate) free: FreeSlots,
    /// Closed instances whose resources wait to be released until no guest code runs.
    pub(crate) closed_pending: Vec<InstanceId>,
    /// Instances that may have become unreachable, for [`Store::collect`].
    pub(crate) candidates: Vec<InstanceId>,
    /// Handles on instances (see [`crate::Pins`]).
    pub(crate) pins: Arc<crate::Pins>,
    /// Unreachable-looking instances left to the next scan, and how many
    /// trigger one.
    pub(crate) escaped_waiting: usize,
    pub(crate) scan_threshold: usize,
    /// The debug name of freed function slots (shared, not allocated per slot).
    freed_name: Arc<str>,
    /// Whether backtraces and debug names use the name section.
    pub debug_info: bool,
    /// What the embedder makes of a host function's error that is not one of
    /// this crate's ([`HostError::Failed`]): its own error type may carry a
    /// trap or an exit to pass on (the `wazero` facade's `Error` does). Asked
    /// only when a host function fails.
    pub classify_host_error: Option<ClassifyHostError>,
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
            engine: Arc::new(engine),
            funcs: Vec::new(),
            tables: Vec::new(),
            memories: Vec::new(),
            globals: Vec::new(),
            tags: Vec::new(),
            exceptions: Default::default(),
            instances: Vec::new(),
            names: HashMap::new(),
            sigs: HashMap::new(),
            sig_types: Vec::new(),
            limits,
            engine_state: None,
            call_depth: 0,
            reentry_depth: 0,
            interrupt: Arc::default(),
            native_stack_limit: 0,
            table_elements: 0,
            memory_users: Vec::new(),
            table_users: Vec::new(),
            global_users: Vec::new(),
            memory_gens: Vec::new(),
            table_gens: Vec::new(),
            global_gens: Vec::new(),
            free: FreeSlots::default(),
            closed_pending: Vec::new(),
            candidates: Vec::new(),
            pins: Arc::default(),
            escaped_waiting: 0,
            scan_threshold: 64,
            freed_name: Arc::from("(freed)"),
            debug_info: true,
            classify_host_error: None,
        }
    }

    /// The engine.
    pub fn engine(&self) -> &Arc<dyn Engine> {
        &self.engine
    }

    /// The interned id of `ty`.
    pub fn intern(&mut self, ty: &FuncType) -> SigId {
        if let Some(&id) = self.sigs.get(ty) {
            return id;
        }
        let id = SigId(self.sig_types.len() as u32);
        self.sigs.insert(ty.clone(), id);
        self.sig_types.push(ty.clone());
        id
    }

    /// Whether `value` may be a value of type `ty` here, where `own` is the
    /// signature `ty` appears in (what [`HeapType::SELF`](wazero_api::HeapType::SELF)
    /// stands for): true for a non-reference type; for a reference, null
    /// where the type is nullable, any value for `extern`, and for a function
    /// reference a live function of this store, of the signature the type
    /// names if it names one. Values the host passes in are checked: compiled
    /// code trusts a function reference (it indexes the store's functions
    /// with it, and `call_ref` calls it without a signature check).
    pub fn is_valid_ref(&self, ty: ValueType, value: u64, own: SigId) -> bool {
        let Some(r) = ty.as_ref_type() else {
            return true;
        };
        if value == 0 {
            return r.nullable();
        }
        let want = match r.heap() {
            HeapType::Extern => return true,
            HeapType::Exn => return self.exception(value).is_some(),
            HeapType::Func => None,
            HeapType::Concrete(u32::MAX) => Some(own),
            HeapType::Concrete(sig) => Some(SigId(sig)),
        };
        match crate::funcref_addr(value).and_then(|a| self.funcs.get(a.index())) {
            Some(f) if f.sig != FREED_SIG => want.is_none_or(|want| f.sig == want),
            _ => false,
        }
    }

    /// The first of the values of `types` in `slots` (a `v128` in two) that
    /// [`Store::is_valid_ref`] refuses, by position.
    pub fn invalid_ref(&self, types: &[ValueType], slots: &[u64], own: SigId) -> Option<usize> {
        let mut at = 0;
        for (i, &ty) in types.iter().enumerate() {
            let value = slots.get(at).copied().unwrap_or(0);
            if ty.is_ref() && !self.is_valid_ref(ty, value, own) {
                return Some(i);
            }
            at += ty.slots();
        }
        None
    }

    /// The error for argument or result `index` of function `func`, of a
    /// reference the host made up.
    #[cold]
    fn forged_ref(
        &self,
        func: FuncAddr,
        what: &str,
        index: usize,
    ) -> Box<dyn std::error::Error + Send + Sync> {
        let f = &self.funcs[func.index()];
        let ty = if what == "argument" {
            f.ty.params()[index]
        } else {
            f.ty.results()[index]
        };
        format!(
            "{what} {index} of {} is not a valid {ty} of this runtime",
            f.debug_name
        )
        .into()
    }

    /// The signature with id `id` (of [`Store::intern`]).
    pub fn sig_type(&self, id: SigId) -> &FuncType {
        &self.sig_types[id.0 as usize]
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
        self.alias(name, id);
        true
    }

    /// Makes `name` refer to instance `id`, as the spec test's `register` does.
    /// A registered instance stays alive until it is closed.
    pub fn alias(&mut self, name: &str, id: InstanceId) {
        self.names.insert(name.to_string(), id);
        self.instances[id.index()].registered.push(name.to_string());
    }

    /// Removes every name that refers to instance `id`.
    pub(crate) fn unregister(&mut self, id: InstanceId) {
        for name in std::mem::take(&mut self.instances[id.index()].registered) {
            if self.names.get(&name) == Some(&id) {
                self.names.remove(&name);
            }
        }
    }

    /// Closes instance `id` with `exit_code`: it is no longer callable and its names
    /// are free again. Its memories, tables and globals are freed once no open
    /// instance uses them (immediately, or when the running guest call returns if it
    /// is closed from inside one), its record and functions once nothing reaches
    /// them (see [`Store::collect`]). Returns false if it was already closed.
    pub fn close(&mut self, id: InstanceId, exit_code: u32) -> bool {
        let instance = &mut self.instances[id.index()];
        if instance.closed.is_some() {
            return false;
        }
        instance.closed = Some(exit_code);
        // Its system state (open files, sockets) is released at once; a host
        // function still running for it holds no reference to it across calls.
        let sys = instance.sys.take();
        drop(sys);
        self.unregister(id);
        self.closed_pending.push(id);
        self.collect();
        true
    }

    /// Records that a new instance uses its memories, tables and globals.
    pub(crate) fn add_users(&mut self, id: InstanceId) {
        let instance = &self.instances[id.index()];
        for m in &instance.memories {
            self.memory_users[m.index()] += 1;
        }
        for t in &instance.tables {
            self.table_users[t.index()] += 1;
        }
        for g in &instance.globals {
            self.global_users[g.index()] += 1;
        }
    }

    /// A slot for a new instance (its record is a placeholder until filled).
    pub(crate) fn alloc_instance(&mut self) -> InstanceId {
        match self.free.instances.pop() {
            Some(i) => {
                self.instances[i as usize] = empty_instance("");
                InstanceId(i)
            }
            None => {
                self.instances.push(empty_instance(""));
                InstanceId(self.instances.len() as u32 - 1)
            }
        }
    }

    /// Adds the function instances of one module instance at consecutive
    /// addresses (compiled code tells an instance's own functions by their
    /// address range) and returns their addresses.
    pub(crate) fn alloc_funcs(&mut self, fs: Vec<FunctionInstance>) -> Vec<FuncAddr> {
        let n = fs.len() as u32;
        let start = match self.free.take_funcs(n) {
            Some(start) => {
                for (i, f) in fs.into_iter().enumerate() {
                    self.funcs[start as usize + i] = f;
                }
                start
            }
            None => {
                let start = self.funcs.len() as u32;
                self.funcs.extend(fs);
                start
            }
        };
        (start..start + n).map(FuncAddr).collect()
    }

    /// Frees function slot `f` (its content already replaced).
    pub(crate) fn free_func(&mut self, f: FuncAddr) {
        if let Some(end) = self.free.put_func(f.0, self.funcs.len() as u32) {
            // The free run reached the end of the array: give it back.
            self.funcs.truncate(end as usize);
        }
    }

    /// The results host function `addr` left in `stack`, checked with
    /// [`Store::invalid_ref`]: a host function cannot hand the guest a
    /// function reference it made up.
    #[inline]
    pub fn check_host_results(&self, addr: FuncAddr, stack: &[u64]) -> HostResult {
        let f = &self.funcs[addr.index()];
        match self.invalid_ref(f.ty.results(), stack, f.sig) {
            None => Ok(()),
            Some(i) => Err(Box::new(HostError::Failed(
                self.forged_ref(addr, "result", i),
            ))),
        }
    }

    /// What a freed function slot holds: a function of no instance whose
    /// signature id matches no type, so an indirect call to it traps.
    pub(crate) fn freed_function(&self) -> FunctionInstance {
        FunctionInstance {
            sig: FREED_SIG,
            ty: FuncType::default(),
            kind: FuncKind::Wasm {
                instance: InstanceId(u32::MAX),
                index: 0,
            },
            debug_name: self.freed_name.clone(),
            host_names: None,
        }
    }

    pub(crate) fn free_memory(&mut self, m: MemoryAddr) {
        self.memories[m.index()] = MemoryInstance::empty();
        self.memory_gens[m.index()] = self.memory_gens[m.index()].wrapping_add(1);
        self.free.memories.push(m.0);
    }

    pub(crate) fn free_table(&mut self, t: TableAddr) {
        let table = &mut self.tables[t.index()];
        self.table_elements -= table.elements.len() as u64;
        table.elements = Vec::new();
        self.table_gens[t.index()] = self.table_gens[t.index()].wrapping_add(1);
        self.free.tables.push(t.0);
    }

    pub(crate) fn free_global(&mut self, g: GlobalAddr) {
        self.globals[g.index()].value = 0;
        self.global_gens[g.index()] = self.global_gens[g.index()].wrapping_add(1);
        self.free.globals.push(g.0);
    }

    /// The generation of memory slot `addr`: it changes when the memory is
    /// freed, so a handle that recorded it can tell.
    pub fn memory_gen(&self, addr: MemoryAddr) -> u32 {
        self.memory_gens[addr.index()]
    }

    /// The generation of table slot `addr` (see [`Store::memory_gen`]).
    pub fn table_gen(&self, addr: TableAddr) -> u32 {
        self.table_gens[addr.index()]
    }

    /// The generation of global slot `addr` (see [`Store::memory_gen`]).
    pub fn global_gen(&self, addr: GlobalAddr) -> u32 {
        self.global_gens[addr.index()]
    }

    /// Instantiates a host module: functions implemented in Rust, exported in
    /// order, then tags.
    ///
    /// The instance is returned pinned once (see [`Store::pin`]): the caller
    /// owns that pin.
    pub fn instantiate_host(
        &mut self,
        name: &str,
        functions: &[crate::HostFunctionDef],
        tags: &[crate::HostTagDef],
    ) -> Result<InstanceId, crate::InstantiationError> {
        if self.instance_named(name).is_some() {
            return Err(crate::InstantiationError::NameInUse(name.to_string()));
        }
        let id = self.alloc_instance();
        let mut instance = empty_instance(name);
        instance.escaped = functions
            .iter()
            .any(|f| crate::lifecycle::has_funcref(&f.ty));
        let mut defined = Vec::with_capacity(functions.len());
        for def in functions {
            let sig = self.intern(&def.ty);
            let label = if def.names.name.is_empty() {
                &def.export
            } else {
                &def.names.name
            };
            defined.push(FunctionInstance {
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
        }
        instance.functions = self.alloc_funcs(defined);
        for (def, &addr) in functions.iter().zip(&instance.functions) {
            let export = def.export.clone();
            instance
                .export_map
                .insert(export.clone(), ExternVal::Func(addr));
            instance.exports.push((export, ExternVal::Func(addr)));
        }
        for def in tags {
            let addr = self.new_tag(&def.ty, &format!("{name}.{}", def.export));
            instance.tags.push(addr);
            let export = def.export.clone();
            instance
                .export_map
                .insert(export.clone(), ExternVal::Tag(addr));
            instance.exports.push((export, ExternVal::Tag(addr)));
        }
        self.instances[id.index()] = instance;
        self.add_users(id);
        self.pin(id);
        self.register(name, id);
        Ok(id)
    }

    /// Calls function `func` with its parameters in `stack`; results are left in
    /// `stack` from index 0. `stack` must hold the larger of the parameter and result
    /// slot counts (the caller checks).
    pub fn call(&mut self, func: FuncAddr, stack: &mut [u64]) -> Result<(), CallError> {
        let f = &self.funcs[func.index()];
        if let Some(i) = self.invalid_ref(f.ty.params(), stack, f.sig) {
            return Err(CallError::Host {
                function: "(the caller)".to_string(),
                error: self.forged_ref(func, "argument", i),
            });
        }
        match &self.funcs[func.index()].kind {
            FuncKind::Wasm { instance, .. } => {
                if let Some(code) = self.instances[instance.index()].closed {
                    return Err(CallError::Exit(code));
                }
                let engine = self.engine.clone();
                let result = engine.call_wasm(self, func, stack);
                self.collect();
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
        let mut c = Caller::new(self, caller);
        match f(&mut c, stack) {
            Ok(()) => match self.check_host_results(addr, stack) {
                Ok(()) => Ok(()),
                Err(error) => Err(self.host_failure(addr, caller, *error)),
            },
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
        let error = match (error, self.classify_host_error) {
            (HostError::Failed(error), Some(classify)) => classify(error),
            (error, _) => error,
        };
        match error {
            HostError::Exit(code) => {
                self.close(caller, code);
                CallError::Exit(code)
            }
            HostError::Trap(code) => CallError::Trap(crate::Trap {
                code,
                backtrace: vec![self.funcs[addr.index()].debug_name.to_string()],
            }),
            HostError::Exception(exception) => CallError::Exception(exception),
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

    /// Creates a table of type `ty` with every element `init`, within the
    /// store's element budget.
    pub fn new_table(&mut self, ty: wazero_api::TableType, init: u64) -> Result<TableAddr, String> {
        let min = ty.limits.min;
        if self.table_elements.saturating_add(min) > self.limits.max_table_elements {
            return Err(format!(
                "a table of {min} elements is too large: all tables together may hold {} elements",
                self.limits.max_table_elements
            ));
        }
        let table = TableInstance::new(ty, init).ok_or_else(|| {
            format!(
                "a table of {min} elements is too large: the limit is {} per table",
                crate::table::TABLE_LIMIT
            )
        })?;
        self.table_elements += min;
        if let Some(i) = self.free.tables.pop() {
            self.tables[i as usize] = table;
            self.table_users[i as usize] = 0;
            return Ok(TableAddr(i));
        }
        self.tables.push(table);
        self.table_users.push(0);
        self.table_gens.push(0);
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
        if let Some(i) = self.free.memories.pop() {
            self.memories[i as usize] = m;
            self.memory_users[i as usize] = 0;
            return MemoryAddr(i);
        }
        self.memories.push(m);
        self.memory_users.push(0);
        self.memory_gens.push(0);
        MemoryAddr(self.memories.len() as u32 - 1)
    }

    /// Adds a global instance.
    pub fn push_global(&mut self, g: GlobalInstance) -> GlobalAddr {
        if let Some(i) = self.free.globals.pop() {
            self.globals[i as usize] = g;
            self.global_users[i as usize] = 0;
            return GlobalAddr(i);
        }
        self.globals.push(g);
        self.global_users.push(0);
        self.global_gens.push(0);
        GlobalAddr(self.globals.len() as u32 - 1)
    }
}

/// Free slots of a store's arrays, by index.
#[derive(Default)]
pub(crate) struct FreeSlots {
    /// Free runs of function slots, start to length, merged when adjacent.
    funcs: std::collections::BTreeMap<u32, u32>,
    /// How many function slots the runs hold.
    pub(crate) func_count: usize,
    pub(crate) tables: Vec<u32>,
    pub(crate) memories: Vec<u32>,
    pub(crate) globals: Vec<u32>,
    pub(crate) instances: Vec<u32>,
}

impl FreeSlots {
    /// The start of `n` free consecutive function slots (first fit), taken.
    fn take_funcs(&mut self, n: u32) -> Option<u32> {
        if n == 0 {
            return None;
        }
        let (&start, &len) = self.funcs.iter().find(|(_, &len)| len >= n)?;
        self.funcs.remove(&start);
        if len > n {
            self.funcs.insert(start + n, len - n);
        }
        self.func_count -= n as usize;
        Some(start)
    }

    /// Adds function slot `f` to the free runs, merging it with its
    /// neighbours. When the merged run ends at `end` (the array's length) it
    /// is dropped from the runs and its start returned: the array shrinks.
    fn put_func(&mut self, f: u32, end: u32) -> Option<u32> {
        let (mut start, mut len) = (f, 1);
        if let Some((&before, &before_len)) = self.funcs.range(..f).next_back() {
            if before + before_len == f {
                self.funcs.remove(&before);
                start = before;
                len += before_len;
            }
        }
        if let Some(after_len) = self.funcs.remove(&(f + 1)) {
            len += after_len;
        }
        if start + len == end {
            self.func_count -= (len - 1) as usize;
            return Some(start);
        }
        self.funcs.insert(start, len);
        self.func_count += 1;
        None
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
        tags: Vec::new(),
        sig_ids: Vec::new(),
        exports: Vec::new(),
        export_map: HashMap::new(),
        elements: Vec::new(),
        data_dropped: Vec::new(),
        closed: None,
        data: None,
        sys: None,
        registered: Vec::new(),
        escaped: false,
        released: false,
        freed: false,
    }
}

/// What a host function sees of the module that called it.
///
/// The store stays private: while a host function runs, the guest that called
/// it is suspended with pointers into the store (memory bases, the globals
/// array, tables), so safe code must not be able to replace the store or move,
/// shrink or swap what it holds. What the caller offers instead cannot break
/// that; [`Caller::store_mut`] is the `unsafe` way for a host-function layer
/// (such as `wazero-host`) that keeps to those rules itself.
///
/// Neither the store nor a memory of one's own can be put in their place:
///
/// ```compile_fail,E0616
/// fn host(caller: &mut wazero_store::Caller<'_>) {
///     let _store = &mut caller.store; // private
/// }
/// ```
///
/// ```compile_fail,E0624
/// fn host(caller: &mut wazero_store::Caller<'_>) {
///     if let Some(memory) = caller.memory() {
///         *memory = wazero_store::MemoryInstance::empty(); // only the store makes memories
///     }
/// }
/// ```
pub struct Caller<'a> {
    store: &'a mut Store,
    instance: InstanceId,
}

impl<'a> Caller<'a> {
    /// The caller for a host function called by module `instance` of `store`.
    pub fn new(store: &'a mut Store, instance: InstanceId) -> Self {
        Self { store, instance }
    }

    /// The calling module (for a call from Rust, the module defining the function).
    pub fn instance(&self) -> InstanceId {
        self.instance
    }

    /// The calling module's name.
    pub fn module_name(&self) -> &str {
        &self.store.instance(self.instance).name
    }

    /// The calling module's memory 0, if it has one. It can be read, written
    /// and grown (compiled code sees the growth when the host function returns).
    pub fn memory(&mut self) -> Option<&mut MemoryInstance> {
        let addr = self.store.memory_of(self.instance)?;
        Some(&mut self.store.memories[addr.index()])
    }

    /// Calls function `addr` of the store with `stack` (re-entry into the guest).
    pub fn call(&mut self, addr: FuncAddr, stack: &mut [u64]) -> Result<(), CallError> {
        self.store.call(addr, stack)
    }

    /// The whole store and the calling module, for a host-function layer
    /// built on this crate.
    ///
    /// # Safety
    /// Until the borrow ends, the caller must not replace the store or any
    /// function, table, memory, global or module instance in it, nor remove
    /// or reorder the elements of its vectors, nor shrink a memory or table:
    /// the suspended guest holds pointers into them. Reading, writing memory
    /// bytes, growing memories and tables, setting globals, and calling
    /// functions through [`Store::call`] are fine.
    pub unsafe fn store_mut(&mut self) -> (&mut Store, InstanceId) {
        (self.store, self.instance)
    }
}

#[cfg(test)]
mod tests {
    use super::FreeSlots;

    #[test]
    fn function_runs_are_consecutive_merged_and_given_back() {
        let mut free = FreeSlots::default();
        // Slots 0..10 in use by two instances (0..4, 4..10), 10..12 by a third.
        assert_eq!(free.take_funcs(3), None, "nothing free yet");
        for f in 0..4 {
            assert_eq!(free.put_func(f, 12), None);
        }
        assert_eq!(free.func_count, 4);
        assert_eq!(free.take_funcs(5), None, "no run of 5");
        assert_eq!(free.take_funcs(3), Some(0));
        assert_eq!(free.take_funcs(1), Some(3));
        assert_eq!(free.func_count, 0);
        // Freeing 4..10 in any order merges into one run of 6.
        for f in [7, 5, 9, 4, 6, 8] {
            assert_eq!(free.put_func(f, 12), None);
        }
        assert_eq!(free.take_funcs(6), Some(4));
        for f in [4, 5, 6, 7, 8, 9] {
            assert_eq!(free.put_func(f, 12), None);
        }
        // Freeing the tail merges everything down to 4 and shrinks the array.
        assert_eq!(free.put_func(10, 12), None);
        assert_eq!(free.put_func(11, 12), Some(4));
        assert_eq!(free.func_count, 0);
        assert_eq!(free.take_funcs(1), None);
    }
}
