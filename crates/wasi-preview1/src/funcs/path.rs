//! `path_*`: operations on paths beneath an open directory.

use crate::abi::{self, fdflags, oflags, rights, LOOKUP_SYMLINK_FOLLOW};
use crate::ctx::Fd;
use crate::fs::{OpenOptions, Opened};
use crate::guest::Guest;
use crate::{Errno, WasiCtx};

fn follow(lookup_flags: u32) -> Result<bool, Errno> {
    if lookup_flags & !LOOKUP_SYMLINK_FOLLOW != 0 {
        return Err(Errno::Inval);
    }
    Ok(lookup_flags & LOOKUP_SYMLINK_FOLLOW != 0)
}

pub(crate) fn path_create_directory(
    ctx: &mut WasiCtx,
    g: &mut Guest<'_>,
    fd: u32,
    path: u32,
    path_len: u32,
) -> Result<(), Errno> {
    let path = g.string(path, path_len)?;
    ctx.writable_dir(fd)?.create_dir(&path)
}

pub(crate) fn path_filestat_get(
    ctx: &mut WasiCtx,
    g: &mut Guest<'_>,
    fd: u32,
    flags: u32,
    path: u32,
    path_len: u32,
    result: u32,
) -> Result<(), Errno> {
    let follow = follow(flags)?;
    let path = g.string(path, path_len)?;
    let stat = ctx.dir(fd)?.0.stat(&path, follow)?;
    g.write(result, &stat.encode())
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn path_filestat_set_times(
    ctx: &mut WasiCtx,
    g: &mut Guest<'_>,
    fd: u32,
    flags: u32,
    path: u32,
    path_len: u32,
    atim: u64,
    mtim: u64,
    fst_flags: u32,
) -> Result<(), Errno> {
    let follow = follow(flags)?;
    let (atim, mtim) = abi::set_times(atim, mtim, fst_flags as u16)?;
    let path = g.string(path, path_len)?;
    ctx.writable_dir(fd)?.set_times(&path, follow, atim, mtim)
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn path_link(
    ctx: &mut WasiCtx,
    g: &mut Guest<'_>,
    old_fd: u32,
    old_flags: u32,
    old_path: u32,
    old_path_len: u32,
    new_fd: u32,
    new_path: u32,
    new_path_len: u32,
) -> Result<(), Errno> {
    let follow = follow(old_flags)?;
    let old_path = g.string(old_path, old_path_len)?;
    let new_path = g.string(new_path, new_path_len)?;
    let (old_dir, _) = ctx.dir(old_fd)?;
    let new_dir = ctx.writable_dir(new_fd)?;
    old_dir.link(&old_path, follow, new_dir, &new_path)
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn path_open(
    ctx: &mut WasiCtx,
    g: &mut Guest<'_>,
    fd: u32,
    dirflags: u32,
    path: u32,
    path_len: u32,
    oflags: u32,
    rights_base: u64,
    _rights_inheriting: u64,
    fdflags: u32,
    result: u32,
) -> Result<(), Errno> {
    let follow = follow(dirflags)?;
    let (oflags, fdflags) = match (u16::try_from(oflags), u16::try_from(fdflags)) {
        (Ok(o), Ok(f)) if o & !oflags::ALL == 0 && f & !fdflags::ALL == 0 => (o, f),
        _ => return Err(Errno::Inval),
    };
    let path = g.string(path, path_len)?;
    g.bytes(result, 4)?;
    let options = OpenOptions {
        read: rights_base & (rights::FD_READ | rights::FD_READDIR) != 0,
        write: rights_base
            & (rights::FD_WRITE | rights::FD_ALLOCATE | rights::FD_FILESTAT_SET_SIZE)
            != 0
            || fdflags & fdflags::APPEND != 0,
        create: oflags & oflags::CREAT != 0,
        exclusive: oflags & oflags::EXCL != 0,
        truncate: oflags & oflags::TRUNC != 0,
        directory: oflags & oflags::DIRECTORY != 0,
        append: fdflags & fdflags::APPEND != 0,
        follow,
        fdflags,
    };
    let (dir, read_only) = ctx.dir(fd)?;
    if read_only && options.mutates() {
        return Err(Errno::Rofs);
    }
    let entry = match dir.open(&path, &options)? {
        Opened::File(file) => Fd::File { file, read_only },
        Opened::Dir(dir) => Fd::Dir {
            dir,
            preopen: None,
            read_only,
            listing: None,
        },
    };
    let new = ctx.insert(entry)?;
    g.set_u32(result, new)
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn path_readlink(
    ctx: &mut WasiCtx,
    g: &mut Guest<'_>,
    fd: u32,
    path: u32,
    path_len: u32,
    buf: u32,
    buf_len: u32,
    result: u32,
) -> Result<(), Errno> {
    let path = g.string(path, path_len)?;
    let target = ctx.dir(fd)?.0.readlink(&path)?;
    // Like readlink(2), a target longer than the buffer is cut short.
    let n = target.len().min(buf_len as usize);
    g.write(buf, &target.as_bytes()[..n])?;
    g.set_u32(result, n as u32)
}

pub(crate) fn path_remove_directory(
    ctx: &mut WasiCtx,
    g: &mut Guest<'_>,
    fd: u32,
    path: u32,
    path_len: u32,
) -> Result<(), Errno> {
    let path = g.string(path, path_len)?;
    ctx.writable_dir(fd)?.remove_dir(&path)
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn path_rename(
    ctx: &mut WasiCtx,
    g: &mut Guest<'_>,
    fd: u32,
    old_path: u32,
    old_path_len: u32,
    new_fd: u32,
    new_path: u32,
    new_path_len: u32,
) -> Result<(), Errno> {
    let old_path = g.string(old_path, old_path_len)?;
    let new_path = g.string(new_path, new_path_len)?;
    let old_dir = ctx.writable_dir(fd)?;
    let new_dir = ctx.writable_dir(new_fd)?;
    old_dir.rename(&old_path, new_dir, &new_path)
}

pub(crate) fn path_symlink(
    ctx: &mut WasiCtx,
    g: &mut Guest<'_>,
    old_path: u32,
    old_path_len: u32,
    fd: u32,
    new_path: u32,
    new_path_len: u32,
) -> Result<(), Errno> {
    let target = g.string(old_path, old_path_len)?;
    let path = g.string(new_path, new_path_len)?;
    ctx.writable_dir(fd)?.symlink(&target, &path)
}

pub(crate) fn path_unlink_file(
    ctx: &mut WasiCtx,
    g: &mut Guest<'_>,
    fd: u32,
    path: u32,
    path_len: u32,
) -> Result<(), Errno> {
    let path = g.string(path, path_len)?;
    ctx.writable_dir(fd)?.unlink(&path)
}
