//! WebAssembly function bodies to Cranelift IR.
//!
//! One pass over the operators with `cranelift-frontend`: wasm locals become
//! [`Variable`]s, the operand stack is a stack of SSA values, and each wasm block
//! ends in a Cranelift block whose parameters are the wasm block's results (a
//! loop's header block takes the loop's parameters). Code after an unconditional
//! branch is skipped until the `else` or `end` that makes it reachable again.
//!
//! A trap is a Cranelift trap instruction (`trapnz`, `trap`) with the wasm trap
//! code as its user code: the signal handler turns it into a trap that unwinds
//! the whole call at once (see the crate docs), so nothing is checked after a
//! call of compiled code. The Cranelift instructions that could fault on their
//! own (`sdiv`, `udiv`, `fcvt_to_sint`, ...) are only reached after checks that
//! rule the fault out.

use std::collections::HashMap;

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::immediates::{Ieee32, Ieee64};
use cranelift_codegen::ir::types::{F32, F64, I32, I64, I8, I8X16};
use cranelift_codegen::ir::{
    AbiParam, AliasRegion, AliasRegionData, ArgumentPurpose, Block, BlockArg, ConstantData,
    Endianness, ExtFuncData, ExternalName, FuncRef, Function, GlobalValueData, Inst, InstBuilder,
    JumpTableData, MemFlagsData, Signature, StackSlotData, StackSlotKind, Type, UserExternalName,
    UserFuncName, Value,
};
use cranelift_codegen::isa::{CallConv, TargetFrontendConfig};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use wasmparser::{BlockType, MemArg, Operator};
use wazero_api::{FuncType, TrapCode, ValueType};
use wazero_store::{DirectHostFn, DIRECT_PARAMS};
use wazero_validator::ValidatedModule;

mod simd;

use crate::module::CodegenConfig;
use crate::trap::{site_code, RAISED};
use crate::vmctx;

/// The offset of runtime call `$name` in [`Builtins`].
macro_rules! builtin {
    ($name:ident) => {
        std::mem::offset_of!(crate::builtins::Builtins, $name) as i32
    };
}

mod exceptions;

/// The error of a feature the compiler does not translate yet.
pub(crate) fn unsupported(feature: &str) -> String {
    format!("compiler: {feature} not supported yet")
}

/// The Cranelift type of a wasm value type, or the unsupported-feature error.
pub(crate) fn cl_type(ty: ValueType) -> Result<Type, String> {
    match ty {
        ValueType::I32 => Ok(I32),
        ValueType::I64 => Ok(I64),
        ValueType::F32 => Ok(F32),
        ValueType::F64 => Ok(F64),
        ValueType::V128 => Ok(I8X16),
        // References are slots: a funcref is its store address plus one, an
        // externref the embedder's value; 0 is null.
        ValueType::FuncRef | ValueType::ExternRef | ValueType::Ref(_) => Ok(I64),
    }
}

/// The byte offset of each value of `tys` in a `u64` slot area (a `v128` takes
/// two slots).
pub(crate) fn slot_offsets(tys: &[ValueType]) -> Vec<i32> {
    let mut at = 0;
    tys.iter()
        .map(|&t| {
            let o = at;
            at += if t == ValueType::V128 { 16 } else { 8 };
            o
        })
        .collect()
}

fn cl_types(tys: &[ValueType]) -> Result<Vec<Type>, String> {
    tys.iter().map(|&t| cl_type(t)).collect()
}

/// The calling convention of compiled wasm functions: Cranelift's `tail`,
/// the one that `return_call` needs on both sides (a tail call replaces the
/// caller's frame, so the callee pops the stack arguments). Runtime calls and
/// host entries keep the platform's convention.
pub(crate) const WASM_CALL_CONV: CallConv = CallConv::Tail;

/// The native signature of a compiled wasm function of type `ty`:
/// `(vmctx, params...) -> result` with at most one result, or
/// `(vmctx, results_area, params...)` whose results are stored as `u64` slots.
pub(crate) fn wasm_signature(ty: &FuncType, call_conv: CallConv) -> Result<Signature, String> {
    let mut sig = Signature::new(call_conv);
    sig.params
        .push(AbiParam::special(I64, ArgumentPurpose::VMContext));
    let results = cl_types(ty.results())?;
    if results.len() > 1 {
        sig.params.push(AbiParam::new(I64));
    }
    for t in cl_types(ty.params())? {
        sig.params.push(AbiParam::new(t));
    }
    if results.len() == 1 {
        sig.returns.push(AbiParam::new(results[0]));
    }
    Ok(sig)
}

/// Flags of an access to a slot of the VM context or a table it points to.
fn trusted() -> MemFlagsData {
    MemFlagsData::trusted().with_endianness(Endianness::Little)
}

/// [`trusted`], for what cannot change during a call: read-only and movable,
/// so that Cranelift may hoist and share the load.
fn invariant() -> MemFlagsData {
    trusted().with_readonly().with_can_move()
}

/// Flags of a linear memory access: it may fault (on a guard page, when bounds
/// checks are elided), which Cranelift records as a trap site of code
/// `HEAP_OUT_OF_BOUNDS` for the signal handler.
fn heap() -> MemFlagsData {
    MemFlagsData::new()
        .with_endianness(Endianness::Little)
        .with_alias_region(Some(heap_region()))
}

/// The alias region of linear memory: the first each function defines.
fn heap_region() -> AliasRegion {
    AliasRegion::from_u32(0)
}

/// Flags of an access to a `u64` slot area (no alignment promised: a `v128`
/// spans two slots).
fn slot_flags() -> MemFlagsData {
    MemFlagsData::new()
        .with_notrap()
        .with_endianness(Endianness::Little)
}

/// Stores `v` as a `u64` slot at `addr + offset` (zero-extended, floats as bits;
/// a vector as two slots, low half first).
pub(crate) fn store_slot(b: &mut FunctionBuilder, v: Value, addr: Value, offset: i32) {
    let bits = if b.func.dfg.value_type(v) == I8X16 {
        v
    } else {
        slot_bits(b, v)
    };
    b.ins().store(slot_flags(), bits, addr, offset);
}

/// The `u64` slot encoding of a one-slot value (not a `v128`).
fn slot_bits(b: &mut FunctionBuilder, v: Value) -> Value {
    match b.func.dfg.value_type(v) {
        F32 => {
            let i = b.ins().bitcast(I32, MemFlagsData::new(), v);
            b.ins().uextend(I64, i)
        }
        F64 => b.ins().bitcast(I64, MemFlagsData::new(), v),
        I32 => b.ins().uextend(I64, v),
        _ => v,
    }
}

/// The value of type `ty` (not a `v128`) whose `u64` slot encoding is `bits`.
fn from_slot_bits(b: &mut FunctionBuilder, ty: Type, bits: Value) -> Value {
    match ty {
        I32 => b.ins().ireduce(I32, bits),
        F32 => {
            let i = b.ins().ireduce(I32, bits);
            b.ins().bitcast(F32, MemFlagsData::new(), i)
        }
        F64 => b.ins().bitcast(F64, MemFlagsData::new(), bits),
        _ => bits,
    }
}

/// Loads a value of type `ty` from the `u64` slot at `addr + offset`.
pub(crate) fn load_slot(b: &mut FunctionBuilder, ty: Type, addr: Value, offset: i32) -> Value {
    if ty == I8X16 {
        return b.ins().load(I8X16, slot_flags(), addr, offset);
    }
    let bits = b.ins().load(I64, slot_flags(), addr, offset);
    from_slot_bits(b, ty, bits)
}

/// What a control frame is.
enum Kind {
    Block,
    Loop {
        header: Block,
    },
    If {
        /// The else block, until `else` is seen.
        else_block: Option<Block>,
        /// The values the `if` took as parameters, for the else arm.
        params: Vec<Value>,
    },
}

/// A wasm block, loop or if being translated.
struct Frame {
    kind: Kind,
    /// Where control continues after `end`; its parameters are the results.
    next: Block,
    num_params: usize,
    num_results: usize,
    /// Operand stack height below the block's parameters.
    height: usize,
    /// Whether anything branches to or falls into `next`.
    next_reachable: bool,
    /// The handlers of a `try_table` or legacy `try`.
    eh: Option<Box<exceptions::TryBlock>>,
}

/// Translates one function body.
pub(crate) struct Translator<'m, 'b> {
    module: &'m ValidatedModule,
    /// Whether memory accesses rely on guard pages instead of bounds checks.
    guard_pages: bool,
    /// Whether memory 0 is a 64-bit memory of the module's own with the guard
    /// pages of a 32-bit one (`CodegenConfig::memory64_guard_pages`): its
    /// accesses check only that the address fits in 32 bits.
    guarded64: bool,
    /// Whether each memory of the module (imports first) is 64-bit.
    memory64: Vec<bool>,
    /// The least length in bytes of each memory (its declared minimum:
    /// memories never shrink).
    memory_min: Vec<u64>,
    /// Whether each table of the module (imports first) is 64-bit.
    table64: Vec<bool>,
    config: CodegenConfig,
    /// The type of each global of the module's index space.
    globals: &'m [ValueType],
    b: FunctionBuilder<'b>,
    call_conv: CallConv,
    frontend: TargetFrontendConfig,
    vmctx: Value,
    /// The results area of a multi-result function.
    results_area: Option<Value>,
    locals: Vec<Variable>,
    stack: Vec<Value>,
    frames: Vec<Frame>,
    reachable: bool,
    /// Nesting depth of blocks opened in unreachable code.
    dead_depth: u32,
    /// The callees of direct calls, imported into the function once each.
    callees: HashMap<u32, FuncRef>,
    /// The interrupt check at the function's entry, removed at the end when
    /// the function neither loops nor calls (it then ends soon by itself).
    entry_interrupt: Vec<Inst>,
    /// Whether the function has a loop or a call of WebAssembly code.
    loops_or_calls: bool,
    /// Slot offsets of the results in a multi-result function's area.
    result_offsets: Vec<i32>,
    /// Blocks (`block`, `loop`, `if`) translated so far, and the most allowed:
    /// Cranelift's memory while compiling a function grows with them.
    blocks: u32,
    max_blocks: u32,
    /// The dispatch blocks of the blocks with handlers that ended, to fill
    /// at the end (see `exceptions`).
    dispatches: Vec<exceptions::Dispatch>,
    /// The block that returns with an exception pending, once needed.
    propagate: Option<Block>,
    /// The type of each local, parameters first.
    local_types: Vec<ValueType>,
    /// The module offset of the operator being translated.
    pos: u64,
    /// For the code of a loop entry: where it enters (see [`LoopEntry`]).
    loop_entry: Option<LoopEntry>,
    /// Per defined function, whether the code is compiled without it
    /// (`CompileOptions::only`; empty when none is left out): calls of
    /// such a function go through the store (`call_func`), which runs it
    /// elsewhere, and so do all calls through tables and references, since
    /// the code table has no code for it.
    left_out: &'m [bool],
    /// Whether a call went through the store because of `left_out` (the
    /// code is then not as good as without it: see [`Translated`]).
    used_left_out: bool,
}

