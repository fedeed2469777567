//! Chooses the dispatch of the interpreter's hot instructions.
//!
//! Threaded dispatch ends every handler in a call to the next one, which must
//! compile to a jump (a sibling call). LLVM does that when optimizing without
//! debug assertions on the targets below (debug assertions add checks that can
//! keep a call from being a tail call); elsewhere, or with the
//! `portable-dispatch` feature, handlers return to a loop instead (same
//! semantics, one shared indirect jump). The test `tests/dispatch.rs` of the
//! `wazero` crate fails if a handler's tail call is not a jump.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(wazero_tail_dispatch)");
    println!("cargo::rerun-if-changed=build.rs");
    let opt_level = std::env::var("OPT_LEVEL").unwrap_or_default();
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let portable = std::env::var_os("CARGO_FEATURE_PORTABLE_DISPATCH").is_some();
    let debug_assertions = std::env::var_os("CARGO_CFG_DEBUG_ASSERTIONS").is_some();
    let optimizing = matches!(opt_level.as_str(), "2" | "3" | "s" | "z") && !debug_assertions;
    let sibling_calls = matches!(arch.as_str(), "x86_64" | "aarch64");
    if optimizing && sibling_calls && !portable {
        println!("cargo::rustc-cfg=wazero_tail_dispatch");
    }
}
