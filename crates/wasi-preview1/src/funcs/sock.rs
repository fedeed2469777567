//! `sock_*`: the listeners handed in by configuration and their connections.

use crate::abi::{fdflags, filetype, sock};
use crate::ctx::{Fd, Kept};
use crate::fs::FileLike;
use crate::guest::{each_iovec, Guest};
use crate::{Errno, WasiCtx};

/// The socket `fd`: `ENOTSOCK` for anything else.
fn socket(ctx: &mut WasiCtx, fd: u32) -> Result<&mut dyn FileLike, Errno> {
    match ctx.file(fd) {
        Ok((file, _)) if file.filetype() == filetype::SOCKET_STREAM => Ok(file),
        Ok(_) | Err(Errno::IsDir) => Err(Errno::NotSock),
        Err(e) => Err(e),
    }
}

pub(crate) fn sock_accept(
    ctx: &mut WasiCtx,
    g: &mut Guest<'_>,
    fd: u32,
    flags: u32,
    result: u32,
) -> Result<(), Errno> {
    if flags & !u32::from(fdflags::NONBLOCK) != 0 {
        return Err(Errno::Inval);
    }
    g.bytes(result, 4)?;
    let listener = socket(ctx, fd)?;
    let conn = listener.sock_accept(flags != 0)?;
    let new = ctx.insert(Fd::File {
        file: conn,
        read_only: false,
        kept: Kept::ALL,
    })?;
    g.set_u32(result, new)
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn sock_recv(
    ctx: &mut WasiCtx,
    g: &mut Guest<'_>,
    fd: u32,
    ri_data: u32,
    ri_data_len: u32,
    ri_flags: u32,
    ro_datalen: u32,
    ro_flags: u32,
) -> Result<(), Errno> {
    let known = u32::from(sock::RECV_PEEK | sock::RECV_WAITALL);
    if ri_flags & !known != 0 {
        return Err(Errno::Inval);
    }
    let peek = ri_flags & u32::from(sock::RECV_PEEK) != 0;
    let waitall = ri_flags & u32::from(sock::RECV_WAITALL) != 0;
    g.bytes(ro_datalen, 4)?;
    g.bytes(ro_flags, 2)?;
    let conn = socket(ctx, fd)?;
    let n = each_iovec(g, ri_data, ri_data_len, |g, buf, len, done| {
        let buf = g.bytes_mut(buf, len)?;
        if peek && done > 0 {
            // Peeking again would see the same bytes; one buffer's worth is all.
            return Ok(0);
        }
        let mut filled = 0;
        loop {
            let n = conn.sock_recv(&mut buf[filled..], peek)?;
            filled += n;
            if !waitall || peek || n == 0 || filled == buf.len() {
                return Ok(filled);
            }
        }
    })?;
    g.set_u32(ro_datalen, n)?;
    g.write(ro_flags, &0u16.to_le_bytes())
}

pub(crate) fn sock_send(
    ctx: &mut WasiCtx,
    g: &mut Guest<'_>,
    fd: u32,
    si_data: u32,
    si_data_len: u32,
    _si_flags: u32,
    so_datalen: u32,
) -> Result<(), Errno> {
    g.bytes(so_datalen, 4)?;
    let conn = socket(ctx, fd)?;
    let n = each_iovec(g, si_data, si_data_len, |g, buf, len, _| {
        conn.sock_send(g.bytes(buf, len)?)
    })?;
    g.set_u32(so_datalen, n)
}

pub(crate) fn sock_shutdown(
    ctx: &mut WasiCtx,
    _g: &mut Guest<'_>,
    fd: u32,
    how: u32,
) -> Result<(), Errno> {
    let how = u8::try_from(how).map_err(|_| Errno::Inval)?;
    if how == 0 || how & !(sock::SHUT_RD | sock::SHUT_WR) != 0 {
        return Err(Errno::Inval);
    }
    let conn = socket(ctx, fd)?;
    conn.sock_shutdown(how)
}
