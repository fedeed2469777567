//! Decodes a WebAssembly binary into [`Module`], the plain-data IR of wazero for Rust.
//!
//! The decoder is the first stage of `compile_module`: it turns bytes into a
//! [`Module`] (types, imports, functions, tables, memories, globals, exports, start,
//! element and data segments, custom sections and the name section). It checks that
//! the binary is well-formed; whether it is *valid* is the job of
//! `wazero-validator`, and running it the job of an engine. It is built on
//! `wasmparser`, and every error carries the byte offset where decoding stopped.
//!
//! ```
//! let wasm = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
//! let module = wazero_decoder::decode(&wasm, wazero_api::CoreFeatures::default()).unwrap();
//! assert!(module.functions.is_empty());
//! let err = wazero_decoder::decode(&wasm[..6], Default::default()).unwrap_err();
//! assert_eq!(err.offset, 4);
//! ```

mod const_expr;
mod convert;
mod decode;
mod error;
mod module;

pub use const_expr::{ConstExpr, ConstOp};
pub use convert::wasm_features;
pub use decode::{decode, decode_shared};
pub use error::DecodeError;
pub use module::*;
