//! Generates the large module of the `compile` benchmark with `wasm-encoder`.
//!
//! The functions look like what clang emits for ordinary C: a shadow-stack
//! prologue and epilogue on a mutable global, locals of every numeric type,
//! integer and float arithmetic, loads and stores with constant offsets,
//! `if`/`else`, blocks left with `br_if`, counted loops, and calls to other
//! functions of the module. A fixed seed makes the module the same every run.

use wasm_encoder::{
    BlockType, CodeSection, ConstExpr, DataSection, ExportKind, ExportSection, Function,
    FunctionSection, GlobalSection, GlobalType, InstructionSink, MemArg, MemArgTarget,
    MemorySection, MemoryType, Module, TypeSection, ValType,
};

/// The signatures generated functions have, by type index.
const SIGNATURES: [(&[ValType], ValType); 3] = [
    (&[ValType::I32, ValType::I32], ValType::I32),
    (&[ValType::I32, ValType::I64], ValType::I64),
    (&[ValType::F64, ValType::F64, ValType::I32], ValType::F64),
];

/// Extra locals each function declares, besides its parameters.
const EXTRA_LOCALS: [(u32, ValType); 3] = [(6, ValType::I32), (3, ValType::I64), (3, ValType::F64)];

/// The deepest nesting of `block`/`loop`/`if` in a body.
const MAX_NESTING: u32 = 3;

/// A small deterministic generator (xorshift64*), so no `rand` is needed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: u32) -> u32 {
        ((self.next() >> 32) % u64::from(n.max(1))) as u32
    }

    /// True with probability `percent` in 100.
    fn chance(&mut self, percent: u32) -> bool {
        self.below(100) < percent
    }
}

/// The locals of the function being generated, by type.
struct Locals {
    i32s: Vec<u32>,
    i64s: Vec<u32>,
    f64s: Vec<u32>,
    /// One loop counter per nesting level (never assigned by other statements).
    counters: Vec<u32>,
    /// The saved shadow-stack pointer.
    frame: u32,
}

impl Locals {
    /// A random local of type `ty`.
    fn pick(&self, ty: ValType, rng: &mut Rng) -> u32 {
        let list = match ty {
            ValType::I32 => &self.i32s,
            ValType::I64 => &self.i64s,
            _ => &self.f64s,
        };
        list[rng.below(list.len() as u32) as usize]
    }
}

/// Generates one function body at a time.
struct BodyGen {
    rng: Rng,
    /// The locals of the function being generated.
    locals: Locals,
    /// Type index of each function generated so far (the callees available).
    earlier: Vec<u32>,
}

impl BodyGen {
    /// A memory operand: an aligned address below 64 KiB plus a small offset.
    fn memarg(&mut self, align: u32) -> MemArg {
        MemArg {
            offset: u64::from(self.rng.below(64) * 8),
            align,
            target: MemArgTarget::Memory(0),
            ordering: None,
        }
    }

    /// Pushes an address: a masked i32 expression.
    fn address(&mut self, sink: &mut InstructionSink<'_>, depth: u32) {
        self.expr(sink, ValType::I32, depth + 1);
        sink.i32_const(0xfff8).i32_and();
    }

    /// Pushes a call to an earlier function returning `ty`, if there is one.
    fn call(&mut self, sink: &mut InstructionSink<'_>, ty: ValType, depth: u32) -> bool {
        if self.earlier.is_empty() {
            return false;
        }
        for _ in 0..4 {
            let callee = self.rng.below(self.earlier.len() as u32);
            let (params, result) = SIGNATURES[self.earlier[callee as usize] as usize];
            if result == ty {
                for &param in params {
                    self.expr(sink, param, depth + 2);
                }
                sink.call(callee);
                return true;
            }
        }
        false
    }

