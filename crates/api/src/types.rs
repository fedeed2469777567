//! WebAssembly types: values, functions, tables, memories, globals, externs.

use std::fmt;
use std::sync::Arc;

/// The type of a WebAssembly value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueType {
    /// 32-bit integer.
    I32,
    /// 64-bit integer.
    I64,
    /// 32-bit IEEE 754 float.
    F32,
    /// 64-bit IEEE 754 float.
    F64,
    /// 128-bit vector (takes two `u64` slots).
    V128,
    /// Reference to a function, `0` when null.
    FuncRef,
    /// Opaque reference owned by the host, `0` when null.
    ExternRef,
    /// Any other reference type of typed function references: non-nullable
    /// references, and references to functions of one signature. Made by
    /// [`ValueType::reference`], which keeps each type one value: a nullable
    /// `func` or `extern` reference is always [`FuncRef`](ValueType::FuncRef)
    /// or [`ExternRef`](ValueType::ExternRef), never `Ref`. Held in one slot
    /// like those, `0` when null.
    Ref(RefType),
}

/// A reference type that is neither `funcref` nor `externref` (see
/// [`ValueType::Ref`]).
///
/// Packed in 32 bits, so that a [`ValueType`] stays eight bytes: signatures
/// keep their types inline, and the store keeps a signature per function.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RefType(u32);

impl RefType {
    /// Bit 31: nullable.
    const NULLABLE: u32 = 1 << 31;
    /// Bits 29-30: 0 `func`, 1 `extern`, 2 a signature whose index is in the
    /// low 29 bits ([`Self::SELF_INDEX`] for [`HeapType::SELF`]), 3 `exn`.
    const KIND_SHIFT: u32 = 29;
    const INDEX_MASK: u32 = (1 << 29) - 1;
    const SELF_INDEX: u32 = Self::INDEX_MASK;

    const fn new(nullable: bool, heap: HeapType) -> Self {
        let null = if nullable { Self::NULLABLE } else { 0 };
        let heap = match heap {
            HeapType::Func => 0,
            HeapType::Extern => 1 << Self::KIND_SHIFT,
            HeapType::Exn => 3 << Self::KIND_SHIFT,
            HeapType::Concrete(u32::MAX) => 2 << Self::KIND_SHIFT | Self::SELF_INDEX,
            // Type indices are below 2^20 (wasmparser's limit on types) and
            // a store's signature ids far below 2^29.
            HeapType::Concrete(i) => 2 << Self::KIND_SHIFT | (i & Self::INDEX_MASK),
        };
        Self(null | heap)
    }

    /// Whether the reference may be null.
    pub const fn nullable(self) -> bool {
        self.0 & Self::NULLABLE != 0
    }

    /// What the reference refers to.
    pub const fn heap(self) -> HeapType {
        match (self.0 >> Self::KIND_SHIFT) & 3 {
            0 => HeapType::Func,
            1 => HeapType::Extern,
            3 => HeapType::Exn,
            _ => match self.0 & Self::INDEX_MASK {
                Self::SELF_INDEX => HeapType::SELF,
                i => HeapType::Concrete(i),
            },
        }
    }
}

impl fmt::Debug for RefType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefType")
            .field("nullable", &self.nullable())
            .field("heap", &self.heap())
            .finish()
    }
}

/// What a reference refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HeapType {
    /// Any function.
    Func,
    /// Anything the host passes in.
    Extern,
    /// An exception (exception handling): what `catch_ref` and
    /// `catch_all_ref` give and `throw_ref` throws again.
    Exn,
    /// A function of the signature with this index. In a decoded module it is
    /// an index of the module's type section; in the store's instances it is
    /// the store's id of the signature, so that equal signatures of different
    /// modules are the same type ([`HeapType::SELF`] stands for the signature
    /// it appears in).
    Concrete(u32),
}

impl HeapType {
    /// In a store's signatures, the signature that contains the reference.
    pub const SELF: HeapType = HeapType::Concrete(u32::MAX);
}

