//! WASI error numbers and how host errors map to them.

use std::io;

macro_rules! errnos {
    ($($name:ident = $value:literal, $text:literal, $doc:literal;)*) => {
        /// A WASI preview1 error number (`errno`), the result of every WASI function.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u16)]
        pub enum Errno {
            $(#[doc = $doc] $name = $value,)*
        }

        impl Errno {
            /// Its POSIX-style name (`"EBADF"`), for logs.
            pub fn name(self) -> &'static str {
                match self {
                    $(Errno::$name => $text,)*
                }
            }
        }
    };
}

errnos! {
    Success = 0, "ESUCCESS", "No error.";
    TooBig = 1, "ETOOBIG", "Argument list too long.";
    Acces = 2, "EACCES", "Permission denied.";
    AddrInUse = 3, "EADDRINUSE", "Address in use.";
    AddrNotAvail = 4, "EADDRNOTAVAIL", "Address not available.";
    AfNoSupport = 5, "EAFNOSUPPORT", "Address family not supported.";
    Again = 6, "EAGAIN", "Resource unavailable, or operation would block.";
    Already = 7, "EALREADY", "Connection already in progress.";
    Badf = 8, "EBADF", "Bad file descriptor.";
    BadMsg = 9, "EBADMSG", "Bad message.";
    Busy = 10, "EBUSY", "Device or resource busy.";
    Canceled = 11, "ECANCELED", "Operation canceled.";
    Child = 12, "ECHILD", "No child processes.";
    ConnAborted = 13, "ECONNABORTED", "Connection aborted.";
    ConnRefused = 14, "ECONNREFUSED", "Connection refused.";
    ConnReset = 15, "ECONNRESET", "Connection reset.";
    Deadlk = 16, "EDEADLK", "Resource deadlock would occur.";
    DestAddrReq = 17, "EDESTADDRREQ", "Destination address required.";
    Dom = 18, "EDOM", "Mathematics argument out of domain of function.";
    Dquot = 19, "EDQUOT", "Reserved.";
    Exist = 20, "EEXIST", "File exists.";
    Fault = 21, "EFAULT", "Bad address.";
    Fbig = 22, "EFBIG", "File too large.";
    HostUnreach = 23, "EHOSTUNREACH", "Host is unreachable.";
    Idrm = 24, "EIDRM", "Identifier removed.";
    Ilseq = 25, "EILSEQ", "Illegal byte sequence.";
    InProgress = 26, "EINPROGRESS", "Operation in progress.";
    Intr = 27, "EINTR", "Interrupted function.";
    Inval = 28, "EINVAL", "Invalid argument.";
    Io = 29, "EIO", "I/O error.";
    IsConn = 30, "EISCONN", "Socket is connected.";
    IsDir = 31, "EISDIR", "Is a directory.";
    Loop = 32, "ELOOP", "Too many levels of symbolic links.";
    Mfile = 33, "EMFILE", "File descriptor value too large.";
    Mlink = 34, "EMLINK", "Too many links.";
    MsgSize = 35, "EMSGSIZE", "Message too large.";
    Multihop = 36, "EMULTIHOP", "Reserved.";
    NameTooLong = 37, "ENAMETOOLONG", "Filename too long.";
    NetDown = 38, "ENETDOWN", "Network is down.";
    NetReset = 39, "ENETRESET", "Connection aborted by network.";
    NetUnreach = 40, "ENETUNREACH", "Network unreachable.";
    Nfile = 41, "ENFILE", "Too many files open in system.";
    NoBufs = 42, "ENOBUFS", "No buffer space available.";
    NoDev = 43, "ENODEV", "No such device.";
    NoEnt = 44, "ENOENT", "No such file or directory.";
    NoExec = 45, "ENOEXEC", "Executable file format error.";
    NoLck = 46, "ENOLCK", "No locks available.";
    NoLink = 47, "ENOLINK", "Reserved.";
    NoMem = 48, "ENOMEM", "Not enough space.";
    NoMsg = 49, "ENOMSG", "No message of the desired type.";
    NoProtoOpt = 50, "ENOPROTOOPT", "Protocol not available.";
    NoSpc = 51, "ENOSPC", "No space left on device.";
    NoSys = 52, "ENOSYS", "Function not supported.";
    NotConn = 53, "ENOTCONN", "The socket is not connected.";
    NotDir = 54, "ENOTDIR", "Not a directory or a symbolic link to a directory.";
    NotEmpty = 55, "ENOTEMPTY", "Directory not empty.";
    NotRecoverable = 56, "ENOTRECOVERABLE", "State not recoverable.";
    NotSock = 57, "ENOTSOCK", "Not a socket.";
    NotSup = 58, "ENOTSUP", "Not supported, or operation not supported on socket.";
    NoTty = 59, "ENOTTY", "Inappropriate I/O control operation.";
    Nxio = 60, "ENXIO", "No such device or address.";
    Overflow = 61, "EOVERFLOW", "Value too large to be stored in data type.";
    OwnerDead = 62, "EOWNERDEAD", "Previous owner died.";
    Perm = 63, "EPERM", "Operation not permitted.";
    Pipe = 64, "EPIPE", "Broken pipe.";
    Proto = 65, "EPROTO", "Protocol error.";
    ProtoNoSupport = 66, "EPROTONOSUPPORT", "Protocol not supported.";
    Prototype = 67, "EPROTOTYPE", "Protocol wrong type for socket.";
    Range = 68, "ERANGE", "Result too large.";
    Rofs = 69, "EROFS", "Read-only file system.";
    Spipe = 70, "ESPIPE", "Invalid seek.";
    Srch = 71, "ESRCH", "No such process.";
    Stale = 72, "ESTALE", "Reserved.";
    TimedOut = 73, "ETIMEDOUT", "Connection timed out.";
    TxtBsy = 74, "ETXTBSY", "Text file busy.";
    Xdev = 75, "EXDEV", "Cross-device link.";
    NotCapable = 76, "ENOTCAPABLE", "Extension: capabilities insufficient.";
}

