//! The part of WASI preview1 the real programs of `programs` need, for wasmi
//! and wasmtime (wazero runs them on its own `wasi_snapshot_preview1`):
//! arguments, an in-memory stdin and stdout, clocks and exit; no files (every
//! path operation fails, there are no preopened directories). The programs are
//! compute-bound, so what these cost hardly shows; they make the engines
//! comparable on the same binaries without a WASI crate of each.

/// A program's standard streams and arguments.
#[derive(Default)]
pub struct Ctx {
    /// `argv`, each without its terminating NUL.
    pub args: Vec<Vec<u8>>,
    /// What the program reads from fd 0.
    pub stdin: Vec<u8>,
    /// How much of `stdin` it has read.
    pub stdin_at: usize,
    /// What it wrote to fds 1 and 2.
    pub stdout: Vec<u8>,
}

/// WASI's errno values used here.
pub mod errno {
    pub const SUCCESS: i32 = 0;
    pub const BADF: i32 = 8;
    pub const INVAL: i32 = 28;
    pub const NOENT: i32 = 44;
    pub const NOSYS: i32 = 52;
    pub const SPIPE: i32 = 70;
}

/// Reads a little-endian `u32` at `at`, if in bounds.
pub fn read_u32(memory: &[u8], at: u32) -> Option<u32> {
    let at = at as usize;
    let bytes = memory.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(bytes.try_into().ok()?))
}

/// Writes a little-endian value of `N` bytes at `at`; false if out of bounds.
pub fn write_le<const N: usize>(memory: &mut [u8], at: u32, value: [u8; N]) -> bool {
    let at = at as usize;
    match at.checked_add(N).and_then(|end| memory.get_mut(at..end)) {
        Some(dst) => {
            dst.copy_from_slice(&value);
            true
        }
        None => false,
    }
}

/// `args_sizes_get` / `environ_sizes_get` of `items`.
pub fn sizes(memory: &mut [u8], items: &[Vec<u8>], count_at: u32, size_at: u32) -> i32 {
    let size: usize = items.iter().map(|a| a.len() + 1).sum();
    let ok = write_le(memory, count_at, (items.len() as u32).to_le_bytes())
        && write_le(memory, size_at, (size as u32).to_le_bytes());
    if ok {
        errno::SUCCESS
    } else {
        errno::INVAL
    }
}

/// `args_get` / `environ_get` of `items`.
pub fn list(memory: &mut [u8], items: &[Vec<u8>], pointers_at: u32, buf_at: u32) -> i32 {
    let mut at = buf_at;
    for (i, item) in items.iter().enumerate() {
        let slot = pointers_at + 4 * i as u32;
        let end = at as usize + item.len();
        let Some(dst) = memory.get_mut(at as usize..end + 1) else {
            return errno::INVAL;
        };
        dst[..item.len()].copy_from_slice(item);
        dst[item.len()] = 0;
        if !write_le(memory, slot, at.to_le_bytes()) {
            return errno::INVAL;
        }
        at = end as u32 + 1;
    }
    errno::SUCCESS
}

/// The buffer (address, length) of iovec `i` of the array at `iovs`.
fn iovec(memory: &[u8], iovs: u32, i: u32) -> Option<(usize, usize)> {
    let ptr = read_u32(memory, iovs.checked_add(8 * i)?)?;
    let len = read_u32(memory, iovs.checked_add(8 * i + 4)?)?;
    Some((ptr as usize, len as usize))
}

/// `fd_write` to stdout or stderr (both kept in `out`).
pub fn fd_write(
    memory: &mut [u8],
    out: &mut Vec<u8>,
    fd: i32,
    iovs: u32,
    n: u32,
    nwritten: u32,
) -> i32 {
    if fd != 1 && fd != 2 {
        return errno::BADF;
    }
    let mut total = 0u32;
    for i in 0..n {
        let Some((ptr, len)) = iovec(memory, iovs, i) else {
            return errno::INVAL;
        };
        let Some(bytes) = memory.get(ptr..ptr + len) else {
            return errno::INVAL;
        };
        out.extend_from_slice(bytes);
        total += len as u32;
    }
    if write_le(memory, nwritten, total.to_le_bytes()) {
        errno::SUCCESS
    } else {
        errno::INVAL
    }
}

/// `fd_read` from stdin.
pub fn fd_read(memory: &mut [u8], cx: &mut Ctx, fd: i32, iovs: u32, n: u32, nread: u32) -> i32 {
    if fd != 0 {
        return errno::BADF;
    }
    let mut total = 0u32;
    for i in 0..n {
        let Some((ptr, len)) = iovec(memory, iovs, i) else {
            return errno::INVAL;
        };
        let rest = &cx.stdin[cx.stdin_at..];
        let k = rest.len().min(len);
        let Some(dst) = memory.get_mut(ptr..ptr + k) else {
            return errno::INVAL;
        };
        dst.copy_from_slice(&rest[..k]);
        cx.stdin_at += k;
        total += k as u32;
    }
    if write_le(memory, nread, total.to_le_bytes()) {
        errno::SUCCESS
    } else {
        errno::INVAL
    }
}

