//! The interpreter's internal code: register-style instructions over frame slots.
//!
//! Every WebAssembly function is translated once into a sequence of [`Instr`]s.
//! Operands are *slots*: indices into the function's frame, which holds its
//! parameters, then its locals, then its constants, then the temporaries of the
//! operand stack (a `v128` takes two consecutive slots). Stack heights are resolved
//! at translation, so an `i32.add` of two locals into a temporary is one
//! instruction with three slot indices, and branches carry absolute targets.

use std::sync::atomic::{fence, AtomicBool, AtomicPtr, AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};

use wazero_validator::ValidatedModule;

use crate::ops::for_each_numeric_op;
use crate::translate::{check_frame, translate, ModuleTypes};

/// Index of a slot in the current frame.
pub(crate) type Slot = u16;

macro_rules! define_instr {
    (
        binary: [$(($bin:ident, $($bin_body:tt)*)),* $(,)?],
        try_binary: [$(($tbin:ident, $($tbin_body:tt)*)),* $(,)?],
        unary: [$(($un:ident, $($un_body:tt)*)),* $(,)?],
        try_unary: [$(($tun:ident, $($tun_body:tt)*)),* $(,)?],
    ) => {
        /// One instruction of the internal code.
        #[derive(Debug, Clone, Copy)]
        pub(crate) enum Instr {
            $(
                #[doc = concat!("`", stringify!($bin), "`: `d = a op b`")]
                $bin { d: Slot, a: Slot, b: Slot },
            )*
            $(
                #[doc = concat!("`", stringify!($tbin), "`: `d = a op b`, may trap")]
                $tbin { d: Slot, a: Slot, b: Slot },
            )*
            $(
                #[doc = concat!("`", stringify!($un), "`: `d = op a`")]
                $un { d: Slot, a: Slot },
            )*
            $(
                #[doc = concat!("`", stringify!($tun), "`: `d = op a`, may trap")]
                $tun { d: Slot, a: Slot },
            )*

            /// A binary numeric operation whose second operand is the constant
            /// `imm` (sign-extended for 64-bit operands), `d = a op imm`; `b`
            /// is the constant's slot (for [`Instr::without_imm`]).
            BinaryImm { op: BinaryOp, d: Slot, a: Slot, b: Slot, imm: u32 },

            /// Trap: `unreachable`.
            Unreachable,
            /// Jump to `target`.
            Br { target: u32 },
            /// Jump if the i32 in `cond` is not zero.
            BrIfNez { cond: Slot, target: u32 },
            /// Jump if the i32 in `cond` is zero.
            BrIfEqz { cond: Slot, target: u32 },
            /// Jump if the i32 comparison holds.
            BrIfI32Eq { a: Slot, b: Slot, target: u32 },
            /// Fused compare and branch.
            BrIfI32Ne { a: Slot, b: Slot, target: u32 },
            /// Fused compare and branch.
            BrIfI32LtS { a: Slot, b: Slot, target: u32 },
            /// Fused compare and branch.
            BrIfI32LtU { a: Slot, b: Slot, target: u32 },
            /// Fused compare and branch.
            BrIfI32GtS { a: Slot, b: Slot, target: u32 },
            /// Fused compare and branch.
            BrIfI32GtU { a: Slot, b: Slot, target: u32 },
            /// Fused compare and branch.
            BrIfI32LeS { a: Slot, b: Slot, target: u32 },
            /// Fused compare and branch.
            BrIfI32LeU { a: Slot, b: Slot, target: u32 },
            /// Fused compare and branch.
            BrIfI32GeS { a: Slot, b: Slot, target: u32 },
            /// Fused compare and branch.
            BrIfI32GeU { a: Slot, b: Slot, target: u32 },
            /// Fused compare and branch.
            BrIfI64Eq { a: Slot, b: Slot, target: u32 },
            /// Fused compare and branch.
            BrIfI64Ne { a: Slot, b: Slot, target: u32 },
            /// Fused compare and branch.
            BrIfI64LtS { a: Slot, b: Slot, target: u32 },
            /// Fused compare and branch.
            BrIfI64LtU { a: Slot, b: Slot, target: u32 },
            /// Fused compare and branch.
            BrIfI64GtS { a: Slot, b: Slot, target: u32 },
            /// Fused compare and branch.
            BrIfI64GtU { a: Slot, b: Slot, target: u32 },
            /// Fused compare and branch.
            BrIfI64LeS { a: Slot, b: Slot, target: u32 },
            /// Fused compare and branch.
            BrIfI64LeU { a: Slot, b: Slot, target: u32 },
            /// Fused compare and branch.
            BrIfI64GeS { a: Slot, b: Slot, target: u32 },
            /// Fused compare and branch.
            BrIfI64GeU { a: Slot, b: Slot, target: u32 },
            /// Jump if `a & b` (i32) is zero.
            BrIfI32AndEqz { a: Slot, b: Slot, target: u32 },
            /// Jump if `a & b` (i32) is not zero.
            BrIfI32AndNez { a: Slot, b: Slot, target: u32 },
            /// Jump if integer comparison `op` of `a` and the constant `imm`
            /// (sign-extended for 64-bit operands, as in
            /// [`Instr::BinaryImm`]) holds, or with `op` `I32And`, if
            /// `a & imm` is zero (`eqz`) or not. The compare-and-branch
            /// instructions above with a constant second operand.
            BrIfImm { op: BinaryOp, eqz: bool, a: Slot, imm: u32, target: u32 },
            /// Jump through the `len + 1` `Br`s that follow, by the i32
            /// `index + bias` (wrapping, then clamped): `bias` is an
            /// `i32.add` of a constant that only the `br_table` read, fused
            /// (the range check of a `switch` that does not start at 0).
            BrTable { index: Slot, len: u32, bias: u32 },
            /// Return to the caller; results are already in slots `0..`.
            Return,
            /// Call defined function `func` (index among the defined functions) of this
            /// module; its frame starts at slot `base`, where the arguments are and the
            /// results will be.
            CallInternal { func: u32, base: Slot },
            /// A function's prologue for calls from threaded code (see
            /// [`CompiledFunc::ops`]): copies its `len` initial slots (a
            /// multiple of 4, at least 4) from the address `init` (the
            /// function's [`CompiledFunc::init`]; its low half first, as two
            /// words keep an `Instr` two words long) to slots `dst..`, then
            /// goes on with the function's first op, the next one. Never in
            /// translated code itself, so it names no slot a pass renumbers.
            InitSlots { dst: Slot, len: u32, init: [u32; 2] },
            /// `d = s`, then the `CallInternal { func, base }` that follows
            /// (fused: an argument's copy; the call stays in place, and
            /// returns after it).
            CopyCallInternal { d: Slot, s: Slot, func: u32, base: Slot },
            /// Call imported function `func`, with its arguments at slot `base`.
            CallImported { func: u32, base: Slot },
            /// Call through table `table` at the i32 in `index`, checking type `type_index`.
            CallIndirect { type_index: u32, table: u32, index: Slot, base: Slot },
            /// Tail call (`return_call`) of defined function `func`: its arguments,
            /// at slot `base`, move to slot 0 and the callee replaces this frame.
            ReturnCallInternal { func: u32, base: Slot },
            /// Tail call of imported function `func` (arguments at `base`).
            ReturnCallImported { func: u32, base: Slot },
            /// Tail call through a table (`return_call_indirect`).
            ReturnCallIndirect { type_index: u32, table: u32, index: Slot, base: Slot },
            /// Call the function reference in `func` (`call_ref`; trap if null),
            /// with its arguments at slot `base`.
            CallRef { func: Slot, base: Slot },
            /// Tail call of the function reference in `func` (`return_call_ref`).
            ReturnCallRef { func: Slot, base: Slot },
            /// Trap if the reference in `s` is null (`ref.as_non_null`).
            RefAsNonNull { s: Slot },
            /// Throw a new exception of tag `tag` (the module's index) with
            /// its payload at slot `base`.
            Throw { tag: u32, base: Slot },
            /// Throw the exception of the `exnref` in `s` again (`throw_ref`,
            /// the legacy `rethrow`); trap if null.
            ThrowRef { s: Slot },
            /// Makes memory `memory` of the instance the current memory, which
            /// memory instructions use (memory 0 unless selected; each access
            /// to another memory is between a selection of it and of 0).
            SelectMemory { memory: u32 },
            /// `memory.grow` of memory `memory`: of a 32-bit memory other
            /// than 0, or with `wide`, of a 64-bit one (`i64` delta and
            /// result).
            MemoryGrowOther { d: Slot, delta: Slot, memory: u16, wide: bool },
            /// `memory.copy` between two different memories, or within a
            /// 64-bit one; bits 0, 1 and 2 of `widths` say whether `dst`,
            /// `src` and `len` are `i64`s.
            MemoryCopyBetween { dst: Slot, src: Slot, len: Slot, dst_memory: u16, src_memory: u16, widths: u8 },
            /// Makes the part of 64-bit memory `memory` from the `i64` in
            /// `addr` plus `offset_high << 32` on the current memory, and sets
            /// `d` to 0 (the address of the access that follows in it); traps
            /// if that start is past the memory's end.
            Window64 { d: Slot, addr: Slot, memory: u16, offset_high: u32 },
            /// Ends the window of 64-bit memory 0 that the `Window64` before
            /// the access opened: memory 0 is the current memory again (both
            /// run in threaded code; other memories' windows end with a
            /// `SelectMemory` of memory 0).
            Unwindow,
            /// `d = min(a, u32::MAX)`: an `i64` index or length of a 64-bit
            /// table as an `i32` one (see `Translator::table64_op`).
            TableIndex64 { d: Slot, a: Slot },
            /// `d = base + (index << shift)` (i32): an `i32.shl` by a constant
            /// whose result only the `i32.add` after it reads, fused (the
            /// address arithmetic of an array access).
            I32AddShl { d: Slot, base: Slot, index: Slot, shift: u8 },
            /// `d = (a >> shift) & mask` (i32, unsigned shift): a bit field
            /// (an `i32.shr_u` by a constant whose result only an `i32.and`
            /// with a constant reads, fused), as instruction decoders use.
            I32ShrUAnd { d: Slot, a: Slot, shift: u8, mask: u32 },
            /// `d = (a & mask) << shift` (i32): an `i32.and` with a constant
            /// whose result only an `i32.shl` by a constant reads, fused (a
            /// byte scaled into a table index).
            I32AndShl { d: Slot, a: Slot, mask: u32, shift: u8 },
            /// `d = load32(load32(addr + first) + second)`: an `i32.load`
            /// of a pointer that only the `i32.load` after it reads, fused
            /// (a pointer chased through a structure).
            I32LoadLoad { d: Slot, addr: Slot, first: u32, second: u32 },
            /// A byte loaded (`i32.load8_u`) and stored (`i32.store8`) with
            /// nothing else reading it, fused: memory to memory.
            Move8 { dst: Slot, dst_offset: u32, src: Slot, src_offset: u32 },
            /// Four bytes likewise (`i32.load` or `i64.load32_u`, then
            /// `i32.store` or `i64.store32`).
            Move32 { dst: Slot, dst_offset: u32, src: Slot, src_offset: u32 },
            /// Eight bytes likewise (`i64.load`, then `i64.store`).
            Move64 { dst: Slot, dst_offset: u32, src: Slot, src_offset: u32 },
            /// A scalar load of kind `kind` at `(addr + imm) mod 2^32` plus
            /// `offset`: an `i32.add` of a constant whose result only the
            /// load after it reads, fused with it.
            LoadPlus { kind: LoadKind, d: Slot, addr: Slot, imm: u32, offset: u32 },
            /// A scalar load of kind `kind` at `(a + b) mod 2^32` plus
            /// `offset`: an `i32.add` of two values whose result only the
            /// load after it reads, fused with it (an array's element at a
            /// variable index, as string and compression loops load bytes).
            LoadIndexed { kind: LoadKind, d: Slot, a: Slot, b: Slot, offset: u32 },
            /// `t = (a + b) mod 2^32`, then a scalar load of kind `kind` at
            /// `t` plus `offset` into `d`: an `i32.add` that a `local.tee`
            /// puts in local `t`, and the load of it right after, fused
            /// (a pointer advanced and read, `*(p = p + i)`).
            LoadIndexedTee { kind: LoadKind, d: Slot, a: Slot, b: Slot, t: Slot, offset: u32 },
            /// `t = (addr + imm) mod 2^32`, then a scalar load of kind
            /// `kind` at `t` plus `offset` into `d`: the same with an
            /// `i32.add` of a constant.
            LoadPlusTee { kind: LoadKind, d: Slot, addr: Slot, imm: u32, t: Slot, offset: u32 },
            /// `d = s`
            Copy { d: Slot, s: Slot },
            /// `d0 = s0`, then the `Copy { d: d1, s: s1 }` that follows, and
            /// on after it (a fused pair: the second stays for branches that
            /// land on it).
            CopyPair { d0: Slot, s0: Slot, d1: Slot, s1: Slot },
            /// `d = s`, then the `Br` that follows (fused; `target` is
            /// relative to this instruction).
            CopyBr { d: Slot, s: Slot, target: u32 },
            /// `d0 = s0`, `d1 = s1`, then the `Br` after the second copy
            /// (fused; `target` is relative to this instruction).
            CopyPairBr { d0: Slot, s0: Slot, d1: Slot, s1: Slot, target: u32 },
            /// `d = s`, then the `I32Load { d: ld, addr, offset }` that
            /// follows (fused), and on after it.
            CopyI32Load { d: Slot, s: Slot, ld: Slot, addr: Slot, offset: u32 },
            /// `d = s`, then the `Return` that follows (fused).
            CopyReturn { d: Slot, s: Slot },
            /// `d = s`, then the `BrIfEqz` that follows (fused; `target` is
            /// relative to this instruction; not taken, execution goes on
            /// after the `BrIfEqz`).
            CopyBrIfEqz { d: Slot, s: Slot, cond: Slot, target: u32 },
            /// `d = s`, then the `BrIfNez` that follows (likewise).
            CopyBrIfNez { d: Slot, s: Slot, cond: Slot, target: u32 },
            /// `d = s` for a v128 (two slots).
            Copy2 { d: Slot, s: Slot },
            /// `d = value` (zero-extended).
            Const32 { d: Slot, value: u32 },
            /// `d = value`
            Const64 { d: Slot, value: u64 },
            /// `d = cond != 0 ? a : b`
            Select { d: Slot, cond: Slot, a: Slot, b: Slot },
            /// `select` of v128 values.
            Select2 { d: Slot, cond: Slot, a: Slot, b: Slot },
            /// `d = global[index]`
            GlobalGet { d: Slot, index: u32 },
            /// `global[index] = s`
            GlobalSet { s: Slot, index: u32 },
            /// `slot = global[index]`, or with `set`, `global[index] = slot`
            /// (v128: two slots; one variant for both, rarely run, see the
            /// budget of variants above).
            Global2 { slot: Slot, index: u32, set: bool },
            /// `d = i32.load(addr + offset)`, then a branch when `d` is not
            /// zero (`nez`) or is zero: a pointer or a flag tested just after
            /// its load (`if ((p = p->next))`), with `d` the local it is kept
            /// in, or a temporary nothing else reads.
            BrIfLoad { d: Slot, addr: Slot, offset: u32, target: u32, nez: bool },
            /// `v = x + imm` (i32, wrapping), where `x` is `global[index]`
            /// itself (with `of_global`) or slot `a`; then `d = v` and
            /// `global[index] = v`. C's stack pointer moved in a function's
            /// prologue (`global.get`, `i32.sub` of a constant, `local.tee`,
            /// `global.set`) or epilogue (`local.get`, `i32.add` of a
            /// constant, `global.set`), fused (see
            /// `Translator::fuse_global_add`).
            GlobalAddImm { d: Slot, a: Slot, imm: u32, index: u32, of_global: bool },

            /// Loads (`F32Load` and `F64Load` are `I32Load` and `I64Load`).
            I32Load { d: Slot, addr: Slot, offset: u32 },
            /// Load.
            I64Load { d: Slot, addr: Slot, offset: u32 },
            /// Load.
            I32Load8S { d: Slot, addr: Slot, offset: u32 },
            /// Load.
            I32Load8U { d: Slot, addr: Slot, offset: u32 },
            /// Load.
            I32Load16S { d: Slot, addr: Slot, offset: u32 },
            /// Load.
            I32Load16U { d: Slot, addr: Slot, offset: u32 },
            /// Load.
            I64Load8S { d: Slot, addr: Slot, offset: u32 },
            /// Load.
            I64Load8U { d: Slot, addr: Slot, offset: u32 },
            /// Load.
            I64Load16S { d: Slot, addr: Slot, offset: u32 },
            /// Load.
            I64Load16U { d: Slot, addr: Slot, offset: u32 },
            /// Load.
            I64Load32S { d: Slot, addr: Slot, offset: u32 },
            /// Load.
            I64Load32U { d: Slot, addr: Slot, offset: u32 },
            /// Store the low byte of `value`.
            Store8 { addr: Slot, value: Slot, offset: u32 },
            /// Store the low 2 bytes.
            Store16 { addr: Slot, value: Slot, offset: u32 },
            /// Store the low 4 bytes.
            Store32 { addr: Slot, value: Slot, offset: u32 },
            /// Store 8 bytes.
            Store64 { addr: Slot, value: Slot, offset: u32 },
            /// A store of the constant `value` (sign-extended for `Store64`,
            /// as in [`Instr::BinaryImm`]), which takes no frame slot.
            StoreImm { kind: StoreKind, addr: Slot, value: u32, offset: u32 },
            /// `memory.size`
            MemorySize { d: Slot },
            /// `memory.grow`
            MemoryGrow { d: Slot, delta: Slot },
            /// `memory.fill` of the current memory, or with `wide`, of 64-bit
            /// memory `memory`.
            MemoryFill { dst: Slot, value: Slot, len: Slot, memory: u16, wide: bool },
            /// `memory.copy`
            MemoryCopy { dst: Slot, src: Slot, len: Slot },
            /// `memory.init` of the current memory, or with `wide`, of 64-bit
            /// memory `memory`.
            MemoryInit { segment: u32, dst: Slot, src: Slot, len: Slot, memory: u16, wide: bool },
            /// `data.drop` of data segment `segment`, or with `elem`,
            /// `elem.drop` of element segment `segment` (one variant for
            /// both keeps the variants within a one-byte tag).
            SegmentDrop { elem: bool, segment: u32 },

            /// `table.get`
            TableGet { d: Slot, index: Slot, table: u32 },
            /// `table.set`
            TableSet { table: u32, index: Slot, value: Slot },
            /// `table.size`
            TableSize { d: Slot, table: u32 },
            /// `table.grow`
            TableGrow { d: Slot, table: u32, init: Slot, delta: Slot },
            /// `table.fill`
            TableFill { table: u32, dst: Slot, value: Slot, len: Slot },
            /// `table.copy`
            TableCopy { dst_table: u32, src_table: u32, dst: Slot, src: Slot, len: Slot },
            /// `table.init`
            TableInit { segment: u32, table: u32, dst: Slot, src: Slot, len: Slot },
            /// `ref.func`
            RefFunc { d: Slot, func: u32 },

            /// `v128.load`
            V128Load { d: Slot, addr: Slot, offset: u32 },
            /// `v128.store`
            V128Store { addr: Slot, value: Slot, offset: u32 },
            /// Load `bytes` bytes and transform them with the [`Instr::V128Payload`] that follows.
            V128LoadExt { d: Slot, addr: Slot, offset: u32, bytes: u8 },
            /// `v128.loadN_lane`
            V128LoadLane { d: Slot, addr: Slot, v: Slot, offset: u32, bytes: u8, lane: u8 },
            /// `v128.storeN_lane`
            V128StoreLane { addr: Slot, v: Slot, offset: u32, bytes: u8, lane: u8 },
            /// The transform of a preceding `V128LoadExt` (never executed on its own).
            V128Payload(fn(u64) -> u128),
            /// v128 unary operation.
            V128Unary { d: Slot, a: Slot, f: fn(u128) -> u128 },
            /// v128 binary operation.
            V128Binary { d: Slot, a: Slot, b: Slot, f: fn(u128, u128) -> u128 },
            /// `v128.bitselect`
            V128Bitselect { d: Slot, a: Slot, b: Slot, c: Slot },
            /// v128 shift by an i32.
            V128Shift { d: Slot, a: Slot, s: Slot, f: fn(u128, u32) -> u128 },
            /// v128 test to an i32.
            V128Test { d: Slot, a: Slot, f: fn(u128) -> u32 },
            /// Scalar to v128.
            V128Splat { d: Slot, a: Slot, f: fn(u64) -> u128 },
            /// Lane to scalar.
            V128Extract { d: Slot, a: Slot, lane: u8, f: fn(u128, u8) -> u64 },
            /// Replace a lane.
            V128Replace { d: Slot, a: Slot, b: Slot, lane: u8, f: fn(u128, u64, u8) -> u128 },
            /// `i8x16.shuffle` with its lane indices in the v128 at slot `lanes`.
            I8x16Shuffle { d: Slot, a: Slot, b: Slot, lanes: Slot },
        }

        /// The operation of an [`Instr::BinaryImm`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum BinaryOp {
            $(
                #[doc = concat!("`", stringify!($bin), "`")]
                $bin,
            )*
            $(
                #[doc = concat!("`", stringify!($tbin), "`")]
                $tbin,
            )*
        }

        impl Instr {
            /// This binary numeric instruction with its second operand the
            /// constant `imm` (see [`Instr::BinaryImm`]); `None` for any other.
            pub(crate) fn with_imm(self, imm: u32) -> Option<Instr> {
                match self {
                    $(Instr::$bin { d, a, b } => Some(Instr::BinaryImm { op: BinaryOp::$bin, d, a, b, imm }),)*
                    $(Instr::$tbin { d, a, b } => Some(Instr::BinaryImm { op: BinaryOp::$tbin, d, a, b, imm }),)*
                    _ => None,
                }
            }

            /// An [`Instr::BinaryImm`] as the instruction reading its constant
            /// from its slot; any other instruction unchanged.
            pub(crate) fn without_imm(self) -> Instr {
                match self {
                    Instr::BinaryImm { op, d, a, b, .. } => match op {
                        $(BinaryOp::$bin => Instr::$bin { d, a, b },)*
                        $(BinaryOp::$tbin => Instr::$tbin { d, a, b },)*
                    },
                    other => other,
                }
            }

            /// The slot this instruction writes its single result to, if it is a
            /// plain value-producing instruction whose destination may be retargeted.
            pub(crate) fn dst_mut(&mut self) -> Option<&mut Slot> {
                match self {
                    $(Instr::$bin { d, .. })|*
                    | $(Instr::$tbin { d, .. })|*
                    | $(Instr::$un { d, .. })|*
                    | $(Instr::$tun { d, .. })|*
                    | Instr::BinaryImm { d, .. }
                    | Instr::I32AddShl { d, .. }
                    | Instr::I32ShrUAnd { d, .. }
                    | Instr::I32AndShl { d, .. }
                    | Instr::I32LoadLoad { d, .. }
                    | Instr::LoadPlus { d, .. }
                    | Instr::LoadIndexed { d, .. }
                    | Instr::LoadIndexedTee { d, .. }
                    | Instr::LoadPlusTee { d, .. }
                    | Instr::Copy { d, .. }
                    | Instr::Const32 { d, .. }
                    | Instr::Const64 { d, .. }
                    | Instr::Select { d, .. }
                    | Instr::GlobalGet { d, .. }
                    | Instr::GlobalAddImm { d, .. }
                    | Instr::I32Load { d, .. }
                    | Instr::I64Load { d, .. }
                    | Instr::I32Load8S { d, .. }
                    | Instr::I32Load8U { d, .. }
                    | Instr::I32Load16S { d, .. }
                    | Instr::I32Load16U { d, .. }
                    | Instr::I64Load8S { d, .. }
                    | Instr::I64Load8U { d, .. }
                    | Instr::I64Load16S { d, .. }
                    | Instr::I64Load16U { d, .. }
                    | Instr::I64Load32S { d, .. }
                    | Instr::I64Load32U { d, .. }
                    | Instr::MemorySize { d }
                    | Instr::MemoryGrow { d, .. }
                    | Instr::TableGet { d, .. }
                    | Instr::TableSize { d, .. }
                    | Instr::TableGrow { d, .. }
                    | Instr::RefFunc { d, .. }
                    | Instr::V128Test { d, .. }
                    | Instr::V128Extract { d, .. } => Some(d),
                    _ => None,
                }
            }

            /// The operands of an instruction with accumulator forms (see
            /// [`ACC`]): its first operand (`a`, an address, a condition, a
            /// copy's source, a `select`'s condition), its second (`b`, a
            /// stored value) and its result, each where it may be the
            /// accumulator; `None` for other instructions.
            #[allow(clippy::type_complexity)]
            fn acc_operands(&mut self) -> Option<(&mut Slot, Option<&mut Slot>, Option<&mut Slot>)> {
                Some(match self {
                    $(Instr::$bin { d, a, b })|*
                    | $(Instr::$tbin { d, a, b })|* => (a, Some(b), Some(d)),
                    $(Instr::$un { d, a })|*
                    | $(Instr::$tun { d, a })|*
                    | Instr::BinaryImm { d, a, .. }
                    | Instr::I32AddShl { d, index: a, .. }
                    | Instr::I32ShrUAnd { d, a, .. }
                    | Instr::I32AndShl { d, a, .. }
                    | Instr::I32LoadLoad { d, addr: a, .. }
                    | Instr::LoadPlus { d, addr: a, .. }
                    | Instr::LoadIndexed { d, a, .. }
                    | Instr::LoadIndexedTee { d, a, .. }
                    | Instr::LoadPlusTee { d, addr: a, .. }
                    | Instr::Select { d, cond: a, .. }
                    | Instr::I32Load { d, addr: a, .. }
                    | Instr::I64Load { d, addr: a, .. }
                    | Instr::I32Load8S { d, addr: a, .. }
                    | Instr::I32Load8U { d, addr: a, .. }
                    | Instr::I32Load16S { d, addr: a, .. }
                    | Instr::I32Load16U { d, addr: a, .. }
                    | Instr::I64Load8S { d, addr: a, .. }
                    | Instr::I64Load8U { d, addr: a, .. }
                    | Instr::I64Load16S { d, addr: a, .. }
                    | Instr::I64Load16U { d, addr: a, .. }
                    | Instr::I64Load32S { d, addr: a, .. }
                    | Instr::I64Load32U { d, addr: a, .. } => (a, None, Some(d)),
                    Instr::StoreImm { addr: a, .. } => (a, None, None),
                    Instr::Store8 { addr: a, value: b, .. }
                    | Instr::Store16 { addr: a, value: b, .. }
                    | Instr::Store32 { addr: a, value: b, .. }
                    | Instr::Store64 { addr: a, value: b, .. }
                    | Instr::BrIfI32Eq { a, b, .. }
                    | Instr::BrIfI32Ne { a, b, .. }
                    | Instr::BrIfI32LtS { a, b, .. }
                    | Instr::BrIfI32LtU { a, b, .. }
                    | Instr::BrIfI32GtS { a, b, .. }
                    | Instr::BrIfI32GtU { a, b, .. }
                    | Instr::BrIfI32LeS { a, b, .. }
                    | Instr::BrIfI32LeU { a, b, .. }
                    | Instr::BrIfI32GeS { a, b, .. }
                    | Instr::BrIfI32GeU { a, b, .. }
                    | Instr::BrIfI64Eq { a, b, .. }
                    | Instr::BrIfI64Ne { a, b, .. }
                    | Instr::BrIfI64LtS { a, b, .. }
                    | Instr::BrIfI64LtU { a, b, .. }
                    | Instr::BrIfI64GtS { a, b, .. }
                    | Instr::BrIfI64GtU { a, b, .. }
                    | Instr::BrIfI64LeS { a, b, .. }
                    | Instr::BrIfI64LeU { a, b, .. }
                    | Instr::BrIfI64GeS { a, b, .. }
                    | Instr::BrIfI64GeU { a, b, .. }
                    | Instr::BrIfI32AndEqz { a, b, .. }
                    | Instr::BrIfI32AndNez { a, b, .. } => (a, Some(b), None),
                    Instr::Copy { s: a, .. }
                    | Instr::BrIfImm { a, .. }
                    | Instr::BrIfNez { cond: a, .. }
                    | Instr::BrIfLoad { addr: a, .. }
                    | Instr::BrIfEqz { cond: a, .. }
                    | Instr::BrTable { index: a, .. } => (a, None, None),
                    _ => return None,
                })
            }

            /// Makes this instruction read the operand it takes from slot `t`
            /// out of the accumulator instead (see [`ACC`]); false (and
            /// unchanged) if it has no such form, or reads `t` twice.
            pub(crate) fn read_acc(&mut self, t: Slot) -> bool {
                // A `select`'s values are no accumulator operands.
                if let Instr::Select { a, b, .. } = *self {
                    if a == t || b == t {
                        return false;
                    }
                }
                let Some((first, second, _)) = self.acc_operands() else {
                    return false;
                };
                match second {
                    Some(second) if *second == t => {
                        if *first == t {
                            return false;
                        }
                        *second = ACC;
                    }
                    _ if *first == t => *first = ACC,
                    _ => return false,
                }
                true
            }

            /// Makes this instruction leave its result in the accumulator
            /// instead of its destination slot; false (and unchanged) if it
            /// has no such form.
            pub(crate) fn write_acc(&mut self) -> bool {
                match self.acc_operands() {
                    Some((_, _, Some(d))) => {
                        *d = ACC;
                        true
                    }
                    _ => false,
                }
            }

            /// Calls `f` with each slot operand of this instruction, read or
            /// written (an operand that is the accumulator, [`ACC`], too). A
            /// `v128` operand is its first slot. The constant slot `b` of an
            /// [`Instr::BinaryImm`] is not an operand: the handlers read `imm`.
            /// Every variant is named with all of its fields, so a new
            /// instruction or field does not compile until it is placed here.
            pub(crate) fn for_each_slot(&mut self, mut f: impl FnMut(&mut Slot)) {
                match self {
                    $(Instr::$bin { d, a, b })|*
                    | $(Instr::$tbin { d, a, b })|* => {
                        f(d);
                        f(a);
                        f(b);
                    }
                    $(Instr::$un { d, a })|*
                    | $(Instr::$tun { d, a })|* => {
                        f(d);
                        f(a);
                    }
                    Instr::BinaryImm { op: _, d, a, b: _, imm: _ } => {
                        f(d);
                        f(a);
                    }
                    Instr::Unreachable
                    | Instr::InitSlots { dst: _, len: _, init: _ }
                    | Instr::Br { target: _ }
                    | Instr::Return
                    | Instr::SelectMemory { memory: _ }
                    | Instr::Unwindow
                    | Instr::SegmentDrop { elem: _, segment: _ }
                    | Instr::V128Payload(_) => {}
                    Instr::BrIfNez { cond, target: _ }
                    | Instr::StoreImm { kind: _, addr: cond, value: _, offset: _ }
                    | Instr::BrIfEqz { cond, target: _ }
                    | Instr::BrIfImm { op: _, eqz: _, a: cond, imm: _, target: _ }
                    | Instr::BrTable { index: cond, len: _, bias: _ }
                    | Instr::RefAsNonNull { s: cond }
                    | Instr::ThrowRef { s: cond }
                    | Instr::GlobalSet { s: cond, index: _ }
                    | Instr::Global2 { slot: cond, index: _, set: _ }
                    | Instr::CallInternal { func: _, base: cond }
                    | Instr::CallImported { func: _, base: cond }
                    | Instr::ReturnCallInternal { func: _, base: cond }
                    | Instr::ReturnCallImported { func: _, base: cond }
                    | Instr::Throw { tag: _, base: cond }
                    | Instr::Const32 { d: cond, value: _ }
                    | Instr::Const64 { d: cond, value: _ }
                    | Instr::GlobalGet { d: cond, index: _ }
                    | Instr::MemorySize { d: cond }
                    | Instr::TableSize { d: cond, table: _ }
                    | Instr::RefFunc { d: cond, func: _ } => f(cond),
                    Instr::BrIfI32Eq { a, b, target: _ }
                    | Instr::BrIfI32Ne { a, b, target: _ }
                    | Instr::BrIfI32LtS { a, b, target: _ }
                    | Instr::BrIfI32LtU { a, b, target: _ }
                    | Instr::BrIfI32GtS { a, b, target: _ }
                    | Instr::BrIfI32GtU { a, b, target: _ }
                    | Instr::BrIfI32LeS { a, b, target: _ }
                    | Instr::BrIfI32LeU { a, b, target: _ }
                    | Instr::BrIfI32GeS { a, b, target: _ }
                    | Instr::BrIfI32GeU { a, b, target: _ }
                    | Instr::BrIfI64Eq { a, b, target: _ }
                    | Instr::BrIfI64Ne { a, b, target: _ }
                    | Instr::BrIfI64LtS { a, b, target: _ }
                    | Instr::BrIfI64LtU { a, b, target: _ }
                    | Instr::BrIfI64GtS { a, b, target: _ }
                    | Instr::BrIfI64GtU { a, b, target: _ }
                    | Instr::BrIfI64LeS { a, b, target: _ }
                    | Instr::BrIfI64LeU { a, b, target: _ }
                    | Instr::BrIfI64GeS { a, b, target: _ }
                    | Instr::BrIfI64GeU { a, b, target: _ }
                    | Instr::BrIfI32AndEqz { a, b, target: _ }
                    | Instr::BrIfI32AndNez { a, b, target: _ }
                    | Instr::CallIndirect { type_index: _, table: _, index: a, base: b }
                    | Instr::ReturnCallIndirect { type_index: _, table: _, index: a, base: b }
                    | Instr::CallRef { func: a, base: b }
                    | Instr::ReturnCallRef { func: a, base: b }
                    | Instr::MemoryGrowOther { d: a, delta: b, memory: _, wide: _ }
                    | Instr::Window64 { d: a, addr: b, memory: _, offset_high: _ }
                    | Instr::TableIndex64 { d: a, a: b }
                    | Instr::I32ShrUAnd { d: a, a: b, shift: _, mask: _ }
                    | Instr::I32AndShl { d: a, a: b, mask: _, shift: _ }
                    | Instr::I32LoadLoad { d: a, addr: b, first: _, second: _ }
                    | Instr::Move8 { dst: a, dst_offset: _, src: b, src_offset: _ }
                    | Instr::Move32 { dst: a, dst_offset: _, src: b, src_offset: _ }
                    | Instr::Move64 { dst: a, dst_offset: _, src: b, src_offset: _ }
                    | Instr::LoadPlus { kind: _, d: a, addr: b, imm: _, offset: _ }
                    | Instr::Copy { d: a, s: b }
                    | Instr::GlobalAddImm { d: a, a: b, imm: _, index: _, of_global: _ }
                    | Instr::BrIfLoad { d: a, addr: b, offset: _, target: _, nez: _ }
                    | Instr::CopyBr { d: a, s: b, target: _ }
                    | Instr::CopyReturn { d: a, s: b }
                    | Instr::Copy2 { d: a, s: b }
                    | Instr::I32Load { d: a, addr: b, offset: _ }
                    | Instr::I64Load { d: a, addr: b, offset: _ }
                    | Instr::I32Load8S { d: a, addr: b, offset: _ }
                    | Instr::I32Load8U { d: a, addr: b, offset: _ }
                    | Instr::I32Load16S { d: a, addr: b, offset: _ }
                    | Instr::I32Load16U { d: a, addr: b, offset: _ }
                    | Instr::I64Load8S { d: a, addr: b, offset: _ }
                    | Instr::I64Load8U { d: a, addr: b, offset: _ }
                    | Instr::I64Load16S { d: a, addr: b, offset: _ }
                    | Instr::I64Load16U { d: a, addr: b, offset: _ }
                    | Instr::I64Load32S { d: a, addr: b, offset: _ }
                    | Instr::I64Load32U { d: a, addr: b, offset: _ }
                    | Instr::Store8 { addr: a, value: b, offset: _ }
                    | Instr::Store16 { addr: a, value: b, offset: _ }
                    | Instr::Store32 { addr: a, value: b, offset: _ }
                    | Instr::Store64 { addr: a, value: b, offset: _ }
                    | Instr::MemoryGrow { d: a, delta: b }
                    | Instr::TableGet { d: a, index: b, table: _ }
                    | Instr::TableSet { table: _, index: a, value: b }
                    | Instr::V128Load { d: a, addr: b, offset: _ }
                    | Instr::V128Store { addr: a, value: b, offset: _ }
                    | Instr::V128LoadExt { d: a, addr: b, offset: _, bytes: _ }
                    | Instr::V128StoreLane { addr: a, v: b, offset: _, bytes: _, lane: _ }
                    | Instr::V128Unary { d: a, a: b, f: _ }
                    | Instr::V128Test { d: a, a: b, f: _ }
                    | Instr::V128Splat { d: a, a: b, f: _ }
                    | Instr::V128Extract { d: a, a: b, lane: _, f: _ } => {
                        f(a);
                        f(b);
                    }
                    Instr::CopyCallInternal { d: a, s: b, func: _, base: c }
                    | Instr::CopyBrIfEqz { d: a, s: b, cond: c, target: _ }
                    | Instr::CopyBrIfNez { d: a, s: b, cond: c, target: _ }
                    | Instr::MemoryCopyBetween { dst: a, src: b, len: c, dst_memory: _, src_memory: _, widths: _ }
                    | Instr::I32AddShl { d: a, base: b, index: c, shift: _ }
                    | Instr::LoadIndexed { kind: _, d: a, a: b, b: c, offset: _ }
                    | Instr::LoadPlusTee { kind: _, d: a, addr: b, imm: _, t: c, offset: _ }
                    | Instr::MemoryFill { dst: a, value: b, len: c, memory: _, wide: _ }
                    | Instr::MemoryCopy { dst: a, src: b, len: c }
                    | Instr::MemoryInit { segment: _, dst: a, src: b, len: c, memory: _, wide: _ }
                    | Instr::TableGrow { d: a, table: _, init: b, delta: c }
                    | Instr::TableFill { table: _, dst: a, value: b, len: c }
                    | Instr::TableCopy { dst_table: _, src_table: _, dst: a, src: b, len: c }
                    | Instr::TableInit { segment: _, table: _, dst: a, src: b, len: c }
                    | Instr::V128LoadLane { d: a, addr: b, v: c, offset: _, bytes: _, lane: _ }
                    | Instr::V128Binary { d: a, a: b, b: c, f: _ }
                    | Instr::V128Shift { d: a, a: b, s: c, f: _ }
                    | Instr::V128Replace { d: a, a: b, b: c, lane: _, f: _ } => {
                        f(a);
                        f(b);
                        f(c);
                    }
                    Instr::LoadIndexedTee { kind: _, d: a, a: b, b: c, t: e, offset: _ }
                    | Instr::CopyPair { d0: a, s0: b, d1: c, s1: e }
                    | Instr::CopyPairBr { d0: a, s0: b, d1: c, s1: e, target: _ }
                    | Instr::CopyI32Load { d: a, s: b, ld: c, addr: e, offset: _ }
                    | Instr::Select { d: a, cond: b, a: c, b: e }
                    | Instr::Select2 { d: a, cond: b, a: c, b: e }
                    | Instr::V128Bitselect { d: a, a: b, b: c, c: e }
                    | Instr::I8x16Shuffle { d: a, a: b, b: c, lanes: e } => {
                        f(a);
                        f(b);
                        f(c);
                        f(e);
                    }
                }
            }

            /// Which of its operands this instruction takes from the
            /// accumulator, and whether it leaves its result there.
            pub(crate) fn acc_mode(&self) -> AccMode {
                let mut probe = *self;
                match probe.acc_operands() {
                    Some((first, second, result)) => AccMode {
                        first: *first == ACC,
                        second: second.is_some_and(|s| *s == ACC),
                        result: result.is_some_and(|d| *d == ACC),
                    },
                    None => AccMode::default(),
                }
            }
        }
    };
}

