//! When instances, and the slots of the store they occupy, are freed.
//!
//! An instance is *rooted* while it is registered under a name and open, or
//! while the embedder holds a handle on it (a [`Pins`] count). Everything else
//! is freed as soon as nothing live can reach it: its memories, tables and
//! globals once no open instance uses them, its function instances and its
//! record once no live instance can reach its functions. Freed slots are
//! reused, so instantiating and freeing in a loop runs in constant memory.
//!
//! What can reach an instance's functions: the imports of another instance,
//! and `funcref` values in tables, globals and element segments. Most modules
//! never let a reference to their functions out: they import no table, no
//! `funcref` global and no function taking or returning a `funcref`, export
//! none of these either, and no other instance imports from them. Such an
//! instance is freed at once when it is closed or loses its last root
//! (`escaped` is false). For the others (`escaped`) only a scan of the store
//! can tell; it marks what the roots reach, frees the rest, and runs once the
//! number of such instances waiting since the last scan passes the number of
//! live instances (or 64), so its cost is amortized over the frees.
//!
//! A `funcref` value held by Rust code as a number (a `u64` result of a call)
//! does not keep its function alive.
//!
//! Nothing is freed while guest code runs (`reentry_depth > 0`): engines hold
//! pointers into memories, tables and function instances during a call.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

use wazero_api::{ExternType, FuncType, ValueType};
use wazero_decoder::ImportDesc;
use wazero_validator::ValidatedModule;

use crate::{funcref_addr, FuncKind, InstanceId, Store};

/// The handles the embedder holds on each instance of a store.
///
/// Handles are dropped on any thread, also while another thread runs guest
/// code under the store's lock, so the counts live outside the store, behind a
/// lock of their own that is never held while anything else is done. An
/// instance whose count falls to zero is queued; the store looks at the queue
/// in [`Store::collect`].
#[derive(Default)]
pub struct Pins {
    inner: Mutex<PinsInner>,
    /// Whether `inner.dropped` is not empty, readable without the lock.
    dropped: AtomicBool,
}

#[derive(Default)]
struct PinsInner {
    counts: Vec<u32>,
    dropped: Vec<InstanceId>,
}

impl Pins {
    fn inner(&self) -> std::sync::MutexGuard<'_, PinsInner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds a handle on `id`, which must be pinned already (a clone of a
    /// handle); a first pin is made with [`Store::pin`], under the store.
    pub fn repin(&self, id: InstanceId) {
        let mut inner = self.inner();
        debug_assert!(inner.counts.get(id.index()).is_some_and(|&c| c > 0));
        Self::add(&mut inner, id);
    }

    fn add(inner: &mut PinsInner, id: InstanceId) {
        if inner.counts.len() <= id.index() {
            inner.counts.resize(id.index() + 1, 0);
        }
        inner.counts[id.index()] += 1;
    }

    /// Removes a handle on `id`. Returns true when it was the last one: the
    /// instance is then freed at the store's next [`Store::collect`] if
    /// nothing else keeps it.
    pub fn unpin(&self, id: InstanceId) -> bool {
        let mut inner = self.inner();
        let Some(count) = inner.counts.get_mut(id.index()) else {
            return false;
        };
        *count = count.saturating_sub(1);
        if *count > 0 {
            return false;
        }
        inner.dropped.push(id);
        self.dropped.store(true, Ordering::Release);
        true
    }

    /// Whether instances lost their last handle since the last collection.
    pub fn has_dropped(&self) -> bool {
        self.dropped.load(Ordering::Acquire)
    }

    pub(crate) fn is_pinned(&self, id: InstanceId) -> bool {
        self.inner().counts.get(id.index()).is_some_and(|&c| c > 0)
    }

    fn take_dropped(&self) -> Vec<InstanceId> {
        let mut inner = self.inner();
        self.dropped.store(false, Ordering::Release);
        std::mem::take(&mut inner.dropped)
    }
}

/// How many slots of each kind a store has in use, and in all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Module instances (open, or closed but still reachable).
    pub instances: usize,
    /// Function instances.
    pub functions: usize,
    /// Memory instances.
    pub memories: usize,
    /// Table instances.
    pub tables: usize,
    /// Global instances.
    pub globals: usize,
    /// Slots of every kind, used or free: what the store's arrays hold.
    pub slots: usize,
}

