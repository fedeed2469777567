//! The preview1 ABI: flag values and the byte layout of the structures that
//! cross guest memory (all little-endian).

/// `filetype`.
pub(crate) mod filetype {
    pub const UNKNOWN: u8 = 0;
    pub const CHARACTER_DEVICE: u8 = 2;
    pub const DIRECTORY: u8 = 3;
    pub const REGULAR_FILE: u8 = 4;
    pub const SOCKET_STREAM: u8 = 6;
    pub const SYMBOLIC_LINK: u8 = 7;
    pub const BLOCK_DEVICE: u8 = 1;
}

/// `fdflags`.
pub(crate) mod fdflags {
    pub const APPEND: u16 = 1 << 0;
    pub const DSYNC: u16 = 1 << 1;
    pub const NONBLOCK: u16 = 1 << 2;
    pub const RSYNC: u16 = 1 << 3;
    pub const SYNC: u16 = 1 << 4;
    pub const ALL: u16 = APPEND | DSYNC | NONBLOCK | RSYNC | SYNC;
}

/// `oflags`.
pub(crate) mod oflags {
    pub const CREAT: u16 = 1 << 0;
    pub const DIRECTORY: u16 = 1 << 1;
    pub const EXCL: u16 = 1 << 2;
    pub const TRUNC: u16 = 1 << 3;
    pub const ALL: u16 = CREAT | DIRECTORY | EXCL | TRUNC;
}

/// `lookupflags`.
pub(crate) const LOOKUP_SYMLINK_FOLLOW: u32 = 1;

/// `fstflags`.
pub(crate) mod fstflags {
    pub const ATIM: u16 = 1 << 0;
    pub const ATIM_NOW: u16 = 1 << 1;
    pub const MTIM: u16 = 1 << 2;
    pub const MTIM_NOW: u16 = 1 << 3;
}

/// `rights`. Preview1's rights are advisory: they never make an open fail
/// (the access mode of a file comes from them), `fd_fdstat_get` reports what a
/// descriptor can do, and a guest may give rights up with
/// `fd_fdstat_set_rights`, after which the functions needing them answer
/// `ENOTCAPABLE`.
pub(crate) mod rights {
    pub const FD_DATASYNC: u64 = 1 << 0;
    pub const FD_READ: u64 = 1 << 1;
    pub const FD_SEEK: u64 = 1 << 2;
    pub const FD_FDSTAT_SET_FLAGS: u64 = 1 << 3;
    pub const FD_SYNC: u64 = 1 << 4;
    pub const FD_TELL: u64 = 1 << 5;
    pub const FD_WRITE: u64 = 1 << 6;
    pub const FD_ADVISE: u64 = 1 << 7;
    pub const FD_ALLOCATE: u64 = 1 << 8;
    pub const PATH_CREATE_DIRECTORY: u64 = 1 << 9;
    pub const PATH_CREATE_FILE: u64 = 1 << 10;
    pub const PATH_LINK_SOURCE: u64 = 1 << 11;
    pub const PATH_LINK_TARGET: u64 = 1 << 12;
    pub const PATH_OPEN: u64 = 1 << 13;
    pub const FD_READDIR: u64 = 1 << 14;
    pub const PATH_READLINK: u64 = 1 << 15;
    pub const PATH_RENAME_SOURCE: u64 = 1 << 16;
    pub const PATH_RENAME_TARGET: u64 = 1 << 17;
    pub const PATH_FILESTAT_GET: u64 = 1 << 18;
    pub const PATH_FILESTAT_SET_TIMES: u64 = 1 << 20;
    pub const FD_FILESTAT_GET: u64 = 1 << 21;
    pub const FD_FILESTAT_SET_SIZE: u64 = 1 << 22;
    pub const FD_FILESTAT_SET_TIMES: u64 = 1 << 23;
    pub const PATH_SYMLINK: u64 = 1 << 24;
    pub const PATH_REMOVE_DIRECTORY: u64 = 1 << 25;
    pub const PATH_UNLINK_FILE: u64 = 1 << 26;
    pub const POLL_FD_READWRITE: u64 = 1 << 27;
    pub const SOCK_SHUTDOWN: u64 = 1 << 28;
    pub const SOCK_ACCEPT: u64 = 1 << 29;
    /// Every right (bits 0 to 29).
    pub const ALL: u64 = (1 << 30) - 1;
    /// The rights of a regular file, before its access mode is applied.
    pub const FILE: u64 = FD_DATASYNC
        | FD_READ
        | FD_SEEK
        | FD_FDSTAT_SET_FLAGS
        | FD_SYNC
        | FD_TELL
        | FD_WRITE
        | FD_ADVISE
        | FD_ALLOCATE
        | FD_FILESTAT_GET
        | FD_FILESTAT_SET_SIZE
        | FD_FILESTAT_SET_TIMES
        | POLL_FD_READWRITE;
    /// What a file not open for writing cannot do.
    pub const FILE_WRITE: u64 = FD_WRITE | FD_ALLOCATE | FD_FILESTAT_SET_SIZE;
    /// The rights of a directory: the path operations, listing, attributes.
    /// None of them asks for write access when passed back to `path_open`
    /// (which is how wasi-libc and Rust's std reopen a directory), and no
    /// `PATH_FILESTAT_SET_SIZE`: preview1 has no function for it.
    pub const DIRECTORY: u64 = PATH_CREATE_DIRECTORY
        | PATH_CREATE_FILE
        | PATH_LINK_SOURCE
        | PATH_LINK_TARGET
        | PATH_OPEN
        | FD_READDIR
        | PATH_READLINK
        | PATH_RENAME_SOURCE
        | PATH_RENAME_TARGET
        | PATH_SYMLINK
        | PATH_REMOVE_DIRECTORY
        | PATH_UNLINK_FILE
        | PATH_FILESTAT_GET
        | PATH_FILESTAT_SET_TIMES
        | FD_FILESTAT_GET
        | FD_FILESTAT_SET_TIMES
        | FD_SYNC;
    /// What a directory under a read-only mount cannot do.
    pub const DIRECTORY_WRITE: u64 = PATH_CREATE_DIRECTORY
        | PATH_CREATE_FILE
        | PATH_LINK_SOURCE
        | PATH_LINK_TARGET
        | PATH_RENAME_SOURCE
        | PATH_RENAME_TARGET
        | PATH_SYMLINK
        | PATH_REMOVE_DIRECTORY
        | PATH_UNLINK_FILE
        | PATH_FILESTAT_SET_TIMES
        | FD_FILESTAT_SET_TIMES;
    /// The rights of what is opened beneath a directory.
    pub const DIRECTORY_INHERITING: u64 = DIRECTORY | FILE;
}

