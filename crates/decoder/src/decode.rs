//! The decoding loop: one arm per section.

use std::sync::Arc;

use wasmparser::{ElementItems, ElementKind, ExternalKind, Parser, Payload, TypeRef};
use wazero_api::{CoreFeatures, ExternType, FuncType};

use crate::convert::{
    const_expr, global_type, memory_type, ref_type, table_type, value_type, GC_TYPES,
};
use crate::module::*;
use crate::{ConstExpr, DecodeError};

/// Decodes `bytes` into a [`Module`].
///
/// Only well-formedness is checked here (structure, encodings, section order, and
/// that the module uses nothing outside WebAssembly 2.0); `features` is kept for the
/// validator, which rejects uses of disabled features.
pub fn decode(bytes: &[u8], features: CoreFeatures) -> Result<Module, DecodeError> {
    decode_shared(Arc::from(bytes), features)
}

/// [`decode`] of bytes the caller shares: the module keeps `bytes` (as
/// [`Module::bytes`]) rather than a copy of them, which spares a large
/// module's second copy in memory.
///
/// ```
/// use std::sync::Arc;
/// let wasm: Arc<[u8]> = wat::parse_str("(module (func))").unwrap().into();
/// let module = wazero_decoder::decode_shared(wasm.clone(), Default::default()).unwrap();
/// assert!(Arc::ptr_eq(&module.bytes, &wasm));
/// ```
pub fn decode_shared(bytes: Arc<[u8]>, features: CoreFeatures) -> Result<Module, DecodeError> {
    let _ = features;
    let mut module = Module {
        bytes: bytes.clone(),
        ..Module::default()
    };
    let mut saw_code_count = None;
    for payload in Parser::new(0).parse_all(&bytes) {
        match payload? {
            Payload::Version {
                encoding, range, ..
            } => {
                if encoding != wasmparser::Encoding::Module {
                    return Err(DecodeError::new(
                        "components are not supported",
                        range.start,
                    ));
                }
            }
            Payload::TypeSection(reader) => {
                for (offset, group) in reader.into_iter_with_offsets().map(flatten) {
                    let mut types = group?.into_types();
                    let (Some(sub), None) = (types.next(), types.next()) else {
                        return Err(DecodeError::new(GC_TYPES, offset));
                    };
                    let wasmparser::CompositeInnerType::Func(f) = &sub.composite_type.inner else {
                        return Err(DecodeError::new(GC_TYPES, offset));
                    };
                    if !sub.is_final || !sub.supertype_idxs.is_empty() || sub.composite_type.shared
                    {
                        return Err(DecodeError::new(GC_TYPES, offset));
                    }
                    let params = f
                        .params()
                        .iter()
                        .map(|&t| value_type(t, offset))
                        .collect::<Result<Vec<_>, _>>()?;
                    let results = f
                        .results()
                        .iter()
                        .map(|&t| value_type(t, offset))
                        .collect::<Result<Vec<_>, _>>()?;
                    module.types.push(FuncType::new(params, results));
                }
            }
            Payload::ImportSection(reader) => {
                for item in reader.into_imports_with_offsets() {
                    let (offset, import) = item?;
                    let desc = match import.ty {
                        TypeRef::Func(t) => ImportDesc::Func(t),
                        TypeRef::Table(t) => ImportDesc::Table(table_type(t, offset)?),
                        TypeRef::Memory(m) => ImportDesc::Memory(memory_type(m, offset)?),
                        TypeRef::Global(g) => ImportDesc::Global(global_type(g, offset)?),
                        TypeRef::Tag(t) => ImportDesc::Tag(t.func_type_idx),
                        _ => return Err(DecodeError::new("unsupported import kind", offset)),
                    };
                    module.imports.push(Import {
                        module: import.module.to_string(),
                        name: import.name.to_string(),
                        desc,
                    });
                }
            }
            Payload::FunctionSection(reader) => {
                for t in reader {
                    module.functions.push(t?);
                }
            }
            Payload::TableSection(reader) => {
                for (offset, table) in reader.into_iter_with_offsets().map(flatten) {
                    let table = table?;
                    module.table_inits.push(match &table.init {
                        wasmparser::TableInit::RefNull => None,
                        wasmparser::TableInit::Expr(expr) => Some(const_expr(expr)?),
                    });
                    module.tables.push(table_type(table.ty, offset)?);
                }
            }
            Payload::MemorySection(reader) => {
                for (offset, memory) in reader.into_iter_with_offsets().map(flatten) {
                    module.memories.push(memory_type(memory?, offset)?);
                }
            }
            Payload::GlobalSection(reader) => {
                for (offset, global) in reader.into_iter_with_offsets().map(flatten) {
                    let global = global?;
                    module.globals.push(Global {
                        ty: global_type(global.ty, offset)?,
                        init: const_expr(&global.init_expr)?,
                    });
                }
            }
            Payload::ExportSection(reader) => {
                for (offset, export) in reader.into_iter_with_offsets().map(flatten) {
                    let export = export?;
                    let kind = match export.kind {
                        ExternalKind::Func => ExternType::Func,
                        ExternalKind::Table => ExternType::Table,
                        ExternalKind::Memory => ExternType::Memory,
                        ExternalKind::Global => ExternType::Global,
                        ExternalKind::Tag => ExternType::Tag,
                        _ => return Err(DecodeError::new("unsupported export kind", offset)),
                    };
                    module.exports.push(Export {
                        name: export.name.to_string(),
                        kind,
                        index: export.index,
                    });
                }
            }
            Payload::StartSection { func, .. } => module.start = Some(func),
            Payload::ElementSection(reader) => {
                for (offset, element) in reader.into_iter_with_offsets().map(flatten) {
                    module.elements.push(element_segment(element?, offset)?);
                }
            }
            Payload::DataCountSection { count, .. } => module.data_count = Some(count),
            Payload::DataSection(reader) => {
                for data in reader {
                    let data = data?;
                    let mode = match data.kind {
                        wasmparser::DataKind::Passive => DataMode::Passive,
                        wasmparser::DataKind::Active {
                            memory_index,
                            offset_expr,
                        } => DataMode::Active {
                            memory: memory_index,
                            offset: const_expr(&offset_expr)?,
                        },
                    };
                    let end = data.range.end as usize;
                    let start = end - data.data.len();
                    module.data.push(DataSegment {
                        mode,
                        range: start..end,
                    });
                }
            }
            Payload::CodeSectionStart {
                count,
                unchecked_range: range,
                ..
            } => {
                if count as usize != module.functions.len() {
                    return Err(DecodeError::new(
                        "function and code section have inconsistent lengths",
                        range.start,
                    ));
                }
                saw_code_count = Some(count);
            }
            Payload::CodeSectionEntry(body) => {
                let range = body.range();
                let mut locals = Vec::new();
                let mut total: u64 = 0;
                let mut reader = body.get_locals_reader()?;
                for _ in 0..reader.get_count() {
                    let offset = reader.original_position();
                    let (count, ty) = reader.read()?;
                    total += u64::from(count);
                    if total > u64::from(u32::MAX) {
                        return Err(DecodeError::new("too many locals", offset));
                    }
                    locals.push((count, value_type(ty, offset)?));
                }
                module.code.push(FunctionBody {
                    range: range.start as usize..range.end as usize,
                    locals,
                });
            }
            Payload::CustomSection(reader) => {
                if reader.name() == "name" {
                    // The spec makes a malformed name section no error: ignore what cannot be read.
                    module.names =
                        read_names(reader.data(), reader.data_offset()).unwrap_or_default();
                } else {
                    module.custom_sections.push(CustomSection {
                        name: reader.name().to_string(),
                        data: reader.data().to_vec(),
                    });
                }
            }
            Payload::End(offset) => {
                if saw_code_count.is_none() && !module.functions.is_empty() {
                    return Err(DecodeError::new(
                        "function and code section have inconsistent lengths",
                        offset,
                    ));
                }
            }
            Payload::TagSection(reader) => {
                for tag in reader {
                    module.tags.push(tag?.func_type_idx);
                }
            }
            Payload::UnknownSection { id, range, .. } => {
                return Err(DecodeError::new(
                    format!("malformed section id {id}"),
                    range.start,
                ));
            }
            other => {
                let offset = other.as_section().map(|(_, r)| r.start).unwrap_or(0);
                return Err(DecodeError::new(
                    "section of a proposal not supported by WebAssembly 2.0",
                    offset,
                ));
            }
        }
    }
    Ok(module)
}

