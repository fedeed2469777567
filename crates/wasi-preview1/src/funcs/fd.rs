//! `fd_*`: operations on open descriptors.

use crate::abi::{
    self, encode_dirent, encode_fdstat, fdflags, filetype, rights, size, whence, ADVICE_MAX,
};
use crate::ctx::{Fd, Kept, Listing};
use crate::fs::FileLike;
use crate::guest::{each_iovec, Guest};
use crate::{Errno, WasiCtx};

pub(crate) fn fd_advise(
    ctx: &mut WasiCtx,
    _g: &mut Guest<'_>,
    fd: u32,
    offset: u64,
    len: u64,
    advice: u32,
) -> Result<(), Errno> {
    ctx.require(fd, rights::FD_ADVISE)?;
    let (file, _) = ctx.file(fd)?;
    if advice > u32::from(ADVICE_MAX) {
        return Err(Errno::Inval);
    }
    if file.filetype() != filetype::REGULAR_FILE {
        return Err(Errno::Spipe);
    }
    file.advise(offset, len, advice as u8)
}

pub(crate) fn fd_allocate(
    ctx: &mut WasiCtx,
    _g: &mut Guest<'_>,
    fd: u32,
    offset: u64,
    len: u64,
) -> Result<(), Errno> {
    ctx.require(fd, rights::FD_ALLOCATE)?;
    let (file, read_only) = ctx.file(fd)?;
    if read_only {
        return Err(Errno::Rofs);
    }
    if len == 0
        || offset
            .checked_add(len)
            .is_none_or(|end| end > i64::MAX as u64)
    {
        return Err(Errno::Inval);
    }
    file.allocate(offset, len)
}

pub(crate) fn fd_close(ctx: &mut WasiCtx, _g: &mut Guest<'_>, fd: u32) -> Result<(), Errno> {
    ctx.close(fd)
}

pub(crate) fn fd_datasync(ctx: &mut WasiCtx, _g: &mut Guest<'_>, fd: u32) -> Result<(), Errno> {
    ctx.require(fd, rights::FD_DATASYNC)?;
    match ctx.fd(fd)? {
        Fd::File { file, .. } => file.datasync(),
        Fd::Dir { dir, .. } => dir.sync(),
    }
}

pub(crate) fn fd_sync(ctx: &mut WasiCtx, _g: &mut Guest<'_>, fd: u32) -> Result<(), Errno> {
    ctx.require(fd, rights::FD_SYNC)?;
    match ctx.fd(fd)? {
        Fd::File { file, .. } => file.sync(),
        Fd::Dir { dir, .. } => dir.sync(),
    }
}

/// The rights a descriptor reports: what its kind and access mode allow (a
/// standard stream has no seek or tell, which is how wasi-libc's `isatty`
/// recognizes a terminal), less what the guest gave up.
fn rights_of(entry: &Fd) -> (u8, u16, u64, u64) {
    match entry {
        Fd::File {
            file,
            read_only,
            kept,
        } => {
            let ft = file.filetype();
            let mut base = match ft {
                filetype::CHARACTER_DEVICE => {
                    rights::FD_READ
                        | rights::FD_WRITE
                        | rights::POLL_FD_READWRITE
                        | rights::FD_FDSTAT_SET_FLAGS
                        | rights::FD_FILESTAT_GET
                }
                filetype::SOCKET_STREAM => {
                    rights::FD_READ
                        | rights::FD_WRITE
                        | rights::POLL_FD_READWRITE
                        | rights::FD_FDSTAT_SET_FLAGS
                        | rights::FD_FILESTAT_GET
                        | rights::SOCK_SHUTDOWN
                        | rights::SOCK_ACCEPT
                }
                _ => rights::FILE,
            };
            let (read, write) = file.access();
            if !read {
                base &= !rights::FD_READ;
            }
            if !write || *read_only {
                base &= !rights::FILE_WRITE;
            }
            if *read_only {
                base &= !rights::FD_FILESTAT_SET_TIMES;
            }
            (ft, file.fdflags(), base & kept.base, 0)
        }
        Fd::Dir {
            read_only, kept, ..
        } => {
            let (mut base, mut inheriting) = (rights::DIRECTORY, rights::DIRECTORY_INHERITING);
            if *read_only {
                base &= !rights::DIRECTORY_WRITE;
                inheriting &= !(rights::DIRECTORY_WRITE | rights::FILE_WRITE);
            }
            (
                filetype::DIRECTORY,
                0,
                base & kept.base,
                inheriting & kept.inheriting,
            )
        }
    }
}

