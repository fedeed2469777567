//! The facade's error type.

use wazero_api::TrapCode;
pub use wazero_store::{LinkError, Trap};

/// Everything that can go wrong when compiling, instantiating or calling.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The binary is not well-formed WebAssembly.
    #[error(transparent)]
    Decode(#[from] wazero_decoder::DecodeError),
    /// The module is not valid.
    #[error(transparent)]
    Validation(#[from] wazero_validator::ValidationError),
    /// The engine could not compile the module.
    #[error("compilation failed: {0}")]
    Compile(String),
    /// An import could not be resolved.
    #[error(transparent)]
    Link(#[from] LinkError),
    /// Another module already has this name.
    #[error("module[{0}] has already been instantiated")]
    NameInUse(String),
    /// A memory or table could not be created (e.g. above the memory limit).
    #[error("instantiation failed: {0}")]
    Resource(String),
    /// The guest trapped (also during instantiation: segment initialization, start).
    #[error("{0}")]
    Trap(Trap),
    /// A host function failed.
    #[error("host function {function} failed: {error}")]
    Host {
        /// Debug name of the host function.
        function: String,
        /// Its error.
        error: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The module was closed with this exit code (`proc_exit`, `close_with_exit_code`).
    #[error("module closed with exit code {0}")]
    Exit(u32),
    /// The call's arguments do not fit the function (count, stack size).
    #[error("{0}")]
    InvalidArgument(String),
    /// A function handle was called from inside a host function of the same
    /// namespace; re-entrant calls must go through the [`Caller`](crate::Caller).
    #[error("re-entrant call through a function handle; use the Caller inside host functions")]
    Reentrant,
    /// A memory view was open when the guest was entered.
    #[error("the guest cannot run while a memory view is borrowed")]
    MemoryBorrowed,
    /// A host module's definition is wrong (e.g. a function without a body).
    #[error(transparent)]
    HostDefinition(#[from] wazero_host::BuildError),
    /// The system configuration could not be set up (a directory to mount, a
    /// listener).
    #[error(transparent)]
    Sys(#[from] wazero_wasi_preview1::SysError),
    /// The global is immutable.
    #[error("global is immutable")]
    ImmutableGlobal,
}

impl Error {
    /// The trap code, if this is a trap.
    pub fn trap_code(&self) -> Option<TrapCode> {
        match self {
            Error::Trap(t) => Some(t.code),
            _ => None,
        }
    }

    /// Whether the guest was stopped by an [`InterruptHandle`](crate::InterruptHandle)
    /// or a deadline.
    pub fn is_interrupted(&self) -> bool {
        self.trap_code() == Some(TrapCode::Interrupted)
    }

    /// The exit code, if the module was closed.
    pub fn exit_code(&self) -> Option<u32> {
        match self {
            Error::Exit(code) => Some(*code),
            _ => None,
        }
    }
}

impl From<wazero_store::CallError> for Error {
    fn from(e: wazero_store::CallError) -> Self {
        match e {
            wazero_store::CallError::Trap(t) => Error::Trap(t),
            wazero_store::CallError::Host { function, error } => Error::Host { function, error },
            wazero_store::CallError::Exit(code) => Error::Exit(code),
            wazero_store::CallError::Compile(message) => Error::Compile(message),
        }
    }
}

impl From<wazero_store::InstantiationError> for Error {
    fn from(e: wazero_store::InstantiationError) -> Self {
        use wazero_store::InstantiationError as E;
        match e {
            E::Link(l) => Error::Link(l),
            E::NameInUse(n) => Error::NameInUse(n),
            E::Resource(r) => Error::Resource(r),
            E::Start(c) => c.into(),
        }
    }
}

/// Result with the facade's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