    /// Pushes one value of type `ty`; deeper expressions are simpler.
    fn expr(&mut self, sink: &mut InstructionSink<'_>, ty: ValType, depth: u32) {
        let leaf = depth >= 3 || self.rng.chance(30);
        if leaf {
            if self.rng.chance(70) {
                sink.local_get(self.locals.pick(ty, &mut self.rng));
            } else {
                let c = self.rng.next();
                match ty {
                    ValType::I32 => sink.i32_const((c % 4096) as i32 - 16),
                    ValType::I64 => sink.i64_const((c >> 20) as i64),
                    _ => sink.f64_const(((c % 1000) as f64 / 8.0).into()),
                };
            }
            return;
        }
        match ty {
            ValType::I32 => match self.rng.below(10) {
                0 => {
                    self.address(sink, depth);
                    let m = self.memarg(2);
                    sink.i32_load(m);
                }
                1 => {
                    self.expr(sink, ValType::I64, depth + 1);
                    sink.i32_wrap_i64();
                }
                2 => {
                    self.expr(sink, ValType::I32, depth + 1);
                    self.expr(sink, ValType::I32, depth + 1);
                    match self.rng.below(4) {
                        0 => sink.i32_lt_s(),
                        1 => sink.i32_ne(),
                        2 => sink.i32_ge_u(),
                        _ => sink.i32_eq(),
                    };
                }
                3 if depth == 0 && self.rng.chance(40) => {
                    if !self.call(sink, ty, depth) {
                        sink.local_get(self.locals.pick(ty, &mut self.rng));
                    }
                }
                4 => {
                    self.expr(sink, ValType::I32, depth + 1);
                    self.expr(sink, ValType::I32, depth + 1);
                    self.expr(sink, ValType::I32, depth + 1);
                    sink.select();
                }
                _ => {
                    self.expr(sink, ValType::I32, depth + 1);
                    self.expr(sink, ValType::I32, depth + 1);
                    match self.rng.below(8) {
                        0 => sink.i32_add(),
                        1 => sink.i32_sub(),
                        2 => sink.i32_mul(),
                        3 => sink.i32_and(),
                        4 => sink.i32_or(),
                        5 => sink.i32_xor(),
                        6 => sink.i32_shl(),
                        _ => sink.i32_shr_u(),
                    };
                }
            },
            ValType::I64 => match self.rng.below(6) {
                0 => {
                    self.address(sink, depth);
                    let m = self.memarg(3);
                    sink.i64_load(m);
                }
                1 => {
                    self.expr(sink, ValType::I32, depth + 1);
                    if self.rng.chance(50) {
                        sink.i64_extend_i32_s();
                    } else {
                        sink.i64_extend_i32_u();
                    }
                }
                _ => {
                    self.expr(sink, ValType::I64, depth + 1);
                    self.expr(sink, ValType::I64, depth + 1);
                    match self.rng.below(6) {
                        0 => sink.i64_add(),
                        1 => sink.i64_sub(),
                        2 => sink.i64_mul(),
                        3 => sink.i64_xor(),
                        4 => sink.i64_rotl(),
                        _ => sink.i64_shr_u(),
                    };
                }
            },
            _ => match self.rng.below(6) {
                0 => {
                    self.address(sink, depth);
                    let m = self.memarg(3);
                    sink.f64_load(m);
                }
                1 => {
                    self.expr(sink, ValType::I32, depth + 1);
                    sink.f64_convert_i32_s();
                }
                _ => {
                    self.expr(sink, ValType::F64, depth + 1);
                    self.expr(sink, ValType::F64, depth + 1);
                    match self.rng.below(5) {
                        0 => sink.f64_add(),
                        1 => sink.f64_sub(),
                        2 => sink.f64_mul(),
                        3 => sink.f64_div(),
                        _ => sink.f64_max(),
                    };
                }
            },
        }
    }

    /// A random value type, mostly i32 as in real code.
    fn value_type(&mut self) -> ValType {
        match self.rng.below(10) {
            0..=5 => ValType::I32,
            6 | 7 => ValType::I64,
            _ => ValType::F64,
        }
    }

    /// Emits `count` stack-neutral statements at nesting `nesting`.
    fn statements(&mut self, sink: &mut InstructionSink<'_>, count: u32, nesting: u32) {
        for _ in 0..count {
            self.statement(sink, nesting);
        }
    }

    /// Emits one stack-neutral statement.
    fn statement(&mut self, sink: &mut InstructionSink<'_>, nesting: u32) {
        let nested = nesting < MAX_NESTING;
        match self.rng.below(20) {
            0..=8 => {
                let ty = self.value_type();
                self.expr(sink, ty, 0);
                sink.local_set(self.locals.pick(ty, &mut self.rng));
            }
            9..=11 => {
                self.address(sink, 0);
                let ty = self.value_type();
                self.expr(sink, ty, 1);
                match ty {
                    ValType::I32 => sink.i32_store(self.memarg(2)),
                    ValType::I64 => sink.i64_store(self.memarg(3)),
                    _ => sink.f64_store(self.memarg(3)),
                };
            }
            12 => {
                if !self.call(sink, ValType::I32, 0) {
                    sink.i32_const(0);
                }
                sink.drop();
            }
            13 | 14 if nested => {
                self.expr(sink, ValType::I32, 1);
                sink.if_(BlockType::Empty);
                let n = 1 + self.rng.below(4);
                self.statements(sink, n, nesting + 1);
                if self.rng.chance(50) {
                    sink.else_();
                    let n = 1 + self.rng.below(3);
                    self.statements(sink, n, nesting + 1);
                }
                sink.end();
            }
            15 | 16 if nested => {
                sink.block(BlockType::Empty);
                let n = 1 + self.rng.below(3);
                self.statements(sink, n, nesting + 1);
                self.expr(sink, ValType::I32, 1);
                sink.br_if(0);
                let n = 1 + self.rng.below(3);
                self.statements(sink, n, nesting + 1);
                sink.end();
            }
            17 if nested => {
                let counter = self.locals.counters[nesting as usize];
                sink.i32_const(0).local_set(counter).loop_(BlockType::Empty);
                let n = 2 + self.rng.below(4);
                self.statements(sink, n, nesting + 1);
                let trips = 2 + self.rng.below(30) as i32;
                sink.local_get(counter)
                    .i32_const(1)
                    .i32_add()
                    .local_tee(counter)
                    .i32_const(trips)
                    .i32_lt_u()
                    .br_if(0)
                    .end();
            }
            _ => {
                let local = self.locals.pick(ValType::I32, &mut self.rng);
                sink.local_get(local)
                    .i32_const(1 + self.rng.below(64) as i32)
                    .i32_add()
                    .local_set(local);
            }
        }
    }

