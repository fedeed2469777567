//! Modules that use typed function references, generated here because
//! `wasm-smith` makes them only together with GC types, which wazero refuses.
//!
//! Each module has functions of one signature `$t = (i32) -> i32` whose
//! bodies are random expressions over the parameter: arithmetic, and calls
//! through references (`call_ref`, `return_call_ref`) found every way the
//! proposal offers — `ref.func`, a non-null global, a table of nullable typed
//! references with null holes (through `ref.as_non_null`, `br_on_null` and
//! `br_on_non_null`, or as is, trapping on null). A fuel global bounds the
//! calls. Everything is exported, so the harness compares the engines on
//! each function, the global and the table.

use crate::rng::Rng;
use wasm_encoder::{
    BlockType, CodeSection, ConstExpr, ElementSection, Elements, ExportKind, ExportSection,
    Function, FunctionSection, GlobalSection, GlobalType, HeapType, InstructionSink, Module,
    RefType, TableSection, TableType, TypeSection, ValType,
};

/// Functions per module.
const FUNCTIONS: u32 = 6;
/// Elements of the table; the odd ones are null.
const TABLE: u32 = 8;
/// Calls an instance may make (a global counting down).
const FUEL: i32 = 200;

/// The signature every function has: type 0.
const T: u32 = 0;
/// Global 0: the fuel. Global 1: a non-null reference to function 0.
const FUEL_GLOBAL: u32 = 0;
const REF_GLOBAL: u32 = 1;

/// The typed reference `(ref null? $t)`.
fn ref_t(nullable: bool) -> RefType {
    RefType {
        nullable,
        heap_type: HeapType::Concrete(T),
    }
}

/// The module of `seed`.
pub fn typed_reference_module(seed: u64) -> Vec<u8> {
    let mut rng = Rng(seed);
    let mut module = Module::new();

    let mut types = TypeSection::new();
    types.ty().function([ValType::I32], [ValType::I32]);
    module.section(&types);

    let mut functions = FunctionSection::new();
    for _ in 0..FUNCTIONS {
        functions.function(T);
    }
    module.section(&functions);

    let mut tables = TableSection::new();
    tables.table(TableType {
        element_type: ref_t(true),
        minimum: u64::from(TABLE),
        maximum: None,
        table64: false,
        shared: false,
    });
    module.section(&tables);

    let mut globals = GlobalSection::new();
    globals.global(
        GlobalType {
            val_type: ValType::I32,
            mutable: true,
            shared: false,
        },
        &ConstExpr::i32_const(FUEL),
    );
    globals.global(
        GlobalType {
            val_type: ValType::Ref(ref_t(false)),
            mutable: false,
            shared: false,
        },
        &ConstExpr::ref_func(rng.below(FUNCTIONS)),
    );
    module.section(&globals);

    let mut exports = ExportSection::new();
    for f in 0..FUNCTIONS {
        exports.export(&format!("f{f}"), ExportKind::Func, f);
    }
    exports.export("table", ExportKind::Table, 0);
    exports.export("fuel", ExportKind::Global, FUEL_GLOBAL);
    exports.export("ref", ExportKind::Global, REF_GLOBAL);
    module.section(&exports);

    // The even elements of the table hold functions; `elem declare` lets
    // every function be named by `ref.func`.
    let mut elements = ElementSection::new();
    let filled: Vec<ConstExpr> = (0..TABLE)
        .map(|i| match i % 2 {
            0 => ConstExpr::ref_func(rng.below(FUNCTIONS)),
            _ => ConstExpr::ref_null(HeapType::Concrete(T)),
        })
        .collect();
    elements.active(
        Some(0),
        &ConstExpr::i32_const(0),
        Elements::Expressions(ref_t(true), filled.into()),
    );
    let all: Vec<u32> = (0..FUNCTIONS).collect();
    elements.declared(Elements::Functions(all.into()));
    module.section(&elements);

    let mut code = CodeSection::new();
    for _ in 0..FUNCTIONS {
        let mut f = Function::new([]);
        let mut sink = f.instructions();
        // Out of fuel: return the parameter.
        sink.global_get(FUEL_GLOBAL)
            .i32_const(0)
            .i32_le_s()
            .if_(BlockType::Empty)
            .local_get(0)
            .return_()
            .end();
        sink.global_get(FUEL_GLOBAL)
            .i32_const(1)
            .i32_sub()
            .global_set(FUEL_GLOBAL);
        if rng.below(4) == 0 {
            // A tail call through a reference.
            expr(&mut rng, &mut sink, 2);
            reference(&mut rng, &mut sink);
            sink.return_call_ref(T);
        } else {
            expr(&mut rng, &mut sink, 3);
        }
        sink.end();
        code.function(&f);
    }
    module.section(&code);
    module.finish()
}

/// An `i32` expression over local 0, at most `depth` deep.
fn expr(rng: &mut Rng, sink: &mut InstructionSink<'_>, depth: u32) {
    match (depth, rng.below(5)) {
        (0, 0..=1) | (_, 0) => {
            sink.local_get(0);
        }
        (0, _) | (_, 1) => {
            sink.i32_const(rng.small());
        }
        (_, 2) => {
            expr(rng, sink, depth - 1);
            expr(rng, sink, depth - 1);
            match rng.below(4) {
                0 => sink.i32_add(),
                1 => sink.i32_sub(),
                2 => sink.i32_mul(),
                _ => sink.i32_xor(),
            };
        }
        (_, 3) => {
            // `call_ref` of some reference.
            expr(rng, sink, depth - 1);
            reference(rng, sink);
            sink.call_ref(T);
        }
        _ => {
            // Calls the table's element with the argument, or, with
            // `br_on_null`, leaves the argument when the element is null.
            sink.block(BlockType::Result(ValType::I32));
            expr(rng, sink, depth - 1);
            table_element(rng, sink);
            sink.br_on_null(0).call_ref(T).end();
        }
    }
}

/// A reference to a function of type `$t` on the stack (nullable only where
/// `call_ref` may trap on it).
fn reference(rng: &mut Rng, sink: &mut InstructionSink<'_>) {
    match rng.below(5) {
        0 => {
            sink.ref_func(rng.below(FUNCTIONS));
        }
        1 => {
            sink.global_get(REF_GLOBAL);
        }
        2 => {
            // Traps on a null element.
            table_element(rng, sink);
            sink.ref_as_non_null();
        }
        3 => {
            // A null element is replaced by a function.
            sink.block(BlockType::Result(ValType::Ref(ref_t(false))));
            table_element(rng, sink);
            sink.br_on_non_null(0).ref_func(rng.below(FUNCTIONS)).end();
        }
        _ => {
            // As is: `call_ref` traps on null.
            table_element(rng, sink);
        }
    }
}

/// An element of the table, null or not.
fn table_element(rng: &mut Rng, sink: &mut InstructionSink<'_>) {
    sink.i32_const(rng.below(TABLE) as i32).table_get(0);
}

#[cfg(test)]
mod tests {
    use super::typed_reference_module;

    #[test]
    fn every_seed_makes_a_valid_module() {
        let mut features = wasmparser::WasmFeatures::default();
        features.set(wasmparser::WasmFeatures::FUNCTION_REFERENCES, true);
        for seed in 0..200 {
            let wasm = typed_reference_module(seed);
            let mut validator = wasmparser::Validator::new_with_features(features);
            if let Err(e) = validator.validate_all(&wasm) {
                panic!("seed {seed}: {e}");
            }
        }
    }
}