/// Whether a reference to one of `module`'s functions can leave its own
/// tables, globals and segments through what it imports or exports.
pub(crate) fn module_escapes(module: &ValidatedModule) -> bool {
    let imports = module.imports.iter().any(|import| match import.desc {
        ImportDesc::Func(t) => has_funcref(&module.types[t as usize]),
        ImportDesc::Table(_) => true,
        ImportDesc::Global(g) => g.content.is_func_ref(),
        ImportDesc::Memory(_) => false,
        ImportDesc::Tag(t) => has_funcref(&module.types[t as usize]),
    });
    // An exception carries its payload wherever it is thrown to, and the
    // store keeps it where no scan looks.
    let tags = module
        .tags
        .iter()
        .any(|&t| has_funcref(&module.types[t as usize]));
    let imported_globals: Vec<ValueType> = module
        .imports
        .iter()
        .filter_map(|i| match i.desc {
            ImportDesc::Global(g) => Some(g.content),
            _ => None,
        })
        .collect();
    let global_type = |index: u32| {
        let index = index as usize;
        imported_globals.get(index).copied().or_else(|| {
            let defined = module.globals.get(index - imported_globals.len())?;
            Some(defined.ty.content)
        })
    };
    let exports = module.exports.iter().any(|export| match export.kind {
        ExternType::Func => module.function_type(export.index).is_none_or(has_funcref),
        ExternType::Table => true,
        ExternType::Global => global_type(export.index).is_none_or(ValueType::is_func_ref),
        ExternType::Memory | ExternType::Tag => false,
    });
    imports || exports || tags
}

/// Whether a function of type `ty` takes or returns a function reference.
pub(crate) fn has_funcref(ty: &FuncType) -> bool {
    ty.params()
        .iter()
        .chain(ty.results())
        .any(|&t| t.is_func_ref())
}

impl Store {
    /// Records a handle on instance `id`: it stays alive (its record and its
    /// functions; its memories and tables until it is closed) until the
    /// handle is given back with [`Pins::unpin`].
    pub fn pin(&self, id: InstanceId) {
        assert!(
            !self.instances[id.index()].freed,
            "pinning a freed instance"
        );
        Pins::add(&mut self.pins.inner(), id);
    }

    /// The handle counts of this store's instances, to release a handle
    /// without the store.
    pub fn pins(&self) -> &std::sync::Arc<Pins> {
        &self.pins
    }

    /// How many slots of each kind are in use.
    pub fn stats(&self) -> StoreStats {
        let free = &self.free;
        StoreStats {
            instances: self.instances.len() - free.instances.len(),
            functions: self.funcs.len() - free.func_count,
            memories: self.memories.len() - free.memories.len(),
            tables: self.tables.len() - free.tables.len(),
            globals: self.globals.len() - free.globals.len(),
            slots: self.instances.len()
                + self.funcs.len()
                + self.memories.len()
                + self.tables.len()
                + self.globals.len(),
        }
    }

    /// Frees what nothing live can reach any more (see the module
    /// documentation of `lifecycle`): the resources of closed instances,
    /// instances that lost their last root, and, now and then, whatever a scan
    /// finds unreachable. Does nothing while guest code runs.
    pub fn collect(&mut self) {
        if self.reentry_depth > 0 {
            return;
        }
        loop {
            for id in std::mem::take(&mut self.closed_pending) {
                self.release(id);
                self.candidates.push(id);
            }
            if self.pins.has_dropped() {
                let dropped = self.pins.take_dropped();
                self.candidates.extend(dropped);
            }
            if self.candidates.is_empty() {
                break;
            }
            for id in std::mem::take(&mut self.candidates) {
                let inst = &self.instances[id.index()];
                let rooted = inst.closed.is_none() && !inst.registered.is_empty();
                if inst.freed || rooted || self.pins.is_pinned(id) {
                    continue;
                }
                if inst.escaped {
                    self.escaped_waiting += 1;
                    continue;
                }
                self.discard(id);
            }
        }
        if self.escaped_waiting > self.scan_threshold {
            self.scan();
        }
    }

