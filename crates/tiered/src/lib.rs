//! The tiered engine of wazero for Rust: modules start at once in a first
//! engine and move to a second one, compiled in the background.
//!
//! [`Tiered`] implements `wazero_store::Engine` over two engines: `wazero`
//! puts its interpreter first (it translates a function on its first call,
//! so a module of any size starts running at once) and its compiler second.
//! A module's compilation for the second tier starts at its first call (or
//! later: [`TierPolicy::with_calls`]) on a background thread, while the
//! first tier runs it. When it is done, the second tier's code is set in
//! place and the first tier's code is *retired*
//! (`wazero_store::CompiledCode::retire`): from then on every call of the
//! module's functions runs compiled code, the calls from the host and the
//! calls that frames still running in the first tier make, since the
//! interpreter sends calls of retired code back through the engine. A frame
//! already running in the first tier goes on in the second at the next
//! back-edge of a loop whose state is all in its locals (on-stack
//! replacement: `Engine::call_wasm_at_loop`), or finishes where it is.
//!
//! A large module's hot functions move first (see
//! [`TierPolicy::with_hot_first_from`]), in batches, found by sampling the
//! first tier: the second tier compiles them alone
//! (`CompileOptions::only`), its code calling the others through the
//! store, and the first tier retires them one by one
//! (`CompiledCode::retire_function`). Smaller modules move whole: calls
//! between the tiers cost more than the wait for their whole compilation.
//!
//! Frames of the two tiers nest both ways: a first-tier frame calls a
//! second-tier function like a host function, and second-tier code calls
//! another module's functions through the store, which asks this engine.
//! Traps carry the frames of both in their backtrace, exceptions cross
//! between them, and interrupts, host calls and re-entry work whichever
//! tier a frame is in.
//!
//! ```
//! use std::sync::Arc;
//! use wazero_store::Engine;
//! use wazero_tiered::{TierPolicy, Tiered};
//! let interpreter = Arc::new(wazero_interpreter::Interpreter::new());
//! let engine = Tiered::new(interpreter.clone(), interpreter, TierPolicy::default());
//! assert_eq!(engine.name(), "tiered");
//! ```

mod background;
mod code;
mod hot;
mod policy;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use wazero_store::{
    code_as, CallError, CompileOptions, CompiledCode, Engine, FuncAddr, FuncKind, SerializedThen,
    Store,
};
use wazero_validator::ValidatedModule;

use crate::background::{Job, Queue};
use crate::code::{Stage, TieredCode, MAX_BATCHES};
use crate::hot::Selection;
pub use crate::policy::{LoopEntry, LoopEntryHook, TierPolicy, TierUp, TierUpHook};

/// The tiered engine: see the [crate documentation](crate).
#[derive(Clone)]
pub struct Tiered {
    inner: Arc<Inner>,
}

/// What the engine and its background threads share.
pub(crate) struct Inner {
    first: Arc<dyn Engine>,
    second: Arc<dyn Engine>,
    policy: TierPolicy,
    pub(crate) queue: Queue,
}

impl std::fmt::Debug for Tiered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tiered")
            .field("first", &self.inner.first.name())
            .field("second", &self.inner.second.name())
            .field("policy", &self.inner.policy)
            .finish()
    }
}

impl Tiered {
    /// An engine that runs modules on `first` until `second` has compiled
    /// them, as `policy` says. Linear memories are reserved as `second`
    /// needs them, since its code runs on the same memories.
    pub fn new(first: Arc<dyn Engine>, second: Arc<dyn Engine>, policy: TierPolicy) -> Self {
        Self {
            inner: Arc::new(Inner {
                first,
                second,
                policy,
                queue: Queue::default(),
            }),
        }
    }

    /// The policy the engine follows.
    pub fn policy(&self) -> &TierPolicy {
        &self.inner.policy
    }
}

/// How often the stores running a module are poked while it is profiled
/// (see [`TierPolicy::with_profile`]).
const SAMPLE_EVERY: Duration = Duration::from_millis(1);

