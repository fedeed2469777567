//! The set of WebAssembly features a runtime accepts.

use std::fmt;

/// WebAssembly core features, as a set of flags (wazero's `api.CoreFeatures`).
///
/// The default is everything in WebAssembly 2.0. A module that uses a disabled
/// feature fails to compile with an error that names the feature.
///
/// ```
/// # extern crate wazero_api as wazero;
/// use wazero::CoreFeatures;
/// let v1 = CoreFeatures::V1;
/// assert!(!v1.contains(CoreFeatures::SIMD));
/// assert!(CoreFeatures::default().contains(CoreFeatures::SIMD | CoreFeatures::MULTI_VALUE));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CoreFeatures(u32);

impl CoreFeatures {
    /// Mutable imported and exported globals.
    pub const MUTABLE_GLOBAL: Self = Self(1 << 0);
    /// Sign-extension operators (`i32.extend8_s`, ...).
    pub const SIGN_EXTENSION_OPS: Self = Self(1 << 1);
    /// Non-trapping (saturating) float-to-int conversions.
    pub const NON_TRAPPING_FLOAT_TO_INT: Self = Self(1 << 2);
    /// Several results for functions and blocks, and block parameters.
    pub const MULTI_VALUE: Self = Self(1 << 3);
    /// Bulk memory and table operations (`memory.copy`, passive segments, ...).
    pub const BULK_MEMORY: Self = Self(1 << 4);
    /// `funcref` / `externref` values, several tables, table instructions.
    pub const REFERENCE_TYPES: Self = Self(1 << 5);
    /// Fixed-width 128-bit SIMD.
    pub const SIMD: Self = Self(1 << 6);
    /// Extended constant expressions (WebAssembly 3.0): `i32`/`i64` `add`,
    /// `sub` and `mul` in global initializers and segment offsets.
    pub const EXTENDED_CONST: Self = Self(1 << 7);
    /// Relaxed SIMD (WebAssembly 3.0). The results the proposal leaves to the
    /// implementation are fixed here, the same on every engine and ISA (see
    /// `docs/design.md`).
    pub const RELAXED_SIMD: Self = Self(1 << 8);
    /// Tail calls (WebAssembly 3.0): `return_call`, `return_call_indirect`,
    /// in constant stack space.
    pub const TAIL_CALL: Self = Self(1 << 9);
    /// Typed function references (WebAssembly 3.0): non-nullable and
    /// signature-typed references, `call_ref`, `return_call_ref` (with
    /// [`TAIL_CALL`](Self::TAIL_CALL)), `ref.as_non_null`, `br_on_null`,
    /// `br_on_non_null`, table initializers, and `global.get` of the module's
    /// own immutable globals in constant expressions.
    pub const FUNCTION_REFERENCES: Self = Self(1 << 10);
    /// Several memories per module (WebAssembly 3.0): a memory index on every
    /// memory instruction, memory imports and exports beyond the first.
    pub const MULTI_MEMORY: Self = Self(1 << 11);
    /// 64-bit memories (WebAssembly 3.0): `i64` addresses on every memory
    /// instruction, sizes past 4 GiB within the runtime's memory limit.
    pub const MEMORY64: Self = Self(1 << 12);
    /// Exception handling (WebAssembly 3.0): tags, `throw`, `throw_ref`,
    /// `try_table` and the `exnref` type.
    pub const EXCEPTIONS: Self = Self(1 << 13);
    /// The legacy exception instructions (`try`, `catch`, `catch_all`,
    /// `rethrow`, `delegate`) that toolchains still emit (Emscripten and
    /// LLVM's default for `-fwasm-exceptions`). Not part of any standard:
    /// in [`CoreFeatures::DEFAULT`] but not in [`CoreFeatures::V3`].
    pub const LEGACY_EXCEPTIONS: Self = Self(1 << 14);

    /// WebAssembly 1.0 (20191205): the MVP plus mutable globals.
    pub const V1: Self = Self::MUTABLE_GLOBAL;
    /// WebAssembly 2.0: the features of 1.0 and sign-extension operators,
    /// non-trapping conversions, multi-value, bulk memory, reference types
    /// and SIMD.
    pub const V2: Self = Self(
        Self::MUTABLE_GLOBAL.0
            | Self::SIGN_EXTENSION_OPS.0
            | Self::NON_TRAPPING_FLOAT_TO_INT.0
            | Self::MULTI_VALUE.0
            | Self::BULK_MEMORY.0
            | Self::REFERENCE_TYPES.0
            | Self::SIMD.0,
    );