impl std::fmt::Display for Errno {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::error::Error for Errno {}

impl From<io::Error> for Errno {
    fn from(e: io::Error) -> Self {
        if let Some(code) = e.raw_os_error() {
            return from_raw_os_error(code);
        }
        match e.kind() {
            io::ErrorKind::NotFound => Errno::NoEnt,
            // cap-std reports a path that would leave the sandbox as a permission
            // error without an OS code: the guest lacks the capability.
            io::ErrorKind::PermissionDenied => Errno::NotCapable,
            io::ErrorKind::AlreadyExists => Errno::Exist,
            io::ErrorKind::WouldBlock => Errno::Again,
            io::ErrorKind::InvalidInput => Errno::Inval,
            io::ErrorKind::InvalidData => Errno::Ilseq,
            io::ErrorKind::TimedOut => Errno::TimedOut,
            io::ErrorKind::Interrupted => Errno::Intr,
            io::ErrorKind::Unsupported => Errno::NotSup,
            io::ErrorKind::OutOfMemory => Errno::NoMem,
            io::ErrorKind::BrokenPipe => Errno::Pipe,
            io::ErrorKind::ConnectionRefused => Errno::ConnRefused,
            io::ErrorKind::ConnectionReset => Errno::ConnReset,
            io::ErrorKind::ConnectionAborted => Errno::ConnAborted,
            io::ErrorKind::NotConnected => Errno::NotConn,
            io::ErrorKind::AddrInUse => Errno::AddrInUse,
            io::ErrorKind::AddrNotAvailable => Errno::AddrNotAvail,
            io::ErrorKind::IsADirectory => Errno::IsDir,
            io::ErrorKind::NotADirectory => Errno::NotDir,
            io::ErrorKind::DirectoryNotEmpty => Errno::NotEmpty,
            io::ErrorKind::ReadOnlyFilesystem => Errno::Rofs,
            io::ErrorKind::StorageFull => Errno::NoSpc,
            io::ErrorKind::NotSeekable => Errno::Spipe,
            io::ErrorKind::FileTooLarge => Errno::Fbig,
            io::ErrorKind::CrossesDevices => Errno::Xdev,
            io::ErrorKind::TooManyLinks => Errno::Mlink,
            io::ErrorKind::InvalidFilename => Errno::Inval,
            io::ErrorKind::ArgumentListTooLong => Errno::TooBig,
            io::ErrorKind::Deadlock => Errno::Deadlk,
            io::ErrorKind::ResourceBusy => Errno::Busy,
            io::ErrorKind::ExecutableFileBusy => Errno::TxtBsy,
            io::ErrorKind::UnexpectedEof => Errno::Io,
            _ => Errno::Io,
        }
    }
}

impl From<rustix::io::Errno> for Errno {
    fn from(e: rustix::io::Errno) -> Self {
        from_raw_os_error(e.raw_os_error())
    }
}

/// Maps a host OS error code (POSIX `errno`) to WASI's.
fn from_raw_os_error(code: i32) -> Errno {
    use rustix::io::Errno as E;
    let e = E::from_raw_os_error(code);
    macro_rules! map {
        ($($host:ident => $wasi:ident),* $(,)?) => {
            $(if e == E::$host { return Errno::$wasi; })*
        };
    }
    map! {
        TOOBIG => TooBig, ACCESS => Acces, ADDRINUSE => AddrInUse,
        ADDRNOTAVAIL => AddrNotAvail, AFNOSUPPORT => AfNoSupport, AGAIN => Again,
        ALREADY => Already, BADF => Badf, BADMSG => BadMsg, BUSY => Busy,
        CANCELED => Canceled, CHILD => Child, CONNABORTED => ConnAborted,
        CONNREFUSED => ConnRefused, CONNRESET => ConnReset, DEADLK => Deadlk,
        DESTADDRREQ => DestAddrReq, DOM => Dom, DQUOT => Dquot, EXIST => Exist,
        FAULT => Fault, FBIG => Fbig, HOSTUNREACH => HostUnreach, IDRM => Idrm,
        ILSEQ => Ilseq, INPROGRESS => InProgress, INTR => Intr, INVAL => Inval,
        IO => Io, ISCONN => IsConn, ISDIR => IsDir, LOOP => Loop, MFILE => Mfile,
        MLINK => Mlink, MSGSIZE => MsgSize, MULTIHOP => Multihop,
        NAMETOOLONG => NameTooLong, NETDOWN => NetDown, NETRESET => NetReset,
        NETUNREACH => NetUnreach, NFILE => Nfile, NOBUFS => NoBufs, NODEV => NoDev,
        NOENT => NoEnt, NOEXEC => NoExec, NOLCK => NoLck, NOLINK => NoLink,
        NOMEM => NoMem, NOMSG => NoMsg, NOPROTOOPT => NoProtoOpt, NOSPC => NoSpc,
        NOSYS => NoSys, NOTCONN => NotConn, NOTDIR => NotDir, NOTEMPTY => NotEmpty,
        NOTRECOVERABLE => NotRecoverable, NOTSOCK => NotSock, NOTSUP => NotSup,
        NOTTY => NoTty, NXIO => Nxio, OVERFLOW => Overflow, OWNERDEAD => OwnerDead,
        PERM => Perm, PIPE => Pipe, PROTO => Proto, PROTONOSUPPORT => ProtoNoSupport,
        PROTOTYPE => Prototype, RANGE => Range, ROFS => Rofs, SPIPE => Spipe,
        SRCH => Srch, STALE => Stale, TIMEDOUT => TimedOut, TXTBSY => TxtBsy,
        XDEV => Xdev,
    }
    Errno::Io
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_errors_map_to_wasi_errnos() {
        let cases = [
            (
                io::Error::from_raw_os_error(libc_code(rustix::io::Errno::NOENT)),
                Errno::NoEnt,
            ),
            (
                io::Error::from_raw_os_error(libc_code(rustix::io::Errno::ROFS)),
                Errno::Rofs,
            ),
            (
                io::Error::from_raw_os_error(libc_code(rustix::io::Errno::LOOP)),
                Errno::Loop,
            ),
            (
                io::Error::new(io::ErrorKind::PermissionDenied, "escape"),
                Errno::NotCapable,
            ),
            (io::Error::new(io::ErrorKind::NotFound, "x"), Errno::NoEnt),
            (io::Error::other("x"), Errno::Io),
        ];
        for (error, errno) in cases {
            assert_eq!(Errno::from(error), errno);
        }
    }

    fn libc_code(e: rustix::io::Errno) -> i32 {
        e.raw_os_error()
    }

    #[test]
    fn names_follow_wasi() {
        assert_eq!(Errno::Badf.name(), "EBADF");
        assert_eq!(Errno::NotCapable.name(), "ENOTCAPABLE");
        assert_eq!(Errno::NotCapable as u16, 76);
    }
}