/// The longest round of sampling (see [`TierPolicy::with_profile`]).
const MAX_WINDOW: Duration = Duration::from_secs(2);

/// How long round `number` samples, the first for `first` (see
/// [`TierPolicy::with_profile`]): later rounds four times as long, then half
/// as long again each, up to [`MAX_WINDOW`].
fn window(first: Duration, number: u32) -> Duration {
    if number == 0 {
        return first;
    }
    let later = (first * 4).mul_f64(1.5f64.powi(number.min(64) as i32 - 1));
    later.min(MAX_WINDOW)
}

/// Where a module's moving of hot functions first stands: the round's
/// number, and how many rounds before it in a row found nothing new.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Round {
    number: u32,
    quiet: u32,
}

impl Inner {
    /// Compiles `code`'s module for the second tier: the functions `only`
    /// marks, or all.
    fn compile_for_second(
        &self,
        code: &Arc<TieredCode>,
        only: Option<&[bool]>,
        background: bool,
    ) -> Result<Arc<dyn CompiledCode>, String> {
        // A module nothing holds but this compilation is not worth finishing.
        let interrupted = || background && Arc::strong_count(code) == 1;
        let marked = |i: u32| only.is_some_and(|o| o.get(i as usize) == Some(&true));
        let options = CompileOptions {
            interrupted: &interrupted,
            max_function_blocks: code.max_function_blocks,
            max_threads: self.policy.threads(),
            only: only.map(|_| &marked as &(dyn Fn(u32) -> bool + Sync)),
            // The functions of the last batch need no second compilation.
            reuse: code.hot().map(|h| &*h.code),
        };
        self.second.compile_with(&code.module, &options)
    }

    /// Moves `code`'s module to the second tier: a large one (see
    /// [`TierPolicy::hot_first`]) in batches of hot functions first, found
    /// by rounds of sampling (in the background, each round a job of the
    /// queue: see [`Inner::round`]); under [`TierPolicy::forced`], half of
    /// its functions now, the whole module later
    /// ([`TierPolicy::with_whole_at`]); else the whole module now.
    pub(crate) fn compile_second(self: &Arc<Self>, code: &Arc<TieredCode>, background: bool) {
        if self.policy.alternates() {
            let count = code.module.code.len();
            if count > 1 {
                let even: Box<[bool]> = (0..count).map(|i| i % 2 == 0).collect();
                self.compile_hot(code, even, background);
                return;
            }
        } else if background && self.policy.hot_first(code.module_bytes()) {
            self.round(code, Round::default());
            return;
        }
        self.whole(code, background);
    }

    /// Compiles the whole module (once) and installs it.
    fn whole(&self, code: &Arc<TieredCode>, background: bool) {
        if !code.whole_started.swap(true, Ordering::Relaxed) {
            self.compile_whole(code, background);
        }
    }

    /// One round of moving `code`'s hot functions first: samples which of
    /// its functions run in the first tier, compiles and installs a batch
    /// of those not compiled yet (with their callees), and queues the next
    /// round. After two rounds in a row that found nothing new, sampling
    /// pauses until the engine is asked to run one of the module's
    /// functions again ([`TieredCode::resume_sampling`]); once the batches
    /// are most of the module, or [`MAX_BATCHES`] are in, the whole module
    /// is compiled.
    pub(crate) fn round(self: &Arc<Self>, code: &Arc<TieredCode>, round: Round) {
        if !Self::sample(code, window(self.policy.profile(), round.number)) {
            // The module was dropped.
            return;
        }
        let before = code.hot().map(|h| h.functions.clone());
        let next = match hot::select(&code.module, &code.first.samples(), before.as_deref()) {
            Selection::Batch(_) if code.batches() >= MAX_BATCHES => None,
            Selection::Batch(batch) => {
                if !self.compile_hot(code, batch, true) {
                    // The failure is told by the whole module's compilation.
                    None
                } else {
                    Some(Round {
                        number: round.number + 1,
                        quiet: 0,
                    })
                }
            }
            Selection::Nothing if round.quiet >= 1 => {
                code.pause_sampling(round.number + 1);
                return;
            }
            Selection::Nothing => Some(Round {
                number: round.number + 1,
                quiet: round.quiet + 1,
            }),
            Selection::Whole => None,
        };
        match next {
            Some(next) => Queue::push(
                self,
                Job::Round {
                    code: Arc::downgrade(code),
                    round: next,
                },
            ),
            None => self.whole(code, true),
        }
    }

