//! Semantics of the WebAssembly 2.0 fixed-width SIMD instructions (`v128`).
//!
//! Every instruction is a pure function over `u128` values: a `v128` with lane 0
//! in the least-significant bits (little-endian lane order, as in memory). The
//! interpreter does all stack, slot and memory handling itself; this module
//! only classifies operators ([`simd_op`], [`simd_mem_op`]) and computes.
//!
//! Relaxed SIMD (WebAssembly 3.0) gets one deterministic result per
//! instruction, the same as the compiler's: mostly its strict counterpart
//! (see [`simd_op`] and [`relaxed_ternary`]).

use core::ops::{Add, Mul};

use wasmparser::{MemArg, Operator};

/// How the interpreter runs one SIMD instruction that is not a memory access or a constant.
#[derive(Clone, Copy)]
pub(crate) enum SimdOp {
    /// `v128 -> v128` (abs, neg, sqrt, not, extends, conversions, ...).
    Unary(fn(u128) -> u128),
    /// `v128, v128 -> v128` (arithmetic, comparisons, swizzle, narrow, dot, extmul, ...).
    Binary(fn(u128, u128) -> u128),
    /// `v128.bitselect(a, b, c)`: the interpreter calls [`bitselect`].
    Bitselect,
    /// `v128, i32 -> v128`: shifts; the fn takes the raw count and masks it to the lane width.
    Shift(fn(u128, u32) -> u128),
    /// `v128 -> i32`: `v128.any_true`, `*.all_true`, `*.bitmask`.
    Test(fn(u128) -> u32),
    /// `scalar -> v128`: `*.splat`, taking the raw slot bits (i32/f32 in the low 32 bits).
    Splat(fn(u64) -> u128),
    /// `v128 -> scalar`: `*.extract_lane*` with its lane index; returns slot bits
    /// (i32 and f32 results zero-extended from 32 bits).
    ExtractLane(fn(u128, u8) -> u64, u8),
    /// `v128, scalar -> v128`: `*.replace_lane` with its lane index; the scalar as raw slot bits.
    ReplaceLane(fn(u128, u64, u8) -> u128, u8),
    /// `i8x16.shuffle` with its 16 lane indices (each < 32); run with [`shuffle`].
    Shuffle([u8; 16]),
}

/// How a SIMD memory instruction transforms memory bytes.
///
/// The interpreter reads `bytes` little-endian bytes at the effective address into
/// the low bits of a `u64` (for `Load128`/`Store128` it handles 16 bytes itself).
#[derive(Clone, Copy)]
pub(crate) enum SimdMemOp {
    /// `v128.load`.
    Load128,
    /// `v128.store`.
    Store128,
    /// `v128.load{8x8,16x4,32x2}_{s,u}`, `v128.load{8,16,32,64}_splat`,
    /// `v128.load{32,64}_zero`: `f` turns the loaded bits into the vector.
    LoadExtend {
        /// How many bytes are loaded.
        bytes: u8,
        /// Builds the vector from the loaded bits.
        f: fn(u64) -> u128,
    },
    /// `v128.load{8,16,32,64}_lane`: the loaded bits replace lane `lane`
    /// (width `bytes * 8`) of the vector operand; see [`replace_lane_bytes`].
    LoadLane {
        /// Lane width in bytes.
        bytes: u8,
        /// Lane index.
        lane: u8,
    },
    /// `v128.store{8,16,32,64}_lane`: lane `lane` (width `bytes * 8`) is stored
    /// as `bytes` bytes; see [`extract_lane_bytes`].
    StoreLane {
        /// Lane width in bytes.
        bytes: u8,
        /// Lane index.
        lane: u8,
    },
}

// ---------------------------------------------------------------------------
// Lane access
// ---------------------------------------------------------------------------

/// A scalar type that fills one lane of a `v128`.
trait Lane: Copy {
    /// Lane width in bits.
    const BITS: u32;
    /// The lane value held in the low `BITS` bits of `bits`.
    fn from_bits(bits: u128) -> Self;
    /// The lane's bits, zero-extended to 128 bits.
    fn to_bits(self) -> u128;
}

/// Implements [`Lane`] for integer types via their unsigned twin.
macro_rules! int_lanes {
    ($($t:ty => $u:ty),* $(,)?) => {$(
        impl Lane for $t {
            const BITS: u32 = <$t>::BITS;
            fn from_bits(bits: u128) -> Self {
                bits as $u as $t
            }
            fn to_bits(self) -> u128 {
                self as $u as u128
            }
        }
    )*};
}
int_lanes!(i8 => u8, u8 => u8, i16 => u16, u16 => u16, i32 => u32, u32 => u32, i64 => u64, u64 => u64);

/// Float operations needed beyond [`Lane`], implemented for `f32` and `f64`.
trait Float: Lane + PartialOrd {
    /// The canonical quiet NaN (positive sign, only the quiet bit in the payload).
    const CANONICAL_NAN: Self;
    /// The quiet bit of the payload.
    const QUIET_BIT: u128;
    /// Whether this is a NaN.
    fn is_nan(self) -> bool;
    /// Whether the sign bit is set.
    fn is_sign_negative(self) -> bool;
}

/// Implements [`Lane`] and [`Float`] for a float type.
macro_rules! float_lanes {
    ($($t:ty => $u:ty, $nan:expr, $quiet:expr);* $(;)?) => {$(
        impl Lane for $t {
            const BITS: u32 = <$u>::BITS;
            fn from_bits(bits: u128) -> Self {
                <$t>::from_bits(bits as $u)
            }
            fn to_bits(self) -> u128 {
                <$t>::to_bits(self) as u128
            }
        }
        impl Float for $t {
            const CANONICAL_NAN: Self = <$t>::from_bits($nan);
            const QUIET_BIT: u128 = $quiet;
            fn is_nan(self) -> bool {
                <$t>::is_nan(self)
            }
            fn is_sign_negative(self) -> bool {
                <$t>::is_sign_negative(self)
            }
        }
    )*};
}
float_lanes! {
    f32 => u32, 0x7fc0_0000, 0x0040_0000;
    f64 => u64, 0x7ff8_0000_0000_0000, 0x0008_0000_0000_0000;
}

/// Number of `T` lanes in a `v128`.
fn lanes<T: Lane>() -> usize {
    (128 / T::BITS) as usize
}

/// Lane `i` of `v`, viewed as `T`.
fn lane<T: Lane>(v: u128, i: usize) -> T {
    T::from_bits(v >> (i as u32 * T::BITS))
}

/// The vector whose lane `i` (of type `T`) is `f(i)`.
fn build<T: Lane>(f: impl Fn(usize) -> T) -> u128 {
    (0..lanes::<T>()).fold(0, |acc, i| acc | f(i).to_bits() << (i as u32 * T::BITS))
}

/// Applies `f` to every lane (input and output lanes have the same width).
fn map<T: Lane, R: Lane>(v: u128, f: impl Fn(T) -> R) -> u128 {
    build(|i| f(lane(v, i)))
}

/// Combines corresponding lanes of `a` and `b` with `f`.
fn zip<T: Lane>(a: u128, b: u128, f: impl Fn(T, T) -> T) -> u128 {
    build(|i| f(lane(a, i), lane(b, i)))
}

/// Lane-wise comparison: all-ones lanes where `f` holds, all-zeros elsewhere.
fn compare<T: Lane>(a: u128, b: u128, f: impl Fn(T, T) -> bool) -> u128 {
    let ones = u128::MAX >> (128 - T::BITS);
    (0..lanes::<T>()).fold(0, |acc, i| {
        if f(lane(a, i), lane(b, i)) {
            acc | ones << (i as u32 * T::BITS)
        } else {
            acc
        }
    })
}

/// `*.splat` and `v128.load*_splat`: every `T` lane set to the low bits of `x`.
fn splat<T: Lane>(x: u64) -> u128 {
    build(|_| T::from_bits(x.into()))
}

/// `*.extract_lane` (and `_u`): lane `l` as `T`, zero-extended to the slot.
fn extract_u<T: Lane>(v: u128, l: u8) -> u64 {
    lane::<T>(v, l.into()).to_bits() as u64
}

/// `*.extract_lane_s`: lane `l` sign-extended to i32, then zero-extended to the slot.
fn extract_s<T: Lane + Into<i32>>(v: u128, l: u8) -> u64 {
    u64::from(lane::<T>(v, l.into()).into() as u32)
}

/// `*.replace_lane`: lane `l` (of `T`'s width) replaced with the low bits of `x`.
fn replace<T: Lane>(v: u128, x: u64, l: u8) -> u128 {
    replace_lane_bytes(v, x, (T::BITS / 8) as u8, l)
}

/// For `LoadLane`: replaces lane `lane` of width `bytes * 8` bits of `v` with the low bits of `value`.
pub(crate) fn replace_lane_bytes(v: u128, value: u64, bytes: u8, lane: u8) -> u128 {
    let bits = u32::from(bytes) * 8;
    let shift = u32::from(lane) * bits;
    let mask = (u128::MAX >> (128 - bits)) << shift;
    (v & !mask) | ((u128::from(value) << shift) & mask)
}

/// For `StoreLane`: lane `lane` of width `bytes * 8` bits of `v`, zero-extended.
pub(crate) fn extract_lane_bytes(v: u128, bytes: u8, lane: u8) -> u64 {
    let bits = u32::from(bytes) * 8;
    ((v >> (u32::from(lane) * bits)) & (u128::MAX >> (128 - bits))) as u64
}

// ---------------------------------------------------------------------------
// Instruction semantics that need more than a one-line closure
// ---------------------------------------------------------------------------

/// `i8x16.shuffle`: byte `i` of the result is byte `lanes[i]` of `a ++ b`.
pub(crate) fn shuffle(a: u128, b: u128, lanes: &[u8; 16]) -> u128 {
    let (a, b) = (a.to_le_bytes(), b.to_le_bytes());
    let pick = |l: u8| match l {
        0..16 => a[usize::from(l)],
        _ => b.get(usize::from(l) - 16).copied().unwrap_or(0),
    };
    u128::from_le_bytes(lanes.map(pick))
}

