//! Types shared by the users and the engines of wazero for Rust.
//!
//! This crate sits at the bottom of the workspace: the decoder, validator, store,
//! engines and the `wazero` facade all speak in its terms. It holds the WebAssembly
//! value types and the way each value is carried in a `u64` slot (the convention of
//! wazero's `api` package), function, table, memory and global types, the set of
//! enabled [`CoreFeatures`], and the [`TrapCode`]s a guest can raise.
//!
//! Users reach it as `wazero::api` (the facade re-exports it whole), which is
//! how the examples name it.
//!
//! ```
//! # mod wazero { pub mod api { pub use wazero_api::*; } }
//! use wazero::api::{decode_f64, encode_f64, encode_i32, decode_i32};
//! assert_eq!(decode_i32(encode_i32(-5)), -5);
//! assert_eq!(decode_f64(encode_f64(1.5)), 1.5);
//! ```

mod encoding;
mod features;
mod memory_access;
mod trap;
mod typed;
mod types;

pub use encoding::*;
pub use features::CoreFeatures;
pub use memory_access::MemoryAccessError;
pub use trap::TrapCode;
pub use typed::{ExitCode, HostResults, WasmTy, WasmTyList};
pub use types::*;

/// Size in bytes of one page of linear memory.
pub const PAGE_SIZE: u64 = 65536;

/// The largest number of pages a 32-bit linear memory can have (4 GiB).
pub const MAX_PAGES: u32 = 65536;
