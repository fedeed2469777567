//! Values of the spec tests: `invoke` arguments encoded into the runtime's `u64`
//! slots, results decoded from them, and results matched against the patterns of
//! `assert_return` (exact bits, `nan:canonical` / `nan:arithmetic`, per-lane
//! `v128` patterns, references).
//!
//! References cross the host boundary as opaque `u64` handles, `0` being null.
//! `ref.extern N` is passed as `N + 1`, so that `ref.extern 0` is not null, and a
//! returned non-null externref `h` reads back as `ref.extern (h - 1)`.

use std::fmt;

use wast::core::{AbstractHeapType, HeapType, NanPattern, V128Pattern, WastArgCore, WastRetCore};
use wast::token::{F32, F64};
use wast::{WastArg, WastRet};
use wazero::api::{decode_v128, encode_v128};
use wazero::ValueType;

/// A WebAssembly value as the tests see it. Floats keep their exact bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    /// An `i32`.
    I32(i32),
    /// An `i64`.
    I64(i64),
    /// The bits of an `f32`.
    F32(u32),
    /// The bits of an `f64`.
    F64(u64),
    /// A `v128`.
    V128(u128),
    /// A `funcref` handle, `0` for null.
    FuncRef(u64),
    /// An `externref` handle, `0` for null, `N + 1` for `ref.extern N`.
    ExternRef(u64),
}

impl Value {
    /// The value's type.
    pub fn ty(self) -> ValueType {
        match self {
            Value::I32(_) => ValueType::I32,
            Value::I64(_) => ValueType::I64,
            Value::F32(_) => ValueType::F32,
            Value::F64(_) => ValueType::F64,
            Value::V128(_) => ValueType::V128,
            Value::FuncRef(_) => ValueType::FuncRef,
            Value::ExternRef(_) => ValueType::ExternRef,
        }
    }

    /// Appends the value's slots (two for a `v128`, low half first).
    fn push_slots(self, slots: &mut Vec<u64>) {
        match self {
            Value::I32(v) => slots.push(wazero::api::encode_i32(v)),
            Value::I64(v) => slots.push(wazero::api::encode_i64(v)),
            Value::F32(bits) => slots.push(u64::from(bits)),
            Value::F64(bits) => slots.push(bits),
            Value::V128(v) => slots.extend_from_slice(&encode_v128(v)),
            Value::FuncRef(h) | Value::ExternRef(h) => slots.push(h),
        }
    }

    /// The value of type `ty` held in 128 bits (how globals are read).
    pub fn from_bits(ty: ValueType, bits: u128) -> Value {
        let low = bits as u64;
        match ty {
            ValueType::I32 => Value::I32(wazero::api::decode_i32(low)),
            ValueType::I64 => Value::I64(wazero::api::decode_i64(low)),
            ValueType::F32 => Value::F32(low as u32),
            ValueType::F64 => Value::F64(low),
            ValueType::V128 => Value::V128(bits),
            r if r.is_func_ref() => Value::FuncRef(low),
            _ => Value::ExternRef(low),
        }
    }

    /// Whether the value may be passed for a parameter of type `ty`: a
    /// reference of the right kind for a reference type (the tests pass only
    /// nulls and host references, the engines check no more), else exactly
    /// the type.
    fn fits(self, ty: ValueType) -> bool {
        match self {
            Value::FuncRef(_) => ty.is_func_ref(),
            Value::ExternRef(_) => ty.is_ref() && !ty.is_func_ref(),
            _ => self.ty() == ty,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Value::I32(v) => write!(f, "i32:{v}"),
            Value::I64(v) => write!(f, "i64:{v}"),
            Value::F32(bits) => write!(f, "f32:{} ({bits:#010x})", f32::from_bits(bits)),
            Value::F64(bits) => write!(f, "f64:{} ({bits:#018x})", f64::from_bits(bits)),
            Value::V128(v) => write!(f, "v128:{v:#034x}"),
            Value::FuncRef(0) => f.write_str("ref.null func"),
            Value::FuncRef(h) => write!(f, "ref.func (handle {h:#x})"),
            Value::ExternRef(0) => f.write_str("ref.null extern"),
            Value::ExternRef(h) => write!(f, "ref.extern {}", h - 1),
        }
    }
}

