//! wazero for Rust: a WebAssembly runtime that Rust programs embed to run
//! untrusted `.wasm` safely.
//!
//! This is the facade crate: everything a user needs is here. Compile a module
//! once with [`Runtime::compile_module`], instantiate it any number of times with
//! [`Runtime::instantiate_module`], call its exports through [`Function`], and read
//! or write its [`Memory`].
//!
//! ```
//! use wazero::{ModuleConfig, Runtime};
//! let wasm = wat::parse_str(r#"(module
//!     (func (export "add") (param i32 i32) (result i32)
//!       (i32.add (local.get 0) (local.get 1))))"#)?;
//! let runtime = Runtime::new();
//! let compiled = runtime.compile_module(&wasm)?;
//! let module = runtime.instantiate_module(&compiled, ModuleConfig::new().with_name("calc"))?;
//! assert_eq!(module.exported_function("add").unwrap().call(&[40, 2])?, vec![42]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Engines
//!
//! [`Runtime::new`] ([`RuntimeConfig::new`]) runs modules on the native
//! compiler (Cranelift) where this build has it: on x86-64 Unix hosts with the
//! `compiler` cargo feature on (the default). Everywhere else, and if the
//! compiler cannot start, it uses the portable interpreter (cargo feature
//! `interpreter`, also on by default). [`RuntimeConfig::interpreter`] and
//! [`RuntimeConfig::compiler`] ask for one of them ([`RuntimeConfig::compiler`]
//! without a compiler in the build makes compiling fail with an error that says
//! so); [`RuntimeConfig::with_engine`] runs modules on any [`engine::Engine`],
//! yours included. [`Runtime::engine_name`] tells which engine a runtime got.
//! Both engines run all of WebAssembly 2.0 and of 3.0 but exception handling
//! and GC ([`CoreFeatures::V3`], the default) with the same results.
//!
//! # Where to start
//!
//! | To | start at | example |
//! | --- | --- | --- |
//! | run a WASI program (args, env, stdio, mounted directories) | [`wasi_snapshot_preview1::instantiate`], then [`ModuleConfig::with_args`], [`ModuleConfig::with_stdout`] + [`SharedBuffer`], [`ModuleConfig::with_fs_config`] + [`FsConfig`]; the exit code is [`Error::exit_code`] | `wasi_program` |
//! | give guests functions written in Rust | [`Runtime::new_host_module_builder`], [`HostFunctionBuilder::with_func`], [`Caller`] | `host`, `callback` |
//! | exchange strings with a guest through its memory | [`Module::memory`] ([`Memory::write`], [`Memory::read`]) from the host, [`Caller::memory`] ([`CallerMemory`]) inside a host function; the guest exports an allocator | `plugin_strings`, `allocation` |
//! | keep state per instance | [`ModuleConfig::with_data`], then [`Caller::data_mut`] in host functions | `plugin_strings`, `state` |
//! | limit untrusted code | [`RuntimeConfig::with_memory_limit_pages`], [`RuntimeConfig::with_max_call_depth`] and the other `with_max_*` limits; failures are typed ([`Error::trap_code`], [`TrapCode`]) | `untrusted` |
//! | stop a runaway guest (interrupt, timeout) | [`Function::call_with_timeout`] for one call; [`Runtime::interrupt_handle`]: [`InterruptHandle::interrupt`] from any thread, or [`InterruptHandle::interrupt_after`] for this thread's next call; then [`Error::is_interrupted`] | `untrusted` |
//! | compile once per machine, not per process | [`CompilationCache::with_dir`] and [`RuntimeConfig::with_compilation_cache`] | `cache` |
//! | serve requests from many threads | one [`Runtime`] and one [`CompiledModule`] shared by every thread (both are `Send + Sync`); an anonymous instance per request, closed after use (see [`Runtime`]) | `server` |
//! | pass values of other types | [`Function::typed`], or the `u64` slot encodings in [`api`] | `calc` |
//!
//! The examples are in `crates/runtime/examples/`: `cargo run -p wazero
//! --example NAME` runs one, and `cargo test -p wazero --test examples` runs
//! them all as tests.
//!
//! Under the facade, `wazero-decoder` and `wazero-validator` turn bytes into a
//! checked module, an engine (`wazero-interpreter`, or `wazero-compiler` with
//! `wazero-compiler-amd64`) compiles and runs it, `wazero-store` holds the
//! instances, and `wazero-host` and `wazero-wasi-preview1` provide host
//! functions; their types that a user meets are re-exported here.

mod cache;
mod config;
mod engines;
mod error;
mod function;
mod global;
mod host;
mod interrupt;
mod memory;
mod module;
mod runtime;
mod shared;
mod table;
mod tag;
mod timer;
pub mod wasi_snapshot_preview1;