/// The code of a function entered at one of its loops (on-stack
/// replacement, `Engine::call_wasm_at_loop`): the function's own code, but
/// its entry block jumps to `block`, which reads every local from
/// [`VmCtx::osr_locals`](crate::VmCtx::osr_locals) and jumps to the loop's
/// header. The code before the loop is unreachable, and Cranelift drops it.
/// A loop can be entered only when the locals are all of the state there:
/// nothing is on the operand stack, it takes no parameters, and no `try` or
/// `try_table` is open (their handlers' state is not in locals). Then the
/// header's predecessors are this block and the loop's back-edges, with the
/// same values as in the function's own code, so the loop compiles as well
/// as it does there.
struct LoopEntry {
    /// The module offset of the `loop` operator.
    offset: u64,
    /// The entry's block.
    block: Block,
    /// Whether the loop was found, and qualified.
    found: bool,
}

/// What [`translate_function`] builds of a function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Body {
    /// The function.
    Whole,
    /// The code that enters it at its `loop` at this module offset (see
    /// [`LoopEntry`]; an error if that loop cannot be entered).
    AtLoop(u64),
}

/// Builds the Cranelift function for defined function `index` of `module`,
/// or what else `body` says. `left_out` marks, by defined index, the
/// functions the code is compiled without (`CompileOptions::only`; empty
/// when there are none): see [`Translator::left_out`].
#[allow(clippy::too_many_arguments)]
pub(crate) fn translate_function(
    module: &ValidatedModule,
    globals: &[ValueType],
    index: usize,
    frontend: TargetFrontendConfig,
    config: CodegenConfig,
    max_blocks: u32,
    (body_kind, left_out): (Body, &[bool]),
    fctx: &mut FunctionBuilderContext,
) -> Result<Translated, String> {
    let call_conv = frontend.default_call_conv;
    let ty = &module.types[module.functions[index] as usize];
    let sig = wasm_signature(ty, WASM_CALL_CONV)?;
    let mut func = Function::with_name_signature(UserFuncName::user(0, index as u32), sig);
    // Cranelift checks the native stack in the prologue of every function that
    // calls or has a frame: `sp - frame size` below the context's limit traps.
    let vm = func.create_global_value(GlobalValueData::VMContext);
    // Linear memory is an alias region of its own (the function's first,
    // which `heap()` names): its loads and stores never touch the VM context,
    // the store or the slots, so Cranelift may reuse a load of, say, a memory
    // length across stores to linear memory.
    let heap_region = func.dfg.alias_regions.insert(AliasRegionData {
        user_id: 0,
        description: "linear memory".into(),
    });
    debug_assert_eq!(heap_region, self::heap_region());
    let flags = func.dfg.mem_flags.insert_unchecked(invariant());
    let limit = func.create_global_value(GlobalValueData::Load {
        base: vm,
        offset: vmctx::STACK_LIMIT.into(),
        global_type: I64,
        flags,
    });
    func.stack_limit = Some(limit);
    let body = &module.code[index];
    let mut b = FunctionBuilder::new(&mut func, fctx);
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    let params = b.block_params(entry).to_vec();
    let vmctx = params[0];
    let multi = ty.results().len() > 1;
    let results_area = multi.then(|| params[1]);
    let wasm_params = &params[if multi { 2 } else { 1 }..];

    let mut locals = Vec::new();
    let mut local_types = ty.params().to_vec();
    for &(count, t) in &body.locals {
        local_types.extend(std::iter::repeat_n(t, count as usize));
    }
    for (&p, &v) in ty.params().iter().zip(wasm_params) {
        let var = b.declare_var(cl_type(p)?);
        b.def_var(var, v);
        locals.push(var);
    }
    for &(count, t) in &body.locals {
        let t = cl_type(t)?;
        for _ in 0..count {
            let var = b.declare_var(t);
            let zero = zero(&mut b, t);
            b.def_var(var, zero);
            locals.push(var);
        }
    }
    let result_types = cl_types(ty.results())?;
    let ret = b.create_block();
    for &t in &result_types {
        b.append_block_param(ret, t);
    }
    let memory64: Vec<bool> = module.memory_types().iter().map(|m| m.memory64).collect();
    let memory0_imported = module
        .imports
        .iter()
        .any(|i| matches!(i.desc, wazero_decoder::ImportDesc::Memory(_)));
    let wide0 = memory64.first().copied().unwrap_or(false);
    let guarded64 = config.guard_pages && config.memory64_guard_pages && wide0 && !memory0_imported;
    let mut t = Translator {
        guarded64,
        blocks: 0,
        max_blocks,
        module,
        // A 64-bit memory 0 has no guard pages, and may move when it grows,
        // unless it is reserved like a 32-bit one.
        guard_pages: config.guard_pages && (!wide0 || guarded64),
        memory64,
        memory_min: module
            .memory_types()
            .iter()
            .map(|m| m.limits.min.saturating_mul(wazero_api::PAGE_SIZE))
            .collect(),
        table64: module.table_types().iter().map(|t| t.table64).collect(),
        config,
        globals,
        b,
        call_conv,
        frontend,
        vmctx,
        results_area,
        locals,
        stack: Vec::new(),
        frames: vec![Frame {
            kind: Kind::Block,
            next: ret,
            num_params: 0,
            num_results: result_types.len(),
            height: 0,
            next_reachable: false,
            eh: None,
        }],
        reachable: true,
        dead_depth: 0,
        callees: HashMap::new(),
        entry_interrupt: Vec::new(),
        loops_or_calls: false,
        result_offsets: slot_offsets(ty.results()),
        dispatches: Vec::new(),
        propagate: None,
        local_types,
        pos: 0,
        loop_entry: None,
        left_out,
        used_left_out: false,
    };
    t.entry_interrupt_check();
    if let Body::AtLoop(offset) = body_kind {
        // The function's own start is unreachable from here on.
        let block = t.b.create_block();
        t.b.ins().jump(block, &[]);
        let start = t.b.create_block();
        t.b.switch_to_block(start);
        t.loop_entry = Some(LoopEntry {
            offset,
            block,
            found: false,
        });
    }

    let reader =
        wasmparser::BinaryReader::new(&module.bytes[body.range.clone()], body.range.start as u64);
    let mut ops = wasmparser::FunctionBody::new(reader)
        .get_operators_reader()
        .map_err(|e| e.to_string())?;
    while !ops.eof() {
        t.pos = ops.original_position();
        let op = ops.read().map_err(|e| e.to_string())?;
        t.operator(op)?;
    }
    if t.loop_entry.as_ref().is_some_and(|l| !l.found) {
        return Err("no loop that can be entered at that offset".to_string());
    }
    let through_store = t.used_left_out;
    t.finish();
    Ok(Translated {
        func,
        through_store,
    })
}

/// What [`translate_function`] built.
pub(crate) struct Translated {
    /// The function.
    pub(crate) func: Function,
    /// Whether it calls some functions through the store only because they
    /// were left out (`Translator::left_out`): correct with any code of the
    /// module, but slower than code compiled with them.
    pub(crate) through_store: bool,
}

fn zero(b: &mut FunctionBuilder, t: Type) -> Value {
    match t {
        I8X16 => {
            let c = b
                .func
                .dfg
                .constants
                .insert(ConstantData::from(vec![0u8; 16]));
            b.ins().vconst(I8X16, c)
        }
        F32 => b.ins().f32const(Ieee32::with_bits(0)),
        F64 => b.ins().f64const(Ieee64::with_bits(0)),
        _ => b.ins().iconst(t, 0),
    }
}

fn block_args(values: &[Value]) -> Vec<BlockArg> {
    values.iter().map(|&v| BlockArg::Value(v)).collect()
}

/// The name of an operator, for error messages.
fn op_name(op: &Operator) -> String {
    let debug = format!("{op:?}");
    debug
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or("?")
        .to_string()
}

impl Translator<'_, '_> {
    // ---- helpers -------------------------------------------------------

    fn pop(&mut self) -> Value {
        self.stack
            .pop()
            .expect("validated: operand stack underflow")
    }

    fn pop2(&mut self) -> (Value, Value) {
        let b = self.pop();
        let a = self.pop();
        (a, b)
    }

    fn pop_n(&mut self, n: usize) -> Vec<Value> {
        let at = self.stack.len() - n;
        self.stack.split_off(at)
    }

    fn push(&mut self, v: Value) {
        self.stack.push(v);
    }

    /// Traps with `code` if `cond` (an integer) is non-zero.
    fn trap_if(&mut self, cond: Value, code: TrapCode) {
        self.b.ins().trapnz(cond, site_code(code));
    }

    /// Traps unconditionally and leaves the code after it unreachable.
    fn trap(&mut self, code: TrapCode) {
        self.b.ins().trap(site_code(code));
        self.reachable = false;
    }

