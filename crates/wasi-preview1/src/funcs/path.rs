//! `path_*`: operations on paths beneath an open directory.

use crate::abi::{self, fdflags, oflags, rights, LOOKUP_SYMLINK_FOLLOW};
use crate::ctx::{Fd, Kept};
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
    ctx.require(fd, rights::PATH_CREATE_DIRECTORY)?;
    let path = g.path(path, path_len)?;
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
    ctx.require(fd, rights::PATH_FILESTAT_GET)?;
    let follow = follow(flags)?;
    let path = g.path(path, path_len)?;
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
    ctx.require(fd, rights::PATH_FILESTAT_SET_TIMES)?;
    let follow = follow(flags)?;
    let (atim, mtim) = abi::set_times(atim, mtim, fst_flags as u16)?;
    let path = g.path(path, path_len)?;
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
    let old_path = g.path(old_path, old_path_len)?;
    let new_path = g.path(new_path, new_path_len)?;
    ctx.require(old_fd, rights::PATH_LINK_SOURCE)?;
    ctx.require(new_fd, rights::PATH_LINK_TARGET)?;
    // The source must be writable too: a new name in a writable directory for
    // a file under a read-only mount would let the guest write to that file.
    let old_dir = ctx.writable_dir(old_fd)?;
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
    let path = g.path(path, path_len)?;
    g.bytes(result, 4)?;
    let directory = oflags & oflags::DIRECTORY != 0;
    // Rights are advisory in preview1: they only choose the access mode (a
    // request with none opens for reading), never make an open fail, unless the
    // guest gave up rights of the directory with `fd_fdstat_set_rights`.
    let options = OpenOptions {
        read: rights_base & (rights::FD_READ | rights::FD_READDIR) != 0,
        write: rights_base
            & (rights::FD_DATASYNC
                | rights::FD_WRITE
                | rights::FD_ALLOCATE
                | rights::FD_FILESTAT_SET_SIZE)
            != 0
            || fdflags & fdflags::APPEND != 0,
        create: oflags & oflags::CREAT != 0,
        exclusive: oflags & oflags::EXCL != 0,
        truncate: oflags & oflags::TRUNC != 0,
        directory,
        append: fdflags & fdflags::APPEND != 0,
        follow,
        fdflags,
    };
    ctx.require(
        fd,
        if options.create {
            rights::PATH_OPEN | rights::PATH_CREATE_FILE
        } else {
            rights::PATH_OPEN
        },
    )?;
    let inherited = ctx.kept(fd)?.inheriting;
    if rights_base & rights::ALL & !inherited != 0 {
        return Err(Errno::NotCapable);
    }
    let kept = Kept {
        base: inherited,
        inheriting: inherited,
    };
    let (dir, read_only) = ctx.dir(fd)?;
    if read_only && options.mutates() {
        return Err(Errno::Rofs);
    }
    let entry = match dir.open(&path, &options)? {
        Opened::File(file) => Fd::File {
            file,
            read_only,
            kept,
        },
        Opened::Dir(dir) => Fd::Dir {
            dir,
            preopen: None,
            read_only,
            kept,
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
    ctx.require(fd, rights::PATH_READLINK)?;
    let path = g.path(path, path_len)?;
    let target = ctx.dir(fd)?.0.readlink(&path)?;
    // Like readlink(2), a target longer than the buffer is cut short.
    let n = target.len().min(buf_len as usize);
    g.write(buf, &target[..n])?;
    g.set_u32(result, n as u32)
}

pub(crate) fn path_remove_directory(
    ctx: &mut WasiCtx,
    g: &mut Guest<'_>,
    fd: u32,
    path: u32,
    path_len: u32,
) -> Result<(), Errno> {
    ctx.require(fd, rights::PATH_REMOVE_DIRECTORY)?;
    let path = g.path(path, path_len)?;
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
    ctx.require(fd, rights::PATH_RENAME_SOURCE)?;
    ctx.require(new_fd, rights::PATH_RENAME_TARGET)?;
    let old_path = g.path(old_path, old_path_len)?;
    let new_path = g.path(new_path, new_path_len)?;
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
    ctx.require(fd, rights::PATH_SYMLINK)?;
    let target = g.path(old_path, old_path_len)?;
    let path = g.path(new_path, new_path_len)?;
    ctx.writable_dir(fd)?.symlink(&target, &path)
}

pub(crate) fn path_unlink_file(
    ctx: &mut WasiCtx,
    g: &mut Guest<'_>,
    fd: u32,
    path: u32,
    path_len: u32,
) -> Result<(), Errno> {
    ctx.require(fd, rights::PATH_UNLINK_FILE)?;
    let path = g.path(path, path_len)?;
    ctx.writable_dir(fd)?.unlink(&path)
}