for_each_numeric_op!(define_instr);

// Instructions stay two words, with a one-byte tag (at most 256 variants).
const _: () = assert!(std::mem::size_of::<Instr>() <= 16);

/// The width of an [`Instr::StoreImm`]: the scalar store it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StoreKind {
    /// `Store8`
    Store8,
    /// `Store16`
    Store16,
    /// `Store32`
    Store32,
    /// `Store64`
    Store64,
}

impl Instr {
    /// This scalar store with the constant `value` in place of its value's
    /// slot; `None` for other instructions.
    pub(crate) fn with_value_imm(self, value: u32) -> Option<Instr> {
        let (kind, addr, offset) = match self {
            Instr::Store8 { addr, offset, .. } => (StoreKind::Store8, addr, offset),
            Instr::Store16 { addr, offset, .. } => (StoreKind::Store16, addr, offset),
            Instr::Store32 { addr, offset, .. } => (StoreKind::Store32, addr, offset),
            Instr::Store64 { addr, offset, .. } => (StoreKind::Store64, addr, offset),
            _ => return None,
        };
        Some(Instr::StoreImm {
            kind,
            addr,
            value,
            offset,
        })
    }
}

/// The kind of a fused load ([`Instr::LoadPlus`], [`Instr::LoadIndexed`] and
/// their `Tee` forms): the scalar load it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LoadKind {
    /// `I32Load`
    I32Load,
    /// `I64Load`
    I64Load,
    /// `I32Load8S`
    I32Load8S,
    /// `I32Load8U`
    I32Load8U,
    /// `I32Load16S`
    I32Load16S,
    /// `I32Load16U`
    I32Load16U,
    /// `I64Load8S`
    I64Load8S,
    /// `I64Load8U`
    I64Load8U,
    /// `I64Load16S`
    I64Load16S,
    /// `I64Load16U`
    I64Load16U,
    /// `I64Load32S`
    I64Load32S,
    /// `I64Load32U`
    I64Load32U,
}

