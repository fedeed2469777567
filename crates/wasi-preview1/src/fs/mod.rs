//! What the WASI functions need of files and directories, and its two
//! implementations: host directories sandboxed by `cap-std`, and an in-memory
//! file system.

pub(crate) mod host;
pub mod mem;

use std::any::Any;

use crate::abi::{Filestat, SetTime};
use crate::Errno;

/// How `path_open` opens a path.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct OpenOptions {
    pub read: bool,
    pub write: bool,
    pub create: bool,
    pub exclusive: bool,
    pub truncate: bool,
    /// Fail unless it is a directory.
    pub directory: bool,
    pub append: bool,
    /// Follow a symbolic link in the last component.
    pub follow: bool,
    /// The `fdflags` to open with (`APPEND` included).
    pub fdflags: u16,
}

impl OpenOptions {
    /// Whether the open can change the file system.
    pub fn mutates(&self) -> bool {
        self.write || self.create || self.truncate || self.append
    }
}

/// What `path_open` opened.
pub(crate) enum Opened {
    File(Box<dyn FileLike>),
    Dir(Box<dyn DirLike>),
}

/// One entry of a directory listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DirEntry {
    /// The name as the file system has it (on a host, not always UTF-8).
    pub name: Vec<u8>,
    pub ino: u64,
    pub filetype: u8,
}

/// An open file, stream or socket. The defaults are what a stream that is not a
/// file answers.
pub(crate) trait FileLike: Send {
    /// Its `filetype`.
    fn filetype(&self) -> u8;
    /// Whether it was opened for reading and for writing.
    fn access(&self) -> (bool, bool) {
        (true, true)
    }
    /// Reads at the current position.
    fn read(&mut self, _buf: &mut [u8]) -> Result<usize, Errno> {
        Err(Errno::Badf)
    }
    /// Writes at the current position (or the end, when appending).
    fn write(&mut self, _buf: &[u8]) -> Result<usize, Errno> {
        Err(Errno::Badf)
    }
    /// Reads at `offset` without moving the position.
    fn pread(&mut self, _buf: &mut [u8], _offset: u64) -> Result<usize, Errno> {
        Err(Errno::Spipe)
    }
    /// Writes at `offset` without moving the position.
    fn pwrite(&mut self, _buf: &[u8], _offset: u64) -> Result<usize, Errno> {
        Err(Errno::Spipe)
    }
    /// Moves the position; the new position.
    fn seek(&mut self, _offset: i64, _whence: u8) -> Result<u64, Errno> {
        Err(Errno::Spipe)
    }
    /// Flushes data and metadata to storage.
    fn sync(&mut self) -> Result<(), Errno> {
        Err(Errno::Inval)
    }
    /// Flushes data to storage.
    fn datasync(&mut self) -> Result<(), Errno> {
        Err(Errno::Inval)
    }
    /// Its `fdflags`.
    fn fdflags(&self) -> u16 {
        0
    }
    /// Changes its `fdflags` (`APPEND`, `NONBLOCK`).
    fn set_fdflags(&mut self, _flags: u16) -> Result<(), Errno> {
        Err(Errno::NotSup)
    }
    /// Its attributes.
    fn filestat(&self) -> Result<Filestat, Errno> {
        Ok(Filestat {
            filetype: self.filetype(),
            nlink: 1,
            ..Filestat::default()
        })
    }
    /// Truncates or extends it.
    fn set_size(&mut self, _size: u64) -> Result<(), Errno> {
        Err(Errno::Inval)
    }
    /// Sets its access and modification times.
    fn set_times(&mut self, _atim: SetTime, _mtim: SetTime) -> Result<(), Errno> {
        Err(Errno::NotSup)
    }
    /// A hint on how it will be accessed.
    fn advise(&mut self, _offset: u64, _len: u64, _advice: u8) -> Result<(), Errno> {
        Ok(())
    }
    /// Reserves space so writes in the range do not fail for lack of it.
    fn allocate(&mut self, _offset: u64, _len: u64) -> Result<(), Errno> {
        Err(Errno::NotSup)
    }
    /// The host descriptor to wait on in `poll_oneoff`; `None`: always ready.
    #[cfg(unix)]
    fn poll_fd(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        None
    }
    /// Accepts a connection on a listener.
    fn sock_accept(&mut self, _nonblock: bool) -> Result<Box<dyn FileLike>, Errno> {
        Err(Errno::NotSock)
    }
    /// Receives into `buf`; the count and whether the data was truncated.
    fn sock_recv(&mut self, _buf: &mut [u8], _peek: bool) -> Result<usize, Errno> {
        Err(Errno::NotSock)
    }
    /// Sends `buf`.
    fn sock_send(&mut self, _buf: &[u8]) -> Result<usize, Errno> {
        Err(Errno::NotSock)
    }
    /// Shuts down reading (`SHUT_RD`) and/or writing (`SHUT_WR`).
    fn sock_shutdown(&mut self, _how: u8) -> Result<(), Errno> {
        Err(Errno::NotSock)
    }
}