fn flatten<T>(item: wasmparser::Result<(u64, T)>) -> (u64, Result<T, DecodeError>) {
    match item {
        Ok((offset, value)) => (offset, Ok(value)),
        Err(e) => (e.offset(), Err(e.into())),
    }
}

fn element_segment(
    element: wasmparser::Element<'_>,
    offset: u64,
) -> Result<ElementSegment, DecodeError> {
    let mode = match element.kind {
        ElementKind::Passive => ElementMode::Passive,
        ElementKind::Declared => ElementMode::Declared,
        ElementKind::Active {
            table_index,
            offset_expr,
        } => ElementMode::Active {
            table: table_index.unwrap_or(0),
            offset: const_expr(&offset_expr)?,
        },
    };
    let (ty, items) = match element.items {
        ElementItems::Functions(funcs) => {
            let items = funcs
                .into_iter()
                .map(|f| f.map(ConstExpr::RefFunc).map_err(DecodeError::from))
                .collect::<Result<Vec<_>, _>>()?;
            (wazero_api::ValueType::FuncRef, items)
        }
        ElementItems::Expressions(ty, exprs) => {
            let items = exprs
                .into_iter()
                .map(|e| const_expr(&e?))
                .collect::<Result<Vec<_>, _>>()?;
            (ref_type(ty, offset)?, items)
        }
    };
    Ok(ElementSegment { mode, ty, items })
}