/// `i8x16.swizzle`: byte `i` of the result is byte `s[i]` of `a`, or 0 if `s[i] >= 16`.
fn swizzle(a: u128, s: u128) -> u128 {
    let a = a.to_le_bytes();
    u128::from_le_bytes(
        s.to_le_bytes()
            .map(|l| a.get(usize::from(l)).copied().unwrap_or(0)),
    )
}

/// `v128.bitselect`: bits of `a` where `c` is set, bits of `b` elsewhere.
pub(crate) fn bitselect(a: u128, b: u128, c: u128) -> u128 {
    (a & c) | (b & !c)
}

/// `*.all_true`: 1 if every `T` lane is non-zero.
fn all_true<T: Lane>(v: u128) -> u32 {
    (0..lanes::<T>())
        .all(|i| lane::<T>(v, i).to_bits() != 0)
        .into()
}

/// `*.bitmask`: bit `i` is the top bit of lane `i`.
fn bitmask<T: Lane>(v: u128) -> u32 {
    (0..lanes::<T>()).fold(0, |m, i| {
        m | ((lane::<T>(v, i).to_bits() >> (T::BITS - 1)) as u32) << i
    })
}

/// `*.extend_{low,high}_*` and `v128.load*x*`: the low or high half of the `T`
/// lanes, each widened to `R`.
fn extend<T: Lane, R: Lane + From<T>, const HIGH: bool>(v: u128) -> u128 {
    let base = if HIGH { lanes::<R>() } else { 0 };
    build(|i| R::from(lane::<T>(v, base + i)))
}

/// `*.extmul_{low,high}_*`: widening multiply of the low or high half (never overflows `R`).
fn extmul<T: Lane, R: Lane + From<T> + Mul<Output = R>, const HIGH: bool>(
    a: u128,
    b: u128,
) -> u128 {
    let base = if HIGH { lanes::<R>() } else { 0 };
    build(|i| R::from(lane::<T>(a, base + i)) * R::from(lane::<T>(b, base + i)))
}

/// `*.extadd_pairwise_*`: sum of each adjacent pair of `T` lanes, widened to `R`.
fn extadd_pairwise<T: Lane, R: Lane + From<T> + Add<Output = R>>(v: u128) -> u128 {
    build(|i| R::from(lane::<T>(v, 2 * i)) + R::from(lane::<T>(v, 2 * i + 1)))
}

/// `*.narrow_*`: the lanes of `a` then `b`, each narrowed by `f` (which saturates).
fn narrow<T: Lane, R: Lane>(a: u128, b: u128, f: impl Fn(T) -> R) -> u128 {
    let half = lanes::<T>();
    build(|i| {
        f(if i < half {
            lane(a, i)
        } else {
            lane(b, i - half)
        })
    })
}

/// `i32x4.dot_i16x8_s`: sums of products of adjacent signed 16-bit lanes (wrapping).
fn dot_i16x8_s(a: u128, b: u128) -> u128 {
    let product = |j| i32::from(lane::<i16>(a, j)) * i32::from(lane::<i16>(b, j));
    build(|i| product(2 * i).wrapping_add(product(2 * i + 1)))
}

/// `i16x8.relaxed_dot_i8x16_i7x16_s`: sums of products of adjacent signed
/// 8-bit lanes (both operands signed), wrapping to 16 bits.
fn dot_i8x16_s(a: u128, b: u128) -> u128 {
    let product = |j| i16::from(lane::<i8>(a, j)) * i16::from(lane::<i8>(b, j));
    build(|i| product(2 * i).wrapping_add(product(2 * i + 1)))
}

/// A relaxed SIMD instruction of three operands `a, b, c`, run as up to three
/// of the interpreter's one- and two-operand steps into one slot `d`:
/// `d = first(a, b)`, then `d = then(d)`, then `d = last(d, c)` (or
/// `last(c, d)` if `c_first`).
#[derive(Clone, Copy)]
pub(crate) struct Ternary {
    pub(crate) first: fn(u128, u128) -> u128,
    pub(crate) then: Option<fn(u128) -> u128>,
    pub(crate) last: fn(u128, u128) -> u128,
    pub(crate) c_first: bool,
}

/// The three-operand relaxed SIMD instructions: `relaxed_madd` (`a * b + c`)
/// and `relaxed_nmadd` (`c - a * b`), unfused (the product is rounded), and
/// `i32x4.relaxed_dot_i8x16_i7x16_add_s` (the 16-bit dot product above,
/// its adjacent lanes summed to 32 bits, plus `c`).
pub(crate) fn relaxed_ternary(op: &Operator<'_>) -> Option<Ternary> {
    use Operator as O;
    let madd = |first, last, c_first| Ternary {
        first,
        then: None,
        last,
        c_first,
    };
    Some(match op {
        O::F32x4RelaxedMadd => madd(
            |a, b| zip::<f32>(a, b, |x, y| quiet(x * y)),
            |a, b| zip::<f32>(a, b, |x, y| quiet(x + y)),
            false,
        ),
        O::F32x4RelaxedNmadd => madd(
            |a, b| zip::<f32>(a, b, |x, y| quiet(x * y)),
            |a, b| zip::<f32>(a, b, |x, y| quiet(x - y)),
            true,
        ),
        O::F64x2RelaxedMadd => madd(
            |a, b| zip::<f64>(a, b, |x, y| quiet(x * y)),
            |a, b| zip::<f64>(a, b, |x, y| quiet(x + y)),
            false,
        ),
        O::F64x2RelaxedNmadd => madd(
            |a, b| zip::<f64>(a, b, |x, y| quiet(x * y)),
            |a, b| zip::<f64>(a, b, |x, y| quiet(x - y)),
            true,
        ),
        O::I32x4RelaxedDotI8x16I7x16AddS => Ternary {
            first: dot_i8x16_s,
            then: Some(extadd_pairwise::<i16, i32>),
            last: |a, b| zip::<u32>(a, b, u32::wrapping_add),
            c_first: false,
        },
        _ => return None,
    })
}

/// `i16x8.q15mulr_sat_s`: rounding, saturating Q15 multiplication.
fn q15mulr_sat(x: i16, y: i16) -> i16 {
    let r = (i32::from(x) * i32::from(y) + 0x4000) >> 15;
    r.clamp(i16::MIN.into(), i16::MAX.into()) as i16
}

/// Quiets a NaN result (sets its quiet bit) so it is an arithmetic NaN; other values pass.
fn quiet<F: Float>(x: F) -> F {
    if x.is_nan() {
        F::from_bits(x.to_bits() | F::QUIET_BIT)
    } else {
        x
    }
}

/// `f*.min`: NaN if either operand is NaN, and -0 < +0.
fn fmin<F: Float>(a: F, b: F) -> F {
    if a.is_nan() || b.is_nan() {
        F::CANONICAL_NAN
    } else if a < b || (a == b && a.is_sign_negative()) {
        a
    } else {
        b
    }
}

/// `f*.max`: NaN if either operand is NaN, and -0 < +0.
fn fmax<F: Float>(a: F, b: F) -> F {
    if a.is_nan() || b.is_nan() {
        F::CANONICAL_NAN
    } else if a > b || (a == b && b.is_sign_negative()) {
        a
    } else {
        b
    }
}

/// `f*.pmin`: `b < a ? b : a`.
fn pmin<F: Float>(a: F, b: F) -> F {
    if b < a {
        b
    } else {
        a
    }
}

/// `f*.pmax`: `a < b ? b : a`.
fn pmax<F: Float>(a: F, b: F) -> F {
    if a < b {
        b
    } else {
        a
    }
}

/// The sign bits of the four f32 lanes.
const F32_SIGNS: u128 = 0x8000_0000_8000_0000_8000_0000_8000_0000;
/// The sign bits of the two f64 lanes.
const F64_SIGNS: u128 = 0x8000_0000_0000_0000_8000_0000_0000_0000;

// ---------------------------------------------------------------------------
// Classification
// ---------------------------------------------------------------------------

/// `SimdOp::Unary` mapping each `$t` lane through `$f`.
macro_rules! unary {
    ($t:ty, $f:expr) => {
        SimdOp::Unary(|v| map::<$t, $t>(v, $f))
    };
}
/// `SimdOp::Binary` combining corresponding `$t` lanes with `$f`.
macro_rules! binary {
    ($t:ty, $f:expr) => {
        SimdOp::Binary(|a, b| zip::<$t>(a, b, $f))
    };
}
/// `SimdOp::Binary` comparing corresponding `$t` lanes with `$f`.
macro_rules! cmp {
    ($t:ty, $f:expr) => {
        SimdOp::Binary(|a, b| compare::<$t>(a, b, $f))
    };
}
/// `SimdOp::Shift` applying `$t::$f` (whose count is masked to the lane width) to each lane.
macro_rules! shift {
    ($t:ty, $f:ident) => {
        SimdOp::Shift(|v, n| map::<$t, $t>(v, |x| x.$f(n)))
    };
}
/// `SimdOp::Unary` mapping each `$t` float lane through `$f`, quieting NaN results.
macro_rules! float_unary {
    ($t:ty, $f:expr) => {
        SimdOp::Unary(|v| map::<$t, $t>(v, |x| quiet($f(x))))
    };
}
/// `SimdOp::Binary` combining `$t` float lanes with the operator `$op`, quieting NaN results.
macro_rules! float_binary {
    ($t:ty, $op:tt) => {
        SimdOp::Binary(|a, b| zip::<$t>(a, b, |x, y| quiet(x $op y)))
    };
}