    /// Emits a whole function of type index `ty`.
    fn function(&mut self, ty: u32) -> Function {
        let (params, result) = SIGNATURES[ty as usize];
        let mut all: Vec<ValType> = params.to_vec();
        let mut declared = Vec::new();
        for (count, vt) in EXTRA_LOCALS {
            declared.push((count, vt));
            all.extend(std::iter::repeat_n(vt, count as usize));
        }
        // Loop counters and the frame pointer come last.
        declared.push((MAX_NESTING + 1, ValType::I32));
        let first_extra = all.len() as u32;
        let indices = |vt: ValType| -> Vec<u32> {
            all.iter()
                .enumerate()
                .filter(|(_, t)| **t == vt)
                .map(|(i, _)| i as u32)
                .collect()
        };
        self.locals = Locals {
            i32s: indices(ValType::I32),
            i64s: indices(ValType::I64),
            f64s: indices(ValType::F64),
            counters: (first_extra..first_extra + MAX_NESTING).collect(),
            frame: first_extra + MAX_NESTING,
        };
        let mut f = Function::new(declared);
        let mut sink = f.instructions();
        // Prologue: reserve a 32-byte frame on the shadow stack (global 0).
        let frame = self.locals.frame;
        sink.global_get(0)
            .i32_const(32)
            .i32_sub()
            .local_tee(frame)
            .global_set(0);
        let count = 8 + self.rng.below(24);
        self.statements(&mut sink, count, 0);
        // Epilogue: pop the frame, return a value of the result type.
        sink.local_get(frame).i32_const(32).i32_add().global_set(0);
        self.expr(&mut sink, result, 1);
        sink.end();
        f
    }
}

/// A module of `functions` generated functions (several MB for a few thousand),
/// with a 16-page memory, a shadow-stack global, a data segment and some exports.
pub fn large_module(functions: u32) -> Vec<u8> {
    let mut types = TypeSection::new();
    for (params, result) in SIGNATURES {
        types.ty().function(params.iter().copied(), [result]);
    }
    let mut funcs = FunctionSection::new();
    let mut code = CodeSection::new();
    let mut exports = ExportSection::new();
    let mut gen = BodyGen {
        rng: Rng(0x9e37_79b9_7f4a_7c15),
        locals: Locals {
            i32s: Vec::new(),
            i64s: Vec::new(),
            f64s: Vec::new(),
            counters: Vec::new(),
            frame: 0,
        },
        earlier: Vec::with_capacity(functions as usize),
    };
    for index in 0..functions {
        let ty = gen.rng.below(SIGNATURES.len() as u32);
        let body = gen.function(ty);
        funcs.function(ty);
        code.function(&body);
        if index % 64 == 0 {
            exports.export(&format!("f{index}"), ExportKind::Func, index);
        }
        gen.earlier.push(ty);
    }
    let mut memories = MemorySection::new();
    memories.memory(MemoryType {
        minimum: 16,
        maximum: None,
        memory64: false,
        shared: false,
        page_size_log2: None,
    });
    exports.export("memory", ExportKind::Memory, 0);
    let mut globals = GlobalSection::new();
    globals.global(
        GlobalType {
            val_type: ValType::I32,
            mutable: true,
            shared: false,
        },
        &ConstExpr::i32_const(16 * 65536),
    );
    let mut data = DataSection::new();
    data.active(
        0,
        &ConstExpr::i32_const(1024),
        b"generated by wazero-bench".iter().copied(),
    );

    let mut module = Module::new();
    module
        .section(&types)
        .section(&funcs)
        .section(&memories)
        .section(&globals)
        .section(&exports)
        .section(&code)
        .section(&data);
    module.finish()
}
