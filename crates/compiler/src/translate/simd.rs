//! SIMD (`v128`) instructions to Cranelift IR.
//!
//! A `v128` is an `I8X16` value on the operand stack; each instruction
//! bitcasts it to the lane shape it works on and back. Most instructions map to
//! one Cranelift instruction with the same semantics; the others are short
//! sequences (pseudo-min/max, dot products, extending multiplies, pairwise
//! additions, the `_zero` conversions) in the forms the x86-64 backend
//! recognizes. Loads and stores go through the same bounds check as the scalar
//! ones, so nothing here can fault.

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::types::{F32X4, F64X2, I16, I16X8, I32, I32X4, I64X2, I8, I8X16};
use cranelift_codegen::ir::{ConstantData, Endianness, InstBuilder, MemFlagsData, Type, Value};
use cranelift_frontend::FunctionBuilder;
use wasmparser::{MemArg, Operator};

use super::{heap, op_name, unsupported, Translator};

/// Flags of a bitcast between vector shapes (lanes in little-endian order, as
/// wasm defines them).
fn bitcast_flags() -> MemFlagsData {
    MemFlagsData::new().with_endianness(Endianness::Little)
}

/// Which kind of lane shift.
#[derive(Clone, Copy)]
enum Shift {
    Left,
    RightSigned,
    RightUnsigned,
}

/// Which half of a vector an extending instruction reads.
#[derive(Clone, Copy)]
enum Half {
    Low,
    High,
}

/// Widens the `half` of `v` to lanes twice as wide, sign- or zero-extended.
/// Sums of the products of adjacent signed lanes, in lanes twice as wide,
/// wrapping: `i32x4.dot_i16x8_s` on `i16x8` operands, and
/// `i16x8.relaxed_dot_i8x16_i7x16_s` (both operands signed) on `i8x16` ones.
fn dot_pairs(b: &mut FunctionBuilder, x: Value, y: Value) -> Value {
    let lo = {
        let xl = b.ins().swiden_low(x);
        let yl = b.ins().swiden_low(y);
        b.ins().imul(xl, yl)
    };
    let hi = {
        let xh = b.ins().swiden_high(x);
        let yh = b.ins().swiden_high(y);
        b.ins().imul(xh, yh)
    };
    b.ins().iadd_pairwise(lo, hi)
}

fn widen(b: &mut FunctionBuilder, v: Value, signed: bool, half: Half) -> Value {
    match (signed, half) {
        (true, Half::Low) => b.ins().swiden_low(v),
        (true, Half::High) => b.ins().swiden_high(v),
        (false, Half::Low) => b.ins().uwiden_low(v),
        (false, Half::High) => b.ins().uwiden_high(v),
    }
}

impl Translator<'_, '_> {
    // ---- helpers -------------------------------------------------------

    /// `v` as a vector of type `ty` (no instruction if it already is).
    fn as_lanes(&mut self, v: Value, ty: Type) -> Value {
        if self.b.func.dfg.value_type(v) == ty {
            v
        } else {
            self.b.ins().bitcast(ty, bitcast_flags(), v)
        }
    }

    /// Pops a `v128` as a vector of type `ty`.
    fn pop_lanes(&mut self, ty: Type) -> Value {
        let v = self.pop();
        self.as_lanes(v, ty)
    }

    /// Pushes `v`, a vector of any shape as the canonical `I8X16`, or a scalar.
    fn push_lanes(&mut self, v: Value) {
        let v = if self.b.func.dfg.value_type(v).is_vector() {
            self.as_lanes(v, I8X16)
        } else {
            v
        };
        self.push(v);
    }

    /// A vector constant of type `ty` from its 16 little-endian bytes.
    fn vconst_bytes(&mut self, ty: Type, bytes: &[u8]) -> Value {
        let c = self
            .b
            .func
            .dfg
            .constants
            .insert(ConstantData::from(bytes.to_vec()));
        self.b.ins().vconst(ty, c)
    }

    /// A one-operand instruction on a `v128` seen as `ty`.
    fn v_unop(&mut self, ty: Type, f: impl FnOnce(&mut FunctionBuilder, Value) -> Value) {
        let a = self.pop_lanes(ty);
        let v = f(&mut self.b, a);
        self.push_lanes(v);
    }

    /// A two-operand instruction on two `v128`s seen as `ty`.
    fn v_binop(&mut self, ty: Type, f: impl FnOnce(&mut FunctionBuilder, Value, Value) -> Value) {
        let c = self.pop_lanes(ty);
        let a = self.pop_lanes(ty);
        let v = f(&mut self.b, a, c);
        self.push_lanes(v);
    }

    fn v_icmp(&mut self, ty: Type, cc: IntCC) {
        self.v_binop(ty, |b, x, y| b.ins().icmp(cc, x, y));
    }

    fn v_fcmp(&mut self, ty: Type, cc: FloatCC) {
        self.v_binop(ty, |b, x, y| b.ins().fcmp(cc, x, y));
    }

