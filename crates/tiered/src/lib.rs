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
mod policy;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use wazero_store::{
    code_as, CallError, CompileOptions, CompiledCode, Engine, FuncAddr, FuncKind, SerializedThen,
    Store,
};
use wazero_validator::ValidatedModule;

use crate::background::Queue;
use crate::code::{Stage, TieredCode};
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

impl Inner {
    /// Compiles `code`'s module for the second tier and installs the result,
    /// or records the failure; tells the policy's hook either way.
    pub(crate) fn compile_second(&self, code: &Arc<TieredCode>, background: bool) {
        let started = Instant::now();
        // A module nothing holds but this compilation is not worth finishing.
        let interrupted = || background && Arc::strong_count(code) == 1;
        let options = CompileOptions {
            interrupted: &interrupted,
            max_function_blocks: code.max_function_blocks,
            max_threads: self.policy.threads(),
        };
        let result = self.second.compile_with(&code.module, &options);
        let error = match result {
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
            took: started.elapsed(),
            error,
        });
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
            Queue::push(self, Arc::downgrade(&code));
        } else {
            self.compile_second(&code, false);
        }
    }

    /// Whether the second tier runs a call into `code` now.
    fn pick_second(self: &Arc<Self>, code: &TieredCode) -> bool {
        if self.policy.alternates() {
            let n = code.calls.fetch_add(1, Ordering::Relaxed);
            if code.stage() == Stage::First && n + 1 >= self.policy.calls() {
                self.tier_up(code);
            }
            // Turns, first tier first, once the second tier is in place.
            return code.stage() == Stage::Second && n % 2 == 1;
        }
        match code.stage() {
            Stage::Second => true,
            Stage::Compiling | Stage::Failed => false,
            Stage::First => {
                let n = code.calls.fetch_add(1, Ordering::Relaxed) + 1;
                if n >= self.policy.calls() {
                    self.tier_up(code);
                }
                code.stage() == Stage::Second
            }
        }
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
    ) -> Option<Arc<dyn CompiledCode>> {
        let second = self.inner.second.deserialize(module, bytes)?;
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
        let FuncKind::Wasm { instance, .. } = store.funcs[func.index()].kind else {
            unreachable!("the store calls host functions itself")
        };
        let code = store
            .instance(instance)
            .code
            .clone()
            .expect("a wasm instance has code");
        // Code not of this engine (it makes no other) goes to the first
        // tier, whose check says so.
        let tiered = code_as::<TieredCode>(&*code);
        let second = tiered.is_some_and(|c| self.inner.pick_second(c));
        if let (Some(tiered), false) = (tiered, second) {
            match tiered.stage() {
                Stage::First | Stage::Compiling => tiered.ran_in(&store.interrupt),
                // Forced turns: the first tier's loops move at once.
                Stage::Second => store.interrupt.poke(),
                Stage::Failed => {}
            }
        }
        drop(code);
        if second {
            self.inner.second.call_wasm(store, func, stack)
        } else {
            self.inner.first.call_wasm(store, func, stack)
        }
    }

    /// The second tier's entry, once the module's code is there; the hook
    /// of [`TierPolicy::with_on_loop_entry`] is told after it ran.
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
        if code_as::<TieredCode>(&*code)?.stage() != Stage::Second {
            return None;
        }
        drop(code);
        let function = inst
            .module
            .as_ref()
            .map_or(0, |m| m.imported_function_count())
            + index;
        let result = self
            .inner
            .second
            .call_wasm_at_loop(store, func, offset, locals, stack);
        if result.is_some() {
            self.inner
                .policy
                .tell_loop_entry(&LoopEntry { function, offset });
        }
        result
    }
}