    /// Pokes the stores running `code`'s module every [`SAMPLE_EVERY`] for
    /// `window`, so that the first tier samples which functions run. False
    /// if the module was dropped meanwhile.
    fn sample(code: &Arc<TieredCode>, window: Duration) -> bool {
        let started = Instant::now();
        while started.elapsed() < window {
            std::thread::sleep(SAMPLE_EVERY);
            if Arc::strong_count(code) == 1 {
                return false;
            }
            code.poke_stores();
        }
        true
    }

    /// Compiles the functions `hot` marks and installs their code, telling
    /// the policy's hook; false if that failed. A failure is not told: the
    /// whole module's compilation, which follows, tells it.
    fn compile_hot(&self, code: &Arc<TieredCode>, hot: Box<[bool]>, background: bool) -> bool {
        let started = Instant::now();
        let functions = hot.iter().filter(|&&h| h).count();
        let Ok(compiled) = self.compile_for_second(code, Some(&hot), background) else {
            return false;
        };
        code.install_hot(compiled, hot);
        self.policy.tell(&TierUp {
            functions,
            hot: true,
            took: started.elapsed(),
            error: None,
        });
        true
    }

    /// Compiles the whole module and installs the result, or records the
    /// failure; tells the policy's hook either way.
    fn compile_whole(&self, code: &Arc<TieredCode>, background: bool) {
        let started = Instant::now();
        let error = match self.compile_for_second(code, None, background) {
            Ok(second) => {
                code.install(second);
                None
            }
            Err(e) => {
                code.fail();
                Some(e)
            }
        };
        self.policy.tell(&TierUp {
            functions: code.module.code.len(),
            hot: false,
            took: started.elapsed(),
            error,
        });
    }

    /// Compiles the second tier's entry into defined function `index` of
    /// `code`'s module at its loop at `offset`, then pokes the stores
    /// running the module, so that a call waiting in the first tier at that
    /// loop moves at its next back-edge.
    pub(crate) fn prepare_loop_entry(&self, code: &TieredCode, index: u32, offset: u32) {
        self.second
            .prepare_loop_entry(&code.module, code, index, offset);
        code.poke_stores();
    }

    /// Starts moving `code` to the second tier, if it is still in the first.
    fn tier_up(self: &Arc<Self>, code: &TieredCode) {
        if !code.start_compiling() {
            return;
        }
        let Some(code) = code.me.upgrade() else {
            return;
        };
        if self.policy.in_background() {
            Queue::push(self, Job::Module(Arc::downgrade(&code)));
        } else {
            self.compile_second(&code, false);
        }
    }

    /// Whether the second tier runs a call of defined function `index` of
    /// `code` now.
    fn pick_second(self: &Arc<Self>, code: &TieredCode, index: u32) -> bool {
        if self.policy.alternates() {
            let n = code.calls.fetch_add(1, Ordering::Relaxed);
            if code.stage() == Stage::First && n + 1 >= self.policy.calls() {
                self.tier_up(code);
            } else if code.stage() == Stage::Compiling
                && n + 1 >= self.policy.calls().saturating_add(self.policy.whole_at())
                && !code.whole_started.swap(true, Ordering::Relaxed)
            {
                if let Some(code) = code.me.upgrade() {
                    self.compile_whole(&code, false);
                }
            }
            // Turns, first tier first, once the second tier has the code.
            return code.runs_second(index) && n % 2 == 1;
        }
        if code.stage() == Stage::First {
            let n = code.calls.fetch_add(1, Ordering::Relaxed) + 1;
            if n >= self.policy.calls() {
                self.tier_up(code);
            }
        }
        code.runs_second(index)
    }
}

