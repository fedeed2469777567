//! The module IR: what a WebAssembly binary declares, as plain data.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use wazero_api::{ExternType, FuncType, GlobalType, MemoryType, TableType, ValueType};

use crate::ConstExpr;

/// A decoded WebAssembly module. Index spaces count imports first, as in the spec.
#[derive(Debug, Clone, Default)]
pub struct Module {
    /// The binary this module was decoded from; function bodies and data refer into it.
    pub bytes: Arc<[u8]>,
    /// The type section.
    pub types: Vec<FuncType>,
    /// The import section, in order.
    pub imports: Vec<Import>,
    /// Type index of each function defined in this module (not imported).
    pub functions: Vec<u32>,
    /// Tables defined in this module.
    pub tables: Vec<TableType>,
    /// The initializer of each table defined in this module, when it has one
    /// (typed function references); without, a table starts with nulls.
    pub table_inits: Vec<Option<ConstExpr>>,
    /// Memories defined in this module.
    pub memories: Vec<MemoryType>,
    /// Globals defined in this module.
    pub globals: Vec<Global>,
    /// Type index of each tag defined in this module (exception handling;
    /// a tag's type is a function type without results: its payload).
    pub tags: Vec<u32>,
    /// The export section, in order.
    pub exports: Vec<Export>,
    /// The start function, if any.
    pub start: Option<u32>,
    /// Element segments.
    pub elements: Vec<ElementSegment>,
    /// Data segments.
    pub data: Vec<DataSegment>,
    /// The data count section, if present.
    pub data_count: Option<u32>,
    /// Bodies of the defined functions, index-correlated with `functions`.
    pub code: Vec<FunctionBody>,
    /// Custom sections other than `name`, in order.
    pub custom_sections: Vec<CustomSection>,
    /// What the `name` section says, if present and well-formed.
    pub names: Names,
}

/// One import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    /// The module name it is imported from.
    pub module: String,
    /// The field name within that module.
    pub name: String,
    /// What is imported.
    pub desc: ImportDesc,
}

/// What an import brings in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportDesc {
    /// A function of the given type index.
    Func(u32),
    /// A table.
    Table(TableType),
    /// A memory.
    Memory(MemoryType),
    /// A global.
    Global(GlobalType),
    /// An exception tag of the given type index.
    Tag(u32),
}

impl ImportDesc {
    /// The kind of thing imported.
    pub fn extern_type(&self) -> ExternType {
        match self {
            ImportDesc::Func(_) => ExternType::Func,
            ImportDesc::Table(_) => ExternType::Table,
            ImportDesc::Memory(_) => ExternType::Memory,
            ImportDesc::Global(_) => ExternType::Global,
            ImportDesc::Tag(_) => ExternType::Tag,
        }
    }
}

/// One export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Export {
    /// The exported name.
    pub name: String,
    /// The kind of thing exported.
    pub kind: ExternType,
    /// Its index in the index space of its kind.
    pub index: u32,
}

/// A global defined in the module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Global {
    /// Its type.
    pub ty: GlobalType,
    /// Its initial value.
    pub init: ConstExpr,
}

/// How an element segment is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ElementMode {
    /// Copied into a table by `table.init`.
    Passive,
    /// Copied into `table` at `offset` when instantiated.
    Active {
        /// The table index.
        table: u32,
        /// The offset in the table.
        offset: ConstExpr,
    },
    /// Only declares functions referenced by `ref.func`.
    Declared,
}

/// An element segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElementSegment {
    /// How it is used.
    pub mode: ElementMode,
    /// The reference type of its items.
    pub ty: ValueType,
    /// Its items, each a constant expression producing a reference.
    pub items: Vec<ConstExpr>,
}

/// How a data segment is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataMode {
    /// Copied into memory by `memory.init`.
    Passive,
    /// Copied into `memory` at `offset` when instantiated.
    Active {
        /// The memory index.
        memory: u32,
        /// The offset in the memory.
        offset: ConstExpr,
    },
}

/// A data segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataSegment {
    /// How it is used.
    pub mode: DataMode,
    /// Where its bytes are in [`Module::bytes`].
    pub range: Range<usize>,
}

/// The body of a defined function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionBody {
    /// Where the body (local declarations, then code) is in [`Module::bytes`].
    pub range: Range<usize>,
    /// Declared locals, run-length encoded as in the binary: (count, type).
    pub locals: Vec<(u32, ValueType)>,
}

