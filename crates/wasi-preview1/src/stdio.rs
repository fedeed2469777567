//! Standard input, output and error: in-memory or host streams.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};

use crate::abi::filetype;
use crate::fs::FileLike;
use crate::Errno;

/// A reader as standard input.
pub(crate) struct Input {
    pub reader: Box<dyn Read + Send>,
    /// Host standard input: poll it for readiness instead of calling it ready.
    pub inherited: bool,
}

impl FileLike for Input {
    fn filetype(&self) -> u8 {
        filetype::CHARACTER_DEVICE
    }

    fn access(&self) -> (bool, bool) {
        (true, false)
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Errno> {
        loop {
            match self.reader.read(buf) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                r => return Ok(r?),
            }
        }
    }

    #[cfg(unix)]
    fn poll_fd(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        // SAFETY: descriptor 0 stays open for the life of the process (nothing in
        // this crate closes it), which outlives the borrow of `self`.
        self.inherited
            .then(|| unsafe { std::os::fd::BorrowedFd::borrow_raw(0) })
    }
}

/// A writer as standard output or error.
pub(crate) struct Output {
    pub writer: Box<dyn Write + Send>,
}

impl FileLike for Output {
    fn filetype(&self) -> u8 {
        filetype::CHARACTER_DEVICE
    }

    fn access(&self) -> (bool, bool) {
        (false, true)
    }

    fn write(&mut self, buf: &[u8]) -> Result<usize, Errno> {
        self.writer.write_all(buf)?;
        // Flush so the guest's output interleaves as written with the host's own.
        self.writer.flush()?;
        Ok(buf.len())
    }
}

/// A growable byte buffer shared by its clones: hand one to `with_stdout` and
/// read what the guest wrote through another.
///
/// ```
/// use std::io::Write;
/// # extern crate wazero_wasi_preview1 as wazero;
/// use wazero::SharedBuffer;
/// let out = SharedBuffer::new();
/// let mut writer = out.clone();
/// writer.write_all(b"hello")?;
/// assert_eq!(out.contents(), b"hello");
/// assert_eq!(out.to_string_lossy(), "hello");
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct SharedBuffer {
    bytes: Arc<Mutex<Vec<u8>>>,
}

impl SharedBuffer {
    /// An empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// A copy of everything written so far.
    pub fn contents(&self) -> Vec<u8> {
        self.lock().clone()
    }

    /// Everything written so far, as text (invalid UTF-8 replaced).
    pub fn to_string_lossy(&self) -> String {
        String::from_utf8_lossy(&self.lock()).into_owned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<u8>> {
        // Appending bytes cannot break the vector's invariants midway.
        self.bytes.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.lock().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