    /// WebAssembly 3.0 as far as it is implemented: 2.0 and extended constant
    /// expressions, relaxed SIMD, tail calls, typed function references,
    /// multi-memory, memory64 and exception handling. Never here: garbage
    /// collection (a later issue).
    pub const V3: Self = Self(
        Self::V2.0
            | Self::EXTENDED_CONST.0
            | Self::RELAXED_SIMD.0
            | Self::TAIL_CALL.0
            | Self::FUNCTION_REFERENCES.0
            | Self::MULTI_MEMORY.0
            | Self::MEMORY64.0
            | Self::EXCEPTIONS.0,
    );

    /// What the runtimes enable by default: [`CoreFeatures::V3`], all of
    /// WebAssembly 3.0 that is implemented (as wasmtime enables all of it),
    /// and [`CoreFeatures::LEGACY_EXCEPTIONS`], which current toolchains
    /// emit. Any feature can be turned off with [`CoreFeatures::set`].
    pub const DEFAULT: Self = Self(Self::V3.0 | Self::LEGACY_EXCEPTIONS.0);

    const NAMES: [(Self, &'static str); 15] = [
        (Self::MUTABLE_GLOBAL, "mutable-global"),
        (Self::SIGN_EXTENSION_OPS, "sign-extension-ops"),
        (Self::NON_TRAPPING_FLOAT_TO_INT, "nontrapping-float-to-int"),
        (Self::MULTI_VALUE, "multi-value"),
        (Self::BULK_MEMORY, "bulk-memory"),
        (Self::REFERENCE_TYPES, "reference-types"),
        (Self::SIMD, "simd"),
        (Self::EXTENDED_CONST, "extended-const"),
        (Self::RELAXED_SIMD, "relaxed-simd"),
        (Self::TAIL_CALL, "tail-call"),
        (Self::FUNCTION_REFERENCES, "function-references"),
        (Self::MULTI_MEMORY, "multi-memory"),
        (Self::MEMORY64, "memory64"),
        (Self::EXCEPTIONS, "exceptions"),
        (Self::LEGACY_EXCEPTIONS, "legacy-exceptions"),
    ];

    /// The empty set (the WebAssembly MVP without mutable globals).
    pub const fn empty() -> Self {
        Self(0)
    }

    /// Whether every flag of `other` is in `self`.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// `self` with the flags of `other` set or cleared.
    #[must_use]
    pub const fn set(self, other: Self, enabled: bool) -> Self {
        if enabled {
            Self(self.0 | other.0)
        } else {
            Self(self.0 & !other.0)
        }
    }

    /// The raw bits.
    pub const fn bits(self) -> u32 {
        self.0
    }
}

impl Default for CoreFeatures {
    /// [`CoreFeatures::DEFAULT`].
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl std::ops::BitOr for CoreFeatures {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

impl fmt::Debug for CoreFeatures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = Self::NAMES
            .iter()
            .filter(|(flag, _)| self.contains(*flag))
            .map(|(_, name)| *name)
            .collect();
        write!(f, "CoreFeatures({})", names.join("|"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_and_contains() {
        let f = CoreFeatures::V2.set(CoreFeatures::SIMD, false);
        assert!(!f.contains(CoreFeatures::SIMD));
        assert!(f.contains(CoreFeatures::BULK_MEMORY));
        assert!(f.set(CoreFeatures::SIMD, true) == CoreFeatures::V2);
        assert_eq!(
            format!("{:?}", CoreFeatures::V1),
            "CoreFeatures(mutable-global)"
        );
    }

    #[test]
    fn each_standard_contains_the_one_before_and_names_every_flag() {
        let sets = [CoreFeatures::V1, CoreFeatures::V2, CoreFeatures::V3];
        for pair in sets.windows(2) {
            assert!(pair[1].contains(pair[0]), "{:?} in {:?}", pair[0], pair[1]);
            assert_ne!(pair[0], pair[1]);
        }
        assert_eq!(
            CoreFeatures::DEFAULT,
            CoreFeatures::V3 | CoreFeatures::LEGACY_EXCEPTIONS
        );
        assert!(!CoreFeatures::V3.contains(CoreFeatures::LEGACY_EXCEPTIONS));
        // Every flag of the default set has a name, and no name is left over.
        let named = CoreFeatures::NAMES
            .iter()
            .fold(CoreFeatures::empty(), |all, (flag, _)| all | *flag);
        assert_eq!(named, CoreFeatures::DEFAULT);
    }
}
