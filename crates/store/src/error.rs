//! Errors of instantiation and execution.

use std::fmt;

use wazero_api::{ExternType, TrapCode};

/// A trap: why the guest stopped, and the WebAssembly functions that were running,
/// innermost first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trap {
    /// Why.
    pub code: TrapCode,
    /// Debug names (`module.function`) of the active frames, innermost first.
    pub backtrace: Vec<String>,
}

impl Trap {
    /// A trap without a backtrace.
    pub fn new(code: TrapCode) -> Self {
        Self {
            code,
            backtrace: Vec::new(),
        }
    }
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "wasm trap: {}", self.code)?;
        if !self.backtrace.is_empty() {
            f.write_str("\nwasm backtrace:")?;
            for (i, frame) in self.backtrace.iter().enumerate() {
                write!(f, "\n  {i}: {frame}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for Trap {}

/// How a host function can fail.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// The host closed the calling module with this exit code (WASI `proc_exit`).
    #[error("module closed with exit code {0}")]
    Exit(u32),
    /// The host raised a trap.
    #[error("{0}")]
    Trap(TrapCode),
    /// The host function threw an exception into the guest, which may catch
    /// it (the tag must be one of the store's, the payload of its types).
    #[error("{0}")]
    Exception(Box<crate::Exception>),
    /// A call the host function made back into the guest failed; its error is
    /// passed on unchanged (a trap stays a trap, an exit an exit).
    #[error("{0}")]
    Call(CallError),
    /// Any other failure of the host function.
    #[error("{0}")]
    Failed(Box<dyn std::error::Error + Send + Sync>),
}

/// Why a call into the guest did not complete.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The guest trapped.
    #[error("{0}")]
    Trap(Trap),
    /// A host function failed.
    #[error("host function {function} failed: {error}")]
    Host {
        /// The debug name of the host function.
        function: String,
        /// What it reported.
        error: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The module was closed (e.g. by `proc_exit`) with this exit code.
    #[error("module closed with exit code {0}")]
    Exit(u32),
    /// An engine that compiles functions on first use could not compile one.
    #[error("compilation failed: {0}")]
    Compile(String),
    /// The guest threw an exception that nothing caught (or a host function
    /// threw one): its tag and payload. Boxed: calls pass errors up through
    /// every frame, and a small error keeps those frames small.
    #[error("{0}")]
    Exception(Box<crate::Exception>),
}

impl From<Trap> for CallError {
    fn from(t: Trap) -> Self {
        CallError::Trap(t)
    }
}

/// An import that cannot be satisfied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// No module of that name is instantiated.
    #[error(
        "unknown import: module[{module}] not instantiated (needed for {kind} {module}.{field})"
    )]
    UnknownModule {
        /// Module name.
        module: String,
        /// Field name.
        field: String,
        /// Kind of the import.
        kind: ExternType,
    },
    /// The module has no export of that name.
    #[error("unknown import: {module}.{field} ({kind}) is not exported")]
    UnknownExport {
        /// Module name.
        module: String,
        /// Field name.
        field: String,
        /// Kind of the import.
        kind: ExternType,
    },
    /// The export exists but is of another kind or an incompatible type.
    #[error("incompatible import type for {module}.{field}: expected {expected}, found {found}")]
    IncompatibleType {
        /// Module name.
        module: String,
        /// Field name.
        field: String,
        /// What the importing module declares.
        expected: String,
        /// What the exporting module provides.
        found: String,
    },
}

/// Why a module could not be instantiated.
#[derive(Debug, thiserror::Error)]
pub enum InstantiationError {
    /// An import could not be resolved.
    #[error(transparent)]
    Link(#[from] LinkError),
    /// Another module already has this name.
    #[error("module[{0}] has already been instantiated")]
    NameInUse(String),
    /// A memory or table could not be created (limits, allocation).
    #[error("{0}")]
    Resource(String),
    /// Initializing a segment or running the start function trapped or failed.
    #[error("start failed: {0}")]
    Start(#[from] CallError),
}
