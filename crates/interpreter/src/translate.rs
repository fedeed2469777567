//! Translation of one validated function body into [`Instr`]s.
//!
//! The translator walks the operators once, keeping a model of the operand stack
//! in which each entry knows its *home* (the temporary slot its stack position
//! owns) and its *source* (where its value is right now: its home, a local, or a
//! constant slot). `local.get` and constants therefore cost no instruction: later
//! instructions read the local or constant slot directly. Values are copied to
//! their homes only where control flow or a write to the local requires it.
//!
//! The body was validated before, so the translator trusts types and structure.

use wasmparser::{BlockType, Operator};
use wazero_api::ValueType;
use wazero_validator::ValidatedModule;

use crate::code::{
    fuse_compare, fuse_compare_imm, BinaryOp, CompiledFunc, Handler, HandlerAction, Instr, Loops,
    Op, Slot, ACC,
};
use crate::ops::for_each_numeric_op;
use crate::prescan::{ConstMap, FirstReads, PreScan};
use crate::simd::{simd_mem_op, simd_op, SimdMemOp, SimdOp};

/// The largest frame the 16-bit slot indices can address.
// The largest slot number stands for the accumulator (`code::ACC`).
const MAX_FRAME_SLOTS: u32 = Slot::MAX as u32 - 1;

#[derive(Debug, Clone, Copy)]
struct Entry {
    ty: ValueType,
    home: u32,
    src: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Func,
    Block,
    Loop,
    If,
    Else,
    /// `try_table`.
    TryTable,
    /// The body of a legacy `try`.
    Try,
    /// A legacy `catch` or `catch_all` of a `try`.
    Catch,
}

#[derive(Debug)]
struct Ctrl {
    kind: Kind,
    /// Stack length below the block's parameters.
    height: usize,
    /// Home of the first parameter / result.
    base_home: u32,
    params: Vec<ValueType>,
    results: Vec<ValueType>,
    /// Entry state of the parameters, restored at `else`.
    param_entries: Vec<Entry>,
    /// For loops, the start; otherwise the branches to patch with the end.
    start: u32,
    fixups: Vec<usize>,
    /// For `if`: the conditional branch to patch with the `else` or the end.
    else_fixup: Option<usize>,
    unreachable: bool,
    /// Handlers (indices into the translator's) whose target is this
    /// block's end.
    handler_fixups: Vec<usize>,
    /// Exception handling of a `try_table` or legacy `try`.
    eh: Option<Box<TryState>>,
}

/// What a `try_table` or legacy `try` needs until its end.
#[derive(Debug, Default)]
struct TryState {
    /// Its number among the function's blocks with handlers.
    block: u32,
    /// `try_table`: its catch clauses.
    catches: Vec<wasmparser::Catch>,
    /// Legacy `try`: where its body ends (set at the first clause).
    body_end: Option<u32>,
    /// Legacy `try`: its clauses' tags (`None`: `catch_all`), first ops and
    /// payload slots.
    clauses: Vec<(Option<u32>, u32, u32)>,
    /// Legacy `try`: the slot its clauses keep the caught exception in.
    exn_slot: u32,
    /// Legacy `try`: whether a `rethrow` throws its exception again.
    rethrown: bool,
}

/// Facts about a module that every function's translation needs.
pub(crate) struct ModuleTypes {
    /// The content type of each global, imports first.
    pub(crate) globals: Vec<ValueType>,
    /// The element type of each table, imports first.
    pub(crate) tables: Vec<ValueType>,
    /// Whether each memory is 64-bit, imports first.
    pub(crate) memory64: Vec<bool>,
    /// Whether each table is 64-bit, imports first.
    pub(crate) table64: Vec<bool>,
    /// The payload types of each tag, imports first.
    pub(crate) tags: Vec<Vec<ValueType>>,
    /// No 64-bit table, and at most one memory, 32-bit: every operator runs
    /// on the executor's current memory and no operand needs narrowing.
    pub(crate) plain: bool,
}

impl ModuleTypes {
    pub(crate) fn of(module: &ValidatedModule) -> Self {
        let memory64: Vec<bool> = module.memory_types().iter().map(|m| m.memory64).collect();
        let table64: Vec<bool> = module.table_types().iter().map(|t| t.table64).collect();
        Self {
            globals: module.global_types().iter().map(|g| g.content).collect(),
            tables: module.table_types().iter().map(|t| t.element).collect(),
            plain: memory64.len() <= 1 && !memory64.contains(&true) && !table64.contains(&true),
            memory64,
            table64,
            tags: module
                .tag_types()
                .iter()
                .map(|&t| module.types[t as usize].params().to_vec())
                .collect(),
        }
    }
}

struct Translator<'m> {
    module: &'m ValidatedModule,
    types: &'m ModuleTypes,
    code: Vec<Instr>,
    stack: Vec<Entry>,
    ctrl: Vec<Ctrl>,
    local_slots: Vec<u32>,
    local_types: Vec<ValueType>,
    locals_end: u32,
    /// Slots taken by the parameters (`init` describes the slots after them).
    param_slots: u32,
    consts: ConstMap<u64>,
    consts128: ConstMap<u128>,
    init: Vec<u64>,
    temp_base: u32,
    max_slot: u32,
    last_def: Option<usize>,
    /// The home of the last popped operand, if it was the result of the
    /// last def (see [`Translator::emit`]).
    popped_def: Option<u32>,
    /// The last instruction, when it read the result of the def just
    /// before it from the temporary it popped (no label between the two):
    /// its index (see [`Translator::emit`]).
    adjacent: Option<usize>,
    /// The instruction that the operator just translated, a `local.tee`,
    /// made write its local (see [`Translator::load`]).
    tee_def: Option<usize>,
    /// `tee_def` as the operator before this one left it: set only while
    /// translating the operator right after such a `local.tee`, so that no
    /// label (an operator of its own) comes between the two.
    after_tee: Option<usize>,
    /// Nesting depth of blocks inside unreachable code being skipped.
    skip_depth: u32,
    overflow: bool,
    /// Exception handlers, in the order their blocks end.
    handlers: Vec<Handler>,
    /// How many blocks with handlers were entered.
    eh_blocks: u32,
    /// The slots kept for legacy `try`s' caught exceptions, and how many are
    /// taken.
    exn_slots: std::ops::Range<u32>,
    exn_slots_used: u32,
    /// The module offset of the operator being translated.
    pos: u64,
    /// The loops another engine may take a call over at (see [`Loops`]):
    /// each one's first op and its module offset.
    loops: Vec<(u32, u32)>,
}

fn width(ty: ValueType) -> u32 {
    ty.slots() as u32
}

/// Translates defined function `index` (not counting imports) of `module`.
pub(crate) fn translate(
    module: &ValidatedModule,
    types: &ModuleTypes,
    index: usize,
) -> Result<CompiledFunc, String> {
    let body = &module.code[index];
    let ty = &module.types[module.functions[index] as usize];
    let reader =
        wasmparser::BinaryReader::new(&module.bytes[body.range.clone()], body.range.start as u64);
    let body_reader = wasmparser::FunctionBody::new(reader);
    let ops = body_reader
        .get_operators_reader()
        .map_err(|e| e.to_string())?;

    let mut local_slots = Vec::new();
    let mut local_types = Vec::new();
    let mut next = 0u32;
    for &p in ty.params() {
        local_slots.push(next);
        local_types.push(p);
        next += width(p);
    }
    let param_slots = next;
    for &(count, t) in &body.locals {
        for _ in 0..count {
            if next > MAX_FRAME_SLOTS {
                return Err(too_large(index));
            }
            local_slots.push(next);
            local_types.push(t);
            next += width(t);
        }
    }
    // One pass ahead of translation finds the legacy `try`s and the
    // constants. A slot per `try`, for the exception its clauses catch (which
    // `rethrow` reads), comes after the locals: below every temporary, as
    // callee frames overlap the temporaries above a call's arguments. The
    // constants come next, so every temporary's home is known when it is
    // created; they are numbered from 0 here and moved after the `try` slots
    // below.
    let PreScan {
        tries,
        mut consts,
        mut consts128,
        init: const_init,
        reads,
    } = PreScan::of(&ops, ty.params().len() as u32, local_slots.len() as u32)?;
    if u64::from(next) + u64::from(tries) > u64::from(MAX_FRAME_SLOTS) {
        return Err(too_large(index));
    }
    let exn_slots = next..next + tries;
    next += tries;
    let locals_end = next;
    let mut init = vec![0u64; (locals_end - param_slots) as usize];
    init.extend_from_slice(&const_init);
    consts.values_mut().for_each(|slot| *slot += locals_end);
    consts128.values_mut().for_each(|slot| *slot += locals_end);
    next += const_init.len() as u32;

    let mut t = Translator {
        module,
        types,
        code: Vec::new(),
        stack: Vec::new(),
        ctrl: Vec::new(),
        local_slots,
        local_types,
        locals_end,
        param_slots,
        consts,
        consts128,
        init,
        temp_base: next,
        max_slot: next,
        last_def: None,
        popped_def: None,
        adjacent: None,
        tee_def: None,
        after_tee: None,
        skip_depth: 0,
        overflow: false,
        handlers: Vec::new(),
        eh_blocks: 0,
        exn_slots,
        exn_slots_used: 0,
        pos: 0,
        loops: Vec::new(),
    };
    t.ctrl.push(Ctrl {
        kind: Kind::Func,
        height: 0,
        base_home: t.temp_base,
        params: Vec::new(),
        results: ty.results().to_vec(),
        param_entries: Vec::new(),
        start: 0,
        fixups: Vec::new(),
        else_fixup: None,
        unreachable: false,
        handler_fixups: Vec::new(),
        eh: None,
    });
    let mut ops = ops;
    let pos = std::cell::Cell::new(0);
    let mut lend = crate::visit::Lend {
        op: |op: &Operator<'_>| {
            t.pos = pos.get();
            t.op(op)?;
            if t.overflow {
                return Err(too_large(index));
            }
            Ok(())
        },
    };
    while !ops.eof() {
        pos.set(ops.original_position());
        ops.visit_operator(&mut lend).map_err(|e| e.to_string())??;
    }
    let result_slots = ty.result_slots() as u32;
    compact_frame(&mut t, result_slots, &reads);
    let loops = (!t.loops.is_empty()).then(|| {
        Box::new(Loops {
            entries: t.loops.into_boxed_slice(),
            locals: t
                .local_slots
                .iter()
                .zip(&t.local_types)
                .map(|(&slot, &ty)| (slot, width(ty) as u8))
                .collect(),
        })
    });
    let frame_size = t.max_slot.max(result_slots);
    if t.overflow || frame_size > MAX_FRAME_SLOTS {
        return Err(too_large(index));
    }
    // The prologue copies four slots at a time: the padding's zeros land on
    // slots that are dead at entry (locals assigned before they are read,
    // temporaries), or on slots the frame gains for them. No instruction
    // names a slot of the padding, so it may pass `MAX_FRAME_SLOTS`.
    let mut init = t.init;
    init.resize(init.len().next_multiple_of(4), 0);
    let frame_size = frame_size.max(param_slots + init.len() as u32);
    let init = init.into_boxed_slice();
    let prologue = (!init.is_empty()).then(|| Instr::InitSlots {
        dst: param_slots as Slot,
        len: init.len() as u32,
        init: split_address(init.as_ptr()),
    });
    Ok(CompiledFunc {
        ops: lower(prologue, t.code),
        prologue: prologue.is_some(),
        frame_size,
        param_slots,
        init,
        result_slots,
        handlers: t.handlers.into_boxed_slice(),
        loops,
    })
}

/// A memory's index as instructions keep it (validation allows at most 100
/// memories).
fn memory_index(memory: u32) -> u16 {
    u16::try_from(memory).expect("validated: at most 100 memories")
}

/// `ptr`'s address as the two halves [`Instr::InitSlots`] keeps, low first.
fn split_address(ptr: *const u64) -> [u32; 2] {
    let address = ptr as usize as u64;
    [address as u32, (address >> 32) as u32]
}

/// Lays out the slots between the parameters and the temporaries so that a
/// call copies as few initial slots as it can (see `CompiledFunc::init`):
///
/// - Constants that no instruction reads from a slot lose theirs: most are
///   immediates of the instructions that use them (see [`Instr::BinaryImm`]
///   and the fused instructions). The kept ones keep their order, a `v128`
///   constant's two slots together.
/// - Locals that every path assigns before it reads them (see
///   [`FirstReads`]) move after the constants, out of the initial slots:
///   they need no zero.
///
/// The new order is: the locals that need their zero, the legacy `try`s'
/// slots, the kept constants, the other locals; the temporaries move down
/// by as many slots as constants were dropped. The results' slots
/// (`0..result_slots`), which `Return` reads without naming them, keep
/// their numbers: the locals and constants among them stay, and if the
/// results reach past the constants, nothing moves.
fn compact_frame(t: &mut Translator<'_>, result_slots: u32, reads: &FirstReads) {
    let (params, first, end) = (t.param_slots, t.locals_end, t.temp_base);
    if result_slots > end {
        return;
    }
    // Each local's slots, and whether it needs its zero.
    let locals: Vec<(u32, u32, bool)> = (0..t.local_slots.len() as u32)
        .skip_while(|&i| t.local_slots[i as usize] < params)
        .map(|i| {
            let slot = t.local_slots[i as usize];
            let zeroed = reads.may_read_first(i) || slot < result_slots;
            (slot, width(t.local_types[i as usize]), zeroed)
        })
        .collect();
    if first == end && locals.iter().all(|l| l.2) {
        // No constant, and every local needs its zero: nothing moves.
        return;
    }
    let locals_end = t.exn_slots.start;
    copies_of_constants_set_values(t, result_slots);
    let mut read = vec![false; (end - first) as usize];
    read.iter_mut()
        .take(result_slots.saturating_sub(first) as usize)
        .for_each(|r| *r = true);
    let mut mark = |s: &mut Slot| {
        if let Some(i) = u32::from(*s)
            .checked_sub(first)
            .filter(|&i| i < end - first)
        {
            read[i as usize] = true;
        }
    };
    t.code.iter_mut().for_each(|i| i.for_each_slot(&mut mark));
    for &slot in t.consts128.values() {
        let i = (slot - first) as usize;
        let pair = read[i] || read[i + 1];
        read[i] = pair;
        read[i + 1] = pair;
    }
    let mut map: Vec<Option<Slot>> = vec![None; (end - params) as usize];
    let mut next = params;
    let place = |map: &mut [Option<Slot>], next: &mut u32, from: u32, n: u32| {
        for s in from..from + n {
            map[(s - params) as usize] = Some(*next as Slot);
            *next += 1;
        }
    };
    for &(slot, w, _) in locals.iter().filter(|l| l.2) {
        place(&mut map, &mut next, slot, w);
    }
    place(&mut map, &mut next, locals_end, first - locals_end);
    let zeroed = next - params;
    for (i, _) in read.iter().enumerate().filter(|(_, &r)| r) {
        place(&mut map, &mut next, first + i as u32, 1);
    }
    let init_len = next - params;
    for &(slot, w, _) in locals.iter().filter(|l| !l.2) {
        place(&mut map, &mut next, slot, w);
    }
    let dropped = end - next;
    if dropped == 0 && init_len == end - params {
        return;
    }
    // Slots are below `MAX_FRAME_SLOTS`, and so is `end`.
    let remap = |s: &mut Slot| {
        let v = u32::from(*s);
        if *s == ACC || v < params {
        } else if v >= end {
            *s = (v - dropped) as Slot;
        } else if let Some(new) = map[(v - params) as usize] {
            *s = new;
        }
    };
    for instr in &mut t.code {
        instr.for_each_slot(remap);
        // Not read, but kept meaningful where the constant keeps a slot.
        if let Instr::BinaryImm { b, .. } = instr {
            remap(b);
        }
    }
    t.handlers.iter_mut().for_each(|h| h.for_each_slot(remap));
    for slot in &mut t.local_slots {
        let mut s = *slot as Slot;
        remap(&mut s);
        *slot = u32::from(s);
    }
    let consts = t.init.split_off((first - params) as usize);
    t.init.clear();
    t.init.resize(zeroed as usize, 0);
    t.init.extend(
        consts
            .iter()
            .zip(&read)
            .filter(|(_, &r)| r)
            .map(|(&v, _)| v),
    );
    debug_assert_eq!(t.init.len() as u32, init_len);
    t.temp_base -= dropped;
    t.max_slot -= dropped;
}

