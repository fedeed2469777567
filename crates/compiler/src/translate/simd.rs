//! SIMD (`v128`) instructions to Cranelift IR.
//!
//! A `v128` is an `I8X16` value on the operand stack; each instruction
//! bitcasts it to the lane shape it works on and back.

use wasmparser::Operator;

use super::{op_name, unsupported, Translator};

impl Translator<'_, '_> {
    /// Translates a SIMD instruction (any operator the scalar translation does
    /// not handle).
    pub(super) fn simd_operator(&mut self, op: Operator) -> Result<(), String> {
        let name = op_name(&op);
        let lanes = ["8x16", "16x8", "32x4", "64x2"];
        if name.starts_with("V128") || lanes.iter().any(|l| name.contains(l)) {
            return Err(unsupported("SIMD instructions"));
        }
        Err(unsupported(&format!("instruction {name}")))
    }
}
