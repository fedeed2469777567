//! Deadlines: one timer thread for the process, and how a deadline finds the
//! call it is meant for.
//!
//! A per-call timeout ([`Function::call_with_timeout`](crate::Function::call_with_timeout))
//! schedules a request for its own call's activity (its store's interrupt
//! and the call's serial), and cancels it when the call returns. A request
//! for an activity that is no longer running does nothing, so a timeout
//! never stops another call.
//!
//! A [`Deadline`](crate::Deadline) from
//! [`InterruptHandle::interrupt_after`](crate::InterruptHandle::interrupt_after)
//! is made before the call it is for. It binds to a call of its namespace on
//! the thread that made it: the one running there (when made inside a host
//! function), else the next one that thread begins. When it fires it
//! requests a stop of that call only; fired before the call began, it stops
//! the call as soon as it begins.
//!
//! All deadlines share one thread (started on first use) that sleeps until
//! the earliest is due: a timeout costs an entry in an ordered map, not a
//! thread. Should that thread fail to start, every deadline counts as
//! already expired: code meant to be bounded is stopped, never left unbounded.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::{Arc, Condvar, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use wazero_store::Interrupt;

/// What a due entry stops.
enum Target {
    /// One activity of one store.
    Call {
        interrupt: Weak<Interrupt>,
        serial: u64,
    },
    /// A [`Deadline`](crate::Deadline), bound or not.
    Deadline(Arc<DeadlineState>),
}

impl Target {
    fn fire(self) {
        match self {
            Target::Call { interrupt, serial } => {
                if let Some(interrupt) = interrupt.upgrade() {
                    interrupt.request_for(serial);
                }
            }
            Target::Deadline(state) => state.expire(),
        }
    }
}

/// The entries by due time (and a unique id, so that equal times differ).
struct Entries {
    due: BTreeMap<(Instant, u64), Target>,
    next_id: u64,
    /// Whether the timer thread runs (or could not be started).
    started: Option<bool>,
}

static ENTRIES: Mutex<Entries> = Mutex::new(Entries {
    due: BTreeMap::new(),
    next_id: 0,
    started: None,
});
static WAKE: Condvar = Condvar::new();

/// An entry of the timer; dropping it cancels it.
pub(crate) struct Scheduled {
    key: Option<(Instant, u64)>,
}

impl Drop for Scheduled {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            ENTRIES
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .due
                .remove(&key);
        }
    }
}

/// Schedules `target` to fire after `timeout` (never, if that is beyond
/// what an `Instant` can hold).
fn schedule(timeout: Duration, target: Target) -> Scheduled {
    let Some(at) = Instant::now().checked_add(timeout) else {
        return Scheduled { key: None };
    };
    let mut entries = ENTRIES.lock().unwrap_or_else(PoisonError::into_inner);
    if entries.started.is_none() {
        let spawned = std::thread::Builder::new()
            .name("wazero-deadlines".into())
            .spawn(run);
        entries.started = Some(spawned.is_ok());
    }
    if entries.started == Some(false) {
        drop(entries);
        target.fire();
        return Scheduled { key: None };
    }
    let id = entries.next_id;
    entries.next_id += 1;
    let earliest = entries
        .due
        .first_key_value()
        .is_none_or(|(&(t, _), _)| at < t);
    entries.due.insert((at, id), target);
    drop(entries);
    if earliest {
        WAKE.notify_one();
    }
    Scheduled {
        key: Some((at, id)),
    }
}

/// The timer thread: fires what is due, sleeps until the next.
fn run() {
    let mut entries = ENTRIES.lock().unwrap_or_else(PoisonError::into_inner);
    loop {
        let now = Instant::now();
        let mut due = Vec::new();
        while let Some(entry) = entries.due.first_entry() {
            if entry.key().0 > now {
                break;
            }
            due.push(entry.remove());
        }
        if !due.is_empty() {
            // Requests take the stores' interrupt locks: not under this one.
            drop(entries);
            due.into_iter().for_each(Target::fire);
            entries = ENTRIES.lock().unwrap_or_else(PoisonError::into_inner);
            continue;
        }
        entries = match entries.due.first_key_value() {
            Some((&(at, _), _)) => {
                WAKE.wait_timeout(entries, at.saturating_duration_since(now))
                    .unwrap_or_else(PoisonError::into_inner)
                    .0
            }
            None => WAKE.wait(entries).unwrap_or_else(PoisonError::into_inner),
        };
    }
}

/// Stops activity `serial` of `interrupt` after `timeout`, unless the
/// returned entry is dropped first.
pub(crate) fn stop_call_after(
    timeout: Duration,
    interrupt: &Arc<Interrupt>,
    serial: u64,
) -> Scheduled {
    schedule(
        timeout,
        Target::Call {
            interrupt: Arc::downgrade(interrupt),
            serial,
        },
    )
}

