//! Constant expressions: global initializers and segment offsets.

use wazero_api::ValueType;

/// A constant expression of WebAssembly 2.0: a single constant-producing instruction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConstExpr {
    /// `i32.const`
    I32(i32),
    /// `i64.const`
    I64(i64),
    /// `f32.const`, as bits.
    F32(u32),
    /// `f64.const`, as bits.
    F64(u64),
    /// `v128.const`
    V128(u128),
    /// `ref.null` of the given reference type.
    RefNull(ValueType),
    /// `ref.func` of a function index.
    RefFunc(u32),
    /// `global.get` of an (imported) global.
    GlobalGet(u32),
}
