//! When a module moves to the second tier, and what is told when it has.

use std::sync::Arc;
use std::time::Duration;

/// What [`TierPolicy::with_on_tier_up`] is told when a compilation for the
/// second tier ends: of a module's hot functions (see
/// [`TierPolicy::with_profile`]), or of the whole module.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TierUp {
    /// The defined functions compiled together.
    pub functions: usize,
    /// Whether these were the module's hot functions only: their calls run
    /// in the second tier from now on, the other functions' stay in the
    /// first until the whole module is compiled.
    pub hot: bool,
    /// How long the compilation took.
    pub took: Duration,
    /// Why the second tier could not compile the module, which then keeps
    /// running in the first; `None` when its code is in use from now on.
    pub error: Option<String>,
}

/// A function told of each [`TierUp`].
pub type TierUpHook = Arc<dyn Fn(&TierUp) + Send + Sync>;

/// What [`TierPolicy::with_on_loop_entry`] is told when a call running in
/// the first tier moves into the second at a loop (on-stack replacement).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoopEntry {
    /// The function, by its index in its module's function index space
    /// (imports first).
    pub function: u32,
    /// The module offset of the `loop` operator it entered at.
    pub offset: u32,
}

/// The first round's sampling window by default (see
/// [`TierPolicy::with_profile`]).
const DEFAULT_PROFILE: Duration = Duration::from_millis(20);

/// The default of [`TierPolicy::with_hot_first_from`], in bytes of function
/// bodies per compilation thread.
const HOT_FIRST_FROM: usize = 2 << 20;

/// The default of [`TierPolicy::with_whole_at`].
const FORCED_WHOLE_AT: u32 = 8;

/// A function told of each [`LoopEntry`].
pub type LoopEntryHook = Arc<dyn Fn(&LoopEntry) + Send + Sync>;

/// When and how [`Tiered`](crate::Tiered) moves a module to its second tier.
///
/// The default compiles a module in the background from its first call,
/// with one thread fewer than the machine has cores (at least one), so the
/// guest that started it keeps a core.
///
/// ```
/// use wazero_tiered::TierPolicy;
/// let policy = TierPolicy::default().with_calls(3).with_compile_threads(1);
/// assert_eq!(policy.calls(), 3);
/// assert!(policy.in_background());
/// assert!(!TierPolicy::forced().in_background());
/// ```
#[derive(Clone)]
pub struct TierPolicy {
    calls: u32,
    background: bool,
    compile_threads: usize,
    alternate: bool,
    whole_at: u32,
    profile: Duration,
    hot_first_from: usize,
    on_tier_up: Option<TierUpHook>,
    on_loop_entry: Option<LoopEntryHook>,
}

impl Default for TierPolicy {
    fn default() -> Self {
        Self {
            calls: 1,
            background: true,
            compile_threads: 0,
            alternate: false,
            whole_at: FORCED_WHOLE_AT,
            profile: DEFAULT_PROFILE,
            hot_first_from: HOT_FIRST_FROM,
            on_tier_up: None,
            on_loop_entry: None,
        }
    }
}

impl std::fmt::Debug for TierPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TierPolicy")
            .field("calls", &self.calls)
            .field("background", &self.background)
            .field("compile_threads", &self.compile_threads)
            .field("alternate", &self.alternate)
            .field("whole_at", &self.whole_at)
            .field("profile", &self.profile)
            .field("hot_first_from", &self.hot_first_from)
            .field("on_tier_up", &self.on_tier_up.is_some())
            .field("on_loop_entry", &self.on_loop_entry.is_some())
            .finish()
    }
}

impl TierPolicy {
    /// For tests of the tiers' transitions: a module is compiled on the
    /// thread of its first call, before that call runs, and from then on
    /// the calls into it that the engine sees (from the host, or from
    /// another module's compiled code) take the two tiers in turn, the
    /// first tier first. Calls that code running in the first tier makes
    /// to the module's functions run in the second, so every call crosses
    /// between the tiers in one direction or the other. A call running in
    /// the first tier moves into the second at the first back-edge of a
    /// loop that has an entry there (on-stack replacement).
    ///
    /// The module moves in two steps, as hot functions do: first its
    /// even-numbered defined functions alone (their code calls the others
    /// through the store, which runs them in the first tier), and from its
    /// eighth call on ([`TierPolicy::with_whole_at`]), the whole module.
    pub fn forced() -> Self {
        Self {
            calls: 1,
            background: false,
            compile_threads: 0,
            alternate: true,
            whole_at: FORCED_WHOLE_AT,
            profile: Duration::ZERO,
            hot_first_from: usize::MAX,
            on_tier_up: None,
            on_loop_entry: None,
        }
    }

    /// The calls into a module (from the host, or from another module
    /// through the store) at which its compilation for the second tier
    /// starts: 1 (the default) starts it with the first call; 0 is taken
    /// as 1.
    pub fn with_calls(mut self, calls: u32) -> Self {
        self.calls = calls.max(1);
        self
    }

    /// Compile on a background thread (the default), or with `false` on
    /// the thread of the call that starts it, before that call runs (for
    /// tests that need to know when code moves). The same holds for the
    /// code that moves a running call at a loop (on-stack replacement): in
    /// the background, the call goes on in the first tier until that code
    /// is compiled, and moves at a back-edge after; else the call's thread
    /// compiles it before the call moves.
    pub fn with_background(mut self, background: bool) -> Self {
        self.background = background;
        self
    }

