//! The engines this build has, for tests that run on each of them.

use wazero::RuntimeConfig;

/// Whether this build has the native compiler: the `compiler` feature, on
/// x86-64 Unix or AArch64 Linux.
#[allow(dead_code)]
pub const HAS_COMPILER: bool = cfg!(all(
    feature = "compiler",
    any(
        all(target_arch = "x86_64", unix),
        all(target_arch = "aarch64", target_os = "linux")
    )
));

/// The interpreter, and the compiler when the build has it; on x86-64, the
/// tiered engine too, with tier-up forced (`TierPolicy::forced`: modules
/// compiled before their first call, calls into them taking the two tiers in
/// turn), so that each test also runs with frames of both tiers nested. (Under
/// AArch64 emulation the compiler alone takes most of CI's time.)
#[allow(dead_code)] // not every test file needs the names dropped
pub fn engines() -> Vec<RuntimeConfig> {
    named().into_iter().map(|(_, c)| c).collect()
}

/// The interpreter and the compiler (when the build has it), with their
/// names: for the tests whose modules are large or many (real programs, WASI
/// programs, instantiation loops), where the forced tiered engine would
/// compile every module a second time in the debug build for what the
/// tiered engine's own tests and the spec suite check.
///
/// With `WAZERO_TEST_ENGINES=compiler` (set by `cargo xtask test-arm64`),
/// the compiler alone: under AArch64 emulation the interpreter, the same
/// code as on x86-64 where every test runs it, would take CI's time that
/// belongs to the AArch64 code generator.
#[allow(dead_code)] // not every test file needs it
pub fn base() -> Vec<(&'static str, RuntimeConfig)> {
    let compiler_only =
        HAS_COMPILER && std::env::var("WAZERO_TEST_ENGINES").is_ok_and(|v| v == "compiler");
    let mut all = Vec::new();
    if !compiler_only {
        all.push(("interpreter", RuntimeConfig::interpreter()));
    }
    if HAS_COMPILER {
        all.push(("compiler", RuntimeConfig::compiler()));
    }
    all
}

/// [`engines`] with their names, for messages.
#[allow(dead_code)] // not every test file needs the names
pub fn named() -> Vec<(&'static str, RuntimeConfig)> {
    let mut all = base();
    if HAS_COMPILER && cfg!(target_arch = "x86_64") {
        let forced = wazero::engine::TierPolicy::forced();
        all.push(("tiered", RuntimeConfig::new().with_tier_policy(forced)));
    }
    all
}
