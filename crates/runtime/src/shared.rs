//! The lock around a namespace's store.
//!
//! All guest execution and all access to instance state of one namespace happens
//! under this lock, which is what makes module handles `Send + Sync` without any
//! unsynchronized sharing. Re-entry from the thread that holds it (a host function
//! calling a captured `Function` handle) is refused instead of deadlocking; such
//! calls go through the `Caller`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use wazero_store::Store;

use crate::Error;

pub(crate) struct Shared {
    store: Mutex<Store>,
    owner: AtomicUsize,
    /// The store's interrupt request, reachable without the lock (which a running
    /// guest holds).
    pub(crate) interrupt: Arc<wazero_store::Interrupt>,
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
    pub(crate) fn new(store: Store) -> Self {
        Self {
            interrupt: store.interrupt.clone(),
            store: Mutex::new(store),
            owner: AtomicUsize::new(0),
        }
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
        Ok(StoreGuard {
            guard,
            owner: &self.owner,
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