impl FunctionBody {
    /// The total number of declared locals (not counting parameters).
    pub fn local_count(&self) -> u64 {
        self.locals.iter().map(|&(n, _)| u64::from(n)).sum()
    }

    /// The `u64` slots the declared locals take (a `v128` takes two).
    ///
    /// ```
    /// use wazero_api::ValueType;
    /// use wazero_decoder::FunctionBody;
    /// let body = FunctionBody {
    ///     range: 0..0,
    ///     locals: vec![(3, ValueType::I32), (2, ValueType::V128)],
    /// };
    /// assert_eq!(body.local_count(), 5);
    /// assert_eq!(body.local_slots(), 7);
    /// ```
    pub fn local_slots(&self) -> u64 {
        self.locals
            .iter()
            .map(|&(n, t)| u64::from(n) * t.slots() as u64)
            .sum()
    }
}

/// A custom section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomSection {
    /// Its name.
    pub name: String,
    /// Its payload.
    pub data: Vec<u8>,
}

/// Names from the `name` custom section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Names {
    /// The module's name.
    pub module: Option<String>,
    /// Function names by function index.
    pub functions: BTreeMap<u32, String>,
    /// Local names by function index, then local index.
    pub locals: BTreeMap<u32, BTreeMap<u32, String>>,
}

impl Module {
    /// The number of imported functions (they come first in the function index space).
    pub fn imported_function_count(&self) -> u32 {
        self.count_imports(|d| matches!(d, ImportDesc::Func(_)))
    }

    /// The number of imported tables.
    pub fn imported_table_count(&self) -> u32 {
        self.count_imports(|d| matches!(d, ImportDesc::Table(_)))
    }

    /// The number of imported memories.
    pub fn imported_memory_count(&self) -> u32 {
        self.count_imports(|d| matches!(d, ImportDesc::Memory(_)))
    }

    /// The number of imported globals.
    pub fn imported_global_count(&self) -> u32 {
        self.count_imports(|d| matches!(d, ImportDesc::Global(_)))
    }

    fn count_imports(&self, pred: impl Fn(&ImportDesc) -> bool) -> u32 {
        self.imports.iter().filter(|i| pred(&i.desc)).count() as u32
    }

    /// Type index of every function, imported ones first.
    pub fn function_type_indices(&self) -> impl Iterator<Item = u32> + '_ {
        self.imports
            .iter()
            .filter_map(|i| match i.desc {
                ImportDesc::Func(t) => Some(t),
                _ => None,
            })
            .chain(self.functions.iter().copied())
    }

    /// The type of function `index` (imports first), if it exists.
    pub fn function_type(&self, index: u32) -> Option<&FuncType> {
        let t = self.function_type_indices().nth(index as usize)?;
        self.types.get(t as usize)
    }

    /// The type of every global, imported ones first.
    pub fn global_types(&self) -> Vec<GlobalType> {
        self.imports
            .iter()
            .filter_map(|i| match i.desc {
                ImportDesc::Global(g) => Some(g),
                _ => None,
            })
            .chain(self.globals.iter().map(|g| g.ty))
            .collect()
    }

    /// The type index of every tag, imported ones first (a tag's type is a
    /// function type whose parameters are the exception's payload).
    pub fn tag_types(&self) -> Vec<u32> {
        self.imports
            .iter()
            .filter_map(|i| match i.desc {
                ImportDesc::Tag(t) => Some(t),
                _ => None,
            })
            .chain(self.tags.iter().copied())
            .collect()
    }

    /// The type of every table, imported ones first.
    pub fn table_types(&self) -> Vec<TableType> {
        self.imports
            .iter()
            .filter_map(|i| match i.desc {
                ImportDesc::Table(t) => Some(t),
                _ => None,
            })
            .chain(self.tables.iter().copied())
            .collect()
    }

    /// The type of every memory, imported ones first.
    pub fn memory_types(&self) -> Vec<MemoryType> {
        self.imports
            .iter()
            .filter_map(|i| match i.desc {
                ImportDesc::Memory(m) => Some(m),
                _ => None,
            })
            .chain(self.memories.iter().copied())
            .collect()
    }

    /// The bytes of data segment `index`.
    pub fn data_bytes(&self, segment: &DataSegment) -> &[u8] {
        &self.bytes[segment.range.clone()]
    }
}