    /// Loads a field of the VM context. Fields that stay the same for the whole
    /// call are loaded as read-only and movable, so that Cranelift can hoist
    /// them out of loops and share them: the interrupt poll address, the
    /// stack limit, the instance's index spaces, the store's global and
    /// function arrays (they only grow when a module is instantiated into the
    /// store, which cannot happen while the store is locked for this call), and
    /// with guard pages the memory's base (a reservation never moves). Runtime
    /// calls rewrite some of them, but only with the same values.
    fn load_vm(&mut self, ty: Type, offset: i32) -> Value {
        let unchanging = [
            vmctx::INTERRUPT,
            vmctx::STACK_LIMIT,
            vmctx::FUNCS,
            vmctx::BUILTINS,
            vmctx::FUNC_ADDRS,
            vmctx::SIG_IDS,
            vmctx::GLOBAL_ADDRS,
            vmctx::GLOBALS,
            vmctx::STORE_FUNCS,
            vmctx::FIRST_DEFINED,
            vmctx::NUM_DEFINED,
            vmctx::DIRECT_IMPORTS,
        ]
        .contains(&offset)
            || (self.guard_pages && offset == vmctx::MEMORY_BASE);
        let flags = if unchanging { invariant() } else { trusted() };
        let vm = self.vmctx;
        self.b.ins().load(ty, flags, vm, offset)
    }

    /// Traps with "interrupted" if an interrupt is requested (the poll page
    /// is then inaccessible).
    fn interrupt_check(&mut self) {
        if !self.config.interrupt_checks {
            return;
        }
        // A read of the store's poll page, which faults (a trap site of code
        // "interrupted") while an interrupt is requested: no test, no branch.
        // Atomic, so that Cranelift neither drops it (its value is unused)
        // nor merges it with an earlier read of the same address.
        let poll = self.load_vm(I64, vmctx::INTERRUPT);
        let flags = MemFlagsData::new()
            .with_endianness(Endianness::Little)
            .with_trap_code(Some(site_code(TrapCode::Interrupted)));
        self.b.ins().atomic_load(I8, flags, poll);
    }

    /// The interrupt check at the function's entry (the native stack is
    /// checked by Cranelift's prologue), remembered so that [`Self::finish`]
    /// can remove it from a function that neither loops nor calls.
    fn entry_interrupt_check(&mut self) {
        let block = self.b.current_block().expect("in the entry block");
        let before = self.b.func.layout.block_insts(block).count();
        self.interrupt_check();
        self.entry_interrupt = self.b.func.layout.block_insts(block).skip(before).collect();
    }

    /// Where a branch to relative depth `depth` goes, with how many values.
    fn target(&mut self, depth: u32) -> (Block, usize) {
        let i = self.frames.len() - 1 - depth as usize;
        let f = &mut self.frames[i];
        match f.kind {
            Kind::Loop { header } => (header, f.num_params),
            _ => {
                f.next_reachable = true;
                (f.next, f.num_results)
            }
        }
    }

    fn block_types(&self, bt: BlockType) -> Result<(Vec<Type>, Vec<Type>), String> {
        Ok(match bt {
            BlockType::Empty => (Vec::new(), Vec::new()),
            BlockType::Type(t) => (Vec::new(), vec![wasm_val_type(t)?]),
            BlockType::FuncType(i) => {
                let ty = &self.module.types[i as usize];
                (cl_types(ty.params())?, cl_types(ty.results())?)
            }
        })
    }

    fn new_block_with(&mut self, types: &[Type]) -> Block {
        let blk = self.b.create_block();
        for &t in types {
            self.b.append_block_param(blk, t);
        }
        blk
    }

    // ---- control -------------------------------------------------------

    /// Enters a `block` (or the block of a `try_table` or `try`).
    fn block(&mut self, blockty: BlockType) -> Result<(), String> {
        let (params, results) = self.block_types(blockty)?;
        let next = self.new_block_with(&results);
        self.frames.push(Frame {
            kind: Kind::Block,
            next,
            num_params: params.len(),
            num_results: results.len(),
            height: self.stack.len() - params.len(),
            next_reachable: false,
            eh: None,
        });
        Ok(())
    }

    fn operator(&mut self, op: Operator) -> Result<(), String> {
        if !self.reachable {
            return self.dead_operator(op);
        }
        let is64 = |t: u32| self.table64.get(t as usize).copied().unwrap_or(false);
        let wide = wazero_validator::table64_operands(&op, is64);
        let size64 = matches!(op, Operator::TableSize { table } if is64(table));
        if wide.is_empty() && !size64 {
            return self.live_operator(op);
        }
        // A 64-bit table's `i64` operands, narrowed to `i32`s clamped at
        // `u32::MAX`: no table has that many elements, so such an index or
        // length is out of bounds either way, and such a growth fails.
        for depth in wide {
            let at = self.stack.len() - 1 - depth;
            let max = self.b.ins().iconst(I64, i64::from(u32::MAX));
            let clamped = self.b.ins().umin(self.stack[at], max);
            self.stack[at] = self.b.ins().ireduce(I32, clamped);
        }
        let widen = match op {
            // -1 stays -1; sizes are far below 2^31.
            Operator::TableGrow { .. } => Some(true),
            Operator::TableSize { .. } => Some(false),
            _ => None,
        };
        self.live_operator(op)?;
        if let Some(signed) = widen {
            let v = self.pop();
            let v = match signed {
                true => self.b.ins().sextend(I64, v),
                false => self.b.ins().uextend(I64, v),
            };
            self.push(v);
        }
        Ok(())
    }

    /// An operator in unreachable code: only structure matters.
    fn dead_operator(&mut self, op: Operator) -> Result<(), String> {
        match op {
            Operator::Block { .. }
            | Operator::Loop { .. }
            | Operator::If { .. }
            | Operator::TryTable { .. }
            | Operator::Try { .. } => self.dead_depth += 1,
            Operator::Else if self.dead_depth == 0 => self.else_(),
            Operator::Catch { tag_index } if self.dead_depth == 0 => {
                self.legacy_catch(Some(tag_index))
            }
            Operator::CatchAll if self.dead_depth == 0 => self.legacy_catch(None),
            Operator::End if self.dead_depth == 0 => self.end(),
            Operator::Delegate { relative_depth } if self.dead_depth == 0 => {
                self.end_with(Some(relative_depth))
            }
            Operator::End | Operator::Delegate { .. } => self.dead_depth -= 1,
            _ => {}
        }
        Ok(())
    }

    fn else_(&mut self) {
        let frame = self.frames.last_mut().expect("validated: else in if");
        if self.reachable {
            frame.next_reachable = true;
            let results = self.stack.split_off(self.stack.len() - frame.num_results);
            let next = frame.next;
            self.b.ins().jump(next, &block_args(&results));
        }
        let frame = self.frames.last_mut().expect("validated: else in if");
        let Kind::If { else_block, params } = &mut frame.kind else {
            unreachable!("validated: else in if")
        };
        let else_block = else_block.take().expect("validated: one else per if");
        let params = params.clone();
        self.stack.truncate(frame.height);
        self.stack.extend(params);
        self.b.switch_to_block(else_block);
        self.reachable = true;
    }

    fn end(&mut self) {
        self.end_with(None);
    }

    /// `end`, or with `delegate` a legacy `delegate`'s label.
    fn end_with(&mut self, delegate: Option<u32>) {
        let mut frame = self.frames.pop().expect("validated: end closes a frame");
        if let Some(eh) = frame.eh.take() {
            self.close_try(*eh, delegate);
        }
        let else_arm = matches!(
            frame.kind,
            Kind::If {
                else_block: Some(_),
                ..
            }
        );
        if self.reachable && !frame.next_reachable && !else_arm && !self.frames.is_empty() {
            // Nothing branches to the end of this block or loop (a loop's
            // branches go to its header): it is reached only by falling
            // through, so the code after it goes on in the current Cranelift
            // block, with the results where they are on the stack. Fewer,
            // longer blocks are less work for every pass of Cranelift.
            return;
        }
        if self.reachable {
            frame.next_reachable = true;
            let results = self.stack.split_off(self.stack.len() - frame.num_results);
            self.b.ins().jump(frame.next, &block_args(&results));
        }
        if let Kind::If {
            else_block: Some(else_block),
            params,
        } = frame.kind
        {
            // No else arm: it passes the parameters through as the results.
            self.b.switch_to_block(else_block);
            self.b.ins().jump(frame.next, &block_args(&params));
            frame.next_reachable = true;
        }
        self.stack.truncate(frame.height);
        if frame.next_reachable || self.frames.is_empty() {
            self.b.switch_to_block(frame.next);
            let results = self.b.block_params(frame.next).to_vec();
            self.stack.extend(results);
            self.reachable = true;
        } else {
            self.reachable = false;
        }
        if self.frames.is_empty() {
            self.emit_return();
        }
    }

    /// The function's return block: returns its parameters.
    fn emit_return(&mut self) {
        let results = std::mem::take(&mut self.stack);
        match self.results_area {
            Some(area) => {
                for (&v, o) in results.iter().zip(self.result_offsets.clone()) {
                    store_slot(&mut self.b, v, area, o);
                }
                self.b.ins().return_(&[]);
            }
            None => {
                self.b.ins().return_(&results);
            }
        }
        self.reachable = false;
    }

    /// Finishes the function.
    fn finish(mut self) {
        if !self.loops_or_calls {
            // Straight-line code (forward branches only) ends by itself.
            for inst in self.entry_interrupt.drain(..) {
                self.b.func.layout.remove_inst(inst);
            }
        }
        self.fill_dispatches();
        self.b.seal_all_blocks();
        self.b.finalize(self.frontend);
    }

    /// At a `loop` without parameters, after the jump into its `header`:
    /// fills the entry's block if this is the loop it enters at and it
    /// qualifies (see [`LoopEntry`]).
    fn loop_entry(&mut self, header: Block) {
        let qualifies = self.stack.is_empty() && self.frames.iter().all(|f| f.eh.is_none());
        let pos = self.pos;
        let Some(entry) = self
            .loop_entry
            .as_mut()
            .filter(|l| l.offset == pos && qualifies)
        else {
            return;
        };
        entry.found = true;
        let block = entry.block;
        self.b.switch_to_block(block);
        let locals = self.load_vm(I64, vmctx::OSR_LOCALS);
        let offsets = slot_offsets(&self.local_types);
        for (i, &offset) in offsets.iter().enumerate() {
            let ty = cl_type(self.local_types[i]).expect("a local's type was translated");
            let v = load_slot(&mut self.b, ty, locals, offset);
            self.b.def_var(self.locals[i], v);
        }
        self.b.ins().jump(header, &[]);
    }