/// Turns the copies of a constant that only copies read (`local.set` of a
/// constant, a block's constant result moved to its home) into the
/// instructions that set their destination to its value (`Const32`,
/// `Const64`), so that [`compact_frame`] drops the constant's slot: each
/// call then copies one initial slot fewer. The results' slots and `v128`
/// constants stay as they are.
fn copies_of_constants_set_values(t: &mut Translator<'_>, result_slots: u32) {
    let (params, first, end) = (t.param_slots, t.locals_end, t.temp_base);
    let constant = |s: Slot| {
        let v = u32::from(s);
        (s != ACC && v >= first.max(result_slots) && v < end).then(|| (v - first) as usize)
    };
    // Whether anything but a copy into a slot reads each constant.
    let mut kept = vec![false; (end - first) as usize];
    for &slot in t.consts128.values() {
        for s in [slot, slot + 1] {
            if let Some(k) = kept.get_mut((s - first) as usize) {
                *k = true;
            }
        }
    }
    for instr in &t.code {
        if let Instr::Copy { d, s } = *instr {
            if d != ACC && constant(s).is_some() {
                continue;
            }
        }
        let mut instr = *instr;
        instr.for_each_slot(|s| {
            if let Some(i) = constant(*s) {
                kept[i] = true;
            }
        });
    }
    for instr in &mut t.code {
        let Instr::Copy { d, s } = *instr else {
            continue;
        };
        if d == ACC || constant(s).is_none_or(|i| kept[i]) {
            continue;
        }
        let value = t.init[(u32::from(s) - params) as usize];
        *instr = match u32::try_from(value) {
            Ok(value) => Instr::Const32 { d, value },
            Err(_) => Instr::Const64 { d, value },
        };
    }
}

/// Checks, without translating, that the parameters and locals of defined function
/// `index` fit in a frame, so an oversized function is reported when the module is
/// compiled rather than on its first call.
pub(crate) fn check_frame(module: &ValidatedModule, index: usize) -> Result<(), String> {
    let ty = &module.types[module.functions[index] as usize];
    if ty.param_slots() as u64 + module.code[index].local_slots() > u64::from(MAX_FRAME_SLOTS) {
        return Err(too_large(index));
    }
    Ok(())
}

fn too_large(index: usize) -> String {
    format!("function[{index}] needs more than {MAX_FRAME_SLOTS} value slots")
}

macro_rules! translate_numeric {
    (
        binary: [$(($bin:ident, $($bin_body:tt)*)),* $(,)?],
        try_binary: [$(($tbin:ident, $($tbin_body:tt)*)),* $(,)?],
        unary: [$(($un:ident, $($un_body:tt)*)),* $(,)?],
        try_unary: [$(($tun:ident, $($tun_body:tt)*)),* $(,)?],
    ) => {
        /// Translates a numeric operator of the table in `ops.rs`; false if `op` is not one.
        fn numeric(&mut self, op: &Operator<'_>) -> bool {
            match op {
                $(Operator::$bin => {
                    const TY: ValueType = result_type(stringify!($bin));
                    self.binary(TY, |d, a, b| Instr::$bin { d, a, b })
                })*
                $(Operator::$tbin => {
                    const TY: ValueType = result_type(stringify!($tbin));
                    self.binary(TY, |d, a, b| Instr::$tbin { d, a, b })
                })*
                $(Operator::$un => {
                    const TY: ValueType = result_type(stringify!($un));
                    self.unary(TY, |d, a| Instr::$un { d, a })
                })*
                $(Operator::$tun => {
                    const TY: ValueType = result_type(stringify!($tun));
                    self.unary(TY, |d, a| Instr::$tun { d, a })
                })*
                _ => return false,
            }
            true
        }
    };
}

/// The result type of a numeric operator, from its name: comparisons and tests give
/// `i32`, everything else the type its name starts with.
/// (Evaluated at compile time.)
const fn result_type(name: &str) -> ValueType {
    const COMPARISONS: [&str; 15] = [
        "Eqz", "Eq", "Ne", "LtS", "LtU", "GtS", "GtU", "LeS", "LeU", "GeS", "GeU", "Lt", "Gt",
        "Le", "Ge",
    ];
    const fn same(a: &[u8], b: &[u8]) -> bool {
        if a.len() != b.len() {
            return false;
        }
        let mut i = 0;
        while i < a.len() {
            if a[i] != b[i] {
                return false;
            }
            i += 1;
        }
        true
    }
    let (prefix, rest) = name.as_bytes().split_at(3);
    let mut i = 0;
    while i < COMPARISONS.len() {
        if same(rest, COMPARISONS[i].as_bytes()) {
            return ValueType::I32;
        }
        i += 1;
    }
    if same(prefix, b"I32") {
        ValueType::I32
    } else if same(prefix, b"I64") {
        ValueType::I64
    } else if same(prefix, b"F32") {
        ValueType::F32
    } else {
        ValueType::F64
    }
}