/// `whence`.
pub(crate) mod whence {
    pub const SET: u8 = 0;
    pub const CUR: u8 = 1;
    pub const END: u8 = 2;
}

/// `clockid`.
pub(crate) mod clockid {
    pub const REALTIME: u32 = 0;
    pub const MONOTONIC: u32 = 1;
    pub const PROCESS_CPUTIME: u32 = 2;
    pub const THREAD_CPUTIME: u32 = 3;
}

/// `eventtype`.
pub(crate) mod eventtype {
    pub const CLOCK: u8 = 0;
    pub const FD_READ: u8 = 1;
    pub const FD_WRITE: u8 = 2;
}

/// `subclockflags`: the timeout is an absolute time.
pub(crate) const SUBSCRIPTION_CLOCK_ABSTIME: u16 = 1;
/// `eventrwflags`: the peer hung up.
pub(crate) const EVENT_FD_READWRITE_HANGUP: u16 = 1;

/// `advice` values run from 0 (`normal`) to this (`noreuse`).
pub(crate) const ADVICE_MAX: u8 = 5;

/// `riflags` / `roflags` / `sdflags`.
pub(crate) mod sock {
    pub const RECV_PEEK: u16 = 1 << 0;
    pub const RECV_WAITALL: u16 = 1 << 1;
    pub const SHUT_RD: u8 = 1 << 0;
    pub const SHUT_WR: u8 = 1 << 1;
}

/// Sizes of the structures.
pub(crate) mod size {
    pub const IOVEC: u32 = 8;
    pub const FDSTAT: u32 = 24;
    pub const FILESTAT: u32 = 64;
    pub const DIRENT: u32 = 24;
    pub const PRESTAT: u32 = 8;
    pub const SUBSCRIPTION: u32 = 48;
    pub const EVENT: u32 = 32;
}

/// A file's attributes (`filestat`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Filestat {
    pub dev: u64,
    pub ino: u64,
    pub filetype: u8,
    pub nlink: u64,
    pub size: u64,
    pub atim: u64,
    pub mtim: u64,
    pub ctim: u64,
}

