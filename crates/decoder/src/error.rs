//! The decoder's error.

/// A binary that is not well-formed WebAssembly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed module at offset {offset:#x}: {message}")]
pub struct DecodeError {
    /// What is wrong, in wasmparser's words (which follow the spec's).
    pub message: String,
    /// Byte offset in the binary where the problem was found.
    pub offset: usize,
}

impl DecodeError {
    /// An error at `offset`.
    pub fn new(message: impl Into<String>, offset: u64) -> Self {
        Self {
            message: message.into(),
            offset: usize::try_from(offset).unwrap_or(usize::MAX),
        }
    }
}

impl From<wasmparser::BinaryReaderError> for DecodeError {
    fn from(e: wasmparser::BinaryReaderError) -> Self {
        Self::new(e.message(), e.offset())
    }
}