    /// A lane shift: the count (an `i32`) is taken modulo the lane width.
    fn v_shift(&mut self, ty: Type, shift: Shift) {
        let count = self.pop();
        let v = self.pop_lanes(ty);
        let count = self
            .b
            .ins()
            .band_imm_u(count, i64::from(ty.lane_bits() - 1));
        let r = match shift {
            Shift::Left => self.b.ins().ishl(v, count),
            Shift::RightSigned => self.b.ins().sshr(v, count),
            Shift::RightUnsigned => self.b.ins().ushr(v, count),
        };
        self.push_lanes(r);
    }

    /// `splat`: the scalar operand (narrowed to the lane type) in every lane.
    fn v_splat(&mut self, ty: Type) {
        let x = self.pop();
        let x = self.narrow_to_lane(x, ty);
        let v = self.b.ins().splat(ty, x);
        self.push_lanes(v);
    }

    /// An `i32` operand narrowed to the 8- or 16-bit lanes of `ty`.
    fn narrow_to_lane(&mut self, x: Value, ty: Type) -> Value {
        let lane = ty.lane_type();
        if lane == I8 || lane == I16 {
            self.b.ins().ireduce(lane, x)
        } else {
            x
        }
    }

    /// `extract_lane`: lane `lane` of a `ty` vector, extended to `i32` for
    /// narrow lanes (`signed` or not).
    fn v_extract(&mut self, ty: Type, lane: u8, signed: bool) {
        let v = self.pop_lanes(ty);
        let x = self.b.ins().extractlane(v, lane);
        let lane_ty = ty.lane_type();
        let x = match (lane_ty == I8 || lane_ty == I16, signed) {
            (false, _) => x,
            (true, true) => self.b.ins().sextend(I32, x),
            (true, false) => self.b.ins().uextend(I32, x),
        };
        self.push(x);
    }

    /// `replace_lane`: lane `lane` of a `ty` vector set to the scalar operand.
    fn v_replace(&mut self, ty: Type, lane: u8) {
        let x = self.pop();
        let v = self.pop_lanes(ty);
        let x = self.narrow_to_lane(x, ty);
        let r = self.b.ins().insertlane(v, x, lane);
        self.push_lanes(r);
    }

    /// A load of `size` bytes producing a vector: `f` gets the checked native
    /// address.
    fn v_load(
        &mut self,
        memarg: &MemArg,
        size: u64,
        f: impl FnOnce(&mut FunctionBuilder, Value) -> Value,
    ) {
        let addr = self.pop();
        let p = self.heap_addr(addr, memarg, size);
        let v = f(&mut self.b, p);
        self.push_lanes(v);
    }

    /// `load*_lane`: one `ty`-shaped lane loaded from memory into the vector.
    fn v_load_lane(&mut self, memarg: &MemArg, ty: Type, lane: u8) {
        let v = self.pop_lanes(ty);
        let addr = self.pop();
        let lane_ty = ty.lane_type();
        let p = self.heap_addr(addr, memarg, u64::from(lane_ty.bytes()));
        let x = self.b.ins().load(lane_ty, heap(), p, 0);
        let r = self.b.ins().insertlane(v, x, lane);
        self.push_lanes(r);
    }

    /// `store*_lane`: one `ty`-shaped lane of the vector stored to memory.
    fn v_store_lane(&mut self, memarg: &MemArg, ty: Type, lane: u8) {
        let v = self.pop_lanes(ty);
        let addr = self.pop();
        let lane_ty = ty.lane_type();
        let p = self.heap_addr(addr, memarg, u64::from(lane_ty.bytes()));
        let x = self.b.ins().extractlane(v, lane);
        self.b.ins().store(heap(), x, p, 0);
    }

    /// `load*_splat`: a `ty` lane loaded and copied to every lane.
    fn v_load_splat(&mut self, memarg: &MemArg, ty: Type) {
        let lane_ty = ty.lane_type();
        self.v_load(memarg, u64::from(lane_ty.bytes()), |b, p| {
            let x = b.ins().load(lane_ty, heap(), p, 0);
            b.ins().splat(ty, x)
        });
    }

    /// `load32_zero` / `load64_zero`: a scalar in lane 0, zeros elsewhere.
    fn v_load_zero(&mut self, memarg: &MemArg, ty: Type) {
        let lane_ty = ty.lane_type();
        self.v_load(memarg, u64::from(lane_ty.bytes()), |b, p| {
            let x = b.ins().load(lane_ty, heap(), p, 0);
            b.ins().scalar_to_vector(ty, x)
        });
    }

    /// `extend_{low,high}`: half of a `from` vector widened.
    fn v_extend(&mut self, from: Type, signed: bool, half: Half) {
        self.v_unop(from, |b, a| widen(b, a, signed, half));
    }

    /// `extmul_{low,high}`: the products of half of two `from` vectors, in
    /// lanes twice as wide (they cannot overflow).
    fn v_extmul(&mut self, from: Type, signed: bool, half: Half) {
        self.v_binop(from, |b, x, y| {
            let x = widen(b, x, signed, half);
            let y = widen(b, y, signed, half);
            b.ins().imul(x, y)
        });
    }

    /// `extadd_pairwise`: the sums of adjacent lanes of a `from` vector, in
    /// lanes twice as wide.
    fn v_extadd_pairwise(&mut self, from: Type, signed: bool) {
        self.v_unop(from, |b, a| {
            let lo = widen(b, a, signed, Half::Low);
            let hi = widen(b, a, signed, Half::High);
            b.ins().iadd_pairwise(lo, hi)
        });
    }

