//! TCP listeners handed in by configuration, and the connections they accept.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};

use crate::abi::{fdflags, filetype, sock};
use crate::fs::FileLike;
use crate::Errno;

/// The `fdflags` of a socket: only its blocking mode.
fn nonblock_flags(nonblock: bool) -> u16 {
    if nonblock {
        fdflags::NONBLOCK
    } else {
        0
    }
}

/// A pre-opened listener (`sock_accept`).
pub(crate) struct Listener {
    pub listener: TcpListener,
    pub nonblock: bool,
}

impl FileLike for Listener {
    fn filetype(&self) -> u8 {
        filetype::SOCKET_STREAM
    }

    fn fdflags(&self) -> u16 {
        nonblock_flags(self.nonblock)
    }

    fn set_fdflags(&mut self, flags: u16) -> Result<(), Errno> {
        self.nonblock = flags & fdflags::NONBLOCK != 0;
        Ok(self.listener.set_nonblocking(self.nonblock)?)
    }

    #[cfg(unix)]
    fn poll_fd(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        use std::os::fd::AsFd;
        Some(self.listener.as_fd())
    }

    fn sock_accept(&mut self, nonblock: bool) -> Result<Box<dyn FileLike>, Errno> {
        let (stream, _) = self.listener.accept()?;
        stream.set_nonblocking(nonblock)?;
        Ok(Box::new(Connection { stream, nonblock }))
    }
}

/// An accepted connection.
pub(crate) struct Connection {
    stream: TcpStream,
    nonblock: bool,
}

impl FileLike for Connection {
    fn filetype(&self) -> u8 {
        filetype::SOCKET_STREAM
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Errno> {
        Ok(self.stream.read(buf)?)
    }

    fn write(&mut self, buf: &[u8]) -> Result<usize, Errno> {
        Ok(self.stream.write(buf)?)
    }

    fn fdflags(&self) -> u16 {
        nonblock_flags(self.nonblock)
    }

    fn set_fdflags(&mut self, flags: u16) -> Result<(), Errno> {
        self.nonblock = flags & fdflags::NONBLOCK != 0;
        Ok(self.stream.set_nonblocking(self.nonblock)?)
    }

    #[cfg(unix)]
    fn poll_fd(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        use std::os::fd::AsFd;
        Some(self.stream.as_fd())
    }

    fn sock_recv(&mut self, buf: &mut [u8], peek: bool) -> Result<usize, Errno> {
        if peek {
            Ok(self.stream.peek(buf)?)
        } else {
            Ok(self.stream.read(buf)?)
        }
    }

    fn sock_send(&mut self, buf: &[u8]) -> Result<usize, Errno> {
        Ok(self.stream.write(buf)?)
    }

    fn sock_shutdown(&mut self, how: u8) -> Result<(), Errno> {
        let how = match how {
            sock::SHUT_RD => Shutdown::Read,
            sock::SHUT_WR => Shutdown::Write,
            h if h == sock::SHUT_RD | sock::SHUT_WR => Shutdown::Both,
            _ => return Err(Errno::Inval),
        };
        Ok(self.stream.shutdown(how)?)
    }
}
