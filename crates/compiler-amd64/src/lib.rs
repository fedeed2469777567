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
pub use wazero_compiler::CodegenConfig;

/// The Cranelift target for this x86-64 host, with its CPU features, or why there
/// is none (another architecture).
pub fn isa() -> Result<cranelift_codegen::isa::OwnedTargetIsa, String> {
    if !cfg!(target_arch = "x86_64") {
        return Err("the x86-64 compiler runs only on x86-64 hosts".to_string());
    }
    wazero_compiler::isa::host_isa("x86-64")
}

/// A Cranelift x86-64 target with exactly the CPU features `features` (setting
/// names such as `has_sse41`, `has_avx`), not the host's: code generated for
/// it is the same on every machine (golden tests). It may not run on this host.
pub fn isa_for_features(
    features: &[&str],
) -> Result<cranelift_codegen::isa::OwnedTargetIsa, String> {
    wazero_compiler::isa::fixed_isa("x86_64-unknown-linux-gnu", features)
}

wazero_compiler::isa_engine! {
    /// The native compiler engine for x86-64.
    Amd64Compiler
}
