//! Linear memory instances.

use wazero_api::{MemoryType, MAX_PAGES, PAGE_SIZE};

use crate::buffer::ZeroedBuffer;

/// A linear memory: zeroed bytes in whole 64 KiB pages, growable up to a maximum.
///
/// Only the store makes memories: code that borrows one mutably (a host
/// function through [`Caller::memory`](crate::Caller::memory)) can grow it, but
/// cannot put another memory in its place while compiled code holds its base.
pub struct MemoryInstance {
    buffer: ZeroedBuffer,
    ty: MemoryType,
    /// The most pages this memory may reach: its declared maximum, capped by the
    /// runtime's memory limit.
    max_pages: u32,
}

/// The address space reserved for a growable memory of at most `max` bytes
/// on an engine without guard pages: `max` rounded up to a power of two, so
/// that reservations of dropped memories are reused by memories of similar
/// maxima (see `buffer`).
fn reservation_size(max: u64) -> usize {
    max.next_power_of_two() as usize
}

impl MemoryInstance {
    /// A memory of type `ty` whose growth stops at `limit_pages`.
    ///
    /// With `capacity_from_max`, the whole maximum is allocated up front (lazily
    /// committed), so the bytes never move when the guest grows memory. Returns an
    /// error message when the minimum exceeds the limit or cannot be allocated.
    #[cfg(test)]
    pub(crate) fn new(
        ty: MemoryType,
        limit_pages: u32,
        capacity_from_max: bool,
    ) -> Result<Self, String> {
        Self::with_reservation(ty, limit_pages, capacity_from_max, 0)
    }

    /// [`new`](Self::new), but when `reserve` is non-zero the memory lives at the
    /// start of a reservation of `reserve` bytes of address space: it never
    /// moves, and every byte past its current length faults (guard pages), which
    /// compiled code relies on instead of bounds checks. Fails (never falls back)
    /// when the address space cannot be reserved.
    pub(crate) fn with_reservation(
        ty: MemoryType,
        limit_pages: u32,
        capacity_from_max: bool,
        reserve: u64,
    ) -> Result<Self, String> {
        let min = ty.limits.min;
        if min > u64::from(limit_pages) {
            return Err(format!(
                "memory needs {min} pages, more than the limit of {limit_pages} pages"
            ));
        }
        // A 32-bit memory cannot pass 4 GiB whatever the limit.
        let addressable = if ty.memory64 {
            u64::MAX
        } else {
            u64::from(MAX_PAGES)
        };
        let max_pages = ty
            .limits
            .max
            .unwrap_or(u64::MAX)
            .min(u64::from(limit_pages))
            .min(addressable) as u32;
        let len = (min * PAGE_SIZE) as usize;
        let capacity = if capacity_from_max {
            u64::from(max_pages) * PAGE_SIZE
        } else {
            min * PAGE_SIZE
        } as usize;
        let buffer = if reserve != 0 {
            let max = (u64::from(max_pages) * PAGE_SIZE).min(reserve);
            ZeroedBuffer::reserve(len, max as usize, reserve as usize).ok_or_else(|| {
                format!(
                    "cannot reserve {reserve} bytes of address space for a memory of {min} pages"
                )
            })?
        } else {
            // A memory that may grow lives in a reservation of its maximum, so
            // it grows in place: copying it to a bigger allocation would write
            // (and make resident) every page, even the untouched ones.
            let max = u64::from(max_pages) * PAGE_SIZE;
            let reserved = (cfg!(target_pointer_width = "64") && max > min * PAGE_SIZE)
                .then(|| ZeroedBuffer::reserve(len, max as usize, reservation_size(max)))
                .flatten();
            match reserved {
                Some(buffer) => buffer,
                None => ZeroedBuffer::new(len, capacity)
                    .or_else(|| ZeroedBuffer::new(len, len))
                    .ok_or_else(|| format!("cannot allocate {min} pages of memory"))?,
            }
        };
        Ok(Self {
            buffer,
            ty,
            max_pages,
        })
    }

