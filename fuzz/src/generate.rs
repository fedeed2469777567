//! The modules: `wasm-smith` output for a seed, instrumented to terminate, and
//! the list of what they export.

use arbitrary::Unstructured;
use wasmparser::{CompositeInnerType, ExternalKind, Parser, Payload};

use crate::value::ValType;

#[path = "../../crates/decoder/tests/support/wasm2.rs"]
mod wasm2;

/// Fuel per instance: loop iterations plus calls plus bulk-operation lengths
/// (see [`wasm_smith::Module::ensure_termination`]). It also bounds the call
/// depth, far below either engine's limit.
pub const FUEL: u32 = 2_000;

/// The largest memory any engine may have, in pages; the generator's memories
/// start at most at half of it, and `memory.grow` fails past it on every engine.
pub const MEMORY_LIMIT_PAGES: u32 = 32;

/// The `wasm-smith` configuration for `seed`: the shared WebAssembly 2.0
/// configuration (SIMD, bulk memory, reference types, multi-value; no threads,
/// exceptions or GC) plus WebAssembly 3.0's extended constant expressions,
/// tail calls, up to two memories and 64-bit memories (which wasmi runs too),
/// without imports, exporting
/// everything, with NaNs canonicalized so that floats compare bit-exactly. One
/// seed in two also asks the generator to avoid traps, for longer runs of
/// computation between them.
pub fn config(seed: u64) -> wasm_smith::Config {
    wasm_smith::Config {
        max_imports: 0,
        export_everything: true,
        canonicalize_nans: true,
        disallow_traps: seed % 2 == 1,
        max_memory32_bytes: u64::from(MEMORY_LIMIT_PAGES / 2) * 65536,
        max_memory64_bytes: u128::from(MEMORY_LIMIT_PAGES / 2) * 65536,
        memory64_enabled: true,
        max_table_elements: 1_000,
        extended_const_enabled: true,
        tail_call_enabled: true,
        max_memories: 2,
        ..wasm2::wasm2_config()
    }
}

/// [`config`] with relaxed SIMD too: for comparing wazero's engines with
/// each other (wasmi's choices among the results relaxed SIMD allows are not
/// wazero's; wazero's engines make the same ones).
pub fn relaxed_simd_config(seed: u64) -> wasm_smith::Config {
    wasm_smith::Config {
        relaxed_simd_enabled: true,
        ..config(seed)
    }
}

/// [`config`] with exception handling too (tags, `throw`, `throw_ref`,
/// `try_table`): for comparing wazero's engines with each other (wasmi does
/// not run exception handling).
pub fn exceptions_config(seed: u64) -> wasm_smith::Config {
    wasm_smith::Config {
        exceptions_enabled: true,
        ..config(seed)
    }
}

/// `len` pseudo-random bytes from `seed` (splitmix64).
fn pseudo_random_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut rng = crate::rng::Rng(seed);
    (0..len).map(|_| rng.next() as u8).collect()
}

/// The module of `seed`, instrumented to run out of fuel; `None` if the seed
/// does not make one.
pub fn generate(seed: u64) -> Option<Vec<u8>> {
    generate_with(seed, config(seed))
}

/// The module of `seed` for the `wasm-smith` configuration `config`,
/// instrumented as [`generate`]'s.
pub fn generate_with(seed: u64, config: wasm_smith::Config) -> Option<Vec<u8>> {
    let data = pseudo_random_bytes(seed, 512 + (seed as usize % 8) * 512);
    let mut module = wasm_smith::Module::new(config, &mut Unstructured::new(&data)).ok()?;
    module.ensure_termination(FUEL).ok()?;
    Some(module.to_bytes())
}

/// An exported function: its name and parameter types.
#[derive(Debug, Clone)]
pub struct ExportedFunction {
    /// The export name.
    pub name: String,
    /// The parameter types.
    pub params: Vec<ValType>,
}

/// What a module exports, by kind, in export order.
#[derive(Debug, Clone, Default)]
pub struct Exports {
    /// Functions.
    pub functions: Vec<ExportedFunction>,
    /// Memories.
    pub memories: Vec<String>,
    /// Globals.
    pub globals: Vec<String>,
    /// Tables.
    pub tables: Vec<String>,
}

impl Exports {
    /// The exports of `wasm`, a valid module without imports; `None` if it has
    /// imports (the harness instantiates without any) or cannot be read.
    pub fn of(wasm: &[u8]) -> Option<Exports> {
        let mut types = Vec::new();
        let mut functions = Vec::new();
        let mut exports = Exports::default();
        for payload in Parser::new(0).parse_all(wasm) {
            match payload.ok()? {
                Payload::ImportSection(reader) if reader.count() > 0 => return None,
                Payload::TypeSection(reader) => {
                    for group in reader {
                        for ty in group.ok()?.into_types() {
                            let CompositeInnerType::Func(func) = ty.composite_type.inner else {
                                return None;
                            };
                            let params = func.params().iter().map(|&t| val_type(t)).collect();
                            types.push(params);
                        }
                    }
                }
                Payload::FunctionSection(reader) => {
                    for ty in reader {
                        functions.push(ty.ok()?);
                    }
                }
                Payload::ExportSection(reader) => {
                    for export in reader {
                        let export = export.ok()?;
                        let name = export.name.to_string();
                        match export.kind {
                            ExternalKind::Func | ExternalKind::FuncExact => {
                                let ty = *functions.get(export.index as usize)?;
                                let params: &Vec<Option<ValType>> = types.get(ty as usize)?;
                                let params = params.iter().copied().collect::<Option<_>>()?;
                                exports.functions.push(ExportedFunction { name, params });
                            }
                            ExternalKind::Memory => exports.memories.push(name),
                            ExternalKind::Global => exports.globals.push(name),
                            ExternalKind::Table => exports.tables.push(name),
                            // An exception's tag is compared by name when
                            // it escapes a call.
                            ExternalKind::Tag => {}
                        }
                    }
                }
                _ => {}
            }
        }
        Some(exports)
    }
}

/// The harness's value type for a WebAssembly 2.0 one; `None` for later ones.
fn val_type(ty: wasmparser::ValType) -> Option<ValType> {
    Some(match ty {
        wasmparser::ValType::I32 => ValType::I32,
        wasmparser::ValType::I64 => ValType::I64,
        wasmparser::ValType::F32 => ValType::F32,
        wasmparser::ValType::F64 => ValType::F64,
        wasmparser::ValType::V128 => ValType::V128,
        wasmparser::ValType::FUNCREF => ValType::FuncRef,
        wasmparser::ValType::EXTERNREF => ValType::ExternRef,
        wasmparser::ValType::Ref(_) => return None,
    })
}
