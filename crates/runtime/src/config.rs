//! Configuration of a runtime and of one instantiation.

use wazero_api::{CoreFeatures, MAX_PAGES};

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
    /// "call stack exhausted" (default 100 000).
    pub fn with_max_call_depth(mut self, depth: u32) -> Self {
        self.max_call_depth = depth.max(1);
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
}

impl std::fmt::Debug for ModuleConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModuleConfig")
            .field("name", &self.name)
            .field("start_functions", &self.start_functions)
            .field("data", &self.data.is_some())
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
}