impl Engine for Tiered {
    fn name(&self) -> &'static str {
        "tiered"
    }

    fn compile(&self, module: &Arc<ValidatedModule>) -> Result<Arc<dyn CompiledCode>, String> {
        self.compile_with(module, &CompileOptions::default())
    }

    /// Compiles `module` for the first tier only; the second tier's
    /// compilation waits for the module's calls.
    fn compile_with(
        &self,
        module: &Arc<ValidatedModule>,
        options: &CompileOptions<'_>,
    ) -> Result<Arc<dyn CompiledCode>, String> {
        let first = self.inner.first.compile_with(module, options)?;
        Ok(TieredCode::new(first, module, options.max_function_blocks))
    }

    fn memory_reservation(&self) -> u64 {
        self.inner.second.memory_reservation()
    }

    fn memory64_reservation(&self) -> u64 {
        self.inner.second.memory64_reservation()
    }

    /// The second tier's key: a cache entry holds the second tier's code
    /// as that engine writes it, so the two engines share entries on disk
    /// (a module the compiler cached starts compiled here, and the reverse).
    /// A module read from the cache starts in the second tier.
    fn cache_key(&self) -> String {
        self.inner.second.cache_key()
    }

    /// The second tier's code, once compiled; nothing before.
    fn serialize(&self, code: &dyn CompiledCode) -> Option<Vec<u8>> {
        let second = code_as::<TieredCode>(code)?.second.get()?;
        self.inner.second.serialize(&**second)
    }

    /// The second tier's code, now or once its background compilation has
    /// installed it (on that thread).
    fn serialize_when_ready(&self, code: &Arc<dyn CompiledCode>, then: SerializedThen) {
        let Some(tiered) = code_as::<TieredCode>(&**code) else {
            return;
        };
        let second = self.inner.second.clone();
        tiered.when_installed(Box::new(move |code| {
            second.serialize_when_ready(code, then)
        }));
    }

    fn deserialize(
        &self,
        module: &Arc<ValidatedModule>,
        bytes: &[u8],
        file: Option<&std::fs::File>,
    ) -> Option<Arc<dyn CompiledCode>> {
        let second = self.inner.second.deserialize(module, bytes, file)?;
        let first = self.inner.first.compile(module).ok()?;
        let code = TieredCode::new(first, module, wazero_store::DEFAULT_MAX_FUNCTION_BLOCKS);
        code.start_compiling();
        code.install(second);
        Some(code)
    }

    fn call_wasm(
        &self,
        store: &mut Store,
        func: FuncAddr,
        stack: &mut [u64],
    ) -> Result<(), CallError> {
        let FuncKind::Wasm { instance, index } = store.funcs[func.index()].kind else {
            unreachable!("the store calls host functions itself")
        };
        // Code not of this engine (it makes no other) goes to the first
        // tier, whose check says so.
        let second = store
            .instance(instance)
            .code
            .as_deref()
            .and_then(code_as::<TieredCode>)
            .is_some_and(|tiered| {
                let second = self.inner.pick_second(tiered, index);
                if !second && tiered.runs_second(index) {
                    // Forced turns: the first tier's loops move at once.
                    store.interrupt.poke();
                } else if !second && matches!(tiered.stage(), Stage::First | Stage::Compiling) {
                    tiered.ran_in(&store.interrupt);
                }
                if let Some(number) = tiered.resume_sampling() {
                    // Moving hot functions first had paused: the module
                    // runs again (this call, or a call between its tiers
                    // from a frame running in the first tier).
                    let round = Round { number, quiet: 0 };
                    let code = tiered.me.clone();
                    Queue::push(&self.inner, Job::Round { code, round });
                }
                second
            });
        if second {
            self.inner.second.call_wasm(store, func, stack)
        } else {
            self.inner.first.call_wasm(store, func, stack)
        }
    }

    /// The second tier's entry, once the module's code is there and the
    /// entry's code compiled (in the background, where the policy compiles
    /// modules there: until then the call goes on in the first tier); the
    /// hook of [`TierPolicy::with_on_loop_entry`] is told before it runs.
    fn call_wasm_at_loop(
        &self,
        store: &mut Store,
        func: FuncAddr,
        offset: u32,
        locals: &[u64],
        stack: &mut [u64],
    ) -> Option<Result<(), CallError>> {
        let FuncKind::Wasm { instance, index } = store.funcs.get(func.index())?.kind else {
            return None;
        };
        let inst = store.instance(instance);
        let code = inst.code.clone()?;
        let tiered = code_as::<TieredCode>(&*code)?;
        if !tiered.runs_second(index) {
            return None;
        }
        // The entry's code is compiled in the background where modules are,
        // while the call goes on in the first tier (for Lua's VM loop, 50 ms
        // of the guest's time); else here, before the call moves.
        let second = &self.inner.second;
        let mut compiled = second.loop_entry_compiled(&*code, index, offset);
        if compiled.is_none() {
            if self.inner.policy.in_background() {
                tiered.waits_at_loop(&store.interrupt);
                if tiered.ask_loop_entry(index, offset) {
                    let job = Job::LoopEntry {
                        code: tiered.me.clone(),
                        index,
                        offset,
                    };
                    Queue::push(&self.inner, job);
                }
                return None;
            }
            second.prepare_loop_entry(&tiered.module, &*code, index, offset);
            compiled = second.loop_entry_compiled(&*code, index, offset);
        }
        if compiled != Some(true) {
            return None;
        }
        drop(code);
        let function = inst
            .module
            .as_ref()
            .map_or(0, |m| m.imported_function_count())
            + index;
        // Told before the call moves, so that a hook can see it while the
        // loop runs in the second tier.
        self.inner
            .policy
            .tell_loop_entry(&LoopEntry { function, offset });
        self.inner
            .second
            .call_wasm_at_loop(store, func, offset, locals, stack)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_sample_longer_up_to_a_bound() {
        let ms = Duration::from_millis;
        // (first window, round, its window)
        let cases = [
            (ms(20), 0, ms(20)),
            (ms(20), 1, ms(80)),
            (ms(20), 2, ms(120)),
            (ms(20), 3, ms(180)),
            (ms(20), 9, ms(2000)),
            (ms(20), u32::MAX, ms(2000)),
            (ms(1), 1, ms(4)),
            (Duration::ZERO, 5, Duration::ZERO),
        ];
        for (first, round, want) in cases {
            let got = window(first, round);
            assert!(
                got.abs_diff(want) < Duration::from_micros(1),
                "round {round} after {first:?}: {got:?}, not {want:?}"
            );
        }
    }

    #[test]
    fn large_modules_move_hot_functions_first() {
        let one = TierPolicy::default().with_compile_threads(1);
        let mib = 1 << 20;
        // (policy, bytes of function bodies, hot functions first)
        let cases = [
            (one.clone(), 0, false),
            (one.clone(), 2 * mib - 1, false),
            (one.clone(), 2 * mib, true),
            (one.clone(), 28 * mib, true),
            (one.clone().with_compile_threads(4), 4 * mib, false),
            (one.clone().with_compile_threads(4), 8 * mib, true),
            (
                one.clone().with_hot_first_from(usize::MAX),
                usize::MAX - 1,
                false,
            ),
            (one.clone().with_profile(Duration::from_millis(5)), 0, true),
            (one.clone().with_profile(Duration::ZERO), 28 * mib, false),
            (TierPolicy::forced(), 28 * mib, false),
        ];
        for (policy, bytes, want) in cases {
            assert_eq!(policy.hot_first(bytes), want, "{bytes} bytes, {policy:?}");
        }
    }
}
