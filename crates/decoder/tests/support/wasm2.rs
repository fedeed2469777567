//! Test support shared by the decoder's property tests, the facade's
//! robustness tests and the differential harness in `fuzz/` (included by
//! `#[path]`; not a test target of its own).

/// A `wasm-smith` configuration that generates only WebAssembly 2.0: SIMD, bulk
/// memory, reference types, multi-value, sign extension and saturating
/// conversions, and none of the later proposals.
pub fn wasm2_config() -> wasm_smith::Config {
    wasm_smith::Config {
        simd_enabled: true,
        bulk_memory_enabled: true,
        reference_types_enabled: true,
        multi_value_enabled: true,
        sign_extension_ops_enabled: true,
        saturating_float_to_int_enabled: true,
        gc_enabled: false,
        exceptions_enabled: false,
        threads_enabled: false,
        shared_everything_threads_enabled: false,
        memory64_enabled: false,
        max_memories: 1,
        max_tables: 4,
        min_types: 1,
        min_funcs: 2,
        tail_call_enabled: false,
        relaxed_simd_enabled: false,
        custom_page_sizes_enabled: false,
        extended_const_enabled: false,
        wide_arithmetic_enabled: false,
        compact_imports_enabled: false,
        custom_descriptors_enabled: false,
        ..wasm_smith::Config::default()
    }
}
