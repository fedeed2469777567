//! The lock around a namespace's store.
//!
//! All guest execution and all access to instance state of one namespace happens
//! under this lock, which is what makes module handles `Send + Sync` without any
//! unsynchronized sharing. Re-entry from the thread that holds it (a host function
//! calling a captured `Function` handle) is refused instead of deadlocking; such
//! calls go through the `Caller`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use wazero_store::sharded::{self, Padded};
use wazero_store::{HostFunctionDef, InstanceId, Pins, Store};

use crate::Error;

pub(crate) struct Shared {
    store: Mutex<Store>,
    owner: AtomicUsize,
    /// The store's interrupt request, reachable without the lock (which a running
    /// guest holds).
    pub(crate) interrupt: Arc<wazero_store::Interrupt>,
    /// The handles held on the store's instances, released without the lock.
    pins: Arc<Pins>,
    /// The instance (its index + 1) whose function a call from the host is
    /// running, 0 if none: read without the lock by a close from another
    /// thread, to interrupt a call into the module it closes.
    running: AtomicU32,
    /// For a namespace's own store: its host modules by name, with what they
    /// define, so that an instance running in a store of its own can have
    /// them too, without taking the store's lock.
    pub(crate) hosts: Mutex<HashMap<String, HostModule>>,
    /// For a namespace's own store: the stores of its instances that run on
    /// their own, to close and count them with the namespace.
    /// Sharded by thread ([`wazero_store::sharded`]): threads instantiating
    /// in parallel each push to their own list. Empty for the stores of
    /// independent instances, which have no groups (and are made per request:
    /// the shards take 2 KiB).
    groups: Box<[Padded<GroupList>]>,
    /// The namespace this store belongs to (its own store's and its
    /// independent stores' share it): what a [`Deadline`](crate::Deadline)
    /// binds to.
    pub(crate) namespace_id: u64,
    /// Whether an interrupted call closes its module
    /// ([`RuntimeConfig::with_close_on_interrupt`](crate::RuntimeConfig::with_close_on_interrupt)).
    pub(crate) close_on_interrupt: bool,
    /// For a namespace's own store: the compilations running for it, each
    /// with the flag that stops it.
    compiles: Mutex<Vec<Weak<AtomicBool>>>,
}

/// One shard of a namespace's list of independent stores.
type GroupList = Mutex<Vec<Weak<Shared>>>;

/// Namespace ids: never reused, never 0.
static NAMESPACE_IDS: AtomicU64 = AtomicU64::new(1);

/// A new namespace id.
pub(crate) fn new_namespace_id() -> u64 {
    NAMESPACE_IDS.fetch_add(1, Ordering::Relaxed)
}

/// A host module of a namespace: its instance in the namespace's store and
/// its functions by export name.
#[derive(Clone)]
pub(crate) struct HostModule {
    pub(crate) id: InstanceId,
    pub(crate) functions: Arc<HashMap<String, HostFunctionDef>>,
}

impl HostModule {
    pub(crate) fn new(id: InstanceId, functions: &[HostFunctionDef]) -> Self {
        let by_name = functions
            .iter()
            .map(|f| (f.export.clone(), f.clone()))
            .collect();
        Self {
            id,
            functions: Arc::new(by_name),
        }
    }
}

/// Marks a call into an instance (or an instantiation) as running until
/// dropped: the store's `running` marker and its interrupt's activity.
pub(crate) struct Running<'a> {
    shared: &'a Shared,
    /// The activity's serial (what a per-call deadline asks to stop).
    pub(crate) serial: u64,
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        crate::timer::call_ended(self.shared.namespace_id);
        self.shared.interrupt.end();
        self.shared.running.store(0, Ordering::Release);
    }
}

thread_local! {
    static THREAD_TOKEN: u8 = const { 0 };
}

fn thread_token() -> usize {
    THREAD_TOKEN.with(|t| t as *const u8 as usize)
}

pub(crate) struct StoreGuard<'a> {
    guard: MutexGuard<'a, Store>,
    owner: &'a AtomicUsize,
}

