//! The facade's error type.

use wazero_api::{MemoryAccessError, TrapCode};
pub use wazero_store::{LinkError, Trap};

/// Everything that can go wrong when compiling, instantiating or calling.
///
/// Matching on it, or asking [`trap_code`](Error::trap_code),
/// [`is_interrupted`](Error::is_interrupted) or [`exit_code`](Error::exit_code):
///
/// ```
/// use wazero::{Error, Runtime, TrapCode};
/// let runtime = Runtime::new();
/// assert!(matches!(runtime.compile_module(b"not wasm"), Err(Error::Decode(_))));
/// let module = runtime.instantiate(&wat::parse_str(r#"(module
///     (func (export "boom") unreachable))"#)?)?;
/// let err = module.exported_function("boom").unwrap().call(&[]).unwrap_err();
/// assert_eq!(err.trap_code(), Some(TrapCode::Unreachable));
/// assert!(!err.is_interrupted() && err.exit_code().is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
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
    /// Compiling was stopped by an interrupt (see
    /// [`Runtime::interrupt_handle`](crate::Runtime::interrupt_handle)).
    #[error("compilation interrupted")]
    CompileInterrupted,
    /// An import could not be resolved.
    #[error(transparent)]
    Link(#[from] LinkError),
    /// Another module of the namespace already has this name (given with
    /// [`ModuleConfig::with_name`](crate::ModuleConfig::with_name), or taken
    /// from the module's name section). The message says how to instantiate
    /// anyway.
    #[error(
        "module[{0}] has already been instantiated: the name \"{0}\" is taken in this \
         namespace; to instantiate the module again, give it another name \
         (ModuleConfig::with_name), make it anonymous (ModuleConfig::with_name(\"\")), \
         or close the first instance"
    )]
    NameInUse(String),
    /// A memory or table could not be created (e.g. above the memory limit).
    #[error("instantiation failed: {0}")]
    Resource(String),
    /// The guest trapped (also during instantiation: segment initialization, start).
    #[error("{0}")]
    Trap(Trap),
    /// The guest threw an exception that nothing caught (exception
    /// handling): it names the tag and carries the payload. A host function
    /// returns one to throw it into the guest.
    #[error("{0}")]
    Exception(crate::Exception),
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
    /// A runtime, namespace or module was closed from inside one of its own
    /// calls (a host function called by its guest code), which holds it busy.
    /// The string names what was to be closed ("the runtime", ...).
    #[error(
        "{0} cannot be closed from inside one of its own calls (a host function); \
         close it after the call returns"
    )]
    CloseInsideCall(&'static str),
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
    /// A read or write of a [`Memory`](crate::Memory) did not fit in it.
    #[error(transparent)]
    MemoryAccess(#[from] MemoryAccessError),
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
        matches!(self, Error::CompileInterrupted) || self.trap_code() == Some(TrapCode::Interrupted)
    }

    /// The exit code, if the module was closed.
    pub fn exit_code(&self) -> Option<u32> {
        match self {
            Error::Exit(code) => Some(*code),
            _ => None,
        }
    }
}

/// `Err(ExitCode(n))?` in a host function returning [`Error`] closes the
/// calling module with exit code `n`, as returning `Err(ExitCode(n))` does.
impl From<wazero_api::ExitCode> for Error {
    fn from(e: wazero_api::ExitCode) -> Self {
        Error::Exit(e.0)
    }
}

/// What a host function's error means for the guest call, when it is not one
/// the host crate knows ([`ExitCode`](crate::ExitCode), [`CallError`](crate::CallError)):
/// a facade [`Error`] that carries a trap, an exit or a failed host call passes
/// it on as a [`CallError`](crate::CallError) would be, so `?` in a host
/// function returning `Result<_, wazero::Error>` keeps a trap a trap.
pub(crate) fn classify_host_error(
    error: Box<dyn std::error::Error + Send + Sync>,
) -> wazero_store::HostError {
    use wazero_store::{CallError, HostError};
    let error = match error.downcast::<Error>() {
        Ok(error) => *error,
        Err(other) => return HostError::Failed(other),
    };
    match error {
        // A trap the host made up names the host function in its backtrace.
        Error::Trap(trap) if trap.backtrace.is_empty() => HostError::Trap(trap.code),
        Error::Trap(trap) => HostError::Call(CallError::Trap(trap)),
        Error::Exit(code) => HostError::Exit(code),
        Error::Host { function, error } => HostError::Call(CallError::Host { function, error }),
        Error::Compile(message) => HostError::Call(CallError::Compile(message)),
        Error::Exception(exception) => HostError::Exception(exception.into_inner()),
        other => HostError::Failed(Box::new(other)),
    }
}

impl From<wazero_store::CallError> for Error {
    fn from(e: wazero_store::CallError) -> Self {
        match e {
            wazero_store::CallError::Trap(t) => Error::Trap(t),
            wazero_store::CallError::Host { function, error } => Error::Host { function, error },
            wazero_store::CallError::Exit(code) => Error::Exit(code),
            wazero_store::CallError::Compile(message) => Error::Compile(message),
            wazero_store::CallError::Exception(e) => {
                Error::Exception(crate::Exception::from_inner(e))
            }
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