    fn branch(&mut self, depth: u32) {
        let (target, n) = self.target(depth);
        let args = self.stack[self.stack.len() - n..].to_vec();
        self.b.ins().jump(target, &block_args(&args));
    }

    // ---- memory --------------------------------------------------------

    /// The native address of a `size`-byte access at wasm address `addr` plus
    /// `memarg`'s offset, after a bounds check against the current memory length.
    ///
    /// With guard pages there is no check: the address is below
    /// `base + 2^32 + 2^32 + size`, inside the memory's reservation
    /// ([`crate::GUARD_RESERVATION`]), where every byte past the memory's length
    /// faults.
    ///
    /// A memory other than 0 is found through a runtime call before each
    /// access, and always checked explicitly.
    fn heap_addr(&mut self, addr: Value, memarg: &MemArg, size: u64) -> Value {
        let memory = match memarg.target {
            wasmparser::MemArgTarget::Memory(m) => m,
            wasmparser::MemArgTarget::Array(_) => unreachable!("validated without GC"),
        };
        let (base, len) = if memory == 0 {
            (vmctx::MEMORY_BASE, vmctx::MEMORY_LEN)
        } else {
            let m = self.iconst32(memory);
            self.builtin(builtin!(select_memory), &[m], &[]);
            (vmctx::SELECTED_BASE, vmctx::SELECTED_LEN)
        };
        let base = self.load_vm(I64, base);
        if memory == 0 && self.guarded64 && memarg.offset <= u64::from(u32::MAX) {
            // An address below 2^32 plus an offset below 2^32 stays within
            // the reservation, where every byte past the length faults.
            let high = self.b.ins().ushr_imm_u(addr, 32);
            self.trap_if(high, TrapCode::MemoryOutOfBounds);
            let p = self.b.ins().iadd(base, addr);
            return match memarg.offset {
                0 => p,
                offset => self.b.ins().iadd_imm_u(p, offset as i64),
            };
        }
        if self.is_memory64(memory) {
            // `addr + offset + size` past the length or past 2^64 traps.
            let len = self.load_vm(I64, len);
            let bound = memarg.offset.saturating_add(size);
            let min = self.memory_min.get(memory as usize).copied().unwrap_or(0);
            let oob = if bound <= min {
                // The length is at least the bound: `len - bound` cannot
                // wrap, and one comparison per access against it (shared by
                // the accesses of a block with the same bound) does.
                let limit = self.b.ins().iadd_imm_s(len, -(bound as i64));
                self.b.ins().icmp(IntCC::UnsignedGreaterThan, addr, limit)
            } else {
                let bound = self.b.ins().iconst(I64, bound as i64);
                let end = self.b.ins().uadd_overflow_trap(
                    addr,
                    bound,
                    site_code(TrapCode::MemoryOutOfBounds),
                );
                self.b.ins().icmp(IntCC::UnsignedGreaterThan, end, len)
            };
            self.trap_if(oob, TrapCode::MemoryOutOfBounds);
            let p = self.b.ins().iadd(base, addr);
            return match memarg.offset {
                0 => p,
                offset => self.b.ins().iadd_imm_u(p, offset as i64),
            };
        }
        let a = self.b.ins().uextend(I64, addr);
        if !self.guard_pages || memory != 0 {
            let len = self.load_vm(I64, len);
            // offset < 2^32 and addr < 2^32: no overflow in 64 bits.
            let end = self.b.ins().iadd_imm_u(a, (memarg.offset + size) as i64);
            let oob = self.b.ins().icmp(IntCC::UnsignedGreaterThan, end, len);
            self.trap_if(oob, TrapCode::MemoryOutOfBounds);
        }
        let p = self.b.ins().iadd(base, a);
        if memarg.offset == 0 {
            p
        } else {
            self.b.ins().iadd_imm_u(p, memarg.offset as i64)
        }
    }

    fn load(&mut self, memarg: &MemArg, ty: Type, size: u64, kind: LoadKind) {
        let addr = self.pop();
        let p = self.heap_addr(addr, memarg, size);
        let f = heap();
        let ins = self.b.ins();
        let v = match (kind, size) {
            (LoadKind::Full, _) => ins.load(ty, f, p, 0),
            (LoadKind::Signed, 1) => ins.sload8(ty, f, p, 0),
            (LoadKind::Unsigned, 1) => ins.uload8(ty, f, p, 0),
            (LoadKind::Signed, 2) => ins.sload16(ty, f, p, 0),
            (LoadKind::Unsigned, 2) => ins.uload16(ty, f, p, 0),
            (LoadKind::Signed, _) => ins.sload32(f, p, 0),
            (LoadKind::Unsigned, _) => ins.uload32(f, p, 0),
        };
        self.push(v);
    }

    fn store(&mut self, memarg: &MemArg, size: u64) {
        let v = self.pop();
        let addr = self.pop();
        let p = self.heap_addr(addr, memarg, size);
        let f = heap();
        let full = u64::from(self.b.func.dfg.value_type(v).bytes());
        let ins = self.b.ins();
        match size {
            _ if size == full => ins.store(f, v, p, 0),
            1 => ins.istore8(f, v, p, 0),
            2 => ins.istore16(f, v, p, 0),
            _ => ins.istore32(f, v, p, 0),
        };
    }

    /// The address of global `index`'s value.
    fn global_addr(&mut self, index: u32) -> Value {
        let addrs = self.load_vm(I64, vmctx::GLOBAL_ADDRS);
        // The instance's index spaces never change.
        let addr = self.b.ins().load(I32, invariant(), addrs, 4 * index as i32);
        let addr = self.b.ins().uextend(I64, addr);
        let off = self.b.ins().imul_imm_u(addr, vmctx::GLOBAL_STRIDE);
        let globals = self.load_vm(I64, vmctx::GLOBALS);
        self.b.ins().iadd(globals, off)
    }

    // ---- calls ---------------------------------------------------------

    /// Traps if the runtime call just made failed: it left the trap (or a
    /// pending error) in the context's trap slot.
    fn check_trap(&mut self) {
        let trapped = self.load_vm(I32, vmctx::TRAP);
        self.b.ins().trapnz(trapped, RAISED);
    }

    /// Calls runtime call `offset` of [`Builtins`] with the VM context and
    /// `args`; its results.
    fn builtin(&mut self, offset: i32, args: &[Value], returns: &[Type]) -> Vec<Value> {
        let mut sig = Signature::new(self.call_conv);
        sig.params.push(AbiParam::new(I64));
        for &a in args {
            let t = self.b.func.dfg.value_type(a);
            sig.params.push(AbiParam::new(t));
        }
        for &t in returns {
            sig.returns.push(AbiParam::new(t));
        }
        let sigref = self.b.import_signature(sig);
        let table = self.load_vm(I64, vmctx::BUILTINS);
        let f = self.b.ins().load(I64, trusted(), table, offset);
        let mut all = vec![self.vmctx];
        all.extend_from_slice(args);
        let call = self.b.ins().call_indirect(sigref, f, &all);
        self.b.inst_results(call).to_vec()
    }

    /// A runtime call that may trap: called, then checked.
    fn builtin_checked(&mut self, offset: i32, args: &[Value], returns: &[Type]) -> Vec<Value> {
        let r = self.builtin(offset, args, returns);
        self.check_trap();
        r
    }

    fn iconst32(&mut self, v: u32) -> Value {
        self.b.ins().iconst(I32, i64::from(v))
    }

    /// Calls compiled function `callee` of this instance with `params`; its
    /// results. A trap in the callee unwinds this frame too, so there is
    /// nothing to check after the call.
    fn call_code(&mut self, callee: Callee, ty: &FuncType, params: Vec<Value>) -> Vec<Value> {
        self.call_code_as(callee, ty, params, false)
    }

    /// [`Self::call_code`], or with `tail` a tail call (`return_call`): the
    /// callee replaces this function's frame and returns to its caller, its
    /// results (several are stored into this function's own results area)
    /// being this function's. Ends the block.
    fn call_code_as(
        &mut self,
        callee: Callee,
        ty: &FuncType,
        params: Vec<Value>,
        tail: bool,
    ) -> Vec<Value> {
        self.loops_or_calls = true;
        let sig = wasm_signature(ty, WASM_CALL_CONV).expect("validated types are supported");
        let mut args = vec![self.vmctx];
        let results = cl_types(ty.results()).expect("validated types are supported");
        let area = if results.len() > 1 {
            let addr = match (tail, self.results_area) {
                // The caller's area: the results are this function's.
                (true, Some(area)) => area,
                _ => self.slot_area(ty.result_slots()),
            };
            args.push(addr);
            Some(addr)
        } else {
            None
        };
        args.extend(params);
        let callee = match callee {
            // Loop-entry code lies apart from the module's code: it reaches
            // the module's functions through their table, not `call rel32`.
            Callee::Direct(defined) if self.loop_entry.is_some() => {
                let funcs = self.load_vm(I64, vmctx::FUNCS);
                let at = i32::try_from(u64::from(defined) * 8).expect("function tables are small");
                Callee::Address(self.b.ins().load(I64, invariant(), funcs, at))
            }
            other => other,
        };
        if tail {
            match callee {
                Callee::Direct(defined) => {
                    let f = self.callee_ref(defined, sig);
                    self.b.ins().return_call(f, &args);
                }
                Callee::Address(addr) => {
                    let sigref = self.b.import_signature(sig);
                    self.b.ins().return_call_indirect(sigref, addr, &args);
                }
            }
            self.reachable = false;
            return Vec::new();
        }
        let call = match callee {
            Callee::Direct(defined) => {
                let f = self.callee_ref(defined, sig);
                self.b.ins().call(f, &args)
            }
            Callee::Address(addr) => {
                let sigref = self.b.import_signature(sig);
                self.b.ins().call_indirect(sigref, addr, &args)
            }
        };
        let returned = self.b.inst_results(call).to_vec();
        match area {
            Some(area) => {
                let offsets = slot_offsets(ty.results());
                results
                    .iter()
                    .zip(offsets)
                    .map(|(&t, o)| load_slot(&mut self.b, t, area, o))
                    .collect()
            }
            None => returned,
        }
    }