/// A [`Deadline`](crate::Deadline)'s state: waiting for its call, or bound.
pub(crate) struct DeadlineState {
    namespace_id: u64,
    binding: Mutex<Binding>,
}

enum Binding {
    /// Not bound to a call yet; `expired` if it already fired.
    Waiting { expired: bool },
    /// Bound to activity `serial` of `interrupt`.
    Bound {
        interrupt: Weak<Interrupt>,
        serial: u64,
    },
}

impl DeadlineState {
    /// Fires: stops the bound call, or the call it binds to later.
    fn expire(&self) {
        let mut binding = self.binding.lock().unwrap_or_else(PoisonError::into_inner);
        match &mut *binding {
            Binding::Waiting { expired } => *expired = true,
            Binding::Bound { interrupt, serial } => {
                if let Some(interrupt) = interrupt.upgrade() {
                    interrupt.request_for(*serial);
                }
            }
        }
    }

    /// Binds to activity `serial` of `interrupt` (if not bound yet), stopping
    /// it at once if the deadline already fired.
    fn bind(&self, interrupt: &Arc<Interrupt>, serial: u64) {
        let mut binding = self.binding.lock().unwrap_or_else(PoisonError::into_inner);
        if let Binding::Waiting { expired } = *binding {
            *binding = Binding::Bound {
                interrupt: Arc::downgrade(interrupt),
                serial,
            };
            if expired {
                interrupt.request_for(serial);
            }
        }
    }
}

/// A running call of this thread: its namespace, store interrupt and serial.
struct RunningCall {
    namespace_id: u64,
    interrupt: Arc<Interrupt>,
    serial: u64,
}

thread_local! {
    /// The calls running on this thread, innermost last (a host function may
    /// call into another store).
    static CALLS: RefCell<Vec<RunningCall>> = const { RefCell::new(Vec::new()) };
    /// Deadlines made on this thread, waiting for its next call into their
    /// namespace.
    static WAITING: RefCell<Vec<Weak<DeadlineState>>> = const { RefCell::new(Vec::new()) };
}

/// A call (or instantiation) began on this thread in a store of namespace
/// `namespace_id`: binds the deadlines waiting for it.
pub(crate) fn call_began(namespace_id: u64, interrupt: &Arc<Interrupt>, serial: u64) {
    let _ = WAITING.try_with(|waiting| {
        let Ok(mut waiting) = waiting.try_borrow_mut() else {
            return;
        };
        if waiting.is_empty() {
            return;
        }
        waiting.retain(|state| match state.upgrade() {
            Some(state) if state.namespace_id == namespace_id => {
                state.bind(interrupt, serial);
                false
            }
            Some(_) => true,
            None => false,
        });
    });
    let _ = CALLS.try_with(|calls| {
        if let Ok(mut calls) = calls.try_borrow_mut() {
            calls.push(RunningCall {
                namespace_id,
                interrupt: interrupt.clone(),
                serial,
            });
        }
    });
}

/// The innermost call running on this thread ended.
pub(crate) fn call_ended(namespace_id: u64) {
    let _ = CALLS.try_with(|calls| {
        if let Ok(mut calls) = calls.try_borrow_mut() {
            if calls.last().is_some_and(|c| c.namespace_id == namespace_id) {
                calls.pop();
            }
        }
    });
}

/// A deadline for namespace `namespace_id` firing after `timeout`, bound to
/// this thread's running call into that namespace or else its next one.
pub(crate) fn deadline(namespace_id: u64, timeout: Duration) -> (Arc<DeadlineState>, Scheduled) {
    let state = Arc::new(DeadlineState {
        namespace_id,
        binding: Mutex::new(Binding::Waiting { expired: false }),
    });
    let running = CALLS
        .try_with(|calls| {
            let calls = calls.try_borrow().ok()?;
            let call = calls
                .iter()
                .rev()
                .find(|c| c.namespace_id == namespace_id)?;
            Some((call.interrupt.clone(), call.serial))
        })
        .ok()
        .flatten();
    match running {
        Some((interrupt, serial)) => state.bind(&interrupt, serial),
        None => {
            let _ = WAITING.try_with(|waiting| {
                if let Ok(mut waiting) = waiting.try_borrow_mut() {
                    waiting.retain(|s| s.strong_count() > 0);
                    waiting.push(Arc::downgrade(&state));
                }
            });
        }
    }
    let scheduled = schedule(timeout, Target::Deadline(state.clone()));
    (state, scheduled)
}