impl Instr {
    /// The kind, destination, address and offset of a scalar load; `None`
    /// for other instructions.
    pub(crate) fn load_parts(self) -> Option<(LoadKind, Slot, Slot, u32)> {
        use LoadKind as K;
        Some(match self {
            Instr::I32Load { d, addr, offset } => (K::I32Load, d, addr, offset),
            Instr::I64Load { d, addr, offset } => (K::I64Load, d, addr, offset),
            Instr::I32Load8S { d, addr, offset } => (K::I32Load8S, d, addr, offset),
            Instr::I32Load8U { d, addr, offset } => (K::I32Load8U, d, addr, offset),
            Instr::I32Load16S { d, addr, offset } => (K::I32Load16S, d, addr, offset),
            Instr::I32Load16U { d, addr, offset } => (K::I32Load16U, d, addr, offset),
            Instr::I64Load8S { d, addr, offset } => (K::I64Load8S, d, addr, offset),
            Instr::I64Load8U { d, addr, offset } => (K::I64Load8U, d, addr, offset),
            Instr::I64Load16S { d, addr, offset } => (K::I64Load16S, d, addr, offset),
            Instr::I64Load16U { d, addr, offset } => (K::I64Load16U, d, addr, offset),
            Instr::I64Load32S { d, addr, offset } => (K::I64Load32S, d, addr, offset),
            Instr::I64Load32U { d, addr, offset } => (K::I64Load32U, d, addr, offset),
            _ => return None,
        })
    }

