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
        // wasmparser pads some numbers for alignment ("version:        0x2");
        // one space reads better in a one-line message.
        let message = e.message().split_whitespace().collect::<Vec<_>>().join(" ");
        Self::new(message, e.offset())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn messages_have_single_spaces() {
        let err = crate::decode(b"\0asm\x02\0\0\0", wazero_api::CoreFeatures::V2).unwrap_err();
        assert!(!err.message.contains("  "), "{}", err.message);
        assert!(err.message.contains("version"), "{}", err.message);
    }
}