/// Encodes `invoke` arguments for a function taking `params`, checking that they
/// fit its signature.
pub fn encode_args(args: &[WastArg<'_>], params: &[ValueType]) -> Result<Vec<u64>, String> {
    if args.len() != params.len() {
        return Err(format!(
            "{} arguments given, the function takes {}",
            args.len(),
            params.len()
        ));
    }
    let mut slots = Vec::with_capacity(params.len() + 1);
    for (i, (arg, &ty)) in args.iter().zip(params).enumerate() {
        let WastArg::Core(arg) = arg else {
            return Err(format!("argument {i}: only core values are supported"));
        };
        let value = arg_value(arg, ty).map_err(|e| format!("argument {i}: {e}"))?;
        if !value.fits(ty) {
            return Err(format!(
                "argument {i}: {} given for a parameter of type {ty}",
                value.ty()
            ));
        }
        value.push_slots(&mut slots);
    }
    Ok(slots)
}

/// The value of one argument; `ty` (the parameter's type) types a `ref.null`.
fn arg_value(arg: &WastArgCore<'_>, ty: ValueType) -> Result<Value, String> {
    Ok(match arg {
        WastArgCore::I32(v) => Value::I32(*v),
        WastArgCore::I64(v) => Value::I64(*v),
        WastArgCore::F32(v) => Value::F32(v.bits),
        WastArgCore::F64(v) => Value::F64(v.bits),
        WastArgCore::V128(v) => Value::V128(u128::from_le_bytes(v.to_le_bytes())),
        WastArgCore::RefNull(heap) => match (abstract_heap(heap), ty) {
            (Some(AbstractHeapType::Func), _) => Value::FuncRef(0),
            (Some(AbstractHeapType::Extern), _) => Value::ExternRef(0),
            (_, ty) if ty.is_func_ref() => Value::FuncRef(0),
            (_, ty) if ty.is_ref() => Value::ExternRef(0),
            _ => return Err("ref.null for a parameter that is not a reference".to_string()),
        },
        WastArgCore::RefExtern(n) => Value::ExternRef(u64::from(*n) + 1),
        WastArgCore::RefHost(_) => return Err("ref.host values are not supported".to_string()),
    })
}

fn abstract_heap(heap: &HeapType<'_>) -> Option<AbstractHeapType> {
    match heap {
        HeapType::Abstract { ty, .. } => Some(*ty),
        _ => None,
    }
}

/// Decodes the result slots of a function returning `types`.
pub fn decode_results(slots: &[u64], types: &[ValueType]) -> Result<Vec<Value>, String> {
    let needed: usize = types.iter().map(|t| t.slots()).sum();
    if slots.len() != needed {
        return Err(format!(
            "the runtime returned {} result slots, the signature needs {needed}",
            slots.len()
        ));
    }
    let mut values = Vec::with_capacity(types.len());
    let mut rest = slots;
    for &ty in types {
        let value = match (ty, rest) {
            (ValueType::V128, [lo, hi, ..]) => Value::V128(decode_v128(*lo, *hi)),
            (_, [slot, ..]) => Value::from_bits(ty, u128::from(*slot)),
            _ => return Err("too few result slots".to_string()),
        };
        rest = &rest[ty.slots()..];
        values.push(value);
    }
    Ok(values)
}

/// Checks results against the expected patterns of an `assert_return`.
pub fn check_results(actual: &[Value], expected: &[WastRet<'_>]) -> Result<(), String> {
    let mut ok = actual.len() == expected.len();
    if ok {
        for (value, pattern) in actual.iter().zip(expected) {
            let WastRet::Core(pattern) = pattern else {
                return Err("only core result patterns are supported".to_string());
            };
            if !matches(*value, pattern)? {
                ok = false;
            }
        }
    }
    if ok {
        return Ok(());
    }
    let expected_text: Vec<String> = expected
        .iter()
        .map(|p| match p {
            WastRet::Core(p) => describe(p),
            _ => "<component value>".to_string(),
        })
        .collect();
    let actual_text: Vec<String> = actual
        .iter()
        .enumerate()
        .map(|(i, v)| match expected.get(i) {
            Some(WastRet::Core(p)) => show_like(*v, p),
            _ => v.to_string(),
        })
        .collect();
    Err(format!(
        "expected ({}), got ({})",
        expected_text.join(", "),
        actual_text.join(", ")
    ))
}

/// Whether `value` matches `pattern`; an error for patterns this runner does not
/// support (GC references and the like).
fn matches(value: Value, pattern: &WastRetCore<'_>) -> Result<bool, String> {
    Ok(match (pattern, value) {
        (WastRetCore::I32(e), Value::I32(a)) => *e == a,
        (WastRetCore::I64(e), Value::I64(a)) => *e == a,
        (WastRetCore::F32(e), Value::F32(a)) => f32_matches(e, a),
        (WastRetCore::F64(e), Value::F64(a)) => f64_matches(e, a),
        (WastRetCore::V128(e), Value::V128(a)) => v128_matches(e, a),
        (WastRetCore::RefNull(heap), Value::FuncRef(h)) => {
            h == 0 && heap_is(heap.as_ref(), AbstractHeapType::Func)
        }
        (WastRetCore::RefNull(heap), Value::ExternRef(h)) => {
            h == 0 && heap_is(heap.as_ref(), AbstractHeapType::Extern)
        }
        (WastRetCore::RefExtern(None), Value::ExternRef(h)) => h != 0,
        (WastRetCore::RefExtern(Some(n)), Value::ExternRef(h)) => h == u64::from(*n) + 1,
        (WastRetCore::RefFunc(_), Value::FuncRef(h)) => h != 0,
        (WastRetCore::Either(alternatives), _) => {
            for alternative in alternatives {
                if matches(value, alternative)? {
                    return Ok(true);
                }
            }
            false
        }
        (
            WastRetCore::RefHost(_)
            | WastRetCore::RefAny
            | WastRetCore::RefEq
            | WastRetCore::RefArray
            | WastRetCore::RefStruct
            | WastRetCore::RefI31
            | WastRetCore::RefI31Shared,
            _,
        ) => return Err(format!("unsupported result pattern {}", describe(pattern))),
        _ => false,
    })
}

/// Whether a `ref.null` pattern's heap type (if any) allows a null of `kind`.
/// Concrete and other abstract heap types are not checked.
fn heap_is(heap: Option<&HeapType<'_>>, kind: AbstractHeapType) -> bool {
    match heap.and_then(abstract_heap) {
        Some(ty @ (AbstractHeapType::Func | AbstractHeapType::Extern)) => ty == kind,
        _ => true,
    }
}

fn f32_matches(pattern: &NanPattern<F32>, bits: u32) -> bool {
    match pattern {
        NanPattern::CanonicalNan => bits & 0x7fff_ffff == 0x7fc0_0000,
        NanPattern::ArithmeticNan => bits & 0x7fc0_0000 == 0x7fc0_0000,
        NanPattern::Value(v) => v.bits == bits,
    }
}

fn f64_matches(pattern: &NanPattern<F64>, bits: u64) -> bool {
    const QUIET_NAN: u64 = 0x7ff8_0000_0000_0000;
    match pattern {
        NanPattern::CanonicalNan => bits & 0x7fff_ffff_ffff_ffff == QUIET_NAN,
        NanPattern::ArithmeticNan => bits & QUIET_NAN == QUIET_NAN,
        NanPattern::Value(v) => v.bits == bits,
    }
}

/// The lanes of a `v128`, `N` bytes each, as little-endian integers.
fn lanes<const N: usize>(v: u128) -> impl Iterator<Item = [u8; N]> {
    let bytes = v.to_le_bytes();
    (0..16 / N).map(move |i| {
        let mut lane = [0u8; N];
        lane.copy_from_slice(&bytes[i * N..(i + 1) * N]);
        lane
    })
}

fn v128_matches(pattern: &V128Pattern, v: u128) -> bool {
    match pattern {
        V128Pattern::I8x16(e) => lanes::<1>(v).zip(e).all(|(a, e)| a[0] as i8 == *e),
        V128Pattern::I16x8(e) => lanes::<2>(v)
            .zip(e)
            .all(|(a, e)| i16::from_le_bytes(a) == *e),
        V128Pattern::I32x4(e) => lanes::<4>(v)
            .zip(e)
            .all(|(a, e)| i32::from_le_bytes(a) == *e),
        V128Pattern::I64x2(e) => lanes::<8>(v)
            .zip(e)
            .all(|(a, e)| i64::from_le_bytes(a) == *e),
        V128Pattern::F32x4(e) => lanes::<4>(v)
            .zip(e)
            .all(|(a, e)| f32_matches(e, u32::from_le_bytes(a))),
        V128Pattern::F64x2(e) => lanes::<8>(v)
            .zip(e)
            .all(|(a, e)| f64_matches(e, u64::from_le_bytes(a))),
    }
}

fn describe_f32(p: &NanPattern<F32>) -> String {
    match p {
        NanPattern::CanonicalNan => "nan:canonical".to_string(),
        NanPattern::ArithmeticNan => "nan:arithmetic".to_string(),
        NanPattern::Value(v) => format!("{} ({:#010x})", f32::from_bits(v.bits), v.bits),
    }
}

fn describe_f64(p: &NanPattern<F64>) -> String {
    match p {
        NanPattern::CanonicalNan => "nan:canonical".to_string(),
        NanPattern::ArithmeticNan => "nan:arithmetic".to_string(),
        NanPattern::Value(v) => format!("{} ({:#018x})", f64::from_bits(v.bits), v.bits),
    }
}

fn join<T>(items: impl IntoIterator<Item = T>, f: impl Fn(T) -> String) -> String {
    items.into_iter().map(f).collect::<Vec<_>>().join(" ")
}

/// The expected value in the spec's words (`i32:42`, `f32:nan:canonical`, ...).
pub fn describe(pattern: &WastRetCore<'_>) -> String {
    match pattern {
        WastRetCore::I32(v) => format!("i32:{v}"),
        WastRetCore::I64(v) => format!("i64:{v}"),
        WastRetCore::F32(p) => format!("f32:{}", describe_f32(p)),
        WastRetCore::F64(p) => format!("f64:{}", describe_f64(p)),
        WastRetCore::V128(p) => format!(
            "v128:{}",
            match p {
                V128Pattern::I8x16(l) => format!("i8x16 [{}]", join(l, |v| v.to_string())),
                V128Pattern::I16x8(l) => format!("i16x8 [{}]", join(l, |v| v.to_string())),
                V128Pattern::I32x4(l) => format!("i32x4 [{}]", join(l, |v| v.to_string())),
                V128Pattern::I64x2(l) => format!("i64x2 [{}]", join(l, |v| v.to_string())),
                V128Pattern::F32x4(l) => format!("f32x4 [{}]", join(l, describe_f32)),
                V128Pattern::F64x2(l) => format!("f64x2 [{}]", join(l, describe_f64)),
            }
        ),
        WastRetCore::RefNull(_) => "ref.null".to_string(),
        WastRetCore::RefExtern(Some(n)) => format!("ref.extern {n}"),
        WastRetCore::RefExtern(None) => "ref.extern".to_string(),
        WastRetCore::RefHost(n) => format!("ref.host {n}"),
        WastRetCore::RefFunc(_) => "ref.func".to_string(),
        WastRetCore::RefAny => "ref.any".to_string(),
        WastRetCore::RefEq => "ref.eq".to_string(),
        WastRetCore::RefArray => "ref.array".to_string(),
        WastRetCore::RefStruct => "ref.struct".to_string(),
        WastRetCore::RefI31 => "ref.i31".to_string(),
        WastRetCore::RefI31Shared => "ref.i31_shared".to_string(),
        WastRetCore::Either(alternatives) => format!(
            "either({})",
            alternatives
                .iter()
                .map(describe)
                .collect::<Vec<_>>()
                .join(" | ")
        ),
    }
}

/// `value` shown in the shape of `pattern` (a `v128` in the pattern's lanes), so a
/// mismatch reads side by side.
fn show_like(value: Value, pattern: &WastRetCore<'_>) -> String {
    let (Value::V128(v), WastRetCore::V128(p)) = (value, pattern) else {
        return value.to_string();
    };
    let f32_lane = |a: [u8; 4]| {
        let bits = u32::from_le_bytes(a);
        format!("{} ({bits:#010x})", f32::from_bits(bits))
    };
    let f64_lane = |a: [u8; 8]| {
        let bits = u64::from_le_bytes(a);
        format!("{} ({bits:#018x})", f64::from_bits(bits))
    };
    let lanes = match p {
        V128Pattern::I8x16(_) => format!(
            "i8x16 [{}]",
            join(lanes::<1>(v), |a| (a[0] as i8).to_string())
        ),
        V128Pattern::I16x8(_) => format!(
            "i16x8 [{}]",
            join(lanes::<2>(v), |a| i16::from_le_bytes(a).to_string())
        ),
        V128Pattern::I32x4(_) => format!(
            "i32x4 [{}]",
            join(lanes::<4>(v), |a| i32::from_le_bytes(a).to_string())
        ),
        V128Pattern::I64x2(_) => format!(
            "i64x2 [{}]",
            join(lanes::<8>(v), |a| i64::from_le_bytes(a).to_string())
        ),
        V128Pattern::F32x4(_) => format!("f32x4 [{}]", join(lanes::<4>(v), f32_lane)),
        V128Pattern::F64x2(_) => format!("f64x2 [{}]", join(lanes::<8>(v), f64_lane)),
    };
    format!("v128:{lanes}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A list of parenthesized result patterns.
    struct Rets<'a>(Vec<WastRetCore<'a>>);

    impl<'a> wast::parser::Parse<'a> for Rets<'a> {
        fn parse(parser: wast::parser::Parser<'a>) -> wast::parser::Result<Self> {
            let mut rets = Vec::new();
            while !parser.is_empty() {
                rets.push(parser.parens(|p| p.parse())?);
            }
            Ok(Rets(rets))
        }
    }

    #[test]
    fn nan_patterns() {
        let text = "(f32.const nan:canonical) (f32.const nan:arithmetic) (f64.const nan:canonical) (f64.const nan:arithmetic)";
        let buf = wast::parser::ParseBuffer::new(text).expect("lex");
        let Rets(rets) = wast::parser::parse::<Rets<'_>>(&buf).expect("parse");
        let check = |i: usize, v: Value| matches(v, &rets[i]).expect("supported");
        assert!(check(0, Value::F32(0x7fc0_0000)));
        assert!(check(0, Value::F32(0xffc0_0000)));
        assert!(!check(0, Value::F32(0x7fc0_0001)));
        assert!(check(1, Value::F32(0x7fc0_0001)));
        assert!(!check(1, Value::F32(0x7fa0_0000)));
        assert!(check(2, Value::F64(0xfff8_0000_0000_0000)));
        assert!(!check(2, Value::F64(0x7ff8_0000_0000_0001)));
        assert!(check(3, Value::F64(0x7ff8_0000_0000_0001)));
        assert!(!check(3, Value::F64(0x7ff4_0000_0000_0000)));
    }

    #[test]
    fn v128_lanes_and_refs() {
        let text = "(v128.const i32x4 1 -1 2 3) (v128.const f32x4 nan:canonical 1.0 0 -0) (ref.extern 0) (ref.null func) (ref.func)";
        let buf = wast::parser::ParseBuffer::new(text).expect("lex");
        let Rets(rets) = wast::parser::parse::<Rets<'_>>(&buf).expect("parse");
        let v = |lanes: [u32; 4]| {
            Value::V128(
                lanes
                    .iter()
                    .rev()
                    .fold(0u128, |acc, &l| (acc << 32) | u128::from(l)),
            )
        };
        assert!(matches(v([1, u32::MAX, 2, 3]), &rets[0]).expect("supported"));
        assert!(!matches(v([1, u32::MAX, 2, 4]), &rets[0]).expect("supported"));
        assert!(
            matches(v([0x7fc0_0000, 0x3f80_0000, 0, 0x8000_0000]), &rets[1]).expect("supported")
        );
        assert!(
            !matches(v([0x7fc0_0000, 0x3f80_0000, 0x8000_0000, 0]), &rets[1]).expect("supported")
        );
        assert!(matches(Value::ExternRef(1), &rets[2]).expect("supported"));
        assert!(!matches(Value::ExternRef(0), &rets[2]).expect("supported"));
        assert!(matches(Value::FuncRef(0), &rets[3]).expect("supported"));
        assert!(!matches(Value::ExternRef(0), &rets[3]).expect("supported"));
        assert!(matches(Value::FuncRef(7), &rets[4]).expect("supported"));
    }

    #[test]
    fn slots_round_trip() {
        let types = [ValueType::I32, ValueType::V128, ValueType::F64];
        let values = [
            Value::I32(-1),
            Value::V128(0x1234_5678_9abc_def0_1122_3344_5566_7788),
            Value::F64(7),
        ];
        let mut slots = Vec::new();
        for v in values {
            v.push_slots(&mut slots);
        }
        assert_eq!(slots.len(), 4);
        assert_eq!(decode_results(&slots, &types).expect("decodes"), values);
        assert!(decode_results(&slots[..3], &types).is_err());
    }
}