/// An open directory. Paths are relative to it and never leave it; they are
/// bytes, as the guest passed them (a host name need not be UTF-8; a
/// [`mem::MemFs`] answers `EILSEQ` for a name that is not).
pub(crate) trait DirLike: Send {
    /// For cross-directory operations, which need two directories of one kind.
    fn as_any(&self) -> &dyn Any;
    /// Opens `path`.
    fn open(&self, path: &[u8], options: &OpenOptions) -> Result<Opened, Errno>;
    /// Creates the directory `path`.
    fn create_dir(&self, path: &[u8]) -> Result<(), Errno>;
    /// Removes the empty directory `path`.
    fn remove_dir(&self, path: &[u8]) -> Result<(), Errno>;
    /// Removes the file or symbolic link `path`.
    fn unlink(&self, path: &[u8]) -> Result<(), Errno>;
    /// The attributes of `path` (of the link's target if `follow`).
    fn stat(&self, path: &[u8], follow: bool) -> Result<Filestat, Errno>;
    /// Sets the times of `path`.
    fn set_times(
        &self,
        path: &[u8],
        follow: bool,
        atim: SetTime,
        mtim: SetTime,
    ) -> Result<(), Errno>;
    /// The target of the symbolic link `path`.
    fn readlink(&self, path: &[u8]) -> Result<Vec<u8>, Errno>;
    /// Creates the symbolic link `path` pointing at `target`.
    fn symlink(&self, target: &[u8], path: &[u8]) -> Result<(), Errno>;
    /// Creates the hard link `new` (in `new_dir`) to `old`.
    fn link(
        &self,
        old: &[u8],
        follow: bool,
        new_dir: &dyn DirLike,
        new: &[u8],
    ) -> Result<(), Errno>;
    /// Renames `old` to `new` (in `new_dir`).
    fn rename(&self, old: &[u8], new_dir: &dyn DirLike, new: &[u8]) -> Result<(), Errno>;
    /// Its entries but `.` and `..`, read a few at a time, in an order that
    /// stays the same while the directory does not change.
    fn read_dir(&self) -> Result<Box<dyn DirStream>, Errno>;
    /// Its own attributes.
    fn filestat(&self) -> Result<Filestat, Errno>;
    /// Sets its own times.
    fn set_own_times(&self, atim: SetTime, mtim: SetTime) -> Result<(), Errno>;
    /// Flushes it to storage.
    fn sync(&self) -> Result<(), Errno> {
        Ok(())
    }
}

/// The entries of a directory, produced one by one: a listing of any size
/// holds only what the file system buffers (a few KiB), never a copy of it.
pub(crate) trait DirStream: Send {
    /// The next entry, or `None` at the end.
    fn next_entry(&mut self) -> Option<Result<DirEntry, Errno>>;
}