    /// `pmin` (`b < a ? b : a`) or `pmax` (`a < b ? b : a`) on `ty` lanes; a NaN
    /// operand compares false, so the result is then `a`.
    fn v_pseudo_minmax(&mut self, ty: Type, max: bool) {
        self.v_binop(ty, |b, x, y| {
            let take_y = if max {
                b.ins().fcmp(FloatCC::LessThan, x, y)
            } else {
                b.ins().fcmp(FloatCC::LessThan, y, x)
            };
            let mask = b.ins().bitcast(ty, bitcast_flags(), take_y);
            b.ins().bitselect(mask, y, x)
        });
    }

    /// `i32x4.trunc_sat_f64x2_{s,u}_zero`: the two lanes converted with
    /// saturation, the upper two lanes zero. Cranelift has no general 64-to-32
    /// lane narrowing on x86-64; this exact form (a saturating conversion to
    /// `I64X2` narrowed with a zero vector) is what its backend lowers.
    fn v_trunc_sat_zero(&mut self, signed: bool) {
        let a = self.pop_lanes(F64X2);
        let zero = self.vconst_bytes(I64X2, &[0; 16]);
        let r = if signed {
            let wide = self.b.ins().fcvt_to_sint_sat(I64X2, a);
            self.b.ins().snarrow(wide, zero)
        } else {
            let wide = self.b.ins().fcvt_to_uint_sat(I64X2, a);
            self.b.ins().uunarrow(wide, zero)
        };
        self.push_lanes(r);
    }

    // ---- the instructions ----------------------------------------------