    /// Frees every instance no root reaches.
    pub fn scan(&mut self) {
        self.escaped_waiting = 0;
        let n = self.instances.len();
        let mut marked = vec![false; n];
        let mut work = Vec::new();
        for (i, inst) in self.instances.iter().enumerate() {
            let id = InstanceId(i as u32);
            if inst.freed {
                continue;
            }
            if (inst.closed.is_none() && !inst.registered.is_empty()) || self.pins.is_pinned(id) {
                marked[i] = true;
                work.push(i);
            }
        }
        while let Some(i) = work.pop() {
            let inst = &self.instances[i];
            let mut reach = |func: Option<crate::FuncAddr>| {
                let owner = func
                    .and_then(|f| self.funcs.get(f.index()))
                    .map(|f| match f.kind {
                        FuncKind::Wasm { instance, .. } | FuncKind::Host { instance, .. } => {
                            instance.index()
                        }
                    });
                if let Some(owner) = owner.filter(|&o| o < n) {
                    if !marked[owner] {
                        marked[owner] = true;
                        work.push(owner);
                    }
                }
            };
            for &f in &inst.functions {
                reach(Some(f));
            }
            if inst.closed.is_some() {
                // Its tables, globals and segments are released.
                continue;
            }
            for t in &inst.tables {
                let table = &self.tables[t.index()];
                if table.ty.element.is_func_ref() {
                    for &e in &table.elements {
                        reach(funcref_addr(e));
                    }
                }
            }
            for g in &inst.globals {
                let global = &self.globals[g.index()];
                if global.ty.content.is_func_ref() {
                    reach(funcref_addr(global.value as u64));
                }
            }
            for items in inst.elements.iter().flatten() {
                for &e in items.iter() {
                    reach(funcref_addr(e));
                }
            }
        }
        for (i, &reached) in marked.iter().enumerate() {
            if !reached && !self.instances[i].freed {
                self.discard(InstanceId(i as u32));
            }
        }
        let live = self.instances.len() - self.free.instances.len();
        self.scan_threshold = live.max(64);
    }

    /// Closes (if open), releases and frees instance `id`, which nothing
    /// reaches.
    fn discard(&mut self, id: InstanceId) {
        let inst = &mut self.instances[id.index()];
        if inst.closed.is_none() {
            inst.closed = Some(0);
            let sys = inst.sys.take();
            drop(sys);
        }
        self.release(id);
        self.free_instance(id);
    }

    /// Releases the memories, tables and globals of closed instance `id` that
    /// no open instance uses, and what only running it needed.
    pub(crate) fn release(&mut self, id: InstanceId) {
        let instance = &mut self.instances[id.index()];
        if instance.released {
            return;
        }
        instance.released = true;
        // No resize epoch bump: this runs only while no guest code runs in
        // this store (`collect` checks `reentry_depth`), so no engine holds a
        // cached base or length of these memories and tables; and no other
        // store can reach them. (A bump per close would make every thread's
        // host calls re-read a cache line another core just wrote.)
        let memories = std::mem::take(&mut instance.memories);
        let tables = std::mem::take(&mut instance.tables);
        let globals = std::mem::take(&mut instance.globals);
        let elements = std::mem::take(&mut instance.elements);
        let code = instance.code.take();
        let host_imports = std::mem::take(&mut instance.host_imports);
        instance.direct_imports = Vec::new();
        instance.data_dropped = Vec::new();
        // Handles to what it exported would outlive the slots, which are
        // reused: only functions (which live with the instance) stay.
        instance
            .export_map
            .retain(|_, v| matches!(v, crate::ExternVal::Func(_)));
        instance
            .exports
            .retain(|(_, v)| matches!(v, crate::ExternVal::Func(_)));
        for m in memories {
            self.memory_users[m.index()] -= 1;
            if self.memory_users[m.index()] == 0 {
                self.free_memory(m);
            }
        }
        for t in tables {
            self.table_users[t.index()] -= 1;
            if self.table_users[t.index()] == 0 {
                self.free_table(t);
            }
        }
        for g in globals {
            self.global_users[g.index()] -= 1;
            if self.global_users[g.index()] == 0 {
                self.free_global(g);
            }
        }
        drop((elements, code, host_imports));
    }

    /// Frees the record and the function instances of released instance `id`.
    fn free_instance(&mut self, id: InstanceId) {
        self.unregister(id);
        let mut placeholder = crate::store::empty_instance("");
        placeholder.closed = Some(0);
        placeholder.released = true;
        placeholder.freed = true;
        let inst = std::mem::replace(&mut self.instances[id.index()], placeholder);
        for &f in &inst.functions {
            let own = match self.funcs[f.index()].kind {
                FuncKind::Wasm { instance, .. } | FuncKind::Host { instance, .. } => instance == id,
            };
            if own {
                let gone = self.freed_function();
                let old = std::mem::replace(&mut self.funcs[f.index()], gone);
                drop(old);
                self.free_func(f);
            }
        }
        self.free.instances.push(id.0);
        // Its data may hold handles: dropping them only queues their
        // instances, which the running collection then looks at.
        drop(inst);
    }
}