    /// A memory of no pages that cannot grow: what a released memory becomes.
    pub(crate) fn empty() -> Self {
        Self {
            buffer: ZeroedBuffer::new(0, 0).expect("an empty buffer needs no allocation"),
            ty: MemoryType {
                limits: wazero_api::Limits {
                    min: 0,
                    max: Some(0),
                },
                memory64: false,
            },
            max_pages: 0,
        }
    }

    /// The memory's declared type.
    pub fn ty(&self) -> MemoryType {
        self.ty
    }

    /// The largest size in pages it can grow to.
    pub fn max_pages(&self) -> u32 {
        self.max_pages
    }

    /// Current size in pages.
    pub fn size_pages(&self) -> u32 {
        (self.buffer.len() as u64 / PAGE_SIZE) as u32
    }

    /// Current size in bytes.
    pub fn size_bytes(&self) -> usize {
        self.buffer.len()
    }

    /// Grows by `delta` pages; returns the previous size in pages, or `None` (and no
    /// change) if that would pass the maximum or cannot be allocated.
    pub fn grow(&mut self, delta: u32) -> Option<u32> {
        let old = self.size_pages();
        let new = u64::from(old) + u64::from(delta);
        if new > u64::from(self.max_pages) {
            return None;
        }
        let max_bytes = (u64::from(self.max_pages) * PAGE_SIZE) as usize;
        if delta > 0 {
            if !self.buffer.grow_to((new * PAGE_SIZE) as usize, max_bytes) {
                return None;
            }
            crate::note_resize();
        }
        Some(old)
    }

    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        self.buffer.as_slice()
    }

    /// The bytes, mutably.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        self.buffer.as_mut_slice()
    }

    /// The address space reserved for the memory with guard pages (0 when it is
    /// a plain allocation).
    pub fn reserved_bytes(&self) -> usize {
        self.buffer.reserved()
    }

    /// Base address of the bytes, for engines. It stays valid until the memory grows
    /// or is dropped; an engine re-reads it after anything that may grow memory.
    pub fn base_ptr(&self) -> *mut u8 {
        self.buffer.as_ptr()
    }

    /// `len` bytes at `offset`, or `None` if any is out of bounds.
    pub fn read(&self, offset: u64, len: u64) -> Option<&[u8]> {
        let end = offset.checked_add(len)?;
        self.bytes()
            .get(offset as usize..usize::try_from(end).ok()?)
    }

    /// Copies `data` to `offset`; false (nothing written) if it does not fit.
    pub fn write(&mut self, offset: u64, data: &[u8]) -> bool {
        let Some(end) = offset.checked_add(data.len() as u64) else {
            return false;
        };
        match self
            .bytes_mut()
            .get_mut(offset as usize..usize::try_from(end).unwrap_or(usize::MAX))
        {
            Some(dst) => {
                dst.copy_from_slice(data);
                true
            }
            None => false,
        }
    }
}

impl std::fmt::Debug for MemoryInstance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryInstance")
            .field("pages", &self.size_pages())
            .field("max_pages", &self.max_pages)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wazero_api::Limits;

    fn mem(min: u64, max: Option<u64>, limit: u32) -> Result<MemoryInstance, String> {
        MemoryInstance::new(
            MemoryType {
                limits: Limits { min, max },
                memory64: false,
            },
            limit,
            false,
        )
    }

    #[test]
    fn grow_respects_declared_max_and_limit() {
        let mut m = mem(1, Some(3), 65536).unwrap();
        assert_eq!(m.grow(1), Some(1));
        assert_eq!(m.grow(2), None);
        assert_eq!(m.grow(0), Some(2));
        let mut limited = mem(1, None, 2).unwrap();
        assert_eq!(limited.grow(1), Some(1));
        assert_eq!(limited.grow(1), None);
        assert!(mem(3, None, 2).unwrap_err().contains("limit of 2 pages"));
    }

    #[test]
    fn reads_and_writes_are_bounds_checked() {
        let mut m = mem(1, None, 10).unwrap();
        assert!(m.write(65530, b"abcdef"));
        assert!(!m.write(65531, b"abcdef"));
        assert!(!m.write(u64::MAX, b"a"));
        assert_eq!(m.read(65530, 6), Some(&b"abcdef"[..]));
        assert_eq!(m.read(65531, 6), None);
        assert_eq!(m.read(u64::MAX, 2), None);
    }
}
