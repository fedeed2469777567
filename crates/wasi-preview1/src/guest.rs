//! Reading and writing the guest's memory: every out-of-range access is `EFAULT`.

use wazero_host::CallerMemory;

use crate::abi::size;
use crate::Errno;

/// The calling guest's memory, as the WASI functions use it.
pub(crate) struct Guest<'a> {
    pub mem: CallerMemory<'a>,
}

impl Guest<'_> {
    pub fn bytes(&self, offset: u32, len: u32) -> Result<&[u8], Errno> {
        self.mem.read(offset, len).map_err(|_| Errno::Fault)
    }

    pub fn bytes_mut(&mut self, offset: u32, len: u32) -> Result<&mut [u8], Errno> {
        self.mem.read_mut(offset, len).map_err(|_| Errno::Fault)
    }

    pub fn write(&mut self, offset: u32, data: &[u8]) -> Result<(), Errno> {
        let len = u32::try_from(data.len()).map_err(|_| Errno::Fault)?;
        self.bytes_mut(offset, len)?.copy_from_slice(data);
        Ok(())
    }

    pub fn u32(&self, offset: u32) -> Result<u32, Errno> {
        Ok(u32::from_le_bytes(
            self.bytes(offset, 4)?.try_into().unwrap_or_default(),
        ))
    }

    pub fn set_u32(&mut self, offset: u32, value: u32) -> Result<(), Errno> {
        self.write(offset, &value.to_le_bytes())
    }

    pub fn set_u64(&mut self, offset: u32, value: u64) -> Result<(), Errno> {
        self.write(offset, &value.to_le_bytes())
    }

    /// A path at `offset`, as bytes: a host file name need not be UTF-8 (an
    /// in-memory file system answers `EILSEQ` for one that is not).
    pub fn path(&self, offset: u32, len: u32) -> Result<Vec<u8>, Errno> {
        Ok(self.bytes(offset, len)?.to_vec())
    }

    /// The `(buf, len)` pairs of an iovec array, checked to lie in memory.
    pub fn iovecs(&self, iovs: u32, count: u32) -> Result<Iovecs, Errno> {
        let total = count.checked_mul(size::IOVEC).ok_or(Errno::Fault)?;
        self.bytes(iovs, total)?;
        Ok(Iovecs {
            base: iovs,
            count,
            next: 0,
        })
    }
}

/// Walks an iovec array: each step reads one `(buf, len)` pair.
pub(crate) struct Iovecs {
    base: u32,
    count: u32,
    next: u32,
}

impl Iovecs {
    /// The next `(buf, len)`, or `None` at the end.
    pub fn next(&mut self, guest: &Guest<'_>) -> Result<Option<(u32, u32)>, Errno> {
        if self.next == self.count {
            return Ok(None);
        }
        let at = self.base + self.next * size::IOVEC;
        self.next += 1;
        Ok(Some((guest.u32(at)?, guest.u32(at + 4)?)))
    }
}

/// Calls `op(guest, buf, len, moved_so_far)` on each iovec in turn, adding up
/// the bytes it moved; stops at the first short transfer (as `readv`/`writev`
/// do), and reports an error only if nothing was moved before it.
pub(crate) fn each_iovec<'a>(
    guest: &mut Guest<'a>,
    iovs: u32,
    count: u32,
    mut op: impl FnMut(&mut Guest<'a>, u32, u32, u64) -> Result<usize, Errno>,
) -> Result<u32, Errno> {
    let mut vecs = guest.iovecs(iovs, count)?;
    let mut total: u64 = 0;
    while let Some((buf, len)) = vecs.next(guest)? {
        guest.bytes(buf, len)?;
        match op(guest, buf, len, total) {
            Ok(n) => {
                total += n as u64;
                if n < len as usize {
                    break;
                }
            }
            Err(e) if total == 0 => return Err(e),
            Err(_) => break,
        }
    }
    u32::try_from(total).map_err(|_| Errno::Overflow)
}
