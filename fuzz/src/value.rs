//! Values as the harness compares them, and the arguments it calls with.

use std::fmt;

/// A WebAssembly value type (WebAssembly 2.0: numbers, `v128`, nullable
/// `funcref` and `externref`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValType {
    /// `i32`.
    I32,
    /// `i64`.
    I64,
    /// `f32`.
    F32,
    /// `f64`.
    F64,
    /// `v128`.
    V128,
    /// `funcref`.
    FuncRef,
    /// `externref`.
    ExternRef,
}

/// A value, in a form that compares across engines: numbers by their bits, so a
/// float compares bit-exactly (NaN payloads and the sign of zero included), and
/// references by whether they are null, since engines name functions
/// differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    /// An `i32`.
    I32(u32),
    /// An `i64`.
    I64(u64),
    /// The bits of an `f32`.
    F32(u32),
    /// The bits of an `f64`.
    F64(u64),
    /// A `v128`.
    V128(u128),
    /// A `funcref`: `true` if it is not null.
    FuncRef(bool),
    /// An `externref`: `true` if it is not null.
    ExternRef(bool),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Value::I32(v) => write!(f, "i32:{v:#010x} ({})", v as i32),
            Value::I64(v) => write!(f, "i64:{v:#018x} ({})", v as i64),
            Value::F32(v) => write!(f, "f32:{v:#010x} ({:?})", f32::from_bits(v)),
            Value::F64(v) => write!(f, "f64:{v:#018x} ({:?})", f64::from_bits(v)),
            Value::V128(v) => write!(f, "v128:{v:#034x}"),
            Value::FuncRef(non_null) => {
                f.write_str(if non_null { "funcref" } else { "null funcref" })
            }
            Value::ExternRef(non_null) => f.write_str(if non_null {
                "externref"
            } else {
                "null externref"
            }),
        }
    }
}

/// One value per type: every parameter of a type gets the same one.
#[derive(Debug, Clone, Copy)]
pub struct ArgumentSet {
    /// What the set is for, in reports.
    pub name: &'static str,
    i32: u32,
    i64: u64,
    f32: u32,
    f64: u64,
    v128: u128,
}

/// The argument sets every exported function is called with, in order, on one
/// instance (so later calls see the state earlier ones left). References are
/// always null: without imports there is no other reference to pass in.
pub const ARGUMENT_SETS: [ArgumentSet; 3] = [
    ArgumentSet {
        name: "zeros",
        i32: 0,
        i64: 0,
        f32: 0,
        f64: 0,
        v128: 0,
    },
    ArgumentSet {
        name: "small",
        i32: 1,
        i64: 7,
        f32: 0x3fc0_0000,           // 1.5
        f64: 0xc000_0000_0000_0000, // -2.0
        v128: 0x0807_0605_0403_0201_0100_ff7f_8001_0203,
    },
    ArgumentSet {
        name: "extremes",
        i32: 0xffff_fff0,           // -16: out of bounds as an address
        i64: 0x8000_0000_0000_0000, // i64::MIN
        f32: 0x7fc0_0000,           // the canonical NaN
        f64: 0x43e0_0000_0000_0000, // 2^63: out of i64's range
        v128: 0x8000_0000_7fff_ffff_ffff_ffff_0000_0001,
    },
];

impl ArgumentSet {
    /// The arguments for parameters of types `params`.
    pub fn arguments(&self, params: &[ValType]) -> Vec<Value> {
        params
            .iter()
            .map(|ty| match ty {
                ValType::I32 => Value::I32(self.i32),
                ValType::I64 => Value::I64(self.i64),
                ValType::F32 => Value::F32(self.f32),
                ValType::F64 => Value::F64(self.f64),
                ValType::V128 => Value::V128(self.v128),
                ValType::FuncRef => Value::FuncRef(false),
                ValType::ExternRef => Value::ExternRef(false),
            })
            .collect()
    }
}

/// `values` as a list for reports.
pub fn display_values(values: &[Value]) -> String {
    let items: Vec<String> = values.iter().map(Value::to_string).collect();
    format!("[{}]", items.join(", "))
}
