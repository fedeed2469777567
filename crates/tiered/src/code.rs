//! A module's code in both tiers.

use std::any::{Any, TypeId};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use wazero_store::{CompiledCode, Interrupt};
use wazero_validator::ValidatedModule;

/// Where a module stands on its way to the second tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Stage {
    /// Running in the first tier, not yet asked to move.
    First = 0,
    /// Its compilation for the second tier is queued or running.
    Compiling = 1,
    /// Its functions run in the second tier.
    Second = 2,
    /// The second tier could not compile it: it stays in the first.
    Failed = 3,
}

/// One module's code: the first tier's from the start, the second tier's
/// once compiled. Every instance of the module shares it, so the module is
/// compiled once for all of them.
pub(crate) struct TieredCode {
    /// The first tier's code.
    pub(crate) first: Arc<dyn CompiledCode>,
    /// The second tier's, set once, before the first tier's is retired.
    pub(crate) second: OnceLock<Arc<dyn CompiledCode>>,
    /// The second tier's code of the module's hot functions only, one
    /// batch after the other, each holding the functions of those before
    /// (see [`TieredCode::install_hot`]); the last installed serves.
    hot: [OnceLock<Hot>; MAX_BATCHES],
    /// How many of `hot` are installed.
    batches: AtomicUsize,
    /// Whether the whole module's compilation was started after its hot
    /// functions' (under [`TierPolicy::forced`](crate::TierPolicy::forced)).
    pub(crate) whole_started: AtomicBool,
    /// The module, for the second tier's compilation.
    pub(crate) module: Arc<ValidatedModule>,
    /// The compilation limit the module was compiled under.
    pub(crate) max_function_blocks: u32,
    /// Calls into the module the engine has seen, counted while it is in the
    /// first tier (and always under [`TierPolicy::forced`](crate::TierPolicy::forced)).
    pub(crate) calls: AtomicU32,
    /// A [`Stage`].
    stage: AtomicU8,
    /// This code's own `Arc`, for the background compilation to hold.
    pub(crate) me: Weak<TieredCode>,
    /// What waits for the second tier's code (see [`TieredCode::when_installed`]).
    waiting: Mutex<Vec<Installed>>,
    /// The interrupt requests of the stores that ran the module in the first
    /// tier, to poke when it moves (see [`TieredCode::ran_in`]); once it
    /// moved, of those whose calls wait for an entry at a loop (see
    /// [`TieredCode::waits_at_loop`]).
    stores: Mutex<Vec<Weak<Interrupt>>>,
    /// The loops (defined function, module offset) whose entry in the
    /// second tier a call asked for, with the second tier's code they were
    /// asked of (see [`TieredCode::ask_loop_entry`]).
    loops_asked: Mutex<HashSet<(u32, u32, usize)>>,
    /// The last store `ran_in` recorded, by its interrupt request's
    /// address: a call from the same store again takes no lock.
    last_store: AtomicPtr<Interrupt>,
    /// While moving hot functions first, with sampling paused: the number
    /// of the round to resume at, plus one (0 while sampling goes on, or
    /// before and after).
    paused: AtomicU32,
}

/// The most batches of hot functions a module is compiled in before the
/// whole of it.
pub(crate) const MAX_BATCHES: usize = 16;

/// The second tier's code of some of a module's functions: calls of those
/// run it, calls of the others stay in the first tier.
pub(crate) struct Hot {
    /// Code in which the other functions are calls through the store.
    pub(crate) code: Arc<dyn CompiledCode>,
    /// Per defined function, whether `code` holds it.
    pub(crate) functions: Box<[bool]>,
}

/// A function called with the second tier's code once it is in place.
pub(crate) type Installed = Box<dyn FnOnce(&Arc<dyn CompiledCode>) + Send>;

impl TieredCode {
    /// The code of `module` whose first tier's code is `first`.
    pub(crate) fn new(
        first: Arc<dyn CompiledCode>,
        module: &Arc<ValidatedModule>,
        max_function_blocks: u32,
    ) -> Arc<Self> {
        Arc::new_cyclic(|me| Self {
            first,
            second: OnceLock::new(),
            hot: std::array::from_fn(|_| Default::default()),
            batches: AtomicUsize::new(0),
            whole_started: AtomicBool::new(false),
            module: module.clone(),
            max_function_blocks,
            calls: AtomicU32::new(0),
            stage: AtomicU8::new(Stage::First as u8),
            me: me.clone(),
            waiting: Mutex::new(Vec::new()),
            stores: Mutex::new(Vec::new()),
            loops_asked: Mutex::default(),
            last_store: AtomicPtr::new(std::ptr::null_mut()),
            paused: AtomicU32::new(0),
        })
    }