    /// A scalar load of the address `addr + imm` (an `i32.add` of a
    /// constant, wrapping) as one [`Instr::LoadPlus`]; `None` if this is no
    /// scalar load.
    pub(crate) fn load_plus(self, addr: Slot, imm: u32) -> Option<Instr> {
        let (kind, d, _, offset) = self.load_parts()?;
        Some(Instr::LoadPlus {
            kind,
            d,
            addr,
            imm,
            offset,
        })
    }

    /// A scalar load of the address `a + b` (an `i32.add`, wrapping) as one
    /// [`Instr::LoadIndexed`]; `None` if this is no scalar load.
    pub(crate) fn load_indexed(self, a: Slot, b: Slot) -> Option<Instr> {
        let (kind, d, _, offset) = self.load_parts()?;
        Some(Instr::LoadIndexed {
            kind,
            d,
            a,
            b,
            offset,
        })
    }
}

/// The slot number that stands for the *accumulator*: a value that one
/// instruction leaves in a register for the next one, which is its only
/// reader, instead of storing it in a frame slot the next one loads again
/// (the translator pairs them, see `Translator::emit`). No frame has this
/// many slots.
pub(crate) const ACC: Slot = Slot::MAX;

/// Which operands of an instruction are the accumulator ([`ACC`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct AccMode {
    /// Its first operand (`a`, an address, a condition, a copy's source, a
    /// `select`'s condition).
    pub(crate) first: bool,
    /// Its second operand (`b`, a stored value).
    pub(crate) second: bool,
    /// Its result.
    pub(crate) result: bool,
}