impl ValueType {
    /// The name of the type in the text format (`i32`, `funcref`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            ValueType::I32 => "i32",
            ValueType::I64 => "i64",
            ValueType::F32 => "f32",
            ValueType::F64 => "f64",
            ValueType::V128 => "v128",
            ValueType::FuncRef => "funcref",
            ValueType::ExternRef => "externref",
            ValueType::Ref(r) => match (r.nullable(), r.heap()) {
                (_, HeapType::Func) => "(ref func)",
                (_, HeapType::Extern) => "(ref extern)",
                (true, HeapType::Exn) => "exnref",
                (false, HeapType::Exn) => "(ref exn)",
                (true, HeapType::Concrete(_)) => "(ref null $type)",
                (false, HeapType::Concrete(_)) => "(ref $type)",
            },
        }
    }

    /// The reference type `(ref null? heap)`, in its one representation
    /// (`(ref null func)` is [`ValueType::FuncRef`]).
    ///
    /// ```
    /// use wazero_api::{HeapType, ValueType};
    /// assert_eq!(ValueType::reference(true, HeapType::Func), ValueType::FuncRef);
    /// let f = ValueType::reference(false, HeapType::Concrete(0));
    /// assert!(f.is_subtype_of(ValueType::FuncRef));
    /// assert!(!ValueType::FuncRef.is_subtype_of(f));
    /// assert_eq!(f.to_string(), "(ref 0)");
    /// ```
    pub const fn reference(nullable: bool, heap: HeapType) -> Self {
        match (nullable, heap) {
            (true, HeapType::Func) => ValueType::FuncRef,
            (true, HeapType::Extern) => ValueType::ExternRef,
            _ => ValueType::Ref(RefType::new(nullable, heap)),
        }
    }

    /// The reference type's parts, if it is one.
    pub const fn as_ref_type(self) -> Option<RefType> {
        match self {
            ValueType::FuncRef => Some(RefType::new(true, HeapType::Func)),
            ValueType::ExternRef => Some(RefType::new(true, HeapType::Extern)),
            ValueType::Ref(r) => Some(r),
            _ => None,
        }
    }

    /// Whether this is a reference to a function (`funcref`, `(ref func)`,
    /// `(ref null? $t)`): its values are function references.
    pub const fn is_func_ref(self) -> bool {
        match self.as_ref_type() {
            Some(r) => !matches!(r.heap(), HeapType::Extern | HeapType::Exn),
            None => false,
        }
    }

    /// Whether a value of this type may be used where `other` is expected
    /// (reference subtyping: non-null below nullable, a signature's
    /// references below `func`; signatures are compared by index, so both
    /// types must come from one index space).
    pub fn is_subtype_of(self, other: ValueType) -> bool {
        match (self.as_ref_type(), other.as_ref_type()) {
            (Some(a), Some(b)) => {
                (b.nullable() || !a.nullable())
                    && match (a.heap(), b.heap()) {
                        (HeapType::Func, HeapType::Func)
                        | (HeapType::Concrete(_), HeapType::Func)
                        | (HeapType::Extern, HeapType::Extern)
                        | (HeapType::Exn, HeapType::Exn) => true,
                        (HeapType::Concrete(x), HeapType::Concrete(y)) => x == y,
                        _ => false,
                    }
            }
            (None, None) => self == other,
            _ => false,
        }
    }

    /// This type with each signature index `i` it refers to replaced by
    /// `f(i)`.
    pub fn map_concrete(self, f: impl FnOnce(u32) -> u32) -> Self {
        match self {
            ValueType::Ref(r) => match r.heap() {
                HeapType::Concrete(i) => {
                    ValueType::Ref(RefType::new(r.nullable(), HeapType::Concrete(f(i))))
                }
                _ => self,
            },
            other => other,
        }
    }

    /// How many `u64` slots a value of this type takes.
    pub const fn slots(self) -> usize {
        match self {
            ValueType::V128 => 2,
            _ => 1,
        }
    }

    /// Whether this is a reference type.
    pub const fn is_ref(self) -> bool {
        matches!(
            self,
            ValueType::FuncRef | ValueType::ExternRef | ValueType::Ref(_)
        )
    }
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self, self.as_ref_type().map(RefType::heap)) {
            (ValueType::Ref(r), Some(HeapType::Concrete(i))) => {
                let null = if r.nullable() { "null " } else { "" };
                write!(f, "(ref {null}{i})")
            }
            (other, _) => f.write_str(other.name()),
        }
    }
}

/// How many types a [`TypeList`] keeps inline.
const INLINE_TYPES: usize = 6;

