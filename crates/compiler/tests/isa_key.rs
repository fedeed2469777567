//! The compilation cache's key names the ISA, so code compiled for one ISA
//! (or one set of CPU features) is never loaded on another.

use wazero_compiler::{CodegenConfig, CraneliftEngine};
use wazero_store::Engine;

/// The entry stub and fault registers of this host, which a key never reads.
fn host_arch() -> wazero_compiler::Arch {
    #[cfg(target_arch = "x86_64")]
    return wazero_compiler_amd64::arch().unwrap();
    #[cfg(target_arch = "aarch64")]
    return wazero_compiler_arm64::arch().unwrap();
}

#[test]
fn the_cache_key_differs_by_isa_and_cpu_features() {
    let engine = |isa| CraneliftEngine::new(isa, host_arch(), CodegenConfig::default()).unwrap();
    let keys = [
        engine(wazero_compiler_amd64::isa_for_features(&[]).unwrap()).cache_key(),
        engine(wazero_compiler_amd64::isa_for_features(&["has_sse41"]).unwrap()).cache_key(),
        engine(wazero_compiler_arm64::isa_for_features(&[]).unwrap()).cache_key(),
        engine(wazero_compiler_arm64::isa_for_features(&["has_lse"]).unwrap()).cache_key(),
    ];
    for (i, a) in keys.iter().enumerate() {
        for b in &keys[i + 1..] {
            assert_ne!(a, b);
        }
    }
    assert!(keys[0].contains("x86_64"), "{}", keys[0]);
    assert!(keys[2].contains("aarch64"), "{}", keys[2]);
}
