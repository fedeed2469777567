//! Constant expressions: global initializers, segment offsets and element
//! items.

use std::sync::Arc;

use wazero_api::ValueType;

/// A constant expression. WebAssembly 2.0's are a single constant-producing
/// instruction, one variant each; WebAssembly 3.0's extended constant
/// expressions (several instructions, with `i32`/`i64` `add`, `sub` and
/// `mul`) are [`ConstExpr::Extended`].
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// `global.get` of a global (one that precedes the expression's).
    GlobalGet(u32),
    /// Several instructions, run on a stack, leaving one value (the
    /// validator checked the types and that exactly one value is left).
    Extended(Arc<[ConstOp]>),
}

/// One instruction of an [`ConstExpr::Extended`] constant expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConstOp {
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
    /// `global.get` of a global.
    GlobalGet(u32),
    /// `i32.add` (wrapping).
    I32Add,
    /// `i32.sub` (wrapping).
    I32Sub,
    /// `i32.mul` (wrapping).
    I32Mul,
    /// `i64.add` (wrapping).
    I64Add,
    /// `i64.sub` (wrapping).
    I64Sub,
    /// `i64.mul` (wrapping).
    I64Mul,
}

impl ConstExpr {
    /// The expression of `ops` (without the final `end`): a single
    /// instruction as its own variant, several as [`ConstExpr::Extended`];
    /// `None` if they do not leave exactly one value (what a validator
    /// rejects).
    pub fn from_ops(ops: Vec<ConstOp>) -> Option<Self> {
        let mut depth = 0usize;
        for op in &ops {
            depth = match op {
                ConstOp::I32Add
                | ConstOp::I32Sub
                | ConstOp::I32Mul
                | ConstOp::I64Add
                | ConstOp::I64Sub
                | ConstOp::I64Mul => depth.checked_sub(2)? + 1,
                _ => depth + 1,
            };
        }
        if depth != 1 {
            return None;
        }
        Some(match ops[..] {
            [ConstOp::I32(v)] => ConstExpr::I32(v),
            [ConstOp::I64(v)] => ConstExpr::I64(v),
            [ConstOp::F32(v)] => ConstExpr::F32(v),
            [ConstOp::F64(v)] => ConstExpr::F64(v),
            [ConstOp::V128(v)] => ConstExpr::V128(v),
            [ConstOp::RefNull(t)] => ConstExpr::RefNull(t),
            [ConstOp::RefFunc(f)] => ConstExpr::RefFunc(f),
            [ConstOp::GlobalGet(g)] => ConstExpr::GlobalGet(g),
            _ => ConstExpr::Extended(ops.into()),
        })
    }

    /// The expression's value, in the low bits of a `u128` (as globals hold
    /// values): `global` gives a global's value, `func_ref` a function's
    /// reference. The arithmetic wraps, as the instructions do.
    pub fn eval(&self, global: impl Fn(u32) -> u128, func_ref: impl Fn(u32) -> u128) -> u128 {
        match *self {
            ConstExpr::I32(v) => u128::from(v as u32),
            ConstExpr::I64(v) => u128::from(v as u64),
            ConstExpr::F32(bits) => u128::from(bits),
            ConstExpr::F64(bits) => u128::from(bits),
            ConstExpr::V128(v) => v,
            ConstExpr::RefNull(_) => 0,
            ConstExpr::RefFunc(f) => func_ref(f),
            ConstExpr::GlobalGet(g) => global(g),
            ConstExpr::Extended(ref ops) => {
                let mut stack: Vec<u128> = Vec::with_capacity(4);
                for op in ops.iter() {
                    let value = match *op {
                        ConstOp::I32(v) => u128::from(v as u32),
                        ConstOp::I64(v) => u128::from(v as u64),
                        ConstOp::F32(bits) => u128::from(bits),
                        ConstOp::F64(bits) => u128::from(bits),
                        ConstOp::V128(v) => v,
                        ConstOp::RefNull(_) => 0,
                        ConstOp::RefFunc(f) => func_ref(f),
                        ConstOp::GlobalGet(g) => global(g),
                        binary => {
                            // `from_ops` checked that two operands are there.
                            let b = stack.pop().unwrap_or(0);
                            let a = stack.pop().unwrap_or(0);
                            let (a32, b32) = (a as u32, b as u32);
                            let (a64, b64) = (a as u64, b as u64);
                            match binary {
                                ConstOp::I32Add => u128::from(a32.wrapping_add(b32)),
                                ConstOp::I32Sub => u128::from(a32.wrapping_sub(b32)),
                                ConstOp::I32Mul => u128::from(a32.wrapping_mul(b32)),
                                ConstOp::I64Add => u128::from(a64.wrapping_add(b64)),
                                ConstOp::I64Sub => u128::from(a64.wrapping_sub(b64)),
                                _ => u128::from(a64.wrapping_mul(b64)),
                            }
                        }
                    };
                    stack.push(value);
                }
                stack.pop().unwrap_or(0)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{ConstExpr, ConstOp};

    #[test]
    fn expressions_evaluate_with_wrapping_arithmetic() {
        use ConstOp::*;
        let globals = [7u128, u128::from(u64::MAX)];
        let cases: &[(&[ConstOp], u128)] = &[
            (&[I32(5)], 5),
            (&[I32(-1)], u128::from(u32::MAX)),
            (&[I32(2), I32(3), I32Add], 5),
            (&[I32(2), I32(3), I32Sub], u128::from(u32::MAX)),
            (&[I32(i32::MAX), I32(2), I32Mul], u128::from(u32::MAX - 1)),
            (&[GlobalGet(0), I32(10), I32Mul, I32(1), I32Add], 71),
            (&[I64(1), GlobalGet(1), I64Add], 0),
            (&[I64(0), I64(1), I64Sub], u128::from(u64::MAX)),
            (&[I64(1 << 40), I64(1 << 30), I64Mul], 0),
            (&[I64(3), I64(4), I64Mul, I64(5), I64Sub], 7),
            (&[RefFunc(3)], 103),
        ];
        for (ops, want) in cases {
            let expr = ConstExpr::from_ops(ops.to_vec()).unwrap();
            let got = expr.eval(|g| globals[g as usize], |f| 100 + u128::from(f));
            assert_eq!(got, *want, "{ops:?}");
        }
    }

    #[test]
    fn single_instructions_keep_their_own_variant_and_bad_stacks_are_refused() {
        use ConstOp::*;
        assert_eq!(ConstExpr::from_ops(vec![I32(1)]), Some(ConstExpr::I32(1)));
        assert_eq!(
            ConstExpr::from_ops(vec![GlobalGet(2)]),
            Some(ConstExpr::GlobalGet(2))
        );
        let refused: &[&[ConstOp]] = &[&[], &[I32Add], &[I32(1), I32Add], &[I32(1), I32(2)]];
        for ops in refused {
            assert_eq!(ConstExpr::from_ops(ops.to_vec()), None, "{ops:?}");
        }
    }
}