/// Hands the integer comparisons to `$m`: each with the compare-and-branch
/// instruction taken when it holds and the one taken when it fails, and
/// the comparison that is its negation.
macro_rules! each_comparison {
    ($m:ident) => {
        $m! {
            I32Eq => BrIfI32Eq / BrIfI32Ne / I32Ne,
            I32Ne => BrIfI32Ne / BrIfI32Eq / I32Eq,
            I32LtS => BrIfI32LtS / BrIfI32GeS / I32GeS,
            I32LtU => BrIfI32LtU / BrIfI32GeU / I32GeU,
            I32GtS => BrIfI32GtS / BrIfI32LeS / I32LeS,
            I32GtU => BrIfI32GtU / BrIfI32LeU / I32LeU,
            I32LeS => BrIfI32LeS / BrIfI32GtS / I32GtS,
            I32LeU => BrIfI32LeU / BrIfI32GtU / I32GtU,
            I32GeS => BrIfI32GeS / BrIfI32LtS / I32LtS,
            I32GeU => BrIfI32GeU / BrIfI32LtU / I32LtU,
            I64Eq => BrIfI64Eq / BrIfI64Ne / I64Ne,
            I64Ne => BrIfI64Ne / BrIfI64Eq / I64Eq,
            I64LtS => BrIfI64LtS / BrIfI64GeS / I64GeS,
            I64LtU => BrIfI64LtU / BrIfI64GeU / I64GeU,
            I64GtS => BrIfI64GtS / BrIfI64LeS / I64LeS,
            I64GtU => BrIfI64GtU / BrIfI64LeU / I64LeU,
            I64LeS => BrIfI64LeS / BrIfI64GtS / I64GtS,
            I64LeU => BrIfI64LeU / BrIfI64GtU / I64GtU,
            I64GeS => BrIfI64GeS / BrIfI64LtS / I64LtS,
            I64GeU => BrIfI64GeU / BrIfI64LtU / I64LtU,
        }
    };
}

