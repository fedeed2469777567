//! wazero for Rust: a WebAssembly runtime that Rust programs embed to run
//! untrusted `.wasm` safely.
//!
//! This is the facade crate: everything a user needs is here. Compile a module
//! once with [`Runtime::compile_module`], instantiate it any number of times with
//! [`Runtime::instantiate_module`], call its exports through [`Function`], and read
//! or write its [`Memory`]. Under the facade, `wazero-decoder` and
//! `wazero-validator` turn bytes into a checked module, an engine
//! (`wazero-interpreter` today) runs it, and `wazero-store` holds the instances.
//!
//! ```
//! use wazero::{ModuleConfig, Runtime, RuntimeConfig};
//! let wasm = wat::parse_str(r#"(module
//!     (func (export "add") (param i32 i32) (result i32)
//!       (i32.add (local.get 0) (local.get 1))))"#)?;
//! let runtime = Runtime::with_config(RuntimeConfig::interpreter());
//! let compiled = runtime.compile_module(&wasm)?;
//! let module = runtime.instantiate_module(&compiled, ModuleConfig::new().with_name("calc"))?;
//! assert_eq!(module.exported_function("add").unwrap().call(&[40, 2])?, vec![42]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod cache;
mod config;
mod engines;
mod error;
mod function;
mod global;
mod interrupt;
mod memory;
mod module;
mod runtime;
mod shared;
mod table;
pub mod wasi_snapshot_preview1;

pub use cache::CompilationCache;
pub use config::{ModuleConfig, RuntimeConfig};
pub use error::{Error, LinkError, Result, Trap};
pub use function::{Function, FunctionDefinition, TypedFunction};
pub use global::Global;
pub use interrupt::{Deadline, InterruptHandle};
pub use wazero_host::{
    BuildError, Caller, CallerFunction, CallerMemory, ExitCode, HostFunction, HostResults,
};
pub use wazero_store::CallError;

/// Builds a host module in a namespace (see [`wazero_host::HostModuleBuilder`]).
pub type HostModuleBuilder = wazero_host::HostModuleBuilder<Namespace>;
/// Defines one function of a host module (see [`wazero_host::HostFunctionBuilder`]).
pub type HostFunctionBuilder = wazero_host::HostFunctionBuilder<Namespace>;
pub use memory::Memory;
pub use module::Module;
pub use runtime::{CompiledModule, Namespace, Runtime};
pub use table::Table;
pub use wazero_api as api;
pub use wazero_api::{CoreFeatures, TrapCode, ValueType, WasmTy, WasmTyList};
pub use wazero_decoder::CustomSection;
pub use wazero_wasi_preview1::{FsConfig, MemFs, SharedBuffer, SysError};