    /// The reference to defined function `defined` (of signature `sig`),
    /// declared on first use.
    fn callee_ref(&mut self, defined: u32, sig: Signature) -> cranelift_codegen::ir::FuncRef {
        if let Some(&f) = self.callees.get(&defined) {
            return f;
        }
        let signature = self.b.import_signature(sig);
        let name = self
            .b
            .func
            .declare_imported_user_function(UserExternalName::new(0, defined));
        let f = self.b.import_function(ExtFuncData {
            name: ExternalName::user(name),
            signature,
            // Laid out in the same block of code: `call rel32`.
            colocated: true,
            patchable: false,
        });
        self.callees.insert(defined, f);
        f
    }

    /// A stack area of `slots` `u64` slots; its address.
    fn slot_area(&mut self, slots: usize) -> Value {
        let slot = self.b.create_sized_stack_slot(StackSlotData::new(
            StackSlotKind::ExplicitSlot,
            8 * slots.max(1) as u32,
            4,
        ));
        self.b.ins().stack_addr(I64, slot, 0)
    }

    /// Calls a function through runtime call `builtin` (`call_func` with the
    /// function's store address, or `call_import` with its import index
    /// `which`), with `params`; its results.
    fn call_store(
        &mut self,
        builtin: i32,
        which: Value,
        ty: &FuncType,
        params: Vec<Value>,
    ) -> Vec<Value> {
        let n = ty.param_slots().max(ty.result_slots());
        let area = self.slot_area(n);
        for (&v, o) in params.iter().zip(slot_offsets(ty.params())) {
            store_slot(&mut self.b, v, area, o);
        }
        self.loops_or_calls = true;
        if builtin == builtin!(call_import) {
            let n = self.iconst32(n as u32);
            self.builtin_checked(builtin, &[which, area, n], &[]);
        } else {
            self.builtin_checked(builtin, &[which, area], &[]);
        }
        let results = cl_types(ty.results()).expect("validated types are supported");
        results
            .iter()
            .zip(slot_offsets(ty.results()))
            .map(|(&t, o)| load_slot(&mut self.b, t, area, o))
            .collect()
    }

    /// `call`, or with `tail` `return_call`: a defined function by a tail
    /// call; an imported one (a host function, or another instance's, reached
    /// through the runtime) by a call and a return.
    fn call(&mut self, function_index: u32, tail: bool) -> Result<(), String> {
        let ty = self
            .module
            .function_type(function_index)
            .expect("validated: function exists")
            .clone();
        cl_types(ty.params())?;
        cl_types(ty.results())?;
        let params = self.pop_n(ty.params().len());
        let imported = self.module.imported_function_count();
        let results = match function_index.checked_sub(imported) {
            Some(defined) if self.left_out.get(defined as usize) == Some(&true) => {
                self.used_left_out = true;
                let addrs = self.load_vm(I64, vmctx::FUNC_ADDRS);
                let off = i32::try_from(4 * function_index as u64)
                    .map_err(|_| "too many functions".to_string())?;
                let addr = self.b.ins().load(I32, trusted(), addrs, off);
                self.call_store(builtin!(call_func), addr, &ty, params)
            }
            Some(defined) => {
                let results = self.call_code_as(Callee::Direct(defined), &ty, params, tail);
                self.stack.extend(results);
                if !tail {
                    self.after_call(false);
                }
                return Ok(());
            }
            None if DirectHostFn::fits(&ty) => self.call_import_direct(function_index, &ty, params),
            None => {
                let index = self.iconst32(function_index);
                self.call_store(builtin!(call_import), index, &ty, params)
            }
        };
        self.stack.extend(results);
        self.after_call(tail);
        if tail {
            self.branch(self.frames.len() as u32 - 1);
            self.reachable = false;
        }
        Ok(())
    }

    /// Calls imported function `index`, whose type fits a direct host entry:
    /// through its entry with the arguments in registers when it has one (a
    /// host function), else through the `call_import` runtime call. The entry
    /// reports a failure or a resized memory or table in the context's
    /// `host_cx.status`; only then does the `direct_done` runtime call run.
    fn call_import_direct(&mut self, index: u32, ty: &FuncType, params: Vec<Value>) -> Vec<Value> {
        self.loops_or_calls = true;
        let result_types = cl_types(ty.results()).expect("validated types are supported");
        let merge = self.new_block_with(&result_types);
        let direct = self.b.create_block();
        let runtime = self.b.create_block();
        // The table of entries, and each entry, never change during a call.
        let table = self.load_vm(I64, vmctx::DIRECT_IMPORTS);
        let at = vmctx::DIRECT_STRIDE * index as i32;
        let code = self.b.ins().load(I64, invariant(), table, at);
        self.b.ins().brif(code, direct, &[], runtime, &[]);

        self.b.switch_to_block(direct);
        let data = self
            .b
            .ins()
            .load(I64, invariant(), table, at + vmctx::DIRECT_DATA);
        let cx = self
            .b
            .ins()
            .iadd_imm_s(self.vmctx, i64::from(vmctx::HOST_CX));
        let mut args = vec![data, cx];
        for &p in &params {
            args.push(slot_bits(&mut self.b, p));
        }
        while args.len() < 2 + DIRECT_PARAMS {
            args.push(self.b.ins().iconst(I64, 0));
        }
        let mut sig = Signature::new(self.call_conv);
        sig.params.extend(args.iter().map(|_| AbiParam::new(I64)));
        sig.returns.push(AbiParam::new(I64));
        let sigref = self.b.import_signature(sig);
        let call = self.b.ins().call_indirect(sigref, code, &args);
        let bits = self.b.inst_results(call)[0];
        let status = self
            .b
            .ins()
            .load(I32, trusted(), self.vmctx, vmctx::HOST_CX_STATUS);
        let reported = self.b.create_block();
        let done = self.b.create_block();
        self.b.ins().brif(status, reported, &[], done, &[]);
        self.b.switch_to_block(reported);
        self.b.set_cold_block(reported);
        let which = self.iconst32(index);
        self.builtin_checked(builtin!(direct_done), &[which], &[]);
        self.b.ins().jump(done, &[]);
        self.b.switch_to_block(done);
        let results: Vec<Value> = result_types
            .iter()
            .map(|&t| from_slot_bits(&mut self.b, t, bits))
            .collect();
        self.b.ins().jump(merge, &block_args(&results));

        self.b.switch_to_block(runtime);
        let which = self.iconst32(index);
        let results = self.call_store(builtin!(call_import), which, ty, params);
        self.b.ins().jump(merge, &block_args(&results));

        self.b.switch_to_block(merge);
        self.b.block_params(merge).to_vec()
    }

    /// `call_indirect`: the element's checks inline for table 0 (through the
    /// runtime for others), then a direct call when the target is a function of
    /// this instance, else a call through the store.
    fn call_indirect(&mut self, type_index: u32, table: u32) {
        self.call_indirect_as(type_index, table, false);
    }

    /// [`Self::call_indirect`], or with `tail` `return_call_indirect`: a
    /// tail call when the target is a function of this instance, else a call
    /// through the store and a return.
    fn call_indirect_as(&mut self, type_index: u32, table: u32, tail: bool) {
        let ty = self.module.types[type_index as usize].clone();
        let index = self.pop();
        let params = self.pop_n(ty.params().len());
        let addr = if table == 0 {
            let idx = self.b.ins().uextend(I64, index);
            let len = self.load_vm(I64, vmctx::TABLE_LEN);
            let oob = self
                .b
                .ins()
                .icmp(IntCC::UnsignedGreaterThanOrEqual, idx, len);
            self.trap_if(oob, TrapCode::UndefinedElement);
            let base = self.load_vm(I64, vmctx::TABLE_BASE);
            let off = self.b.ins().ishl_imm_u(idx, 3);
            let p = self.b.ins().iadd(base, off);
            let elem = self.b.ins().load(I64, trusted(), p, 0);
            let null = self.b.ins().icmp_imm_s(IntCC::Equal, elem, 0);
            self.trap_if(null, TrapCode::UninitializedElement);
            let addr = self.b.ins().iadd_imm_s(elem, -1);
            let funcs = self.load_vm(I64, vmctx::STORE_FUNCS);
            let off = self.b.ins().imul_imm_u(addr, vmctx::FUNC_STRIDE);
            let p = self.b.ins().iadd(funcs, off);
            let sig = self.b.ins().load(I32, trusted(), p, vmctx::FUNC_SIG);
            let sig_ids = self.load_vm(I64, vmctx::SIG_IDS);
            let want = self
                .b
                .ins()
                .load(I32, trusted(), sig_ids, 4 * type_index as i32);
            let mismatch = self.b.ins().icmp(IntCC::NotEqual, sig, want);
            self.trap_if(mismatch, TrapCode::IndirectCallTypeMismatch);
            self.b.ins().ireduce(I32, addr)
        } else {
            let t = self.iconst32(table);
            let ti = self.iconst32(type_index);
            self.builtin_checked(builtin!(indirect_target), &[t, index, ti], &[I32])[0]
        };
        self.call_addr_as(addr, &ty, params, tail);
    }

    /// `call_ref` (or with `tail` `return_call_ref`) of signature
    /// `type_index`: traps on a null reference, else calls as
    /// [`Self::call_indirect_as`] does once it has the function (validation
    /// proved the reference's signature).
    fn call_ref_as(&mut self, type_index: u32, tail: bool) {
        let ty = self.module.types[type_index as usize].clone();
        let func = self.pop();
        let params = self.pop_n(ty.params().len());
        let null = self.b.ins().icmp_imm_s(IntCC::Equal, func, 0);
        self.trap_if(null, TrapCode::NullFunctionReference);
        let addr = self.b.ins().iadd_imm_s(func, -1);
        let addr = self.b.ins().ireduce(I32, addr);
        self.call_addr_as(addr, &ty, params, tail);
    }