/// Fuses an integer comparison (or an `i32.and` test) `cmp` with a conditional
/// branch: the branch taken when the condition holds (`negate == false`) or fails
/// (`negate == true`). `None` if `cmp` is not one of those.
pub(crate) fn fuse_compare(cmp: &Instr, negate: bool, target: u32) -> Option<Instr> {
    macro_rules! pairs {
        ($($cmp:ident => $br:ident / $neg:ident / $not:ident,)*) => {
            match *cmp {
                $(Instr::$cmp { a, b, .. } => Some(if negate {
                    Instr::$neg { a, b, target }
                } else {
                    Instr::$br { a, b, target }
                }),)*
                Instr::I32And { a, b, .. } => Some(if negate {
                    Instr::BrIfI32AndEqz { a, b, target }
                } else {
                    Instr::BrIfI32AndNez { a, b, target }
                }),
                Instr::I32Eqz { a, .. } => Some(if negate {
                    Instr::BrIfNez { cond: a, target }
                } else {
                    Instr::BrIfEqz { cond: a, target }
                }),
                _ => None,
            }
        };
    }
    each_comparison!(pairs)
}

/// [`fuse_compare`] for a comparison (or an `i32.and` test) whose second
/// operand is an immediate ([`Instr::BinaryImm`]): an [`Instr::BrIfImm`],
/// which reads no constant slot.
pub(crate) fn fuse_compare_imm(cmp: &Instr, negate: bool, target: u32) -> Option<Instr> {
    let Instr::BinaryImm { op, a, imm, .. } = *cmp else {
        return None;
    };
    macro_rules! ops {
        ($($cmp:ident => $br:ident / $neg:ident / $not:ident,)*) => {
            match op {
                $(BinaryOp::$cmp => (if negate { BinaryOp::$not } else { op }, false),)*
                BinaryOp::I32And => (op, negate),
                _ => return None,
            }
        };
    }
    let (op, eqz) = each_comparison!(ops);
    Some(Instr::BrIfImm {
        op,
        eqz,
        a,
        imm,
        target,
    })
}