pub(crate) fn fd_fdstat_get(
    ctx: &mut WasiCtx,
    g: &mut Guest<'_>,
    fd: u32,
    result: u32,
) -> Result<(), Errno> {
    let (ft, flags, base, inheriting) = rights_of(ctx.fd(fd)?);
    g.write(result, &encode_fdstat(ft, flags, base, inheriting))
}

pub(crate) fn fd_fdstat_set_flags(
    ctx: &mut WasiCtx,
    _g: &mut Guest<'_>,
    fd: u32,
    flags: u32,
) -> Result<(), Errno> {
    ctx.require(fd, rights::FD_FDSTAT_SET_FLAGS)?;
    let flags = u16::try_from(flags).map_err(|_| Errno::Inval)?;
    if flags & !fdflags::ALL != 0 {
        return Err(Errno::Inval);
    }
    match ctx.fd(fd)? {
        Fd::File {
            file, read_only, ..
        } => {
            if *read_only && flags & fdflags::APPEND != 0 {
                return Err(Errno::Rofs);
            }
            file.set_fdflags(flags)
        }
        Fd::Dir { .. } if flags == 0 => Ok(()),
        Fd::Dir { .. } => Err(Errno::Badf),
    }
}

/// Gives rights up: asking for one the descriptor does not have is
/// `ENOTCAPABLE`; from then on, functions needing a right given up answer
/// `ENOTCAPABLE`, and descriptors opened beneath a directory get no more than
/// its inheriting rights.
pub(crate) fn fd_fdstat_set_rights(
    ctx: &mut WasiCtx,
    _g: &mut Guest<'_>,
    fd: u32,
    base: u64,
    inheriting: u64,
) -> Result<(), Errno> {
    let entry = ctx.fd(fd)?;
    let (_, _, has_base, has_inheriting) = rights_of(entry);
    if base & !has_base != 0 || inheriting & !has_inheriting != 0 {
        return Err(Errno::NotCapable);
    }
    let (Fd::File { kept, .. } | Fd::Dir { kept, .. }) = entry;
    *kept = Kept { base, inheriting };
    Ok(())
}

pub(crate) fn fd_filestat_get(
    ctx: &mut WasiCtx,
    g: &mut Guest<'_>,
    fd: u32,
    result: u32,
) -> Result<(), Errno> {
    ctx.require(fd, rights::FD_FILESTAT_GET)?;
    let stat = match ctx.fd(fd)? {
        Fd::File { file, .. } => file.filestat()?,
        Fd::Dir { dir, .. } => dir.filestat()?,
    };
    g.write(result, &stat.encode())
}

pub(crate) fn fd_filestat_set_size(
    ctx: &mut WasiCtx,
    _g: &mut Guest<'_>,
    fd: u32,
    size: u64,
) -> Result<(), Errno> {
    ctx.require(fd, rights::FD_FILESTAT_SET_SIZE)?;
    let (file, read_only) = ctx.file(fd)?;
    if read_only {
        return Err(Errno::Rofs);
    }
    if size > i64::MAX as u64 {
        return Err(Errno::Inval);
    }
    file.set_size(size)
}

