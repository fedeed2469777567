//! Stopping a running guest from another thread.

use std::sync::Arc;
use std::time::Duration;

/// Stops guest code running in one namespace, from any thread.
///
/// **What a request stops.** [`InterruptHandle::interrupt`] stops the calls
/// of the namespace that are running when it is made: the call in the
/// namespace's own store (host modules, named modules and what imports from
/// them) and the calls in the stores of its anonymous instances that run on
/// their own (see [`Runtime`](crate::Runtime)), and a running
/// [`Runtime::compile_module`](crate::Runtime::compile_module). A request
/// made when nothing runs does nothing, and a request that arrives after the
/// call it was made for has returned never stops a later call. The stopped
/// call fails with a trap of code
/// [`TrapCode::Interrupted`](crate::TrapCode::Interrupted) (see
/// [`Error::is_interrupted`](crate::Error::is_interrupted)); compiling fails
/// with [`Error::CompileInterrupted`](crate::Error::CompileInterrupted).
///
/// **To bound one call**, use
/// [`Function::call_with_timeout`](crate::Function::call_with_timeout) (or
/// [`TypedFunction::call_with_timeout`](crate::TypedFunction::call_with_timeout)),
/// wazero's per-call `context.WithTimeout`. [`InterruptHandle::interrupt_after`]
/// gives a [`Deadline`] for the next call made on the current thread.
///
/// **Where a running call stops.** Guest code is not stopped at an arbitrary
/// instruction but at its next *check*; the checks are:
/// - every loop iteration (the branch back to a `loop`), on both engines;
/// - function entry: in the interpreter at every call of a wasm function; in
///   compiled code at the entry of every function that contains a loop or a
///   call (code without either runs straight to its end: it cannot run for
///   longer than its size allows);
/// - between chunks of `memory.fill`, `memory.copy`, `table.fill` and
///   `table.copy` (a single one can move gigabytes);
/// - compilation, between functions.
///
/// A call blocked inside a host function (waiting on input, say) stops once
/// the host function returns to the guest. A call that ends before reaching
/// a check returns normally.
///
/// **What state the module is in afterwards.** By default it stays open and
/// usable, as after any trap: its memory and globals hold what the guest
/// wrote until it was stopped, and its next call runs normally. With
/// [`RuntimeConfig::with_close_on_interrupt`](crate::RuntimeConfig::with_close_on_interrupt)
/// an interrupted call closes its module instead, as wazero's
/// `WithCloseOnContextDone` does.
///
/// ```
/// use std::time::Duration;
/// use wazero::Runtime;
/// let runtime = Runtime::new();
/// let module = runtime.instantiate(&wat::parse_str(
///     r#"(module (func (export "spin") (loop (br 0))))"#)?)?;
/// let spin = module.exported_function("spin").unwrap();
/// // From another thread, after 20 ms:
/// let handle = runtime.interrupt_handle();
/// std::thread::spawn(move || {
///     std::thread::sleep(Duration::from_millis(20));
///     handle.interrupt();
/// });
/// let err = spin.call(&[]).unwrap_err();
/// assert!(err.is_interrupted());
/// // The module is still open; this call is bounded by its own timeout.
/// let err = spin.call_with_timeout(&[], Duration::from_millis(20)).unwrap_err();
/// assert!(err.is_interrupted());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct InterruptHandle {
    pub(crate) namespace: Arc<crate::shared::Shared>,
}

impl std::fmt::Debug for InterruptHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InterruptHandle").finish_non_exhaustive()
    }
}

impl InterruptHandle {
    /// Asks the calls (and compilations) of the namespace running now to
    /// stop, each at its next check. Affects nothing that starts later.
    pub fn interrupt(&self) {
        self.namespace.interrupt_namespace();
    }

    /// Stops, after `timeout`, the call into this namespace that the current
    /// thread is running (when called from inside a host function) or else
    /// the next call the current thread makes into it, unless the returned
    /// [`Deadline`] is dropped first.
    ///
    /// The deadline is meant for that one call: once it has returned, the
    /// deadline never stops another call, even while it is still held. If it
    /// fires before that call begins, the call is stopped at its first check.
    /// Calls made on other threads are not affected: give each its own
    /// deadline, or use [`Function::call_with_timeout`](crate::Function::call_with_timeout).
    ///
    /// ```
    /// use std::time::Duration;
    /// use wazero::Runtime;
    /// let runtime = Runtime::new();
    /// let module = runtime.instantiate(&wat::parse_str(r#"(module
    ///     (func (export "spin") (loop (br 0)))
    ///     (func (export "quick") (result i32) (i32.const 7)))"#)?)?;
    /// let deadline = runtime.interrupt_handle().interrupt_after(Duration::from_millis(20));
    /// let err = module.exported_function("spin").unwrap().call(&[]).unwrap_err();
    /// assert!(err.is_interrupted());
    /// drop(deadline);
    ///
    /// // Bound to the first call; it fires while still held, but stops
    /// // nothing else.
    /// let _deadline = runtime.interrupt_handle().interrupt_after(Duration::from_millis(1));
    /// let quick = module.exported_function("quick").unwrap();
    /// assert_eq!(quick.call(&[])?, vec![7]);
    /// std::thread::sleep(Duration::from_millis(10));
    /// assert_eq!(quick.call(&[])?, vec![7]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn interrupt_after(&self, timeout: Duration) -> Deadline {
        let (state, scheduled) = crate::timer::deadline(self.namespace.namespace_id, timeout);
        Deadline {
            _scheduled: scheduled,
            _state: state,
        }
    }
}

/// A pending [`InterruptHandle::interrupt_after`], bound to one call.
/// Dropping it cancels the interrupt if it has not happened yet.
#[must_use = "dropping a Deadline cancels it at once: bind it to a variable \
              (`let _deadline = ...`, not `let _ = ...`) that lives across the call"]
pub struct Deadline {
    _scheduled: crate::timer::Scheduled,
    _state: Arc<crate::timer::DeadlineState>,
}

impl std::fmt::Debug for Deadline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deadline").finish_non_exhaustive()
    }
}