impl Translator<'_> {
    for_each_numeric_op!(translate_numeric);

    fn slot(&mut self, s: u32) -> Slot {
        if s > MAX_FRAME_SLOTS {
            self.overflow = true;
        }
        s as Slot
    }

    /// Appends `instr`. When it reads the result of the instruction just
    /// before it, the last def, from a temporary it popped, that value passes
    /// through the accumulator (`code::ACC`) instead of the slot, if both
    /// instructions have such a form: a popped temporary is read by nothing
    /// else before its stack position is pushed (and so written) again, and
    /// no branch lands between the two, as every label clears `last_def`.
    fn emit(&mut self, mut instr: Instr) -> usize {
        let popped = self.popped_def.take();
        let mut adjacent = false;
        if let Some(t) = popped.filter(|&t| self.last_def_dst() == Some(t)) {
            adjacent = true;
            let last = self.code.len() - 1;
            let (mut def, mut with_acc) = (self.code[last], instr);
            if def.write_acc()
                && with_acc.read_acc(t as Slot)
                && crate::threaded::handler_for(&def, false).is_some()
                && crate::threaded::handler_for(&with_acc, false).is_some()
            {
                self.code[last] = def;
                instr = with_acc;
                if let Some(fused) = fuse_add_shl(&def, &instr)
                    .or_else(|| fuse_load_plus(&def, &instr))
                    .or_else(|| fuse_load_indexed(&def, &instr))
                    .or_else(|| fuse_bit_field(&def, &instr))
                    .or_else(|| fuse_table_bias(&def, &instr))
                    .or_else(|| fuse_load_load(&def, &instr))
                    .or_else(|| fuse_move(&def, &instr))
                    .or_else(|| fuse_load_branch(&def, &instr, t as Slot))
                    // Each fusion has handlers for every form it makes;
                    // checked here once for all of them.
                    .filter(|fused| crate::threaded::handler_for(fused, false).is_some())
                {
                    self.code.pop();
                    instr = fused;
                    adjacent = false;
                }
            }
        }
        self.code.push(instr);
        self.adjacent = adjacent.then(|| self.code.len() - 1);
        self.code.len() - 1
    }

    /// `global.set` of `v` to global `index`, when the last instruction
    /// computed `v` as an `i32.add` or `i32.sub` of a constant (the last
    /// def, or made by a `local.tee` to write its local): both become one
    /// [`Instr::GlobalAddImm`], and when that operand is the same global,
    /// read by the `global.get` just before with nothing between, that one
    /// too (C's stack pointer in a prologue and an epilogue). True if fused.
    fn fuse_global_add(&mut self, v: &Entry, index: u32) -> bool {
        let Some(at) = self.code.len().checked_sub(1) else {
            return false;
        };
        let computed = if v.src == v.home {
            self.last_def == Some(at)
        } else {
            self.after_tee == Some(at)
        };
        let Instr::BinaryImm { op, d, a, imm, .. } = self.code[at] else {
            return false;
        };
        let imm = match op {
            BinaryOp::I32Add => imm,
            BinaryOp::I32Sub => imm.wrapping_neg(),
            _ => return false,
        };
        if !computed || u32::from(d) != v.src || d == ACC || a == ACC {
            return false;
        }
        let of_global = at > 0
            && self.adjacent == Some(at)
            && matches!(self.code[at - 1], Instr::GlobalGet { d: t, index: g } if t == a && g == index);
        let fused = Instr::GlobalAddImm {
            d,
            a: if of_global { d } else { a },
            imm,
            index,
            of_global,
        };
        self.code.truncate(if of_global { at - 1 } else { at });
        self.code.push(fused);
        self.last_def = None;
        self.adjacent = None;
        true
    }

    /// `branch`, a `br_if` or an `if` testing a local that the `local.tee`
    /// just before set from an `i32.load` (`if ((p = p->next))`): the load
    /// and the branch become one [`Instr::BrIfLoad`], which writes the local.
    fn fuse_tee_load_branch(&mut self, branch: Instr) -> Instr {
        let Some(at) = self.code.len().checked_sub(1) else {
            return branch;
        };
        match load_branch(&self.code[at], &branch) {
            Some(fused @ Instr::BrIfLoad { d, .. }) if self.after_tee == Some(at) && d != ACC => {
                self.code.pop();
                fused
            }
            _ => branch,
        }
    }

    fn emit_def(&mut self, instr: Instr) {
        let at = self.emit(instr);
        self.last_def = Some(at);
    }

    /// The destination slot of the last instruction, if it is the last def.
    fn last_def_dst(&self) -> Option<u32> {
        let at = self.last_def?;
        if at + 1 != self.code.len() {
            return None;
        }
        let mut def = self.code[at];
        def.dst_mut().map(|d| u32::from(*d))
    }

    fn pc(&self) -> u32 {
        self.code.len() as u32
    }

    fn next_home(&self) -> u32 {
        self.stack
            .last()
            .map(|e| e.home + width(e.ty))
            .unwrap_or(self.temp_base)
    }

    /// Pushes a value that will be computed into its home; returns the home.
    fn push(&mut self, ty: ValueType) -> Slot {
        let home = self.next_home();
        self.stack.push(Entry {
            ty,
            home,
            src: home,
        });
        self.max_slot = self.max_slot.max(home + width(ty));
        self.slot(home)
    }

    /// Pushes a value that already is in slot `src`.
    fn push_from(&mut self, ty: ValueType, src: u32) {
        let home = self.next_home();
        self.stack.push(Entry { ty, home, src });
        self.max_slot = self.max_slot.max(home + width(ty));
    }

    fn pop(&mut self) -> Entry {
        self.stack
            .pop()
            .expect("validated: operand stack not empty")
    }

    fn pop_src(&mut self) -> Slot {
        let e = self.pop();
        if e.src == e.home && self.last_def_dst() == Some(e.src) {
            self.popped_def = Some(e.src);
        }
        self.slot(e.src)
    }

    fn copy(&mut self, dst: u32, src: u32, ty: ValueType) -> usize {
        let (d, s) = (self.slot(dst), self.slot(src));
        if width(ty) == 2 {
            self.emit(Instr::Copy2 { d, s })
        } else {
            self.emit(Instr::Copy { d, s })
        }
    }

    fn materialize_at(&mut self, i: usize) {
        let e = self.stack[i];
        if e.src != e.home {
            self.copy(e.home, e.src, e.ty);
            self.stack[i].src = e.home;
        }
    }

    /// Copies every entry whose value still sits in a local to its home.
    fn materialize_locals(&mut self) {
        for i in 0..self.stack.len() {
            if self.stack[i].src < self.locals_end {
                self.materialize_at(i);
            }
        }
    }

    /// Copies the entries that read local slot `slot` to their homes, before the
    /// local changes.
    fn materialize_local(&mut self, slot: u32) {
        for i in 0..self.stack.len() {
            if self.stack[i].src == slot {
                self.materialize_at(i);
            }
        }
    }

    fn materialize_top(&mut self, n: usize) {
        let len = self.stack.len();
        for i in len - n..len {
            self.materialize_at(i);
        }
    }

    /// A binary operation; with a constant second operand that fits in 32
    /// bits, it is an immediate of the instruction (see
    /// [`Instr::BinaryImm`]).
    fn binary(&mut self, ty: ValueType, make: impl FnOnce(Slot, Slot, Slot) -> Instr) {
        let second = *self.stack.last().expect("validated: two operands");
        let b = self.pop_src();
        let a = self.pop_src();
        let d = self.push(ty);
        let instr = make(d, a, b);
        let instr = self
            .immediate(second)
            .and_then(|imm| instr.with_imm(imm))
            .unwrap_or(instr);
        self.emit_def(instr);
    }

    /// The value of stack entry `e` as a 32-bit immediate, if it is a
    /// constant of a numeric type that one represents: any 32-bit value, a
    /// 64-bit one that sign-extends from 32 bits.
    fn immediate(&self, e: Entry) -> Option<u32> {
        if e.src < self.locals_end || e.src >= self.temp_base {
            return None;
        }
        let value = *self.init.get((e.src - self.param_slots) as usize)?;
        match e.ty {
            ValueType::I32 | ValueType::F32 => Some(value as u32),
            ValueType::I64 | ValueType::F64 => {
                (value == value as i32 as i64 as u64).then_some(value as u32)
            }
            _ => None,
        }
    }

    fn unary(&mut self, ty: ValueType, make: impl FnOnce(Slot, Slot) -> Instr) {
        let a = self.pop_src();
        let d = self.push(ty);
        self.emit_def(make(d, a));
    }

    fn push_const(&mut self, ty: ValueType, value: u64) {
        if let Some(&slot) = self.consts.get(&value) {
            self.push_from(ty, slot);
        } else {
            let d = self.push(ty);
            if let Ok(v) = u32::try_from(value) {
                self.emit_def(Instr::Const32 { d, value: v });
            } else {
                self.emit_def(Instr::Const64 { d, value });
            }
        }
    }

    fn push_const128(&mut self, value: u128) {
        if let Some(&slot) = self.consts128.get(&value) {
            self.push_from(ValueType::V128, slot);
        } else {
            let d = self.push(ValueType::V128);
            self.emit(Instr::Const64 {
                d,
                value: value as u64,
            });
            self.emit(Instr::Const64 {
                d: d + 1,
                value: (value >> 64) as u64,
            });
        }
    }

    fn block_types(&self, bt: BlockType) -> (Vec<ValueType>, Vec<ValueType>) {
        match bt {
            BlockType::Empty => (Vec::new(), Vec::new()),
            BlockType::Type(t) => (Vec::new(), vec![val_type(t)]),
            BlockType::FuncType(i) => {
                let f = &self.module.types[i as usize];
                (f.params().to_vec(), f.results().to_vec())
            }
        }
    }

    fn enter(&mut self, kind: Kind, bt: BlockType) {
        let (params, results) = self.block_types(bt);
        self.materialize_locals();
        if kind != Kind::Block {
            // Loop back-edges and the implicit else of an `if` deliver the parameters
            // in their homes, so the body must read them there.
            self.materialize_top(params.len());
        }
        let height = self.stack.len() - params.len();
        let base_home = self
            .stack
            .get(height)
            .map(|e| e.home)
            .unwrap_or_else(|| self.next_home());
        let param_entries = self.stack[height..].to_vec();
        self.last_def = None;
        self.ctrl.push(Ctrl {
            kind,
            height,
            base_home,
            params,
            results,
            param_entries,
            start: self.pc(),
            fixups: Vec::new(),
            else_fixup: None,
            unreachable: false,
            handler_fixups: Vec::new(),
            eh: None,
        });
    }

    fn set_unreachable(&mut self) {
        let frame = self.ctrl.last_mut().expect("inside a function");
        frame.unreachable = true;
        let h = frame.height;
        self.stack.truncate(h);
        self.last_def = None;
    }

    /// The copies that move the top values to the slots branch target `depth` expects.
    fn branch_copies(&self, depth: u32) -> Vec<(u32, u32, ValueType)> {
        let frame = &self.ctrl[self.ctrl.len() - 1 - depth as usize];
        let types = if frame.kind == Kind::Loop {
            &frame.params
        } else {
            &frame.results
        };
        let n = types.len();
        let mut dst = frame.base_home;
        let mut copies = Vec::new();
        for e in &self.stack[self.stack.len() - n..] {
            if e.src != dst {
                copies.push((dst, e.src, e.ty));
            }
            dst += width(e.ty);
        }
        copies
    }

    /// Emits a jump to branch target `depth`, recording a fixup if it is forward.
    fn emit_jump(&mut self, depth: u32) {
        let i = self.ctrl.len() - 1 - depth as usize;
        if self.ctrl[i].kind == Kind::Loop {
            let target = self.ctrl[i].start;
            self.emit(Instr::Br { target });
        } else {
            let at = self.emit(Instr::Br { target: u32::MAX });
            self.ctrl[i].fixups.push(at);
        }
    }

    fn branch(&mut self, depth: u32) {
        for (dst, src, ty) in self.branch_copies(depth) {
            self.copy(dst, src, ty);
        }
        self.emit_jump(depth);
    }

    /// If the condition on top was just computed by an integer comparison, removes
    /// both and returns the fused branch (taken when the comparison holds, or fails
    /// if `negate`), with its target still to be set.
    fn fused_condition(&mut self, negate: bool) -> Option<Instr> {
        let top = *self.stack.last()?;
        let last = self.code.len().checked_sub(1)?;
        if top.src != top.home || self.last_def != Some(last) {
            return None;
        }
        let cmp = self.code[last];
        let mut probe = cmp;
        if probe.dst_mut().map(|d| u32::from(*d)) != Some(top.home) {
            return None;
        }
        let mut fused = fuse_compare_imm(&cmp, negate, u32::MAX)
            .or_else(|| fuse_compare(&cmp.without_imm(), negate, u32::MAX))?;
        self.code.pop();
        self.stack.pop();
        self.last_def = None;
        // `i32.eqz` of an `i32.and` just before it, whose result passes
        // through the accumulator to nothing else: one test of the bits.
        if let (Instr::BrIfEqz { cond: ACC, .. } | Instr::BrIfNez { cond: ACC, .. }, Some(prev)) =
            (fused, self.code.last())
        {
            if let Instr::BinaryImm {
                op: BinaryOp::I32And,
                d: ACC,
                a,
                imm,
                ..
            } = *prev
            {
                fused = Instr::BrIfImm {
                    op: BinaryOp::I32And,
                    eqz: matches!(fused, Instr::BrIfEqz { .. }),
                    a,
                    imm,
                    target: u32::MAX,
                };
                self.code.pop();
            } else if let Instr::I32And { d: ACC, a, b } = prev.without_imm() {
                fused = match fused {
                    Instr::BrIfEqz { .. } => Instr::BrIfI32AndEqz {
                        a,
                        b,
                        target: u32::MAX,
                    },
                    _ => Instr::BrIfI32AndNez {
                        a,
                        b,
                        target: u32::MAX,
                    },
                };
                self.code.pop();
            }
        }
        Some(fused)
    }

    fn branch_if(&mut self, depth: u32) {
        let i = self.ctrl.len() - 1 - depth as usize;
        let copies_needed = {
            // The copies do not depend on the condition, which sits above the values.
            let cond = self.stack.pop().expect("validated");
            let c = !self.branch_copies(depth).is_empty();
            self.stack.push(cond);
            c
        };
        if !copies_needed {
            if let Some(mut fused) = self.fused_condition(false) {
                if self.ctrl[i].kind == Kind::Loop {
                    patch(&mut fused, self.ctrl[i].start);
                    self.emit(fused);
                } else {
                    let at = self.emit(fused);
                    self.ctrl[i].fixups.push(at);
                }
                return;
            }
        }
        let cond = self.pop_src();
        let copies = self.branch_copies(depth);
        let i = self.ctrl.len() - 1 - depth as usize;
        if copies.is_empty() {
            if self.ctrl[i].kind == Kind::Loop {
                let target = self.ctrl[i].start;
                let branch = self.fuse_tee_load_branch(Instr::BrIfNez { cond, target });
                self.emit(branch);
            } else {
                let branch = self.fuse_tee_load_branch(Instr::BrIfNez {
                    cond,
                    target: u32::MAX,
                });
                let at = self.emit(branch);
                self.ctrl[i].fixups.push(at);
            }
        } else {
            let branch = self.fuse_tee_load_branch(Instr::BrIfEqz {
                cond,
                target: u32::MAX,
            });
            let skip = self.emit(branch);
            for (dst, src, ty) in copies {
                self.copy(dst, src, ty);
            }
            self.emit_jump(depth);
            let here = self.pc();
            patch(&mut self.code[skip], here);
        }
        self.last_def = None;
    }

    fn branch_table(&mut self, targets: Vec<u32>, default: u32) {
        let index = self.pop_src();
        let len = targets.len() as u32;
        self.emit(Instr::BrTable {
            index,
            len,
            bias: 0,
        });
        let table_start = self.code.len();
        let all: Vec<u32> = targets
            .into_iter()
            .chain(std::iter::once(default))
            .collect();
        let mut stubs = Vec::new();
        for (k, &depth) in all.iter().enumerate() {
            if self.branch_copies(depth).is_empty() {
                self.emit_jump(depth);
            } else {
                self.emit(Instr::Br { target: u32::MAX });
                stubs.push((table_start + k, depth));
            }
        }
        for (entry, depth) in stubs {
            let here = self.pc();
            patch(&mut self.code[entry], here);
            self.branch(depth);
        }
        self.set_unreachable();
    }

    /// Moves the function's results (the top entries) to slots `0..` and returns.
    fn emit_return(&mut self, n: usize) {
        if n == 1 {
            let e = self.stack[self.stack.len() - 1];
            if e.src == e.home && self.last_def_dst() == Some(e.home) {
                // The instruction just before computes the result: it
                // writes it to slot 0 itself (nothing is read after it).
                if let Some(d) = self.code.last_mut().and_then(Instr::dst_mut) {
                    *d = 0;
                }
            } else if e.src != 0 {
                self.copy(0, e.src, e.ty);
            }
        } else if n > 1 {
            // Homes lie above every local and constant, so once all results are in
            // their homes, copying them down in order never overwrites a source.
            self.materialize_top(n);
            let mut dst = 0;
            for i in self.stack.len() - n..self.stack.len() {
                let e = self.stack[i];
                if e.home != dst {
                    self.copy(dst, e.home, e.ty);
                }
                dst += width(e.ty);
            }
        }
        self.emit(Instr::Return);
    }

    fn end(&mut self) {
        let frame = self.ctrl.last().expect("validated: end matches a block");
        let n = frame.results.len();
        let labelled = !frame.fixups.is_empty()
            || frame.else_fixup.is_some()
            || !frame.handler_fixups.is_empty()
            || frame.eh.is_some();
        if frame.kind == Kind::Func && !labelled && !frame.unreachable {
            // No branch lands at the function's end: its results go to
            // their slots from where they are (the last instruction may
            // write the result there itself, see `emit_return`).
            self.emit_return(n);
            self.ctrl.pop();
            self.last_def = None;
            return;
        }
        if !frame.unreachable {
            self.materialize_top(n);
        }
        let mut frame = self.ctrl.pop().expect("checked above");
        let here = self.pc();
        for at in std::mem::take(&mut frame.fixups) {
            patch(&mut self.code[at], here);
        }
        for h in std::mem::take(&mut frame.handler_fixups) {
            if let HandlerAction::Catch { target, .. } = &mut self.handlers[h].action {
                *target = here;
            }
        }
        if let Some(eh) = frame.eh.take() {
            self.close_handlers(&frame, *eh, here);
        }
        if let Some(at) = frame.else_fixup {
            patch(&mut self.code[at], here);
        }
        self.last_def = None;
        self.stack.truncate(frame.height);
        for &ty in &frame.results {
            self.push(ty);
        }
        if frame.kind == Kind::Func {
            self.emit_return(frame.results.len());
        }
    }

    /// Enters a `try_table` or legacy `try` (`catches` empty).
    fn enter_try(&mut self, kind: Kind, bt: BlockType, catches: Vec<wasmparser::Catch>) {
        self.enter(kind, bt);
        let block = self.eh_blocks;
        self.eh_blocks += 1;
        let exn_slot = if kind == Kind::Try {
            self.exn_slots_used += 1;
            self.exn_slots.start + self.exn_slots_used - 1
        } else {
            0
        };
        debug_assert!(exn_slot < self.exn_slots.end || kind != Kind::Try);
        self.ctrl.last_mut().expect("just entered").eh = Some(Box::new(TryState {
            block,
            catches,
            exn_slot,
            ..TryState::default()
        }));
    }

    /// The handlers of a `try_table` or legacy `try` that ended at `here`.
    fn close_handlers(&mut self, frame: &Ctrl, eh: TryState, here: u32) {
        let (start, block) = (frame.start, eh.block);
        if frame.kind == Kind::TryTable {
            // Catch labels are outside the `try_table`: the innermost is the
            // block that encloses it, now on top.
            for catch in eh.catches {
                let (tag, label, with_ref) = wazero_validator::catch_clause(&catch);
                let li = self.ctrl.len() - 1 - label as usize;
                let dst = self.ctrl[li].base_home;
                let payload: u32 = tag.map_or(0, |t| {
                    self.types.tags[t as usize].iter().map(|&t| width(t)).sum()
                });
                let exn = with_ref.then_some(dst + payload);
                let end_slot = dst + payload + u32::from(with_ref);
                self.max_slot = self.max_slot.max(end_slot);
                let target = match self.ctrl[li].kind {
                    Kind::Loop => self.ctrl[li].start,
                    _ => u32::MAX,
                };
                let dst_slot = self.slot(dst);
                let exn = exn.map(|e| self.slot(e));
                self.handlers.push(Handler {
                    start,
                    end: here,
                    block,
                    action: HandlerAction::Catch {
                        tag,
                        dst: dst_slot,
                        exn,
                        keep: with_ref,
                        target,
                    },
                });
                if target == u32::MAX {
                    let h = self.handlers.len() - 1;
                    self.ctrl[li].handler_fixups.push(h);
                }
            }
            return;
        }
        let end = eh.body_end.unwrap_or(here);
        if eh.clauses.is_empty() {
            self.handlers.push(Handler {
                start,
                end,
                block,
                action: HandlerAction::Marker,
            });
        }
        let exn = self.slot(eh.exn_slot);
        for (tag, target, dst) in eh.clauses {
            let dst = self.slot(dst);
            self.handlers.push(Handler {
                start,
                end,
                block,
                action: HandlerAction::Catch {
                    tag,
                    dst,
                    exn: Some(exn),
                    keep: eh.rethrown,
                    target,
                },
            });
        }
    }

    /// A legacy `catch` (`tag`) or `catch_all` (`None`): ends the `try`'s
    /// body or the clause before, and starts a clause.
    fn legacy_catch(&mut self, tag: Option<u32>) {
        self.end_arm();
        let here = self.pc();
        let frame = self.ctrl.last_mut().expect("checked");
        let (height, dst) = (frame.height, frame.base_home);
        let eh = frame.eh.as_mut().expect("a try has its state");
        eh.body_end.get_or_insert(here);
        eh.clauses.push((tag, here, dst));
        frame.kind = Kind::Catch;
        frame.unreachable = false;
        self.stack.truncate(height);
        self.last_def = None;
        if let Some(tag) = tag {
            for ty in self.types.tags[tag as usize].clone() {
                self.push(ty);
            }
        }
    }

    /// Legacy `delegate`: ends a `try` whose body's exceptions go on to the
    /// handlers of the block `depth` labels outside it (or to the caller).
    fn delegate(&mut self, depth: u32) {
        let here = self.pc();
        // The innermost block with handlers, from the label outwards, that
        // still covers this point (a `try` in a clause no longer does).
        let from = self.ctrl.len() as i64 - 2 - i64::from(depth);
        let to = (0..=from.max(-1))
            .rev()
            .filter_map(|i| usize::try_from(i).ok())
            .find_map(|i| match self.ctrl[i].kind {
                Kind::Try | Kind::TryTable => self.ctrl[i].eh.as_ref().map(|eh| eh.block),
                _ => None,
            });
        let frame = self
            .ctrl
            .last_mut()
            .expect("validated: delegate ends a try");
        let eh = frame.eh.take().expect("a try has its state");
        let start = frame.start;
        self.handlers.push(Handler {
            start,
            end: here,
            block: eh.block,
            action: HandlerAction::Delegate { to },
        });
        self.end();
    }

    /// `throw`: the payload goes where a call's arguments would.
    fn throw(&mut self, tag: u32) {
        let n = self.types.tags[tag as usize].len();
        self.materialize_top(n);
        let base = match n {
            0 => self.next_home(),
            _ => self.stack[self.stack.len() - n].home,
        };
        let base = self.slot(base);
        self.emit(Instr::Throw { tag, base });
        self.set_unreachable();
    }

    /// Ends an arm of the innermost block (the `then` of an `if`, a legacy
    /// `try`'s body or clause): if reachable, its results go to their homes
    /// and it jumps to the block's end.
    fn end_arm(&mut self) {
        let frame = self.ctrl.last().expect("validated: inside a block");
        if !frame.unreachable {
            let n = frame.results.len();
            self.materialize_top(n);
            let at = self.emit(Instr::Br { target: u32::MAX });
            self.ctrl.last_mut().expect("checked").fixups.push(at);
        }
    }

    fn else_(&mut self) {
        self.end_arm();
        let here = self.pc();
        let frame = self.ctrl.last_mut().expect("checked");
        if let Some(at) = frame.else_fixup.take() {
            patch(&mut self.code[at], here);
        }
        frame.kind = Kind::Else;
        frame.unreachable = false;
        let (h, entries) = (frame.height, frame.param_entries.clone());
        self.stack.truncate(h);
        self.stack.extend(entries);
        self.last_def = None;
    }

    fn local_set(&mut self, index: u32, tee: bool) {
        let slot = self.local_slots[index as usize];
        let v = self.pop();
        if v.src == v.home && self.last_def_dst() == Some(v.home) {
            // The last instruction computes the value: it writes the local
            // itself. Entries still reading the local's old value are copied
            // to their homes before it (unless it takes an operand from the
            // accumulator, which nothing may separate from its producer).
            let mut def = self.code.pop().expect("the last def");
            let mode = def.acc_mode();
            if !mode.first && !mode.second {
                self.materialize_local(slot);
                if let Some(d) = def.dst_mut() {
                    *d = self.slot(slot);
                }
                self.code.push(def);
                self.last_def = None;
                if tee {
                    self.tee_def = Some(self.code.len() - 1);
                    self.push_from(v.ty, slot);
                }
                return;
            }
            self.code.push(def);
        }
        self.materialize_local(slot);
        let last = self.code.len().checked_sub(1);
        let retarget = v.src == v.home && last.is_some() && self.last_def == last;
        let dst = self.slot(slot);
        let done = retarget
            && match self.code.last_mut().and_then(Instr::dst_mut) {
                Some(d) if u32::from(*d) == v.home => {
                    *d = dst;
                    true
                }
                _ => false,
            };
        if !done && v.src != slot {
            self.copy(slot, v.src, v.ty);
        }
        self.last_def = None;
        if tee {
            if done {
                self.tee_def = Some(self.code.len() - 1);
            }
            self.push_from(v.ty, slot);
        }
    }

    /// `return_call` / `return_call_indirect` / `return_call_ref`: the
    /// arguments go where a call would put them, then the callee replaces this
    /// frame (the executor moves them to slot 0). Nothing after it is reached.
    fn tail_call(&mut self, callee: Callee) {
        self.call(callee);
        let Some(last) = self.code.last_mut() else {
            return;
        };
        *last = match *last {
            Instr::CallInternal { func, base } => Instr::ReturnCallInternal { func, base },
            Instr::CallImported { func, base } => Instr::ReturnCallImported { func, base },
            Instr::CallIndirect {
                type_index,
                table,
                index,
                base,
            } => Instr::ReturnCallIndirect {
                type_index,
                table,
                index,
                base,
            },
            Instr::CallRef { func, base } => Instr::ReturnCallRef { func, base },
            other => other,
        };
        self.set_unreachable();
    }

    fn call(&mut self, callee: Callee) {
        let ty = match callee {
            Callee::Indirect { type_index, .. } | Callee::Ref { type_index } => {
                self.module.types[type_index as usize].clone()
            }
            Callee::Direct(func) => self
                .module
                .function_type(func)
                .cloned()
                .expect("validated: function exists"),
        };
        // The table index or function reference, above the arguments.
        let operand = match callee {
            Callee::Direct(_) => None,
            _ => Some(self.pop_src()),
        };
        let n = ty.params().len();
        self.materialize_top(n);
        let base = match n {
            0 => self.next_home(),
            _ => self.stack[self.stack.len() - n].home,
        };
        self.stack.truncate(self.stack.len() - n);
        let base = self.slot(base);
        match (callee, operand) {
            (Callee::Indirect { type_index, table }, Some(index)) => {
                self.emit(Instr::CallIndirect {
                    type_index,
                    table,
                    index,
                    base,
                })
            }
            (Callee::Ref { .. }, Some(func)) => self.emit(Instr::CallRef { func, base }),
            (Callee::Direct(func), _) => {
                let imported = self.module.imported_function_count();
                if func >= imported {
                    self.emit(Instr::CallInternal {
                        func: func - imported,
                        base,
                    })
                } else {
                    self.emit(Instr::CallImported { func, base })
                }
            }
            _ => unreachable!("an operand is popped for every indirect callee"),
        };
        for &r in ty.results() {
            self.push(r);
        }
        // The callee's frame starts at `base`; results may reach past the operand stack.
        self.max_slot = self
            .max_slot
            .max(u32::from(base) + ty.result_slots() as u32);
        self.last_def = None;
    }

    /// Emits a branch to `skip` (patched by the caller) taken when the
    /// reference on top of the stack is null (`when_null`) or not; the
    /// reference stays on the stack.
    fn branch_on_ref(&mut self, when_null: bool) -> usize {
        let r = self.stack.last().expect("validated: a reference").src;
        let a = self.slot(r);
        // The test's result lives just above the reference, then is dropped.
        let d = self.push(ValueType::I32);
        self.emit(Instr::I64Eqz { d, a });
        self.pop();
        self.last_def = None;
        let target = u32::MAX;
        self.emit(if when_null {
            Instr::BrIfNez { cond: d, target }
        } else {
            Instr::BrIfEqz { cond: d, target }
        })
    }

    /// `br_on_null` (`on_null`) and `br_on_non_null`.
    fn branch_on_null(&mut self, depth: u32, on_null: bool) {
        // Skip the branch when it is not taken.
        let skip = self.branch_on_ref(!on_null);
        if on_null {
            // Branches without the reference; falls through with it.
            let r = self.pop();
            self.branch(depth);
            self.stack.push(r);
        } else {
            // Branches with the reference; falls through without it.
            self.branch(depth);
            self.pop();
        }
        let here = self.pc();
        patch(&mut self.code[skip], here);
        self.last_def = None;
    }

    fn load(&mut self, ty: ValueType, offset: u64, make: fn(Slot, Slot, u32) -> Instr) {
        let addr = self.pop_src();
        let d = self.push(ty);
        let load = make(d, addr, offset as u32);
        // An `i32.add` whose result a `local.tee` just put in the local this
        // load reads (`p = p + k; *p`): one instruction that writes the
        // local and loads.
        let last = self.code.len().checked_sub(1);
        if last.is_some() && self.after_tee == last {
            if let Some(fused) = fuse_add_tee_load(self.code[self.code.len() - 1], load)
                .filter(|fused| crate::threaded::handler_for(fused, false).is_some())
            {
                self.code.pop();
                self.emit_def(fused);
                return;
            }
        }
        self.emit_def(load);
    }

    /// A scalar store; of a constant that fits 32 bits (sign-extending for
    /// a 64-bit one), a [`Instr::StoreImm`] that carries it.
    fn store(&mut self, offset: u64, make: fn(Slot, Slot, u32) -> Instr) {
        let top = *self.stack.last().expect("validated: a value to store");
        let imm = self.immediate(top);
        let value = self.pop_src();
        let addr = self.pop_src();
        let store = make(addr, value, offset as u32);
        self.emit(imm.and_then(|v| store.with_value_imm(v)).unwrap_or(store));
    }

    fn op(&mut self, op: &Operator<'_>) -> Result<(), String> {
        self.after_tee = self.tee_def.take();
        if self.types.plain {
            return self.op_on_current_memory(op);
        }
        let reachable = !self.ctrl.last().is_some_and(|c| c.unreachable);
        if reachable {
            let wide = wazero_validator::table64_operands(op, |t| self.is_table64(t));
            if !wide.is_empty() {
                return self.table64_op(op.clone(), &wide);
            }
        }
        // Read once: most operators are no memory access.
        let access = memory_access(op);
        if let Some((memory, offset)) = access {
            if reachable && self.is_memory64(memory) {
                return self.access64(op.clone(), memory, offset);
            }
        }
        match selected_memory(op, access.map(|(memory, _)| memory)) {
            Some(memory) if reachable => {
                // The instruction runs on memory `memory` in place of memory 0
                // (the executor's current memory), which comes back after it.
                self.emit(Instr::SelectMemory { memory });
                self.op_on_current_memory(op)?;
                self.emit(Instr::SelectMemory { memory: 0 });
                self.last_def = None;
                Ok(())
            }
            _ => self.op_on_current_memory(op),
        }
    }

    fn is_table64(&self, table: u32) -> bool {
        self.types
            .table64
            .get(table as usize)
            .copied()
            .unwrap_or(false)
    }

    /// An instruction on a 64-bit table, whose `i64` operands at `depths`
    /// (from the top of the stack) are first narrowed to `i32`s, clamped to
    /// `u32::MAX`: no table reaches that many elements, so an index, a
    /// destination or a length that large is out of bounds either way, and a
    /// `table.grow` by it fails. The old size `table.grow` returns is widened
    /// back (sign-extended: -1 stays -1; sizes are far below 2^31).
    fn table64_op(&mut self, op: Operator<'_>, depths: &[usize]) -> Result<(), String> {
        let deepest = depths.iter().copied().max().unwrap_or(0);
        // `entries[k]` is the operand at depth `k`.
        let entries: Vec<Entry> = (0..=deepest).map(|_| self.pop()).collect();
        // Put them back bottom to top, narrowing.
        for depth in (0..=deepest).rev() {
            let entry = entries[depth];
            if depths.contains(&depth) {
                let a = self.slot(entry.src);
                let d = self.push(ValueType::I32);
                self.emit(Instr::TableIndex64 { d, a });
            } else {
                self.stack.push(entry);
            }
        }
        self.last_def = None;
        let grows = matches!(op, Operator::TableGrow { .. });
        self.op_on_current_memory(&op)?;
        if grows {
            let a = self.pop_src();
            let d = self.push(ValueType::I64);
            self.emit(Instr::I64ExtendI32S { d, a });
        }
        self.last_def = None;
        Ok(())
    }

    fn is_memory64(&self, memory: u32) -> bool {
        self.types
            .memory64
            .get(memory as usize)
            .copied()
            .unwrap_or(false)
    }

    /// A load or store on 64-bit memory `memory` at `offset` from the `i64`
    /// address on the stack (under the value of a store): a window of the
    /// memory starting at the address (and the offset's high half) becomes
    /// the current memory, and the access runs in it as a 32-bit access at
    /// address 0 and the offset's low half; then memory 0 comes back.
    fn access64(&mut self, op: Operator<'_>, memory: u32, offset: u64) -> Result<(), String> {
        let stores = operand_count(&op) == 2;
        // The address is under the stored value, if any.
        let value = stores.then(|| self.pop());
        let addr = self.pop_src();
        let d = self.push(ValueType::I32);
        self.emit(Instr::Window64 {
            d,
            addr,
            memory: memory_index(memory),
            offset_high: (offset >> 32) as u32,
        });
        if let Some(value) = value {
            self.stack.push(value);
        }
        self.last_def = None;
        let op = with_low_offset(op);
        self.op_on_current_memory(&op)?;
        self.emit(if memory == 0 {
            Instr::Unwindow
        } else {
            Instr::SelectMemory { memory: 0 }
        });
        self.last_def = None;
        Ok(())
    }

    fn op_on_current_memory(&mut self, op: &Operator<'_>) -> Result<(), String> {
        if self.ctrl.last().is_some_and(|c| c.unreachable) {
            match *op {
                Operator::Block { .. }
                | Operator::Loop { .. }
                | Operator::If { .. }
                | Operator::TryTable { .. }
                | Operator::Try { .. } => self.skip_depth += 1,
                Operator::Else if self.skip_depth == 0 => self.else_(),
                Operator::Catch { tag_index } if self.skip_depth == 0 => {
                    self.legacy_catch(Some(tag_index))
                }
                Operator::CatchAll if self.skip_depth == 0 => self.legacy_catch(None),
                Operator::End if self.skip_depth == 0 => self.end(),
                Operator::Delegate { relative_depth } if self.skip_depth == 0 => {
                    self.delegate(relative_depth)
                }
                Operator::End | Operator::Delegate { .. } => self.skip_depth -= 1,
                _ => {}
            }
            return Ok(());
        }
        if self.numeric(op) {
            return Ok(());
        }
        use ValueType::*;
        match *op {
            Operator::Nop => {}
            Operator::Unreachable => {
                self.emit(Instr::Unreachable);
                self.set_unreachable();
            }
            Operator::Block { blockty } => self.enter(Kind::Block, blockty),
            Operator::Loop { blockty } => {
                // Where the locals are the whole state (the compiler's
                // condition for an entry, see `Engine::call_wasm_at_loop`).
                let qualifies = self.stack.is_empty()
                    && self.block_types(blockty).0.is_empty()
                    && !self
                        .ctrl
                        .iter()
                        .any(|c| matches!(c.kind, Kind::TryTable | Kind::Try | Kind::Catch));
                self.enter(Kind::Loop, blockty);
                if let (true, Ok(offset)) = (qualifies, u32::try_from(self.pos)) {
                    self.loops.push((self.pc(), offset));
                }
            }
            Operator::If { blockty } => {
                let branch = match self.fused_condition(true) {
                    Some(fused) => fused,
                    None => {
                        let cond = self.pop_src();
                        self.fuse_tee_load_branch(Instr::BrIfEqz {
                            cond,
                            target: u32::MAX,
                        })
                    }
                };
                let (def, len) = (self.last_def, self.code.len());
                self.enter(Kind::If, blockty);
                if self.code.len() == len {
                    // Nothing was emitted between the condition's instruction
                    // and the branch: the condition may pass through the
                    // accumulator (no label lies between them).
                    self.last_def = def;
                }
                let at = self.emit(branch);
                self.last_def = None;
                self.ctrl.last_mut().expect("just pushed").else_fixup = Some(at);
            }
            Operator::Else => self.else_(),
            Operator::End => self.end(),
            Operator::TryTable { ref try_table } => {
                self.enter_try(Kind::TryTable, try_table.ty, try_table.catches.clone())
            }
            Operator::Try { blockty } => self.enter_try(Kind::Try, blockty, Vec::new()),
            Operator::Catch { tag_index } => self.legacy_catch(Some(tag_index)),
            Operator::CatchAll => self.legacy_catch(None),
            Operator::Delegate { relative_depth } => self.delegate(relative_depth),
            Operator::Throw { tag_index } => self.throw(tag_index),
            Operator::ThrowRef => {
                let s = self.pop_src();
                self.emit(Instr::ThrowRef { s });
                self.set_unreachable();
            }
            Operator::Rethrow { relative_depth } => {
                let i = self.ctrl.len() - 1 - relative_depth as usize;
                let eh = self.ctrl[i]
                    .eh
                    .as_mut()
                    .expect("validated: rethrow in a catch");
                eh.rethrown = true;
                let s = eh.exn_slot;
                let s = self.slot(s);
                self.emit(Instr::ThrowRef { s });
                self.set_unreachable();
            }
            Operator::Br { relative_depth } => {
                self.branch(relative_depth);
                self.set_unreachable();
            }
            Operator::BrIf { relative_depth } => self.branch_if(relative_depth),
            Operator::BrTable { ref targets } => {
                let default = targets.default();
                let list = targets
                    .targets()
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| e.to_string())?;
                self.branch_table(list, default);
            }
            Operator::Return => {
                self.emit_return(self.ctrl[0].results.len());
                self.set_unreachable();
            }
            Operator::Call { function_index } => self.call(Callee::Direct(function_index)),
            Operator::CallIndirect {
                type_index,
                table_index,
            } => self.call(Callee::Indirect {
                type_index,
                table: table_index,
            }),
            Operator::CallRef { type_index } => self.call(Callee::Ref { type_index }),
            Operator::ReturnCall { function_index } => {
                self.tail_call(Callee::Direct(function_index));
            }
            Operator::ReturnCallIndirect {
                type_index,
                table_index,
            } => self.tail_call(Callee::Indirect {
                type_index,
                table: table_index,
            }),
            Operator::ReturnCallRef { type_index } => self.tail_call(Callee::Ref { type_index }),
            Operator::BrOnNull { relative_depth } => self.branch_on_null(relative_depth, true),
            Operator::BrOnNonNull { relative_depth } => self.branch_on_null(relative_depth, false),
            Operator::RefAsNonNull => {
                let s = self.slot(self.stack.last().expect("validated: a reference").src);
                self.emit(Instr::RefAsNonNull { s });
            }
            Operator::Drop => {
                self.pop();
            }
            Operator::Select | Operator::TypedSelect { .. } | Operator::TypedSelectMulti { .. } => {
                let cond = self.pop_src();
                let b = self.pop_src();
                let a = self.pop();
                let asrc = self.slot(a.src);
                let d = self.push(a.ty);
                if width(a.ty) == 2 {
                    self.emit(Instr::Select2 {
                        d,
                        cond,
                        a: asrc,
                        b,
                    });
                } else {
                    self.emit_def(Instr::Select {
                        d,
                        cond,
                        a: asrc,
                        b,
                    });
                }
            }
            Operator::LocalGet { local_index } => {
                let i = local_index as usize;
                let (ty, slot) = (self.local_types[i], self.local_slots[i]);
                self.push_from(ty, slot);
            }
            Operator::LocalSet { local_index } => self.local_set(local_index, false),
            Operator::LocalTee { local_index } => self.local_set(local_index, true),
            Operator::GlobalGet { global_index } => {
                let ty = self.types.globals[global_index as usize];
                let d = self.push(ty);
                if width(ty) == 2 {
                    self.emit(Instr::Global2 {
                        slot: d,
                        index: global_index,
                        set: false,
                    });
                } else {
                    self.emit_def(Instr::GlobalGet {
                        d,
                        index: global_index,
                    });
                }
            }
            Operator::GlobalSet { global_index } => {
                let v = self.pop();
                let s = self.slot(v.src);
                if width(v.ty) == 2 {
                    self.emit(Instr::Global2 {
                        slot: s,
                        index: global_index,
                        set: true,
                    });
                } else if !self.fuse_global_add(&v, global_index) {
                    self.emit(Instr::GlobalSet {
                        s,
                        index: global_index,
                    });
                }
            }
            Operator::I32Const { value } => self.push_const(I32, value as u32 as u64),
            Operator::I64Const { value } => self.push_const(I64, value as u64),
            Operator::F32Const { value } => self.push_const(F32, u64::from(value.bits())),
            Operator::F64Const { value } => self.push_const(F64, value.bits()),
            Operator::V128Const { value } => {
                self.push_const128(u128::from_le_bytes(*value.bytes()))
            }
            Operator::RefNull { hty } => {
                let ty = match hty {
                    wasmparser::HeapType::Abstract {
                        ty: wasmparser::AbstractHeapType::Extern,
                        ..
                    } => ExternRef,
                    _ => FuncRef,
                };
                self.push_const(ty, 0);
            }
            Operator::RefIsNull => self.unary(I32, |d, a| Instr::I64Eqz { d, a }),
            Operator::RefFunc { function_index } => {
                let d = self.push(FuncRef);
                self.emit_def(Instr::RefFunc {
                    d,
                    func: function_index,
                });
            }
            Operator::I32ReinterpretF32 => self.retype(I32),
            Operator::I64ReinterpretF64 => self.retype(I64),
            Operator::F32ReinterpretI32 => self.retype(F32),
            Operator::F64ReinterpretI64 => self.retype(F64),

            Operator::I32Load { memarg } | Operator::F32Load { memarg } => {
                let ty = if matches!(op, Operator::I32Load { .. }) {
                    I32
                } else {
                    F32
                };
                self.load(ty, memarg.offset, |d, addr, offset| Instr::I32Load {
                    d,
                    addr,
                    offset,
                })
            }
            Operator::I64Load { memarg } | Operator::F64Load { memarg } => {
                let ty = if matches!(op, Operator::I64Load { .. }) {
                    I64
                } else {
                    F64
                };
                self.load(ty, memarg.offset, |d, addr, offset| Instr::I64Load {
                    d,
                    addr,
                    offset,
                })
            }
            Operator::I32Load8S { memarg } => self.load(I32, memarg.offset, |d, addr, offset| {
                Instr::I32Load8S { d, addr, offset }
            }),
            Operator::I32Load8U { memarg } => self.load(I32, memarg.offset, |d, addr, offset| {
                Instr::I32Load8U { d, addr, offset }
            }),
            Operator::I32Load16S { memarg } => self.load(I32, memarg.offset, |d, addr, offset| {
                Instr::I32Load16S { d, addr, offset }
            }),
            Operator::I32Load16U { memarg } => self.load(I32, memarg.offset, |d, addr, offset| {
                Instr::I32Load16U { d, addr, offset }
            }),
            Operator::I64Load8S { memarg } => self.load(I64, memarg.offset, |d, addr, offset| {
                Instr::I64Load8S { d, addr, offset }
            }),
            Operator::I64Load8U { memarg } => self.load(I64, memarg.offset, |d, addr, offset| {
                Instr::I64Load8U { d, addr, offset }
            }),
            Operator::I64Load16S { memarg } => self.load(I64, memarg.offset, |d, addr, offset| {
                Instr::I64Load16S { d, addr, offset }
            }),
            Operator::I64Load16U { memarg } => self.load(I64, memarg.offset, |d, addr, offset| {
                Instr::I64Load16U { d, addr, offset }
            }),
            Operator::I64Load32S { memarg } => self.load(I64, memarg.offset, |d, addr, offset| {
                Instr::I64Load32S { d, addr, offset }
            }),
            Operator::I64Load32U { memarg } => self.load(I64, memarg.offset, |d, addr, offset| {
                Instr::I64Load32U { d, addr, offset }
            }),
            Operator::I32Store8 { memarg } | Operator::I64Store8 { memarg } => {
                self.store(memarg.offset, |addr, value, offset| Instr::Store8 {
                    addr,
                    value,
                    offset,
                })
            }
            Operator::I32Store16 { memarg } | Operator::I64Store16 { memarg } => {
                self.store(memarg.offset, |addr, value, offset| Instr::Store16 {
                    addr,
                    value,
                    offset,
                })
            }
            Operator::I32Store { memarg }
            | Operator::F32Store { memarg }
            | Operator::I64Store32 { memarg } => {
                self.store(memarg.offset, |addr, value, offset| Instr::Store32 {
                    addr,
                    value,
                    offset,
                })
            }
            Operator::I64Store { memarg } | Operator::F64Store { memarg } => {
                self.store(memarg.offset, |addr, value, offset| Instr::Store64 {
                    addr,
                    value,
                    offset,
                })
            }
            Operator::MemorySize { .. } => {
                let d = self.push(I32);
                self.emit_def(Instr::MemorySize { d });
            }
            Operator::MemoryGrow { mem } if self.is_memory64(mem) => {
                let delta = self.pop_src();
                let d = self.push(I64);
                self.emit_def(Instr::MemoryGrowOther {
                    d,
                    delta,
                    memory: memory_index(mem),
                    wide: true,
                });
            }
            Operator::MemoryFill { mem } if self.is_memory64(mem) => {
                let (len, value, dst) = (self.pop_src(), self.pop_src(), self.pop_src());
                self.emit(Instr::MemoryFill {
                    dst,
                    value,
                    len,
                    memory: memory_index(mem),
                    wide: true,
                });
            }
            Operator::MemoryInit { data_index, mem } if self.is_memory64(mem) => {
                let (len, src, dst) = (self.pop_src(), self.pop_src(), self.pop_src());
                self.emit(Instr::MemoryInit {
                    segment: data_index,
                    dst,
                    src,
                    len,
                    memory: memory_index(mem),
                    wide: true,
                });
            }
            Operator::MemoryCopy { dst_mem, src_mem }
                if dst_mem != src_mem || self.is_memory64(dst_mem) =>
            {
                let (len, src, dst) = (self.pop_src(), self.pop_src(), self.pop_src());
                let (d64, s64) = (self.is_memory64(dst_mem), self.is_memory64(src_mem));
                self.emit(Instr::MemoryCopyBetween {
                    dst,
                    src,
                    len,
                    dst_memory: memory_index(dst_mem),
                    src_memory: memory_index(src_mem),
                    widths: u8::from(d64) | u8::from(s64) << 1 | u8::from(d64 && s64) << 2,
                });
            }
            Operator::MemoryGrow { mem } if mem != 0 => {
                let delta = self.pop_src();
                let d = self.push(I32);
                self.emit_def(Instr::MemoryGrowOther {
                    d,
                    delta,
                    memory: memory_index(mem),
                    wide: false,
                });
            }
            Operator::MemoryGrow { .. } => {
                let delta = self.pop_src();
                let d = self.push(I32);
                self.emit_def(Instr::MemoryGrow { d, delta });
            }
            Operator::MemoryFill { .. } => {
                let (len, value, dst) = (self.pop_src(), self.pop_src(), self.pop_src());
                self.emit(Instr::MemoryFill {
                    dst,
                    value,
                    len,
                    memory: 0,
                    wide: false,
                });
            }
            Operator::MemoryCopy { .. } => {
                let (len, src, dst) = (self.pop_src(), self.pop_src(), self.pop_src());
                self.emit(Instr::MemoryCopy { dst, src, len });
            }
            Operator::MemoryInit { data_index, .. } => {
                let (len, src, dst) = (self.pop_src(), self.pop_src(), self.pop_src());
                self.emit(Instr::MemoryInit {
                    segment: data_index,
                    dst,
                    src,
                    len,
                    memory: 0,
                    wide: false,
                });
            }
            Operator::DataDrop { data_index } => {
                self.emit(Instr::SegmentDrop {
                    elem: false,
                    segment: data_index,
                });
            }
            Operator::TableGet { table } => {
                let index = self.pop_src();
                let ty = self.types.tables[table as usize];
                let d = self.push(ty);
                self.emit_def(Instr::TableGet { d, index, table });
            }
            Operator::TableSet { table } => {
                let (value, index) = (self.pop_src(), self.pop_src());
                self.emit(Instr::TableSet {
                    table,
                    index,
                    value,
                });
            }
            Operator::TableSize { table } => {
                let d = self.push(I32);
                self.emit_def(Instr::TableSize { d, table });
            }
            Operator::TableGrow { table } => {
                let (delta, init) = (self.pop_src(), self.pop_src());
                let d = self.push(I32);
                self.emit_def(Instr::TableGrow {
                    d,
                    table,
                    init,
                    delta,
                });
            }
            Operator::TableFill { table } => {
                let (len, value, dst) = (self.pop_src(), self.pop_src(), self.pop_src());
                self.emit(Instr::TableFill {
                    table,
                    dst,
                    value,
                    len,
                });
            }
            Operator::TableCopy {
                dst_table,
                src_table,
            } => {
                let (len, src, dst) = (self.pop_src(), self.pop_src(), self.pop_src());
                self.emit(Instr::TableCopy {
                    dst_table,
                    src_table,
                    dst,
                    src,
                    len,
                });
            }
            Operator::TableInit { elem_index, table } => {
                let (len, src, dst) = (self.pop_src(), self.pop_src(), self.pop_src());
                self.emit(Instr::TableInit {
                    segment: elem_index,
                    table,
                    dst,
                    src,
                    len,
                });
            }
            Operator::ElemDrop { elem_index } => {
                self.emit(Instr::SegmentDrop {
                    elem: true,
                    segment: elem_index,
                });
            }
            _ => self.simd(op)?,
        }
        Ok(())
    }

    /// Reinterprets the top value as `ty`: the bits in the slot do not change.
    fn retype(&mut self, ty: ValueType) {
        let e = self.stack.last_mut().expect("validated");
        e.ty = ty;
    }

    fn simd(&mut self, op: &Operator<'_>) -> Result<(), String> {
        use ValueType::*;
        if let Some((mem_op, memarg)) = simd_mem_op(op) {
            let offset = memarg.offset as u32;
            match mem_op {
                SimdMemOp::Load128 => {
                    let addr = self.pop_src();
                    let d = self.push(V128);
                    self.emit(Instr::V128Load { d, addr, offset });
                }
                SimdMemOp::Store128 => {
                    let (value, addr) = (self.pop_src(), self.pop_src());
                    self.emit(Instr::V128Store {
                        addr,
                        value,
                        offset,
                    });
                }
                SimdMemOp::LoadExtend { bytes, f } => {
                    let addr = self.pop_src();
                    let d = self.push(V128);
                    self.emit(Instr::V128LoadExt {
                        d,
                        addr,
                        offset,
                        bytes,
                    });
                    self.emit(Instr::V128Payload(f));
                }
                SimdMemOp::LoadLane { bytes, lane } => {
                    let (v, addr) = (self.pop_src(), self.pop_src());
                    let d = self.push(V128);
                    self.emit(Instr::V128LoadLane {
                        d,
                        addr,
                        v,
                        offset,
                        bytes,
                        lane,
                    });
                }
                SimdMemOp::StoreLane { bytes, lane } => {
                    let (v, addr) = (self.pop_src(), self.pop_src());
                    self.emit(Instr::V128StoreLane {
                        addr,
                        v,
                        offset,
                        bytes,
                        lane,
                    });
                }
            }
            return Ok(());
        }
        if let Some(t) = crate::simd::relaxed_ternary(op) {
            let (c, b, a) = (self.pop_src(), self.pop_src(), self.pop_src());
            // `d` is the home of `a`'s stack position: no operand's source
            // (its own home, a local or a constant) is `d` but `a`'s, which
            // the first step reads before writing.
            let d = self.push(V128);
            self.emit(Instr::V128Binary {
                d,
                a,
                b,
                f: t.first,
            });
            if let Some(f) = t.then {
                self.emit(Instr::V128Unary { d, a: d, f });
            }
            let (x, y) = if t.c_first { (c, d) } else { (d, c) };
            self.emit(Instr::V128Binary {
                d,
                a: x,
                b: y,
                f: t.last,
            });
            return Ok(());
        }
        let Some(simd) = simd_op(op) else {
            return Err(format!(
                "operator {op:?} is not supported by the interpreter"
            ));
        };
        match simd {
            SimdOp::Unary(f) => {
                let a = self.pop_src();
                let d = self.push(V128);
                self.emit(Instr::V128Unary { d, a, f });
            }
            SimdOp::Binary(f) => {
                let (b, a) = (self.pop_src(), self.pop_src());
                let d = self.push(V128);
                self.emit(Instr::V128Binary { d, a, b, f });
            }
            SimdOp::Bitselect => {
                let (c, b, a) = (self.pop_src(), self.pop_src(), self.pop_src());
                let d = self.push(V128);
                self.emit(Instr::V128Bitselect { d, a, b, c });
            }
            SimdOp::Shift(f) => {
                let (s, a) = (self.pop_src(), self.pop_src());
                let d = self.push(V128);
                self.emit(Instr::V128Shift { d, a, s, f });
            }
            SimdOp::Test(f) => {
                let a = self.pop_src();
                let d = self.push(I32);
                self.emit(Instr::V128Test { d, a, f });
            }
            SimdOp::Splat(f) => {
                let a = self.pop_src();
                let d = self.push(V128);
                self.emit(Instr::V128Splat { d, a, f });
            }
            SimdOp::ExtractLane(f, lane) => {
                let ty = match op {
                    Operator::I64x2ExtractLane { .. } => I64,
                    Operator::F32x4ExtractLane { .. } => F32,
                    Operator::F64x2ExtractLane { .. } => F64,
                    _ => I32,
                };
                let a = self.pop_src();
                let d = self.push(ty);
                self.emit(Instr::V128Extract { d, a, lane, f });
            }
            SimdOp::ReplaceLane(f, lane) => {
                let (b, a) = (self.pop_src(), self.pop_src());
                let d = self.push(V128);
                self.emit(Instr::V128Replace { d, a, b, lane, f });
            }
            SimdOp::Shuffle(lanes) => {
                // The lane indices are a v128 constant; one beyond the constant slots
                // is materialized in the home above `a` and `b`, read before `d` is written.
                self.push_const128(u128::from_le_bytes(lanes));
                let lanes = self.pop_src();
                let (b, a) = (self.pop_src(), self.pop_src());
                let d = self.push(V128);
                self.emit(Instr::I8x16Shuffle { d, a, b, lanes });
            }
        }
        Ok(())
    }
}

