//! Modules that throw and catch exceptions in every way exception handling
//! offers, generated here because `wasm-smith`'s modules seldom throw where
//! a handler of another tag would be tried first.
//!
//! Each module has functions of one signature `(i32) -> i32` whose bodies
//! are random expressions over the parameter: arithmetic, calls of the other
//! functions, conditional `throw`s of three tags (payloads `i32`, `i64 i32`
//! and none), `try_table`s with a random choice and order of clauses of
//! every kind (`catch`, `catch_ref`, `catch_all`, `catch_all_ref`) whose
//! handlers add constants, drop or rethrow (`throw_ref`), and the legacy
//! `try` with `catch`, `catch_all`, `rethrow` and `delegate`. A fuel global
//! bounds the calls. Everything is exported, so the harness compares the
//! engines on each function and the fuel; an exception that escapes is
//! compared by tag and payload.

use crate::rng::Rng;
use wasm_encoder::{
    BlockType, Catch, CodeSection, ConstExpr, ExportKind, ExportSection, Function, FunctionSection,
    GlobalSection, GlobalType, InstructionSink, Module, TagKind, TagSection, TagType, TypeSection,
    ValType,
};

/// Functions per module.
const FUNCTIONS: u32 = 6;
/// Calls an instance may make (a global counting down).
const FUEL: i32 = 300;

/// Type 0: every function's. Type 1: the block of `$b`'s payload.
const T: u32 = 0;
const PAIR: u32 = 1;
/// The tags: `$a (i32)`, `$b (i64 i32)`, `$c ()`.
const TAG_A: u32 = 0;
const TAG_B: u32 = 1;
const TAG_C: u32 = 2;

/// The module of `seed`.
pub fn exception_module(seed: u64) -> Vec<u8> {
    let mut rng = Rng(seed);
    let mut module = Module::new();

    let mut types = TypeSection::new();
    types.ty().function([ValType::I32], [ValType::I32]);
    types.ty().function([], [ValType::I64, ValType::I32]);
    types.ty().function([ValType::I32], []);
    types.ty().function([ValType::I64, ValType::I32], []);
    types.ty().function([], []);
    module.section(&types);

    let mut functions = FunctionSection::new();
    for _ in 0..FUNCTIONS {
        functions.function(T);
    }
    module.section(&functions);

    let mut tags = TagSection::new();
    for ty in 2..5 {
        tags.tag(TagType {
            kind: TagKind::Exception,
            func_type_idx: ty,
        });
    }
    module.section(&tags);

    let mut globals = GlobalSection::new();
    globals.global(
        GlobalType {
            val_type: ValType::I32,
            mutable: true,
            shared: false,
        },
        &ConstExpr::i32_const(FUEL),
    );
    module.section(&globals);

    let mut exports = ExportSection::new();
    for f in 0..FUNCTIONS {
        exports.export(&format!("f{f}"), ExportKind::Func, f);
    }
    exports.export("fuel", ExportKind::Global, 0);
    for (name, tag) in [("a", TAG_A), ("b", TAG_B), ("c", TAG_C)] {
        exports.export(name, ExportKind::Tag, tag);
    }
    module.section(&exports);

    let mut code = CodeSection::new();
    for _ in 0..FUNCTIONS {
        let mut f = Function::new([]);
        let mut sink = f.instructions();
        // Out of fuel: return the parameter.
        sink.global_get(0)
            .i32_const(0)
            .i32_le_s()
            .if_(BlockType::Empty)
            .local_get(0)
            .return_()
            .end();
        sink.global_get(0).i32_const(1).i32_sub().global_set(0);
        expr(&mut rng, &mut sink, 4);
        sink.end();
        code.function(&f);
    }
    module.section(&code);
    module.finish()
}

/// An `i32` expression over local 0, at most `depth` deep.
fn expr(rng: &mut Rng, sink: &mut InstructionSink<'_>, depth: u32) {
    match (depth, rng.below(8)) {
        (0, 0..=3) | (_, 0) => {
            sink.local_get(0);
        }
        (0, _) | (_, 1) => {
            sink.i32_const(rng.small());
        }
        (_, 2) => {
            expr(rng, sink, depth - 1);
            expr(rng, sink, depth - 1);
            match rng.below(3) {
                0 => sink.i32_add(),
                1 => sink.i32_sub(),
                _ => sink.i32_xor(),
            };
        }
        (_, 3) => {
            expr(rng, sink, depth - 1);
            sink.call(rng.below(FUNCTIONS));
        }
        (_, 4) => throw(rng, sink, depth),
        (_, 5 | 6) => try_table(rng, sink, depth),
        _ => legacy_try(rng, sink, depth),
    }
}

