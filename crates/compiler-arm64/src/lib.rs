//! AArch64 code generation for wazero for Rust's native compiler.
//!
//! This crate holds what is specific to AArch64: the Cranelift target (ISA)
//! with the host CPU's features detected by `cranelift-native` (LSE atomics,
//! pointer authentication, ...), the entry stub and trap landing assembled
//! with `dynasmrt`'s AArch64 assembler, the Linux AArch64 machine context of a
//! fault, the linking of `bl` calls, and the [`Arm64Compiler`] engine that the
//! `wazero` facade selects with `RuntimeConfig::compiler()` on AArch64 Linux.
//! Translation, code memory, trampolines and traps are ISA-neutral and live in
//! `wazero-compiler`, shared with `wazero-compiler-amd64`.
//!
//! The crate builds on every host (so that listings of AArch64 code can be made
//! anywhere, see [`isa_for_features`]); its engine runs only on AArch64 Linux.
//!
//! ```
//! use wazero_store::Engine;
//! match wazero_compiler_arm64::Arm64Compiler::new() {
//!     Ok(engine) => assert_eq!(engine.name(), "compiler"),
//!     Err(why) => assert!(!cfg!(all(target_arch = "aarch64", target_os = "linux")), "{why}"),
//! }
//! ```

mod stub;

pub use stub::arch;
pub use wazero_compiler::CodegenConfig;

/// The Cranelift target for this AArch64 host, with its CPU features, or why
/// there is none (another architecture).
pub fn isa() -> Result<cranelift_codegen::isa::OwnedTargetIsa, String> {
    if !cfg!(target_arch = "aarch64") {
        return Err("the AArch64 compiler runs only on AArch64 hosts".to_string());
    }
    wazero_compiler::isa::host_isa("AArch64")
}

/// A Cranelift AArch64 Linux target with exactly the CPU features `features`
/// (setting names such as `has_lse`), not the host's: code generated for it
/// is the same on every machine (golden tests), and can be made on any host.
pub fn isa_for_features(
    features: &[&str],
) -> Result<cranelift_codegen::isa::OwnedTargetIsa, String> {
    wazero_compiler::isa::fixed_isa("aarch64-unknown-linux-gnu", features)
}

wazero_compiler::isa_engine! {
    /// The native compiler engine for AArch64.
    Arm64Compiler
}
