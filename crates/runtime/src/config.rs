//! Configuration of a runtime and of one instantiation.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use wazero_api::{CoreFeatures, MAX_PAGES};
use wazero_wasi_preview1::{FsConfig, WasiConfig};

/// Which engine runs the code.
#[derive(Clone)]
pub(crate) enum EngineKind {
    /// The default: the tiered engine where this build has the interpreter
    /// and a compiler for this platform, else the one it has.
    Auto,
    /// The portable interpreter.
    Interpreter,
    /// The native compiler; compiling fails clearly where there is none.
    Compiler,
    /// The interpreter first, the compiler once it has compiled the module.
    Tiered(wazero_tiered::TierPolicy),
    /// An engine given by the user ([`RuntimeConfig::with_engine`]).
    Custom(std::sync::Arc<dyn crate::engine::Engine>),
}

impl std::fmt::Debug for EngineKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EngineKind::Auto => f.write_str("Auto"),
            EngineKind::Interpreter => f.write_str("Interpreter"),
            EngineKind::Compiler => f.write_str("Compiler"),
            EngineKind::Tiered(policy) => write!(f, "Tiered({policy:?})"),
            EngineKind::Custom(engine) => write!(f, "Custom({})", engine.name()),
        }
    }
}

/// How a [`Runtime`](crate::Runtime) compiles and runs modules (wazero's `RuntimeConfig`).
///
/// Every `with_` method returns a modified copy, so a base configuration can be
/// shared.
///
/// ```
/// use wazero::{CoreFeatures, RuntimeConfig};
/// let config = RuntimeConfig::interpreter()
///     .with_core_features(CoreFeatures::V1)
///     .with_memory_limit_pages(16)
///     .with_custom_sections(true);
/// # let _ = config;
/// ```
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    pub(crate) engine: EngineKind,
    pub(crate) features: CoreFeatures,
    pub(crate) memory_limit_pages: u32,
    pub(crate) memory_capacity_from_max: bool,
    pub(crate) custom_sections: bool,
    pub(crate) debug_info: bool,
    pub(crate) max_call_depth: u32,
    pub(crate) max_reentry_depth: u32,
    pub(crate) max_table_elements: u64,
    pub(crate) max_exceptions: u32,
    pub(crate) max_function_blocks: u32,
    pub(crate) explicit_bounds_checks: bool,
    pub(crate) cache: Option<crate::CompilationCache>,
    pub(crate) close_on_interrupt: bool,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl RuntimeConfig {
    /// The default: the tiered engine ([`RuntimeConfig::tiered`]: a module
    /// starts at once in the interpreter and moves to compiled code once the
    /// compiler has compiled it in the background) where this platform has a
    /// compiler, else the interpreter; all of WebAssembly 2.0; memories up to
    /// 4 GiB. [`RuntimeConfig::compiler`] compiles every module before it
    /// runs, [`RuntimeConfig::interpreter`] never does.
    pub fn new() -> Self {
        Self {
            engine: EngineKind::Auto,
            features: CoreFeatures::DEFAULT,
            memory_limit_pages: MAX_PAGES,
            memory_capacity_from_max: false,
            custom_sections: false,
            debug_info: true,
            max_call_depth: 100_000,
            max_reentry_depth: 256,
            max_table_elements: 1 << 25,
            max_exceptions: 1 << 20,
            max_function_blocks: wazero_store::DEFAULT_MAX_FUNCTION_BLOCKS,
            explicit_bounds_checks: false,
            cache: None,
            close_on_interrupt: false,
        }
    }

    /// Runs modules on `engine`: any implementation of
    /// [`engine::Engine`](crate::engine::Engine), from this crate (the
    /// interpreter and the compiler, see [`crate::engine`]) or from another.
    ///
    /// ```
    /// # #[cfg(feature = "interpreter")] {
    /// use std::sync::Arc;
    /// use wazero::{engine, Runtime, RuntimeConfig};
    /// let config = RuntimeConfig::new().with_engine(Arc::new(engine::Interpreter::new()));
    /// let runtime = Runtime::with_config(config);
    /// assert_eq!(runtime.engine_name(), "interpreter");
    /// # }
    /// ```
    pub fn with_engine(mut self, engine: std::sync::Arc<dyn crate::engine::Engine>) -> Self {
        self.engine = EngineKind::Custom(engine);
        self
    }

    /// The portable interpreter, on every platform.
    pub fn interpreter() -> Self {
        Self {
            engine: EngineKind::Interpreter,
            ..Self::new()
        }
    }

    /// The native compiler. Where this build or platform has none, compiling a
    /// module fails with an error that says so.
    pub fn compiler() -> Self {
        Self {
            engine: EngineKind::Compiler,
            ..Self::new()
        }
    }

    /// The tiered engine, the default: a module starts running at once in the
    /// interpreter (which translates each function on its first call) while
    /// the compiler compiles it on a background thread; when that code is
    /// ready, the module's calls run it, also those made by interpreted frames
    /// still running, whose loops move into compiled code at their next
    /// back-edge (on-stack replacement). Compiling a module does only what the
    /// interpreter does (validation), so a large module starts in a fraction
    /// of the compiler's time, then runs at compiled speed.
    ///
    /// Where this build or platform has no compiler it is the interpreter;
    /// without the interpreter, the compiler. See
    /// [`RuntimeConfig::with_tier_policy`] for when modules move.
    ///
    /// ```
    /// use wazero::{Runtime, RuntimeConfig};
    /// let runtime = Runtime::with_config(RuntimeConfig::tiered());
    /// # #[cfg(all(feature = "interpreter", feature = "compiler", target_arch = "x86_64", target_os = "linux"))]
    /// assert_eq!(runtime.engine_name(), "tiered");
    /// ```
    pub fn tiered() -> Self {
        Self::new().with_tier_policy(wazero_tiered::TierPolicy::default())
    }

    /// The tiered engine ([`RuntimeConfig::tiered`]) moving modules to the
    /// compiler as `policy` says: when (at which call into the module), on
    /// how many background threads, or synchronously for tests, and what to
    /// call when a module's compiled code is in place.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// use wazero::{engine::TierPolicy, Runtime, RuntimeConfig};
    /// let moved = Arc::new(AtomicUsize::new(0));
    /// let seen = moved.clone();
    /// let policy = TierPolicy::default()
    ///     .with_background(false)
    ///     .with_on_tier_up(move |_| { seen.fetch_add(1, Ordering::Relaxed); });
    /// let runtime = Runtime::with_config(RuntimeConfig::new().with_tier_policy(policy));
    /// let wasm = wat::parse_str(r#"(module (func (export "f") (result i32) (i32.const 7)))"#)?;
    /// let module = runtime.instantiate(&wasm)?;
    /// let f = module.exported_function("f").unwrap();
    /// assert_eq!(f.call(&[])?, vec![7]);
    /// # #[cfg(all(feature = "interpreter", feature = "compiler", target_arch = "x86_64", target_os = "linux"))]
    /// assert_eq!(moved.load(Ordering::Relaxed), 1); // compiled before that first call ran
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_tier_policy(mut self, policy: wazero_tiered::TierPolicy) -> Self {
        self.engine = EngineKind::Tiered(policy);
        self
    }

    /// The WebAssembly features modules may use (default: [`CoreFeatures::DEFAULT`]: WebAssembly 2.0 and the parts of 3.0 implemented).
    pub fn with_core_features(mut self, features: CoreFeatures) -> Self {
        self.features = features;
        self
    }

    /// The most pages (64 KiB each) any memory may have (default: 65536, 4 GiB).
    /// A 32-bit memory never has more than 65536 whatever the limit; a limit
    /// above it lets 64-bit memories (memory64) pass 4 GiB. A module whose
    /// memory needs more fails to instantiate; `memory.grow` past it returns -1.
    pub fn with_memory_limit_pages(mut self, pages: u32) -> Self {
        self.memory_limit_pages = pages;
        self
    }

    /// Allocate each memory's maximum size up front (reserving address space, not
    /// touching pages), so growing never moves or copies it.
    pub fn with_memory_capacity_from_max(mut self, enabled: bool) -> Self {
        self.memory_capacity_from_max = enabled;
        self
    }

    /// Keep custom sections, for [`CompiledModule::custom_sections`](crate::CompiledModule::custom_sections).
    pub fn with_custom_sections(mut self, enabled: bool) -> Self {
        self.custom_sections = enabled;
        self
    }

    /// Use the name section for function names in backtraces (default: on).
    pub fn with_debug_info_enabled(mut self, enabled: bool) -> Self {
        self.debug_info = enabled;
        self
    }

    /// The deepest nesting of WebAssembly calls before the guest traps with
    /// "call stack exhausted" (default 100 000). The interpreter counts frames;
    /// the compiler runs guest calls on the native stack and traps when its
    /// budget (1 MiB, within the thread's stack) is used up, whichever depth
    /// that is.
    pub fn with_max_call_depth(mut self, depth: u32) -> Self {
        self.max_call_depth = depth.max(1);
        self
    }

    /// The deepest nesting of calls into WebAssembly from host functions
    /// (host → guest → host → ...) before the innermost traps with "call stack
    /// exhausted" (default 256). Each level also needs native stack, so on a
    /// small thread the trap may come sooner: both engines stop before the
    /// thread's stack would overflow.
    pub fn with_max_reentry_depth(mut self, depth: u32) -> Self {
        self.max_reentry_depth = depth.max(1);
        self
    }

    /// The most elements all tables of a namespace may hold together (default
    /// 2<sup>25</sup>, 256 MiB of references): past it `table.grow` returns -1 and
    /// instantiating a module whose tables do not fit fails with a resource
    /// error.
    pub fn with_max_table_elements(mut self, elements: u64) -> Self {
        self.max_table_elements = elements;
        self
    }

    /// The most exceptions a namespace holds at once (default 2<sup>20</sup>):
    /// past it, a `throw` traps with
    /// [`TooManyExceptions`](crate::TrapCode::TooManyExceptions). An exception
    /// is held while it is thrown, and for good once the guest has kept it as
    /// an `exnref` value (`catch_ref`, `catch_all_ref`, or a legacy `catch`
    /// whose clause may `rethrow` it): without a garbage collector nothing
    /// tells when the guest let go of it. Exceptions caught without a
    /// reference, or that leave the guest, are freed at once.
    pub fn with_max_exceptions(mut self, exceptions: u32) -> Self {
        self.max_exceptions = exceptions;
        self
    }

    /// The most blocks (`block`, `loop`, `if`) one function may have for the
    /// compiler (default 262,144). Cranelift needs about 1.7 KB per block while
    /// it compiles a function, so this bounds the memory of each compiling
    /// thread to about 450 MB, whatever the module; a function past it fails to
    /// compile with [`Error::Compile`](crate::Error::Compile) naming it. The
    /// interpreter, which translates a function only when it is first called,
    /// has no such limit and runs such functions.
    pub fn with_max_function_blocks(mut self, blocks: u32) -> Self {
        self.max_function_blocks = blocks;
        self
    }

    /// Close a module when a call into it is interrupted (default: off), as
    /// wazero's `WithCloseOnContextDone` does: the interrupted call fails as
    /// usual (see [`Error::is_interrupted`](crate::Error::is_interrupted)), and
    /// later calls into the module fail with
    /// [`Error::Exit`](crate::Error::Exit)`(`[`EXIT_CODE_INTERRUPTED`](crate::EXIT_CODE_INTERRUPTED)`)`;
    /// its name is free again. Off, the module stays open and usable after an
    /// interrupt, as after any trap. Either way, an interrupt or timeout stops
    /// only the call it was meant for (see [`InterruptHandle`](crate::InterruptHandle)).
    ///
    /// ```
    /// use std::time::Duration;
    /// use wazero::{Runtime, RuntimeConfig, EXIT_CODE_INTERRUPTED};
    /// let runtime = Runtime::with_config(RuntimeConfig::new().with_close_on_interrupt(true));
    /// let module = runtime.instantiate(&wat::parse_str(
    ///     r#"(module (func (export "spin") (loop (br 0))))"#)?)?;
    /// let spin = module.exported_function("spin").unwrap();
    /// assert!(spin.call_with_timeout(&[], Duration::from_millis(10)).unwrap_err().is_interrupted());
    /// assert!(module.is_closed());
    /// assert_eq!(spin.call(&[]).unwrap_err().exit_code(), Some(EXIT_CODE_INTERRUPTED));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_close_on_interrupt(mut self, enabled: bool) -> Self {
        self.close_on_interrupt = enabled;
        self
    }

    /// Make compiled code check every linear-memory access against the memory's
    /// length (default: off). By default, where the platform allows it (64-bit
    /// Linux), the compiler reserves 8 GiB of address space per memory with
    /// everything past its length inaccessible, leaves the checks out, and turns
    /// the fault of an out-of-bounds access into a trap. Explicit checks use no
    /// extra address space and no signal handler, at some cost in speed (see
    /// `docs/benchmarks.md`). The interpreter always checks.
    pub fn with_explicit_bounds_checks(mut self, enabled: bool) -> Self {
        self.explicit_bounds_checks = enabled;
        self
    }

    /// Reuse compiled code through `cache` (shared, not copied): a module
    /// compiled before with the same bytes, features and engine is not compiled
    /// again (wazero's `WithCompilationCache`).
    pub fn with_compilation_cache(mut self, cache: &crate::CompilationCache) -> Self {
        self.cache = Some(cache.clone());
        self
    }
}

