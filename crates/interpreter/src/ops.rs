//! The table of simple numeric instructions: one line each, naming the
//! WebAssembly operator and giving its semantics on `u64` slots.
//!
//! `for_each_numeric_op!` hands the whole table to another macro; `code.rs` turns
//! it into instruction variants, `translate.rs` into the operator mapping and
//! `exec.rs` into dispatch arms, so the three can never disagree.
//!
//! Slot conventions: `i32` and `f32` values sit zero-extended in the low 32 bits.

macro_rules! for_each_numeric_op {
    ($m:ident $(, $args:tt)*) => {
        $m! {
            $($args)*
            binary: [
                (I32Add, |a, b| (a as u32).wrapping_add(b as u32) as u64),
                (I32Sub, |a, b| (a as u32).wrapping_sub(b as u32) as u64),
                (I32Mul, |a, b| (a as u32).wrapping_mul(b as u32) as u64),
                (I32And, |a, b| (a as u32 & b as u32) as u64),
                (I32Or, |a, b| (a as u32 | b as u32) as u64),
                (I32Xor, |a, b| (a as u32 ^ b as u32) as u64),
                (I32Shl, |a, b| (a as u32).wrapping_shl(b as u32) as u64),
                (I32ShrS, |a, b| (a as i32).wrapping_shr(b as u32) as u32 as u64),
                (I32ShrU, |a, b| (a as u32).wrapping_shr(b as u32) as u64),
                (I32Rotl, |a, b| (a as u32).rotate_left(b as u32) as u64),
                (I32Rotr, |a, b| (a as u32).rotate_right(b as u32) as u64),
                (I32Eq, |a, b| (a as u32 == b as u32) as u64),
                (I32Ne, |a, b| (a as u32 != b as u32) as u64),
                (I32LtS, |a, b| ((a as i32) < (b as i32)) as u64),
                (I32LtU, |a, b| ((a as u32) < (b as u32)) as u64),
                (I32GtS, |a, b| ((a as i32) > (b as i32)) as u64),
                (I32GtU, |a, b| ((a as u32) > (b as u32)) as u64),
                (I32LeS, |a, b| ((a as i32) <= (b as i32)) as u64),
                (I32LeU, |a, b| ((a as u32) <= (b as u32)) as u64),
                (I32GeS, |a, b| ((a as i32) >= (b as i32)) as u64),
                (I32GeU, |a, b| ((a as u32) >= (b as u32)) as u64),
                (I64Add, |a, b| a.wrapping_add(b)),
                (I64Sub, |a, b| a.wrapping_sub(b)),
                (I64Mul, |a, b| a.wrapping_mul(b)),
                (I64And, |a, b| a & b),
                (I64Or, |a, b| a | b),
                (I64Xor, |a, b| a ^ b),
                (I64Shl, |a, b| a.wrapping_shl(b as u32)),
                (I64ShrS, |a, b| (a as i64).wrapping_shr(b as u32) as u64),
                (I64ShrU, |a, b| a.wrapping_shr(b as u32)),
                (I64Rotl, |a, b| a.rotate_left((b & 63) as u32)),
                (I64Rotr, |a, b| a.rotate_right((b & 63) as u32)),
                (I64Eq, |a, b| (a == b) as u64),
                (I64Ne, |a, b| (a != b) as u64),
                (I64LtS, |a, b| ((a as i64) < (b as i64)) as u64),
                (I64LtU, |a, b| (a < b) as u64),
                (I64GtS, |a, b| ((a as i64) > (b as i64)) as u64),
                (I64GtU, |a, b| (a > b) as u64),
                (I64LeS, |a, b| ((a as i64) <= (b as i64)) as u64),
                (I64LeU, |a, b| (a <= b) as u64),
                (I64GeS, |a, b| ((a as i64) >= (b as i64)) as u64),
                (I64GeU, |a, b| (a >= b) as u64),
                (F32Add, |a, b| f32_bits(f32v(a) + f32v(b))),
                (F32Sub, |a, b| f32_bits(f32v(a) - f32v(b))),
                (F32Mul, |a, b| f32_bits(f32v(a) * f32v(b))),
                (F32Div, |a, b| f32_bits(f32v(a) / f32v(b))),
                (F32Min, |a, b| f32_bits(crate::float::f32_min(f32v(a), f32v(b)))),
                (F32Max, |a, b| f32_bits(crate::float::f32_max(f32v(a), f32v(b)))),
                (F32Copysign, |a, b| ((a as u32 & 0x7fff_ffff) | (b as u32 & 0x8000_0000)) as u64),
                (F32Eq, |a, b| (f32v(a) == f32v(b)) as u64),
                (F32Ne, |a, b| (f32v(a) != f32v(b)) as u64),
                (F32Lt, |a, b| (f32v(a) < f32v(b)) as u64),
                (F32Gt, |a, b| (f32v(a) > f32v(b)) as u64),
                (F32Le, |a, b| (f32v(a) <= f32v(b)) as u64),
                (F32Ge, |a, b| (f32v(a) >= f32v(b)) as u64),
                (F64Add, |a, b| (f64v(a) + f64v(b)).to_bits()),
                (F64Sub, |a, b| (f64v(a) - f64v(b)).to_bits()),
                (F64Mul, |a, b| (f64v(a) * f64v(b)).to_bits()),
                (F64Div, |a, b| (f64v(a) / f64v(b)).to_bits()),
                (F64Min, |a, b| crate::float::f64_min(f64v(a), f64v(b)).to_bits()),
                (F64Max, |a, b| crate::float::f64_max(f64v(a), f64v(b)).to_bits()),
                (F64Copysign, |a, b| (a & !(1 << 63)) | (b & (1 << 63))),
                (F64Eq, |a, b| (f64v(a) == f64v(b)) as u64),
                (F64Ne, |a, b| (f64v(a) != f64v(b)) as u64),
                (F64Lt, |a, b| (f64v(a) < f64v(b)) as u64),
                (F64Gt, |a, b| (f64v(a) > f64v(b)) as u64),
                (F64Le, |a, b| (f64v(a) <= f64v(b)) as u64),
                (F64Ge, |a, b| (f64v(a) >= f64v(b)) as u64),
            ],
            try_binary: [
                (I32DivS, |a, b| {
                    let (a, b) = (a as i32, b as i32);
                    if b == 0 {
                        Err(TrapCode::IntegerDivideByZero)
                    } else if a == i32::MIN && b == -1 {
                        Err(TrapCode::IntegerOverflow)
                    } else {
                        Ok((a / b) as u32 as u64)
                    }
                }),
                (I32DivU, |a, b| match (b as u32) {
                    0 => Err(TrapCode::IntegerDivideByZero),
                    d => Ok(((a as u32) / d) as u64),
                }),
                (I32RemS, |a, b| match (b as i32) {
                    0 => Err(TrapCode::IntegerDivideByZero),
                    d => Ok((a as i32).wrapping_rem(d) as u32 as u64),
                }),
                (I32RemU, |a, b| match (b as u32) {
                    0 => Err(TrapCode::IntegerDivideByZero),
                    d => Ok(((a as u32) % d) as u64),
                }),
                (I64DivS, |a, b| {
                    let (a, b) = (a as i64, b as i64);
                    if b == 0 {
                        Err(TrapCode::IntegerDivideByZero)
                    } else if a == i64::MIN && b == -1 {
                        Err(TrapCode::IntegerOverflow)
                    } else {
                        Ok((a / b) as u64)
                    }
                }),
                (I64DivU, |a, b| match b {
                    0 => Err(TrapCode::IntegerDivideByZero),
                    d => Ok(a / d),
                }),
                (I64RemS, |a, b| match (b as i64) {
                    0 => Err(TrapCode::IntegerDivideByZero),
                    d => Ok((a as i64).wrapping_rem(d) as u64),
                }),
                (I64RemU, |a, b| match b {
                    0 => Err(TrapCode::IntegerDivideByZero),
                    d => Ok(a % d),
                }),
            ],
            unary: [
                (I32Eqz, |a| (a as u32 == 0) as u64),
                (I32Clz, |a| (a as u32).leading_zeros() as u64),
                (I32Ctz, |a| (a as u32).trailing_zeros() as u64),
                (I32Popcnt, |a| (a as u32).count_ones() as u64),
                (I32Extend8S, |a| (a as u8 as i8 as i32) as u32 as u64),
                (I32Extend16S, |a| (a as u16 as i16 as i32) as u32 as u64),
                (I32WrapI64, |a| a as u32 as u64),
                (I64Eqz, |a| (a == 0) as u64),
                (I64Clz, |a| a.leading_zeros() as u64),
                (I64Ctz, |a| a.trailing_zeros() as u64),
                (I64Popcnt, |a| a.count_ones() as u64),
                (I64Extend8S, |a| (a as u8 as i8 as i64) as u64),
                (I64Extend16S, |a| (a as u16 as i16 as i64) as u64),
                (I64Extend32S, |a| (a as u32 as i32 as i64) as u64),
                (I64ExtendI32S, |a| (a as u32 as i32 as i64) as u64),
                (I64ExtendI32U, |a| a as u32 as u64),
                (F32Abs, |a| (a as u32 & 0x7fff_ffff) as u64),
                (F32Neg, |a| (a as u32 ^ 0x8000_0000) as u64),
                (F32Ceil, |a| f32_bits(quiet32(f32v(a).ceil()))),
                (F32Floor, |a| f32_bits(quiet32(f32v(a).floor()))),
                (F32Trunc, |a| f32_bits(quiet32(f32v(a).trunc()))),
                (F32Nearest, |a| f32_bits(quiet32(f32v(a).round_ties_even()))),
                (F32Sqrt, |a| f32_bits(f32v(a).sqrt())),
                (F64Abs, |a| a & !(1 << 63)),
                (F64Neg, |a| a ^ (1 << 63)),
                (F64Ceil, |a| quiet64(f64v(a).ceil()).to_bits()),
                (F64Floor, |a| quiet64(f64v(a).floor()).to_bits()),
                (F64Trunc, |a| quiet64(f64v(a).trunc()).to_bits()),
                (F64Nearest, |a| quiet64(f64v(a).round_ties_even()).to_bits()),
                (F64Sqrt, |a| f64v(a).sqrt().to_bits()),
                (F32ConvertI32S, |a| f32_bits(a as u32 as i32 as f32)),
                (F32ConvertI32U, |a| f32_bits(a as u32 as f32)),
                (F32ConvertI64S, |a| f32_bits(a as i64 as f32)),
                (F32ConvertI64U, |a| f32_bits(a as f32)),
                (F64ConvertI32S, |a| (a as u32 as i32 as f64).to_bits()),
                (F64ConvertI32U, |a| (a as u32 as f64).to_bits()),
                (F64ConvertI64S, |a| (a as i64 as f64).to_bits()),
                (F64ConvertI64U, |a| (a as f64).to_bits()),
                (F32DemoteF64, |a| f32_bits(f64v(a) as f32)),
                (F64PromoteF32, |a| (f32v(a) as f64).to_bits()),
                (I32TruncSatF32S, |a| (f32v(a) as i32) as u32 as u64),
                (I32TruncSatF32U, |a| (f32v(a) as u32) as u64),
                (I32TruncSatF64S, |a| (f64v(a) as i32) as u32 as u64),
                (I32TruncSatF64U, |a| (f64v(a) as u32) as u64),
                (I64TruncSatF32S, |a| (f32v(a) as i64) as u64),
                (I64TruncSatF32U, |a| f32v(a) as u64),
                (I64TruncSatF64S, |a| (f64v(a) as i64) as u64),
                (I64TruncSatF64U, |a| f64v(a) as u64),
            ],
            try_unary: [
                (I32TruncF32S, |a| crate::float::i32_trunc_f32_s(f32v(a)).map(|v| v as u32 as u64)),
                (I32TruncF32U, |a| crate::float::i32_trunc_f32_u(f32v(a)).map(u64::from)),
                (I32TruncF64S, |a| crate::float::i32_trunc_f64_s(f64v(a)).map(|v| v as u32 as u64)),
                (I32TruncF64U, |a| crate::float::i32_trunc_f64_u(f64v(a)).map(u64::from)),
                (I64TruncF32S, |a| crate::float::i64_trunc_f32_s(f32v(a)).map(|v| v as u64)),
                (I64TruncF32U, |a| crate::float::i64_trunc_f32_u(f32v(a))),
                (I64TruncF64S, |a| crate::float::i64_trunc_f64_s(f64v(a)).map(|v| v as u64)),
                (I64TruncF64U, |a| crate::float::i64_trunc_f64_u(f64v(a))),
            ],
        }
    };
}

pub(crate) use for_each_numeric_op;

/// The `f32` in a slot.
#[inline(always)]
pub(crate) fn f32v(slot: u64) -> f32 {
    f32::from_bits(slot as u32)
}

/// The `f64` in a slot.
#[inline(always)]
pub(crate) fn f64v(slot: u64) -> f64 {
    f64::from_bits(slot)
}

/// An `f32` as a slot.
#[inline(always)]
pub(crate) fn f32_bits(v: f32) -> u64 {
    u64::from(v.to_bits())
}

/// `v` with a NaN made quiet: rounding a signalling NaN must give an arithmetic NaN.
#[inline(always)]
pub(crate) fn quiet32(v: f32) -> f32 {
    if v.is_nan() {
        f32::from_bits(v.to_bits() | 0x0040_0000)
    } else {
        v
    }
}

/// `v` with a NaN made quiet.
#[inline(always)]
pub(crate) fn quiet64(v: f64) -> f64 {
    if v.is_nan() {
        f64::from_bits(v.to_bits() | 0x0008_0000_0000_0000)
    } else {
        v
    }
}
