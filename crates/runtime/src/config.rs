//! Configuration of a runtime and of one instantiation.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use wazero_api::{CoreFeatures, MAX_PAGES};
use wazero_wasi_preview1::{FsConfig, WasiConfig};

/// Which engine runs the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EngineKind {
    /// The best available: the compiler where supported, else the interpreter.
    Auto,
    /// The portable interpreter.
    Interpreter,
    /// The native compiler; compiling fails clearly where there is none.
    Compiler,
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
    pub(crate) explicit_bounds_checks: bool,
    pub(crate) cache: Option<crate::CompilationCache>,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl RuntimeConfig {
    /// The default: the compiler where this platform has one, else the interpreter;
    /// all of WebAssembly 2.0; memories up to 4 GiB.
    pub fn new() -> Self {
        Self {
            engine: EngineKind::Auto,
            features: CoreFeatures::V2,
            memory_limit_pages: MAX_PAGES,
            memory_capacity_from_max: false,
            custom_sections: false,
            debug_info: true,
            max_call_depth: 100_000,
            explicit_bounds_checks: false,
            cache: None,
        }
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

    /// The WebAssembly features modules may use (default: [`CoreFeatures::V2`]).
    pub fn with_core_features(mut self, features: CoreFeatures) -> Self {
        self.features = features;
        self
    }

    /// The most pages (64 KiB each) any memory may have, at most 65536. A module
    /// whose memory needs more fails to instantiate; `memory.grow` past it returns -1.
    pub fn with_memory_limit_pages(mut self, pages: u32) -> Self {
        self.memory_limit_pages = pages.min(MAX_PAGES);
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
    pub(crate) start_functions: Vec<String>,
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
    /// Defaults: the name from the module's name section (or none), and `_start`
    /// called after instantiation if the module exports it.
    pub fn new() -> Self {
        Self {
            name: None,
            start_functions: vec!["_start".to_string()],
            data: None,
            sys: WasiConfig::new(),
        }
    }

    /// Attaches `data` to the instance: its host functions reach it through
    /// [`Caller::data`](crate::Caller::data) / [`Caller::data_mut`](crate::Caller::data_mut),
    /// so they can keep per-instance state without globals.
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
    /// instantiation; those not exported are skipped. Default `["_start"]`.
    pub fn with_start_functions(mut self, names: &[&str]) -> Self {
        self.start_functions = names.iter().map(|s| s.to_string()).collect();
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
