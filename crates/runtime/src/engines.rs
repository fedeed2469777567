//! Which engines this build has.

use std::sync::Arc;

use wazero_store::{CallError, CompiledCode, Engine, FuncAddr, Store};
use wazero_validator::ValidatedModule;

use crate::config::{EngineKind, RuntimeConfig};

/// The engine for `kind` in this build.
pub(crate) fn select(config: &RuntimeConfig) -> Arc<dyn Engine> {
    match &config.engine {
        EngineKind::Compiler => compiler(config),
        EngineKind::Interpreter => interpreter(),
        EngineKind::Auto => auto(config),
        EngineKind::Tiered(policy) => tiered(config, policy),
        EngineKind::Custom(engine) => engine.clone(),
    }
}

/// The default: the tiered engine with its default policy.
fn auto(config: &RuntimeConfig) -> Arc<dyn Engine> {
    tiered(config, &wazero_tiered::TierPolicy::default())
}

/// The interpreter first and the compiler second where this build has both;
/// else the one it has.
fn tiered(config: &RuntimeConfig, policy: &wazero_tiered::TierPolicy) -> Arc<dyn Engine> {
    match native(config) {
        Ok(compiler) if cfg!(feature = "interpreter") => Arc::new(wazero_tiered::Tiered::new(
            interpreter(),
            compiler,
            policy.clone(),
        )),
        Ok(compiler) => compiler,
        Err(_) => interpreter(),
    }
}

/// The compiler, or an engine that says why there is none.
fn compiler(config: &RuntimeConfig) -> Arc<dyn Engine> {
    native(config).unwrap_or_else(|why| Arc::new(Unavailable(why.into())))
}

/// The native compiler of this host's ISA: x86-64 on Unix, AArch64 on Linux.
#[cfg(all(feature = "compiler", target_arch = "x86_64", unix))]
fn native(config: &RuntimeConfig) -> Result<Arc<dyn Engine>, String> {
    let engine = wazero_compiler_amd64::Amd64Compiler::with_codegen(codegen(config))?;
    Ok(Arc::new(engine))
}

/// The native compiler of this host's ISA: x86-64 on Unix, AArch64 on Linux.
#[cfg(all(feature = "compiler", target_arch = "aarch64", target_os = "linux"))]
fn native(config: &RuntimeConfig) -> Result<Arc<dyn Engine>, String> {
    let engine = wazero_compiler_arm64::Arm64Compiler::with_codegen(codegen(config))?;
    Ok(Arc::new(engine))
}

/// The compiler's settings for `config`: guard pages unless explicit bounds
/// checks are asked for, for 64-bit memories too when the memory limit keeps
/// them within 4 GiB.
#[cfg(any(
    all(feature = "compiler", target_arch = "x86_64", unix),
    all(feature = "compiler", target_arch = "aarch64", target_os = "linux")
))]
fn codegen(config: &RuntimeConfig) -> CodegenConfig {
    let guard_pages = !config.explicit_bounds_checks;
    CodegenConfig {
        guard_pages,
        memory64_guard_pages: guard_pages && config.memory_limit_pages <= wazero_api::MAX_PAGES,
        ..CodegenConfig::default()
    }
}

#[cfg(all(feature = "compiler", target_arch = "x86_64", unix))]
use wazero_compiler_amd64::CodegenConfig;
#[cfg(all(feature = "compiler", target_arch = "aarch64", target_os = "linux"))]
use wazero_compiler_arm64::CodegenConfig;

#[cfg(not(any(
    all(feature = "compiler", target_arch = "x86_64", unix),
    all(feature = "compiler", target_arch = "aarch64", target_os = "linux")
)))]
fn native(_: &RuntimeConfig) -> Result<Arc<dyn Engine>, String> {
    Err(
        "the compiler is not available in this build (cargo feature `compiler`; x86-64 Unix or AArch64 Linux)"
            .into(),
    )
}

#[cfg(feature = "interpreter")]
fn interpreter() -> Arc<dyn Engine> {
    Arc::new(wazero_interpreter::Interpreter::new())
}

#[cfg(not(feature = "interpreter"))]
fn interpreter() -> Arc<dyn Engine> {
    Arc::new(Unavailable(
        "the interpreter is not enabled in this build (cargo feature `interpreter`)".into(),
    ))
}

/// An engine that is not built: compiling fails with a message that says why.
struct Unavailable(std::borrow::Cow<'static, str>);

impl Engine for Unavailable {
    fn name(&self) -> &'static str {
        "unavailable"
    }

    fn compile(&self, _: &Arc<ValidatedModule>) -> Result<Arc<dyn CompiledCode>, String> {
        Err(self.0.to_string())
    }

    fn call_wasm(&self, _: &mut Store, _: FuncAddr, _: &mut [u64]) -> Result<(), CallError> {
        unreachable!("nothing compiles, so nothing runs")
    }
}
