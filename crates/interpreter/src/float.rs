//! Scalar float semantics that Rust's operators do not give directly:
//! WebAssembly's `min`/`max` (NaN-propagating, `-0 < +0`), and the trapping
//! float-to-int truncations.

use wazero_api::TrapCode;

macro_rules! min_max {
    ($min:ident, $max:ident, $f:ty) => {
        /// WebAssembly `min`: NaN if either is NaN; `-0` is less than `+0`.
        #[inline]
        pub(crate) fn $min(a: $f, b: $f) -> $f {
            if a.is_nan() || b.is_nan() {
                a + b
            } else if a == b {
                <$f>::from_bits(a.to_bits() | b.to_bits())
            } else if a < b {
                a
            } else {
                b
            }
        }

        /// WebAssembly `max`: NaN if either is NaN; `+0` is greater than `-0`.
        #[inline]
        pub(crate) fn $max(a: $f, b: $f) -> $f {
            if a.is_nan() || b.is_nan() {
                a + b
            } else if a == b {
                <$f>::from_bits(a.to_bits() & b.to_bits())
            } else if a > b {
                a
            } else {
                b
            }
        }
    };
}

min_max!(f32_min, f32_max, f32);
min_max!(f64_min, f64_max, f64);

macro_rules! trunc {
    ($name:ident, $f:ty, $i:ty, $lo_exclusive:expr, $hi_exclusive:expr) => {
        /// Trapping truncation: NaN is an invalid conversion, out of range an overflow.
        #[inline]
        pub(crate) fn $name(x: $f) -> Result<$i, TrapCode> {
            if x.is_nan() {
                return Err(TrapCode::InvalidConversionToInteger);
            }
            let t = x.trunc();
            if t <= $lo_exclusive || t >= $hi_exclusive {
                return Err(TrapCode::IntegerOverflow);
            }
            Ok(t as $i)
        }
    };
}

trunc!(i32_trunc_f32_s, f32, i32, -2147483904.0f32, 2147483648.0f32);
trunc!(i32_trunc_f32_u, f32, u32, -1.0f32, 4294967296.0f32);
trunc!(i32_trunc_f64_s, f64, i32, -2147483649.0f64, 2147483648.0f64);
trunc!(i32_trunc_f64_u, f64, u32, -1.0f64, 4294967296.0f64);
trunc!(
    i64_trunc_f32_s,
    f32,
    i64,
    -9223373136366403584.0f32,
    9223372036854775808.0f32
);
trunc!(
    i64_trunc_f32_u,
    f32,
    u64,
    -1.0f32,
    18446744073709551616.0f32
);
trunc!(
    i64_trunc_f64_s,
    f64,
    i64,
    -9223372036854777856.0f64,
    9223372036854775808.0f64
);
trunc!(
    i64_trunc_f64_u,
    f64,
    u64,
    -1.0f64,
    18446744073709551616.0f64
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_max_follow_wasm() {
        assert!(f32_min(f32::NAN, 1.0).is_nan());
        assert!(f64_max(1.0, f64::NAN).is_nan());
        assert_eq!(f32_min(-0.0, 0.0).to_bits(), (-0.0f32).to_bits());
        assert_eq!(f32_max(-0.0, 0.0).to_bits(), 0.0f32.to_bits());
        assert_eq!(f64_min(2.0, -3.0), -3.0);
    }

    #[test]
    fn truncations_trap_at_exact_bounds() {
        let cases: &[(f64, Result<i32, TrapCode>)] = &[
            (-2147483648.9, Ok(-2147483648)),
            (-2147483649.0, Err(TrapCode::IntegerOverflow)),
            (2147483647.9, Ok(2147483647)),
            (2147483648.0, Err(TrapCode::IntegerOverflow)),
            (f64::NAN, Err(TrapCode::InvalidConversionToInteger)),
            (-0.9, Ok(0)),
        ];
        for &(x, want) in cases {
            assert_eq!(i32_trunc_f64_s(x), want, "{x}");
        }
        assert_eq!(i32_trunc_f32_u(-0.9), Ok(0));
        assert_eq!(i32_trunc_f32_u(-1.0), Err(TrapCode::IntegerOverflow));
        assert_eq!(i64_trunc_f32_s(-9223372036854775808.0), Ok(i64::MIN));
        assert_eq!(
            i64_trunc_f64_u(18446744073709549568.0),
            Ok(18446744073709549568)
        );
    }
}