/// `def` (an `i32.shl` by a constant, into the accumulator) and `add` (an
/// `i32.add` of it, from the accumulator, and a slot) as one instruction.
fn fuse_add_shl(def: &Instr, add: &Instr) -> Option<Instr> {
    use crate::code::{BinaryOp, ACC};
    let Instr::BinaryImm {
        op: BinaryOp::I32Shl,
        d: ACC,
        a: index,
        imm,
        ..
    } = *def
    else {
        return None;
    };
    let (d, base) = match *add {
        Instr::I32Add { d, a: ACC, b } | Instr::I32Add { d, a: b, b: ACC } => (d, b),
        _ => return None,
    };
    let fused = Instr::I32AddShl {
        d,
        base,
        index,
        shift: (imm & 31) as u8,
    };
    Some(fused)
}

/// `def` and `next`, two operations with constants on an `i32` (`def`'s
/// result in the accumulator, which only `next` reads) that make a bit
/// field: a shift right then a mask, or a mask then a shift left.
fn fuse_bit_field(def: &Instr, next: &Instr) -> Option<Instr> {
    use crate::code::{BinaryOp, ACC};
    let (
        Instr::BinaryImm {
            op: first,
            d: ACC,
            a,
            imm: first_imm,
            ..
        },
        Instr::BinaryImm {
            op: second,
            d,
            a: ACC,
            imm: second_imm,
            ..
        },
    ) = (*def, *next)
    else {
        return None;
    };
    let fused = match (first, second) {
        (BinaryOp::I32ShrU, BinaryOp::I32And) => Instr::I32ShrUAnd {
            d,
            a,
            shift: (first_imm & 31) as u8,
            mask: second_imm,
        },
        (BinaryOp::I32And, BinaryOp::I32Shl) => Instr::I32AndShl {
            d,
            a,
            mask: first_imm,
            shift: (second_imm & 31) as u8,
        },
        _ => return None,
    };
    Some(fused)
}

