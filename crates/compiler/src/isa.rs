//! What every ISA crate does the same way: the Cranelift settings of every
//! target, the host target from `cranelift-native`, a fixed target for golden
//! listings, and the engine type wrapping [`CraneliftEngine`](crate::CraneliftEngine)
//! ([`isa_engine!`](crate::isa_engine)).

use cranelift_codegen::isa::{Builder, OwnedTargetIsa};
use cranelift_codegen::settings::{self, Configurable};

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

/// The shared settings, with the IR verifier in debug builds only.
fn flags(verifier: bool) -> Result<settings::Flags, String> {
    let mut flags = settings::builder();
    let verifier = if verifier { "true" } else { "false" };
    for (name, value) in SETTINGS.into_iter().chain([("enable_verifier", verifier)]) {
        flags
            .set(name, value)
            .map_err(|e| format!("cranelift setting {name}={value}: {e}"))?;
    }
    Ok(settings::Flags::new(flags))
}

/// The Cranelift target of this host, with the CPU features
/// `cranelift-native` detects, and the shared settings; `name` (such as
/// `"x86-64"`) says which compiler failed.
pub fn host_isa(name: &str) -> Result<OwnedTargetIsa, String> {
    let builder = cranelift_native::builder()
        .map_err(|e| format!("cannot detect the host CPU for the compiler: {e}"))?;
    builder
        .finish(flags(cfg!(debug_assertions))?)
        .map_err(|e| format!("cannot build the {name} compiler target: {e}"))
}

/// The Cranelift target `triple` with exactly the CPU features `features`
/// (setting names such as `has_sse41` or `has_lse`), not the host's: code
/// generated for it is the same on every machine (golden tests). It may not
/// run on this host.
pub fn fixed_isa(triple: &str, features: &[&str]) -> Result<OwnedTargetIsa, String> {
    let mut builder: Builder =
        cranelift_codegen::isa::lookup_by_name(triple).map_err(|e| format!("{triple}: {e}"))?;
    for f in features {
        builder
            .enable(f)
            .map_err(|e| format!("cpu feature {f}: {e}"))?;
    }
    builder
        .finish(flags(false)?)
        .map_err(|e| format!("cannot build the target {triple}: {e}"))
}

/// The crates [`isa_engine!`](crate::isa_engine)'s expansion names, so that an
/// ISA crate need not depend on them under these names.
#[doc(hidden)]
pub mod deps {
    pub use wazero_store;
    pub use wazero_validator;
}

/// Defines an ISA crate's compiler engine: a newtype over
/// [`CraneliftEngine`](crate::CraneliftEngine) built from the crate's `isa()`
/// and `arch()`, with `new`, `with_guard_pages`, `with_codegen` and
/// `guard_pages`, implementing `wazero_store::Engine` by delegation.
///
/// ```
/// use wazero_compiler::cranelift_codegen::isa::OwnedTargetIsa;
///
/// fn isa() -> Result<OwnedTargetIsa, String> {
///     Err("no such CPU here".into())
/// }
/// fn arch() -> Result<wazero_compiler::Arch, String> {
///     Err("no such CPU here".into())
/// }
/// wazero_compiler::isa_engine! {
///     /// The native compiler engine for an imaginary ISA.
///     MyCompiler
/// }
/// assert_eq!(MyCompiler::new().unwrap_err(), "no such CPU here");
/// ```
#[macro_export]
macro_rules! isa_engine {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name {
            inner: $crate::CraneliftEngine,
        }

        impl $name {
            /// The compiler for this host, or why it cannot run here: linear
            /// memories with guard pages where the platform allows it (see
            /// `CraneliftEngine::new`).
            pub fn new() -> Result<Self, String> {
                Self::with_guard_pages(true)
            }

            /// The compiler for this host, with guard pages instead of bounds
            /// checks when `guard_pages` and the platform allows it, else
            /// explicit checks; or why it cannot run here.
            pub fn with_guard_pages(guard_pages: bool) -> Result<Self, String> {
                Self::with_codegen($crate::CodegenConfig {
                    guard_pages,
                    ..$crate::CodegenConfig::default()
                })
            }

            /// The compiler for this host with every code generation setting
            /// given (for measurements: see `CodegenConfig`).
            pub fn with_codegen(config: $crate::CodegenConfig) -> Result<Self, String> {
                let inner = $crate::CraneliftEngine::new(isa()?, arch()?, config)?;
                Ok(Self { inner })
            }

            /// Whether memory accesses rely on guard pages instead of bounds checks.
            pub fn guard_pages(&self) -> bool {
                self.inner.guard_pages()
            }
        }

        impl $crate::isa::deps::wazero_store::Engine for $name {
            fn name(&self) -> &'static str {
                self.inner.name()
            }

            fn compile(
                &self,
                module: &std::sync::Arc<$crate::isa::deps::wazero_validator::ValidatedModule>,
            ) -> Result<std::sync::Arc<dyn $crate::isa::deps::wazero_store::CompiledCode>, String> {
                self.inner.compile(module)
            }

            fn compile_with(
                &self,
                module: &std::sync::Arc<$crate::isa::deps::wazero_validator::ValidatedModule>,
                options: &$crate::isa::deps::wazero_store::CompileOptions<'_>,
            ) -> Result<std::sync::Arc<dyn $crate::isa::deps::wazero_store::CompiledCode>, String> {
                self.inner.compile_with(module, options)
            }

            fn memory_reservation(&self) -> u64 {
                self.inner.memory_reservation()
            }

            fn memory64_reservation(&self) -> u64 {
                self.inner.memory64_reservation()
            }

            fn cache_key(&self) -> String {
                self.inner.cache_key()
            }

            fn serialize(&self, code: &dyn $crate::isa::deps::wazero_store::CompiledCode) -> Option<Vec<u8>> {
                self.inner.serialize(code)
            }

            fn deserialize(
                &self,
                module: &std::sync::Arc<$crate::isa::deps::wazero_validator::ValidatedModule>,
                bytes: &[u8],
                file: Option<&std::fs::File>,
            ) -> Option<std::sync::Arc<dyn $crate::isa::deps::wazero_store::CompiledCode>> {
                self.inner.deserialize(module, bytes, file)
            }

            fn call_wasm(
                &self,
                store: &mut $crate::isa::deps::wazero_store::Store,
                func: $crate::isa::deps::wazero_store::FuncAddr,
                stack: &mut [u64],
            ) -> Result<(), $crate::isa::deps::wazero_store::CallError> {
                self.inner.call_wasm(store, func, stack)
            }

            fn call_wasm_at_loop(
                &self,
                store: &mut $crate::isa::deps::wazero_store::Store,
                func: $crate::isa::deps::wazero_store::FuncAddr,
                offset: u32,
                locals: &[u64],
                stack: &mut [u64],
            ) -> Option<Result<(), $crate::isa::deps::wazero_store::CallError>> {
                self.inner.call_wasm_at_loop(store, func, offset, locals, stack)
            }

            fn loop_entry_compiled(
                &self,
                code: &dyn $crate::isa::deps::wazero_store::CompiledCode,
                index: u32,
                offset: u32,
            ) -> Option<bool> {
                self.inner.loop_entry_compiled(code, index, offset)
            }

            fn prepare_loop_entry(
                &self,
                module: &std::sync::Arc<$crate::isa::deps::wazero_validator::ValidatedModule>,
                code: &dyn $crate::isa::deps::wazero_store::CompiledCode,
                index: u32,
                offset: u32,
            ) {
                self.inner.prepare_loop_entry(module, code, index, offset)
            }
        }
    };
}