impl Shared {
    pub(crate) fn new(store: Store, namespace_id: u64, close_on_interrupt: bool) -> Self {
        Self {
            namespace_id,
            close_on_interrupt,
            compiles: Mutex::new(Vec::new()),
            interrupt: store.interrupt.clone(),
            pins: store.pins().clone(),
            store: Mutex::new(store),
            owner: AtomicUsize::new(0),
            running: AtomicU32::new(0),
            hosts: Mutex::new(HashMap::new()),
            groups: Box::new([]),
        }
    }

    /// This store, as a namespace's own: it keeps a list of the stores of
    /// the namespace's independent instances.
    pub(crate) fn with_groups(mut self) -> Self {
        self.groups = (0..sharded::SHARDS)
            .map(|_| Padded(Mutex::new(Vec::new())))
            .collect();
        self
    }

    /// The stores of this namespace's instances that run on their own, still
    /// alive.
    pub(crate) fn live_groups(&self) -> Vec<Arc<Shared>> {
        let mut live = Vec::new();
        for shard in &self.groups {
            let mut groups = shard.0.lock().unwrap_or_else(PoisonError::into_inner);
            groups.retain(|g| g.strong_count() > 0);
            live.extend(groups.iter().filter_map(Weak::upgrade));
        }
        live
    }

    /// Marks an instantiation as running (the caller holds the lock): its
    /// start section runs guest code.
    pub(crate) fn instantiating(&self) -> Running<'_> {
        self.begin(u32::MAX)
    }

    /// Marks `marker` as running and begins an activity of the interrupt,
    /// binding to it the deadlines this thread made for the namespace's next
    /// call.
    fn begin(&self, marker: u32) -> Running<'_> {
        self.running.store(marker, Ordering::Release);
        let serial = self.interrupt.begin();
        crate::timer::call_began(self.namespace_id, &self.interrupt, serial);
        Running {
            shared: self,
            serial,
        }
    }

    /// Interrupts the namespace: the call running in its own store, the calls
    /// running in the stores of its instances that run on their own, and its
    /// running compilations. Nothing that is not running is affected: a
    /// request never stops a later call.
    pub(crate) fn interrupt_namespace(&self) {
        self.interrupt.request();
        for group in self.live_groups() {
            group.interrupt.request();
        }
        let compiles = self.compiles.lock().unwrap_or_else(PoisonError::into_inner);
        for stop in compiles.iter().filter_map(Weak::upgrade) {
            stop.store(true, Ordering::Relaxed);
        }
    }

    /// A compilation for this namespace: its flag is raised by
    /// [`Self::interrupt_namespace`] while it is alive.
    pub(crate) fn compiling(&self) -> std::sync::Arc<AtomicBool> {
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let mut compiles = self.compiles.lock().unwrap_or_else(PoisonError::into_inner);
        compiles.retain(|c| c.strong_count() > 0);
        compiles.push(std::sync::Arc::downgrade(&stop));
        stop
    }

    /// Adds a store of an instance that runs on its own.
    pub(crate) fn add_group(&self, group: &Arc<Shared>) {
        let Some(Padded(shard)) = self.groups.get(sharded::shard()) else {
            debug_assert!(false, "only a namespace's store has groups");
            return;
        };
        let mut groups = shard.lock().unwrap_or_else(PoisonError::into_inner);
        // Dropped groups go as often as groups come, keeping this short.
        if groups.len() >= 16 && groups.len().is_power_of_two() {
            groups.retain(|g| g.strong_count() > 0);
        }
        groups.push(Arc::downgrade(group));
    }

    /// Marks a call into `instance` as running (the caller holds the lock).
    pub(crate) fn running(&self, instance: InstanceId) -> Running<'_> {
        self.begin(instance.0 + 1)
    }

    /// Whether the store is locked by another thread running `instance` (with
    /// `None`: running anything).
    fn busy_with(&self, instance: Option<InstanceId>) -> bool {
        let running = self.running.load(Ordering::Acquire);
        running != 0
            && instance.is_none_or(|i| running == i.0 + 1)
            && self.owner.load(Ordering::Acquire) != thread_token()
    }

    /// Locks the store; `Error::Reentrant` if this thread already holds it.
    pub(crate) fn lock(&self) -> Result<StoreGuard<'_>, Error> {
        let me = thread_token();
        if self.owner.load(Ordering::Acquire) == me {
            return Err(Error::Reentrant);
        }
        // A panic in a host function poisons the lock; the store itself stays
        // consistent (no call is active once the lock is free), so carry on.
        let mut guard = self.store.lock().unwrap_or_else(PoisonError::into_inner);
        guard.call_depth = 0;
        guard.reentry_depth = 0;
        self.owner.store(me, Ordering::Release);
        let mut guard = StoreGuard {
            guard,
            owner: &self.owner,
        };
        if self.pins.has_dropped() {
            guard.collect();
        }
        Ok(guard)
    }

    /// Frees what dropped handles leave unreachable, unless the store is busy
    /// (a call runs on another thread, or this one is inside a call): then
    /// the next lock of the store does it.
    fn try_collect(&self) {
        if self.owner.load(Ordering::Acquire) == thread_token() {
            return;
        }
        let guard = match self.store.try_lock() {
            Ok(guard) => guard,
            Err(std::sync::TryLockError::Poisoned(e)) => e.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return,
        };
        let mut guard = StoreGuard {
            guard,
            owner: &self.owner,
        };
        self.owner.store(thread_token(), Ordering::Release);
        guard.call_depth = 0;
        guard.reentry_depth = 0;
        guard.collect();
    }

    /// Locks the store to close `what` ("the runtime", ...): as [`Self::lock`],
    /// but re-entry is [`Error::CloseInsideCall`], which says why closing
    /// failed rather than pointing at function handles.
    ///
    /// A call running on another thread into what is closed (`instance`, or
    /// with `None` anything of the store) is interrupted first, so that the
    /// close does not wait for a guest that never returns by itself.
    pub(crate) fn lock_to_close(
        &self,
        what: &'static str,
        instance: Option<InstanceId>,
    ) -> Result<StoreGuard<'_>, Error> {
        if self.busy_with(instance) {
            self.interrupt.request();
        }
        self.lock().map_err(|e| match e {
            Error::Reentrant => Error::CloseInsideCall(what),
            e => e,
        })
    }
}