/// `def` (an `i32.load` into the accumulator) and `load` (an `i32.load`
/// from the address it loaded) as one instruction.
fn fuse_load_load(def: &Instr, load: &Instr) -> Option<Instr> {
    use crate::code::ACC;
    let (
        Instr::I32Load {
            d: ACC,
            addr,
            offset: first,
        },
        Instr::I32Load {
            d,
            addr: ACC,
            offset: second,
        },
    ) = (*def, *load)
    else {
        return None;
    };
    let fused = Instr::I32LoadLoad {
        d,
        addr,
        first,
        second,
    };
    Some(fused)
}

/// `def` (a load into the accumulator, from an address in a slot) and
/// `store` (a store of the accumulator, of the bytes loaded, to an address
/// in a slot) as a move from memory to memory.
fn fuse_move(def: &Instr, store: &Instr) -> Option<Instr> {
    use crate::code::ACC;
    let (src, src_offset) = match *def {
        Instr::I32Load8U {
            d: ACC,
            addr,
            offset,
        }
        | Instr::I32Load8S {
            d: ACC,
            addr,
            offset,
        }
        | Instr::I64Load8U {
            d: ACC,
            addr,
            offset,
        }
        | Instr::I64Load8S {
            d: ACC,
            addr,
            offset,
        }
        | Instr::I32Load {
            d: ACC,
            addr,
            offset,
        }
        | Instr::I64Load32U {
            d: ACC,
            addr,
            offset,
        }
        | Instr::I64Load32S {
            d: ACC,
            addr,
            offset,
        }
        | Instr::I64Load {
            d: ACC,
            addr,
            offset,
        } => (addr, offset),
        _ => return None,
    };
    let loaded = match *def {
        Instr::I64Load { .. } => 8,
        Instr::I32Load { .. } | Instr::I64Load32U { .. } | Instr::I64Load32S { .. } => 4,
        _ => 1,
    };
    let fused = match *store {
        Instr::Store8 {
            addr: dst,
            value: ACC,
            offset: dst_offset,
        } if loaded == 1 => Instr::Move8 {
            dst,
            dst_offset,
            src,
            src_offset,
        },
        Instr::Store32 {
            addr: dst,
            value: ACC,
            offset: dst_offset,
        } if loaded == 4 => Instr::Move32 {
            dst,
            dst_offset,
            src,
            src_offset,
        },
        Instr::Store64 {
            addr: dst,
            value: ACC,
            offset: dst_offset,
        } if loaded == 8 => Instr::Move64 {
            dst,
            dst_offset,
            src,
            src_offset,
        },
        _ => return None,
    };
    if src == ACC
        || matches!(
            fused,
            Instr::Move8 { dst: ACC, .. }
                | Instr::Move32 { dst: ACC, .. }
                | Instr::Move64 { dst: ACC, .. }
        )
    {
        return None;
    }
    Some(fused)
}