/// Classifies a SIMD operator; `None` for anything that is not a [`SimdOp`]
/// (non-SIMD operators, `v128.const`, SIMD memory access and relaxed SIMD).
pub(crate) fn simd_op(op: &Operator<'_>) -> Option<SimdOp> {
    use Operator as O;
    use SimdOp::{Binary, Bitselect, ExtractLane, ReplaceLane, Shuffle, Splat, Test, Unary};
    Some(match *op {
        // Lanes and splats.
        O::I8x16Shuffle { lanes } => Shuffle(lanes),
        O::I8x16Swizzle => Binary(swizzle),
        O::I8x16Splat => Splat(splat::<u8>),
        O::I16x8Splat => Splat(splat::<u16>),
        O::I32x4Splat | O::F32x4Splat => Splat(splat::<u32>),
        O::I64x2Splat | O::F64x2Splat => Splat(splat::<u64>),
        O::I8x16ExtractLaneS { lane } => ExtractLane(extract_s::<i8>, lane),
        O::I8x16ExtractLaneU { lane } => ExtractLane(extract_u::<u8>, lane),
        O::I16x8ExtractLaneS { lane } => ExtractLane(extract_s::<i16>, lane),
        O::I16x8ExtractLaneU { lane } => ExtractLane(extract_u::<u16>, lane),
        O::I32x4ExtractLane { lane } | O::F32x4ExtractLane { lane } => {
            ExtractLane(extract_u::<u32>, lane)
        }
        O::I64x2ExtractLane { lane } | O::F64x2ExtractLane { lane } => {
            ExtractLane(extract_u::<u64>, lane)
        }
        O::I8x16ReplaceLane { lane } => ReplaceLane(replace::<u8>, lane),
        O::I16x8ReplaceLane { lane } => ReplaceLane(replace::<u16>, lane),
        O::I32x4ReplaceLane { lane } | O::F32x4ReplaceLane { lane } => {
            ReplaceLane(replace::<u32>, lane)
        }
        O::I64x2ReplaceLane { lane } | O::F64x2ReplaceLane { lane } => {
            ReplaceLane(replace::<u64>, lane)
        }

        // Integer comparisons.
        O::I8x16Eq => cmp!(u8, |x, y| x == y),
        O::I8x16Ne => cmp!(u8, |x, y| x != y),
        O::I8x16LtS => cmp!(i8, |x, y| x < y),
        O::I8x16LtU => cmp!(u8, |x, y| x < y),
        O::I8x16GtS => cmp!(i8, |x, y| x > y),
        O::I8x16GtU => cmp!(u8, |x, y| x > y),
        O::I8x16LeS => cmp!(i8, |x, y| x <= y),
        O::I8x16LeU => cmp!(u8, |x, y| x <= y),
        O::I8x16GeS => cmp!(i8, |x, y| x >= y),
        O::I8x16GeU => cmp!(u8, |x, y| x >= y),
        O::I16x8Eq => cmp!(u16, |x, y| x == y),
        O::I16x8Ne => cmp!(u16, |x, y| x != y),
        O::I16x8LtS => cmp!(i16, |x, y| x < y),
        O::I16x8LtU => cmp!(u16, |x, y| x < y),
        O::I16x8GtS => cmp!(i16, |x, y| x > y),
        O::I16x8GtU => cmp!(u16, |x, y| x > y),
        O::I16x8LeS => cmp!(i16, |x, y| x <= y),
        O::I16x8LeU => cmp!(u16, |x, y| x <= y),
        O::I16x8GeS => cmp!(i16, |x, y| x >= y),
        O::I16x8GeU => cmp!(u16, |x, y| x >= y),
        O::I32x4Eq => cmp!(u32, |x, y| x == y),
        O::I32x4Ne => cmp!(u32, |x, y| x != y),
        O::I32x4LtS => cmp!(i32, |x, y| x < y),
        O::I32x4LtU => cmp!(u32, |x, y| x < y),
        O::I32x4GtS => cmp!(i32, |x, y| x > y),
        O::I32x4GtU => cmp!(u32, |x, y| x > y),
        O::I32x4LeS => cmp!(i32, |x, y| x <= y),
        O::I32x4LeU => cmp!(u32, |x, y| x <= y),
        O::I32x4GeS => cmp!(i32, |x, y| x >= y),
        O::I32x4GeU => cmp!(u32, |x, y| x >= y),
        O::I64x2Eq => cmp!(u64, |x, y| x == y),
        O::I64x2Ne => cmp!(u64, |x, y| x != y),
        O::I64x2LtS => cmp!(i64, |x, y| x < y),
        O::I64x2GtS => cmp!(i64, |x, y| x > y),
        O::I64x2LeS => cmp!(i64, |x, y| x <= y),
        O::I64x2GeS => cmp!(i64, |x, y| x >= y),

        // Float comparisons (IEEE: false when either operand is NaN, except ne).
        O::F32x4Eq => cmp!(f32, |x, y| x == y),
        O::F32x4Ne => cmp!(f32, |x, y| x != y),
        O::F32x4Lt => cmp!(f32, |x, y| x < y),
        O::F32x4Gt => cmp!(f32, |x, y| x > y),
        O::F32x4Le => cmp!(f32, |x, y| x <= y),
        O::F32x4Ge => cmp!(f32, |x, y| x >= y),
        O::F64x2Eq => cmp!(f64, |x, y| x == y),
        O::F64x2Ne => cmp!(f64, |x, y| x != y),
        O::F64x2Lt => cmp!(f64, |x, y| x < y),
        O::F64x2Gt => cmp!(f64, |x, y| x > y),
        O::F64x2Le => cmp!(f64, |x, y| x <= y),
        O::F64x2Ge => cmp!(f64, |x, y| x >= y),

        // Bitwise operations and tests.
        O::V128Not => Unary(|v| !v),
        O::V128And => Binary(|a, b| a & b),
        O::V128AndNot => Binary(|a, b| a & !b),
        O::V128Or => Binary(|a, b| a | b),
        O::V128Xor => Binary(|a, b| a ^ b),
        O::V128Bitselect => Bitselect,
        O::V128AnyTrue => Test(|v| (v != 0).into()),
        O::I8x16AllTrue => Test(all_true::<u8>),
        O::I16x8AllTrue => Test(all_true::<u16>),
        O::I32x4AllTrue => Test(all_true::<u32>),
        O::I64x2AllTrue => Test(all_true::<u64>),
        O::I8x16Bitmask => Test(bitmask::<u8>),
        O::I16x8Bitmask => Test(bitmask::<u16>),
        O::I32x4Bitmask => Test(bitmask::<u32>),
        O::I64x2Bitmask => Test(bitmask::<u64>),

        // Shifts (count taken modulo the lane width by wrapping_shl/shr).
        O::I8x16Shl => shift!(u8, wrapping_shl),
        O::I8x16ShrS => shift!(i8, wrapping_shr),
        O::I8x16ShrU => shift!(u8, wrapping_shr),
        O::I16x8Shl => shift!(u16, wrapping_shl),
        O::I16x8ShrS => shift!(i16, wrapping_shr),
        O::I16x8ShrU => shift!(u16, wrapping_shr),
        O::I32x4Shl => shift!(u32, wrapping_shl),
        O::I32x4ShrS => shift!(i32, wrapping_shr),
        O::I32x4ShrU => shift!(u32, wrapping_shr),
        O::I64x2Shl => shift!(u64, wrapping_shl),
        O::I64x2ShrS => shift!(i64, wrapping_shr),
        O::I64x2ShrU => shift!(u64, wrapping_shr),

        // i8x16 arithmetic.
        O::I8x16Abs => unary!(i8, i8::wrapping_abs),
        O::I8x16Neg => unary!(i8, i8::wrapping_neg),
        O::I8x16Popcnt => unary!(u8, |x| x.count_ones() as u8),
        O::I8x16Add => binary!(u8, u8::wrapping_add),
        O::I8x16AddSatS => binary!(i8, i8::saturating_add),
        O::I8x16AddSatU => binary!(u8, u8::saturating_add),
        O::I8x16Sub => binary!(u8, u8::wrapping_sub),
        O::I8x16SubSatS => binary!(i8, i8::saturating_sub),
        O::I8x16SubSatU => binary!(u8, u8::saturating_sub),
        O::I8x16MinS => binary!(i8, i8::min),
        O::I8x16MinU => binary!(u8, u8::min),
        O::I8x16MaxS => binary!(i8, i8::max),
        O::I8x16MaxU => binary!(u8, u8::max),
        O::I8x16AvgrU => binary!(u8, |x, y| ((u16::from(x) + u16::from(y) + 1) >> 1) as u8),
        O::I8x16NarrowI16x8S => {
            Binary(|a, b| narrow(a, b, |x: i16| x.clamp(i8::MIN.into(), i8::MAX.into()) as i8))
        }
        O::I8x16NarrowI16x8U => Binary(|a, b| narrow(a, b, |x: i16| x.clamp(0, 0xff) as u8)),

        // i16x8 arithmetic.
        O::I16x8Abs => unary!(i16, i16::wrapping_abs),
        O::I16x8Neg => unary!(i16, i16::wrapping_neg),
        O::I16x8Add => binary!(u16, u16::wrapping_add),
        O::I16x8AddSatS => binary!(i16, i16::saturating_add),
        O::I16x8AddSatU => binary!(u16, u16::saturating_add),
        O::I16x8Sub => binary!(u16, u16::wrapping_sub),
        O::I16x8SubSatS => binary!(i16, i16::saturating_sub),
        O::I16x8SubSatU => binary!(u16, u16::saturating_sub),
        O::I16x8Mul => binary!(u16, u16::wrapping_mul),
        O::I16x8MinS => binary!(i16, i16::min),
        O::I16x8MinU => binary!(u16, u16::min),
        O::I16x8MaxS => binary!(i16, i16::max),
        O::I16x8MaxU => binary!(u16, u16::max),
        O::I16x8AvgrU => binary!(u16, |x, y| ((u32::from(x) + u32::from(y) + 1) >> 1) as u16),
        O::I16x8Q15MulrSatS => binary!(i16, q15mulr_sat),
        O::I16x8NarrowI32x4S => Binary(|a, b| {
            narrow(a, b, |x: i32| {
                x.clamp(i16::MIN.into(), i16::MAX.into()) as i16
            })
        }),
        O::I16x8NarrowI32x4U => Binary(|a, b| narrow(a, b, |x: i32| x.clamp(0, 0xffff) as u16)),
        O::I16x8ExtendLowI8x16S => Unary(extend::<i8, i16, false>),
        O::I16x8ExtendHighI8x16S => Unary(extend::<i8, i16, true>),
        O::I16x8ExtendLowI8x16U => Unary(extend::<u8, u16, false>),
        O::I16x8ExtendHighI8x16U => Unary(extend::<u8, u16, true>),
        O::I16x8ExtMulLowI8x16S => Binary(extmul::<i8, i16, false>),
        O::I16x8ExtMulHighI8x16S => Binary(extmul::<i8, i16, true>),
        O::I16x8ExtMulLowI8x16U => Binary(extmul::<u8, u16, false>),
        O::I16x8ExtMulHighI8x16U => Binary(extmul::<u8, u16, true>),
        O::I16x8ExtAddPairwiseI8x16S => Unary(extadd_pairwise::<i8, i16>),
        O::I16x8ExtAddPairwiseI8x16U => Unary(extadd_pairwise::<u8, u16>),

        // i32x4 arithmetic.
        O::I32x4Abs => unary!(i32, i32::wrapping_abs),
        O::I32x4Neg => unary!(i32, i32::wrapping_neg),
        O::I32x4Add => binary!(u32, u32::wrapping_add),
        O::I32x4Sub => binary!(u32, u32::wrapping_sub),
        O::I32x4Mul => binary!(u32, u32::wrapping_mul),
        O::I32x4MinS => binary!(i32, i32::min),
        O::I32x4MinU => binary!(u32, u32::min),
        O::I32x4MaxS => binary!(i32, i32::max),
        O::I32x4MaxU => binary!(u32, u32::max),
        O::I32x4DotI16x8S => Binary(dot_i16x8_s),
        O::I32x4ExtendLowI16x8S => Unary(extend::<i16, i32, false>),
        O::I32x4ExtendHighI16x8S => Unary(extend::<i16, i32, true>),
        O::I32x4ExtendLowI16x8U => Unary(extend::<u16, u32, false>),
        O::I32x4ExtendHighI16x8U => Unary(extend::<u16, u32, true>),
        O::I32x4ExtMulLowI16x8S => Binary(extmul::<i16, i32, false>),
        O::I32x4ExtMulHighI16x8S => Binary(extmul::<i16, i32, true>),
        O::I32x4ExtMulLowI16x8U => Binary(extmul::<u16, u32, false>),
        O::I32x4ExtMulHighI16x8U => Binary(extmul::<u16, u32, true>),
        O::I32x4ExtAddPairwiseI16x8S => Unary(extadd_pairwise::<i16, i32>),
        O::I32x4ExtAddPairwiseI16x8U => Unary(extadd_pairwise::<u16, u32>),

        // i64x2 arithmetic.
        O::I64x2Abs => unary!(i64, i64::wrapping_abs),
        O::I64x2Neg => unary!(i64, i64::wrapping_neg),
        O::I64x2Add => binary!(u64, u64::wrapping_add),
        O::I64x2Sub => binary!(u64, u64::wrapping_sub),
        O::I64x2Mul => binary!(u64, u64::wrapping_mul),
        O::I64x2ExtendLowI32x4S => Unary(extend::<i32, i64, false>),
        O::I64x2ExtendHighI32x4S => Unary(extend::<i32, i64, true>),
        O::I64x2ExtendLowI32x4U => Unary(extend::<u32, u64, false>),
        O::I64x2ExtendHighI32x4U => Unary(extend::<u32, u64, true>),
        O::I64x2ExtMulLowI32x4S => Binary(extmul::<i32, i64, false>),
        O::I64x2ExtMulHighI32x4S => Binary(extmul::<i32, i64, true>),
        O::I64x2ExtMulLowI32x4U => Binary(extmul::<u32, u64, false>),
        O::I64x2ExtMulHighI32x4U => Binary(extmul::<u32, u64, true>),

        // f32x4 arithmetic (abs/neg touch only the sign bits).
        O::F32x4Abs => Unary(|v| v & !F32_SIGNS),
        O::F32x4Neg => Unary(|v| v ^ F32_SIGNS),
        O::F32x4Sqrt => float_unary!(f32, f32::sqrt),
        O::F32x4Ceil => float_unary!(f32, f32::ceil),
        O::F32x4Floor => float_unary!(f32, f32::floor),
        O::F32x4Trunc => float_unary!(f32, f32::trunc),
        O::F32x4Nearest => float_unary!(f32, f32::round_ties_even),
        O::F32x4Add => float_binary!(f32, +),
        O::F32x4Sub => float_binary!(f32, -),
        O::F32x4Mul => float_binary!(f32, *),
        O::F32x4Div => float_binary!(f32, /),
        O::F32x4Min => binary!(f32, fmin),
        O::F32x4Max => binary!(f32, fmax),
        O::F32x4PMin => binary!(f32, pmin),
        O::F32x4PMax => binary!(f32, pmax),

        // f64x2 arithmetic.
        O::F64x2Abs => Unary(|v| v & !F64_SIGNS),
        O::F64x2Neg => Unary(|v| v ^ F64_SIGNS),
        O::F64x2Sqrt => float_unary!(f64, f64::sqrt),
        O::F64x2Ceil => float_unary!(f64, f64::ceil),
        O::F64x2Floor => float_unary!(f64, f64::floor),
        O::F64x2Trunc => float_unary!(f64, f64::trunc),
        O::F64x2Nearest => float_unary!(f64, f64::round_ties_even),
        O::F64x2Add => float_binary!(f64, +),
        O::F64x2Sub => float_binary!(f64, -),
        O::F64x2Mul => float_binary!(f64, *),
        O::F64x2Div => float_binary!(f64, /),
        O::F64x2Min => binary!(f64, fmin),
        O::F64x2Max => binary!(f64, fmax),
        O::F64x2PMin => binary!(f64, pmin),
        O::F64x2PMax => binary!(f64, pmax),

        // Relaxed SIMD: the strict counterparts' results.
        O::I8x16RelaxedSwizzle => Binary(swizzle),
        O::I32x4RelaxedTruncF32x4S => Unary(|v| map(v, |x: f32| x as i32)),
        O::I32x4RelaxedTruncF32x4U => Unary(|v| map(v, |x: f32| x as u32)),
        O::I32x4RelaxedTruncF64x2SZero => {
            Unary(|v| build(|i| if i < 2 { lane::<f64>(v, i) as i32 } else { 0 }))
        }
        O::I32x4RelaxedTruncF64x2UZero => {
            Unary(|v| build(|i| if i < 2 { lane::<f64>(v, i) as u32 } else { 0 }))
        }
        O::F32x4RelaxedMin => binary!(f32, fmin),
        O::F32x4RelaxedMax => binary!(f32, fmax),
        O::F64x2RelaxedMin => binary!(f64, fmin),
        O::F64x2RelaxedMax => binary!(f64, fmax),
        O::I16x8RelaxedQ15mulrS => binary!(i16, q15mulr_sat),
        O::I8x16RelaxedLaneselect
        | O::I16x8RelaxedLaneselect
        | O::I32x4RelaxedLaneselect
        | O::I64x2RelaxedLaneselect => Bitselect,
        O::I16x8RelaxedDotI8x16I7x16S => Binary(dot_i8x16_s),

        // Conversions (`as` from float to int saturates and maps NaN to 0).
        O::I32x4TruncSatF32x4S => Unary(|v| map(v, |x: f32| x as i32)),
        O::I32x4TruncSatF32x4U => Unary(|v| map(v, |x: f32| x as u32)),
        O::I32x4TruncSatF64x2SZero => {
            Unary(|v| build(|i| if i < 2 { lane::<f64>(v, i) as i32 } else { 0 }))
        }
        O::I32x4TruncSatF64x2UZero => {
            Unary(|v| build(|i| if i < 2 { lane::<f64>(v, i) as u32 } else { 0 }))
        }
        O::F32x4ConvertI32x4S => Unary(|v| map(v, |x: i32| x as f32)),
        O::F32x4ConvertI32x4U => Unary(|v| map(v, |x: u32| x as f32)),
        O::F64x2ConvertLowI32x4S => Unary(|v| build(|i| f64::from(lane::<i32>(v, i)))),
        O::F64x2ConvertLowI32x4U => Unary(|v| build(|i| f64::from(lane::<u32>(v, i)))),
        O::F32x4DemoteF64x2Zero => Unary(|v| {
            build(|i| {
                if i < 2 {
                    quiet(lane::<f64>(v, i) as f32)
                } else {
                    0.0
                }
            })
        }),
        O::F64x2PromoteLowF32x4 => Unary(|v| build(|i| quiet(f64::from(lane::<f32>(v, i))))),

        _ => return None,
    })
}

