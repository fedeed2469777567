//! The ways a guest can trap.

/// Why execution of a guest stopped abnormally.
///
/// The messages are those of the WebAssembly specification's test suite, so an
/// error says `integer divide by zero` exactly as the spec does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum TrapCode {
    /// The `unreachable` instruction ran.
    #[error("unreachable")]
    Unreachable,
    /// Integer division or remainder by zero.
    #[error("integer divide by zero")]
    IntegerDivideByZero,
    /// Signed division overflow (`MIN / -1`).
    #[error("integer overflow")]
    IntegerOverflow,
    /// A float-to-int conversion of NaN or a value out of the target's range.
    #[error("invalid conversion to integer")]
    InvalidConversionToInteger,
    /// A load, store or bulk memory operation outside linear memory.
    #[error("out of bounds memory access")]
    MemoryOutOfBounds,
    /// A table access outside the table's bounds.
    #[error("out of bounds table access")]
    TableOutOfBounds,
    /// `call_indirect` with an index outside the table.
    #[error("undefined element")]
    UndefinedElement,
    /// `call_indirect` through a null table entry.
    #[error("uninitialized element")]
    UninitializedElement,
    /// `call_indirect` to a function of another type.
    #[error("indirect call type mismatch")]
    IndirectCallTypeMismatch,
    /// The guest's call stack exceeded its limit.
    #[error("call stack exhausted")]
    StackExhausted,
    /// The guest was stopped by an interrupt or a deadline.
    #[error("interrupted")]
    Interrupted,
    /// `ref.as_non_null` of a null reference.
    #[error("null reference")]
    NullReference,
    /// `call_ref` or `return_call_ref` of a null function reference.
    #[error("null function reference")]
    NullFunctionReference,
    /// `throw_ref` of a null exception reference.
    #[error("null exception reference")]
    NullExceptionReference,
    /// More exceptions held at once than the store allows (exceptions kept
    /// as `exnref` values live until their store is dropped).
    #[error("too many exceptions held")]
    TooManyExceptions,
}

impl TrapCode {
    /// Every trap code, in declaration order (engines number them by position).
    pub const ALL: [TrapCode; 15] = [
        TrapCode::Unreachable,
        TrapCode::IntegerDivideByZero,
        TrapCode::IntegerOverflow,
        TrapCode::InvalidConversionToInteger,
        TrapCode::MemoryOutOfBounds,
        TrapCode::TableOutOfBounds,
        TrapCode::UndefinedElement,
        TrapCode::UninitializedElement,
        TrapCode::IndirectCallTypeMismatch,
        TrapCode::StackExhausted,
        TrapCode::Interrupted,
        TrapCode::NullReference,
        TrapCode::NullFunctionReference,
        TrapCode::NullExceptionReference,
        TrapCode::TooManyExceptions,
    ];
}