    /// Translates a SIMD instruction (any operator the scalar translation does
    /// not handle).
    pub(super) fn simd_operator(&mut self, op: Operator) -> Result<(), String> {
        use Operator as O;
        match op {
            // Memory.
            O::V128Load { memarg } => {
                self.v_load(&memarg, 16, |b, p| b.ins().load(I8X16, heap(), p, 0))
            }
            O::V128Load8x8S { memarg } => {
                self.v_load(&memarg, 8, |b, p| b.ins().sload8x8(heap(), p, 0))
            }
            O::V128Load8x8U { memarg } => {
                self.v_load(&memarg, 8, |b, p| b.ins().uload8x8(heap(), p, 0))
            }
            O::V128Load16x4S { memarg } => {
                self.v_load(&memarg, 8, |b, p| b.ins().sload16x4(heap(), p, 0))
            }
            O::V128Load16x4U { memarg } => {
                self.v_load(&memarg, 8, |b, p| b.ins().uload16x4(heap(), p, 0))
            }
            O::V128Load32x2S { memarg } => {
                self.v_load(&memarg, 8, |b, p| b.ins().sload32x2(heap(), p, 0))
            }
            O::V128Load32x2U { memarg } => {
                self.v_load(&memarg, 8, |b, p| b.ins().uload32x2(heap(), p, 0))
            }
            O::V128Load8Splat { memarg } => self.v_load_splat(&memarg, I8X16),
            O::V128Load16Splat { memarg } => self.v_load_splat(&memarg, I16X8),
            O::V128Load32Splat { memarg } => self.v_load_splat(&memarg, I32X4),
            O::V128Load64Splat { memarg } => self.v_load_splat(&memarg, I64X2),
            O::V128Load32Zero { memarg } => self.v_load_zero(&memarg, I32X4),
            O::V128Load64Zero { memarg } => self.v_load_zero(&memarg, I64X2),
            O::V128Load8Lane { memarg, lane } => self.v_load_lane(&memarg, I8X16, lane),
            O::V128Load16Lane { memarg, lane } => self.v_load_lane(&memarg, I16X8, lane),
            O::V128Load32Lane { memarg, lane } => self.v_load_lane(&memarg, I32X4, lane),
            O::V128Load64Lane { memarg, lane } => self.v_load_lane(&memarg, I64X2, lane),
            O::V128Store { memarg } => self.store(&memarg, 16),
            O::V128Store8Lane { memarg, lane } => self.v_store_lane(&memarg, I8X16, lane),
            O::V128Store16Lane { memarg, lane } => self.v_store_lane(&memarg, I16X8, lane),
            O::V128Store32Lane { memarg, lane } => self.v_store_lane(&memarg, I32X4, lane),
            O::V128Store64Lane { memarg, lane } => self.v_store_lane(&memarg, I64X2, lane),

            // Constants and lane access.
            O::V128Const { value } => {
                let v = self.vconst_bytes(I8X16, value.bytes());
                self.push(v);
            }
            O::I8x16Shuffle { lanes } => {
                let mask = self
                    .b
                    .func
                    .dfg
                    .immediates
                    .push(ConstantData::from(lanes.to_vec()));
                self.v_binop(I8X16, |b, x, y| b.ins().shuffle(x, y, mask));
            }
            // Out-of-range indices select 0, as in wasm.
            O::I8x16Swizzle => self.v_binop(I8X16, |b, x, s| b.ins().swizzle(x, s)),
            O::I8x16Splat => self.v_splat(I8X16),
            O::I16x8Splat => self.v_splat(I16X8),
            O::I32x4Splat => self.v_splat(I32X4),
            O::I64x2Splat => self.v_splat(I64X2),
            O::F32x4Splat => self.v_splat(F32X4),
            O::F64x2Splat => self.v_splat(F64X2),
            O::I8x16ExtractLaneS { lane } => self.v_extract(I8X16, lane, true),
            O::I8x16ExtractLaneU { lane } => self.v_extract(I8X16, lane, false),
            O::I16x8ExtractLaneS { lane } => self.v_extract(I16X8, lane, true),
            O::I16x8ExtractLaneU { lane } => self.v_extract(I16X8, lane, false),
            O::I32x4ExtractLane { lane } => self.v_extract(I32X4, lane, false),
            O::I64x2ExtractLane { lane } => self.v_extract(I64X2, lane, false),
            O::F32x4ExtractLane { lane } => self.v_extract(F32X4, lane, false),
            O::F64x2ExtractLane { lane } => self.v_extract(F64X2, lane, false),
            O::I8x16ReplaceLane { lane } => self.v_replace(I8X16, lane),
            O::I16x8ReplaceLane { lane } => self.v_replace(I16X8, lane),
            O::I32x4ReplaceLane { lane } => self.v_replace(I32X4, lane),
            O::I64x2ReplaceLane { lane } => self.v_replace(I64X2, lane),
            O::F32x4ReplaceLane { lane } => self.v_replace(F32X4, lane),
            O::F64x2ReplaceLane { lane } => self.v_replace(F64X2, lane),

            // Comparisons: all-ones lanes for true.
            O::I8x16Eq => self.v_icmp(I8X16, IntCC::Equal),
            O::I8x16Ne => self.v_icmp(I8X16, IntCC::NotEqual),
            O::I8x16LtS => self.v_icmp(I8X16, IntCC::SignedLessThan),
            O::I8x16LtU => self.v_icmp(I8X16, IntCC::UnsignedLessThan),
            O::I8x16GtS => self.v_icmp(I8X16, IntCC::SignedGreaterThan),
            O::I8x16GtU => self.v_icmp(I8X16, IntCC::UnsignedGreaterThan),
            O::I8x16LeS => self.v_icmp(I8X16, IntCC::SignedLessThanOrEqual),
            O::I8x16LeU => self.v_icmp(I8X16, IntCC::UnsignedLessThanOrEqual),
            O::I8x16GeS => self.v_icmp(I8X16, IntCC::SignedGreaterThanOrEqual),
            O::I8x16GeU => self.v_icmp(I8X16, IntCC::UnsignedGreaterThanOrEqual),
            O::I16x8Eq => self.v_icmp(I16X8, IntCC::Equal),
            O::I16x8Ne => self.v_icmp(I16X8, IntCC::NotEqual),
            O::I16x8LtS => self.v_icmp(I16X8, IntCC::SignedLessThan),
            O::I16x8LtU => self.v_icmp(I16X8, IntCC::UnsignedLessThan),
            O::I16x8GtS => self.v_icmp(I16X8, IntCC::SignedGreaterThan),
            O::I16x8GtU => self.v_icmp(I16X8, IntCC::UnsignedGreaterThan),
            O::I16x8LeS => self.v_icmp(I16X8, IntCC::SignedLessThanOrEqual),
            O::I16x8LeU => self.v_icmp(I16X8, IntCC::UnsignedLessThanOrEqual),
            O::I16x8GeS => self.v_icmp(I16X8, IntCC::SignedGreaterThanOrEqual),
            O::I16x8GeU => self.v_icmp(I16X8, IntCC::UnsignedGreaterThanOrEqual),
            O::I32x4Eq => self.v_icmp(I32X4, IntCC::Equal),
            O::I32x4Ne => self.v_icmp(I32X4, IntCC::NotEqual),
            O::I32x4LtS => self.v_icmp(I32X4, IntCC::SignedLessThan),
            O::I32x4LtU => self.v_icmp(I32X4, IntCC::UnsignedLessThan),
            O::I32x4GtS => self.v_icmp(I32X4, IntCC::SignedGreaterThan),
            O::I32x4GtU => self.v_icmp(I32X4, IntCC::UnsignedGreaterThan),
            O::I32x4LeS => self.v_icmp(I32X4, IntCC::SignedLessThanOrEqual),
            O::I32x4LeU => self.v_icmp(I32X4, IntCC::UnsignedLessThanOrEqual),
            O::I32x4GeS => self.v_icmp(I32X4, IntCC::SignedGreaterThanOrEqual),
            O::I32x4GeU => self.v_icmp(I32X4, IntCC::UnsignedGreaterThanOrEqual),
            O::I64x2Eq => self.v_icmp(I64X2, IntCC::Equal),
            O::I64x2Ne => self.v_icmp(I64X2, IntCC::NotEqual),
            O::I64x2LtS => self.v_icmp(I64X2, IntCC::SignedLessThan),
            O::I64x2GtS => self.v_icmp(I64X2, IntCC::SignedGreaterThan),
            O::I64x2LeS => self.v_icmp(I64X2, IntCC::SignedLessThanOrEqual),
            O::I64x2GeS => self.v_icmp(I64X2, IntCC::SignedGreaterThanOrEqual),
            O::F32x4Eq => self.v_fcmp(F32X4, FloatCC::Equal),
            O::F32x4Ne => self.v_fcmp(F32X4, FloatCC::NotEqual),
            O::F32x4Lt => self.v_fcmp(F32X4, FloatCC::LessThan),
            O::F32x4Gt => self.v_fcmp(F32X4, FloatCC::GreaterThan),
            O::F32x4Le => self.v_fcmp(F32X4, FloatCC::LessThanOrEqual),
            O::F32x4Ge => self.v_fcmp(F32X4, FloatCC::GreaterThanOrEqual),
            O::F64x2Eq => self.v_fcmp(F64X2, FloatCC::Equal),
            O::F64x2Ne => self.v_fcmp(F64X2, FloatCC::NotEqual),
            O::F64x2Lt => self.v_fcmp(F64X2, FloatCC::LessThan),
            O::F64x2Gt => self.v_fcmp(F64X2, FloatCC::GreaterThan),
            O::F64x2Le => self.v_fcmp(F64X2, FloatCC::LessThanOrEqual),
            O::F64x2Ge => self.v_fcmp(F64X2, FloatCC::GreaterThanOrEqual),

            // Bitwise.
            O::V128Not => self.v_unop(I8X16, |b, a| b.ins().bnot(a)),
            O::V128And => self.v_binop(I8X16, |b, x, y| b.ins().band(x, y)),
            O::V128AndNot => self.v_binop(I8X16, |b, x, y| b.ins().band_not(x, y)),
            O::V128Or => self.v_binop(I8X16, |b, x, y| b.ins().bor(x, y)),
            O::V128Xor => self.v_binop(I8X16, |b, x, y| b.ins().bxor(x, y)),
            O::V128Bitselect => {
                let c = self.pop_lanes(I8X16);
                let y = self.pop_lanes(I8X16);
                let x = self.pop_lanes(I8X16);
                let v = self.b.ins().bitselect(c, x, y);
                self.push(v);
            }
            O::V128AnyTrue => self.v_unop(I8X16, |b, a| {
                let t = b.ins().vany_true(a);
                b.ins().uextend(I32, t)
            }),

            // Lane-wise reductions.
            O::I8x16AllTrue => self.all_true(I8X16),
            O::I16x8AllTrue => self.all_true(I16X8),
            O::I32x4AllTrue => self.all_true(I32X4),
            O::I64x2AllTrue => self.all_true(I64X2),
            O::I8x16Bitmask => self.v_unop(I8X16, |b, a| b.ins().vhigh_bits(I32, a)),
            O::I16x8Bitmask => self.v_unop(I16X8, |b, a| b.ins().vhigh_bits(I32, a)),
            O::I32x4Bitmask => self.v_unop(I32X4, |b, a| b.ins().vhigh_bits(I32, a)),
            O::I64x2Bitmask => self.v_unop(I64X2, |b, a| b.ins().vhigh_bits(I32, a)),

            // Integer arithmetic.
            O::I8x16Abs => self.v_unop(I8X16, |b, a| b.ins().iabs(a)),
            O::I16x8Abs => self.v_unop(I16X8, |b, a| b.ins().iabs(a)),
            O::I32x4Abs => self.v_unop(I32X4, |b, a| b.ins().iabs(a)),
            O::I64x2Abs => self.v_unop(I64X2, |b, a| b.ins().iabs(a)),
            O::I8x16Neg => self.v_unop(I8X16, |b, a| b.ins().ineg(a)),
            O::I16x8Neg => self.v_unop(I16X8, |b, a| b.ins().ineg(a)),
            O::I32x4Neg => self.v_unop(I32X4, |b, a| b.ins().ineg(a)),
            O::I64x2Neg => self.v_unop(I64X2, |b, a| b.ins().ineg(a)),
            O::I8x16Popcnt => self.v_unop(I8X16, |b, a| b.ins().popcnt(a)),
            O::I8x16Add => self.v_binop(I8X16, |b, x, y| b.ins().iadd(x, y)),
            O::I16x8Add => self.v_binop(I16X8, |b, x, y| b.ins().iadd(x, y)),
            O::I32x4Add => self.v_binop(I32X4, |b, x, y| b.ins().iadd(x, y)),
            O::I64x2Add => self.v_binop(I64X2, |b, x, y| b.ins().iadd(x, y)),
            O::I8x16Sub => self.v_binop(I8X16, |b, x, y| b.ins().isub(x, y)),
            O::I16x8Sub => self.v_binop(I16X8, |b, x, y| b.ins().isub(x, y)),
            O::I32x4Sub => self.v_binop(I32X4, |b, x, y| b.ins().isub(x, y)),
            O::I64x2Sub => self.v_binop(I64X2, |b, x, y| b.ins().isub(x, y)),
            O::I16x8Mul => self.v_binop(I16X8, |b, x, y| b.ins().imul(x, y)),
            O::I32x4Mul => self.v_binop(I32X4, |b, x, y| b.ins().imul(x, y)),
            O::I64x2Mul => self.v_binop(I64X2, |b, x, y| b.ins().imul(x, y)),
            O::I8x16AddSatS => self.v_binop(I8X16, |b, x, y| b.ins().sadd_sat(x, y)),
            O::I8x16AddSatU => self.v_binop(I8X16, |b, x, y| b.ins().uadd_sat(x, y)),
            O::I8x16SubSatS => self.v_binop(I8X16, |b, x, y| b.ins().ssub_sat(x, y)),
            O::I8x16SubSatU => self.v_binop(I8X16, |b, x, y| b.ins().usub_sat(x, y)),
            O::I16x8AddSatS => self.v_binop(I16X8, |b, x, y| b.ins().sadd_sat(x, y)),
            O::I16x8AddSatU => self.v_binop(I16X8, |b, x, y| b.ins().uadd_sat(x, y)),
            O::I16x8SubSatS => self.v_binop(I16X8, |b, x, y| b.ins().ssub_sat(x, y)),
            O::I16x8SubSatU => self.v_binop(I16X8, |b, x, y| b.ins().usub_sat(x, y)),
            O::I8x16MinS => self.v_binop(I8X16, |b, x, y| b.ins().smin(x, y)),
            O::I8x16MinU => self.v_binop(I8X16, |b, x, y| b.ins().umin(x, y)),
            O::I8x16MaxS => self.v_binop(I8X16, |b, x, y| b.ins().smax(x, y)),
            O::I8x16MaxU => self.v_binop(I8X16, |b, x, y| b.ins().umax(x, y)),
            O::I16x8MinS => self.v_binop(I16X8, |b, x, y| b.ins().smin(x, y)),
            O::I16x8MinU => self.v_binop(I16X8, |b, x, y| b.ins().umin(x, y)),
            O::I16x8MaxS => self.v_binop(I16X8, |b, x, y| b.ins().smax(x, y)),
            O::I16x8MaxU => self.v_binop(I16X8, |b, x, y| b.ins().umax(x, y)),
            O::I32x4MinS => self.v_binop(I32X4, |b, x, y| b.ins().smin(x, y)),
            O::I32x4MinU => self.v_binop(I32X4, |b, x, y| b.ins().umin(x, y)),
            O::I32x4MaxS => self.v_binop(I32X4, |b, x, y| b.ins().smax(x, y)),
            O::I32x4MaxU => self.v_binop(I32X4, |b, x, y| b.ins().umax(x, y)),
            O::I8x16AvgrU => self.v_binop(I8X16, |b, x, y| b.ins().avg_round(x, y)),
            O::I16x8AvgrU => self.v_binop(I16X8, |b, x, y| b.ins().avg_round(x, y)),
            O::I16x8Q15MulrSatS => self.v_binop(I16X8, |b, x, y| b.ins().sqmul_round_sat(x, y)),
            O::I32x4DotI16x8S => self.v_binop(I16X8, dot_pairs),

            // Shifts.
            O::I8x16Shl => self.v_shift(I8X16, Shift::Left),
            O::I16x8Shl => self.v_shift(I16X8, Shift::Left),
            O::I32x4Shl => self.v_shift(I32X4, Shift::Left),
            O::I64x2Shl => self.v_shift(I64X2, Shift::Left),
            O::I8x16ShrS => self.v_shift(I8X16, Shift::RightSigned),
            O::I16x8ShrS => self.v_shift(I16X8, Shift::RightSigned),
            O::I32x4ShrS => self.v_shift(I32X4, Shift::RightSigned),
            O::I64x2ShrS => self.v_shift(I64X2, Shift::RightSigned),
            O::I8x16ShrU => self.v_shift(I8X16, Shift::RightUnsigned),
            O::I16x8ShrU => self.v_shift(I16X8, Shift::RightUnsigned),
            O::I32x4ShrU => self.v_shift(I32X4, Shift::RightUnsigned),
            O::I64x2ShrU => self.v_shift(I64X2, Shift::RightUnsigned),

            // Narrowing (saturating), widening, extending multiplies and adds.
            O::I8x16NarrowI16x8S => self.v_binop(I16X8, |b, x, y| b.ins().snarrow(x, y)),
            O::I8x16NarrowI16x8U => self.v_binop(I16X8, |b, x, y| b.ins().unarrow(x, y)),
            O::I16x8NarrowI32x4S => self.v_binop(I32X4, |b, x, y| b.ins().snarrow(x, y)),
            O::I16x8NarrowI32x4U => self.v_binop(I32X4, |b, x, y| b.ins().unarrow(x, y)),
            O::I16x8ExtendLowI8x16S => self.v_extend(I8X16, true, Half::Low),
            O::I16x8ExtendHighI8x16S => self.v_extend(I8X16, true, Half::High),
            O::I16x8ExtendLowI8x16U => self.v_extend(I8X16, false, Half::Low),
            O::I16x8ExtendHighI8x16U => self.v_extend(I8X16, false, Half::High),
            O::I32x4ExtendLowI16x8S => self.v_extend(I16X8, true, Half::Low),
            O::I32x4ExtendHighI16x8S => self.v_extend(I16X8, true, Half::High),
            O::I32x4ExtendLowI16x8U => self.v_extend(I16X8, false, Half::Low),
            O::I32x4ExtendHighI16x8U => self.v_extend(I16X8, false, Half::High),
            O::I64x2ExtendLowI32x4S => self.v_extend(I32X4, true, Half::Low),
            O::I64x2ExtendHighI32x4S => self.v_extend(I32X4, true, Half::High),
            O::I64x2ExtendLowI32x4U => self.v_extend(I32X4, false, Half::Low),
            O::I64x2ExtendHighI32x4U => self.v_extend(I32X4, false, Half::High),
            O::I16x8ExtMulLowI8x16S => self.v_extmul(I8X16, true, Half::Low),
            O::I16x8ExtMulHighI8x16S => self.v_extmul(I8X16, true, Half::High),
            O::I16x8ExtMulLowI8x16U => self.v_extmul(I8X16, false, Half::Low),
            O::I16x8ExtMulHighI8x16U => self.v_extmul(I8X16, false, Half::High),
            O::I32x4ExtMulLowI16x8S => self.v_extmul(I16X8, true, Half::Low),
            O::I32x4ExtMulHighI16x8S => self.v_extmul(I16X8, true, Half::High),
            O::I32x4ExtMulLowI16x8U => self.v_extmul(I16X8, false, Half::Low),
            O::I32x4ExtMulHighI16x8U => self.v_extmul(I16X8, false, Half::High),
            O::I64x2ExtMulLowI32x4S => self.v_extmul(I32X4, true, Half::Low),
            O::I64x2ExtMulHighI32x4S => self.v_extmul(I32X4, true, Half::High),
            O::I64x2ExtMulLowI32x4U => self.v_extmul(I32X4, false, Half::Low),
            O::I64x2ExtMulHighI32x4U => self.v_extmul(I32X4, false, Half::High),
            O::I16x8ExtAddPairwiseI8x16S => self.v_extadd_pairwise(I8X16, true),
            O::I16x8ExtAddPairwiseI8x16U => self.v_extadd_pairwise(I8X16, false),
            O::I32x4ExtAddPairwiseI16x8S => self.v_extadd_pairwise(I16X8, true),
            O::I32x4ExtAddPairwiseI16x8U => self.v_extadd_pairwise(I16X8, false),

            // Floating point. `fmin`/`fmax` have wasm's NaN and signed-zero rules.
            O::F32x4Abs => self.v_unop(F32X4, |b, a| b.ins().fabs(a)),
            O::F64x2Abs => self.v_unop(F64X2, |b, a| b.ins().fabs(a)),
            O::F32x4Neg => self.v_unop(F32X4, |b, a| b.ins().fneg(a)),
            O::F64x2Neg => self.v_unop(F64X2, |b, a| b.ins().fneg(a)),
            O::F32x4Sqrt => self.v_unop(F32X4, |b, a| b.ins().sqrt(a)),
            O::F64x2Sqrt => self.v_unop(F64X2, |b, a| b.ins().sqrt(a)),
            O::F32x4Ceil => self.v_unop(F32X4, |b, a| b.ins().ceil(a)),
            O::F64x2Ceil => self.v_unop(F64X2, |b, a| b.ins().ceil(a)),
            O::F32x4Floor => self.v_unop(F32X4, |b, a| b.ins().floor(a)),
            O::F64x2Floor => self.v_unop(F64X2, |b, a| b.ins().floor(a)),
            O::F32x4Trunc => self.v_unop(F32X4, |b, a| b.ins().trunc(a)),
            O::F64x2Trunc => self.v_unop(F64X2, |b, a| b.ins().trunc(a)),
            O::F32x4Nearest => self.v_unop(F32X4, |b, a| b.ins().nearest(a)),
            O::F64x2Nearest => self.v_unop(F64X2, |b, a| b.ins().nearest(a)),
            O::F32x4Add => self.v_binop(F32X4, |b, x, y| b.ins().fadd(x, y)),
            O::F64x2Add => self.v_binop(F64X2, |b, x, y| b.ins().fadd(x, y)),
            O::F32x4Sub => self.v_binop(F32X4, |b, x, y| b.ins().fsub(x, y)),
            O::F64x2Sub => self.v_binop(F64X2, |b, x, y| b.ins().fsub(x, y)),
            O::F32x4Mul => self.v_binop(F32X4, |b, x, y| b.ins().fmul(x, y)),
            O::F64x2Mul => self.v_binop(F64X2, |b, x, y| b.ins().fmul(x, y)),
            O::F32x4Div => self.v_binop(F32X4, |b, x, y| b.ins().fdiv(x, y)),
            O::F64x2Div => self.v_binop(F64X2, |b, x, y| b.ins().fdiv(x, y)),
            O::F32x4Min => self.v_binop(F32X4, |b, x, y| b.ins().fmin(x, y)),
            O::F64x2Min => self.v_binop(F64X2, |b, x, y| b.ins().fmin(x, y)),
            O::F32x4Max => self.v_binop(F32X4, |b, x, y| b.ins().fmax(x, y)),
            O::F64x2Max => self.v_binop(F64X2, |b, x, y| b.ins().fmax(x, y)),
            O::F32x4PMin => self.v_pseudo_minmax(F32X4, false),
            O::F64x2PMin => self.v_pseudo_minmax(F64X2, false),
            O::F32x4PMax => self.v_pseudo_minmax(F32X4, true),
            O::F64x2PMax => self.v_pseudo_minmax(F64X2, true),

            // Conversions.
            O::I32x4TruncSatF32x4S => self.v_unop(F32X4, |b, a| b.ins().fcvt_to_sint_sat(I32X4, a)),
            O::I32x4TruncSatF32x4U => self.v_unop(F32X4, |b, a| b.ins().fcvt_to_uint_sat(I32X4, a)),
            O::I32x4TruncSatF64x2SZero => self.v_trunc_sat_zero(true),
            O::I32x4TruncSatF64x2UZero => self.v_trunc_sat_zero(false),
            O::F32x4ConvertI32x4S => self.v_unop(I32X4, |b, a| b.ins().fcvt_from_sint(F32X4, a)),
            O::F32x4ConvertI32x4U => self.v_unop(I32X4, |b, a| b.ins().fcvt_from_uint(F32X4, a)),
            O::F64x2ConvertLowI32x4S => self.v_unop(I32X4, |b, a| {
                let wide = b.ins().swiden_low(a);
                b.ins().fcvt_from_sint(F64X2, wide)
            }),
            O::F64x2ConvertLowI32x4U => self.v_unop(I32X4, |b, a| {
                let wide = b.ins().uwiden_low(a);
                b.ins().fcvt_from_uint(F64X2, wide)
            }),
            O::F32x4DemoteF64x2Zero => self.v_unop(F64X2, |b, a| b.ins().fvdemote(a)),
            O::F64x2PromoteLowF32x4 => self.v_unop(F32X4, |b, a| b.ins().fvpromote_low(a)),

            // Relaxed SIMD (WebAssembly 3.0): each instruction has the one
            // result the interpreter gives too (see `docs/design.md`),
            // mostly that of its strict counterpart.
            O::I8x16RelaxedSwizzle => return self.simd_operator(O::I8x16Swizzle),
            O::I32x4RelaxedTruncF32x4S => return self.simd_operator(O::I32x4TruncSatF32x4S),
            O::I32x4RelaxedTruncF32x4U => return self.simd_operator(O::I32x4TruncSatF32x4U),
            O::I32x4RelaxedTruncF64x2SZero => {
                return self.simd_operator(O::I32x4TruncSatF64x2SZero)
            }
            O::I32x4RelaxedTruncF64x2UZero => {
                return self.simd_operator(O::I32x4TruncSatF64x2UZero)
            }
            O::F32x4RelaxedMin => return self.simd_operator(O::F32x4Min),
            O::F32x4RelaxedMax => return self.simd_operator(O::F32x4Max),
            O::F64x2RelaxedMin => return self.simd_operator(O::F64x2Min),
            O::F64x2RelaxedMax => return self.simd_operator(O::F64x2Max),
            O::I16x8RelaxedQ15mulrS => return self.simd_operator(O::I16x8Q15MulrSatS),
            O::I8x16RelaxedLaneselect
            | O::I16x8RelaxedLaneselect
            | O::I32x4RelaxedLaneselect
            | O::I64x2RelaxedLaneselect => return self.simd_operator(O::V128Bitselect),
            O::F32x4RelaxedMadd => self.v_madd(F32X4, false),
            O::F32x4RelaxedNmadd => self.v_madd(F32X4, true),
            O::F64x2RelaxedMadd => self.v_madd(F64X2, false),
            O::F64x2RelaxedNmadd => self.v_madd(F64X2, true),
            O::I16x8RelaxedDotI8x16I7x16S => self.v_binop(I8X16, dot_pairs),
            O::I32x4RelaxedDotI8x16I7x16AddS => {
                let acc = self.pop_lanes(I32X4);
                let y = self.pop_lanes(I8X16);
                let x = self.pop_lanes(I8X16);
                let dot = dot_pairs(&mut self.b, x, y);
                let lo = widen(&mut self.b, dot, true, Half::Low);
                let hi = widen(&mut self.b, dot, true, Half::High);
                let sums = self.b.ins().iadd_pairwise(lo, hi);
                let v = self.b.ins().iadd(sums, acc);
                self.push_lanes(v);
            }

            other => return Err(unsupported(&format!("instruction {}", op_name(&other)))),
        }
        Ok(())
    }

    /// `relaxed_madd` (`a * b + c`) or `relaxed_nmadd` (`c - a * b`), unfused:
    /// the product is rounded before the sum, on every ISA.
    fn v_madd(&mut self, ty: Type, negate: bool) {
        let c = self.pop_lanes(ty);
        let y = self.pop_lanes(ty);
        let x = self.pop_lanes(ty);
        let product = self.b.ins().fmul(x, y);
        let v = if negate {
            self.b.ins().fsub(c, product)
        } else {
            self.b.ins().fadd(product, c)
        };
        self.push_lanes(v);
    }

    /// `all_true`: 1 if no `ty` lane is zero.
    fn all_true(&mut self, ty: Type) {
        self.v_unop(ty, |b, a| {
            let t = b.ins().vall_true(a);
            b.ins().uextend(I32, t)
        });
    }
}
