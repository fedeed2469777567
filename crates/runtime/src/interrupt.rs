//! Stopping a running guest from another thread.

use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

/// Stops guest code running in one namespace, from any thread (wazero's
/// `WithCloseOnContextDone` with a cancelled or timed-out context).
///
/// The engine checks for a request at every loop back-edge and function entry;
/// the running call then fails with a trap of code
/// [`TrapCode::Interrupted`](crate::TrapCode::Interrupted) (see
/// [`Error::is_interrupted`](crate::Error::is_interrupted)). A request stops one
/// call: if none is running, the next call that reaches a check stops. Code
/// blocked inside a host function (e.g. waiting on input) stops once it returns
/// to the guest.
///
/// ```
/// use std::time::Duration;
/// use wazero::Runtime;
/// let runtime = Runtime::new();
/// let module = runtime.instantiate(&wat::parse_str(
///     r#"(module (func (export "spin") (loop (br 0))))"#)?)?;
/// let _deadline = runtime.interrupt_handle().interrupt_after(Duration::from_millis(20));
/// let err = module.exported_function("spin").unwrap().call(&[]).unwrap_err();
/// assert!(err.is_interrupted());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct InterruptHandle {
    pub(crate) flag: Arc<wazero_store::Interrupt>,
}

impl InterruptHandle {
    /// Asks the running (or next) call to stop.
    pub fn interrupt(&self) {
        self.flag.request();
    }

    /// Interrupts after `timeout`, unless the returned [`Deadline`] is dropped
    /// first.
    pub fn interrupt_after(&self, timeout: Duration) -> Deadline {
        let (cancel, cancelled) = mpsc::channel::<()>();
        let handle = self.clone();
        std::thread::spawn(move || {
            if let Err(mpsc::RecvTimeoutError::Timeout) = cancelled.recv_timeout(timeout) {
                handle.interrupt();
            }
        });
        Deadline { _cancel: cancel }
    }
}

/// A pending [`InterruptHandle::interrupt_after`]; dropping it cancels the
/// interrupt if it has not happened yet.
#[derive(Debug)]
#[must_use = "dropping the deadline cancels it"]
pub struct Deadline {
    _cancel: mpsc::Sender<()>,
}