/// The parameter or result types of a signature: short lists (nearly all)
/// inline, so that copying a signature, which handles to functions do on
/// every lookup, allocates nothing and touches no count shared with other
/// threads; longer ones shared.
#[derive(Clone)]
enum TypeList {
    Inline {
        len: u8,
        types: [ValueType; INLINE_TYPES],
    },
    Shared(Arc<[ValueType]>),
}

impl TypeList {
    fn new(types: impl IntoIterator<Item = ValueType>) -> Self {
        let mut inline = [ValueType::I32; INLINE_TYPES];
        let mut len = 0;
        let mut types = types.into_iter();
        for t in types.by_ref() {
            if len == INLINE_TYPES {
                let all: Arc<[ValueType]> = inline.into_iter().chain([t]).chain(types).collect();
                return TypeList::Shared(all);
            }
            inline[len] = t;
            len += 1;
        }
        TypeList::Inline {
            len: len as u8,
            types: inline,
        }
    }

    fn as_slice(&self) -> &[ValueType] {
        match self {
            TypeList::Inline { len, types } => &types[..*len as usize],
            TypeList::Shared(types) => types,
        }
    }
}

impl Default for TypeList {
    fn default() -> Self {
        TypeList::new([])
    }
}

impl PartialEq for TypeList {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for TypeList {}

impl std::hash::Hash for TypeList {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state);
    }
}

impl std::ops::Deref for TypeList {
    type Target = [ValueType];

    fn deref(&self) -> &[ValueType] {
        self.as_slice()
    }
}

/// The signature of a function: parameter and result types.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct FuncType {
    params: TypeList,
    results: TypeList,
    /// Slot counts, computed once: engines ask for them on every call.
    param_slots: u32,
    result_slots: u32,
}

impl FuncType {
    /// A signature from parameter and result types.
    pub fn new(
        params: impl IntoIterator<Item = ValueType>,
        results: impl IntoIterator<Item = ValueType>,
    ) -> Self {
        let params = TypeList::new(params);
        let results = TypeList::new(results);
        let slots = |types: &[ValueType]| types.iter().map(|t| t.slots() as u32).sum();
        Self {
            param_slots: slots(&params),
            result_slots: slots(&results),
            params,
            results,
        }
    }

    /// The parameter types.
    pub fn params(&self) -> &[ValueType] {
        &self.params
    }

    /// The result types.
    pub fn results(&self) -> &[ValueType] {
        &self.results
    }

    /// Slots taken by the parameters (a `v128` takes two).
    #[inline]
    pub fn param_slots(&self) -> usize {
        self.param_slots as usize
    }

    /// Slots taken by the results.
    #[inline]
    pub fn result_slots(&self) -> usize {
        self.result_slots as usize
    }

    /// This signature with each signature index `i` its reference types
    /// refer to replaced by `f(i)` (see [`ValueType::map_concrete`]).
    pub fn map_concrete(&self, f: impl Fn(u32) -> u32) -> Self {
        if !self
            .params
            .iter()
            .chain(self.results.iter())
            .any(|t| matches!(t, ValueType::Ref(_)))
        {
            return self.clone();
        }
        FuncType::new(
            self.params.iter().map(|t| t.map_concrete(&f)),
            self.results.iter().map(|t| t.map_concrete(&f)),
        )
    }
}

impl fmt::Display for FuncType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |types: &[ValueType]| {
            types
                .iter()
                .map(|t| t.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        write!(f, "({}) -> ({})", list(&self.params), list(&self.results))
    }
}

impl fmt::Debug for FuncType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FuncType{self}")
    }
}

/// Size limits of a memory (in pages) or a table (in elements).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Limits {
    /// The initial size.
    pub min: u64,
    /// The largest size, if bounded.
    pub max: Option<u64>,
}

impl Limits {
    /// Whether limits `self` (of an export) satisfy limits `required` (of an import).
    pub fn matches(&self, required: &Limits) -> bool {
        self.min >= required.min
            && match (self.max, required.max) {
                (_, None) => true,
                (Some(have), Some(want)) => have <= want,
                (None, Some(_)) => false,
            }
    }
}

impl fmt::Display for Limits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.max {
            Some(max) => write!(f, "{{min {}, max {}}}", self.min, max),
            None => write!(f, "{{min {}}}", self.min),
        }
    }
}

/// The type of a linear memory: its limits in 64 KiB pages, and whether it
/// is addressed with 64 bits (memory64).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MemoryType {
    /// Limits in pages.
    pub limits: Limits,
    /// Whether addresses, sizes and lengths are `i64` (memory64) instead of
    /// `i32`.
    pub memory64: bool,
}

