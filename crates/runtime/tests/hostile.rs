//! Hostile modules get an error or run, and never crash or exhaust the host.
//!
//! What this file proves, through the `wazero` facade on the interpreter: binaries
//! built to attack the runtime (counts that claim `u32::MAX` entries, 100 000
//! nested blocks, a million locals, thousands of distinct constants, 4 GiB
//! memories, unbounded recursion, out-of-bounds memory, table and indirect-call
//! accesses, segments that do not fit) each give the specific typed error or
//! result the specification and the runtime's limits call for. Malformed input is
//! a `Error::Decode` whose byte offset lies inside the binary; traps are
//! `Error::Trap` with the right `TrapCode`; a failed instantiation leaves no
//! module registered under its name. The table runs on a thread with a 2 MiB
//! stack, deep recursion also on a 256 KiB one, and a 65536-page memory must not
//! raise the process's resident memory past 512 MiB.
//!
//! The binaries are built with `wasm-encoder` (not WAT text, so the deep nesting
//! stresses the runtime rather than the text parser). Infinite loops are stopped
//! by interrupts and deadlines, tested in `interrupt.rs`. On every engine, a new
//! instance's memory never shows what a closed instance wrote (memories are
//! recycled).

use std::borrow::Cow;

use wasm_encoder::{
    BlockType, CodeSection, ConstExpr, DataSection, ElementSection, Elements, Encode, ExportKind,
    ExportSection, Function, FunctionSection, InstructionSink, MemArg, MemArgTarget, MemorySection,
    MemoryType, RawSection, RefType, TableSection, TableType, TypeSection, ValType,
};
use wazero::api::encode_i32;
use wazero::{Error, ModuleConfig, Runtime, RuntimeConfig, TrapCode};

mod engines;
mod reentry;

// ---------------------------------------------------------------------------
// Building binaries
// ---------------------------------------------------------------------------

/// A module with at most one memory and one table, whose functions are all
/// exported under the given names.
#[derive(Default)]
struct Builder {
    types: Vec<(Vec<ValType>, Vec<ValType>)>,
    funcs: Vec<(u32, Function, String)>,
    memory: Option<MemoryType>,
    table: Option<TableType>,
    elements: Vec<(i32, Vec<u32>)>,
    data: Vec<(i32, Vec<u8>)>,
}

impl Builder {
    /// The index of the function type `params -> results`, added if new.
    fn ty(&mut self, params: &[ValType], results: &[ValType]) -> u32 {
        let ty = (params.to_vec(), results.to_vec());
        match self.types.iter().position(|t| *t == ty) {
            Some(i) => i as u32,
            None => {
                self.types.push(ty);
                self.types.len() as u32 - 1
            }
        }
    }