pub use cache::{CacheStats, CompilationCache};
pub use config::{ModuleConfig, RuntimeConfig};
pub use error::{Error, LinkError, Result, Trap};
pub use function::{Function, FunctionDefinition, TypedFunction};
pub use global::Global;
pub use host::{HostFunctionBuilder, HostModuleBuilder};
pub use interrupt::{Deadline, InterruptHandle};
pub use memory::{Memory, MemoryDefinition};
pub use module::{Module, ModuleData, ModuleDataMut};
pub use tag::{Exception, Tag};
/// A host function's view of the guest calling it: give a typed host function
/// a leading `&mut Caller<'_>` parameter (or use
/// [`HostFunctionBuilder::with_caller_stack_func`]).
///
/// ```
/// use wazero::{Caller, ModuleConfig, Runtime};
/// let runtime = Runtime::new();
/// runtime
///     .new_host_module_builder("env")
///     .new_function_builder()
///     .with_func(|caller: &mut Caller<'_>, ptr: u32, len: u32| -> u32 {
///         // Bytes of the caller's memory (0 if out of bounds)...
///         let upper = match caller.memory().unwrap().read(ptr, len) {
///             Ok(bytes) => bytes.to_ascii_uppercase(),
///             Err(_) => return 0,
///         };
///         // ... written back in place,
///         let _ = caller.memory().unwrap().write(ptr, &upper);
///         // its own data (attached with ModuleConfig::with_data),
///         *caller.data_mut::<u32>().unwrap() += 1;
///         // and its exports, to call back into it.
///         let mut done = caller.exported_function("done").unwrap();
///         done.call_typed::<u32, u32>(len).unwrap()
///     })
///     .export("shout")
///     .instantiate()?;
/// let guest = runtime.instantiate_module(
///     &runtime.compile_module(&wat::parse_str(r#"(module
///         (import "env" "shout" (func $shout (param i32 i32) (result i32)))
///         (memory (export "memory") 1)
///         (data (i32.const 0) "hello")
///         (func (export "done") (param i32) (result i32) (i32.add (local.get 0) (i32.const 100)))
///         (func (export "run") (result i32) (call $shout (i32.const 0) (i32.const 5))))"#)?)?,
///     ModuleConfig::new().with_data(0u32),
/// )?;
/// assert_eq!(guest.exported_function("run").unwrap().call(&[])?, vec![105]);
/// assert_eq!(guest.memory().unwrap().read(0, 5)?, b"HELLO");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[doc(inline)]
pub use wazero_host::Caller;
/// An export of the calling guest, from [`Caller::exported_function`], called
/// from inside a host function (host → guest → host). See the example of
/// [`Caller`] and `examples/callback.rs`.
#[doc(inline)]
pub use wazero_host::CallerFunction;
/// The calling guest's memory, borrowed from [`Caller::memory`] while a host
/// function runs: reads borrow the guest's bytes without copying. See the
/// example of [`Caller`].
#[doc(inline)]
pub use wazero_host::CallerMemory;
pub use wazero_host::{BuildError, ExitCode, HostFunction, HostResults};
pub use wazero_store::{reserved_memories, CallError, StoreStats as NamespaceStats};

/// What an engine is, for running modules on one of your own
/// ([`RuntimeConfig::with_engine`]): the [`Engine`](engine::Engine) trait
/// and what it works with, and the engines of this crate.
///
/// An engine compiles a validated module once ([`Engine::compile`](engine::Engine::compile),
/// its result shared by every instance) and runs a function of an instance
/// with its parameters and results in `u64` slots
/// ([`Engine::call_wasm`](engine::Engine::call_wasm)); the store holds the
/// instances, memories, tables and globals it works on.
pub mod engine {
    #[cfg(feature = "interpreter")]
    pub use wazero_interpreter::Interpreter;
    pub use wazero_store::{
        CallError, CompileOptions, CompiledCode, Engine, FuncAddr, Store, COMPILE_INTERRUPTED,
    };
    pub use wazero_tiered::{LoopEntry, TierPolicy, TierUp, Tiered};
    pub use wazero_validator::ValidatedModule;
}
pub use runtime::{CompiledModule, Namespace, Runtime};
pub use table::Table;

/// The exit code of a module closed because a call into it was interrupted
/// (with [`RuntimeConfig::with_close_on_interrupt`]); its later calls fail
/// with [`Error::Exit`] of this code. wazero uses the same value for a
/// cancelled context (`sys.ExitCodeContextCanceled`).
pub const EXIT_CODE_INTERRUPTED: u32 = 0xffff_ffff;

#[doc(inline)]
pub use wazero_api as api;
pub use wazero_api::{CoreFeatures, MemoryAccessError, TrapCode, ValueType, WasmTy, WasmTyList};
pub use wazero_decoder::{CustomSection, DecodeError};
pub use wazero_validator::ValidationError;
pub use wazero_wasi_preview1::{FsConfig, MemFs, SharedBuffer, SysError};