fn read_names(data: &[u8], offset: u64) -> Result<Names, DecodeError> {
    let mut names = Names::default();
    let reader = wasmparser::NameSectionReader::new(wasmparser::BinaryReader::new(data, offset));
    for name in reader {
        match name? {
            wasmparser::Name::Module { name, .. } => names.module = Some(name.to_string()),
            wasmparser::Name::Function(map) => {
                for naming in map {
                    let naming = naming?;
                    names
                        .functions
                        .insert(naming.index, naming.name.to_string());
                }
            }
            wasmparser::Name::Local(map) => {
                for indirect in map {
                    let indirect = indirect?;
                    let locals = names.locals.entry(indirect.index).or_default();
                    for naming in indirect.names {
                        let naming = naming?;
                        locals.insert(naming.index, naming.name.to_string());
                    }
                }
            }
            _ => {}
        }
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(wat: &str) -> Module {
        decode(&wat::parse_str(wat).unwrap(), CoreFeatures::default()).unwrap()
    }

    #[test]
    fn decodes_every_section() {
        let m = module(
            r#"(module $m
                (type (func (param i32) (result i64)))
                (import "env" "f" (func $f (type 0)))
                (import "env" "g" (global i32))
                (table 2 funcref)
                (memory 1 2)
                (global $g (mut f64) (f64.const 1.5))
                (export "g2" (global $g))
                (start $s)
                (elem (i32.const 0) func $s)
                (data (i32.const 8) "hi")
                (func $s)
                (func (param i32) (result i64) (local i32 i32 f32) i64.const 0))"#,
        );
        assert_eq!(m.types.len(), 2);
        assert_eq!(m.imports.len(), 2);
        assert_eq!(m.imported_function_count(), 1);
        assert_eq!(m.functions.len(), 2);
        assert_eq!(m.tables[0].limits.min, 2);
        assert_eq!(m.memories[0].limits.max, Some(2));
        assert_eq!(m.globals[0].init, ConstExpr::F64(1.5f64.to_bits()));
        assert_eq!(m.exports[0].kind, ExternType::Global);
        assert_eq!(m.start, Some(1));
        assert_eq!(m.elements[0].items, vec![ConstExpr::RefFunc(1)]);
        assert_eq!(m.data_bytes(&m.data[0]), b"hi");
        assert_eq!(m.code[1].local_count(), 3);
        assert_eq!(m.names.module.as_deref(), Some("m"));
        assert_eq!(m.names.functions.get(&1).map(String::as_str), Some("s"));
    }

    #[test]
    fn malformed_inputs_give_offsets() {
        let cases: &[(&str, &[u8])] = &[
            ("empty", b""),
            ("bad magic", b"\0asn\x01\0\0\0"),
            ("bad version", b"\0asm\x02\0\0\0"),
            ("truncated section", b"\0asm\x01\0\0\0\x01\x05\x01"),
            ("unknown section", b"\0asm\x01\0\0\0\x0e\x00"),
        ];
        for (name, bytes) in cases {
            let err = decode(bytes, CoreFeatures::default()).expect_err(name);
            assert!(err.offset <= bytes.len(), "{name}: {err}");
        }
    }

    #[test]
    fn keeps_custom_sections() {
        let m = module(r#"(module (@custom "hello" "world"))"#);
        assert_eq!(m.custom_sections[0].name, "hello");
        assert_eq!(m.custom_sections[0].data, b"world");
    }
}