/// `def` (an `i32.add` or `i32.sub` of a constant, into the accumulator)
/// and a `br_table` on it as one `br_table` with a bias.
fn fuse_table_bias(def: &Instr, table: &Instr) -> Option<Instr> {
    use crate::code::{BinaryOp, ACC};
    let (
        Instr::BinaryImm {
            op, d: ACC, a, imm, ..
        },
        Instr::BrTable {
            index: ACC,
            len,
            bias: 0,
        },
    ) = (*def, *table)
    else {
        return None;
    };
    let bias = match op {
        BinaryOp::I32Add => imm,
        BinaryOp::I32Sub => imm.wrapping_neg(),
        _ => return None,
    };
    let fused = Instr::BrTable {
        index: a,
        len,
        bias,
    };
    Some(fused)
}

/// `def` (an `i32.add` of a constant, into the accumulator) and `load` (a
/// scalar load at that address, from the accumulator) as one instruction.
/// An `i32.load` whose value a `br_if` (or an `if`) after it tests for
/// zero, through the accumulator: one [`Instr::BrIfLoad`], which writes the
/// value to `temp`, the temporary it was loaded into (nothing else reads
/// it). (A load kept in a local: [`Translator::fuse_tee_load_branch`].)
fn fuse_load_branch(def: &Instr, branch: &Instr, temp: Slot) -> Option<Instr> {
    match load_branch(def, branch)? {
        Instr::BrIfLoad {
            d: ACC,
            addr,
            offset,
            target,
            nez,
        } => Some(Instr::BrIfLoad {
            d: temp,
            addr,
            offset,
            target,
            nez,
        }),
        _ => None,
    }
}

/// `branch`, a `br_if` or an `if` on what `load`, an `i32.load`, writes
/// (its slot, or the accumulator), with the load: one [`Instr::BrIfLoad`]
/// writing where the load did.
fn load_branch(load: &Instr, branch: &Instr) -> Option<Instr> {
    let Instr::I32Load { d, addr, offset } = *load else {
        return None;
    };
    let (cond, target, nez) = match *branch {
        Instr::BrIfNez { cond, target } => (cond, target, true),
        Instr::BrIfEqz { cond, target } => (cond, target, false),
        _ => return None,
    };
    (cond == d).then_some(Instr::BrIfLoad {
        d,
        addr,
        offset,
        target,
        nez,
    })
}

fn fuse_load_plus(def: &Instr, load: &Instr) -> Option<Instr> {
    use crate::code::{BinaryOp, ACC};
    let Instr::BinaryImm {
        op: BinaryOp::I32Add,
        d: ACC,
        a: addr,
        imm,
        ..
    } = *def
    else {
        return None;
    };
    if !load.acc_mode().first {
        return None;
    }
    load.load_plus(addr, imm)
}

/// `def` (an `i32.add` of two values, into the accumulator) and `load` (a
/// scalar load at that address, from the accumulator) as one instruction.
/// An addend the accumulator holds comes first, where the fused handlers
/// take it.
fn fuse_load_indexed(def: &Instr, load: &Instr) -> Option<Instr> {
    use crate::code::ACC;
    let Instr::I32Add { d: ACC, a, b } = *def else {
        return None;
    };
    if !load.acc_mode().first {
        return None;
    }
    let (a, b) = if b == ACC { (b, a) } else { (a, b) };
    load.load_indexed(a, b)
}

/// `add` (an `i32.add` that writes a local) and `load` (a scalar load at
/// that local's value, right after it) as one instruction that does both.
fn fuse_add_tee_load(add: Instr, load: Instr) -> Option<Instr> {
    use crate::code::{BinaryOp, ACC};
    let (kind, d, addr, offset) = load.load_parts()?;
    match add {
        Instr::I32Add { d: t, a, b } if t == addr && t != ACC && b != ACC => {
            Some(Instr::LoadIndexedTee {
                kind,
                d,
                a,
                b,
                t,
                offset,
            })
        }
        Instr::BinaryImm {
            op: BinaryOp::I32Add,
            d: t,
            a,
            imm,
            ..
        } if t == addr && t != ACC => Some(Instr::LoadPlusTee {
            kind,
            d,
            addr: a,
            imm,
            t,
            offset,
        }),
        _ => None,
    }
}

/// Pairs every instruction with its handler, making branch targets relative,
/// after the function's `prologue` (see `CompiledFunc::ops`), if any.
fn lower(prologue: Option<Instr>, code: Vec<Instr>) -> Box<[Op]> {
    let prologue = prologue.map(|instr| Op {
        handler: crate::threaded::handler_of(&instr),
        instr,
    });
    let skip = usize::from(prologue.is_some());
    let mut ops: Box<[Op]> = prologue
        .into_iter()
        .chain(code.into_iter().enumerate().map(|(at, mut instr)| {
            let mut backward = false;
            if let Some(target) = branch_target(&mut instr) {
                let offset = i64::from(*target) - at as i64;
                *target = offset as i32 as u32;
                backward = offset <= 0;
            }
            // Backward branches close loops and get handlers that check for
            // interrupts; forward ones do not pay for the check.
            let handler = crate::threaded::handler_for(&instr, backward)
                .expect("the accumulator is used only by instructions with a form for it");
            Op { handler, instr }
        }))
        .collect();
    fuse_copies(&mut ops[skip..]);
    ops
}

/// Makes a copy followed by another copy, a jump or a return one
/// instruction that does both, in place of the first: the second stays
/// where it is, for the branches that land on it, so no branch target moves.
/// Copies are the most frequent instruction in real programs (moves between
/// locals at the ends of blocks and loops, arguments, results), and this
/// saves a dispatch on each pair.
fn fuse_copies(ops: &mut [Op]) {
    use crate::code::ACC;
    for at in 0..ops.len().saturating_sub(1) {
        let Instr::Copy { d, s } = ops[at].instr else {
            continue;
        };
        if d == ACC || s == ACC {
            continue;
        }
        let fused = match ops[at + 1].instr {
            Instr::Copy { d: d1, s: s1 } if d1 != ACC && s1 != ACC => {
                match ops.get(at + 2).map(|op| op.instr) {
                    Some(Instr::Br { target }) => Instr::CopyPairBr {
                        d0: d,
                        s0: s,
                        d1,
                        s1,
                        target: target.wrapping_add(2),
                    },
                    _ => Instr::CopyPair {
                        d0: d,
                        s0: s,
                        d1,
                        s1,
                    },
                }
            }
            Instr::CallInternal { func, base } => Instr::CopyCallInternal { d, s, func, base },
            Instr::I32Load {
                d: ld,
                addr,
                offset,
            } if ld != ACC && addr != ACC => Instr::CopyI32Load {
                d,
                s,
                ld,
                addr,
                offset,
            },
            Instr::Br { target } => Instr::CopyBr {
                d,
                s,
                target: target.wrapping_add(1),
            },
            Instr::Return => Instr::CopyReturn { d, s },
            Instr::BrIfEqz { cond, target } if cond != ACC => Instr::CopyBrIfEqz {
                d,
                s,
                cond,
                target: target.wrapping_add(1),
            },
            Instr::BrIfNez { cond, target } if cond != ACC => Instr::CopyBrIfNez {
                d,
                s,
                cond,
                target: target.wrapping_add(1),
            },
            _ => continue,
        };
        // The jump's own offset says its direction (see `lower`).
        let backward = match fused {
            Instr::CopyPairBr { .. } => {
                matches!(ops[at + 2].instr, Instr::Br { target } if target as i32 <= 0)
            }
            _ => matches!(
                ops[at + 1].instr,
                Instr::Br { target }
                    | Instr::BrIfEqz { target, .. }
                    | Instr::BrIfNez { target, .. }
                    if target as i32 <= 0
            ),
        };
        if let Some(handler) = crate::threaded::handler_for(&fused, backward) {
            ops[at] = Op {
                handler,
                instr: fused,
            };
        }
    }
}