    /// Calls the store's function `addr` (an `i32`) of signature `ty`: a
    /// direct call when it is a function of this instance, else a call
    /// through the store; with `tail`, a tail call in the first case and a
    /// call and a return in the second. Pushes the results.
    fn call_addr_as(&mut self, addr: Value, ty: &FuncType, params: Vec<Value>, tail: bool) {
        let ty = ty.clone();
        if !self.left_out.is_empty() {
            // The code table lacks some of this instance's functions.
            self.used_left_out = true;
            let results = self.call_store(builtin!(call_func), addr, &ty, params);
            self.stack.extend(results);
            self.after_call(tail);
            if tail {
                self.branch(self.frames.len() as u32 - 1);
                self.reachable = false;
            }
            return;
        }
        let first = self.load_vm(I32, vmctx::FIRST_DEFINED);
        let num = self.load_vm(I32, vmctx::NUM_DEFINED);
        let rel = self.b.ins().isub(addr, first);
        let local = self.b.ins().icmp(IntCC::UnsignedLessThan, rel, num);
        let result_types = cl_types(ty.results()).expect("validated types are supported");
        let merge = self.new_block_with(&result_types);
        let direct = self.b.create_block();
        let foreign = self.b.create_block();
        self.b.ins().brif(local, direct, &[], foreign, &[]);

        self.b.switch_to_block(direct);
        let funcs = self.load_vm(I64, vmctx::FUNCS);
        let rel = self.b.ins().uextend(I64, rel);
        let off = self.b.ins().ishl_imm_u(rel, 3);
        let p = self.b.ins().iadd(funcs, off);
        let callee = self.b.ins().load(I64, trusted(), p, 0);
        if tail {
            self.call_code_as(Callee::Address(callee), &ty, params.clone(), true);
            self.b.switch_to_block(foreign);
            let results = self.call_store(builtin!(call_func), addr, &ty, params);
            self.stack.extend(results);
            self.after_call(true);
            self.branch(self.frames.len() as u32 - 1);
            // `merge` stays out of the layout: nothing jumps there.
            self.reachable = false;
            return;
        }
        let results = self.call_code(Callee::Address(callee), &ty, params.clone());
        self.b.ins().jump(merge, &block_args(&results));

        self.b.switch_to_block(foreign);
        let results = self.call_store(builtin!(call_func), addr, &ty, params);
        self.b.ins().jump(merge, &block_args(&results));

        self.b.switch_to_block(merge);
        let results = self.b.block_params(merge).to_vec();
        self.stack.extend(results);
        self.after_call(false);
    }

    /// Whether memory `memory` is 64-bit.
    fn is_memory64(&self, memory: u32) -> bool {
        self.memory64.get(memory as usize).copied().unwrap_or(false)
    }

    /// Pops `n` operands, each an address or length of a 32- or 64-bit
    /// memory, as `i64`s.
    fn pop_n_wide(&mut self, n: usize) -> Vec<Value> {
        let values = self.pop_n(n);
        values
            .into_iter()
            .map(|v| match self.b.func.dfg.value_type(v) {
                I32 => self.b.ins().uextend(I64, v),
                _ => v,
            })
            .collect()
    }

    /// `memory.fill`, `memory.copy` and `memory.init`: runtime call `offset`
    /// with the immediates `imms` and the three operands widened to `i64`.
    fn memory_bulk(&mut self, offset: i32, imms: &[u32]) {
        let operands = self.pop_n_wide(3);
        let mut args: Vec<Value> = imms.iter().map(|&i| self.iconst32(i)).collect();
        args.extend(operands);
        self.builtin_checked(offset, &args, &[]);
    }

    fn memory_grow(&mut self, memory: u32) {
        let delta = self.pop_n_wide(1)[0];
        let m = self.iconst32(memory);
        let old = self.builtin(builtin!(memory_grow), &[m, delta], &[I64])[0];
        // -1 of the memory's address type on failure.
        let old = match self.is_memory64(memory) {
            true => old,
            false => self.b.ins().ireduce(I32, old),
        };
        self.push(old);
    }

    /// Pops `n` operands and calls runtime call `offset` with the immediates
    /// `imms` before them; checked for traps when `traps`. Pushes its result.
    fn bulk(&mut self, offset: i32, imms: &[u32], n: usize, result: Option<Type>, traps: bool) {
        let operands = self.pop_n(n);
        let mut args: Vec<Value> = imms.iter().map(|&i| self.iconst32(i)).collect();
        args.extend(operands);
        let returns: Vec<Type> = result.into_iter().collect();
        let r = if traps {
            self.builtin_checked(offset, &args, &returns)
        } else {
            self.builtin(offset, &args, &returns)
        };
        self.stack.extend(r);
    }

    // ---- numbers -------------------------------------------------------

    fn unop(&mut self, f: impl FnOnce(&mut FunctionBuilder, Value) -> Value) {
        let a = self.pop();
        let v = f(&mut self.b, a);
        self.push(v);
    }

    fn binop(&mut self, f: impl FnOnce(&mut FunctionBuilder, Value, Value) -> Value) {
        let (a, c) = self.pop2();
        let v = f(&mut self.b, a, c);
        self.push(v);
    }

    fn icmp(&mut self, cc: IntCC) {
        let (a, c) = self.pop2();
        let r = self.b.ins().icmp(cc, a, c);
        let r = self.b.ins().uextend(I32, r);
        self.push(r);
    }

    fn fcmp(&mut self, cc: FloatCC) {
        let (a, c) = self.pop2();
        let r = self.b.ins().fcmp(cc, a, c);
        let r = self.b.ins().uextend(I32, r);
        self.push(r);
    }

    fn eqz(&mut self) {
        let a = self.pop();
        let r = self.b.ins().icmp_imm_s(IntCC::Equal, a, 0);
        let r = self.b.ins().uextend(I32, r);
        self.push(r);
    }

    /// Integer division and remainder with the spec's traps.
    fn div(&mut self, op: DivOp) {
        let (a, c) = self.pop2();
        let ty = self.b.func.dfg.value_type(c);
        let is_zero = self.b.ins().icmp_imm_s(IntCC::Equal, c, 0);
        self.trap_if(is_zero, TrapCode::IntegerDivideByZero);
        let v = match op {
            DivOp::DivS => {
                let min = if ty == I32 {
                    i64::from(i32::MIN)
                } else {
                    i64::MIN
                };
                let a_min = self.b.ins().icmp_imm_s(IntCC::Equal, a, min);
                let c_neg1 = self.b.ins().icmp_imm_s(IntCC::Equal, c, -1);
                let overflow = self.b.ins().band(a_min, c_neg1);
                self.trap_if(overflow, TrapCode::IntegerOverflow);
                self.b.ins().sdiv(a, c)
            }
            DivOp::DivU => self.b.ins().udiv(a, c),
            DivOp::RemS => {
                // x rem -1 is 0 in wasm, but `MIN / -1` faults on x86: divide by 1.
                let c_neg1 = self.b.ins().icmp_imm_s(IntCC::Equal, c, -1);
                let one = self.b.ins().iconst(ty, 1);
                let c = self.b.ins().select(c_neg1, one, c);
                self.b.ins().srem(a, c)
            }
            DivOp::RemU => self.b.ins().urem(a, c),
        };
        self.push(v);
    }

    /// `iNN.trunc_fMM_{s,u}`: traps on NaN and on values out of range.
    fn trunc(&mut self, to: Type, signed: bool) {
        let x = self.pop();
        let from = self.b.func.dfg.value_type(x);
        let nan = self.b.ins().fcmp(FloatCC::Unordered, x, x);
        self.trap_if(nan, TrapCode::InvalidConversionToInteger);
        // In range: `low < x < high`, or `low <= x` where `low` is itself the
        // smallest valid value (`low_ok`). The bounds are exact in the source type.
        let bits = to.bits() as i32;
        let (low, low_ok, high) = match (signed, from == F64 && to == I32) {
            // -2^31 - 1 is an f64, and everything above it truncates into i32.
            (true, true) => (-(2f64.powi(31)) - 1.0, false, 2f64.powi(31)),
            // -2^(N-1) is valid; the next float below it is not.
            (true, false) => (-(2f64.powi(bits - 1)), true, 2f64.powi(bits - 1)),
            // Anything above -1 truncates to 0 or more.
            (false, _) => (-1.0, false, 2f64.powi(bits)),
        };
        let (lo, hi) = if from == F32 {
            (
                self.b.ins().f32const(low as f32),
                self.b.ins().f32const(high as f32),
            )
        } else {
            (self.b.ins().f64const(low), self.b.ins().f64const(high))
        };
        let below = if low_ok {
            self.b.ins().fcmp(FloatCC::LessThan, x, lo)
        } else {
            self.b.ins().fcmp(FloatCC::LessThanOrEqual, x, lo)
        };
        let above = self.b.ins().fcmp(FloatCC::GreaterThanOrEqual, x, hi);
        let out = self.b.ins().bor(below, above);
        self.trap_if(out, TrapCode::IntegerOverflow);
        let v = if signed {
            self.b.ins().fcvt_to_sint(to, x)
        } else {
            self.b.ins().fcvt_to_uint(to, x)
        };
        self.push(v);
    }

