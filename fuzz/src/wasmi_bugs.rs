//! Bugs of wasmi 2.0.0 that generated modules hit, and how the harness steps
//! around them.
//!
//! wasmi is the reference, so where it is wrong by the WebAssembly spec the
//! module it runs is rewritten ([`step_around`]) into one with the same meaning
//! that avoids the bug. Only the patterns below change; everything else
//! reaches wasmi as generated, and wazero's engines always run the module as
//! generated. `tests/wasmi_bugs.rs` checks that each bug is still there (when
//! a wasmi update fixes one, its rewrite can go) and that the harness no longer
//! sees it.
//!
//! # 1. `select` fused with a comparison of a slot
//!
//! wasmi miscompiles a `select` whose condition is an `i32.eqz` (also as which
//! it translates `ref.is_null`, and an `i32.eq` / `i32.ne` with a constant 0)
//! of a value it keeps in a stack slot rather than in its accumulator
//! register, a local for instance:
//!
//! ```wat
//! (func (param i32) (result i32)
//!   (select (i32.const 10) (i32.const 20) (i32.eqz (local.get 0))))
//! ```
//!
//! returns 10 for the argument 1 (the spec says 20). Its translator fuses the
//! comparison into the `select` by dropping the comparison and swapping the
//! operands (`try_fuse_select`), but the fused `select` still reads its
//! condition from where the comparison would have written its result, not
//! from the slot the comparison read. (With the input in the register the two
//! coincide, which is why it mostly works.) `wasm-smith` generates the pattern
//! constantly: it guards divisions with it when avoiding traps.
//!
//! Every `i32.eqz`, `i32.eq`, `i32.ne` and `ref.is_null` is followed by
//! `i32.const 1; i32.and`, which leaves their 0 or 1 unchanged; wasmi does not
//! fuse an `i32.and` into a `select`. (All of them rather than those right
//! before a `select`: wasmi keeps the comparison pending across a block's
//! `end`, so the `select` need not follow it in the code.)
//!
//! # 2. `v128.store8_lane` / `v128.store16_lane` with a large offset
//!
//! With an offset that does not fit in 16 bits, wasmi encodes these stores in a
//! form its executor decodes differently: executing one panics in a debug build
//! ("failed to decode `OpCode`") and jumps to a wild address in an optimized one
//! (a segmentation fault):
//!
//! ```wat
//! (func (param i32 v128)
//!   (v128.store16_lane offset=70000 0 (local.get 0) (local.get 1)))
//! ```
//!
//! Such a store becomes `i8x16.extract_lane_u` / `i16x8.extract_lane_u` of the
//! lane and an `i32.store8` / `i32.store16` with the same memory argument: the
//! same bytes at the same address, with the same bounds check (wasmi itself
//! lowers `v128.store32_lane` and `v128.store64_lane` this way).
//!
//! # 3. Locals below the parameters of a block
//!
//! wasmi keeps `local.get x` on its operand stack as a reference to the local,
//! and before anything could change the local it copies such references to
//! temporaries ("preserves" them). Entering a `block`, `loop` or `if` with
//! parameters, it preserves every local reference but those among the
//! parameters, but it counts the parameters to skip as local references only
//! (`PreservedAllLocalsIter::find_next_local` decrements `skip` only on a
//! local), so when some parameters are not local references, that many local
//! references below them are skipped. The copy is then made later, on the one
//! path that needs it (a `loop` or `local.set` inside), and the other paths
//! read a temporary never written (whatever it held: 0 in this example,
//! garbage in general):
//!
//! ```wat
//! (func (param i32) (result i32) (local i32)
//!   local.get 0          ;; left on the stack below the parameter
//!   i32.const 5
//!   local.get 1
//!   if (param i32) (result i32)
//!     drop
//!     loop end           ;; preserves `local.get 0`, on this path only
//!     i32.const 1
//!   end
//!   drop)                ;; wasmi returns 0, not the argument
//! ```
//!
//! In a function with a block type that has parameters, every `local.get x`
//! and `local.tee x` is followed by `<zero of x's type>; i32.const 1; select
//! (result t)`, which gives back the local's value as a temporary: wasmi then
//! finds no local reference on the stack to skip. Functions without such block
//! types cannot meet the bug and are left alone.
//!
//! # 4. `br_table` carrying values over other operands
//!
//! A `br_table` to different targets that take values passes the wrong values
//! when other operands lie below them: wasmi copies the values to the
//! temporaries of their own stack positions (`copy_operands_to_temp` in
//! `visit_br_table`), and when the targets start at the same height it
//! branches without further copies, so the targets read their results from
//! slots that hold the operands below (or half of a `v128`):
//!
//! ```wat
//! (func (param i32) (result i32)
//!   block (result i32 i32)
//!     block (result i32 i32)
//!       f32.const 1      ;; an operand below the values
//!       (i32.add (local.get 0) (i32.const 3))
//!       (i32.add (local.get 0) (i32.const 4))
//!       local.get 0
//!       br_table 0 1
//!     end
//!   end
//!   i32.sub)             ;; -1 by the spec, -4 on wasmi for the argument 0
//! ```
//!
//! A `br_table` whose targets take values becomes a chain of `br_if`s through
//! a new `i32` local: `local.set $i`, then `local.get $i; i32.const k; i32.eq;
//! (i32.const 1; i32.and;) br_if target_k` for each target in order, then
//! `br default`. A `br_if` leaves the values in place when not taken, so each
//! branch sees what the `br_table` would have passed.

