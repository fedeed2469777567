//! Compilations waiting for, or running on, background threads.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, Weak};

use crate::code::TieredCode;
use crate::Inner;

/// Modules waiting for their compilation, and how many threads work on the
/// queue. A thread is started when work arrives and fewer than the most are
/// running, and ends when it finds the queue empty, so an idle engine holds
/// no thread.
#[derive(Default)]
pub(crate) struct Queue {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    waiting: VecDeque<Weak<TieredCode>>,
    threads: usize,
}

/// The most threads taking modules from the queue at once; each module's
/// compilation has threads of its own within the policy's bound.
const WORKERS: usize = 1;

impl Queue {
    /// Queues `code` for `engine` and makes sure a thread takes it. A
    /// module dropped before its turn is skipped.
    pub(crate) fn push(engine: &Arc<Inner>, code: Weak<TieredCode>) {
        let mut state = engine.queue.state.lock().unwrap_or_else(|e| e.into_inner());
        state.waiting.push_back(code);
        if state.threads >= WORKERS {
            return;
        }
        let worker = engine.clone();
        let spawned = std::thread::Builder::new()
            .name("wazero-tier-up".into())
            .spawn(move || work(&worker));
        match spawned {
            Ok(_) => state.threads += 1,
            // No thread: the modules waiting stay in the first tier, which
            // runs them correctly; a later push tries again.
            Err(_) => {
                for code in state.waiting.drain(..) {
                    if let Some(code) = code.upgrade() {
                        code.fail();
                    }
                }
            }
        }
    }
}

/// A background thread's loop: compiles queued modules until none waits.
fn work(engine: &Arc<Inner>) {
    loop {
        let next = {
            let mut state = engine.queue.state.lock().unwrap_or_else(|e| e.into_inner());
            match state.waiting.pop_front() {
                Some(next) => next,
                None => {
                    state.threads -= 1;
                    return;
                }
            }
        };
        if let Some(code) = next.upgrade() {
            // A panic outside the compiler's own catching (a bug) leaves the
            // module in the first tier and this thread serving the queue.
            let compiled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                engine.compile_second(&code, true)
            }));
            if compiled.is_err() {
                code.fail();
            }
        }
    }
}