pub(crate) fn fd_filestat_set_times(
    ctx: &mut WasiCtx,
    _g: &mut Guest<'_>,
    fd: u32,
    atim: u64,
    mtim: u64,
    fst_flags: u32,
) -> Result<(), Errno> {
    ctx.require(fd, rights::FD_FILESTAT_SET_TIMES)?;
    let (atim, mtim) = abi::set_times(atim, mtim, fst_flags as u16)?;
    match ctx.fd(fd)? {
        Fd::File {
            read_only: true, ..
        }
        | Fd::Dir {
            read_only: true, ..
        } => Err(Errno::Rofs),
        Fd::File { file, .. } => file.set_times(atim, mtim),
        Fd::Dir { dir, .. } => dir.set_own_times(atim, mtim),
    }
}

/// Moves bytes between the file `fd` and the guest's iovecs, one iovec at a time
/// with `op(file, guest, buf, len, moved_so_far)`, and stores the count moved at
/// `result` (`fd_read`, `fd_write`, `fd_pread`, `fd_pwrite`).
fn transfer<'a>(
    ctx: &mut WasiCtx,
    g: &mut Guest<'a>,
    (fd, iovs, iovs_len, result): (u32, u32, u32, u32),
    mut op: impl FnMut(&mut dyn FileLike, &mut Guest<'a>, u32, u32, u64) -> Result<usize, Errno>,
) -> Result<(), Errno> {
    let (file, _) = ctx.file(fd)?;
    let n = each_iovec(g, iovs, iovs_len, |g, buf, len, done| {
        op(file, g, buf, len, done)
    })?;
    g.set_u32(result, n)
}

pub(crate) fn fd_pread(
    ctx: &mut WasiCtx,
    g: &mut Guest<'_>,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    offset: u64,
    result: u32,
) -> Result<(), Errno> {
    ctx.require(fd, rights::FD_READ | rights::FD_SEEK)?;
    transfer(
        ctx,
        g,
        (fd, iovs, iovs_len, result),
        |f, g, buf, len, done| {
            f.pread(
                g.bytes_mut(buf, len)?,
                offset.checked_add(done).ok_or(Errno::Inval)?,
            )
        },
    )
}

pub(crate) fn fd_pwrite(
    ctx: &mut WasiCtx,
    g: &mut Guest<'_>,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    offset: u64,
    result: u32,
) -> Result<(), Errno> {
    ctx.require(fd, rights::FD_WRITE | rights::FD_SEEK)?;
    transfer(
        ctx,
        g,
        (fd, iovs, iovs_len, result),
        |f, g, buf, len, done| {
            f.pwrite(
                g.bytes(buf, len)?,
                offset.checked_add(done).ok_or(Errno::Inval)?,
            )
        },
    )
}

pub(crate) fn fd_read(
    ctx: &mut WasiCtx,
    g: &mut Guest<'_>,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    result: u32,
) -> Result<(), Errno> {
    ctx.require(fd, rights::FD_READ)?;
    transfer(ctx, g, (fd, iovs, iovs_len, result), |f, g, buf, len, _| {
        f.read(g.bytes_mut(buf, len)?)
    })
}

pub(crate) fn fd_write(
    ctx: &mut WasiCtx,
    g: &mut Guest<'_>,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    result: u32,
) -> Result<(), Errno> {
    ctx.require(fd, rights::FD_WRITE)?;
    transfer(ctx, g, (fd, iovs, iovs_len, result), |f, g, buf, len, _| {
        f.write(g.bytes(buf, len)?)
    })
}

pub(crate) fn fd_prestat_get(
    ctx: &mut WasiCtx,
    g: &mut Guest<'_>,
    fd: u32,
    result: u32,
) -> Result<(), Errno> {
    match ctx.fd(fd)? {
        Fd::Dir {
            preopen: Some(name),
            ..
        } => {
            let mut prestat = [0u8; size::PRESTAT as usize];
            prestat[4..8].copy_from_slice(&(name.len() as u32).to_le_bytes());
            g.write(result, &prestat)
        }
        // wasi-libc scans descriptors from 3 until `EBADF`.
        _ => Err(Errno::Badf),
    }
}