    /// Records that a store, whose interrupt request is `interrupt`, runs
    /// the module in the first tier: when the module moves, the store is
    /// poked, so that its loops running in the first tier move too (at
    /// their next back-edge, by on-stack replacement). Stores that are gone
    /// are forgotten here, so the list holds at most the live ones.
    pub(crate) fn ran_in(&self, interrupt: &Arc<Interrupt>) {
        // The same store as the last call's (a store freed and another made
        // at its address would be missed: its loops would move only when
        // they return, and nothing else depends on the list).
        let me = Arc::as_ptr(interrupt).cast_mut();
        if self.last_store.load(Ordering::Relaxed) == me {
            return;
        }
        let mut stores = self.stores.lock().unwrap_or_else(|e| e.into_inner());
        self.last_store.store(me, Ordering::Relaxed);
        if self.stage() == Stage::Second {
            // Installed meanwhile: the poke went out; this one is late.
            drop(stores);
            interrupt.poke();
            return;
        }
        remember(&mut stores, interrupt);
    }

    /// Records that the store of `interrupt` runs a call waiting in the
    /// first tier for the second tier's entry at a loop, to be poked by
    /// [`TieredCode::poke_stores`] when that entry's code is compiled.
    pub(crate) fn waits_at_loop(&self, interrupt: &Arc<Interrupt>) {
        remember(
            &mut self.stores.lock().unwrap_or_else(|e| e.into_inner()),
            interrupt,
        );
    }

    /// Notes that a call asked for the second tier's entry at the loop at
    /// `offset` of defined function `index`: true the first time for the
    /// second tier's code in place (a batch of hot functions, then the whole
    /// module's, each with entries of its own), when its compilation is to
    /// be queued.
    pub(crate) fn ask_loop_entry(&self, index: u32, offset: u32) -> bool {
        let code = self.batches.load(Ordering::Acquire)
            + usize::from(self.stage() == Stage::Second) * (MAX_BATCHES + 1);
        self.loops_asked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert((index, offset, code))
    }

    /// Whether calls of defined function `index` run in the second tier:
    /// the whole module's code is in place, or the hot functions' holds it.
    pub(crate) fn runs_second(&self, index: u32) -> bool {
        self.stage() == Stage::Second
            || self
                .hot()
                .is_some_and(|h| h.functions.get(index as usize) == Some(&true))
    }

    /// The bytes of the module's function bodies.
    pub(crate) fn module_bytes(&self) -> usize {
        self.module.code.iter().map(|c| c.range.len()).sum()
    }

    /// How many batches of hot functions are installed.
    pub(crate) fn batches(&self) -> usize {
        self.batches.load(Ordering::Acquire)
    }

    /// Pauses sampling (nothing new ran in the first tier for two rounds):
    /// the next call the engine is asked to run resumes it at round `next`
    /// ([`TieredCode::resume_sampling`]).
    pub(crate) fn pause_sampling(&self, next: u32) {
        self.paused.store(next.saturating_add(1), Ordering::Release);
    }

    /// The round to resume sampling at, if it is paused; it is then no
    /// longer (one caller resumes it). A relaxed load when it is not.
    pub(crate) fn resume_sampling(&self) -> Option<u32> {
        if self.paused.load(Ordering::Relaxed) == 0 {
            return None;
        }
        match self.paused.swap(0, Ordering::AcqRel) {
            0 => None,
            n => Some(n - 1),
        }
    }

    /// The last batch of hot functions installed, if any.
    pub(crate) fn hot(&self) -> Option<&Hot> {
        let n = self.batches.load(Ordering::Acquire);
        self.hot.get(n.checked_sub(1)?)?.get()
    }

    /// Pokes the stores that ran the module in the first tier (see
    /// [`TieredCode::ran_in`]), keeping the list.
    pub(crate) fn poke_stores(&self) {
        let stores: Vec<Arc<Interrupt>> = self
            .stores
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter_map(Weak::upgrade)
            .collect();
        for interrupt in stores {
            interrupt.poke();
        }
    }