/// Classifies a SIMD memory operator, returning it with its [`MemArg`]; `None` otherwise.
pub(crate) fn simd_mem_op(op: &Operator<'_>) -> Option<(SimdMemOp, MemArg)> {
    use Operator as O;
    use SimdMemOp::{Load128, LoadExtend, LoadLane, Store128, StoreLane};
    /// A `LoadExtend` of `bytes` bytes.
    fn ext(bytes: u8, f: fn(u64) -> u128) -> SimdMemOp {
        LoadExtend { bytes, f }
    }
    let (kind, memarg) = match *op {
        O::V128Load { memarg } => (Load128, memarg),
        O::V128Store { memarg } => (Store128, memarg),
        O::V128Load8x8S { memarg } => (ext(8, |x| extend::<i8, i16, false>(x.into())), memarg),
        O::V128Load8x8U { memarg } => (ext(8, |x| extend::<u8, u16, false>(x.into())), memarg),
        O::V128Load16x4S { memarg } => (ext(8, |x| extend::<i16, i32, false>(x.into())), memarg),
        O::V128Load16x4U { memarg } => (ext(8, |x| extend::<u16, u32, false>(x.into())), memarg),
        O::V128Load32x2S { memarg } => (ext(8, |x| extend::<i32, i64, false>(x.into())), memarg),
        O::V128Load32x2U { memarg } => (ext(8, |x| extend::<u32, u64, false>(x.into())), memarg),
        O::V128Load8Splat { memarg } => (ext(1, splat::<u8>), memarg),
        O::V128Load16Splat { memarg } => (ext(2, splat::<u16>), memarg),
        O::V128Load32Splat { memarg } => (ext(4, splat::<u32>), memarg),
        O::V128Load64Splat { memarg } => (ext(8, splat::<u64>), memarg),
        O::V128Load32Zero { memarg } => (ext(4, |x| u128::from(x as u32)), memarg),
        O::V128Load64Zero { memarg } => (ext(8, u128::from), memarg),
        O::V128Load8Lane { memarg, lane } => (LoadLane { bytes: 1, lane }, memarg),
        O::V128Load16Lane { memarg, lane } => (LoadLane { bytes: 2, lane }, memarg),
        O::V128Load32Lane { memarg, lane } => (LoadLane { bytes: 4, lane }, memarg),
        O::V128Load64Lane { memarg, lane } => (LoadLane { bytes: 8, lane }, memarg),
        O::V128Store8Lane { memarg, lane } => (StoreLane { bytes: 1, lane }, memarg),
        O::V128Store16Lane { memarg, lane } => (StoreLane { bytes: 2, lane }, memarg),
        O::V128Store32Lane { memarg, lane } => (StoreLane { bytes: 4, lane }, memarg),
        O::V128Store64Lane { memarg, lane } => (StoreLane { bytes: 8, lane }, memarg),
        _ => return None,
    };
    Some((kind, memarg))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a v128 from 16 bytes.
    fn i8x16(l: [i8; 16]) -> u128 {
        build(|i| l[i])
    }
    /// Builds a v128 from 8 halfwords.
    fn i16x8(l: [i16; 8]) -> u128 {
        build(|i| l[i])
    }
    /// Builds a v128 from 4 words.
    fn i32x4(l: [i32; 4]) -> u128 {
        build(|i| l[i])
    }
    /// Builds a v128 from 2 doublewords.
    fn i64x2(l: [i64; 2]) -> u128 {
        build(|i| l[i])
    }
    /// Builds a v128 from 4 f32 lanes.
    fn f32x4(l: [f32; 4]) -> u128 {
        build(|i| l[i])
    }
    /// Builds a v128 from 2 f64 lanes.
    fn f64x2(l: [f64; 2]) -> u128 {
        build(|i| l[i])
    }
    /// The f32 lanes' bit patterns.
    fn f32_bits(v: u128) -> [u32; 4] {
        core::array::from_fn(|i| lane(v, i))
    }
    /// The f64 lanes' bit patterns.
    fn f64_bits(v: u128) -> [u64; 2] {
        core::array::from_fn(|i| lane(v, i))
    }

    /// Runs a unary operator.
    fn un(op: Operator<'_>, a: u128) -> u128 {
        match simd_op(&op) {
            Some(SimdOp::Unary(f)) => f(a),
            _ => panic!("{op:?} is not unary"),
        }
    }
    /// Runs a binary operator.
    fn bin(op: Operator<'_>, a: u128, b: u128) -> u128 {
        match simd_op(&op) {
            Some(SimdOp::Binary(f)) => f(a, b),
            _ => panic!("{op:?} is not binary"),
        }
    }
    /// Runs a shift operator.
    fn sh(op: Operator<'_>, a: u128, n: u32) -> u128 {
        match simd_op(&op) {
            Some(SimdOp::Shift(f)) => f(a, n),
            _ => panic!("{op:?} is not a shift"),
        }
    }
    /// Runs a test operator.
    fn test(op: Operator<'_>, a: u128) -> u32 {
        match simd_op(&op) {
            Some(SimdOp::Test(f)) => f(a),
            _ => panic!("{op:?} is not a test"),
        }
    }

    #[test]
    fn integer_arithmetic() {
        use Operator as O;
        let cases: &[(Operator<'_>, u128, u128, u128)] = &[
            (
                O::I8x16Add,
                i8x16([127, -128, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1]),
                i8x16([1, -1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1]),
                i8x16([-128, 127, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -2]),
            ),
            (
                O::I8x16AddSatS,
                i8x16([127, -128, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1]),
                i8x16([1, -1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1]),
                i8x16([127, -128, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -2]),
            ),
            (
                O::I8x16AddSatU,
                i8x16([-1, -2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
                i8x16([1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
                i8x16([-1, -1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            ),
            (
                O::I8x16SubSatU,
                i8x16([0, 5, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
                i8x16([1, 3, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
                i8x16([0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            ),
            (
                O::I16x8SubSatS,
                i16x8([-32768, 32767, 5, 0, 0, 0, 0, 0]),
                i16x8([1, -1, 7, 0, 0, 0, 0, 0]),
                i16x8([-32768, 32767, -2, 0, 0, 0, 0, 0]),
            ),
            (
                O::I8x16AvgrU,
                i8x16([-1, 0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
                i8x16([-1, 1, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
                i8x16([-1, 1, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            ),
            (
                O::I16x8AvgrU,
                i16x8([-1, -2, 0, 0, 0, 0, 0, 0]),
                i16x8([-1, -1, 0, 0, 0, 0, 0, 0]),
                i16x8([-1, -1, 0, 0, 0, 0, 0, 0]),
            ),
            (
                O::I16x8Q15MulrSatS,
                i16x8([-32768, 16384, -32768, 1, 0, 0, 0, 0]),
                i16x8([-32768, 16384, 32767, 16384, 0, 0, 0, 0]),
                i16x8([32767, 8192, -32767, 1, 0, 0, 0, 0]),
            ),
            (
                O::I32x4DotI16x8S,
                i16x8([-32768, -32768, 1, 2, 3, 4, -5, 6]),
                i16x8([-32768, -32768, 3, 4, 5, 6, 7, 8]),
                i32x4([i32::MIN, 11, 39, 13]),
            ),
            (
                O::I8x16MinS,
                i8x16([-1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
                i8x16([1, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
                i8x16([-1, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            ),
            (
                O::I8x16MinU,
                i8x16([-1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
                i8x16([1, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
                i8x16([1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            ),
            (
                O::I32x4MaxU,
                i32x4([-1, 1, 0, 5]),
                i32x4([1, -1, 0, 4]),
                i32x4([-1, -1, 0, 5]),
            ),
            (
                O::I64x2Mul,
                i64x2([i64::MAX, -3]),
                i64x2([2, 5]),
                i64x2([-2, -15]),
            ),
            (
                O::I16x8ExtMulHighI8x16S,
                i8x16([0, 0, 0, 0, 0, 0, 0, 0, -128, 127, -1, 0, 0, 0, 0, 0]),
                i8x16([0, 0, 0, 0, 0, 0, 0, 0, -128, -128, -1, 0, 0, 0, 0, 0]),
                i16x8([16384, -16256, 1, 0, 0, 0, 0, 0]),
            ),
            (
                O::I16x8ExtMulLowI8x16U,
                i8x16([-1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
                i8x16([-1, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
                i16x8([-511, 6, 0, 0, 0, 0, 0, 0]), // 255 * 255 = 65025
            ),
            (
                O::I64x2ExtMulLowI32x4U,
                i32x4([-1, 2, 0, 0]),
                i32x4([-1, 3, 0, 0]),
                i64x2([-0x1_ffff_ffff, 6]),
            ),
            (
                O::I8x16NarrowI16x8S,
                i16x8([300, -300, 127, -128, 5, 0, 0, 0]),
                i16x8([128, -129, 0, 0, 0, 0, 0, -1]),
                i8x16([
                    127, -128, 127, -128, 5, 0, 0, 0, 127, -128, 0, 0, 0, 0, 0, -1,
                ]),
            ),
            (
                O::I8x16NarrowI16x8U,
                i16x8([300, -300, 255, 256, 5, 0, 0, 0]),
                i16x8([128, -1, 0, 0, 0, 0, 0, 0]),
                i8x16([-1, 0, -1, -1, 5, 0, 0, 0, -128, 0, 0, 0, 0, 0, 0, 0]),
            ),
            (
                O::I16x8NarrowI32x4S,
                i32x4([40000, -40000, 1, -1]),
                i32x4([32767, -32768, 32768, -32769]),
                i16x8([32767, -32768, 1, -1, 32767, -32768, 32767, -32768]),
            ),
            (
                O::I16x8NarrowI32x4U,
                i32x4([70000, -1, 65535, 0x8000]),
                i32x4([0, 1, 2, 3]),
                i16x8([-1, 0, -1, -32768, 0, 1, 2, 3]),
            ),
            (
                O::I8x16Swizzle,
                i8x16([
                    10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25,
                ]),
                i8x16([15, 0, 16, -1, 1, 100, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
                i8x16([25, 10, 0, 0, 11, 0, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21]),
            ),
            (O::I64x2LtS, i64x2([-1, 5]), i64x2([0, 5]), i64x2([-1, 0])),
            (
                O::I64x2GeS,
                i64x2([i64::MIN, 5]),
                i64x2([0, 5]),
                i64x2([0, -1]),
            ),
            (
                O::I8x16GtU,
                i8x16([-1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
                i8x16([1, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
                i8x16([-1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            ),
            (
                O::I16x8LeS,
                i16x8([-1, 1, 0, 0, 0, 0, 0, 0]),
                i16x8([1, -1, 0, 0, 0, 0, 0, 0]),
                i16x8([-1, 0, -1, -1, -1, -1, -1, -1]),
            ),
        ];
        for &(ref op, a, b, want) in cases {
            assert_eq!(bin(op.clone(), a, b), want, "{op:?}");
        }
    }

    #[test]
    fn integer_unary() {
        use Operator as O;
        let cases: &[(Operator<'_>, u128, u128)] = &[
            (
                O::I8x16Abs,
                i8x16([-128, -1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 127]),
                i8x16([-128, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 127]),
            ),
            (O::I64x2Abs, i64x2([i64::MIN, -7]), i64x2([i64::MIN, 7])),
            (
                O::I32x4Neg,
                i32x4([i32::MIN, 1, -1, 0]),
                i32x4([i32::MIN, -1, 1, 0]),
            ),
            (
                O::I8x16Popcnt,
                i8x16([-1, 0, 1, 3, 0x55, -128, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
                i8x16([8, 0, 1, 2, 4, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            ),
            (
                O::I16x8ExtAddPairwiseI8x16S,
                i8x16([-128, -128, 127, 127, -1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
                i16x8([-256, 254, 0, 0, 0, 0, 0, 0]),
            ),
            (
                O::I16x8ExtAddPairwiseI8x16U,
                i8x16([-1, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
                i16x8([510, 0, 0, 0, 0, 0, 0, 0]),
            ),
            (
                O::I32x4ExtAddPairwiseI16x8U,
                i16x8([-1, -1, 0, 0, 0, 0, 0, 0]),
                i32x4([131070, 0, 0, 0]),
            ),
            (
                O::I16x8ExtendHighI8x16S,
                i8x16([0, 0, 0, 0, 0, 0, 0, 0, -1, -128, 127, 0, 0, 0, 0, 1]),
                i16x8([-1, -128, 127, 0, 0, 0, 0, 1]),
            ),
            (
                O::I16x8ExtendLowI8x16U,
                i8x16([-1, -128, 127, 0, 0, 0, 0, 1, 9, 9, 9, 9, 9, 9, 9, 9]),
                i16x8([255, 128, 127, 0, 0, 0, 0, 1]),
            ),
            (
                O::I64x2ExtendHighI32x4S,
                i32x4([1, 2, -3, i32::MIN]),
                i64x2([-3, i32::MIN.into()]),
            ),
            (
                O::I64x2ExtendLowI32x4U,
                i32x4([-1, 2, -3, 4]),
                i64x2([0xffff_ffff, 2]),
            ),
            (O::V128Not, 0, u128::MAX),
        ];
        for &(ref op, a, want) in cases {
            assert_eq!(un(op.clone(), a), want, "{op:?}");
        }
    }

    #[test]
    fn shifts_mask_the_count() {
        use Operator as O;
        let v8 = i8x16([-128, 1, 0x40, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        let cases: &[(Operator<'_>, u128, u32, u128)] = &[
            (
                O::I8x16Shl,
                v8,
                9,
                i8x16([0, 2, -128, -2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            ),
            (O::I8x16ShrS, v8, 8, v8),
            (
                O::I8x16ShrS,
                v8,
                0xffff_ffff,
                i8x16([-1, 0, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            ),
            (
                O::I8x16ShrU,
                v8,
                7,
                i8x16([1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            ),
            (
                O::I16x8ShrS,
                i16x8([-32768, 4, 0, 0, 0, 0, 0, 0]),
                17,
                i16x8([-16384, 2, 0, 0, 0, 0, 0, 0]),
            ),
            (
                O::I32x4Shl,
                i32x4([1, -1, 0, 3]),
                32 + 31,
                i32x4([i32::MIN, i32::MIN, 0, i32::MIN]),
            ),
            (
                O::I32x4ShrU,
                i32x4([-1, 8, 0, 0]),
                -1i32 as u32,
                i32x4([1, 0, 0, 0]),
            ),
            (
                O::I64x2ShrS,
                i64x2([i64::MIN, 256]),
                64 + 4,
                i64x2([i64::MIN >> 4, 16]),
            ),
            (O::I64x2ShrU, i64x2([-1, 1]), 128, i64x2([-1, 1])),
        ];
        for &(ref op, a, n, want) in cases {
            assert_eq!(sh(op.clone(), a, n), want, "{op:?} by {n}");
        }
    }

    #[test]
    fn float_min_max() {
        use Operator as O;
        let nan = f32::from_bits(0x7fa0_0001); // signalling NaN
        let a = f32x4([-0.0, 0.0, nan, 1.0]);
        let b = f32x4([0.0, -0.0, 1.0, f32::NAN]);
        let canon = 0x7fc0_0000;
        let (neg0, pos0) = (0x8000_0000, 0);
        assert_eq!(f32_bits(bin(O::F32x4Min, a, b)), [neg0, neg0, canon, canon]);
        assert_eq!(f32_bits(bin(O::F32x4Max, a, b)), [pos0, pos0, canon, canon]);
        // pmin(a, b) = b < a ? b : a; pmax(a, b) = a < b ? b : a.
        assert_eq!(
            f32_bits(bin(O::F32x4PMin, a, b)),
            [neg0, pos0, nan.to_bits(), 1.0f32.to_bits()]
        );
        assert_eq!(
            f32_bits(bin(O::F32x4PMax, a, b)),
            [neg0, pos0, nan.to_bits(), 1.0f32.to_bits()]
        );
        let c = f32x4([1.0, 2.0, -1.0, f32::INFINITY]);
        let d = f32x4([2.0, 1.0, f32::NEG_INFINITY, 3.0]);
        assert_eq!(
            bin(O::F32x4PMin, c, d),
            f32x4([1.0, 1.0, f32::NEG_INFINITY, 3.0])
        );
        assert_eq!(
            bin(O::F32x4PMax, c, d),
            f32x4([2.0, 2.0, -1.0, f32::INFINITY])
        );
        assert_eq!(
            bin(O::F32x4Min, c, d),
            f32x4([1.0, 1.0, f32::NEG_INFINITY, 3.0])
        );

        let e = f64x2([-0.0, f64::NAN]);
        let f = f64x2([0.0, 1.0]);
        let canon = 0x7ff8_0000_0000_0000;
        assert_eq!(f64_bits(bin(O::F64x2Min, e, f)), [1 << 63, canon]);
        assert_eq!(f64_bits(bin(O::F64x2Max, e, f)), [0, canon]);
        assert_eq!(f64_bits(bin(O::F64x2Max, f, e)), [0, canon]);
        assert_eq!(f64_bits(bin(O::F64x2PMin, f, e)), [0, 1.0f64.to_bits()]);
        assert_eq!(
            f64_bits(bin(O::F64x2PMax, e, f)),
            [1 << 63, f64::NAN.to_bits()]
        );
    }

    #[test]
    fn float_arithmetic_and_rounding() {
        use Operator as O;
        let snan = f32::from_bits(0xff80_0001);
        let v = f32x4([-1.5, 2.5, snan, -0.0]);
        // abs/neg only touch the sign bit, even for NaNs.
        assert_eq!(
            f32_bits(un(O::F32x4Abs, v)),
            [0x3fc0_0000, 0x4020_0000, 0x7f80_0001, 0]
        );
        assert_eq!(
            f32_bits(un(O::F32x4Neg, v)),
            [0x3fc0_0000, 0xc020_0000, 0x7f80_0001, 0]
        );
        let nearest = f32_bits(un(O::F32x4Nearest, v));
        assert_eq!(nearest[..2], [(-2.0f32).to_bits(), 2.0f32.to_bits()]);
        assert_eq!(nearest[2] & 0x7fc0_0000, 0x7fc0_0000, "NaN result is quiet");
        assert_eq!(nearest[3], 0x8000_0000);
        assert_eq!(
            un(O::F32x4Ceil, v) as u64,
            f32x4([-1.0, 3.0, 0.0, 0.0]) as u64
        );
        assert_eq!(
            un(O::F32x4Floor, v) as u64,
            f32x4([-2.0, 2.0, 0.0, 0.0]) as u64
        );
        assert_eq!(
            un(O::F32x4Trunc, v) as u64,
            f32x4([-1.0, 2.0, 0.0, 0.0]) as u64
        );
        assert_eq!(un(O::F64x2Nearest, f64x2([0.5, -3.5])), f64x2([0.0, -4.0]));
        assert_eq!(
            f64_bits(un(O::F64x2Abs, f64x2([-0.0, -f64::NAN]))),
            [0, f64::NAN.to_bits()]
        );
        assert_eq!(un(O::F64x2Sqrt, f64x2([4.0, 2.25])), f64x2([2.0, 1.5]));
        let sum = f32_bits(bin(O::F32x4Add, v, f32x4([1.0, 1.0, 1.0, 0.0])));
        assert_eq!(sum[..2], [(-0.5f32).to_bits(), 3.5f32.to_bits()]);
        assert_eq!(sum[2] & 0x7fc0_0000, 0x7fc0_0000, "NaN result is quiet");
        assert_eq!(sum[3], 0, "-0 + 0 = +0");
        assert_eq!(
            bin(O::F64x2Div, f64x2([1.0, -1.0]), f64x2([0.0, 4.0])),
            f64x2([f64::INFINITY, -0.25])
        );
        assert_eq!(
            bin(
                O::F32x4Lt,
                f32x4([1.0, f32::NAN, -0.0, 2.0]),
                f32x4([2.0, 1.0, 0.0, 1.0])
            ),
            i32x4([-1, 0, 0, 0])
        );
        assert_eq!(
            bin(O::F64x2Ne, f64x2([f64::NAN, 1.0]), f64x2([f64::NAN, 1.0])),
            i64x2([-1, 0])
        );
    }

    #[test]
    fn conversions() {
        use Operator as O;
        let v = f32x4([f32::NAN, f32::INFINITY, -3.9e9, 2.7]);
        assert_eq!(
            un(O::I32x4TruncSatF32x4S, v),
            i32x4([0, i32::MAX, i32::MIN, 2])
        );
        assert_eq!(un(O::I32x4TruncSatF32x4U, v), i32x4([0, -1, 0, 2]));
        let w = f64x2([-f64::NAN, 4294967295.9]);
        assert_eq!(
            un(O::I32x4TruncSatF64x2SZero, w),
            i32x4([0, i32::MAX, 0, 0])
        );
        assert_eq!(un(O::I32x4TruncSatF64x2UZero, w), i32x4([0, -1, 0, 0]));
        assert_eq!(
            un(O::I32x4TruncSatF64x2UZero, f64x2([-0.9, -1.0])),
            i32x4([0, 0, 0, 0])
        );
        assert_eq!(
            un(O::F32x4ConvertI32x4U, i32x4([-1, 1, 0, 16777217])),
            f32x4([4294967296.0, 1.0, 0.0, 16777216.0])
        );
        assert_eq!(
            un(O::F32x4ConvertI32x4S, i32x4([-1, 1, i32::MIN, 0])),
            f32x4([-1.0, 1.0, -2147483648.0, 0.0])
        );
        assert_eq!(
            un(O::F64x2ConvertLowI32x4S, i32x4([-1, i32::MIN, 7, 7])),
            f64x2([-1.0, -2147483648.0])
        );
        assert_eq!(
            un(O::F64x2ConvertLowI32x4U, i32x4([-1, 2, 7, 7])),
            f64x2([4294967295.0, 2.0])
        );
        assert_eq!(
            un(O::F32x4DemoteF64x2Zero, f64x2([1.5, 1e300])),
            f32x4([1.5, f32::INFINITY, 0.0, 0.0])
        );
        assert_eq!(
            un(O::F64x2PromoteLowF32x4, f32x4([1.5, -0.25, 9.0, 9.0])),
            f64x2([1.5, -0.25])
        );
        let nan = f64_bits(un(
            O::F64x2PromoteLowF32x4,
            f32x4([f32::NAN, 0.0, 0.0, 0.0]),
        ));
        assert_eq!(nan[0] & 0x7ff8_0000_0000_0000, 0x7ff8_0000_0000_0000);
    }

    #[test]
    fn tests_and_bitwise() {
        use Operator as O;
        assert_eq!(test(O::V128AnyTrue, 0), 0);
        assert_eq!(test(O::V128AnyTrue, 1 << 127), 1);
        let one_zero = i8x16([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0]);
        assert_eq!(test(O::I8x16AllTrue, one_zero), 0);
        assert_eq!(test(O::I8x16AllTrue, i8x16([-1; 16])), 1);
        assert_eq!(test(O::I16x8AllTrue, one_zero), 1);
        assert_eq!(test(O::I64x2AllTrue, i64x2([1 << 63, 0])), 0);
        assert_eq!(test(O::I64x2AllTrue, i64x2([1 << 63, 1])), 1);
        let signs = i8x16([-1, 1, -128, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -5]);
        assert_eq!(test(O::I8x16Bitmask, signs), 0b1000_0000_0000_0101);
        assert_eq!(
            test(O::I16x8Bitmask, i16x8([-1, 0, 0, 0, 0, 0, 0, -1])),
            0x81
        );
        assert_eq!(test(O::I32x4Bitmask, i32x4([0, -1, i32::MIN, 5])), 0b0110);
        assert_eq!(test(O::I64x2Bitmask, i64x2([0, -1])), 0b10);
        assert_eq!(bin(O::V128AndNot, 0b1100, 0b1010), 0b0100);
        match simd_op(&O::V128Bitselect) {
            Some(SimdOp::Bitselect) => assert_eq!(bitselect(0b1100, 0b1010, 0b0110), 0b1100),
            _ => panic!("bitselect is not ternary"),
        }
    }

    #[test]
    fn lanes_and_splats() {
        use Operator as O;
        let v = i8x16([-1, 2, -3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, -128]);
        let extract = |op: Operator<'_>| match simd_op(&op) {
            Some(SimdOp::ExtractLane(f, lane)) => f(v, lane),
            _ => panic!("{op:?} is not extract_lane"),
        };
        assert_eq!(extract(O::I8x16ExtractLaneS { lane: 0 }), 0xffff_ffff);
        assert_eq!(extract(O::I8x16ExtractLaneU { lane: 0 }), 0xff);
        assert_eq!(extract(O::I8x16ExtractLaneS { lane: 15 }), 0xffff_ff80);
        assert_eq!(extract(O::I8x16ExtractLaneS { lane: 1 }), 2);
        assert_eq!(extract(O::I16x8ExtractLaneS { lane: 1 }), 0x04fd);
        assert_eq!(extract(O::I16x8ExtractLaneS { lane: 7 }), 0xffff_800f);
        assert_eq!(extract(O::I16x8ExtractLaneU { lane: 7 }), 0x800f);
        assert_eq!(extract(O::I32x4ExtractLane { lane: 3 }), 0x800f_0e0d);
        assert_eq!(extract(O::F32x4ExtractLane { lane: 0 }), 0x04fd_02ff);
        assert_eq!(
            extract(O::I64x2ExtractLane { lane: 1 }),
            0x800f_0e0d_0c0b_0a09
        );
        assert_eq!(
            extract(O::F64x2ExtractLane { lane: 0 }),
            0x0807_0605_04fd_02ff
        );

        let replace = |op: Operator<'_>, x: u64| match simd_op(&op) {
            Some(SimdOp::ReplaceLane(f, lane)) => f(0, x, lane),
            _ => panic!("{op:?} is not replace_lane"),
        };
        assert_eq!(
            replace(O::I8x16ReplaceLane { lane: 15 }, 0x1234),
            0x34 << 120
        );
        assert_eq!(replace(O::I16x8ReplaceLane { lane: 1 }, !0), 0xffff_0000);
        assert_eq!(
            replace(O::F32x4ReplaceLane { lane: 2 }, !0),
            0xffff_ffff << 64
        );
        assert_eq!(replace(O::I64x2ReplaceLane { lane: 1 }, 7), 7 << 64);
        assert_eq!(replace_lane_bytes(u128::MAX, 0, 2, 7), u128::MAX >> 16);
        assert_eq!(extract_lane_bytes(v, 2, 7), 0x80_0f);

        let splat = |op: Operator<'_>, x: u64| match simd_op(&op) {
            Some(SimdOp::Splat(f)) => f(x),
            _ => panic!("{op:?} is not splat"),
        };
        // Upper slot bits of i32/f32 scalars are ignored.
        assert_eq!(splat(O::I8x16Splat, 0xdead_beef_0000_01ff), i8x16([-1; 16]));
        assert_eq!(splat(O::I16x8Splat, 0x1_8001), i16x8([-32767; 8]));
        assert_eq!(splat(O::I32x4Splat, 0xffff_ffff_0000_0005), i32x4([5; 4]));
        assert_eq!(
            splat(O::F32x4Splat, 1.5f32.to_bits().into()),
            f32x4([1.5; 4])
        );
        assert_eq!(splat(O::I64x2Splat, u64::MAX), u128::MAX);
        assert_eq!(splat(O::F64x2Splat, 2.5f64.to_bits()), f64x2([2.5; 2]));
    }

    #[test]
    fn shuffles() {
        let a = u128::from_le_bytes(core::array::from_fn(|i| i as u8));
        let b = u128::from_le_bytes(core::array::from_fn(|i| 0x10 + i as u8));
        let lanes = [31, 0, 16, 15, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 30, 14];
        match simd_op(&Operator::I8x16Shuffle { lanes }) {
            Some(SimdOp::Shuffle(l)) => assert_eq!(shuffle(a, b, &l), u128::from_le_bytes(l)),
            _ => panic!("shuffle not classified"),
        }
        let b2 = b ^ u128::MAX;
        assert_eq!(shuffle(b2, a, &[16; 16]), 0);
    }

    #[test]
    fn memory_ops() {
        use Operator as O;
        let memarg = MemArg {
            align: 0,
            max_align: 4,
            offset: 3,
            target: wasmparser::MemArgTarget::Memory(0),
            ordering: None,
        };
        let load = |op: Operator<'_>, x: u64| match simd_mem_op(&op) {
            Some((SimdMemOp::LoadExtend { bytes, f }, m)) => {
                assert_eq!(m, memarg);
                (bytes, f(x))
            }
            _ => panic!("{op:?} is not a LoadExtend"),
        };
        let bytes8 = 0x8001_7fff_0080_ff01;
        assert_eq!(
            load(O::V128Load8x8S { memarg }, bytes8),
            (8, i16x8([1, -1, -128, 0, -1, 127, 1, -128]))
        );
        assert_eq!(
            load(O::V128Load8x8U { memarg }, bytes8),
            (8, i16x8([1, 255, 128, 0, 255, 127, 1, 128]))
        );
        assert_eq!(
            load(O::V128Load16x4S { memarg }, bytes8),
            (8, i32x4([-255, 128, 32767, -32767]))
        );
        assert_eq!(
            load(O::V128Load32x2U { memarg }, bytes8),
            (8, i64x2([0x0080_ff01, 0x8001_7fff]))
        );
        assert_eq!(
            load(O::V128Load32x2S { memarg }, bytes8),
            (8, i64x2([0x0080_ff01, -0x7ffe_8001]))
        );
        assert_eq!(
            load(O::V128Load8Splat { memarg }, 0x80),
            (1, i8x16([-128; 16]))
        );
        assert_eq!(
            load(O::V128Load16Splat { memarg }, 0x1234),
            (2, i16x8([0x1234; 8]))
        );
        assert_eq!(load(O::V128Load32Splat { memarg }, 7), (4, i32x4([7; 4])));
        assert_eq!(load(O::V128Load64Splat { memarg }, !0), (8, u128::MAX));
        assert_eq!(load(O::V128Load32Zero { memarg }, !0), (4, 0xffff_ffff));
        assert_eq!(load(O::V128Load64Zero { memarg }, !0), (8, u64::MAX.into()));

        let kinds = [
            (O::V128Load { memarg }, "Load128"),
            (O::V128Store { memarg }, "Store128"),
            (O::V128Load32Lane { memarg, lane: 3 }, "LoadLane 4 3"),
            (O::V128Load8Lane { memarg, lane: 15 }, "LoadLane 1 15"),
            (O::V128Store16Lane { memarg, lane: 7 }, "StoreLane 2 7"),
            (O::V128Store64Lane { memarg, lane: 1 }, "StoreLane 8 1"),
        ];
        for (op, want) in kinds {
            let got = match simd_mem_op(&op) {
                Some((SimdMemOp::Load128, _)) => "Load128".to_string(),
                Some((SimdMemOp::Store128, _)) => "Store128".to_string(),
                Some((SimdMemOp::LoadLane { bytes, lane }, _)) => {
                    format!("LoadLane {bytes} {lane}")
                }
                Some((SimdMemOp::StoreLane { bytes, lane }, _)) => {
                    format!("StoreLane {bytes} {lane}")
                }
                _ => "other".to_string(),
            };
            assert_eq!(got, want);
        }
        assert!(simd_mem_op(&O::I32Load { memarg }).is_none());
        assert!(simd_mem_op(&O::I8x16Add).is_none());
        assert!(simd_op(&O::V128Load { memarg }).is_none());
    }

    #[test]
    fn classification() {
        use Operator as O;
        assert!(simd_op(&O::I32Add).is_none());
        // Relaxed SIMD: two-operand ones are classified, three-operand ones
        // are `relaxed_ternary`'s.
        assert!(simd_op(&O::I8x16RelaxedSwizzle).is_some());
        assert!(simd_op(&O::F32x4RelaxedMadd).is_none());
        assert!(relaxed_ternary(&O::F32x4RelaxedMadd).is_some());
        assert!(relaxed_ternary(&O::I8x16RelaxedSwizzle).is_none());
        let value = wasmparser::V128::from(0u128);
        assert!(simd_op(&O::V128Const { value }).is_none());
        // Every non-memory, non-const operator of the SIMD proposal is classified.
        let all = [
            O::I8x16Swizzle,
            O::I8x16Splat,
            O::I16x8Splat,
            O::I32x4Splat,
            O::I64x2Splat,
            O::F32x4Splat,
            O::F64x2Splat,
            O::I8x16Eq,
            O::I8x16Ne,
            O::I8x16LtS,
            O::I8x16LtU,
            O::I8x16GtS,
            O::I8x16GtU,
            O::I8x16LeS,
            O::I8x16LeU,
            O::I8x16GeS,
            O::I8x16GeU,
            O::I16x8Eq,
            O::I16x8Ne,
            O::I16x8LtS,
            O::I16x8LtU,
            O::I16x8GtS,
            O::I16x8GtU,
            O::I16x8LeS,
            O::I16x8LeU,
            O::I16x8GeS,
            O::I16x8GeU,
            O::I32x4Eq,
            O::I32x4Ne,
            O::I32x4LtS,
            O::I32x4LtU,
            O::I32x4GtS,
            O::I32x4GtU,
            O::I32x4LeS,
            O::I32x4LeU,
            O::I32x4GeS,
            O::I32x4GeU,
            O::I64x2Eq,
            O::I64x2Ne,
            O::I64x2LtS,
            O::I64x2GtS,
            O::I64x2LeS,
            O::I64x2GeS,
            O::F32x4Eq,
            O::F32x4Ne,
            O::F32x4Lt,
            O::F32x4Gt,
            O::F32x4Le,
            O::F32x4Ge,
            O::F64x2Eq,
            O::F64x2Ne,
            O::F64x2Lt,
            O::F64x2Gt,
            O::F64x2Le,
            O::F64x2Ge,
            O::V128Not,
            O::V128And,
            O::V128AndNot,
            O::V128Or,
            O::V128Xor,
            O::V128Bitselect,
            O::V128AnyTrue,
            O::I8x16Abs,
            O::I8x16Neg,
            O::I8x16Popcnt,
            O::I8x16AllTrue,
            O::I8x16Bitmask,
            O::I8x16NarrowI16x8S,
            O::I8x16NarrowI16x8U,
            O::I8x16Shl,
            O::I8x16ShrS,
            O::I8x16ShrU,
            O::I8x16Add,
            O::I8x16AddSatS,
            O::I8x16AddSatU,
            O::I8x16Sub,
            O::I8x16SubSatS,
            O::I8x16SubSatU,
            O::I8x16MinS,
            O::I8x16MinU,
            O::I8x16MaxS,
            O::I8x16MaxU,
            O::I8x16AvgrU,
            O::I16x8ExtAddPairwiseI8x16S,
            O::I16x8ExtAddPairwiseI8x16U,
            O::I16x8Abs,
            O::I16x8Neg,
            O::I16x8Q15MulrSatS,
            O::I16x8AllTrue,
            O::I16x8Bitmask,
            O::I16x8NarrowI32x4S,
            O::I16x8NarrowI32x4U,
            O::I16x8ExtendLowI8x16S,
            O::I16x8ExtendHighI8x16S,
            O::I16x8ExtendLowI8x16U,
            O::I16x8ExtendHighI8x16U,
            O::I16x8Shl,
            O::I16x8ShrS,
            O::I16x8ShrU,
            O::I16x8Add,
            O::I16x8AddSatS,
            O::I16x8AddSatU,
            O::I16x8Sub,
            O::I16x8SubSatS,
            O::I16x8SubSatU,
            O::I16x8Mul,
            O::I16x8MinS,
            O::I16x8MinU,
            O::I16x8MaxS,
            O::I16x8MaxU,
            O::I16x8AvgrU,
            O::I16x8ExtMulLowI8x16S,
            O::I16x8ExtMulHighI8x16S,
            O::I16x8ExtMulLowI8x16U,
            O::I16x8ExtMulHighI8x16U,
            O::I32x4ExtAddPairwiseI16x8S,
            O::I32x4ExtAddPairwiseI16x8U,
            O::I32x4Abs,
            O::I32x4Neg,
            O::I32x4AllTrue,
            O::I32x4Bitmask,
            O::I32x4ExtendLowI16x8S,
            O::I32x4ExtendHighI16x8S,
            O::I32x4ExtendLowI16x8U,
            O::I32x4ExtendHighI16x8U,
            O::I32x4Shl,
            O::I32x4ShrS,
            O::I32x4ShrU,
            O::I32x4Add,
            O::I32x4Sub,
            O::I32x4Mul,
            O::I32x4MinS,
            O::I32x4MinU,
            O::I32x4MaxS,
            O::I32x4MaxU,
            O::I32x4DotI16x8S,
            O::I32x4ExtMulLowI16x8S,
            O::I32x4ExtMulHighI16x8S,
            O::I32x4ExtMulLowI16x8U,
            O::I32x4ExtMulHighI16x8U,
            O::I64x2Abs,
            O::I64x2Neg,
            O::I64x2AllTrue,
            O::I64x2Bitmask,
            O::I64x2ExtendLowI32x4S,
            O::I64x2ExtendHighI32x4S,
            O::I64x2ExtendLowI32x4U,
            O::I64x2ExtendHighI32x4U,
            O::I64x2Shl,
            O::I64x2ShrS,
            O::I64x2ShrU,
            O::I64x2Add,
            O::I64x2Sub,
            O::I64x2Mul,
            O::I64x2ExtMulLowI32x4S,
            O::I64x2ExtMulHighI32x4S,
            O::I64x2ExtMulLowI32x4U,
            O::I64x2ExtMulHighI32x4U,
            O::F32x4Ceil,
            O::F32x4Floor,
            O::F32x4Trunc,
            O::F32x4Nearest,
            O::F32x4Abs,
            O::F32x4Neg,
            O::F32x4Sqrt,
            O::F32x4Add,
            O::F32x4Sub,
            O::F32x4Mul,
            O::F32x4Div,
            O::F32x4Min,
            O::F32x4Max,
            O::F32x4PMin,
            O::F32x4PMax,
            O::F64x2Ceil,
            O::F64x2Floor,
            O::F64x2Trunc,
            O::F64x2Nearest,
            O::F64x2Abs,
            O::F64x2Neg,
            O::F64x2Sqrt,
            O::F64x2Add,
            O::F64x2Sub,
            O::F64x2Mul,
            O::F64x2Div,
            O::F64x2Min,
            O::F64x2Max,
            O::F64x2PMin,
            O::F64x2PMax,
            O::I32x4TruncSatF32x4S,
            O::I32x4TruncSatF32x4U,
            O::F32x4ConvertI32x4S,
            O::F32x4ConvertI32x4U,
            O::I32x4TruncSatF64x2SZero,
            O::I32x4TruncSatF64x2UZero,
            O::F64x2ConvertLowI32x4S,
            O::F64x2ConvertLowI32x4U,
            O::F32x4DemoteF64x2Zero,
            O::F64x2PromoteLowF32x4,
        ];
        for op in &all {
            assert!(simd_op(op).is_some(), "{op:?} not classified");
        }
        let lane_ops = [
            O::I8x16ExtractLaneS { lane: 0 },
            O::I8x16ExtractLaneU { lane: 0 },
            O::I8x16ReplaceLane { lane: 0 },
            O::I16x8ExtractLaneS { lane: 0 },
            O::I16x8ExtractLaneU { lane: 0 },
            O::I16x8ReplaceLane { lane: 0 },
            O::I32x4ExtractLane { lane: 0 },
            O::I32x4ReplaceLane { lane: 0 },
            O::I64x2ExtractLane { lane: 0 },
            O::I64x2ReplaceLane { lane: 0 },
            O::F32x4ExtractLane { lane: 0 },
            O::F32x4ReplaceLane { lane: 0 },
            O::F64x2ExtractLane { lane: 0 },
            O::F64x2ReplaceLane { lane: 0 },
            O::I8x16Shuffle { lanes: [0; 16] },
        ];
        for op in &lane_ops {
            assert!(simd_op(op).is_some(), "{op:?} not classified");
        }
        assert_eq!(all.len() + lane_ops.len(), 213);
    }
}