pub(crate) fn fd_prestat_dir_name(
    ctx: &mut WasiCtx,
    g: &mut Guest<'_>,
    fd: u32,
    path: u32,
    path_len: u32,
) -> Result<(), Errno> {
    match ctx.fd(fd)? {
        Fd::Dir {
            preopen: Some(name),
            ..
        } => {
            if (path_len as usize) < name.len() {
                return Err(Errno::NameTooLong);
            }
            g.write(path, name.as_bytes())
        }
        _ => Err(Errno::Badf),
    }
}

pub(crate) fn fd_readdir(
    ctx: &mut WasiCtx,
    g: &mut Guest<'_>,
    fd: u32,
    buf: u32,
    buf_len: u32,
    cookie: u64,
    result: u32,
) -> Result<(), Errno> {
    ctx.require(fd, rights::FD_READDIR)?;
    let Fd::Dir { dir, listing, .. } = ctx.fd(fd)? else {
        return Err(Errno::NotDir);
    };
    g.bytes(buf, buf_len)?;
    // Going on from where the last call stopped is the usual case; any other
    // cookie reads the directory again from its start up to that entry.
    if listing.as_ref().is_none_or(|l| l.pos != cookie) {
        let mut fresh = Listing::open(dir.as_ref())?;
        while fresh.pos < cookie {
            match fresh.next() {
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e),
                None => break,
            }
        }
        *listing = Some(fresh);
    }
    let Some(listing) = listing.as_mut() else {
        return Err(Errno::Io);
    };
    // Entries are written whole while they fit, then the last one cut short
    // (and kept for the next call): a full buffer tells the guest to call
    // again from the last whole entry.
    let mut used: u32 = 0;
    while used < buf_len {
        let Some(entry) = listing.next().transpose()? else {
            break;
        };
        let name = &entry.name;
        let header = encode_dirent(listing.pos, entry.ino, name.len() as u32, entry.filetype);
        let mut whole = true;
        for part in [&header[..], name] {
            let room = (buf_len - used) as usize;
            let n = part.len().min(room);
            g.write(buf + used, &part[..n])?;
            used += n as u32;
            whole &= n == part.len();
        }
        if !whole {
            listing.unread(entry);
        }
    }
    g.set_u32(result, used)
}

pub(crate) fn fd_renumber(
    ctx: &mut WasiCtx,
    _g: &mut Guest<'_>,
    fd: u32,
    to: u32,
) -> Result<(), Errno> {
    ctx.fd(fd)?;
    ctx.fd(to)?;
    if fd != to {
        let entry = ctx.fds[fd as usize].take();
        ctx.fds[to as usize] = entry;
    }
    Ok(())
}

pub(crate) fn fd_seek(
    ctx: &mut WasiCtx,
    g: &mut Guest<'_>,
    fd: u32,
    offset: u64,
    whence: u32,
    result: u32,
) -> Result<(), Errno> {
    // Asking where the position is (0 from the current one) is telling.
    let right = if offset == 0 && whence == u32::from(whence::CUR) {
        rights::FD_TELL
    } else {
        rights::FD_SEEK
    };
    ctx.require(fd, right)?;
    let (file, _) = ctx.file(fd)?;
    let whence = u8::try_from(whence).map_err(|_| Errno::Inval)?;
    if whence > whence::END {
        return Err(Errno::Inval);
    }
    let pos = file.seek(offset as i64, whence)?;
    g.set_u64(result, pos)
}

pub(crate) fn fd_tell(
    ctx: &mut WasiCtx,
    g: &mut Guest<'_>,
    fd: u32,
    result: u32,
) -> Result<(), Errno> {
    ctx.require(fd, rights::FD_TELL)?;
    let (file, _) = ctx.file(fd)?;
    let pos = file.seek(0, whence::CUR)?;
    g.set_u64(result, pos)
}