    /// Installs the second tier's code of the functions `functions` marks
    /// (see [`Hot`]; they include those of the batches before): it is set,
    /// then the functions new in it are retired in the first tier, so that a
    /// call that sees one retired finds its code in place; then the stores
    /// running the module are poked, so that the calls of those functions
    /// running in the first tier move at their next loop back-edge. Batches
    /// are installed by one thread at a time (the module's compilation);
    /// none once the whole module's code is in place, nor past
    /// [`MAX_BATCHES`].
    pub(crate) fn install_hot(&self, code: Arc<dyn CompiledCode>, functions: Box<[bool]>) {
        let n = self.batches.load(Ordering::Relaxed);
        if self.stage() == Stage::Second || n >= MAX_BATCHES {
            return;
        }
        let before: Vec<bool> = self.hot().map(|h| h.functions.to_vec()).unwrap_or_default();
        if self.hot[n].set(Hot { code, functions }).is_err() {
            return;
        }
        self.batches.store(n + 1, Ordering::Release);
        let Some(hot) = self.hot() else {
            return;
        };
        for (i, _) in hot.functions.iter().enumerate().filter(|(_, &h)| h) {
            if before.get(i) != Some(&true) {
                self.first.retire_function(i as u32);
            }
        }
        self.poke_stores();
    }

    /// Calls `then` with the second tier's code: now if it is in place, else
    /// when it is installed (never, if the second tier fails).
    pub(crate) fn when_installed(&self, then: Installed) {
        let mut waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        match self.second.get() {
            Some(second) => {
                drop(waiting);
                then(second);
            }
            None => waiting.push(then),
        }
    }

    /// Where the module stands.
    pub(crate) fn stage(&self) -> Stage {
        match self.stage.load(Ordering::Acquire) {
            0 => Stage::First,
            1 => Stage::Compiling,
            2 => Stage::Second,
            _ => Stage::Failed,
        }
    }

    /// Moves from [`Stage::First`] to [`Stage::Compiling`]; false when another
    /// call did first.
    pub(crate) fn start_compiling(&self) -> bool {
        self.stage
            .compare_exchange(
                Stage::First as u8,
                Stage::Compiling as u8,
                Ordering::AcqRel,
                Ordering::Relaxed,
            )
            .is_ok()
    }

    /// Installs the second tier's code: it is set, then the first tier's
    /// code is retired, so that a call that sees the first retired finds the
    /// second in place.
    pub(crate) fn install(&self, second: Arc<dyn CompiledCode>) {
        // Only the compilation this code started sets it.
        let _ = self.second.set(second);
        self.stage.store(Stage::Second as u8, Ordering::Release);
        self.first.retire();
        // After the retirement: a poked store's interpreter finds the module
        // retired and its loops' entries in place.
        let stores = std::mem::take(&mut *self.stores.lock().unwrap_or_else(|e| e.into_inner()));
        for interrupt in stores.iter().filter_map(Weak::upgrade) {
            interrupt.poke();
        }
        // Set before the lock is taken: a `when_installed` that takes it
        // later sees the code, one that took it earlier is in the list.
        let waiting = std::mem::take(&mut *self.waiting.lock().unwrap_or_else(|e| e.into_inner()));
        if let Some(second) = self.second.get() {
            for then in waiting {
                then(second);
            }
        }
    }

    /// Records that the second tier could not compile the module; what
    /// waited for its code is dropped. A module already in the second tier
    /// stays there (its first tier's code is retired).
    pub(crate) fn fail(&self) {
        let _ = self.stage.compare_exchange(
            Stage::Compiling as u8,
            Stage::Failed as u8,
            Ordering::AcqRel,
            Ordering::Relaxed,
        );
        self.waiting
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        self.stores
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}

/// Adds the store of `interrupt` to `stores` unless it is there, and
/// forgets the stores that are gone.
fn remember(stores: &mut Vec<Weak<Interrupt>>, interrupt: &Arc<Interrupt>) {
    if stores
        .iter()
        .any(|s| std::ptr::eq(s.as_ptr(), Arc::as_ptr(interrupt)))
    {
        return;
    }
    stores.retain(|s| s.strong_count() > 0);
    stores.push(Arc::downgrade(interrupt));
}

impl CompiledCode for TieredCode {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn part(&self, ty: TypeId) -> Option<&dyn Any> {
        if ty == TypeId::of::<Self>() {
            return Some(self);
        }
        // The whole module's code, once there, serves every call; before,
        // the hot functions' code serves theirs.
        self.first
            .part(ty)
            .or_else(|| self.second.get().and_then(|c| c.part(ty)))
            .or_else(|| self.hot().and_then(|h| h.code.part(ty)))
    }
}
