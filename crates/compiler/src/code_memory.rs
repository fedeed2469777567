//! Executable memory: machine code copied into fresh pages that are then made
//! read-only and executable (never writable and executable at once), or
//! mapped read-only and executable from a file that holds it.

use std::ptr::NonNull;

use rustix::mm::{mmap, mmap_anonymous, mprotect, munmap, MapFlags, MprotectFlags, ProtFlags};

/// Pages of machine code, unmapped on drop.
pub struct CodeMemory {
    ptr: NonNull<u8>,
    /// Mapped length (whole pages).
    len: usize,
    /// Bytes of code copied in.
    code_len: usize,
}

// SAFETY: after construction the pages are read-only; nothing mutates them, so
// sharing and sending the mapping between threads is sound.
unsafe impl Send for CodeMemory {}
// SAFETY: as above: immutable after construction.
unsafe impl Sync for CodeMemory {}

impl CodeMemory {
    /// Maps `code` as executable memory.
    pub fn new(code: &[u8]) -> Result<Self, String> {
        let page = rustix::param::page_size();
        let len = code.len().max(1).div_ceil(page) * page;
        // SAFETY: an anonymous private mapping at an address of the kernel's
        // choosing aliases no existing Rust object.
        let raw = unsafe {
            mmap_anonymous(
                std::ptr::null_mut(),
                len,
                ProtFlags::READ | ProtFlags::WRITE,
                MapFlags::PRIVATE,
            )
        }
        .map_err(|e| format!("cannot map {len} bytes for code: {e}"))?;
        let ptr = NonNull::new(raw.cast::<u8>()).ok_or("mmap returned null")?;
        let memory = Self {
            ptr,
            len,
            code_len: code.len(),
        };
        // SAFETY: the mapping is `len >= code.len()` bytes, readable and writable,
        // and owned by `memory` alone; `code` cannot overlap a fresh mapping.
        unsafe { std::ptr::copy_nonoverlapping(code.as_ptr(), ptr.as_ptr(), code.len()) };
        // Instruction caches that do not snoop data writes (AArch64) are told
        // of the new code: its lines are cleaned to the point of unification
        // and invalidated in every core's instruction cache (a no-op on x86-64,
        // whose caches are coherent).
        // SAFETY: the first `code.len()` bytes of the mapping were just written
        // and nothing else references them.
        let written = unsafe { std::slice::from_raw_parts(ptr.as_ptr(), code.len()) };
        dynasmrt::cache_control::synchronize_icache(written);
        // SAFETY: changes the protection of exactly the pages mapped above, which
        // no Rust reference points into.
        unsafe {
            mprotect(
                ptr.as_ptr().cast(),
                len,
                MprotectFlags::READ | MprotectFlags::EXEC,
            )
        }
        .map_err(|e| format!("cannot make code executable: {e}"))?;
        // This thread may run the code next: no stale prefetch survives.
        // Another thread reaches the code through the compiled module's `Arc`,
        // after a synchronizing hand-over that orders it after this point.
        dynasmrt::cache_control::prepare_for_execution(written);
        Ok(memory)
    }

    /// Maps the `code_len` bytes of code at byte `offset` of `file`, read-only
    /// and executable, without copying them: pages are read from the file (or
    /// shared with the page cache) as the code runs. `None` where `offset` is
    /// not a multiple of the page size, `code_len` is zero, the code reaches
    /// past the file's end, or the system refuses the mapping (a file system
    /// mounted `noexec`): the caller then copies the code instead.
    ///
    /// # Safety
    ///
    /// Those bytes of `file` must be code of this compiler that is valid to
    /// run (checked, e.g. against a checksum, by the caller), and the file
    /// must not change while the returned memory lives: a `MAP_PRIVATE`
    /// mapping still shows later writes to the file's pages that it has not
    /// copied. (A compilation cache replaces entries by renaming new files
    /// over them; it never writes into an entry.)
    pub unsafe fn map_file(file: &std::fs::File, offset: u64, code_len: usize) -> Option<Self> {
        let page = rustix::param::page_size();
        let end = offset.checked_add(code_len as u64)?;
        if code_len == 0 || !offset.is_multiple_of(page as u64) || end > file.metadata().ok()?.len()
        {
            return None;
        }
        let len = code_len.div_ceil(page) * page;
        // SAFETY: a new private mapping at an address of the kernel's choosing
        // aliases no existing Rust object. Its last page may reach past the
        // file's end, which reads as zeros (the code itself is inside the
        // file, checked above). The file's bytes stay as they are while it is
        // mapped: this function's contract.
        let raw = unsafe {
            mmap(
                std::ptr::null_mut(),
                len,
                ProtFlags::READ | ProtFlags::EXEC,
                MapFlags::PRIVATE,
                file,
                offset,
            )
        }
        .ok()?;
        let ptr = NonNull::new(raw.cast::<u8>())?;
        let memory = Self { ptr, len, code_len };
        // The kernel keeps instruction caches coherent for pages it maps
        // executable from a file; this thread still discards stale prefetch.
        dynasmrt::cache_control::prepare_for_execution(memory.code());
        Some(memory)
    }

    /// The code, as copied in or mapped.
    pub fn code(&self) -> &[u8] {
        // SAFETY: the first `code_len` bytes of the (readable, immutable)
        // mapping were copied from the code in `new`, or are the file's code
        // mapped by `map_file`, which does not change while mapped.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.code_len) }
    }

    /// The address of the byte at `offset`.
    pub fn address(&self, offset: usize) -> *const u8 {
        assert!(offset < self.len, "code offset out of range");
        // SAFETY: `offset` is within the mapping (checked above).
        unsafe { self.ptr.as_ptr().add(offset) }
    }
}

impl Drop for CodeMemory {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping made in `new` or `map_file`; no code in it can be
        // running, since the owner (the compiled module) is kept alive by every
        // call into it.
        let _ = unsafe { munmap(self.ptr.as_ptr().cast(), self.len) };
    }
}

#[cfg(test)]
mod tests {
    use super::CodeMemory;

    #[test]
    fn maps_code_read_only_and_executable() {
        let m = CodeMemory::new(&[0xc3, 0x90]).unwrap();
        // SAFETY: both bytes were copied into the (readable) mapping.
        let bytes = unsafe { std::slice::from_raw_parts(m.address(0), 2) };
        assert_eq!(bytes, [0xc3, 0x90]);
    }
}