use std::convert::Infallible;

use wasm_encoder::reencode::{Error as ReencodeError, Reencode};
use wasm_encoder::{CodeSection, Function, HeapType, Ieee32, Ieee64, Instruction};
use wasmparser::{BlockType, CompositeInnerType, FunctionBody, Operator, Parser, Payload, ValType};

/// `wasm` rewritten around the bugs above; an error only if it cannot be read.
pub fn step_around(wasm: &[u8]) -> Result<Vec<u8>, String> {
    let error = |e: &dyn std::fmt::Display| format!("cannot rewrite the module for wasmi: {e}");
    let mut rewriter = StepAround::default();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(|e| error(&e))? {
            Payload::TypeSection(reader) => {
                for group in reader {
                    for ty in group.map_err(|e| error(&e))?.into_types() {
                        rewriter.types.push(match ty.composite_type.inner {
                            CompositeInnerType::Func(func) => Signature {
                                params: func.params().to_vec(),
                                results: func.results().len(),
                            },
                            _ => Signature::default(),
                        });
                    }
                }
            }
            Payload::FunctionSection(reader) => {
                for ty in reader {
                    rewriter.functions.push(ty.map_err(|e| error(&e))?);
                }
            }
            _ => {}
        }
    }
    let mut module = wasm_encoder::Module::new();
    rewriter
        .parse_core_module(&mut module, Parser::new(0), wasm)
        .map_err(|e| error(&e))?;
    Ok(module.finish())
}

/// What the rewriter needs of a function type.
#[derive(Debug, Clone, Default)]
struct Signature {
    params: Vec<ValType>,
    results: usize,
}

/// The rewriter: a round trip but for the patterns of function bodies above.
#[derive(Default)]
struct StepAround {
    /// The module's types.
    types: Vec<Signature>,
    /// The type of each function the module defines.
    functions: Vec<u32>,
    /// How many function bodies were rewritten so far.
    bodies: usize,
}

impl StepAround {
    /// The signature of type `ty` (empty if there is none).
    fn signature(&self, ty: u32) -> Signature {
        self.types.get(ty as usize).cloned().unwrap_or_default()
    }

    /// Whether `block_type` has parameters (bug 3).
    fn has_params(&self, block_type: BlockType) -> bool {
        match block_type {
            BlockType::FuncType(ty) => !self.signature(ty).params.is_empty(),
            BlockType::Empty | BlockType::Type(_) => false,
        }
    }

    /// How many values a branch to the block that `operator` opens takes;
    /// `None` if it opens none.
    fn label_arity(&self, operator: &Operator<'_>) -> Option<usize> {
        Some(match *operator {
            Operator::Block { blockty } | Operator::If { blockty } => match blockty {
                BlockType::Empty => 0,
                BlockType::Type(_) => 1,
                BlockType::FuncType(ty) => self.signature(ty).results,
            },
            Operator::Loop { blockty } => match blockty {
                BlockType::FuncType(ty) => self.signature(ty).params.len(),
                BlockType::Empty | BlockType::Type(_) => 0,
            },
            _ => return None,
        })
    }

