//! Host modules for wazero for Rust: functions written in Rust that WebAssembly
//! modules import, after wazero's `HostModuleBuilder` / `HostFunctionBuilder`.
//!
//! A [`HostModuleBuilder`] collects functions, each given as a typed closure
//! ([`HostFunctionBuilder::with_func`]: parameters and results are Rust numbers,
//! checked once by the type system, and an optional leading `&mut` [`Caller`]) or
//! in the raw `u64`-stack form ([`HostFunctionBuilder::with_stack_func`]). The
//! builder hands the finished definitions to whatever made it, the `wazero` facade
//! in practice, which instantiates or compiles them: this crate sits between
//! `wazero-store` (where a host function is a closure over a `u64` stack) and the
//! facade. Calls allocate nothing; a panic in a host function becomes an error of
//! the guest call instead of unwinding through the engine.
//!
//! ```
//! use wazero_host::{HostFunction, Caller};
//! fn typed<M>(_: impl HostFunction<M>) {}
//! typed(|a: i32, b: i32| a.wrapping_add(b));
//! typed(|caller: &mut Caller<'_>, x: u64| -> (u64, f64) { (x, 0.5) });
//! ```

mod builder;
mod caller;
mod typed;

pub use builder::{BuildError, HostFunctionBuilder, HostModuleBuilder, HostModuleSink};
pub use caller::{Caller, CallerFunction, CallerMemory};
pub use typed::{HostFunction, NoCaller, WithCaller};
pub use wazero_api::{ExitCode, HostResults, MemoryAccessError};
