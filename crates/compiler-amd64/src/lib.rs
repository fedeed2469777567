//! x86-64 code generation for wazero for Rust's native compiler.
//!
//! This crate holds what is specific to x86-64: the Cranelift target (ISA) with the
//! host CPU's features detected by `cranelift-native` (SSE4.1, AVX, BMI, LZCNT,
//! POPCNT, ...), and the [`Amd64Compiler`] engine that the `wazero` facade selects
//! with `RuntimeConfig::compiler()`. Translation, code memory, trampolines and
//! traps are ISA-neutral and live in `wazero-compiler`, so that an AArch64 crate
//! can reuse them unchanged.
//!
//! ```
//! use wazero_store::Engine;
//! if cfg!(target_arch = "x86_64") {
//!     let engine = wazero_compiler_amd64::Amd64Compiler::new().unwrap();
//!     assert_eq!(engine.name(), "compiler");
//! }
//! ```

mod stub;

pub use stub::arch;

use std::sync::Arc;

use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::settings::{self, Configurable};
use wazero_compiler::{CodegenConfig, CraneliftEngine};
use wazero_store::{CallError, CompileOptions, CompiledCode, Engine, FuncAddr, Store};
use wazero_validator::ValidatedModule;

/// The Cranelift settings of every target: optimized code; frame pointers,
/// from which a fault's backtrace is read; no unwind tables, which nothing
/// uses (a trap unwinds to the entry stub in one step, and host panics are
/// caught before they reach compiled code), and whose making costs compile
/// time.
const SETTINGS: [(&str, &str); 3] = [
    ("opt_level", "speed"),
    ("preserve_frame_pointers", "true"),
    ("unwind_info", "false"),
];

/// The Cranelift target for this x86-64 host, with its CPU features, or why there
/// is none (another architecture).
pub fn isa() -> Result<OwnedTargetIsa, String> {
    if !cfg!(target_arch = "x86_64") {
        return Err("the x86-64 compiler runs only on x86-64 hosts".to_string());
    }
    let mut flags = settings::builder();
    let set = |flags: &mut settings::Builder, name: &str, value: &str| {
        flags
            .set(name, value)
            .map_err(|e| format!("cranelift setting {name}={value}: {e}"))
    };
    for (name, value) in SETTINGS {
        set(&mut flags, name, value)?;
    }
    // The verifier checks every function Cranelift compiles; debug builds only.
    set(
        &mut flags,
        "enable_verifier",
        if cfg!(debug_assertions) {
            "true"
        } else {
            "false"
        },
    )?;
    let builder = cranelift_native::builder()
        .map_err(|e| format!("cannot detect the host CPU for the compiler: {e}"))?;
    builder
        .finish(settings::Flags::new(flags))
        .map_err(|e| format!("cannot build the x86-64 compiler target: {e}"))
}

/// A Cranelift x86-64 target with exactly the CPU features `features` (setting
/// names such as `has_sse41`, `has_avx`), not the host's: code generated for
/// it is the same on every machine (golden tests). It may not run on this host.
pub fn isa_for_features(features: &[&str]) -> Result<OwnedTargetIsa, String> {
    let mut flags = settings::builder();
    for (name, value) in SETTINGS {
        flags
            .set(name, value)
            .map_err(|e| format!("cranelift setting {name}: {e}"))?;
    }
    let mut builder = cranelift_codegen::isa::lookup_by_name("x86_64-unknown-linux-gnu")
        .map_err(|e| e.to_string())?;
    for f in features {
        builder
            .enable(f)
            .map_err(|e| format!("cpu feature {f}: {e}"))?;
    }
    builder
        .finish(settings::Flags::new(flags))
        .map_err(|e| format!("cannot build the x86-64 target: {e}"))
}

/// The native compiler engine for x86-64.
#[derive(Debug, Clone)]
pub struct Amd64Compiler {
    inner: CraneliftEngine,
}

impl Amd64Compiler {
    /// The compiler for this host, or why it cannot run here: linear memories
    /// with guard pages where the platform allows it (see
    /// [`CraneliftEngine::new`]).
    pub fn new() -> Result<Self, String> {
        Self::with_guard_pages(true)
    }

    /// The compiler for this host, with guard pages instead of bounds checks
    /// when `guard_pages` and the platform allows it, else explicit checks; or
    /// why it cannot run here.
    pub fn with_guard_pages(guard_pages: bool) -> Result<Self, String> {
        Self::with_codegen(CodegenConfig {
            guard_pages,
            ..CodegenConfig::default()
        })
    }

    /// The compiler for this host with every code generation setting given
    /// (for measurements: see [`CodegenConfig`]).
    pub fn with_codegen(config: CodegenConfig) -> Result<Self, String> {
        let inner = CraneliftEngine::new(isa()?, stub::arch()?, config)?;
        Ok(Self { inner })
    }

    /// Whether memory accesses rely on guard pages instead of bounds checks.
    pub fn guard_pages(&self) -> bool {
        self.inner.guard_pages()
    }
}

impl Engine for Amd64Compiler {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn compile(&self, module: &Arc<ValidatedModule>) -> Result<Arc<dyn CompiledCode>, String> {
        self.inner.compile(module)
    }

    fn compile_with(
        &self,
        module: &Arc<ValidatedModule>,
        options: &CompileOptions<'_>,
    ) -> Result<Arc<dyn CompiledCode>, String> {
        self.inner.compile_with(module, options)
    }

    fn memory_reservation(&self) -> u64 {
        self.inner.memory_reservation()
    }

    fn cache_key(&self) -> String {
        self.inner.cache_key()
    }

    fn serialize(&self, code: &dyn CompiledCode) -> Option<Vec<u8>> {
        self.inner.serialize(code)
    }

    fn deserialize(
        &self,
        module: &Arc<ValidatedModule>,
        bytes: &[u8],
    ) -> Option<Arc<dyn CompiledCode>> {
        self.inner.deserialize(module, bytes)
    }

    fn call_wasm(
        &self,
        store: &mut Store,
        func: FuncAddr,
        stack: &mut [u64],
    ) -> Result<(), CallError> {
        self.inner.call_wasm(store, func, stack)
    }
}