/// Per-instantiation configuration (wazero's `ModuleConfig`).
///
/// ```
/// use wazero::ModuleConfig;
/// let config = ModuleConfig::new().with_name("calc").with_start_functions(&[]);
/// # let _ = config;
/// ```
pub struct ModuleConfig {
    pub(crate) name: Option<String>,
    /// `None`: the default (`_start`, or `_initialize` for a reactor).
    pub(crate) start_functions: Option<Vec<String>>,
    pub(crate) data: Option<Box<dyn std::any::Any + Send>>,
    pub(crate) sys: WasiConfig,
}

impl std::fmt::Debug for ModuleConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModuleConfig")
            .field("name", &self.name)
            .field("start_functions", &self.start_functions)
            .field("data", &self.data.is_some())
            .field("sys", &self.sys)
            .finish()
    }
}

impl Default for ModuleConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl ModuleConfig {
    /// Defaults: the name from the module's name section (or none), and after
    /// instantiation `_start` called if the module exports it, else
    /// `_initialize` if it exports that (a reactor; see
    /// [`with_start_functions`](Self::with_start_functions)).
    pub fn new() -> Self {
        Self {
            name: None,
            start_functions: None,
            data: None,
            sys: WasiConfig::new(),
        }
    }

    /// Attaches `data` to the instance: its host functions reach it through
    /// [`Caller::data`](crate::Caller::data) / [`Caller::data_mut`](crate::Caller::data_mut)
    /// (with its memory: [`Caller::memory_and_data`](crate::Caller::memory_and_data)),
    /// so they can keep per-instance state without globals; the host reads and
    /// changes it between calls with [`Module::data`](crate::Module::data) /
    /// [`Module::data_mut`](crate::Module::data_mut).
    ///
    /// ```
    /// use wazero::{Caller, ModuleConfig, Runtime};
    /// let runtime = Runtime::new();
    /// runtime
    ///     .new_host_module_builder("env")
    ///     .new_function_builder()
    ///     .with_func(|caller: &mut Caller<'_>| {
    ///         let count = caller.data_mut::<u32>().expect("a u32 is attached");
    ///         *count += 1;
    ///         *count
    ///     })
    ///     .export("count")
    ///     .instantiate()?;
    /// let compiled = runtime.compile_module(&wat::parse_str(r#"(module
    ///     (import "env" "count" (func $count (result i32)))
    ///     (func (export "count") (result i32) (call $count)))"#)?)?;
    /// let a = runtime.instantiate_module(&compiled, ModuleConfig::new().with_data(0u32))?;
    /// let b = runtime.instantiate_module(&compiled, ModuleConfig::new().with_data(100u32))?;
    /// let count = |m: &wazero::Module| m.exported_function("count").unwrap().call(&[]);
    /// assert_eq!((count(&a)?, count(&a)?, count(&b)?), (vec![1], vec![2], vec![101]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_data<T: std::any::Any + Send>(mut self, data: T) -> Self {
        self.data = Some(Box::new(data));
        self
    }

    /// The name other modules import this instance by. An empty name makes it
    /// anonymous (it can then be instantiated any number of times).
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Exported functions (without parameters) to call, in order, after
    /// instantiation; those not exported are skipped. `&[]` calls none.
    ///
    /// Without this option, a module is started as the WASI application ABI
    /// says: a *command* (it exports `_start`) has `_start` called, as in
    /// wazero; a *reactor* (it exports `_initialize` and no `_start`, as
    /// clang's `-mexec-model=reactor` builds it) has `_initialize` called, so
    /// that its exports are ready to call once instantiation returns. Naming
    /// the functions here replaces that choice: `with_start_functions(&["_start"])`
    /// never calls `_initialize`.
    ///
    /// ```
    /// use wazero::{ModuleConfig, Runtime};
    /// let runtime = Runtime::new();
    /// let reactor = wat::parse_str(r#"(module
    ///     (global $ready (export "ready") (mut i32) (i32.const 0))
    ///     (func (export "_initialize") (global.set $ready (i32.const 1))))"#)?;
    /// let compiled = runtime.compile_module(&reactor)?;
    /// let module = runtime.instantiate_module(&compiled, ModuleConfig::new())?;
    /// assert_eq!(module.exported_global("ready").unwrap().get(), 1, "initialized");
    /// let module = runtime.instantiate_module(&compiled, ModuleConfig::new().with_start_functions(&[]))?;
    /// assert_eq!(module.exported_global("ready").unwrap().get(), 0, "left alone");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_start_functions(mut self, names: &[&str]) -> Self {
        self.start_functions = Some(names.iter().map(|s| s.to_string()).collect());
        self
    }

    fn sys(mut self, f: impl FnOnce(WasiConfig) -> WasiConfig) -> Self {
        self.sys = f(std::mem::take(&mut self.sys));
        self
    }

    /// The guest's arguments (WASI `args_get`), the program name first.
    ///
    /// The system options below are wazero's: by default a guest has no
    /// arguments, environment or file system, empty standard input, discarded
    /// output, fake clocks (a wall clock starting at 2022-01-01 and a monotonic
    /// clock, each advancing 1 ms per reading), a sleep that returns at once, and
    /// random bytes from the operating system.
    ///
    /// ```
    /// use wazero::{FsConfig, ModuleConfig, SharedBuffer};
    /// let stdout = SharedBuffer::new();
    /// let config = ModuleConfig::new()
    ///     .with_args(["app", "--verbose"])
    ///     .with_env("HOME", "/home")
    ///     .with_stdout(stdout.clone())
    ///     .with_fs_config(FsConfig::new().with_read_only_dir_mount(".", "/"));
    /// # let _ = config;
    /// ```
    pub fn with_args<I, S>(self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        self.sys(|s| s.with_args(args))
    }

    /// Adds the environment variable `key=value` (WASI `environ_get`).
    pub fn with_env(self, key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> Self {
        self.sys(|s| s.with_env(key, value))
    }

    /// Standard input reads from `reader` (any `Read`, e.g. `&b"..."[..]` or a file).
    pub fn with_stdin(self, reader: impl Read + Send + 'static) -> Self {
        self.sys(|s| s.with_stdin(reader))
    }

    /// Standard output goes to `writer` (e.g. a [`SharedBuffer`](crate::SharedBuffer)).
    pub fn with_stdout(self, writer: impl Write + Send + 'static) -> Self {
        self.sys(|s| s.with_stdout(writer))
    }

    /// Standard error goes to `writer`.
    pub fn with_stderr(self, writer: impl Write + Send + 'static) -> Self {
        self.sys(|s| s.with_stderr(writer))
    }

    /// The guest uses the host process's standard input, output and error.
    pub fn with_inherited_stdio(self) -> Self {
        self.sys(WasiConfig::with_inherited_stdio)
    }

    /// The wall clock: `now()` gives nanoseconds since the Unix epoch;
    /// `resolution` is in nanoseconds.
    pub fn with_walltime(
        self,
        now: impl Fn() -> u64 + Send + Sync + 'static,
        resolution: u64,
    ) -> Self {
        self.sys(|s| s.with_walltime(now, resolution))
    }

    /// The host's wall clock.
    pub fn with_sys_walltime(self) -> Self {
        self.sys(WasiConfig::with_sys_walltime)
    }

    /// The monotonic clock: `now()` gives nanoseconds from a fixed point and must
    /// never decrease; `resolution` is in nanoseconds.
    pub fn with_nanotime(
        self,
        now: impl Fn() -> u64 + Send + Sync + 'static,
        resolution: u64,
    ) -> Self {
        self.sys(|s| s.with_nanotime(now, resolution))
    }

    /// The host's monotonic clock (and CPU-time clocks).
    pub fn with_sys_nanotime(self) -> Self {
        self.sys(WasiConfig::with_sys_nanotime)
    }

    /// How the guest sleeps (`poll_oneoff` on clocks alone).
    pub fn with_nanosleep(self, sleep: impl Fn(Duration) + Send + Sync + 'static) -> Self {
        self.sys(|s| s.with_nanosleep(sleep))
    }

    /// The guest really sleeps.
    pub fn with_sys_nanosleep(self) -> Self {
        self.sys(WasiConfig::with_sys_nanosleep)
    }

    /// Random bytes (`random_get`) come from `source`, e.g. a seeded generator
    /// for reproducible runs.
    pub fn with_rand_source(self, source: impl Read + Send + 'static) -> Self {
        self.sys(|s| s.with_rand_source(source))
    }

    /// The directories the guest sees (see [`FsConfig`](crate::FsConfig)).
    pub fn with_fs_config(self, fs: FsConfig) -> Self {
        self.sys(|s| s.with_fs_config(fs))
    }

    /// Hands a bound TCP listener to the guest (for `sock_accept`), as the next
    /// descriptor after the mounts.
    pub fn with_listener(self, listener: TcpListener) -> Self {
        self.sys(|s| s.with_listener(listener))
    }

    /// Writes a line for each WASI call the guest makes (name, parameters,
    /// result) to `log`.
    pub fn with_host_logging(self, log: impl Write + Send + 'static) -> Self {
        self.sys(|s| s.with_host_logging(log))
    }
}
