//! `Memory`: a module's linear memory, seen from Rust.

use std::sync::Arc;

use wazero_store::{MemoryAddr, MemoryInstance};

use crate::shared::Shared;

/// A linear memory (wazero's `api.Memory`), reached from outside the guest.
///
/// Offsets are byte offsets; every access is bounds-checked and returns `None` or
/// `false` when out of range. Reads copy: no reference into guest memory escapes,
/// so nothing can observe it change or move underneath. For zero-copy access use
/// [`with_bytes`](Memory::with_bytes) / [`with_bytes_mut`](Memory::with_bytes_mut),
/// during which the guest cannot run. Inside a host function, use the
/// [`Caller`](crate::Caller)'s memory, which lends slices directly.
#[derive(Clone)]
pub struct Memory {
    shared: Arc<Shared>,
    addr: MemoryAddr,
}

macro_rules! typed_access {
    ($($read:ident, $write:ident, $ty:ty, $doc:literal;)*) => {$(
        #[doc = concat!("Reads ", $doc, " (little-endian) at `offset`.")]
        pub fn $read(&self, offset: u32) -> Option<$ty> {
            let mut buf = [0u8; std::mem::size_of::<$ty>()];
            self.read_into(offset, &mut buf).then(|| <$ty>::from_le_bytes(buf))
        }

        #[doc = concat!("Writes ", $doc, " (little-endian) at `offset`.")]
        #[must_use = "a write that does not fit writes nothing"]
        pub fn $write(&self, offset: u32, value: $ty) -> bool {
            self.write(offset, &value.to_le_bytes())
        }
    )*};
}

impl Memory {
    pub(crate) fn new(shared: Arc<Shared>, addr: MemoryAddr) -> Self {
        Self { shared, addr }
    }

    fn with<R>(&self, f: impl FnOnce(&mut MemoryInstance) -> R) -> Option<R> {
        let mut store = self.shared.lock().ok()?;
        Some(f(&mut store.memories[self.addr.index()]))
    }

    /// Size in bytes.
    pub fn size(&self) -> u64 {
        self.with(|m| m.size_bytes() as u64).unwrap_or(0)
    }

    /// Size in 64 KiB pages.
    pub fn size_pages(&self) -> u32 {
        self.with(|m| m.size_pages()).unwrap_or(0)
    }

    /// Grows by `delta_pages`; the previous size in pages, or `None` if that would
    /// pass the memory's maximum or the runtime's memory limit.
    pub fn grow(&self, delta_pages: u32) -> Option<u32> {
        self.with(|m| m.grow(delta_pages)).flatten()
    }

    /// A copy of `len` bytes at `offset`.
    pub fn read(&self, offset: u32, len: u32) -> Option<Vec<u8>> {
        self.with(|m| {
            m.read(u64::from(offset), u64::from(len))
                .map(<[u8]>::to_vec)
        })
        .flatten()
    }

    /// Fills `buf` from `offset`; false (and `buf` untouched) if out of range.
    pub fn read_into(&self, offset: u32, buf: &mut [u8]) -> bool {
        self.with(|m| match m.read(u64::from(offset), buf.len() as u64) {
            Some(src) => {
                buf.copy_from_slice(src);
                true
            }
            None => false,
        })
        .unwrap_or(false)
    }

    /// Writes `data` at `offset`; false (nothing written) if it does not fit.
    #[must_use = "a write that does not fit writes nothing"]
    pub fn write(&self, offset: u32, data: &[u8]) -> bool {
        self.with(|m| m.write(u64::from(offset), data))
            .unwrap_or(false)
    }

    typed_access! {
        read_u8, write_u8, u8, "a byte";
        read_u16_le, write_u16_le, u16, "a `u16`";
        read_u32_le, write_u32_le, u32, "a `u32`";
        read_u64_le, write_u64_le, u64, "a `u64`";
        read_f32_le, write_f32_le, f32, "an `f32`";
        read_f64_le, write_f64_le, f64, "an `f64`";
    }

    /// Runs `f` on the whole memory without copying. The guest cannot run meanwhile
    /// (a call from inside `f` fails with [`Error::Reentrant`](crate::Error::Reentrant)).
    /// `None` if the namespace is busy on this thread.
    pub fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
        self.with(|m| f(m.bytes()))
    }

    /// Runs `f` on the whole memory, mutably, without copying.
    pub fn with_bytes_mut<R>(&self, f: impl FnOnce(&mut [u8]) -> R) -> Option<R> {
        self.with(|m| f(m.bytes_mut()))
    }
}

impl std::fmt::Debug for Memory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Memory({} pages)", self.size_pages())
    }
}