    /// The indices of the `br_table`s of `operators` whose targets take values
    /// (bug 4), for a function whose results are `results` values.
    fn value_br_tables(&self, operators: &[Operator<'_>], results: usize) -> Vec<usize> {
        let mut labels = vec![results];
        let mut found = Vec::new();
        for (i, operator) in operators.iter().enumerate() {
            if let Some(arity) = self.label_arity(operator) {
                labels.push(arity);
            }
            match operator {
                Operator::End => {
                    labels.pop();
                }
                Operator::BrTable { targets } => {
                    let depth = targets.default() as usize;
                    let arity = labels.len().checked_sub(depth + 1).map(|at| labels[at]);
                    if arity.is_some_and(|arity| arity > 0) && !targets.is_empty() {
                        found.push(i);
                    }
                }
                _ => {}
            }
        }
        found
    }

    /// The instructions that turn a local's value of type `ty` on top of the
    /// stack into a temporary for wasmi (bug 3).
    fn materialize(
        &mut self,
        ty: ValType,
    ) -> Result<[Instruction<'static>; 3], ReencodeError<Infallible>> {
        let zero = match ty {
            ValType::I32 => Instruction::I32Const(0),
            ValType::I64 => Instruction::I64Const(0),
            ValType::F32 => Instruction::F32Const(Ieee32::from(0.0)),
            ValType::F64 => Instruction::F64Const(Ieee64::from(0.0)),
            ValType::V128 => Instruction::V128Const(0),
            ValType::Ref(r) if r.is_func_ref() => Instruction::RefNull(HeapType::FUNC),
            ValType::Ref(_) => Instruction::RefNull(HeapType::EXTERN),
        };
        Ok([
            zero,
            Instruction::I32Const(1),
            Instruction::TypedSelect(self.val_type(ty)?),
        ])
    }
}

impl Reencode for StepAround {
    type Error = Infallible;

    fn parse_function_body(
        &mut self,
        code: &mut CodeSection,
        func: FunctionBody<'_>,
    ) -> Result<(), ReencodeError<Infallible>> {
        let signature = match self.functions.get(self.bodies) {
            Some(&ty) => self.signature(ty),
            None => Signature::default(),
        };
        self.bodies += 1;
        let mut locals = signature.params.clone();
        let mut declared = Vec::new();
        for group in func.get_locals_reader()? {
            let (count, ty) = group?;
            locals.extend(std::iter::repeat_n(ty, count as usize));
            declared.push((count, self.val_type(ty)?));
        }
        let mut reader = func.get_operators_reader()?;
        let mut operators = Vec::new();
        while !reader.eof() {
            operators.push(reader.read()?);
        }
        // Bug 3: only functions with block types that have parameters.
        let materialize_locals = operators.iter().any(|operator| match *operator {
            Operator::Block { blockty } | Operator::Loop { blockty } | Operator::If { blockty } => {
                self.has_params(blockty)
            }
            _ => false,
        });
        // Bug 4: a new local for the index, if there is a `br_table` to rewrite.
        let value_br_tables = self.value_br_tables(&operators, signature.results);
        let index_local = locals.len() as u32;
        if !value_br_tables.is_empty() {
            declared.push((1, wasm_encoder::ValType::I32));
        }
        let mut function = Function::new(declared);
        for (i, operator) in operators.iter().enumerate() {
            let rewritten: Vec<Instruction<'_>> = match *operator {
                // Bug 1.
                Operator::I32Eqz | Operator::I32Eq | Operator::I32Ne | Operator::RefIsNull => vec![
                    self.instruction(operator.clone())?,
                    Instruction::I32Const(1),
                    Instruction::I32And,
                ],
                // Bug 2.
                Operator::V128Store8Lane { memarg, lane } if memarg.offset > 0xffff => vec![
                    Instruction::I8x16ExtractLaneU(lane),
                    Instruction::I32Store8(self.mem_arg(memarg)?),
                ],
                Operator::V128Store16Lane { memarg, lane } if memarg.offset > 0xffff => vec![
                    Instruction::I16x8ExtractLaneU(lane),
                    Instruction::I32Store16(self.mem_arg(memarg)?),
                ],
                // Bug 3.
                Operator::LocalGet { local_index } | Operator::LocalTee { local_index }
                    if materialize_locals && (local_index as usize) < locals.len() =>
                {
                    let mut rewritten = vec![self.instruction(operator.clone())?];
                    rewritten.extend(self.materialize(locals[local_index as usize])?);
                    rewritten
                }
                // Bug 4.
                Operator::BrTable { ref targets } if value_br_tables.contains(&i) => {
                    let mut rewritten = vec![Instruction::LocalSet(index_local)];
                    for (k, target) in targets.targets().enumerate() {
                        rewritten.extend([
                            Instruction::LocalGet(index_local),
                            Instruction::I32Const(k as i32),
                            Instruction::I32Eq,
                            // As for every `i32.eq` (bug 1).
                            Instruction::I32Const(1),
                            Instruction::I32And,
                            Instruction::BrIf(target?),
                        ]);
                    }
                    rewritten.push(Instruction::Br(targets.default()));
                    rewritten
                }
                _ => vec![self.instruction(operator.clone())?],
            };
            for instruction in &rewritten {
                function.instruction(instruction);
            }
        }
        code.function(&function);
        Ok(())
    }
}