/// The type of a table: element type and limits in elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TableType {
    /// A reference type (`FuncRef`, `ExternRef` or a [`ValueType::Ref`]).
    pub element: ValueType,
    /// Limits in elements.
    pub limits: Limits,
    /// Whether indices and sizes are `i64` (memory64's 64-bit tables)
    /// instead of `i32`.
    pub table64: bool,
}

/// The type of a global: value type and mutability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GlobalType {
    /// The type of the value.
    pub content: ValueType,
    /// Whether `global.set` may change it.
    pub mutable: bool,
}

impl fmt::Display for GlobalType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mutable {
            write!(f, "(mut {})", self.content)
        } else {
            write!(f, "{}", self.content)
        }
    }
}

/// The kind of an import or export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExternType {
    /// A function.
    Func,
    /// A table.
    Table,
    /// A linear memory.
    Memory,
    /// A global.
    Global,
    /// An exception tag (exception handling).
    Tag,
}

impl ExternType {
    /// The name in the text format (`func`, `table`, `memory`, `global`).
    pub const fn name(self) -> &'static str {
        match self {
            ExternType::Func => "func",
            ExternType::Table => "table",
            ExternType::Memory => "memory",
            ExternType::Global => "global",
            ExternType::Tag => "tag",
        }
    }
}

impl fmt::Display for ExternType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_types_pack_into_eight_bytes() {
        assert_eq!(std::mem::size_of::<ValueType>(), 8);
        let heaps = [
            HeapType::Func,
            HeapType::Extern,
            HeapType::Exn,
            HeapType::Concrete(0),
            HeapType::Concrete((1 << 20) - 1),
            HeapType::SELF,
        ];
        for heap in heaps {
            for nullable in [false, true] {
                let r = RefType::new(nullable, heap);
                assert_eq!((r.nullable(), r.heap()), (nullable, heap), "{r:?}");
            }
        }
    }

    #[test]
    fn limits_matching_follows_import_subtyping() {
        let l = |min, max| Limits { min, max };
        let cases = [
            (l(1, None), l(1, None), true),
            (l(2, Some(3)), l(1, Some(4)), true),
            (l(0, Some(3)), l(1, Some(4)), false),
            (l(1, None), l(1, Some(4)), false),
            (l(1, Some(5)), l(1, Some(4)), false),
        ];
        for (have, want, ok) in cases {
            assert_eq!(have.matches(&want), ok, "{have} vs {want}");
        }
    }

    #[test]
    fn func_type_counts_v128_as_two_slots() {
        let t = FuncType::new([ValueType::I32, ValueType::V128], [ValueType::F64]);
        assert_eq!(t.param_slots(), 3);
        assert_eq!(t.result_slots(), 1);
        assert_eq!(t.to_string(), "(i32, v128) -> (f64)");
    }

    #[test]
    fn type_lists_keep_every_type_in_order_whatever_their_length() {
        use std::collections::hash_map::DefaultHasher;
        use std::hash::{Hash, Hasher};
        let kinds = [
            ValueType::I64,
            ValueType::F32,
            ValueType::V128,
            ValueType::ExternRef,
        ];
        let hash = |t: &FuncType| {
            let mut h = DefaultHasher::new();
            t.hash(&mut h);
            h.finish()
        };
        for len in [0, 1, INLINE_TYPES - 1, INLINE_TYPES, INLINE_TYPES + 1, 40] {
            let types: Vec<ValueType> = (0..len).map(|i| kinds[i % kinds.len()]).collect();
            let t = FuncType::new(types.clone(), types.iter().rev().copied());
            assert_eq!(t.params(), &types[..], "length {len}");
            let reversed: Vec<ValueType> = types.iter().rev().copied().collect();
            assert_eq!(t.results(), &reversed[..], "length {len}");
            let copy = t.clone();
            assert_eq!(copy, t);
            assert_eq!(hash(&copy), hash(&t));
            let slots: usize = types.iter().map(|v| v.slots()).sum();
            assert_eq!(t.param_slots(), slots);
            // One type more or less is another signature.
            let longer = FuncType::new(types.iter().copied().chain([ValueType::I32]), []);
            assert_ne!(FuncType::new(types.clone(), []), longer, "length {len}");
        }
    }
}
