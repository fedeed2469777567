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
//! With [`TierPolicy::with_profile`], a module's hot functions move first,
//! in batches, found by sampling the first tier: the second tier compiles
//! them alone (`CompileOptions::only`), its code calling the others
//! through the store, and the first tier retires them one by one
//! (`CompiledCode::retire_function`). Off by default: calls between the
//! tiers cost too much for it to pay on every program yet.
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

    /// Moves `code`'s module to the second tier: under a policy that
    /// profiles, in batches of hot functions first (in the background),
    /// then the whole module; under [`TierPolicy::forced`], half of its
    /// functions now, the whole module later ([`TierPolicy::with_whole_at`]).
    pub(crate) fn compile_second(&self, code: &Arc<TieredCode>, background: bool) {
        if self.policy.alternates() {
            let count = code.module.code.len();
            if count > 1 {
                let even: Box<[bool]> = (0..count).map(|i| i % 2 == 0).collect();
                self.compile_hot(code, even, background);
                return;
            }
        } else if background && !self.policy.profile().is_zero() && !self.compile_hot_batches(code)
        {
            // The module was dropped.
            return;
        }
        code.whole_started.store(true, Ordering::Relaxed);
        self.compile_whole(code, background);
    }

    /// Profiles the module in rounds (see [`TierPolicy::with_profile`]),
    /// compiling and installing a batch of its hot functions after each
    /// round that found new ones, until a round finds none twice in a row,
    /// the hot part is most of the module, or [`MAX_BATCHES`] batches are
    /// in. False if the module was dropped meanwhile.
    fn compile_hot_batches(&self, code: &Arc<TieredCode>) -> bool {
        let mut before: Option<Box<[bool]>> = None;
        let mut quiet = 0;
        for round in 0..MAX_BATCHES {
            // The first round is short: a program whose time is in a few
            // functions gets them compiled soon; later rounds are longer.
            let window = self.policy.profile() * if round == 0 { 1 } else { 4 };
            if !Self::sample(code, window) {
                return false;
            }
            match hot::select(&code.module, &code.first.samples(), before.as_deref()) {
                Selection::Batch(batch) => {
                    quiet = 0;
                    if !self.compile_hot(code, batch.clone(), true) {
                        break;
                    }
                    before = Some(batch);
                }
                Selection::Nothing => {
                    quiet += 1;
                    if quiet == 2 {
                        break;
                    }
                }
                Selection::Whole => break,
            }
        }
        true
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