impl Drop for StoreGuard<'_> {
    fn drop(&mut self) {
        self.owner.store(0, Ordering::Release);
    }
}

impl std::ops::Deref for StoreGuard<'_> {
    type Target = Store;
    fn deref(&self) -> &Store {
        &self.guard
    }
}

impl std::ops::DerefMut for StoreGuard<'_> {
    fn deref_mut(&mut self) -> &mut Store {
        &mut self.guard
    }
}

/// A handle's hold on an instance: while one exists the instance stays alive
/// (see [`Module`](crate::Module) for the rule). Dropping the last one of an
/// anonymous instance frees it.
pub(crate) struct Pin {
    pub(crate) shared: Arc<Shared>,
    pub(crate) id: InstanceId,
}

impl Pin {
    /// A new hold on instance `id` of `store`, the locked store of `shared`.
    pub(crate) fn new(shared: &Arc<Shared>, store: &Store, id: InstanceId) -> Self {
        store.pin(id);
        Self::adopt(shared.clone(), id)
    }

    /// Takes over a hold the store already made (an instantiation's).
    pub(crate) fn adopt(shared: Arc<Shared>, id: InstanceId) -> Self {
        Self { shared, id }
    }
}

impl Clone for Pin {
    fn clone(&self) -> Self {
        self.shared.pins.repin(self.id);
        Self {
            shared: self.shared.clone(),
            id: self.id,
        }
    }
}

impl Drop for Pin {
    fn drop(&mut self) {
        if self.shared.pins.unpin(self.id) {
            self.shared.try_collect();
        }
    }
}
