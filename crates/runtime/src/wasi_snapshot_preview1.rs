//! WASI preview1 (`wasi_snapshot_preview1`), as wazero's
//! `imports/wasi_snapshot_preview1` package.
//!
//! Instantiate the host module once per namespace, then any number of guests
//! that import it; each guest gets the system configured on its
//! [`ModuleConfig`](crate::ModuleConfig).
//!
//! ```
//! use wazero::{wasi_snapshot_preview1, ModuleConfig, Runtime, SharedBuffer};
//! let wasm = wat::parse_str(r#"(module
//!   (import "wasi_snapshot_preview1" "fd_write"
//!     (func $fd_write (param i32 i32 i32 i32) (result i32)))
//!   (memory (export "memory") 1)
//!   (data (i32.const 16) "hi\n")
//!   (func (export "_start")
//!     (i32.store (i32.const 0) (i32.const 16))  ;; iovec.buf
//!     (i32.store (i32.const 4) (i32.const 3))   ;; iovec.len
//!     (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#)?;
//! let runtime = Runtime::new();
//! wasi_snapshot_preview1::instantiate(&runtime)?;
//! let stdout = SharedBuffer::new();
//! let compiled = runtime.compile_module(&wasm)?;
//! runtime.instantiate_module(&compiled, ModuleConfig::new().with_stdout(stdout.clone()))?;
//! assert_eq!(stdout.to_string_lossy(), "hi\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub use wazero_wasi_preview1::{Errno, FUNCTION_NAMES, MODULE_NAME};

use crate::{CompiledModule, HostModuleBuilder, Module, Namespace, Result, Runtime};

/// Adds the WASI preview1 functions ([`FUNCTION_NAMES`]) to `builder`, for a
/// host module of your own: under another module name, or beside functions of
/// yours.
///
/// ```
/// use wazero::{wasi_snapshot_preview1, Runtime};
/// let runtime = Runtime::new();
/// let legacy = wasi_snapshot_preview1::export_functions(
///     runtime.new_host_module_builder("wasi_unstable"),
/// )
/// .instantiate()?;
/// assert!(legacy.exported_function("fd_write").is_some());
/// # Ok::<(), wazero::Error>(())
/// ```
pub fn export_functions(builder: HostModuleBuilder) -> HostModuleBuilder {
    HostModuleBuilder(wazero_wasi_preview1::export_functions(builder.0))
}

/// Instantiates the WASI host module into the runtime's default namespace.
pub fn instantiate(runtime: &Runtime) -> Result<Module> {
    instantiate_in(runtime.default_namespace())
}

/// Instantiates the WASI host module into `namespace`.
pub fn instantiate_in(namespace: &Namespace) -> Result<Module> {
    export_functions(namespace.new_host_module_builder(MODULE_NAME)).instantiate()
}

/// Compiles the WASI host module, to instantiate under any name (e.g. the
/// legacy `wasi_unstable`) or in several namespaces.
pub fn compile(runtime: &Runtime) -> Result<CompiledModule> {
    export_functions(runtime.new_host_module_builder(MODULE_NAME)).compile()
}