    /// Adds a function exported as `name`; `body` writes its instructions
    /// (the final `end` is added here). Returns its index.
    fn func(
        &mut self,
        name: &str,
        params: &[ValType],
        results: &[ValType],
        locals: &[(u32, ValType)],
        body: impl FnOnce(&mut InstructionSink<'_>),
    ) -> u32 {
        let ty = self.ty(params, results);
        let mut f = Function::new(locals.iter().copied());
        body(&mut f.instructions());
        f.instructions().end();
        self.funcs.push((ty, f, name.to_string()));
        self.funcs.len() as u32 - 1
    }

    fn memory(mut self, minimum: u64, maximum: Option<u64>) -> Self {
        self.memory = Some(MemoryType {
            minimum,
            maximum,
            memory64: false,
            shared: false,
            page_size_log2: None,
        });
        self
    }

    fn table(mut self, minimum: u64) -> Self {
        self.table = Some(TableType {
            element_type: RefType::FUNCREF,
            table64: false,
            minimum,
            maximum: None,
            shared: false,
        });
        self
    }

    fn finish(self) -> Vec<u8> {
        let mut module = wasm_encoder::Module::new();
        let mut types = TypeSection::new();
        for (params, results) in &self.types {
            types
                .ty()
                .function(params.iter().copied(), results.iter().copied());
        }
        module.section(&types);
        let mut functions = FunctionSection::new();
        for (ty, _, _) in &self.funcs {
            functions.function(*ty);
        }
        module.section(&functions);
        if let Some(table) = self.table {
            let mut tables = TableSection::new();
            tables.table(table);
            module.section(&tables);
        }
        if let Some(memory) = self.memory {
            let mut memories = MemorySection::new();
            memories.memory(memory);
            module.section(&memories);
        }
        let mut exports = ExportSection::new();
        for (i, (_, _, name)) in self.funcs.iter().enumerate() {
            exports.export(name, ExportKind::Func, i as u32);
        }
        module.section(&exports);
        if !self.elements.is_empty() {
            let mut elements = ElementSection::new();
            for (offset, funcs) in &self.elements {
                elements.active(
                    None,
                    &ConstExpr::i32_const(*offset),
                    Elements::Functions(Cow::Borrowed(funcs)),
                );
            }
            module.section(&elements);
        }
        let mut code = CodeSection::new();
        for (_, f, _) in &self.funcs {
            code.function(f);
        }
        module.section(&code);
        if !self.data.is_empty() {
            let mut data = DataSection::new();
            for (offset, bytes) in &self.data {
                data.active(0, &ConstExpr::i32_const(*offset), bytes.iter().copied());
            }
            module.section(&data);
        }
        module.finish()
    }
}

/// A memory immediate for memory 0 with a static `offset`.
fn mem(offset: u64) -> MemArg {
    MemArg {
        offset,
        align: 0,
        target: MemArgTarget::Memory(0),
        ordering: None,
    }
}

/// A binary made of the given raw sections, in order.
fn raw_module(sections: &[(u8, Vec<u8>)]) -> Vec<u8> {
    let mut module = wasm_encoder::Module::new();
    for (id, data) in sections {
        module.section(&RawSection { id: *id, data });
    }
    module.finish()
}

/// A section body: a `count` (which may lie) followed by `items`.
fn counted(count: u32, items: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    u64::from(count).encode(&mut out);
    out.extend_from_slice(items);
    out
}

/// The type section `[() -> ()]`.
fn one_func_type() -> (u8, Vec<u8>) {
    (1, counted(1, &[0x60, 0, 0]))
}

/// One function `f` of type 0 with `body`: a complete function + code section pair.
fn one_body(body: &[u8]) -> [(u8, Vec<u8>); 2] {
    let mut entry = Vec::new();
    (body.len() as u64).encode(&mut entry);
    entry.extend_from_slice(body);
    [(3, counted(1, &[0])), (10, counted(1, &entry))]
}

// ---------------------------------------------------------------------------
// The cases
// ---------------------------------------------------------------------------

/// One call of an exported function and what it must give.
struct Call {
    export: &'static str,
    args: Vec<u64>,
    outcome: Result<Vec<u64>, TrapCode>,
}

fn returns(export: &'static str, args: Vec<u64>, results: Vec<u64>) -> Call {
    Call {
        export,
        args,
        outcome: Ok(results),
    }
}

fn traps(export: &'static str, args: Vec<u64>, code: TrapCode) -> Call {
    Call {
        export,
        args,
        outcome: Err(code),
    }
}

/// What must happen to a case's binary.
enum Expect {
    /// Compiling fails with `Error::Decode` (offset inside the binary) saying this.
    Malformed(&'static str),
    /// Compiling fails with `Error::Validation` (offset inside the binary) saying this.
    Invalid(&'static str),
    /// Compiling fails with `Error::Compile` (an engine limit) saying this.
    TooLarge(&'static str),
    /// Compiling succeeds; instantiating fails with `Error::Resource` saying this.
    ResourceError(&'static str),
    /// Compiling succeeds; instantiating traps with this code.
    InstantiationTraps(TrapCode),
    /// Compiling and instantiating succeed; then these calls, in order, on the instance.
    Runs(Vec<Call>),
}

struct Case {
    name: &'static str,
    wasm: Vec<u8>,
    /// Adjusts each engine's configuration for this case.
    config: fn(RuntimeConfig) -> RuntimeConfig,
    /// The one engine the case is for (an engine-specific limit), or all.
    only: Option<&'static str>,
    expect: Expect,
}

impl Case {
    fn new(name: &'static str, wasm: Vec<u8>, expect: Expect) -> Self {
        Self {
            name,
            wasm,
            config: |c| c,
            only: None,
            expect,
        }
    }

    fn only_on(mut self, engine: &'static str) -> Self {
        self.only = Some(engine);
        self
    }

    fn with_config(mut self, config: fn(RuntimeConfig) -> RuntimeConfig) -> Self {
        self.config = config;
        self
    }
}

/// A module with one function of type `() -> ()` whose encoded body (local
/// declarations, instructions, `end`) is `body`.
fn one_function(body: &[u8]) -> Vec<u8> {
    let [func, code] = one_body(body);
    raw_module(&[one_func_type(), func, code])
}

/// A function body: local declaration groups `(count, type)` then `instructions`.
fn raw_body(locals: &[(u32, u8)], instructions: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    (locals.len() as u64).encode(&mut body);
    for &(count, ty) in locals {
        u64::from(count).encode(&mut body);
        body.push(ty);
    }
    body.extend_from_slice(instructions);
    body
}

fn huge_count_cases() -> Vec<Case> {
    const MAX: u32 = u32::MAX;
    const I32: u8 = 0x7f;
    let [func, code] = one_body(&[0, 0x0b]);
    // One data segment: active, memory 0, offset `i32.const 0`, one byte.
    let segment = [0x00, 0x41, 0x00, 0x0b, 0x01, b'x'];
    let memory = (5, counted(1, &[0x00, 0x01]));
    // A type section whose size field claims u32::MAX bytes.
    let mut oversized_section = raw_module(&[]);
    oversized_section.push(1);
    u64::from(MAX).encode(&mut oversized_section);
    oversized_section.extend_from_slice(&[0x01, 0x60, 0x00, 0x00]);
    // i32.const 0, br_table with a target count of u32::MAX and two targets, end.
    let mut br_table = vec![0x41, 0x00, 0x0e];
    u64::from(MAX).encode(&mut br_table);
    br_table.extend_from_slice(&[0x00, 0x00, 0x0b]);
    vec![
        Case::new(
            "type section claims u32::MAX types",
            raw_module(&[(1, counted(MAX, &[0x60, 0, 0]))]),
            Expect::Malformed("unexpected end-of-file"),
        ),
        Case::new(
            "import section claims u32::MAX imports",
            raw_module(&[
                one_func_type(),
                (2, counted(MAX, &[1, b'a', 1, b'b', 0x00, 0x00])),
            ]),
            Expect::Malformed("unexpected end-of-file"),
        ),
        Case::new(
            "function section claims u32::MAX functions",
            raw_module(&[one_func_type(), (3, counted(MAX, &[0]))]),
            Expect::Malformed("unexpected end-of-file"),
        ),
        Case::new(
            "code section claims u32::MAX bodies",
            raw_module(&[one_func_type(), func, (10, counted(MAX, &code.1[1..]))]),
            Expect::Malformed("inconsistent lengths"),
        ),
        Case::new(
            "data section claims u32::MAX segments",
            raw_module(&[memory, (11, counted(MAX, &segment))]),
            Expect::Malformed("unexpected end-of-file"),
        ),
        Case::new(
            "element section claims u32::MAX segments",
            raw_module(&[
                one_func_type(),
                (3, counted(1, &[0])),
                (4, counted(1, &[0x70, 0x00, 0x01])),
                (9, counted(MAX, &[0x00, 0x41, 0x00, 0x0b, 0x01, 0x00])),
            ]),
            Expect::Malformed("unexpected end-of-file"),
        ),
        Case::new(
            "section size claims u32::MAX bytes",
            oversized_section,
            Expect::Malformed("unexpected end-of-file"),
        ),
        Case::new(
            "local declarations claim u32::MAX groups",
            one_function(&counted(MAX, &[1, I32, 0x0b])),
            Expect::Malformed("unexpected end-of-file"),
        ),
        Case::new(
            "one local group of u32::MAX locals",
            one_function(&raw_body(&[(MAX, I32)], &[0x0b])),
            Expect::Invalid("too many locals"),
        ),
        Case::new(
            "local groups adding up past u32::MAX",
            one_function(&raw_body(&[(MAX, I32), (1, I32)], &[0x0b])),
            Expect::Malformed("too many locals"),
        ),
        Case::new(
            "br_table claims u32::MAX targets",
            one_function(&raw_body(&[], &br_table)),
            Expect::Invalid("br_table size is out of bounds"),
        ),
    ]
}

/// `depth` nested `block (result i32)`s; the innermost branches out of all of
/// them with 42.
fn nested_blocks(depth: u32) -> Vec<u8> {
    let mut b = Builder::default();
    b.func("run", &[], &[ValType::I32], &[], |f| {
        for _ in 0..depth {
            f.block(BlockType::Result(ValType::I32));
        }
        f.i32_const(42).br(depth - 1);
        for _ in 0..depth {
            f.end();
        }
    });
    b.finish()
}

/// `unreachable` followed by `depth` nested blocks in dead code.
fn nested_dead_blocks(depth: u32) -> Vec<u8> {
    let mut b = Builder::default();
    b.func("run", &[], &[], &[], |f| {
        f.unreachable();
        for _ in 0..depth {
            f.block(BlockType::Empty);
        }
        for _ in 0..depth {
            f.end();
        }
    });
    b.finish()
}

/// The `i`-th of the distinct constants summed by [`many_constants`].
fn constant(i: u64) -> i64 {
    i.wrapping_mul(0x9e37_79b9_7f4a_7c15) as i64
}

/// A function summing `count` distinct `i64.const`s.
fn many_constants(count: u64) -> Vec<u8> {
    let mut b = Builder::default();
    b.func("sum", &[], &[ValType::I64], &[], |f| {
        f.i64_const(constant(0));
        for i in 1..count {
            f.i64_const(constant(i)).i64_add();
        }
    });
    b.finish()
}

fn locals_cases() -> Vec<Case> {
    let mut million = Builder::default();
    million.func("f", &[], &[], &[(1_000_000, ValType::I32)], |_| {});
    let mut fifty_k = Builder::default();
    fifty_k.func("f", &[], &[ValType::I64], &[(50_000, ValType::I64)], |f| {
        f.i64_const(7)
            .local_set(49_999)
            .local_get(49_999)
            .local_get(0)
            .i64_add();
    });
    let mut wide = Builder::default();
    wide.func("f", &[], &[], &[(40_000, ValType::V128)], |_| {});
    let wide = wide.finish();
    let wide_params = [ValType::I64; 1000];
    let mut echo = Builder::default();
    echo.func("echo", &wide_params, &wide_params, &[], |f| {
        for i in 0..1000 {
            f.local_get(i);
        }
    });
    let mut jump_table = Builder::default();
    jump_table.func("pick", &[ValType::I32], &[ValType::I32], &[], |f| {
        f.block(BlockType::Empty).block(BlockType::Empty);
        f.local_get(0);
        let targets: Vec<u32> = (0..100_000).map(|i| i % 2).collect();
        f.br_table(targets, 1);
        f.end().i32_const(10).return_().end().i32_const(20);
    });
    let expected_sum = (0..5000).fold(0i64, |acc, i| acc.wrapping_add(constant(i))) as u64;
    vec![
        Case::new(
            "a function with 1_000_000 locals",
            million.finish(),
            Expect::Invalid("too many locals"),
        ),
        Case::new(
            "a function with 50_000 locals runs",
            fifty_k.finish(),
            Expect::Runs(vec![returns("f", vec![], vec![7])]),
        ),
        // Both engines refuse it alike (the interpreter could not address it).
        Case::new(
            "40_000 v128 locals exceed every engine's frame",
            wide,
            Expect::Invalid("function too large"),
        ),
        Case::new(
            "100_000 nested blocks",
            nested_blocks(100_000),
            Expect::Runs(vec![returns("run", vec![], vec![42])]),
        ),
        // Past the compiler's block limit: refused clearly there, run by the
        // interpreter (which translates on first call).
        Case::new(
            "300_000 nested blocks are too many for the compiler",
            nested_blocks(300_000),
            Expect::TooLarge("more than 262144 blocks"),
        )
        .only_on("compiler"),
        Case::new(
            "300_000 nested blocks run on the interpreter",
            nested_blocks(300_000),
            Expect::Runs(vec![returns("run", vec![], vec![42])]),
        )
        .only_on("interpreter"),
        Case::new(
            "100_000 nested blocks in dead code",
            nested_dead_blocks(100_000),
            Expect::Runs(vec![traps("run", vec![], TrapCode::Unreachable)]),
        ),
        Case::new(
            "1000 parameters and 1000 results",
            echo.finish(),
            Expect::Runs(vec![returns(
                "echo",
                (0..1000).collect(),
                (0..1000).collect(),
            )]),
        ),
        Case::new(
            "a br_table of 100_000 targets",
            jump_table.finish(),
            Expect::Runs(vec![
                returns("pick", vec![0], vec![10]),
                returns("pick", vec![1], vec![20]),
                returns("pick", vec![99_998], vec![10]),
                returns("pick", vec![99_999], vec![20]),
                returns("pick", vec![100_000], vec![20]),
                returns("pick", vec![u64::from(u32::MAX)], vec![20]),
            ]),
        ),
        Case::new(
            "5000 distinct constants summed",
            many_constants(5000),
            Expect::Runs(vec![returns("sum", vec![], vec![expected_sum])]),
        ),
    ]
}

/// A module with memory `min` pages (no maximum) exporting `grow(delta) -> old`
/// and `size() -> pages`.
fn growable_memory(min: u64) -> Vec<u8> {
    let mut b = Builder::default().memory(min, None);
    b.func("grow", &[ValType::I32], &[ValType::I32], &[], |f| {
        f.local_get(0).memory_grow(0);
    });
    b.func("size", &[], &[ValType::I32], &[], |f| {
        f.memory_size(0);
    });
    b.finish()
}

/// Functions that recurse forever: `recurse` with an empty frame, `recurse_wide`
/// with 1000 `i64` parameters (so the value stack, not the depth, runs out first
/// when the depth limit is high).
fn recursion() -> Vec<u8> {
    let mut b = Builder::default();
    b.func("recurse", &[], &[], &[], |f| {
        f.call(0);
    });
    let wide = [ValType::I64; 1000];
    b.func("recurse_wide", &wide, &[], &[], |f| {
        for i in 0..1000 {
            f.local_get(i);
        }
        f.call(1);
    });
    b.finish()
}

fn limits_cases() -> Vec<Case> {
    let limited = |c: RuntimeConfig| c.with_memory_limit_pages(16);
    let minus_one = encode_i32(-1);
    vec![
        Case::new(
            "a memory of 65537 pages",
            Builder::default().memory(65537, None).finish(),
            Expect::Invalid("memory size"),
        ),
        Case::new(
            "a memory of 65536 pages under a 16-page limit",
            growable_memory(65536),
            Expect::ResourceError("limit"),
        )
        .with_config(limited),
        Case::new(
            "memory.grow past the limit returns -1",
            growable_memory(1),
            Expect::Runs(vec![
                returns("grow", vec![16], vec![minus_one]),
                returns("grow", vec![u64::from(u32::MAX)], vec![minus_one]),
                returns("size", vec![], vec![1]),
                returns("grow", vec![15], vec![1]),
                returns("size", vec![], vec![16]),
                returns("grow", vec![1], vec![minus_one]),
                returns("grow", vec![0], vec![16]),
            ]),
        )
        .with_config(limited),
        Case::new(
            "a table of 10_000_001 elements",
            Builder::default().table(10_000_001).finish(),
            Expect::ResourceError("too large"),
        ),
        Case::new(
            "a table of u32::MAX elements",
            Builder::default().table(u64::from(u32::MAX)).finish(),
            Expect::ResourceError("too large"),
        ),
        Case::new(
            "a table of 10_000_000 elements",
            {
                let mut b = Builder::default().table(10_000_000);
                b.func("size", &[], &[ValType::I32], &[], |f| {
                    f.table_size(0);
                });
                b.finish()
            },
            Expect::Runs(vec![returns("size", vec![], vec![10_000_000])]),
        ),
        Case::new(
            "unbounded recursion",
            recursion(),
            Expect::Runs(vec![
                traps("recurse", vec![], TrapCode::StackExhausted),
                // The failed call left nothing behind: the next one fails the same way.
                traps("recurse", vec![], TrapCode::StackExhausted),
                traps("recurse_wide", vec![0; 1000], TrapCode::StackExhausted),
            ]),
        ),
        Case::new(
            "unbounded recursion under a small depth limit",
            recursion(),
            Expect::Runs(vec![traps("recurse", vec![], TrapCode::StackExhausted)]),
        )
        .with_config(|c| c.with_max_call_depth(10)),
    ]
}

fn memory_access_cases() -> Vec<Case> {
    let mut b = Builder::default().memory(1, Some(1));
    b.func(
        "load_offset_max",
        &[ValType::I32],
        &[ValType::I32],
        &[],
        |f| {
            f.local_get(0).i32_load(mem(u64::from(u32::MAX)));
        },
    );
    b.func("store_offset_max", &[ValType::I32], &[], &[], |f| {
        f.local_get(0)
            .i64_const(1)
            .i64_store(mem(u64::from(u32::MAX)));
    });
    b.func("load8", &[ValType::I32], &[ValType::I32], &[], |f| {
        f.local_get(0).i32_load8_u(mem(0));
    });
    b.func("load64", &[ValType::I32], &[ValType::I64], &[], |f| {
        f.local_get(0).i64_load(mem(0));
    });
    // fill(dst, len) fills with 0xab; copy(dst, src, len).
    b.func("fill", &[ValType::I32, ValType::I32], &[], &[], |f| {
        f.local_get(0).i32_const(0xab).local_get(1).memory_fill(0);
    });
    b.func(
        "copy",
        &[ValType::I32, ValType::I32, ValType::I32],
        &[],
        &[],
        |f| {
            f.local_get(0).local_get(1).local_get(2).memory_copy(0, 0);
        },
    );
    let wasm = b.finish();
    let max = u64::from(u32::MAX);
    let oob = TrapCode::MemoryOutOfBounds;
    let mut empty = Builder::default().memory(0, None);
    empty.func("load8", &[ValType::I32], &[ValType::I32], &[], |f| {
        f.local_get(0).i32_load8_u(mem(0));
    });
    vec![
        Case::new(
            "out-of-bounds loads, stores, fills and copies",
            wasm,
            Expect::Runs(vec![
                traps("load_offset_max", vec![0], oob),
                traps("load_offset_max", vec![max], oob),
                traps("store_offset_max", vec![0], oob),
                traps("store_offset_max", vec![max], oob),
                traps("load64", vec![65529], oob),
                returns("load64", vec![65528], vec![0]),
                traps("load8", vec![65536], oob),
                traps("load8", vec![max], oob),
                traps("fill", vec![65530, 100], oob),
                traps("fill", vec![0, max], oob),
                traps("fill", vec![max, 1], oob),
                // A failed fill writes nothing (bulk operations check bounds first).
                returns("load8", vec![65530], vec![0]),
                returns("fill", vec![65535, 1], vec![]),
                returns("load8", vec![65535], vec![0xab]),
                returns("fill", vec![65536, 0], vec![]),
                traps("fill", vec![65537, 0], oob),
                traps("copy", vec![0, 65000, 1000], oob),
                traps("copy", vec![65000, 0, 1000], oob),
                traps("copy", vec![0, 0, max], oob),
                traps("copy", vec![max, 0, 1], oob),
                returns("copy", vec![0, 65535, 1], vec![]),
                returns("load8", vec![0], vec![0xab]),
            ]),
        ),
        Case::new(
            "any access to an empty memory",
            empty.finish(),
            Expect::Runs(vec![traps("load8", vec![0], oob)]),
        ),
    ]
}

fn call_indirect_cases() -> Vec<Case> {
    // Table of 3: [answer, null, null]; `call(i)` calls entry i as () -> i32,
    // `call_i64(i)` as () -> i64.
    let mut b = Builder::default().table(3);
    let answer = b.func("answer", &[], &[ValType::I32], &[], |f| {
        f.i32_const(42);
    });
    let i32_type = b.ty(&[], &[ValType::I32]);
    let i64_type = b.ty(&[], &[ValType::I64]);
    b.func("call", &[ValType::I32], &[ValType::I32], &[], |f| {
        f.local_get(0).call_indirect(0, i32_type);
    });
    b.func("call_i64", &[ValType::I32], &[ValType::I64], &[], |f| {
        f.local_get(0).call_indirect(0, i64_type);
    });
    b.elements.push((0, vec![answer]));
    vec![Case::new(
        "call_indirect out of range, null and mistyped",
        b.finish(),
        Expect::Runs(vec![
            returns("call", vec![0], vec![42]),
            traps("call", vec![1], TrapCode::UninitializedElement),
            traps("call", vec![3], TrapCode::UndefinedElement),
            traps(
                "call",
                vec![u64::from(u32::MAX)],
                TrapCode::UndefinedElement,
            ),
            traps("call_i64", vec![0], TrapCode::IndirectCallTypeMismatch),
        ]),
    )]
}

fn segment_cases() -> Vec<Case> {
    let data = |offset: i32, len: usize| {
        let mut b = Builder::default().memory(1, None);
        b.data.push((0, b"first".to_vec()));
        b.data.push((offset, vec![1; len]));
        b.finish()
    };
    let elements = |offset: i32| {
        let mut b = Builder::default().table(2);
        let f = b.func("f", &[], &[], &[], |_| {});
        b.elements.push((offset, vec![f, f]));
        b.finish()
    };
    vec![
        Case::new(
            "a data segment past the end of memory",
            data(65535, 2),
            Expect::InstantiationTraps(TrapCode::MemoryOutOfBounds),
        ),
        Case::new(
            "a data segment at offset u32::MAX",
            data(-1, 1),
            Expect::InstantiationTraps(TrapCode::MemoryOutOfBounds),
        ),
        Case::new(
            "an empty data segment just past the end of memory",
            data(65537, 0),
            Expect::InstantiationTraps(TrapCode::MemoryOutOfBounds),
        ),
        Case::new(
            "a data segment ending exactly at the end of memory",
            data(65534, 2),
            Expect::Runs(vec![]),
        ),
        Case::new(
            "an element segment past the end of the table",
            elements(1),
            Expect::InstantiationTraps(TrapCode::TableOutOfBounds),
        ),
        Case::new(
            "an element segment at offset u32::MAX",
            elements(-1),
            Expect::InstantiationTraps(TrapCode::TableOutOfBounds),
        ),
    ]
}

fn all_cases() -> Vec<Case> {
    let mut cases = huge_count_cases();
    cases.extend(locals_cases());
    cases.extend(limits_cases());
    cases.extend(memory_access_cases());
    cases.extend(call_indirect_cases());
    cases.extend(segment_cases());
    cases
}

// ---------------------------------------------------------------------------
// Running them
// ---------------------------------------------------------------------------

/// Runs `case` on every engine, panicking with its name on any deviation from
/// its expectation.
fn run(case: &Case) {
    for (engine, config) in engines::named() {
        if case.only.is_some_and(|only| only != engine) {
            continue;
        }
        run_on(case, engine, (case.config)(config));
    }
}

fn run_on(case: &Case, engine: &str, config: RuntimeConfig) {
    let name = &format!("{} ({engine})", case.name);
    let len = case.wasm.len();
    let runtime = Runtime::with_config(config);
    let compiled = runtime.compile_module(&case.wasm);
    let compiled = match (&case.expect, compiled) {
        (Expect::Malformed(text), Err(Error::Decode(e))) => {
            assert!(
                e.offset <= len,
                "{name}: offset {} past {len} bytes: {e}",
                e.offset
            );
            assert!(e.message.contains(text), "{name}: {e}");
            return;
        }
        (Expect::Invalid(text), Err(Error::Validation(e))) => {
            assert!(
                e.offset <= len,
                "{name}: offset {} past {len} bytes: {e}",
                e.offset
            );
            assert!(e.message.contains(text), "{name}: {e}");
            return;
        }
        (Expect::TooLarge(text), Err(Error::Compile(message))) => {
            assert!(message.contains(text), "{name}: {message}");
            return;
        }
        (Expect::Malformed(_) | Expect::Invalid(_) | Expect::TooLarge(_), other) => {
            panic!(
                "{name}: expected a compile error, got {:?}",
                other.map(|_| ())
            )
        }
        (_, Err(e)) => panic!("{name}: failed to compile: {e:?}"),
        (_, Ok(compiled)) => compiled,
    };

    let module_name = "hostile";
    let instance =
        runtime.instantiate_module(&compiled, ModuleConfig::new().with_name(module_name));
    let calls = match (&case.expect, instance) {
        (Expect::Runs(calls), Ok(instance)) => {
            assert!(
                runtime.module(module_name).is_some(),
                "{name}: not registered"
            );
            calls
                .iter()
                .map(|call| (call, instance.clone()))
                .collect::<Vec<_>>()
        }
        (Expect::ResourceError(text), Err(Error::Resource(message))) => {
            assert!(message.contains(text), "{name}: {message}");
            assert_name_is_free(&runtime, module_name, name);
            return;
        }
        (Expect::InstantiationTraps(code), Err(e)) => {
            assert_eq!(e.trap_code(), Some(*code), "{name}: {e:?}");
            assert_name_is_free(&runtime, module_name, name);
            return;
        }
        (_, result) => panic!(
            "{name}: unexpected instantiation result {:?}",
            result.map(|_| ())
        ),
    };
    for (call, instance) in calls {
        let function = instance
            .exported_function(call.export)
            .unwrap_or_else(|| panic!("{name}: no export {}", call.export));
        match (function.call(&call.args), &call.outcome) {
            (Ok(results), Ok(expected)) => {
                assert_eq!(
                    &results, expected,
                    "{name}: {}({:?})",
                    call.export, call.args
                )
            }
            (Err(e), Err(code)) => assert_eq!(
                e.trap_code(),
                Some(*code),
                "{name}: {}({:?}): {e:?}",
                call.export,
                call.args
            ),
            (got, want) => panic!(
                "{name}: {}({:?}) gave {got:?}, expected {want:?}",
                call.export, call.args
            ),
        }
    }
}

/// After a failed instantiation nothing is registered under `module_name`, and
/// the name can be taken by another module.
fn assert_name_is_free(runtime: &Runtime, module_name: &str, case: &str) {
    assert!(
        runtime.module(module_name).is_none(),
        "{case}: a failed instantiation left {module_name} registered"
    );
    let empty = runtime
        .compile_module(&Builder::default().finish())
        .unwrap();
    runtime
        .instantiate_module(&empty, ModuleConfig::new().with_name(module_name))
        .unwrap_or_else(|e| panic!("{case}: the name is still taken: {e}"));
}

/// Runs `f` on a new thread with a native stack of `bytes`, propagating panics.
fn on_stack_of<T: Send + 'static>(bytes: usize, f: impl FnOnce() -> T + Send + 'static) -> T {
    let thread = std::thread::Builder::new()
        .stack_size(bytes)
        .spawn(f)
        .expect("spawn a thread");
    match thread.join() {
        Ok(value) => value,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

#[test]
fn hostile_modules_give_errors_or_run() {
    // A thread with the default 2 MiB stack proves that deep nesting is not
    // handled by native recursion anywhere in decoding, validation,
    // compilation or execution.
    on_stack_of(2 << 20, || {
        for case in all_cases() {
            run(&case);
        }
    });
}

#[test]
fn deep_recursion_on_a_small_native_stack() {
    // The interpreter's guest calls do not use the native stack: 100 000 levels
    // of recursion end in a trap even on a 256 KiB thread.
    // Compiled code runs on the native stack, within a limit that keeps room
    // for the runtime below it: it traps too, and the thread survives.
    for (engine, config) in engines::named() {
        let code = on_stack_of(256 << 10, move || {
            let runtime = Runtime::with_config(config);
            let module = runtime.instantiate(&recursion()).unwrap();
            let recurse = module.exported_function("recurse").unwrap();
            recurse.call(&[]).unwrap_err().trap_code()
        });
        assert_eq!(code, Some(TrapCode::StackExhausted), "{engine}");
    }
}

/// The resident memory of this process in KiB, from `/proc/self/status`.
fn resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn a_4_gib_memory_does_not_exhaust_the_host() {
    let mut b = Builder::default().memory(65536, None);
    b.func("size", &[], &[ValType::I32], &[], |f| {
        f.memory_size(0);
    });
    b.func("poke_last", &[], &[ValType::I32], &[], |f| {
        f.i32_const(-1)
            .i32_const(7)
            .i32_store8(mem(0))
            .i32_const(-1)
            .i32_load8_u(mem(0));
    });
    let runtime = Runtime::with_config(RuntimeConfig::interpreter());
    let compiled = runtime.compile_module(&b.finish()).unwrap();
    match runtime.instantiate_module(&compiled, ModuleConfig::new()) {
        Ok(module) => {
            let call = |name: &str| module.exported_function(name).unwrap().call(&[]).unwrap();
            assert_eq!(call("size"), vec![65536]);
            assert_eq!(call("poke_last"), vec![7]);
            assert_eq!(module.memory().unwrap().size(), 1 << 32);
        }
        // Where the host cannot reserve 4 GiB, a clean error is the right outcome.
        Err(Error::Resource(message)) => assert!(message.contains("allocate"), "{message}"),
        Err(e) => panic!("unexpected error: {e:?}"),
    }
    if let Some(kib) = resident_kib() {
        assert!(kib < 512 << 10, "resident memory is {} MiB", kib >> 10);
    }
}

#[test]
fn a_failing_start_function_leaves_no_module_registered() {
    let mut b = Builder::default();
    b.func("_start", &[], &[], &[], |f| {
        f.unreachable();
    });
    let runtime = Runtime::with_config(RuntimeConfig::interpreter());
    let compiled = runtime.compile_module(&b.finish()).unwrap();
    let err = runtime
        .instantiate_module(&compiled, ModuleConfig::new().with_name("m"))
        .unwrap_err();
    assert_eq!(err.trap_code(), Some(TrapCode::Unreachable));
    assert!(
        runtime.module("m").is_none(),
        "a module whose _start trapped is registered"
    );
    let retry = runtime.instantiate_module(&compiled, ModuleConfig::new().with_name("m"));
    assert_eq!(
        retry.unwrap_err().trap_code(),
        Some(TrapCode::Unreachable),
        "the name is free"
    );
}

#[test]
fn many_large_tables_do_not_exhaust_the_host() {
    let mut tables = TableSection::new();
    for _ in 0..8 {
        tables.table(TableType {
            element_type: RefType::FUNCREF,
            table64: false,
            minimum: 10_000_000,
            maximum: None,
            shared: false,
        });
    }
    let mut module = wasm_encoder::Module::new();
    module.section(&TypeSection::new()).section(&tables);
    let wasm = module.finish();
    let runtime = Runtime::with_config(RuntimeConfig::interpreter().with_memory_limit_pages(1));
    match runtime.instantiate(&wasm) {
        Err(Error::Resource(message)) => assert!(message.contains("too large"), "{message}"),
        Ok(_) => {
            let kib = resident_kib().unwrap();
            assert!(
                kib < 512 << 10,
                "{} bytes of wasm made the process resident in {} MiB",
                wasm.len(),
                kib >> 10
            );
        }
        Err(e) => panic!("unexpected error: {e:?}"),
    }
}

/// Growth is amortized linear: 1024 one-page grows copy the memory a few times,
/// not 1024 times. (A bound on work, measured by the test's own clock only as a
/// guard against the quadratic behaviour, which took 18 s in release.)
#[test]
fn growing_memory_one_page_at_a_time_is_not_quadratic() {
    let mut b = Builder::default().memory(0, None);
    b.func("grow", &[ValType::I32], &[], &[], |f| {
        f.loop_(BlockType::Empty)
            .i32_const(1)
            .memory_grow(0)
            .drop()
            .local_get(0)
            .i32_const(1)
            .i32_sub()
            .local_tee(0)
            .br_if(0)
            .end();
    });
    let runtime = Runtime::with_config(RuntimeConfig::interpreter());
    let module = runtime.instantiate(&b.finish()).unwrap();
    let start = std::time::Instant::now();
    module
        .exported_function("grow")
        .unwrap()
        .call(&[1024])
        .unwrap();
    assert_eq!(module.memory().unwrap().size_pages(), 1024);
    let elapsed = start.elapsed();
    assert!(
        elapsed < std::time::Duration::from_secs(5),
        "64 MiB in 1024 steps took {elapsed:?}"
    );
}

/// Memories are recycled (the compiler keeps dropped reservations for reuse):
/// a new instance never sees what a closed one wrote, whatever the sizes, on
/// every engine.
#[test]
fn a_new_memory_never_shows_a_closed_instances_bytes() {
    let guest = wat::parse_str(
        r#"(module (memory (export "memory") 1 8)
            (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
            (func (export "fill") (param i32)
                (memory.fill (i32.const 0) (i32.const 0xAB) (local.get 0)))
            (func (export "sum") (param i32) (result i64)
                (local $i i32) (local $s i64)
                (block $done (loop $next
                    (br_if $done (i32.ge_u (local.get $i) (local.get 0)))
                    (local.set $s (i64.add (local.get $s) (i64.load8_u (local.get $i))))
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (br $next)))
                (local.get $s)))"#,
    )
    .unwrap();
    for config in engines::engines() {
        let runtime = wazero::Runtime::with_config(config);
        let compiled = runtime.compile_module(&guest).unwrap();
        for round in 0..20u32 {
            let module = runtime
                .instantiate_module(&compiled, wazero::ModuleConfig::new())
                .unwrap();
            let call = |name: &str, args: &[u64]| {
                module.exported_function(name).unwrap().call(args).unwrap()
            };
            // Every byte the memory can ever hold reads as zero when it starts
            // and after it grows, then is dirtied for the next instance.
            let pages = 1 + round % 8;
            assert_eq!(call("grow", &[u64::from(pages - 1)]), vec![1]);
            let bytes = u64::from(pages) * 65536;
            assert_eq!(call("sum", &[bytes]), vec![0], "round {round}");
            call("fill", &[bytes]);
            module.close().unwrap();
        }
    }
}

/// Host → guest → host → ... re-entry without end, on a 256 KiB thread: each
/// entry nests an engine run on the native stack, and every engine stops with
/// "call stack exhausted" before it overflows, instead of aborting the process.
#[test]
fn unbounded_reentry_on_a_small_native_stack_traps() {
    use std::sync::atomic::Ordering;
    for (engine, config) in engines::named() {
        let seen = reentry::Seen::default();
        let record = seen.clone();
        let failed = on_stack_of(256 << 10, move || {
            let runtime = Runtime::with_config(config);
            let module = reentry::guest(&runtime, &record);
            module
                .exported_function("down")
                .unwrap()
                .call(&[0])
                .is_err()
        });
        assert!(failed, "{engine}: unbounded re-entry must fail");
        assert!(
            seen.exhausted.load(Ordering::Relaxed),
            "{engine}: the innermost entry reports call stack exhausted"
        );
        assert!(
            seen.deepest.load(Ordering::Relaxed) > 4,
            "{engine}: some re-entry is allowed"
        );
    }
}

/// Function references the host makes up are refused where they enter (call
/// arguments, host-function results, `Global::set`), on every engine: never a
/// panic, never a call through them. A reference the guest handed out passes.
#[test]
fn forged_function_references_are_refused() {
    let guest = wat::parse_str(
        r#"(module
            (type $t (func (result i32)))
            (import "env" "make" (func $make (result funcref)))
            (table 1 funcref)
            (global $g (export "g") (mut funcref) (ref.null func))
            (func $seven (export "seven") (type $t) (i32.const 7))
            (elem declare func $seven)
            (func (export "get") (result funcref) (ref.func $seven))
            (func (export "set") (param funcref) (table.set (i32.const 0) (local.get 0)))
            (func (export "call") (result i32) (call_indirect (type $t) (i32.const 0)))
            (func (export "call_ref") (param (ref null $t)) (result i32) (call_ref $t (local.get 0)))
            (func (export "from_host") (result i32)
                (table.set (i32.const 0) (call $make))
                (call_indirect (type $t) (i32.const 0))))"#,
    )
    .unwrap();
    for (engine, config) in engines::named() {
        let runtime = Runtime::with_config(config);
        runtime
            .new_host_module_builder("env")
            .new_function_builder()
            .with_stack_func(&[], &[wazero::ValueType::FuncRef], |stack| {
                stack[0] = 0xdead_beef
            })
            .export("make")
            .instantiate()
            .unwrap();
        let module = runtime.instantiate(&guest).unwrap();
        let call =
            |name: &str, params: &[u64]| module.exported_function(name).unwrap().call(params);
        for forged in [0xdead_beef, u64::MAX, 1 << 40] {
            for name in ["set", "call_ref"] {
                let err = call(name, &[forged]).unwrap_err();
                assert!(
                    err.to_string().contains("not a valid"),
                    "{engine} {name}: {err}"
                );
            }
            let err = module
                .exported_global("g")
                .unwrap()
                .set(forged)
                .unwrap_err();
            assert!(err.to_string().contains("not a valid"), "{engine}: {err}");
        }
        let err = call("from_host", &[]).unwrap_err();
        assert!(err.to_string().contains("not a valid"), "{engine}: {err}");
        // The guest's own reference passes everywhere.
        let real = call("get", &[]).unwrap()[0];
        call("set", &[real]).unwrap();
        assert_eq!(call("call", &[]).unwrap(), vec![7], "{engine}");
        assert_eq!(call("call_ref", &[real]).unwrap(), vec![7], "{engine}");
        module.exported_global("g").unwrap().set(real).unwrap();
        let err = call("call_ref", &[0]).unwrap_err();
        assert!(
            err.to_string().contains("null function reference"),
            "{engine}: {err}"
        );
    }
}
