//! The `wasi_snapshot_preview1` host module for wazero: the 46 functions of WASI
//! preview1, over a sandboxed file system.
//!
//! A guest reaches only what its configuration ([`WasiConfig`]) gives it:
//! arguments, environment, standard streams, clocks, randomness, the directories
//! mounted by [`FsConfig`] (host directories, resolved beneath their mount by
//! `cap-std`, or a [`MemFs`]) and TCP listeners. Errors come back to the guest as
//! [`Errno`] values; nothing a guest passes can panic the host.
//!
//! Users normally reach this through the `wazero` facade
//! (`wazero::wasi_snapshot_preview1::instantiate(&runtime)` and the `with_*`
//! options of `ModuleConfig`); [`export_functions`] adds the functions to any
//! host module builder, and [`WasiCtx`] is the per-instance state they use.

mod abi;
mod config;
mod ctx;
mod errno;
mod fs;
mod funcs;
mod guest;
mod sock;
mod stdio;

pub use config::{ClockFn, FsConfig, SleepFn, WasiConfig};
pub use ctx::{SysError, WasiCtx};
pub use errno::Errno;
pub use fs::mem::MemFs;
pub use funcs::{export_functions, FUNCTION_NAMES};
pub use stdio::SharedBuffer;

/// The module name WASI preview1 functions are imported from.
pub const MODULE_NAME: &str = "wasi_snapshot_preview1";
