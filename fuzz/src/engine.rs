//! What the harness needs from an engine: compile, instantiate without imports,
//! call an export, and look at exported memories, globals and tables.

use std::fmt;

use crate::value::Value;

/// Why a trap happened, in the terms both engines can be mapped to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrapKind {
    /// `unreachable` ran (also the generator's fuel running out).
    Unreachable,
    /// Integer division or remainder by zero.
    IntegerDivideByZero,
    /// Signed division overflow.
    IntegerOverflow,
    /// A float-to-integer conversion of NaN or of a value out of range.
    InvalidConversionToInteger,
    /// A memory access (or bulk memory operation, or data segment) out of bounds.
    MemoryOutOfBounds,
    /// A table access (or bulk table operation, or element segment) out of
    /// bounds, including `call_indirect` past the end of its table: the spec's
    /// "undefined element", which wasmi reports as a table access out of bounds.
    TableOutOfBounds,
    /// `call_indirect` through a null entry.
    UninitializedElement,
    /// `call_indirect` to a function of another type.
    IndirectCallTypeMismatch,
    /// `ref.as_non_null` of a null reference.
    NullReference,
    /// `call_ref` or `return_call_ref` of a null function reference.
    NullFunctionReference,
    /// The call stack is exhausted. The engines' limits differ, so this makes the
    /// rest of the module inconclusive rather than a mismatch.
    StackExhausted,
    /// Anything else (e.g. an interrupt or fuel of the engine's own), by its
    /// message: never expected, so it never matches.
    Other(String),
}

impl fmt::Display for TrapKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrapKind::Other(message) => write!(f, "other trap ({message})"),
            kind => write!(f, "{kind:?}"),
        }
    }
}

/// Why instantiating or calling failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The guest trapped.
    Trap(TrapKind),
    /// A memory or table could not be created within the engine's limits, by its
    /// message (both engines are configured with the same limits, so two of
    /// these match whatever they say).
    Resource(String),
    /// An exception nothing caught: its tag's name within its module and its
    /// payload.
    Exception(String),
    /// Any other error, by its message: never expected, so it never matches.
    Other(String),
    /// The reference engine panicked, by the panic's message: its own bug
    /// (wasmi 2.0.0's lazy translator panics on some stores), which tells
    /// nothing about the engines checked, so the module is inconclusive.
    ReferencePanicked(String),
}

thread_local! {
    static IN_REFERENCE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f`, a call into the reference engine, turning a panic in it into
/// [`Failure::ReferencePanicked`]; while it runs, [`in_reference`] is true
/// on this thread, so a panic hook can stay quiet about the caught panic.
pub fn catch_reference<T>(f: impl FnOnce() -> Result<T, Failure>) -> Result<T, Failure> {
    IN_REFERENCE.with(|r| r.set(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    IN_REFERENCE.with(|r| r.set(false));
    result.unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(Failure::ReferencePanicked(message))
    })
}

/// Whether this thread is in [`catch_reference`].
pub fn in_reference() -> bool {
    IN_REFERENCE.with(std::cell::Cell::get)
}

impl Failure {
    /// Whether two failures count as the same outcome.
    pub fn matches(&self, other: &Failure) -> bool {
        match (self, other) {
            (Failure::Trap(TrapKind::Other(_)), _) | (_, Failure::Trap(TrapKind::Other(_))) => {
                false
            }
            (Failure::Trap(a), Failure::Trap(b)) => a == b,
            (Failure::Resource(_), Failure::Resource(_)) => true,
            (Failure::Exception(a), Failure::Exception(b)) => a == b,
            _ => false,
        }
    }

    /// Whether this makes the rest of a module inconclusive: stack
    /// exhaustion (the engines' limits differ), or the reference's panic.
    pub fn is_inconclusive(&self) -> bool {
        matches!(
            self,
            Failure::Trap(TrapKind::StackExhausted) | Failure::ReferencePanicked(_)
        )
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Trap(kind) => write!(f, "trap: {kind}"),
            Failure::Resource(message) => write!(f, "resource limit: {message}"),
            Failure::Exception(e) => write!(f, "uncaught exception {e}"),
            Failure::Other(message) => write!(f, "error: {message}"),
            Failure::ReferencePanicked(message) => write!(f, "reference panicked: {message}"),
        }
    }
}

/// An engine under test, or the reference.
///
/// Every engine must be configured with the limits of
/// [`generate`](mod@crate::generate): memories of at most
/// [`MEMORY_LIMIT_PAGES`](crate::generate::MEMORY_LIMIT_PAGES) pages, tables as
/// wazero's store allows them, and a call depth well beyond what the generator's
/// fuel allows, so that `memory.grow` and `table.grow` agree.
pub trait Engine {
    /// The engine's name in reports.
    fn name(&self) -> &str;

    /// Compiles (validates) `wasm`; the error's message on failure.
    fn compile(&self, wasm: &[u8]) -> Result<Box<dyn CompiledModule>, String>;
}

/// A compiled module, instantiated any number of times.
pub trait CompiledModule {
    /// A fresh instance, with no imports, after its start function ran.
    fn instantiate(&self) -> Result<Box<dyn Instance>, Failure>;
}

/// An instance: exports by name.
pub trait Instance {
    /// Calls the exported function `name` with `args` (which fit its type).
    fn call(&mut self, name: &str, args: &[Value]) -> Result<Vec<Value>, Failure>;

    /// Calls `f` with the bytes of the exported memory `name` (without copying
    /// them); false if there is no such memory.
    fn with_memory(&self, name: &str, f: &mut dyn FnMut(&[u8])) -> bool;

    /// The value of the exported global `name`.
    fn global(&self, name: &str) -> Option<Value>;

    /// The size of the exported table `name` and, if it has at most `max_elements`
    /// elements, which of them are not null.
    fn table(&self, name: &str, max_elements: u32) -> Option<(u32, Vec<bool>)>;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A panic in the reference becomes an inconclusive failure with its
    /// message; anything else passes through.
    #[test]
    fn a_reference_panic_is_caught_as_inconclusive() {
        let panicked = catch_reference::<()>(|| panic!("wasmi bug"));
        assert_eq!(
            panicked,
            Err(Failure::ReferencePanicked("wasmi bug".into()))
        );
        assert!(panicked.unwrap_err().is_inconclusive());
        assert!(!in_reference());
        let trapped = catch_reference::<()>(|| Err(Failure::Trap(TrapKind::Unreachable)));
        assert!(!trapped.unwrap_err().is_inconclusive());
        assert_eq!(catch_reference(|| Ok(7)), Ok(7));
    }
}