/// Throws one of the tags when a bit of the parameter is set, else an
/// expression.
fn throw(rng: &mut Rng, sink: &mut InstructionSink<'_>, depth: u32) {
    sink.local_get(0)
        .i32_const(1 << rng.below(4))
        .i32_and()
        .if_(BlockType::Result(ValType::I32));
    match rng.below(3) {
        0 => {
            expr(rng, sink, depth - 1);
            sink.throw(TAG_A);
        }
        1 => {
            sink.local_get(0).i64_extend_i32_s();
            expr(rng, sink, depth - 1);
            sink.throw(TAG_B);
        }
        _ => {
            sink.throw(TAG_C);
        }
    }
    sink.else_();
    expr(rng, sink, depth - 1);
    sink.end();
}

/// A `try_table` around an expression with a random list of clauses, each
/// handler making an `i32` of what it caught:
///
/// ```text
/// block $out (result i32)
///   block $a (result i32)              ;; catch $a
///     block $b (result i64 i32)        ;; catch $b
///       block $all                     ;; catch_all
///         block $ref (result exnref)   ;; catch_ref $c, catch_all_ref
///           try_table (result i32) <clauses> <expr> end
///           br $out
///         end
///         <throw_ref, or drop and a constant> br $out
///       end
///       <constant> br $out
///     end
///     <i32.wrap_i64 and add> br $out
///   end
///   <add a constant>
/// end
/// ```
fn try_table(rng: &mut Rng, sink: &mut InstructionSink<'_>, depth: u32) {
    // Labels as the clauses see them (outside the `try_table`).
    const REF: u32 = 0;
    const ALL: u32 = 1;
    const B: u32 = 2;
    const A: u32 = 3;
    let mut catches = Vec::new();
    for _ in 0..rng.below(5) {
        catches.push(match rng.below(6) {
            0 => Catch::One {
                tag: TAG_A,
                label: A,
            },
            1 => Catch::One {
                tag: TAG_B,
                label: B,
            },
            2 => Catch::One {
                tag: TAG_C,
                label: ALL,
            },
            3 => Catch::OneRef {
                tag: TAG_C,
                label: REF,
            },
            4 => Catch::All { label: ALL },
            _ => Catch::AllRef { label: REF },
        });
    }
    sink.block(BlockType::Result(ValType::I32)) // $out
        .block(BlockType::Result(ValType::I32)) // $a
        .block(BlockType::FunctionType(PAIR)) // $b
        .block(BlockType::Empty) // $all
        .block(BlockType::Result(ValType::EXNREF)) // $ref
        .try_table(BlockType::Result(ValType::I32), catches);
    expr(rng, sink, depth - 1);
    sink.end().br(4).end();
    // $ref: rethrow, or settle.
    if rng.below(2) == 0 {
        sink.throw_ref();
    } else {
        sink.drop().i32_const(rng.small()).br(3);
    }
    sink.end();
    // $all
    sink.i32_const(rng.small()).br(2).end();
    // $b: i64 i32
    sink.i32_const(rng.small())
        .i32_add()
        .i64_extend_i32_u()
        .i64_add()
        .i32_wrap_i64()
        .br(1)
        .end();
    // $a: i32 (and the end of $out).
    sink.i32_const(rng.small()).i32_add().end();
}

/// A legacy `try` around an expression: clauses for some tags, or a
/// `catch_all` that rethrows, or a `delegate` to an enclosing `try`.
fn legacy_try(rng: &mut Rng, sink: &mut InstructionSink<'_>, depth: u32) {
    let bt = BlockType::Result(ValType::I32);
    match rng.below(3) {
        0 => {
            sink.try_(bt);
            expr(rng, sink, depth - 1);
            if rng.below(2) == 0 {
                sink.catch(TAG_A).i32_const(rng.small()).i32_add();
            }
            if rng.below(2) == 0 {
                sink.catch(TAG_B).drop().i32_wrap_i64();
            }
            if rng.below(2) == 0 {
                sink.catch_all().i32_const(rng.small());
            }
            sink.end();
        }
        1 => {
            // The caught exception is thrown again, whatever it is.
            sink.try_(bt);
            expr(rng, sink, depth - 1);
            sink.catch_all().rethrow(0).end();
        }
        _ => {
            // The inner `try` delegates to the outer one's clauses.
            sink.try_(bt).try_(bt);
            expr(rng, sink, depth - 1);
            sink.delegate(0)
                .catch(TAG_A)
                .i32_const(rng.small())
                .i32_xor()
                .catch(TAG_C)
                .i32_const(rng.small())
                .end();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::exception_module;

    #[test]
    fn every_seed_makes_a_valid_module() {
        let mut features = wasmparser::WasmFeatures::default();
        features.set(wasmparser::WasmFeatures::EXCEPTIONS, true);
        features.set(wasmparser::WasmFeatures::LEGACY_EXCEPTIONS, true);
        for seed in 0..300 {
            let wasm = exception_module(seed);
            let mut validator = wasmparser::Validator::new_with_features(features);
            if let Err(e) = validator.validate_all(&wasm) {
                panic!("seed {seed}: {e}");
            }
        }
    }
}
