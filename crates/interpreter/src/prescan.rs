//! The pass ahead of translation: a function's constants and legacy `try`s.
//!
//! The translator must know them before it translates the first operator (the
//! constants' slots lie below every temporary's, and so does a slot per
//! `try`). The pass visits the operators with wasmparser's `VisitOperator`,
//! so the operators it does not look at cost their decoding only, not an
//! `Operator` value each.

use std::collections::HashMap;

use wasmparser::{VisitOperator, VisitSimdOperator};

/// The most constants a function keeps in slots; further ones are
/// materialized by instructions.
pub(crate) const MAX_CONST_SLOTS: usize = 1024;

/// A function's constants by value: their slots.
pub(crate) type ConstMap<K> = HashMap<K, u32, std::hash::BuildHasherDefault<ConstHasher>>;

/// What the pass finds.
#[derive(Default)]
pub(crate) struct PreScan {
    /// How many legacy `try` blocks the function has.
    pub(crate) tries: u32,
    /// Scalar constants (and null references, as 0): their slots, counted
    /// from the first constant slot.
    pub(crate) consts: ConstMap<u64>,
    /// `v128` constants and shuffle lanes (two slots each), likewise.
    pub(crate) consts128: ConstMap<u128>,
    /// The constants' slot values, in slot order.
    pub(crate) init: Vec<u64>,
}

impl PreScan {
    /// Scans the operators of `ops` (a clone: the caller's reader stays
    /// where it is).
    pub(crate) fn of(ops: &wasmparser::OperatorsReader<'_>) -> Result<Self, String> {
        let mut scan = Self::default();
        let mut ops = ops.clone();
        while !ops.eof() {
            ops.visit_operator(&mut scan).map_err(|e| e.to_string())?;
        }
        Ok(scan)
    }

    fn constant(&mut self, value: u64) {
        if self.consts.len() < MAX_CONST_SLOTS && !self.consts.contains_key(&value) {
            self.consts.insert(value, self.init.len() as u32);
            self.init.push(value);
        }
    }

    fn constant128(&mut self, value: u128) {
        if self.consts128.len() < MAX_CONST_SLOTS && !self.consts128.contains_key(&value) {
            self.consts128.insert(value, self.init.len() as u32);
            self.init.push(value as u64);
            self.init.push((value >> 64) as u64);
        }
    }
}

/// One visit method: the operators the pass looks at, then all others.
macro_rules! scan_method {
    (visit_i32_const ($value:ident: $ty:ty)) => {
        fn visit_i32_const(&mut self, $value: $ty) {
            self.constant($value as u32 as u64);
        }
    };
    (visit_i64_const ($value:ident: $ty:ty)) => {
        fn visit_i64_const(&mut self, $value: $ty) {
            self.constant($value as u64);
        }
    };
    (visit_f32_const ($value:ident: $ty:ty)) => {
        fn visit_f32_const(&mut self, $value: $ty) {
            self.constant(u64::from($value.bits()));
        }
    };
    (visit_f64_const ($value:ident: $ty:ty)) => {
        fn visit_f64_const(&mut self, $value: $ty) {
            self.constant($value.bits());
        }
    };
    (visit_ref_null ($($arg:ident: $ty:ty),*)) => {
        fn visit_ref_null(&mut self, $(_: $ty),*) {
            self.constant(0);
        }
    };
    (visit_v128_const ($value:ident: $ty:ty)) => {
        fn visit_v128_const(&mut self, $value: $ty) {
            self.constant128(u128::from_le_bytes(*$value.bytes()));
        }
    };
    (visit_i8x16_shuffle ($lanes:ident: $ty:ty)) => {
        fn visit_i8x16_shuffle(&mut self, $lanes: $ty) {
            self.constant128(u128::from_le_bytes($lanes));
        }
    };
    (visit_try ($($arg:ident: $ty:ty),*)) => {
        fn visit_try(&mut self, $(_: $ty),*) {
            self.tries += 1;
        }
    };
    ($visit:ident ($($arg:ident: $ty:ty),*)) => {
        fn $visit(&mut self, $(_: $ty),*) {}
    };
}

macro_rules! define_visit_operator {
    ($( @$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*))*) => {
        $(scan_method!($visit ($($($arg: $argty),*)?));)*
    };
}

impl<'a> VisitOperator<'a> for PreScan {
    type Output = ();

    fn simd_visitor(&mut self) -> Option<&mut dyn VisitSimdOperator<'a, Output = Self::Output>> {
        Some(self)
    }

    wasmparser::for_each_visit_operator!(define_visit_operator);
}

impl VisitSimdOperator<'_> for PreScan {
    wasmparser::for_each_visit_simd_operator!(define_visit_operator);
}

/// Hashes constants (integers, or float and vector bits) with one multiply
/// per word: they come from the module, and a collision costs a probe, not
/// correctness; SipHash's resistance is not needed for a map that lives as
/// long as one function's translation and holds at most [`MAX_CONST_SLOTS`].
#[derive(Default)]
pub(crate) struct ConstHasher(u64);

impl std::hash::Hasher for ConstHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    fn write_u128(&mut self, v: u128) {
        self.write_u64(v as u64);
        self.write_u64((v >> 64) as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pass finds every constant once, in order of first use (a v128
    /// taking two slots), and counts the legacy `try`s.
    #[test]
    fn finds_constants_once_and_counts_tries() {
        let wasm = wat::parse_str(
            r#"(module (tag) (func
                i32.const 7 drop i64.const -1 drop f32.const 1.5 drop
                i32.const 7 drop ref.null func drop f64.const 0 drop
                v128.const i64x2 1 2 drop
                try nop catch_all end
                try nop catch 0 end))"#,
        )
        .unwrap();
        let body = wasmparser::Parser::new(0)
            .parse_all(&wasm)
            .find_map(|p| match p.unwrap() {
                wasmparser::Payload::CodeSectionEntry(body) => Some(body),
                _ => None,
            })
            .unwrap();
        let scan = PreScan::of(&body.get_operators_reader().unwrap()).unwrap();
        assert_eq!(scan.tries, 2);
        assert_eq!(
            scan.init,
            [7, u64::MAX, u64::from(1.5f32.to_bits()), 0, 1, 2]
        );
        assert_eq!(scan.consts[&7], 0);
        assert_eq!(scan.consts[&0], 3);
        assert_eq!(scan.consts128[&(1 | (2 << 64))], 4);
    }
}
