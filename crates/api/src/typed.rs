//! Rust types that map to WebAssembly value types, for typed calls and typed host
//! functions.

use crate::ValueType;

/// A Rust type carrying one WebAssembly value.
///
/// `i32`/`u32` are `i32`, `i64`/`u64` are `i64`, `f32`/`f64` as themselves, and
/// `u128` is a `v128` (two slots, low half first).
pub trait WasmTy: Copy + Send + Sync + 'static {
    /// The WebAssembly type.
    const TYPE: ValueType;
    /// Writes the value into `slots` (one slot, two for `v128`).
    fn store(self, slots: &mut [u64]);
    /// Reads the value from `slots`.
    fn load(slots: &[u64]) -> Self;
}

macro_rules! scalar {
    ($($t:ty => $vt:ident, |$v:ident| $enc:expr, |$s:ident| $dec:expr;)*) => {$(
        impl WasmTy for $t {
            const TYPE: ValueType = ValueType::$vt;
            #[inline]
            fn store(self, slots: &mut [u64]) {
                let $v = self;
                slots[0] = $enc;
            }
            #[inline]
            fn load(slots: &[u64]) -> Self {
                let $s = slots[0];
                $dec
            }
        }
    )*};
}

scalar! {
    i32 => I32, |v| crate::encode_i32(v), |s| crate::decode_i32(s);
    u32 => I32, |v| crate::encode_u32(v), |s| crate::decode_u32(s);
    i64 => I64, |v| crate::encode_i64(v), |s| crate::decode_i64(s);
    u64 => I64, |v| v, |s| s;
    f32 => F32, |v| crate::encode_f32(v), |s| crate::decode_f32(s);
    f64 => F64, |v| crate::encode_f64(v), |s| crate::decode_f64(s);
}

impl WasmTy for u128 {
    const TYPE: ValueType = ValueType::V128;
    #[inline]
    fn store(self, slots: &mut [u64]) {
        slots[..2].copy_from_slice(&crate::encode_v128(self));
    }
    #[inline]
    fn load(slots: &[u64]) -> Self {
        crate::decode_v128(slots[0], slots[1])
    }
}

/// A list of values: `()`, one [`WasmTy`], or a tuple of up to 16.
pub trait WasmTyList: Sized + Send + Sync + 'static {
    /// How many values.
    const LEN: usize;
    /// Slots the values take.
    const SLOTS: usize;
    /// The type of value `i`.
    fn type_at(i: usize) -> ValueType;
    /// Writes the values into `slots` in order.
    fn store(self, slots: &mut [u64]);
    /// Reads the values from `slots`.
    fn load(slots: &[u64]) -> Self;

    /// Whether the list has exactly the types `types`.
    fn matches(types: &[ValueType]) -> bool {
        types.len() == Self::LEN
            && types
                .iter()
                .enumerate()
                .all(|(i, t)| *t == Self::type_at(i))
    }

    /// The types, for messages.
    fn types() -> Vec<ValueType> {
        (0..Self::LEN).map(Self::type_at).collect()
    }
}

impl<T: WasmTy> WasmTyList for T {
    const LEN: usize = 1;
    const SLOTS: usize = T::TYPE.slots();
    fn type_at(_: usize) -> ValueType {
        T::TYPE
    }
    fn store(self, slots: &mut [u64]) {
        WasmTy::store(self, slots)
    }
    fn load(slots: &[u64]) -> Self {
        WasmTy::load(slots)
    }
}

macro_rules! tuple {
    ($($t:ident)*) => {
        #[allow(non_snake_case, unused_assignments, unused_mut, unused_variables)]
        impl<$($t: WasmTy),*> WasmTyList for ($($t,)*) {
            const LEN: usize = 0 $(+ { let _ = stringify!($t); 1 })*;
            const SLOTS: usize = 0 $(+ $t::TYPE.slots())*;
            fn type_at(i: usize) -> ValueType {
                [$($t::TYPE),*][i]
            }
            fn store(self, slots: &mut [u64]) {
                let ($($t,)*) = self;
                let mut at = 0;
                $(
                    $t.store(&mut slots[at..]);
                    at += $t::TYPE.slots();
                )*
            }
            fn load(slots: &[u64]) -> Self {
                let mut at = 0;
                $(
                    let $t = $t::load(&slots[at..]);
                    at += $t::TYPE.slots();
                )*
                ($($t,)*)
            }
        }
    };
}

impl WasmTyList for () {
    const LEN: usize = 0;
    const SLOTS: usize = 0;
    fn type_at(_: usize) -> ValueType {
        unreachable!("() has no values")
    }
    fn store(self, _: &mut [u64]) {}
    fn load(_: &[u64]) -> Self {}
}

tuple!(A);
tuple!(A B);
tuple!(A B C);
tuple!(A B C D);
tuple!(A B C D E);
tuple!(A B C D E F);
tuple!(A B C D E F G);
tuple!(A B C D E F G H);
tuple!(A B C D E F G H I);
tuple!(A B C D E F G H I J);
tuple!(A B C D E F G H I J K);
tuple!(A B C D E F G H I J K L);
tuple!(A B C D E F G H I J K L M);
tuple!(A B C D E F G H I J K L M N);
tuple!(A B C D E F G H I J K L M N O);
tuple!(A B C D E F G H I J K L M N O P);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tuples_round_trip_through_slots() {
        let mut slots = [0u64; 8];
        (1i32, -2i64, 1.5f32, u128::MAX - 1, 2.5f64).store(&mut slots);
        assert_eq!(slots[0], 1);
        assert_eq!(slots[1], (-2i64) as u64);
        assert_eq!(
            <(i32, i64, f32, u128, f64)>::load(&slots),
            (1, -2, 1.5, u128::MAX - 1, 2.5)
        );
        assert_eq!(<(i32, i64, f32, u128, f64)>::SLOTS, 6);
        assert!(<(i32, f64)>::matches(&[ValueType::I32, ValueType::F64]));
        assert!(!<(i32, f64)>::matches(&[ValueType::I32]));
        assert!(<()>::matches(&[]));
        assert_eq!(<u32>::types(), vec![ValueType::I32]);
    }
}

/// What a typed host function may return: its results (`()`, a value, a tuple),
/// or a `Result` of them whose error fails the call.
pub trait HostResults: Send + 'static {
    /// The values returned on success.
    type Values: WasmTyList;
    /// The values, or the error the host function reported.
    fn into_results(self) -> Result<Self::Values, Box<dyn std::error::Error + Send + Sync>>;
}

impl<T: WasmTyList> HostResults for T {
    type Values = T;
    #[inline]
    fn into_results(self) -> Result<T, Box<dyn std::error::Error + Send + Sync>> {
        Ok(self)
    }
}

impl<T: WasmTyList, E> HostResults for Result<T, E>
where
    E: Into<Box<dyn std::error::Error + Send + Sync>> + Send + 'static,
{
    type Values = T;
    #[inline]
    fn into_results(self) -> Result<T, Box<dyn std::error::Error + Send + Sync>> {
        self.map_err(Into::into)
    }
}

/// Returned as the error of a host function, closes the calling module with this
/// exit code (what WASI's `proc_exit` does); the guest call then fails with the
/// exit code.
///
/// ```
/// # extern crate wazero_api as wazero;
/// fn proc_exit(code: u32) -> Result<(), wazero::ExitCode> {
///     Err(wazero::ExitCode(code))
/// }
/// assert_eq!(proc_exit(3).unwrap_err().to_string(), "exit code 3");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("exit code {0}")]
pub struct ExitCode(pub u32);
