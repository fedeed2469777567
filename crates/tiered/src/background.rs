//! Compilations waiting for, or running on, background threads: modules,
//! and the code that enters a function at a loop (on-stack replacement).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, Weak};

use crate::code::TieredCode;
use crate::{Inner, Round};

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
    waiting: VecDeque<Job>,
    threads: usize,
}

/// What a background thread compiles.
pub(crate) enum Job {
    /// A module, for the second tier.
    Module(Weak<TieredCode>),
    /// The next round of moving a module's hot functions first (see
    /// `Inner::round`).
    Round {
        code: Weak<TieredCode>,
        round: Round,
    },
    /// The second tier's entry into defined function `index` of a module at
    /// its loop at module offset `offset`, asked for by a call running in
    /// the first tier there (it goes on meanwhile, and moves at a back-edge
    /// after the stores running the module are poked).
    LoopEntry {
        code: Weak<TieredCode>,
        index: u32,
        offset: u32,
    },
}

/// The most threads taking modules from the queue at once; each module's
/// compilation has threads of its own within the policy's bound.
const WORKERS: usize = 1;

impl Queue {
    /// Queues `job` for `engine` and makes sure a thread takes it. A
    /// module dropped before its turn is skipped. Loop entries go first: a
    /// guest's running call waits for one, and it takes milliseconds where
    /// a module can take seconds.
    pub(crate) fn push(engine: &Arc<Inner>, job: Job) {
        let mut state = engine.queue.state.lock().unwrap_or_else(|e| e.into_inner());
        match job {
            Job::LoopEntry { .. } => state.waiting.push_front(job),
            Job::Module(_) | Job::Round { .. } => state.waiting.push_back(job),
        }
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
                for job in state.waiting.drain(..) {
                    if let Job::Module(code) | Job::Round { code, .. } = job {
                        if let Some(code) = code.upgrade() {
                            code.fail();
                        }
                    }
                }
            }
        }
    }
}

/// A background thread's loop: compiles queued jobs until none waits.
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
        match next {
            Job::Module(code) => {
                if let Some(code) = code.upgrade() {
                    // A panic outside the compiler's own catching (a bug)
                    // leaves the module in the first tier and this thread
                    // serving the queue.
                    let compiled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        engine.compile_second(&code, true)
                    }));
                    if compiled.is_err() {
                        code.fail();
                    }
                }
            }
            Job::Round { code, round } => {
                if let Some(code) = code.upgrade() {
                    // As for a module: a panic leaves it in the first tier.
                    let moved = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        engine.round(&code, round)
                    }));
                    if moved.is_err() {
                        code.fail();
                    }
                }
            }
            Job::LoopEntry {
                code,
                index,
                offset,
            } => {
                if let Some(code) = code.upgrade() {
                    // A panic leaves the loop without an entry: its calls
                    // stay in the first tier, which runs them correctly.
                    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        engine.prepare_loop_entry(&code, index, offset)
                    }));
                }
            }
        }
    }
}