    fn live_operator(&mut self, op: Operator) -> Result<(), String> {
        use Operator as O;
        if matches!(
            op,
            O::Block { .. } | O::Loop { .. } | O::If { .. } | O::TryTable { .. } | O::Try { .. }
        ) {
            self.blocks += 1;
            if self.blocks > self.max_blocks {
                return Err(format!(
                    "too large to compile: more than {} blocks (the limit of \
                     RuntimeConfig::with_max_function_blocks); the interpreter runs it",
                    self.max_blocks
                ));
            }
        }
        match op {
            O::Unreachable => self.trap(TrapCode::Unreachable),
            O::Nop => {}
            O::Block { blockty } => self.block(blockty)?,
            O::TryTable { try_table } => {
                self.block(try_table.ty)?;
                self.enter_try(Some(try_table.catches));
            }
            O::Try { blockty } => {
                self.block(blockty)?;
                self.enter_try(None);
            }
            O::Catch { tag_index } => self.legacy_catch(Some(tag_index)),
            O::CatchAll => self.legacy_catch(None),
            O::Delegate { relative_depth } => self.end_with(Some(relative_depth)),
            O::Throw { tag_index } => self.throw(tag_index),
            O::ThrowRef => self.throw_ref(),
            O::Rethrow { relative_depth } => self.rethrow(relative_depth),
            O::Loop { blockty } => {
                self.loops_or_calls = true;
                let (params, results) = self.block_types(blockty)?;
                let header = self.new_block_with(&params);
                let next = self.new_block_with(&results);
                let args = self.pop_n(params.len());
                self.b.ins().jump(header, &block_args(&args));
                if params.is_empty() {
                    self.loop_entry(header);
                }
                self.b.switch_to_block(header);
                let header_params = self.b.block_params(header).to_vec();
                let height = self.stack.len();
                self.stack.extend(header_params);
                self.frames.push(Frame {
                    kind: Kind::Loop { header },
                    next,
                    num_params: params.len(),
                    num_results: results.len(),
                    height,
                    next_reachable: false,
                    eh: None,
                });
                self.interrupt_check();
            }
            O::If { blockty } => {
                let (params, results) = self.block_types(blockty)?;
                let cond = self.pop();
                let then = self.b.create_block();
                let else_block = self.b.create_block();
                let next = self.new_block_with(&results);
                self.b.ins().brif(cond, then, &[], else_block, &[]);
                self.b.switch_to_block(then);
                let height = self.stack.len() - params.len();
                let params = self.stack[height..].to_vec();
                self.frames.push(Frame {
                    kind: Kind::If {
                        else_block: Some(else_block),
                        params,
                    },
                    next,
                    num_params: 0,
                    num_results: results.len(),
                    height,
                    next_reachable: false,
                    eh: None,
                });
            }
            O::Else => self.else_(),
            O::End => self.end(),
            O::Br { relative_depth } => {
                self.branch(relative_depth);
                self.reachable = false;
            }
            O::BrIf { relative_depth } => {
                let cond = self.pop();
                let (target, n) = self.target(relative_depth);
                let args = self.stack[self.stack.len() - n..].to_vec();
                let cont = self.b.create_block();
                self.b
                    .ins()
                    .brif(cond, target, &block_args(&args), cont, &[]);
                self.b.switch_to_block(cont);
            }
            O::BrTable { targets } => {
                let index = self.pop();
                let mut depths = Vec::new();
                for t in targets.targets() {
                    depths.push(t.map_err(|e| e.to_string())?);
                }
                let default = targets.default();
                // Each distinct depth gets a block without parameters that
                // jumps to the real target with the branch values.
                let mut by_depth: HashMap<u32, Block> = HashMap::new();
                let mut calls = Vec::new();
                for &d in depths.iter().chain(std::iter::once(&default)) {
                    let blk = *by_depth.entry(d).or_insert_with(|| self.b.create_block());
                    calls.push(self.b.func.dfg.block_call(blk, &[]));
                }
                let default_call = calls.pop().expect("the default target");
                let jt = self
                    .b
                    .create_jump_table(JumpTableData::new(default_call, &calls));
                self.b.ins().br_table(index, jt);
                let mut pads: Vec<(u32, Block)> = by_depth.into_iter().collect();
                pads.sort();
                for (d, blk) in pads {
                    self.b.switch_to_block(blk);
                    self.branch(d);
                }
                self.reachable = false;
            }
            O::Return => {
                self.branch(self.frames.len() as u32 - 1);
                self.reachable = false;
            }
            O::Call { function_index } => self.call(function_index, false)?,
            O::ReturnCall { function_index } => self.call(function_index, true)?,
            O::ReturnCallIndirect {
                type_index,
                table_index,
            } => self.call_indirect_as(type_index, table_index, true),
            O::CallRef { type_index } => self.call_ref_as(type_index, false),
            O::ReturnCallRef { type_index } => self.call_ref_as(type_index, true),
            O::RefAsNonNull => {
                let r = *self.stack.last().expect("validated");
                let null = self.b.ins().icmp_imm_s(IntCC::Equal, r, 0);
                self.trap_if(null, TrapCode::NullReference);
            }
            O::BrOnNull { relative_depth } => {
                let r = self.pop();
                let (target, n) = self.target(relative_depth);
                let args = self.stack[self.stack.len() - n..].to_vec();
                let cont = self.b.create_block();
                let null = self.b.ins().icmp_imm_s(IntCC::Equal, r, 0);
                self.b
                    .ins()
                    .brif(null, target, &block_args(&args), cont, &[]);
                self.b.switch_to_block(cont);
                self.push(r);
            }
            O::BrOnNonNull { relative_depth } => {
                let r = *self.stack.last().expect("validated");
                let (target, n) = self.target(relative_depth);
                let args = self.stack[self.stack.len() - n..].to_vec();
                let cont = self.b.create_block();
                self.b.ins().brif(r, target, &block_args(&args), cont, &[]);
                self.b.switch_to_block(cont);
                self.pop();
            }
            O::Drop => {
                self.pop();
            }
            O::Select => {
                let cond = self.pop();
                let (a, c) = self.pop2();
                let v = self.b.ins().select(cond, a, c);
                self.push(v);
            }
            O::TypedSelect { ty } => {
                wasm_val_type(ty)?;
                let cond = self.pop();
                let (a, c) = self.pop2();
                let v = self.b.ins().select(cond, a, c);
                self.push(v);
            }
            O::LocalGet { local_index } => {
                let v = self.b.use_var(self.locals[local_index as usize]);
                self.push(v);
            }
            O::LocalSet { local_index } => {
                let v = self.pop();
                self.b.def_var(self.locals[local_index as usize], v);
            }
            O::LocalTee { local_index } => {
                let v = *self.stack.last().expect("validated");
                self.b.def_var(self.locals[local_index as usize], v);
            }
            O::GlobalGet { global_index } => {
                let ty = self.globals[global_index as usize];
                let ty = cl_type(ty)?;
                let p = self.global_addr(global_index);
                let v = load_slot(&mut self.b, ty, p, vmctx::GLOBAL_VALUE);
                self.push(v);
            }
            O::GlobalSet { global_index } => {
                let ty = self.globals[global_index as usize];
                cl_type(ty)?;
                let v = self.pop();
                let p = self.global_addr(global_index);
                // The slot is 128 bits wide; a scalar writes its low 64 bits
                // zero-extended, as the interpreter does.
                store_slot(&mut self.b, v, p, vmctx::GLOBAL_VALUE);
            }

            O::I32Load { memarg } => self.load(&memarg, I32, 4, LoadKind::Full),
            O::I64Load { memarg } => self.load(&memarg, I64, 8, LoadKind::Full),
            O::F32Load { memarg } => self.load(&memarg, F32, 4, LoadKind::Full),
            O::F64Load { memarg } => self.load(&memarg, F64, 8, LoadKind::Full),
            O::I32Load8S { memarg } => self.load(&memarg, I32, 1, LoadKind::Signed),
            O::I32Load8U { memarg } => self.load(&memarg, I32, 1, LoadKind::Unsigned),
            O::I32Load16S { memarg } => self.load(&memarg, I32, 2, LoadKind::Signed),
            O::I32Load16U { memarg } => self.load(&memarg, I32, 2, LoadKind::Unsigned),
            O::I64Load8S { memarg } => self.load(&memarg, I64, 1, LoadKind::Signed),
            O::I64Load8U { memarg } => self.load(&memarg, I64, 1, LoadKind::Unsigned),
            O::I64Load16S { memarg } => self.load(&memarg, I64, 2, LoadKind::Signed),
            O::I64Load16U { memarg } => self.load(&memarg, I64, 2, LoadKind::Unsigned),
            O::I64Load32S { memarg } => self.load(&memarg, I64, 4, LoadKind::Signed),
            O::I64Load32U { memarg } => self.load(&memarg, I64, 4, LoadKind::Unsigned),
            O::I32Store { memarg } | O::F32Store { memarg } => self.store(&memarg, 4),
            O::I64Store { memarg } | O::F64Store { memarg } => self.store(&memarg, 8),
            O::I32Store8 { memarg } | O::I64Store8 { memarg } => self.store(&memarg, 1),
            O::I32Store16 { memarg } | O::I64Store16 { memarg } => self.store(&memarg, 2),
            O::I64Store32 { memarg } => self.store(&memarg, 4),
            O::MemorySize { mem: 0 } => {
                let len = self.load_vm(I64, vmctx::MEMORY_LEN);
                let pages = self.b.ins().ushr_imm_u(len, 16);
                let pages = match self.is_memory64(0) {
                    true => pages,
                    false => self.b.ins().ireduce(I32, pages),
                };
                self.push(pages);
            }
            O::MemorySize { mem } => {
                self.bulk(builtin!(memory_size), &[mem], 0, Some(I32), false);
                if self.is_memory64(mem) {
                    let pages = self.pop();
                    let pages = self.b.ins().uextend(I64, pages);
                    self.push(pages);
                }
            }
            O::MemoryGrow { mem } => self.memory_grow(mem),

            O::I32Const { value } => {
                let v = self.b.ins().iconst(I32, i64::from(value));
                self.push(v);
            }
            O::I64Const { value } => {
                let v = self.b.ins().iconst(I64, value);
                self.push(v);
            }
            O::F32Const { value } => {
                let v = self.b.ins().f32const(Ieee32::with_bits(value.bits()));
                self.push(v);
            }
            O::F64Const { value } => {
                let v = self.b.ins().f64const(Ieee64::with_bits(value.bits()));
                self.push(v);
            }

            O::I32Eqz | O::I64Eqz => self.eqz(),
            O::I32Eq | O::I64Eq => self.icmp(IntCC::Equal),
            O::I32Ne | O::I64Ne => self.icmp(IntCC::NotEqual),
            O::I32LtS | O::I64LtS => self.icmp(IntCC::SignedLessThan),
            O::I32LtU | O::I64LtU => self.icmp(IntCC::UnsignedLessThan),
            O::I32GtS | O::I64GtS => self.icmp(IntCC::SignedGreaterThan),
            O::I32GtU | O::I64GtU => self.icmp(IntCC::UnsignedGreaterThan),
            O::I32LeS | O::I64LeS => self.icmp(IntCC::SignedLessThanOrEqual),
            O::I32LeU | O::I64LeU => self.icmp(IntCC::UnsignedLessThanOrEqual),
            O::I32GeS | O::I64GeS => self.icmp(IntCC::SignedGreaterThanOrEqual),
            O::I32GeU | O::I64GeU => self.icmp(IntCC::UnsignedGreaterThanOrEqual),
            O::F32Eq | O::F64Eq => self.fcmp(FloatCC::Equal),
            O::F32Ne | O::F64Ne => self.fcmp(FloatCC::NotEqual),
            O::F32Lt | O::F64Lt => self.fcmp(FloatCC::LessThan),
            O::F32Gt | O::F64Gt => self.fcmp(FloatCC::GreaterThan),
            O::F32Le | O::F64Le => self.fcmp(FloatCC::LessThanOrEqual),
            O::F32Ge | O::F64Ge => self.fcmp(FloatCC::GreaterThanOrEqual),

            O::I32Clz | O::I64Clz => self.unop(|b, a| b.ins().clz(a)),
            O::I32Ctz | O::I64Ctz => self.unop(|b, a| b.ins().ctz(a)),
            O::I32Popcnt | O::I64Popcnt => self.unop(|b, a| b.ins().popcnt(a)),
            O::I32Add | O::I64Add => self.binop(|b, a, c| b.ins().iadd(a, c)),
            O::I32Sub | O::I64Sub => self.binop(|b, a, c| b.ins().isub(a, c)),
            O::I32Mul | O::I64Mul => self.binop(|b, a, c| b.ins().imul(a, c)),
            O::I32DivS | O::I64DivS => self.div(DivOp::DivS),
            O::I32DivU | O::I64DivU => self.div(DivOp::DivU),
            O::I32RemS | O::I64RemS => self.div(DivOp::RemS),
            O::I32RemU | O::I64RemU => self.div(DivOp::RemU),
            O::I32And | O::I64And => self.binop(|b, a, c| b.ins().band(a, c)),
            O::I32Or | O::I64Or => self.binop(|b, a, c| b.ins().bor(a, c)),
            O::I32Xor | O::I64Xor => self.binop(|b, a, c| b.ins().bxor(a, c)),
            O::I32Shl | O::I64Shl => self.binop(|b, a, c| b.ins().ishl(a, c)),
            O::I32ShrS | O::I64ShrS => self.binop(|b, a, c| b.ins().sshr(a, c)),
            O::I32ShrU | O::I64ShrU => self.binop(|b, a, c| b.ins().ushr(a, c)),
            O::I32Rotl | O::I64Rotl => self.binop(|b, a, c| b.ins().rotl(a, c)),
            O::I32Rotr | O::I64Rotr => self.binop(|b, a, c| b.ins().rotr(a, c)),

            O::F32Abs | O::F64Abs => self.unop(|b, a| b.ins().fabs(a)),
            O::F32Neg | O::F64Neg => self.unop(|b, a| b.ins().fneg(a)),
            O::F32Ceil | O::F64Ceil => self.unop(|b, a| b.ins().ceil(a)),
            O::F32Floor | O::F64Floor => self.unop(|b, a| b.ins().floor(a)),
            O::F32Trunc | O::F64Trunc => self.unop(|b, a| b.ins().trunc(a)),
            O::F32Nearest | O::F64Nearest => self.unop(|b, a| b.ins().nearest(a)),
            O::F32Sqrt | O::F64Sqrt => self.unop(|b, a| b.ins().sqrt(a)),
            O::F32Add | O::F64Add => self.binop(|b, a, c| b.ins().fadd(a, c)),
            O::F32Sub | O::F64Sub => self.binop(|b, a, c| b.ins().fsub(a, c)),
            O::F32Mul | O::F64Mul => self.binop(|b, a, c| b.ins().fmul(a, c)),
            O::F32Div | O::F64Div => self.binop(|b, a, c| b.ins().fdiv(a, c)),
            O::F32Min | O::F64Min => self.binop(|b, a, c| b.ins().fmin(a, c)),
            O::F32Max | O::F64Max => self.binop(|b, a, c| b.ins().fmax(a, c)),
            O::F32Copysign | O::F64Copysign => self.binop(|b, a, c| b.ins().fcopysign(a, c)),

            O::I32WrapI64 => self.unop(|b, a| b.ins().ireduce(I32, a)),
            O::I64ExtendI32S => self.unop(|b, a| b.ins().sextend(I64, a)),
            O::I64ExtendI32U => self.unop(|b, a| b.ins().uextend(I64, a)),
            O::I32Extend8S => self.unop(|b, a| {
                let n = b.ins().ireduce(I8, a);
                b.ins().sextend(I32, n)
            }),
            O::I32Extend16S => self.unop(|b, a| {
                let n = b.ins().ireduce(cranelift_codegen::ir::types::I16, a);
                b.ins().sextend(I32, n)
            }),
            O::I64Extend8S => self.unop(|b, a| {
                let n = b.ins().ireduce(I8, a);
                b.ins().sextend(I64, n)
            }),
            O::I64Extend16S => self.unop(|b, a| {
                let n = b.ins().ireduce(cranelift_codegen::ir::types::I16, a);
                b.ins().sextend(I64, n)
            }),
            O::I64Extend32S => self.unop(|b, a| {
                let n = b.ins().ireduce(I32, a);
                b.ins().sextend(I64, n)
            }),
            O::I32TruncF32S | O::I32TruncF64S => self.trunc(I32, true),
            O::I32TruncF32U | O::I32TruncF64U => self.trunc(I32, false),
            O::I64TruncF32S | O::I64TruncF64S => self.trunc(I64, true),
            O::I64TruncF32U | O::I64TruncF64U => self.trunc(I64, false),
            O::I32TruncSatF32S | O::I32TruncSatF64S => {
                self.unop(|b, a| b.ins().fcvt_to_sint_sat(I32, a))
            }
            O::I32TruncSatF32U | O::I32TruncSatF64U => {
                self.unop(|b, a| b.ins().fcvt_to_uint_sat(I32, a))
            }
            O::I64TruncSatF32S | O::I64TruncSatF64S => {
                self.unop(|b, a| b.ins().fcvt_to_sint_sat(I64, a))
            }
            O::I64TruncSatF32U | O::I64TruncSatF64U => {
                self.unop(|b, a| b.ins().fcvt_to_uint_sat(I64, a))
            }
            O::F32ConvertI32S | O::F32ConvertI64S => {
                self.unop(|b, a| b.ins().fcvt_from_sint(F32, a))
            }
            O::F32ConvertI32U | O::F32ConvertI64U => {
                self.unop(|b, a| b.ins().fcvt_from_uint(F32, a))
            }
            O::F64ConvertI32S | O::F64ConvertI64S => {
                self.unop(|b, a| b.ins().fcvt_from_sint(F64, a))
            }
            O::F64ConvertI32U | O::F64ConvertI64U => {
                self.unop(|b, a| b.ins().fcvt_from_uint(F64, a))
            }
            O::F32DemoteF64 => self.unop(|b, a| b.ins().fdemote(F32, a)),
            O::F64PromoteF32 => self.unop(|b, a| b.ins().fpromote(F64, a)),
            O::I32ReinterpretF32 => self.unop(|b, a| b.ins().bitcast(I32, MemFlagsData::new(), a)),
            O::I64ReinterpretF64 => self.unop(|b, a| b.ins().bitcast(I64, MemFlagsData::new(), a)),
            O::F32ReinterpretI32 => self.unop(|b, a| b.ins().bitcast(F32, MemFlagsData::new(), a)),
            O::F64ReinterpretI64 => self.unop(|b, a| b.ins().bitcast(F64, MemFlagsData::new(), a)),

            O::CallIndirect {
                type_index,
                table_index,
            } => self.call_indirect(type_index, table_index),
            O::MemoryCopy { dst_mem, src_mem } => {
                self.memory_bulk(builtin!(memory_copy), &[dst_mem, src_mem])
            }
            O::MemoryFill { mem } => self.memory_bulk(builtin!(memory_fill), &[mem]),
            O::MemoryInit { data_index, mem } => {
                self.memory_bulk(builtin!(memory_init), &[data_index, mem])
            }
            O::DataDrop { data_index } => {
                self.bulk(builtin!(data_drop), &[data_index], 0, None, false)
            }
            O::TableGet { table } => self.bulk(builtin!(table_get), &[table], 1, Some(I64), true),
            O::TableSet { table } => self.bulk(builtin!(table_set), &[table], 2, None, true),
            O::TableSize { table } => {
                self.bulk(builtin!(table_size), &[table], 0, Some(I32), false)
            }
            O::TableGrow { table } => {
                self.bulk(builtin!(table_grow), &[table], 2, Some(I32), false)
            }
            O::TableFill { table } => self.bulk(builtin!(table_fill), &[table], 3, None, true),
            O::TableCopy {
                dst_table,
                src_table,
            } => self.bulk(builtin!(table_copy), &[dst_table, src_table], 3, None, true),
            O::TableInit { elem_index, table } => {
                self.bulk(builtin!(table_init), &[elem_index, table], 3, None, true)
            }
            O::ElemDrop { elem_index } => {
                self.bulk(builtin!(elem_drop), &[elem_index], 0, None, false)
            }
            O::RefNull { .. } => {
                let v = self.b.ins().iconst(I64, 0);
                self.push(v);
            }
            O::RefIsNull => self.eqz(),
            O::RefFunc { function_index } => {
                let addrs = self.load_vm(I64, vmctx::FUNC_ADDRS);
                let off = 4 * function_index as i32;
                let addr = self.b.ins().load(I32, trusted(), addrs, off);
                let addr = self.b.ins().uextend(I64, addr);
                let v = self.b.ins().iadd_imm_s(addr, 1);
                self.push(v);
            }
            other => return self.simd_operator(other),
        }
        Ok(())
    }
}

/// The Cranelift type of a wasmparser value type.
fn wasm_val_type(t: wasmparser::ValType) -> Result<Type, String> {
    match t {
        wasmparser::ValType::I32 => Ok(I32),
        wasmparser::ValType::I64 => Ok(I64),
        wasmparser::ValType::F32 => Ok(F32),
        wasmparser::ValType::F64 => Ok(F64),
        wasmparser::ValType::V128 => Ok(I8X16),
        wasmparser::ValType::Ref(_) => Ok(I64),
    }
}

#[derive(Clone, Copy)]
/// The callee of a call of compiled code.
enum Callee {
    /// Defined function `n` of the module, called directly.
    Direct(u32),
    /// The code at this address.
    Address(Value),
}

enum DivOp {
    DivS,
    DivU,
    RemS,
    RemU,
}

#[derive(Clone, Copy)]
enum LoadKind {
    Full,
    Signed,
    Unsigned,
}