impl Filestat {
    /// Its 64-byte encoding.
    pub fn encode(&self) -> [u8; size::FILESTAT as usize] {
        let mut b = [0u8; size::FILESTAT as usize];
        b[0..8].copy_from_slice(&self.dev.to_le_bytes());
        b[8..16].copy_from_slice(&self.ino.to_le_bytes());
        b[16] = self.filetype;
        b[24..32].copy_from_slice(&self.nlink.to_le_bytes());
        b[32..40].copy_from_slice(&self.size.to_le_bytes());
        b[40..48].copy_from_slice(&self.atim.to_le_bytes());
        b[48..56].copy_from_slice(&self.mtim.to_le_bytes());
        b[56..64].copy_from_slice(&self.ctim.to_le_bytes());
        b
    }
}

/// The 24-byte `fdstat`.
pub(crate) fn encode_fdstat(
    filetype: u8,
    flags: u16,
    base: u64,
    inheriting: u64,
) -> [u8; size::FDSTAT as usize] {
    let mut b = [0u8; size::FDSTAT as usize];
    b[0] = filetype;
    b[2..4].copy_from_slice(&flags.to_le_bytes());
    b[8..16].copy_from_slice(&base.to_le_bytes());
    b[16..24].copy_from_slice(&inheriting.to_le_bytes());
    b
}

/// The 24-byte header of a `dirent` (its name follows, not NUL-terminated).
pub(crate) fn encode_dirent(
    next: u64,
    ino: u64,
    namlen: u32,
    filetype: u8,
) -> [u8; size::DIRENT as usize] {
    let mut b = [0u8; size::DIRENT as usize];
    b[0..8].copy_from_slice(&next.to_le_bytes());
    b[8..16].copy_from_slice(&ino.to_le_bytes());
    b[16..20].copy_from_slice(&namlen.to_le_bytes());
    b[20] = filetype;
    b
}

/// A 32-byte `event`.
pub(crate) fn encode_event(
    userdata: u64,
    error: u16,
    ty: u8,
    nbytes: u64,
    flags: u16,
) -> [u8; size::EVENT as usize] {
    let mut b = [0u8; size::EVENT as usize];
    b[0..8].copy_from_slice(&userdata.to_le_bytes());
    b[8..10].copy_from_slice(&error.to_le_bytes());
    b[10] = ty;
    b[16..24].copy_from_slice(&nbytes.to_le_bytes());
    b[24..26].copy_from_slice(&flags.to_le_bytes());
    b
}

/// How to change a timestamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SetTime {
    /// Leave it.
    Keep,
    /// The current time.
    Now,
    /// Nanoseconds since the Unix epoch.
    At(u64),
}

/// The two timestamps of `fstflags`, or `EINVAL` if a time is both given and "now".
pub(crate) fn set_times(
    atim: u64,
    mtim: u64,
    flags: u16,
) -> Result<(SetTime, SetTime), crate::Errno> {
    use fstflags::*;
    if flags & !(ATIM | ATIM_NOW | MTIM | MTIM_NOW) != 0 {
        return Err(crate::Errno::Inval);
    }
    let pick = |value: u64, at: u16, now: u16| match (flags & at != 0, flags & now != 0) {
        (true, true) => Err(crate::Errno::Inval),
        (true, false) => Ok(SetTime::At(value)),
        (false, true) => Ok(SetTime::Now),
        (false, false) => Ok(SetTime::Keep),
    };
    Ok((pick(atim, ATIM, ATIM_NOW)?, pick(mtim, MTIM, MTIM_NOW)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filestat_layout() {
        let stat = Filestat {
            dev: 1,
            ino: 2,
            filetype: filetype::REGULAR_FILE,
            nlink: 3,
            size: 4,
            atim: 5,
            mtim: 6,
            ctim: 7,
        };
        let b = stat.encode();
        let word = |at: usize| u64::from_le_bytes(b[at..at + 8].try_into().unwrap());
        assert_eq!(
            [
                word(0),
                word(8),
                word(24),
                word(32),
                word(40),
                word(48),
                word(56)
            ],
            [1, 2, 3, 4, 5, 6, 7]
        );
        assert_eq!(b[16], 4);
    }

    #[test]
    fn fstflags_table() {
        use fstflags::*;
        let cases = [
            (0, Ok((SetTime::Keep, SetTime::Keep))),
            (ATIM, Ok((SetTime::At(10), SetTime::Keep))),
            (MTIM_NOW, Ok((SetTime::Keep, SetTime::Now))),
            (ATIM | MTIM, Ok((SetTime::At(10), SetTime::At(20)))),
            (ATIM | ATIM_NOW, Err(crate::Errno::Inval)),
            (MTIM | MTIM_NOW, Err(crate::Errno::Inval)),
            (1 << 7, Err(crate::Errno::Inval)),
        ];
        for (flags, want) in cases {
            assert_eq!(set_times(10, 20, flags), want, "flags {flags:#x}");
        }
    }
}
