//! Conversions from wasmparser's types to wazero's.

use wasmparser::{RefType, ValType, WasmFeatures};
use wazero_api::{CoreFeatures, GlobalType, HeapType, Limits, MemoryType, TableType, ValueType};

use crate::{ConstExpr, ConstOp, DecodeError};

/// The wasmparser feature set that matches `features`.
pub fn wasm_features(features: CoreFeatures) -> WasmFeatures {
    let pairs = [
        (CoreFeatures::MUTABLE_GLOBAL, WasmFeatures::MUTABLE_GLOBAL),
        (
            CoreFeatures::SIGN_EXTENSION_OPS,
            WasmFeatures::SIGN_EXTENSION,
        ),
        (
            CoreFeatures::NON_TRAPPING_FLOAT_TO_INT,
            WasmFeatures::SATURATING_FLOAT_TO_INT,
        ),
        (CoreFeatures::MULTI_VALUE, WasmFeatures::MULTI_VALUE),
        (CoreFeatures::BULK_MEMORY, WasmFeatures::BULK_MEMORY),
        (CoreFeatures::REFERENCE_TYPES, WasmFeatures::REFERENCE_TYPES),
        (CoreFeatures::SIMD, WasmFeatures::SIMD),
        (CoreFeatures::EXTENDED_CONST, WasmFeatures::EXTENDED_CONST),
        (CoreFeatures::RELAXED_SIMD, WasmFeatures::RELAXED_SIMD),
        (CoreFeatures::TAIL_CALL, WasmFeatures::TAIL_CALL),
        (
            CoreFeatures::FUNCTION_REFERENCES,
            WasmFeatures::FUNCTION_REFERENCES,
        ),
        (CoreFeatures::MULTI_MEMORY, WasmFeatures::MULTI_MEMORY),
        (CoreFeatures::MEMORY64, WasmFeatures::MEMORY64),
        (CoreFeatures::EXCEPTIONS, WasmFeatures::EXCEPTIONS),
        (
            CoreFeatures::LEGACY_EXCEPTIONS,
            WasmFeatures::LEGACY_EXCEPTIONS,
        ),
    ];
    pairs
        .into_iter()
        .filter(|(ours, _)| features.contains(*ours))
        .fold(WasmFeatures::MVP, |acc, (_, theirs)| acc | theirs)
}

pub(crate) fn value_type(ty: ValType, offset: u64) -> Result<ValueType, DecodeError> {
    Ok(match ty {
        ValType::I32 => ValueType::I32,
        ValType::I64 => ValueType::I64,
        ValType::F32 => ValueType::F32,
        ValType::F64 => ValueType::F64,
        ValType::V128 => ValueType::V128,
        ValType::Ref(r) => ref_type(r, offset)?,
    })
}

/// Why a module using the GC proposal's types is refused.
pub(crate) const GC_TYPES: &str =
    "GC types (struct, array, recursive groups, subtypes, GC heap types) are not supported";

pub(crate) fn ref_type(ty: RefType, offset: u64) -> Result<ValueType, DecodeError> {
    Ok(ValueType::reference(
        ty.is_nullable(),
        heap_type(ty.heap_type(), offset)?,
    ))
}

pub(crate) fn heap_type(ty: wasmparser::HeapType, offset: u64) -> Result<HeapType, DecodeError> {
    use wasmparser::{AbstractHeapType, HeapType as H, UnpackedIndex};
    match ty {
        H::Abstract {
            shared: false,
            ty: AbstractHeapType::Func,
        } => Ok(HeapType::Func),
        H::Abstract {
            shared: false,
            ty: AbstractHeapType::Extern,
        } => Ok(HeapType::Extern),
        H::Concrete(UnpackedIndex::Module(i)) => Ok(HeapType::Concrete(i)),
        H::Abstract {
            shared: false,
            ty: AbstractHeapType::Exn,
        } => Ok(HeapType::Exn),
        _ => Err(DecodeError::new(GC_TYPES, offset)),
    }
}

pub(crate) fn table_type(t: wasmparser::TableType, offset: u64) -> Result<TableType, DecodeError> {
    if t.shared {
        return Err(DecodeError::new("shared tables are not supported", offset));
    }
    Ok(TableType {
        element: ref_type(t.element_type, offset)?,
        limits: Limits {
            min: t.initial,
            max: t.maximum,
        },
        table64: t.table64,
    })
}

pub(crate) fn memory_type(
    m: wasmparser::MemoryType,
    offset: u64,
) -> Result<MemoryType, DecodeError> {
    if m.shared || m.page_size_log2.is_some() {
        return Err(DecodeError::new(
            "shared memories and custom page sizes are not supported",
            offset,
        ));
    }
    Ok(MemoryType {
        limits: Limits {
            min: m.initial,
            max: m.maximum,
        },
        memory64: m.memory64,
    })
}

pub(crate) fn global_type(
    g: wasmparser::GlobalType,
    offset: u64,
) -> Result<GlobalType, DecodeError> {
    if g.shared {
        return Err(DecodeError::new("shared globals are not supported", offset));
    }
    Ok(GlobalType {
        content: value_type(g.content_type, offset)?,
        mutable: g.mutable,
    })
}

pub(crate) fn const_expr(expr: &wasmparser::ConstExpr<'_>) -> Result<ConstExpr, DecodeError> {
    use wasmparser::Operator as Op;
    let mut reader = expr.get_operators_reader();
    let mut ops = Vec::new();
    loop {
        let offset = reader.original_position();
        let op = match reader.read()? {
            Op::End => break,
            Op::I32Const { value } => ConstOp::I32(value),
            Op::I64Const { value } => ConstOp::I64(value),
            Op::F32Const { value } => ConstOp::F32(value.bits()),
            Op::F64Const { value } => ConstOp::F64(value.bits()),
            Op::V128Const { value } => ConstOp::V128(u128::from_le_bytes(*value.bytes())),
            Op::RefNull { hty } => {
                ConstOp::RefNull(ValueType::reference(true, heap_type(hty, offset)?))
            }
            Op::RefFunc { function_index } => ConstOp::RefFunc(function_index),
            Op::GlobalGet { global_index } => ConstOp::GlobalGet(global_index),
            Op::I32Add => ConstOp::I32Add,
            Op::I32Sub => ConstOp::I32Sub,
            Op::I32Mul => ConstOp::I32Mul,
            Op::I64Add => ConstOp::I64Add,
            Op::I64Sub => ConstOp::I64Sub,
            Op::I64Mul => ConstOp::I64Mul,
            other => {
                return Err(DecodeError::new(
                    format!("constant expression required, found {other:?}"),
                    offset,
                ))
            }
        };
        ops.push(op);
    }
    if !reader.eof() {
        return Err(DecodeError::new(
            "constant expression required: code after end",
            reader.original_position(),
        ));
    }
    ConstExpr::from_ops(ops).ok_or_else(|| {
        DecodeError::new(
            "constant expression required: not one value",
            reader.original_position(),
        )
    })
}