/// An instruction ready to run: its handler and its operands. Branch targets in
/// ops are offsets relative to the branch, in ops.
#[derive(Clone, Copy)]
pub(crate) struct Op {
    /// Executes `instr` (see `threaded.rs`).
    pub(crate) handler: crate::threaded::Handler,
    /// The instruction.
    pub(crate) instr: Instr,
}

impl std::fmt::Debug for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.instr.fmt(f)
    }
}

/// One translated function.
#[derive(Debug)]
pub(crate) struct CompiledFunc {
    /// Its ops ([`CompiledFunc::code`]), after a prologue if `prologue`.
    ///
    /// The prologue, an [`Instr::InitSlots`], sets up the initial slots of a
    /// frame that threaded code's calls enter (at the first op here, see
    /// [`CallEntry`]), so that the call handlers copy nothing: the copy's
    /// loop took registers enough to cost every call handler a native stack
    /// frame. The outer loop sets up frames itself and enters the code after
    /// it. A function without initial slots has no prologue.
    pub(crate) ops: Box<[Op]>,
    /// Whether `ops` starts with the prologue.
    pub(crate) prologue: bool,
    /// Slots its frame needs (parameters, locals, constants, temporaries,
    /// results, and the padding of `init`).
    pub(crate) frame_size: u32,
    /// Slots taken by its parameters.
    pub(crate) param_slots: u32,
    /// Initial values of the slots after the parameters: zeroed locals, then
    /// constants, then zeros to a multiple of 4 slots (the prologue copies
    /// four at a time; the slots after the initial ones are dead at entry).
    pub(crate) init: Box<[u64]>,
    /// Slots taken by its results.
    pub(crate) result_slots: u32,
    /// Its exception handlers, innermost first (see [`Handler`]).
    pub(crate) handlers: Box<[Handler]>,
    /// Where another engine may take a running call over, if anywhere.
    pub(crate) loops: Option<Box<Loops>>,
}

impl CompiledFunc {
    /// Its translated code: the ops after the prologue. Op indices (branch
    /// targets, handlers, loops) count from its start.
    pub(crate) fn code(&self) -> &[Op] {
        &self.ops[usize::from(self.prologue)..]
    }

    /// Where threaded code's calls enter it: the prologue, if it has one.
    pub(crate) fn entry(&self) -> *const Op {
        self.ops.as_ptr()
    }
}

/// The loops of a function where another engine may take a running call
/// over (on-stack replacement, `Engine::call_wasm_at_loop`): those whose
/// state is all in locals, with nothing on the operand stack, no parameters
/// and no `try` or `try_table` around them.
#[derive(Debug)]
pub(crate) struct Loops {
    /// Each loop's first op (where its back-edges go) and the module offset
    /// of its `loop` operator, in code order.
    pub(crate) entries: Box<[(u32, u32)]>,
    /// Each local's first slot and how many it takes, parameters first.
    pub(crate) locals: Box<[(u32, u8)]>,
}

impl Loops {
    /// The module offset of the loop whose first op is `op`, if it is one.
    pub(crate) fn offset_at(&self, op: u32) -> Option<u32> {
        let i = self.entries.binary_search_by_key(&op, |e| e.0).ok()?;
        Some(self.entries[i].1)
    }
}

/// What an exception thrown inside the ops `start..end` of a function does
/// there: the exception handling of one `try_table` clause, or of one legacy
/// `try`. A function's handlers are in the order their blocks end, so inner
/// blocks' handlers come first, and a block's clauses are in their order;
/// the first that applies decides.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Handler {
    /// The first op covered.
    pub(crate) start: u32,
    /// The op after the last one covered.
    pub(crate) end: u32,
    /// The block the handler belongs to (numbered in the function).
    pub(crate) block: u32,
    /// What it does.
    pub(crate) action: HandlerAction,
}

/// See [`Handler`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum HandlerAction {
    /// Catch exceptions of the module's tag `tag` (any with `None`): the
    /// payload goes to slots `dst..` (with a tag), the `exnref` to slot
    /// `exn` (if kept), and execution goes on at op `target`.
    Catch {
        tag: Option<u32>,
        dst: Slot,
        exn: Option<Slot>,
        /// Whether the guest may hold the `exnref` afterwards (then the
        /// store keeps the exception).
        keep: bool,
        target: u32,
    },
    /// Legacy `delegate`: the search goes on with the handlers of block
    /// `to`, or in the caller with `None`.
    Delegate { to: Option<u32> },
    /// A legacy `try` without clauses: where `delegate` may go on.
    Marker,
}

impl Handler {
    /// Calls `f` with each slot the handler writes to.
    pub(crate) fn for_each_slot(&mut self, mut f: impl FnMut(&mut Slot)) {
        if let HandlerAction::Catch { dst, exn, .. } = &mut self.action {
            f(dst);
            if let Some(exn) = exn {
                f(exn);
            }
        }
    }

    /// What an exception thrown at op `pos` does, among `handlers`: the
    /// first catch whose tag `is_tag` accepts, or `None` to unwind further.
    pub(crate) fn find(
        handlers: &[Handler],
        pos: u32,
        is_tag: impl Fn(u32) -> bool,
    ) -> Option<&Handler> {
        let mut skip_to = None;
        for h in handlers {
            if let Some(block) = skip_to {
                if h.block != block {
                    continue;
                }
                skip_to = None;
            }
            if pos < h.start || pos >= h.end {
                continue;
            }
            match h.action {
                HandlerAction::Catch { tag, .. } if tag.is_none_or(&is_tag) => return Some(h),
                HandlerAction::Catch { .. } | HandlerAction::Marker => {}
                HandlerAction::Delegate { to: None } => return None,
                HandlerAction::Delegate { to } => skip_to = to,
            }
        }
        None
    }
}

/// Frames with at most this many initial slots (locals and constants) are
/// set up by the outer loop with an inline copy; larger ones with `memcpy`.
pub(crate) const INLINE_INIT: usize = 256;

/// What a call in threaded code needs of a defined function, in one place:
/// the call handlers read it with one load from the module's array, where a
/// pointer to the [`CompiledFunc`] would take a second, dependent one (a
/// cache miss on most calls to a function not called just before).
///
/// `code` is null until the function is translated. `frame_size` is stored
/// before `code`, which is stored with release ordering; a reader that loads
/// a non-null `code` with acquire ordering sees it. `code` points into the
/// function's [`CompiledFunc`], which lives as long as the module; both are
/// written with the same values by every thread that publishes them.
#[derive(Default)]
pub(crate) struct CallEntry {
    /// Where the function is entered ([`CompiledFunc::entry`]: its
    /// prologue, which sets up the frame's initial slots), or null.
    pub(crate) code: AtomicPtr<Op>,
    /// Its [`CompiledFunc::frame_size`].
    pub(crate) frame_size: AtomicU32,
}