/// `fd_fdstat_get`: fds 0-2 are character devices, others do not exist.
pub fn fd_fdstat_get(memory: &mut [u8], fd: i32, at: u32) -> i32 {
    if !(0..=2).contains(&fd) {
        return errno::BADF;
    }
    // filetype character device (2), no flags, all rights.
    let mut stat = [0u8; 24];
    stat[0] = 2;
    stat[8..16].copy_from_slice(&u64::MAX.to_le_bytes());
    stat[16..24].copy_from_slice(&u64::MAX.to_le_bytes());
    if write_le(memory, at, stat) {
        errno::SUCCESS
    } else {
        errno::INVAL
    }
}

/// `clock_time_get`: nanoseconds since the Unix epoch (realtime) or since an
/// arbitrary point (the other clocks).
pub fn clock_time_get(memory: &mut [u8], at: u32) -> i32 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    if write_le(memory, at, now.to_le_bytes()) {
        errno::SUCCESS
    } else {
        errno::INVAL
    }
}

/// Defines the shim's functions in a wasmi or wasmtime `Linker<Ctx>`: `$rt`
/// names the crate, `$exit` makes the error that ends the program with a
/// status.
macro_rules! define_wasi {
    ($linker:expr, $rt:ident, $exit:expr) => {{
        use $crate::mini_wasi::*;
        type C<'a> = $rt::Caller<'a, Ctx>;
        const M: &str = "wasi_snapshot_preview1";
        fn memory<'a>(caller: &'a mut C<'_>) -> (&'a mut [u8], &'a mut Ctx) {
            match caller
                .get_export("memory")
                .and_then($rt::Extern::into_memory)
            {
                Some(m) => m.data_and_store_mut(caller),
                None => (&mut [], caller.data_mut()),
            }
        }
        let l = $linker;
        l.func_wrap(M, "args_sizes_get", |mut c: C<'_>, n: i32, s: i32| {
            let (mem, cx) = memory(&mut c);
            sizes(mem, &cx.args, n as u32, s as u32)
        })?;
        l.func_wrap(M, "args_get", |mut c: C<'_>, p: i32, b: i32| {
            let (mem, cx) = memory(&mut c);
            list(mem, &cx.args, p as u32, b as u32)
        })?;
        l.func_wrap(M, "environ_sizes_get", |mut c: C<'_>, n: i32, s: i32| {
            let (mem, _) = memory(&mut c);
            sizes(mem, &[], n as u32, s as u32)
        })?;
        l.func_wrap(M, "environ_get", |_: C<'_>, _: i32, _: i32| errno::SUCCESS)?;
        l.func_wrap(
            M,
            "clock_time_get",
            |mut c: C<'_>, _: i32, _: i64, at: i32| {
                let (mem, _) = memory(&mut c);
                clock_time_get(mem, at as u32)
            },
        )?;
        l.func_wrap(
            M,
            "fd_write",
            |mut c: C<'_>, fd: i32, iovs: i32, n: i32, w: i32| {
                let (mem, cx) = memory(&mut c);
                fd_write(mem, &mut cx.stdout, fd, iovs as u32, n as u32, w as u32)
            },
        )?;
        l.func_wrap(
            M,
            "fd_read",
            |mut c: C<'_>, fd: i32, iovs: i32, n: i32, r: i32| {
                let (mem, cx) = memory(&mut c);
                fd_read(mem, cx, fd, iovs as u32, n as u32, r as u32)
            },
        )?;
        l.func_wrap(M, "fd_fdstat_get", |mut c: C<'_>, fd: i32, at: i32| {
            let (mem, _) = memory(&mut c);
            fd_fdstat_get(mem, fd, at as u32)
        })?;
        l.func_wrap(M, "fd_fdstat_set_flags", |_: C<'_>, _: i32, _: i32| {
            errno::SUCCESS
        })?;
        l.func_wrap(M, "fd_close", |_: C<'_>, _: i32| errno::SUCCESS)?;
        l.func_wrap(M, "fd_seek", |_: C<'_>, fd: i32, _: i64, _: i32, _: i32| {
            if (0..=2).contains(&fd) {
                errno::SPIPE
            } else {
                errno::BADF
            }
        })?;
        l.func_wrap(M, "fd_prestat_get", |_: C<'_>, _: i32, _: i32| errno::BADF)?;
        l.func_wrap(
            M,
            "fd_prestat_dir_name",
            |_: C<'_>, _: i32, _: i32, _: i32| errno::BADF,
        )?;
        l.func_wrap(M, "fd_renumber", |_: C<'_>, _: i32, _: i32| errno::NOSYS)?;
        l.func_wrap(
            M,
            "path_open",
            |_: C<'_>, _: i32, _: i32, _: i32, _: i32, _: i32, _: i64, _: i64, _: i32, _: i32| {
                errno::NOENT
            },
        )?;
        l.func_wrap(M, "path_unlink_file", |_: C<'_>, _: i32, _: i32, _: i32| {
            errno::NOENT
        })?;
        l.func_wrap(
            M,
            "path_remove_directory",
            |_: C<'_>, _: i32, _: i32, _: i32| errno::NOENT,
        )?;
        l.func_wrap(
            M,
            "path_rename",
            |_: C<'_>, _: i32, _: i32, _: i32, _: i32, _: i32, _: i32| errno::NOENT,
        )?;
        l.func_wrap(
            M,
            "proc_exit",
            |_: C<'_>, code: i32| -> ::core::result::Result<(), $rt::Error> { Err($exit(code)) },
        )?;
    }};
}

pub(crate) use define_wasi;