/// `op` with its memory offset's high 32 bits cleared (see
/// [`Translator::access64`]).
fn with_low_offset(op: Operator<'_>) -> Operator<'_> {
    let mut op = op;
    if let Some(memarg) = memarg_mut(&mut op) {
        memarg.offset &= u64::from(u32::MAX);
    }
    op
}

/// How many operands a load (1) or store (2) pops.
fn operand_count(op: &Operator<'_>) -> usize {
    use Operator as O;
    match op {
        O::I32Store { .. }
        | O::I64Store { .. }
        | O::F32Store { .. }
        | O::F64Store { .. }
        | O::I32Store8 { .. }
        | O::I32Store16 { .. }
        | O::I64Store8 { .. }
        | O::I64Store16 { .. }
        | O::I64Store32 { .. }
        | O::V128Store { .. }
        | O::V128Store8Lane { .. }
        | O::V128Store16Lane { .. }
        | O::V128Store32Lane { .. }
        | O::V128Store64Lane { .. }
        | O::V128Load8Lane { .. }
        | O::V128Load16Lane { .. }
        | O::V128Load32Lane { .. }
        | O::V128Load64Lane { .. } => 2,
        _ => 1,
    }
}

/// The memory and offset of a load or store.
fn memory_access(op: &Operator<'_>) -> Option<(u32, u64)> {
    let mut op = op.clone();
    let memarg = memarg_mut(&mut op)?;
    match memarg.target {
        wasmparser::MemArgTarget::Memory(m) => Some((m, memarg.offset)),
        wasmparser::MemArgTarget::Array(_) => None,
    }
}

/// The memory immediate of a load or store.
fn memarg_mut<'a>(op: &'a mut Operator<'_>) -> Option<&'a mut wasmparser::MemArg> {
    use Operator as O;
    match op {
        O::I32Load { memarg }
        | O::I64Load { memarg }
        | O::F32Load { memarg }
        | O::F64Load { memarg }
        | O::I32Load8S { memarg }
        | O::I32Load8U { memarg }
        | O::I32Load16S { memarg }
        | O::I32Load16U { memarg }
        | O::I64Load8S { memarg }
        | O::I64Load8U { memarg }
        | O::I64Load16S { memarg }
        | O::I64Load16U { memarg }
        | O::I64Load32S { memarg }
        | O::I64Load32U { memarg }
        | O::I32Store { memarg }
        | O::I64Store { memarg }
        | O::F32Store { memarg }
        | O::F64Store { memarg }
        | O::I32Store8 { memarg }
        | O::I32Store16 { memarg }
        | O::I64Store8 { memarg }
        | O::I64Store16 { memarg }
        | O::I64Store32 { memarg }
        | O::V128Load { memarg }
        | O::V128Load8x8S { memarg }
        | O::V128Load8x8U { memarg }
        | O::V128Load16x4S { memarg }
        | O::V128Load16x4U { memarg }
        | O::V128Load32x2S { memarg }
        | O::V128Load32x2U { memarg }
        | O::V128Load8Splat { memarg }
        | O::V128Load16Splat { memarg }
        | O::V128Load32Splat { memarg }
        | O::V128Load64Splat { memarg }
        | O::V128Load32Zero { memarg }
        | O::V128Load64Zero { memarg }
        | O::V128Store { memarg }
        | O::V128Load8Lane { memarg, .. }
        | O::V128Load16Lane { memarg, .. }
        | O::V128Load32Lane { memarg, .. }
        | O::V128Load64Lane { memarg, .. }
        | O::V128Store8Lane { memarg, .. }
        | O::V128Store16Lane { memarg, .. }
        | O::V128Store32Lane { memarg, .. }
        | O::V128Store64Lane { memarg, .. } => Some(memarg),
        _ => None,
    }
}

/// The memory other than 0 that `op` works on, if any: its accesses, size,
/// fill, initialization, or copy within it (a copy between two memories and
/// `memory.grow` have instructions of their own).
/// `access` is the memory of `op` if it is a load or store ([`memory_access`]).
fn selected_memory(op: &Operator<'_>, access: Option<u32>) -> Option<u32> {
    use Operator as O;
    let memory = match op {
        O::MemorySize { mem } | O::MemoryFill { mem } | O::MemoryInit { mem, .. } => *mem,
        O::MemoryCopy { dst_mem, src_mem } if dst_mem == src_mem => *dst_mem,
        _ => access?,
    };
    (memory != 0).then_some(memory)
}

/// What a call instruction calls.
#[derive(Debug, Clone, Copy)]
enum Callee {
    /// Function `index` of the module (`call`).
    Direct(u32),
    /// Through `table`, checked against `type_index` (`call_indirect`).
    Indirect { type_index: u32, table: u32 },
    /// The function reference on top of the stack, of type `type_index`
    /// (`call_ref`).
    Ref { type_index: u32 },
}

fn patch(instr: &mut Instr, target: u32) {
    *branch_target(instr).expect("only branches are patched") = target;
}

fn branch_target(instr: &mut Instr) -> Option<&mut u32> {
    match instr {
        Instr::Br { target: t }
        | Instr::BrIfNez { target: t, .. }
        | Instr::BrIfLoad { target: t, .. }
        | Instr::BrIfEqz { target: t, .. }
        | Instr::BrIfI32Eq { target: t, .. }
        | Instr::BrIfI32Ne { target: t, .. }
        | Instr::BrIfI32LtS { target: t, .. }
        | Instr::BrIfI32LtU { target: t, .. }
        | Instr::BrIfI32GtS { target: t, .. }
        | Instr::BrIfI32GtU { target: t, .. }
        | Instr::BrIfI32LeS { target: t, .. }
        | Instr::BrIfI32LeU { target: t, .. }
        | Instr::BrIfI32GeS { target: t, .. }
        | Instr::BrIfI32GeU { target: t, .. }
        | Instr::BrIfI64Eq { target: t, .. }
        | Instr::BrIfI64Ne { target: t, .. }
        | Instr::BrIfI64LtS { target: t, .. }
        | Instr::BrIfI64LtU { target: t, .. }
        | Instr::BrIfI64GtS { target: t, .. }
        | Instr::BrIfI64GtU { target: t, .. }
        | Instr::BrIfI64LeS { target: t, .. }
        | Instr::BrIfI64LeU { target: t, .. }
        | Instr::BrIfI64GeS { target: t, .. }
        | Instr::BrIfI64GeU { target: t, .. }
        | Instr::BrIfI32AndEqz { target: t, .. }
        | Instr::BrIfI32AndNez { target: t, .. }
        | Instr::BrIfImm { target: t, .. } => Some(t),
        _ => None,
    }
}

fn val_type(t: wasmparser::ValType) -> ValueType {
    match t {
        wasmparser::ValType::I32 => ValueType::I32,
        wasmparser::ValType::I64 => ValueType::I64,
        wasmparser::ValType::F32 => ValueType::F32,
        wasmparser::ValType::F64 => ValueType::F64,
        wasmparser::ValType::V128 => ValueType::V128,
        wasmparser::ValType::Ref(r) if r == wasmparser::RefType::EXTERNREF => ValueType::ExternRef,
        wasmparser::ValType::Ref(_) => ValueType::FuncRef,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Translates the single function of `wat`.
    pub(crate) fn translate_wat(wat: &str) -> CompiledFunc {
        let wasm = wat::parse_str(wat).unwrap();
        let features = wazero_api::CoreFeatures::default();
        let module = wazero_decoder::decode(&wasm, features).unwrap();
        let module = wazero_validator::validate(module, features).unwrap();
        translate(&module, &ModuleTypes::of(&module), 0).unwrap()
    }

    /// `f`'s ops but its `Return`s, each named by `special`, or else by its
    /// variant; with `modes`, followed by a colon and the operands it takes
    /// from or leaves in the accumulator (`a`, `b`, `o`).
    fn listing(
        f: &CompiledFunc,
        special: impl Fn(&Instr) -> Option<String>,
        modes: bool,
    ) -> Vec<String> {
        f.code()
            .iter()
            .filter(|op| !matches!(op.instr, Instr::Return))
            .map(|op| {
                let name = special(&op.instr).unwrap_or_else(|| {
                    format!("{:?}", op.instr)
                        .split([' ', '('])
                        .next()
                        .unwrap_or_default()
                        .to_owned()
                });
                if !modes {
                    return name;
                }
                let mode = op.instr.acc_mode();
                let flags: String = [(mode.first, 'a'), (mode.second, 'b'), (mode.result, 'o')]
                    .iter()
                    .filter(|(on, _)| *on)
                    .map(|(_, c)| *c)
                    .collect();
                format!("{name}:{flags}")
            })
            .collect()
    }

    /// Only the constants an instruction reads from a slot keep one, after
    /// the locals (zeroed), in their first-use order; the results' slots keep
    /// their numbers, and the temporaries move down.
    #[test]
    fn only_constants_read_from_slots_take_slots() {
        let f32_bits = u64::from(1.5f32.to_bits());
        let cases: &[(&str, &str, &[u64])] = &[
            (
                "immediates take no slot",
                "(param i32) (result i32) local.get 0 i32.const 5 i32.add i32.const 7 i32.mul",
                &[],
            ),
            (
                "a stored constant is the store's immediate",
                "(param i32) local.get 0 i32.const 3 i32.add i32.const 9 i32.store",
                &[],
            ),
            (
                "a stored constant of more than 32 bits keeps its slot",
                "(param i32) local.get 0 i32.const 3 i32.add i64.const 0x100000000 i64.store",
                &[0x1_0000_0000],
            ),
            (
                "a local assigned before it is read needs no zero; \
                 a constant only copied sets it and takes no slot",
                "(local i64) i64.const 0x100000000 local.set 0",
                &[],
            ),
            (
                "a constant also read by another instruction keeps its slot",
                "(local i64) i64.const 0x100000000 local.set 0 \
                 local.get 0 i64.const 0x100000000 i64.add local.set 0",
                &[0x1_0000_0000],
            ),
            (
                "a local read before it is assigned is zeroed, first",
                "(param i32) (local i32 i64) i32.const 7 local.set 1 \
                 local.get 2 i64.const 0x100000000 i64.add drop",
                &[0, 0x1_0000_0000],
            ),
            (
                "a constant result lies in the result slot and stays there",
                "(result f32) f32.const 1.5",
                &[f32_bits],
            ),
            (
                "a constant below the result slots is kept",
                "(result i32 i32) i32.const 4 i32.const 8",
                &[4, 8],
            ),
            (
                "results reaching past the constants keep them all",
                "(result i32 i32 i32) i32.const 1 i32.const 2 i32.add i32.const 2 i32.const 3",
                &[1, 2, 3],
            ),
            (
                "a v128 constant keeps both of its slots",
                "(param i32) (result i32) i32.const 6 local.get 0 i32.add \
                 v128.const i64x2 10 20 i64x2.extract_lane 1 i32.wrap_i64 i32.add",
                &[6, 10, 20],
            ),
        ];
        for &(what, body, init) in cases {
            let f = translate_wat(&format!("(module (memory 1) (func {body}))"));
            // Padded with zeros to a multiple of 4 for the prologue, which
            // the frame has room for.
            let padded = init.len().next_multiple_of(4);
            assert_eq!(&f.init[..init.len()], init, "{what}");
            assert_eq!(f.init.len(), padded, "{what}");
            assert!(f.init[init.len()..].iter().all(|&v| v == 0), "{what}");
            assert!(f.frame_size >= f.param_slots + padded as u32, "{what}");
            assert_eq!(f.prologue, padded > 0, "{what}");
            let slots = f.frame_size as u16;
            for op in f.code().iter() {
                let mut instr = op.instr;
                instr.for_each_slot(|s| {
                    assert!(
                        *s < slots || *s == crate::code::ACC,
                        "{what}: {:?}",
                        op.instr
                    );
                });
            }
        }
    }

    /// The benchmark's hashing loop: every `local.get` and constant is read in place,
    /// every `local.set` is folded into the instruction computing the value, and the
    /// compare feeding `br_if` (and the `i32.and` feeding `if`) is fused with the
    /// branch, so one iteration is 16 instructions and copies nothing.
    #[test]
    fn loop_bodies_need_no_copies() {
        let f = translate_wat(include_str!("../../../benches/src/programs/loop_int.wat"));
        let back_edge = f
            .code()
            .iter()
            .position(|op| matches!(op.instr, Instr::BrIfI64Ne { .. }))
            .expect("the loop's br_if is fused with its i64.ne");
        let Instr::BrIfI64Ne { target, .. } = f.code()[back_edge].instr else {
            unreachable!()
        };
        let start = (back_edge as i64 + i64::from(target as i32)) as usize;
        let body = &f.code()[start..=back_edge];
        assert_eq!(body.len(), 16, "{body:#?}");
        assert!(
            !body.iter().any(|op| matches!(op.instr, Instr::Copy { .. })),
            "{body:#?}"
        );
    }

    /// Which instructions pass a value through the accumulator: a value one
    /// instruction computes and only the next one reads, with no label
    /// between them. Each op is shown as its variant and its mode: `a` or `b`
    /// for an operand taken from the accumulator, `o` for a result left there.
    #[test]
    fn the_accumulator_carries_values_read_once_by_the_next_instruction() {
        let cases: &[(&str, &str, &[&str])] = &[
            (
                "a chain of computations on one value",
                "local.get 0 local.get 1 i32.add i32.const 3 i32.shl i32.load drop",
                &["I32Add:o", "I32ShlImm:ao", "I32Load:a"],
            ),
            (
                "the second operand",
                "local.get 0 local.get 0 local.get 1 i32.add i32.sub drop",
                &["I32Add:o", "I32Sub:b"],
            ),
            (
                "stores take the address or the value",
                "local.get 0 i32.const 8 i32.add local.get 1 i32.store                  local.get 0 local.get 1 local.get 1 i32.mul i32.store",
                &["I32AddImm:o", "Store32:a", "I32Mul:o", "Store32:b"],
            ),
            (
                "a comparison fused with br_if reads it",
                "(block local.get 0 local.get 1 i32.add i32.const 7 i32.lt_u br_if 0)",
                &["I32Add:o", "BrIfI32LtUImm:a"],
            ),
            (
                "br_table's index",
                "(block (block local.get 0 i32.const 1 i32.and br_table 0 1))",
                &["I32AndImm:o", "BrTable:a", "Br:", "Br:"],
            ),
            (
                "select's condition, and its result",
                "local.get 0 local.get 1 local.get 0 local.get 1 i32.lt_s select \
                 i32.const 1 i32.add drop",
                &["I32LtS:o", "Select:ao", "I32AddImm:a"],
            ),
            (
                "an if's condition",
                "local.get 0 i32.popcnt (if (then nop))",
                &["I32Popcnt:o", "BrIfEqz:a"],
            ),
            (
                "a result computed last goes to slot 0 with no copy, at the end",
                "(result i32) local.get 0 local.get 1 i32.add",
                &["I32Add:"],
            ),
            (
                "and at a return",
                "(result i32) local.get 0 (if (then local.get 1 i32.popcnt return)) local.get 1",
                &["BrIfEqz:", "I32Popcnt:", "CopyReturn:"],
            ),
            (
                "two results",
                "(result i32 i32) local.get 1 local.get 0 i32.const 3 i32.mul",
                &["I32MulImm:", "CopyPair:", "CopyPair:", "CopyReturn:"],
            ),
            (
                "an i32.eqz of an i32.and feeding br_if or if: one test",
                "(block local.get 0 i32.const 3 i32.and i32.eqz br_if 0) \
                 local.get 0 local.get 1 i32.and i32.eqz (if (then nop)) \
                 local.get 0 i32.const 4 i32.and (if (then nop))",
                &["BrIfI32AndEqzImm:", "BrIfI32AndNez:", "BrIfI32AndEqzImm:"],
            ),
            (
                "a comparison with a constant feeding br_if or if: one branch \
                 with the constant, the comparison negated for if",
                "(block local.get 0 i32.const 3 i32.lt_s br_if 0) \
                 local.get 0 i64.extend_i32_u i64.const -1 i64.ne (if (then nop)) \
                 local.get 1 local.get 0 i32.const 9 i32.add i32.ge_u (if (then nop))",
                &["BrIfI32LtSImm:", "I64ExtendI32U:o", "BrIfI64EqImm:a", "I32AddImm:o", "BrIfI32LtU:b"],
            ),
            (
                "a local set from a value computed last, its old value still read",
                "local.get 0 local.get 0 i32.load local.set 0 drop",
                &["CopyI32Load:", "I32Load:"],
            ),
            (
                "an array index: i32.shl by a constant, then i32.add, is one instruction",
                "local.get 0 local.get 1 i32.const 2 i32.shl i32.add i32.load drop \
                 local.get 1 i32.const 3 i32.shl local.get 0 i32.add local.set 1 \
                 local.get 0 local.get 1 i32.const 1 i32.add i32.const 2 i32.shl i32.add drop",
                &["I32AddShl:o", "I32Load:a", "I32AddShl:", "I32AddImm:o", "I32AddShl:a"],
            ),
            (
                "an address plus a constant feeding a load is one instruction",
                "local.get 0 i32.const 8 i32.add i32.load drop \
                 local.get 0 local.get 1 i32.add i32.const -4 i32.add i64.load8_s i32.wrap_i64 drop",
                &["LoadPlus:", "I32Add:o", "LoadPlus:ao", "I32WrapI64:a"],
            ),
            (
                "an address that is the sum of two values feeding a load is one instruction",
                "local.get 0 local.get 1 i32.add i32.load8_u offset=3 drop \
                 local.get 0 i32.const 1 i32.xor local.get 1 i32.add i32.load16_s local.set 1 \
                 local.get 0 local.get 1 i32.const 1 i32.xor i32.add i64.load32_u i32.wrap_i64 drop",
                &["LoadIndexed:", "I32XorImm:o", "LoadIndexed:a", "I32XorImm:o", "LoadIndexed:ao", "I32WrapI64:a"],
            ),
            (
                "an address added, kept by local.tee and loaded at once is one instruction",
                "local.get 0 i32.const 4 i32.add local.tee 0 i32.load8_u drop \
                 local.get 0 local.get 1 i32.add local.tee 1 i32.load offset=8 drop \
                 local.get 0 i32.const 1 i32.add local.tee 0 i32.load16_s i32.const 1 i32.add drop",
                &["LoadPlusTee:", "LoadIndexedTee:", "LoadPlusTee:o", "I32AddImm:a"],
            ),
            (
                "but not across a label, nor when the tee copies",
                "local.get 0 i32.const 4 i32.add local.tee 0 (block) i32.load8_u drop \
                 local.get 1 local.tee 0 i32.load drop",
                &["I32AddImm:", "Copy:", "I32Load8U:", "CopyI32Load:", "I32Load:"],
            ),
            (
                "a bit field: a shift right then a mask, or a mask then a shift left",
                "local.get 0 i32.const 7 i32.shr_u i32.const 255 i32.and i32.load drop \
                 local.get 1 i32.load i32.const 255 i32.and i32.const 2 i32.shl local.set 1 \
                 local.get 0 i32.const 2 i32.shl i32.const 255 i32.and drop",
                &["I32ShrUAnd:o", "I32Load:a", "I32Load:o", "I32AndShl:a", "I32ShlImm:o", "I32AndImm:a"],
            ),
            (
                "a switch's index less a constant: br_table with a bias",
                "(block (block local.get 0 i32.const 5 i32.sub br_table 0 1)) \
                 (block (block local.get 0 local.get 1 i32.add i32.const 3 i32.add br_table 0 1))",
                &["BrTable:", "Br:", "Br:", "I32Add:o", "BrTable:a", "Br:", "Br:"],
            ),
            (
                "a pointer loaded and followed: one instruction",
                "local.get 0 i32.load offset=4 i32.load offset=8 local.set 1 \
                 local.get 0 i32.load i32.load i32.load drop",
                &["I32LoadLoad:", "I32LoadLoad:o", "I32Load:a"],
            ),
            (
                "bytes loaded only to be stored: a move from memory to memory",
                "local.get 1 local.get 0 i64.load offset=8 i64.store offset=16 \
                 local.get 1 local.get 0 i32.load8_s i32.store8 \
                 local.get 1 local.get 0 i64.load32_u i64.store32 \
                 local.get 1 local.get 0 i32.load8_u i32.store16",
                &["Move64:", "Move8:", "Move32:", "I32Load8U:o", "Store16:b"],
            ),
            (
                "a value stored to a local is not passed",
                "local.get 0 local.get 1 i32.add local.tee 1 local.get 1 i32.mul drop",
                &["I32Add:", "I32Mul:"],
            ),
            (
                "nor one that a label separates from its reader",
                "local.get 0 local.get 1 i32.add (block) i32.const 1 i32.add drop",
                &["I32Add:", "I32AddImm:"],
            ),
            (
                "nor one that br_if passes on and keeps",
                "(block (result i32) local.get 0 local.get 1 i32.add local.get 0 br_if 0                  i32.const 2 i32.mul) drop",
                &["I32Add:", "BrIfNez:", "I32MulImm:"],
            ),
            (
                "64-bit constants that sign-extend from 32 bits are immediates",
                "local.get 0 i64.extend_i32_u i64.const -5 i64.add drop \
                 local.get 0 i64.extend_i32_u i64.const 0x100000000 i64.add drop",
                &["I64ExtendI32U:o", "I64AddImm:a", "I64ExtendI32U:o", "I64Add:a"],
            ),
        ];
        for (what, body, expected) in cases {
            let f = translate_wat(&format!(
                "(module (memory 1) (func (param i32 i32) {body}))"
            ));
            let shown = listing(
                &f,
                |instr| match *instr {
                    Instr::BinaryImm { op, .. } => Some(format!("{op:?}Imm")),
                    Instr::BrIfImm { op, eqz, .. } => {
                        Some(format!("BrIf{op:?}{}Imm", if eqz { "Eqz" } else { "" }))
                    }
                    _ => None,
                },
                true,
            );
            assert_eq!(shown, *expected, "{what}");
        }
    }

    /// C's stack pointer moved in a prologue or an epilogue takes one
    /// instruction; the global's own value is read by it only when nothing
    /// comes between its `global.get` and the arithmetic.
    #[test]
    fn stack_pointer_moves_are_one_instruction() {
        let cases: &[(&str, &str, &[&str])] = &[
            (
                "a prologue",
                "global.get 0 i32.const 32 i32.sub local.tee 1 global.set 0",
                &["GlobalAddImm(global, -32)"],
            ),
            (
                "an epilogue",
                "local.get 1 i32.const 32 i32.add global.set 0",
                &["GlobalAddImm(slot, 32)"],
            ),
            (
                "a move without a local",
                "global.get 0 i32.const 16 i32.sub global.set 0",
                &["GlobalAddImm(global, -16)"],
            ),
            (
                "another global's value",
                "global.get 1 i32.const 16 i32.add global.set 0",
                &["GlobalGet", "GlobalAddImm(slot, 16)"],
            ),
            (
                "a product is not a move",
                "local.get 1 i32.const 32 i32.mul global.set 0",
                &["BinaryImm", "GlobalSet"],
            ),
            (
                "a loop between the read and the arithmetic",
                "global.get 0 (loop (param i32) i32.const 16 i32.sub global.set 0)",
                &["GlobalGet", "GlobalAddImm(slot, -16)"],
            ),
        ];
        for (what, body, expected) in cases {
            let f = translate_wat(&format!(
                "(module (global (mut i32) (i32.const 1000)) (global (mut i32) (i32.const 5)) \
                 (func (param i32) (local i32) {body}))"
            ));
            let shown = listing(
                &f,
                |instr| match *instr {
                    Instr::GlobalAddImm { imm, of_global, .. } => Some(format!(
                        "GlobalAddImm({}, {})",
                        if of_global { "global" } else { "slot" },
                        imm as i32
                    )),
                    _ => None,
                },
                false,
            );
            assert_eq!(shown, *expected, "{what}");
        }
    }

    /// A branch on an `i32.load`'s value being zero or not is one
    /// instruction, whether the address is a slot or computed just before.
    #[test]
    fn a_branch_on_a_loaded_value_is_one_instruction() {
        let cases: &[(&str, &str, &[&str])] = &[
            (
                "br_if",
                "(block (br_if 0 (i32.load offset=8 (local.get 0))))",
                &["BrIfLoad(true):"],
            ),
            (
                "if, at a computed address",
                "(if (i32.load (i32.mul (local.get 0) (local.get 0))) (then (nop)))",
                &["I32Mul:o", "BrIfLoad(false):a"],
            ),
            (
                "a load kept in a local by local.tee",
                "(local i32) (block (br_if 0 (local.tee 1 (i32.load (local.get 0)))))",
                &["BrIfLoad(true):"],
            ),
            (
                "nor a load kept by local.set (nor with a label between)",
                "(local i32) (local.set 1 (i32.load (local.get 0))) \
                 (block (br_if 0 (local.get 1)))",
                &["I32Load:", "BrIfNez:"],
            ),
            (
                "an i64.load is not",
                "(block (br_if 0 (i64.eqz (i64.load (local.get 0)))))",
                &["I64Load:o", "I64Eqz:ao", "BrIfNez:a"],
            ),
        ];
        for (what, body, expected) in cases {
            let f = translate_wat(&format!("(module (memory 1) (func (param i32) {body}))"));
            let shown = listing(
                &f,
                |instr| match *instr {
                    Instr::BrIfLoad { nez, .. } => Some(format!("BrIfLoad({nez})")),
                    _ => None,
                },
                true,
            );
            assert_eq!(shown, *expected, "{what}");
        }
    }

    /// A copy is fused with a copy, a jump or a return after it, and the
    /// second instruction stays in place for the branches that land on it.
    #[test]
    fn copies_fuse_with_the_next_copy_jump_or_return() {
        let cases: &[(&str, &str, &[&str])] = &[
            (
                "two copies, then a return",
                "(param i32 i32 i32) (result i32) \
                 local.get 1 local.set 0 local.get 2 local.set 1 local.get 1",
                &["CopyPair", "CopyPair", "CopyReturn", "Return"],
            ),
            (
                "a copy before a conditional branch, forward or backward",
                "(param i32 i32 i32) (block local.get 1 local.set 0 local.get 2 br_if 0) \
                 (loop local.get 2 local.set 0 local.get 1 i32.eqz br_if 0)",
                &["CopyBrIfNez", "BrIfNez", "CopyBrIfEqz", "BrIfEqz", "Return"],
            ),
            (
                "two copies before a jump: the first does all three",
                "(param i32 i32 i32) (loop local.get 1 local.set 0 local.get 2 local.set 1 br 0)",
                &["CopyPairBr", "CopyBr", "Br", "Return"],
            ),
            (
                "a copy before an i32.load",
                "(param i32 i32 i32) local.get 1 local.set 0 local.get 2 i32.load local.set 1",
                &["CopyI32Load", "I32Load", "Return"],
            ),
            (
                "a copy of an argument before a call",
                "(param i32 i32 i32) local.get 1 local.get 2 local.get 0 call 0",
                &[
                    "CopyPair",
                    "CopyPair",
                    "CopyCallInternal",
                    "CallInternal",
                    "Return",
                ],
            ),
            (
                "a copy before a loop's back-edge",
                "(param i32 i32 i32) (loop local.get 1 local.set 0 br 0)",
                &["CopyBr", "Br", "Return"],
            ),
        ];
        for (what, signature_and_body, expected) in cases {
            let f = translate_wat(&format!("(module (memory 1) (func {signature_and_body}))"));
            let names: Vec<String> = f
                .code()
                .iter()
                .map(|op| {
                    format!("{:?}", op.instr)
                        .split([' ', '('])
                        .next()
                        .unwrap_or_default()
                        .to_owned()
                })
                .collect();
            assert_eq!(names, *expected, "{what}");
            for (at, op) in f.code().iter().enumerate() {
                let (Instr::CopyBr { target, .. }
                | Instr::CopyBrIfEqz { target, .. }
                | Instr::CopyBrIfNez { target, .. }
                | Instr::CopyPairBr { target, .. }) = op.instr
                else {
                    continue;
                };
                let branch_at = at + 1 + usize::from(matches!(op.instr, Instr::CopyPairBr { .. }));
                let (Instr::Br { target: next }
                | Instr::BrIfEqz { target: next, .. }
                | Instr::BrIfNez { target: next, .. }) = f.code()[branch_at].instr
                else {
                    panic!("{what}: no branch after the fused copy");
                };
                assert_eq!(
                    at as i64 + i64::from(target as i32),
                    branch_at as i64 + i64::from(next as i32),
                    "{what}: the same destination"
                );
            }
        }
    }
}
