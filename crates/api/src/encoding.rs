//! How each WebAssembly value is carried in a `u64` slot.
//!
//! Integers are stored as their two's-complement bits, zero-extended (an `i32` of
//! `-1` is `0x0000_0000_ffff_ffff`); floats as their IEEE 754 bits; references as an
//! opaque non-zero handle, `0` meaning null. A `v128` takes two consecutive slots,
//! low half first.

/// Encodes an `i32` (signed view) into a slot.
#[inline]
pub const fn encode_i32(v: i32) -> u64 {
    v as u32 as u64
}

/// Decodes an `i32` (signed view) from a slot.
#[inline]
pub const fn decode_i32(v: u64) -> i32 {
    v as u32 as i32
}

/// Encodes an `i32` (unsigned view) into a slot.
#[inline]
pub const fn encode_u32(v: u32) -> u64 {
    v as u64
}

/// Decodes an `i32` (unsigned view) from a slot.
#[inline]
pub const fn decode_u32(v: u64) -> u32 {
    v as u32
}

/// Encodes an `i64` into a slot.
#[inline]
pub const fn encode_i64(v: i64) -> u64 {
    v as u64
}

/// Decodes an `i64` from a slot.
#[inline]
pub const fn decode_i64(v: u64) -> i64 {
    v as i64
}

/// Encodes an `f32` into a slot, keeping every bit of its representation (NaN payloads too).
#[inline]
pub fn encode_f32(v: f32) -> u64 {
    v.to_bits() as u64
}

/// Decodes an `f32` from a slot.
#[inline]
pub fn decode_f32(v: u64) -> f32 {
    f32::from_bits(v as u32)
}

/// Encodes an `f64` into a slot, keeping every bit of its representation (NaN payloads too).
#[inline]
pub fn encode_f64(v: f64) -> u64 {
    v.to_bits()
}

/// Decodes an `f64` from a slot.
#[inline]
pub fn decode_f64(v: u64) -> f64 {
    f64::from_bits(v)
}

/// Splits a `v128` into its two slots, low half first.
#[inline]
pub const fn encode_v128(v: u128) -> [u64; 2] {
    [v as u64, (v >> 64) as u64]
}

/// Joins two slots, low half first, into a `v128`.
#[inline]
pub const fn decode_v128(lo: u64, hi: u64) -> u128 {
    (lo as u128) | ((hi as u128) << 64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_round_trip_and_zero_extend() {
        let cases: &[(i32, u64)] = &[(0, 0), (-1, 0xffff_ffff), (i32::MIN, 0x8000_0000), (7, 7)];
        for &(v, slot) in cases {
            assert_eq!(encode_i32(v), slot, "encode {v}");
            assert_eq!(decode_i32(slot), v, "decode {slot:#x}");
            assert_eq!(decode_u32(encode_u32(v as u32)), v as u32);
        }
        assert_eq!(decode_i64(encode_i64(-2)), -2);
    }

    #[test]
    fn floats_keep_nan_payloads() {
        let nan = f32::from_bits(0x7fa0_0001);
        assert_eq!(decode_f32(encode_f32(nan)).to_bits(), 0x7fa0_0001);
        let nan64 = f64::from_bits(0xfff0_0000_0000_0123);
        assert_eq!(
            decode_f64(encode_f64(nan64)).to_bits(),
            0xfff0_0000_0000_0123
        );
    }

    #[test]
    fn v128_splits_low_first() {
        let v = 0x0011_2233_4455_6677_8899_aabb_ccdd_eeffu128;
        let [lo, hi] = encode_v128(v);
        assert_eq!(lo, 0x8899_aabb_ccdd_eeff);
        assert_eq!(hi, 0x0011_2233_4455_6677);
        assert_eq!(decode_v128(lo, hi), v);
    }
}
