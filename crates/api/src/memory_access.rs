//! The error of a host-side access to linear memory.

/// A read or write of linear memory from the host (`wazero::Memory`, a host
/// function's `CallerMemory`) that does not fit in the memory: nothing was read
/// or written.
///
/// ```
/// use wazero_api::MemoryAccessError;
/// let e = MemoryAccessError { offset: 65532, len: 8, size: 65536 };
/// assert_eq!(
///     e.to_string(),
///     "out of bounds memory access: 8 bytes at offset 65532 of a 65536-byte memory"
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("out of bounds memory access: {len} bytes at offset {offset} of a {size}-byte memory")]
pub struct MemoryAccessError {
    /// The byte offset of the access.
    pub offset: u64,
    /// How many bytes it spans.
    pub len: u64,
    /// The size of the memory in bytes at the time of the access (0 for a
    /// memory that is gone, its module closed).
    pub size: u64,
}

impl MemoryAccessError {
    /// Checks that `len` bytes at `offset` fit in a memory of `size` bytes.
    ///
    /// ```
    /// use wazero_api::MemoryAccessError;
    /// assert!(MemoryAccessError::check(0, 4, 4).is_ok());
    /// assert_eq!(
    ///     MemoryAccessError::check(2, 4, 4),
    ///     Err(MemoryAccessError { offset: 2, len: 4, size: 4 })
    /// );
    /// // No overflow at the top of the address space.
    /// assert!(MemoryAccessError::check(u64::MAX, 2, u64::MAX).is_err());
    /// ```
    pub fn check(offset: u64, len: u64, size: u64) -> Result<(), MemoryAccessError> {
        match offset.checked_add(len) {
            Some(end) if end <= size => Ok(()),
            _ => Err(MemoryAccessError { offset, len, size }),
        }
    }
}
