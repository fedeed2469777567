//! The engines this build has, for tests that run on each of them.

use wazero::RuntimeConfig;

/// The interpreter, and the compiler when the build has it.
#[allow(dead_code)] // not every test file needs the names dropped
pub fn engines() -> Vec<RuntimeConfig> {
    named().into_iter().map(|(_, c)| c).collect()
}

/// [`engines`] with their names, for messages.
#[allow(dead_code)] // not every test file needs the names
pub fn named() -> Vec<(&'static str, RuntimeConfig)> {
    #[allow(unused_mut)]
    let mut all = vec![("interpreter", RuntimeConfig::interpreter())];
    #[cfg(all(feature = "compiler", target_arch = "x86_64", unix))]
    all.push(("compiler", RuntimeConfig::compiler()));
    all
}