impl CallEntry {
    /// Publishes `func` for the call handlers, once (a store on every call
    /// would bounce the line between threads running the module).
    fn publish(&self, func: &CompiledFunc, retired: [&AtomicBool; 2]) {
        let is_retired = || retired.iter().any(|r| r.load(Ordering::Relaxed));
        if !self.code.load(Ordering::Relaxed).is_null() || is_retired() {
            return;
        }
        self.frame_size.store(func.frame_size, Ordering::Relaxed);
        self.code.store(func.entry().cast_mut(), Ordering::Release);
        // Against `InterpModule::retire` (or `retire_function`) running at
        // the same time: either this sees its flag, or its clearing comes
        // after this store.
        fence(Ordering::SeqCst);
        if is_retired() {
            self.code.store(std::ptr::null_mut(), Ordering::Relaxed);
        }
    }
}

/// Eager translation uses one more thread per this many functions (a
/// small module is not worth a thread).
const EAGER_FUNCS_PER_THREAD: usize = 64;

/// The interpreter's code for one module.
///
/// Functions are translated on their first call (the whole module was validated
/// before), so a large module is ready to run as soon as it is validated; with
/// eager translation every function is translated in `compile`.
pub(crate) struct InterpModule {
    /// Defined functions, by index among the defined functions.
    funcs: Box<[OnceLock<Result<CompiledFunc, String>>]>,
    /// What the call handlers read of each defined function (see
    /// [`CallEntry`]).
    entries: Box<[CallEntry]>,
    types: ModuleTypes,
    /// The module it was translated from.
    pub(crate) module: Arc<ValidatedModule>,
    /// How many functions are imported (they come first in the index space).
    pub(crate) imported_funcs: u32,
    /// Set when the module's functions run in another tier from now on
    /// ([`CompiledCode::retire`](wazero_store::CompiledCode::retire)): calls
    /// leave threaded code and go through the store's engine.
    retired: AtomicBool,
    /// Per defined function, set when that function alone runs in another
    /// tier ([`CompiledCode::retire_function`](wazero_store::CompiledCode::retire_function)).
    retired_funcs: Box<[AtomicBool]>,
    /// Per defined function, how often it was found running at a poke (see
    /// [`InterpModule::sample`]).
    samples: Box<[AtomicU32]>,
    /// Whether some function was retired alone: calls then cross between
    /// the tiers, and are sampled too (see [`InterpModule::crosses_tiers`]).
    some_retired: AtomicBool,
}

impl InterpModule {
    /// The code of `module`; with `eager`, every function is translated now and the
    /// first failure is returned.
    pub(crate) fn new(module: &Arc<ValidatedModule>, eager: bool) -> Result<Self, String> {
        let this = Self {
            funcs: (0..module.functions.len())
                .map(|_| OnceLock::new())
                .collect(),
            entries: (0..module.functions.len())
                .map(|_| CallEntry::default())
                .collect(),
            types: ModuleTypes::of(module),
            module: module.clone(),
            imported_funcs: module.imported_function_count(),
            retired: AtomicBool::new(false),
            retired_funcs: (0..module.functions.len())
                .map(|_| AtomicBool::new(false))
                .collect(),
            samples: (0..module.functions.len())
                .map(|_| AtomicU32::new(0))
                .collect(),
            some_retired: AtomicBool::new(false),
        };
        if eager {
            this.translate_all()?;
        } else {
            for i in 0..this.funcs.len() {
                check_frame(module, i)?;
            }
        }
        Ok(this)
    }

    /// Translates every function, on as many threads as the machine has
    /// cores (functions are independent; each thread takes the next one not
    /// taken), and returns the failure of the lowest-numbered function that
    /// failed, so the error does not depend on the threads' timing.
    fn translate_all(&self) -> Result<(), String> {
        use std::sync::atomic::AtomicUsize;
        let count = self.funcs.len();
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(count.div_ceil(EAGER_FUNCS_PER_THREAD));
        if threads > 1 {
            let next = AtomicUsize::new(0);
            let work = || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= count {
                        break;
                    }
                    // A failure is kept in the function's cell and found below.
                    let _ = self.func(i as u32);
                }
            };
            std::thread::scope(|scope| {
                for _ in 1..threads {
                    // A thread the system refuses leaves its share to the
                    // others (this one works too): no failure, no panic.
                    if std::thread::Builder::new()
                        .name("wazero-translate".into())
                        .spawn_scoped(scope, work)
                        .is_err()
                    {
                        break;
                    }
                }
                work();
            });
        }
        (0..count).try_for_each(|i| self.func(i as u32).map(drop))
    }

    /// The size of the code translated so far (see [`crate::TranslatedSize`]).
    pub(crate) fn translated_size(&self) -> crate::TranslatedSize {
        let mut size = crate::TranslatedSize::default();
        for (i, f) in self.funcs.iter().enumerate() {
            let Some(Ok(f)) = f.get() else {
                continue;
            };
            size.functions += 1;
            size.ops += f.ops.len();
            size.bytes += std::mem::size_of_val(&*f.ops)
                + std::mem::size_of_val(&*f.init)
                + std::mem::size_of_val(&*f.handlers)
                + std::mem::size_of::<CompiledFunc>();
            size.wasm_bytes += self.module.code[i].range.len();
        }
        size
    }

    /// Defined function `index`, translated on first use.
    #[inline]
    pub(crate) fn func(&self, index: u32) -> Result<&CompiledFunc, String> {
        let func = self.funcs[index as usize]
            .get_or_init(|| translate(&self.module, &self.types, index as usize))
            .as_ref()
            .map_err(Clone::clone)?;
        self.entries[index as usize]
            .publish(func, [&self.retired, &self.retired_funcs[index as usize]]);
        Ok(func)
    }

    /// Whether defined function `index` runs in another tier now (see
    /// [`InterpModule::retired`] and [`InterpModule::retired_funcs`]).
    #[inline]
    pub(crate) fn is_retired(&self, index: u32) -> bool {
        self.retired.load(Ordering::Acquire)
            || self
                .retired_funcs
                .get(index as usize)
                .is_some_and(|r| r.load(Ordering::Acquire))
    }

    /// Whether some of the module's functions run in another tier while
    /// the others run here: calls between them then cost more than calls
    /// within a tier, and each such call is sampled (the interpreted caller
    /// of a function that moved, and the function the other tier calls
    /// here), so that the functions on both sides move together.
    #[inline]
    pub(crate) fn crosses_tiers(&self) -> bool {
        self.some_retired.load(Ordering::Relaxed) && !self.retired.load(Ordering::Relaxed)
    }

    /// Records that defined function `index` was running when its store
    /// was poked (or called across the tiers: see
    /// [`InterpModule::crosses_tiers`]): a tier above learns from these
    /// samples which functions run hot
    /// ([`CompiledCode::samples`](wazero_store::CompiledCode::samples)).
    pub(crate) fn sample(&self, index: u32) {
        if let Some(n) = self.samples.get(index as usize) {
            n.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The first of [`InterpModule::entries`]: entry `i` is defined function
    /// `i`'s (see [`CallEntry`]).
    pub(crate) fn entries(&self) -> *const CallEntry {
        self.entries.as_ptr()
    }
}

impl wazero_store::CompiledCode for InterpModule {
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    /// Calls of the module's functions leave threaded code from now on: the
    /// flag is raised, then every [`CallEntry`] cleared (a handler that read
    /// an entry before still runs the call here, correctly).
    fn retire(&self) {
        self.retired.store(true, Ordering::Release);
        fence(Ordering::SeqCst);
        for entry in &*self.entries {
            entry.code.store(std::ptr::null_mut(), Ordering::Relaxed);
        }
    }

    /// Calls of defined function `index` leave threaded code from now on,
    /// as [`retire`](wazero_store::CompiledCode::retire) does for all.
    fn retire_function(&self, index: u32) {
        let (Some(flag), Some(entry)) = (
            self.retired_funcs.get(index as usize),
            self.entries.get(index as usize),
        ) else {
            return;
        };
        flag.store(true, Ordering::Release);
        self.some_retired.store(true, Ordering::Relaxed);
        fence(Ordering::SeqCst);
        entry.code.store(std::ptr::null_mut(), Ordering::Relaxed);
    }

    fn samples(&self) -> Vec<(u32, u32)> {
        self.samples
            .iter()
            .enumerate()
            .filter_map(|(i, n)| {
                let n = n.load(Ordering::Relaxed);
                (n > 0).then_some((i as u32, n))
            })
            .collect()
    }
}