    /// The most threads one module's compilation keeps busy; 0 (the
    /// default) for one fewer than the machine has cores, at least one.
    pub fn with_compile_threads(mut self, threads: usize) -> Self {
        self.compile_threads = threads;
        self
    }

    /// Moves every module's hot functions first, in batches, sampling for
    /// `window` in the first round; `Duration::ZERO` compiles every module
    /// whole. By default, only large modules move hot functions first (see
    /// [`TierPolicy::with_hot_first_from`]), with a window of 20 ms.
    ///
    /// In the background, the engine runs the module in the first tier for
    /// `window` (longer in later rounds: four times, then half as long
    /// again each round, at most two seconds), poking the stores running
    /// it every millisecond ([`Interrupt::poke`](wazero_store::Interrupt::poke)),
    /// and the first tier notes which function was running at its next
    /// loop back-edge; once functions of both tiers call each other, each
    /// such call is noted too. The functions noted, and those they call
    /// directly (within a size budget), are compiled as a batch, reusing
    /// the code of the batch before, and their calls move to the second
    /// tier (the others' calls of compiled code go through the engine).
    /// Rounds go on while the program runs: after two rounds that find
    /// nothing new, sampling pauses until the engine is asked to run one of
    /// the module's functions again (a call from the host, or between the
    /// tiers).
    /// Once the batches are most of the module, or sixteen batches are in,
    /// the whole module is compiled.
    ///
    /// Rounds are jobs of the background queue like any compilation, so
    /// other modules' compilations and loop entries run between them.
    pub fn with_profile(mut self, window: Duration) -> Self {
        self.profile = window;
        self.hot_first_from = 0;
        self
    }

    /// Moves hot functions first (see [`TierPolicy::with_profile`]) for
    /// modules whose function bodies are at least `bytes` per compilation
    /// thread ([`TierPolicy::with_compile_threads`]), and smaller modules
    /// whole; `usize::MAX` for every module whole. The default, 2 MiB per
    /// thread, is about three seconds of Cranelift's time on one thread:
    /// measured (docs/benchmarks.md), a module that compiles faster than
    /// that runs best compiled whole at once (its calls stay within one
    /// tier), a larger one best hot functions first (YoWASP Yosys, 28 MB,
    /// takes 35 s to compile whole, and its programs mostly end sooner).
    ///
    /// ```
    /// use wazero_tiered::TierPolicy;
    /// // Hot functions first from 8 MiB per compilation thread, of one.
    /// let policy = TierPolicy::default()
    ///     .with_compile_threads(1)
    ///     .with_hot_first_from(8 << 20);
    /// assert!(policy.hot_first(16 << 20));
    /// assert!(!policy.hot_first(1 << 20));
    /// ```
    pub fn with_hot_first_from(mut self, bytes: usize) -> Self {
        self.hot_first_from = bytes;
        self
    }

    /// Whether a module whose function bodies take `code_bytes` bytes moves
    /// its hot functions first (see [`TierPolicy::with_hot_first_from`]).
    pub fn hot_first(&self, code_bytes: usize) -> bool {
        !self.profile.is_zero() && code_bytes >= self.hot_first_from.saturating_mul(self.threads())
    }

    /// Under [`TierPolicy::forced`], the call into a module (counting from
    /// the one that compiles its first half) from which the whole module
    /// is compiled: 8 by default, `u32::MAX` for never (to measure calls
    /// between the tiers). Other policies ignore it.
    pub fn with_whole_at(mut self, calls: u32) -> Self {
        self.whole_at = calls;
        self
    }

    /// Calls `hook` each time a compilation for the second tier ends (of a
    /// module's hot functions, or of the whole module: see [`TierUp`]), on
    /// the thread that compiled it, after its code is in use.
    pub fn with_on_tier_up(mut self, hook: impl Fn(&TierUp) + Send + Sync + 'static) -> Self {
        self.on_tier_up = Some(Arc::new(hook));
        self
    }

    /// Calls `hook` each time a call running in the first tier moves into
    /// the second at a loop, on the thread of the call, just before the
    /// second tier runs it on from there.
    pub fn with_on_loop_entry(mut self, hook: impl Fn(&LoopEntry) + Send + Sync + 'static) -> Self {
        self.on_loop_entry = Some(Arc::new(hook));
        self
    }

    /// See [`TierPolicy::with_calls`].
    pub fn calls(&self) -> u32 {
        self.calls
    }

    /// See [`TierPolicy::with_background`].
    pub fn in_background(&self) -> bool {
        self.background
    }

    /// See [`TierPolicy::with_profile`].
    pub fn profile(&self) -> Duration {
        self.profile
    }

    /// See [`TierPolicy::with_whole_at`].
    pub(crate) fn whole_at(&self) -> u32 {
        self.whole_at
    }

    /// The threads a compilation may use under this policy, on this machine.
    pub(crate) fn threads(&self) -> usize {
        match self.compile_threads {
            0 => std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .saturating_sub(1)
                .max(1),
            n => n,
        }
    }

    /// Whether calls take the two tiers in turn (see [`TierPolicy::forced`]).
    pub(crate) fn alternates(&self) -> bool {
        self.alternate
    }

    /// Tells the hook, if any, of `event`.
    pub(crate) fn tell(&self, event: &TierUp) {
        if let Some(hook) = &self.on_tier_up {
            hook(event);
        }
    }

    /// Tells the loop entry hook, if any, of `event`.
    pub(crate) fn tell_loop_entry(&self, event: &LoopEntry) {
        if let Some(hook) = &self.on_loop_entry {
            hook(event);
        }
    }
}
