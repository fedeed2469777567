//! The 46 functions, and how they are exported into a host module.

pub(crate) mod env;
pub(crate) mod fd;
pub(crate) mod path;
pub(crate) mod poll;
pub(crate) mod sock;

use std::io::Write as _;

use wazero_api::ExitCode;
use wazero_host::{Caller, HostModuleBuilder, HostModuleSink};

use crate::guest::Guest;
use crate::{Errno, WasiCtx};

/// Runs one WASI function for `caller`: finds its WASI state and memory, runs
/// `f`, logs the call if asked, and returns the errno.
fn call(
    caller: &mut Caller<'_>,
    name: &str,
    params: &[(&str, u64)],
    f: impl FnOnce(&mut WasiCtx, &mut Guest<'_>) -> Result<(), Errno>,
) -> u32 {
    let (memory, ctx) = caller.memory_and_sys::<WasiCtx>();
    // A module instantiated without a WASI state (only possible by bypassing
    // `ModuleConfig`) has no system to call into.
    let Some(ctx) = ctx else {
        return Errno::NoSys as u32;
    };
    let errno = match memory {
        Some(mem) => match f(ctx, &mut Guest { mem }) {
            Ok(()) => Errno::Success,
            Err(e) => e,
        },
        None => Errno::Fault,
    };
    log(ctx, name, params, errno.name());
    errno as u32
}

fn log(ctx: &mut WasiCtx, name: &str, params: &[(&str, u64)], outcome: &str) {
    if let Some(out) = &mut ctx.host_log {
        let mut line = format!("==> wasi_snapshot_preview1.{name}(");
        for (i, (p, v)) in params.iter().enumerate() {
            if i > 0 {
                line.push(',');
            }
            line.push_str(&format!("{p}={v}"));
        }
        line.push_str(&format!(")\n<== {outcome}\n"));
        // Logging is best effort: a failing log must not fail the guest.
        let _ = out.write_all(line.as_bytes());
    }
}

/// Exports each listed function as `name` calling `path(ctx, guest, params..)`.
macro_rules! export {
    ($b:ident; $($name:literal => $f:path => ($($p:ident: $t:ty),*);)*) => {$(
        $b = $b
            .new_function_builder()
            .with_func(|caller: &mut Caller<'_>, $($p: $t),*| -> u32 {
                call(caller, $name, &[$((stringify!($p), u64::from($p))),*], |ctx, g| {
                    $f(ctx, g, $($p),*)
                })
            })
            .with_parameter_names(&[$(stringify!($p)),*])
            .with_result_names(&["errno"])
            .export($name);
    )*};
}

/// `proc_exit`: closes the calling module with `code`.
fn proc_exit(caller: &mut Caller<'_>, code: u32) -> Result<(), ExitCode> {
    if let Some(ctx) = caller.sys_mut::<WasiCtx>() {
        log(ctx, "proc_exit", &[("rval", u64::from(code))], "exit");
    }
    Err(ExitCode(code))
}

/// Adds the 46 `wasi_snapshot_preview1` functions to `builder`, in the order of
/// the preview1 specification.
pub fn export_functions<S: HostModuleSink>(
    mut builder: HostModuleBuilder<S>,
) -> HostModuleBuilder<S> {
    use env::*;
    use fd::*;
    use path::*;
    use poll::*;
    use sock::*;
    export! { builder;
        "args_get" => args_get => (argv: u32, argv_buf: u32);
        "args_sizes_get" => args_sizes_get => (result_argc: u32, result_argv_len: u32);
        "environ_get" => environ_get => (environ: u32, environ_buf: u32);
        "environ_sizes_get" => environ_sizes_get => (result_environc: u32, result_environv_len: u32);
        "clock_res_get" => clock_res_get => (id: u32, result_resolution: u32);
        "clock_time_get" => clock_time_get => (id: u32, precision: u64, result_timestamp: u32);
        "fd_advise" => fd_advise => (fd: u32, offset: u64, len: u64, advice: u32);
        "fd_allocate" => fd_allocate => (fd: u32, offset: u64, len: u64);
        "fd_close" => fd_close => (fd: u32);
        "fd_datasync" => fd_datasync => (fd: u32);
        "fd_fdstat_get" => fd_fdstat_get => (fd: u32, result_stat: u32);
        "fd_fdstat_set_flags" => fd_fdstat_set_flags => (fd: u32, flags: u32);
        "fd_fdstat_set_rights" => fd_fdstat_set_rights => (fd: u32, fs_rights_base: u64, fs_rights_inheriting: u64);
        "fd_filestat_get" => fd_filestat_get => (fd: u32, result_buf: u32);
        "fd_filestat_set_size" => fd_filestat_set_size => (fd: u32, size: u64);
        "fd_filestat_set_times" => fd_filestat_set_times => (fd: u32, atim: u64, mtim: u64, fst_flags: u32);
        "fd_pread" => fd_pread => (fd: u32, iovs: u32, iovs_len: u32, offset: u64, result_nread: u32);
        "fd_prestat_get" => fd_prestat_get => (fd: u32, result_prestat: u32);
        "fd_prestat_dir_name" => fd_prestat_dir_name => (fd: u32, path: u32, path_len: u32);
        "fd_pwrite" => fd_pwrite => (fd: u32, iovs: u32, iovs_len: u32, offset: u64, result_nwritten: u32);
        "fd_read" => fd_read => (fd: u32, iovs: u32, iovs_len: u32, result_nread: u32);
        "fd_readdir" => fd_readdir => (fd: u32, buf: u32, buf_len: u32, cookie: u64, result_bufused: u32);
        "fd_renumber" => fd_renumber => (fd: u32, to: u32);
        "fd_seek" => fd_seek => (fd: u32, offset: u64, whence: u32, result_newoffset: u32);
        "fd_sync" => fd_sync => (fd: u32);
        "fd_tell" => fd_tell => (fd: u32, result_offset: u32);
        "fd_write" => fd_write => (fd: u32, iovs: u32, iovs_len: u32, result_nwritten: u32);
        "path_create_directory" => path_create_directory => (fd: u32, path: u32, path_len: u32);
        "path_filestat_get" => path_filestat_get => (fd: u32, flags: u32, path: u32, path_len: u32, result_buf: u32);
        "path_filestat_set_times" => path_filestat_set_times =>
            (fd: u32, flags: u32, path: u32, path_len: u32, atim: u64, mtim: u64, fst_flags: u32);
        "path_link" => path_link =>
            (old_fd: u32, old_flags: u32, old_path: u32, old_path_len: u32, new_fd: u32, new_path: u32, new_path_len: u32);
        "path_open" => path_open =>
            (fd: u32, dirflags: u32, path: u32, path_len: u32, oflags: u32, fs_rights_base: u64,
             fs_rights_inheriting: u64, fdflags: u32, result_opened_fd: u32);
        "path_readlink" => path_readlink =>
            (fd: u32, path: u32, path_len: u32, buf: u32, buf_len: u32, result_bufused: u32);
        "path_remove_directory" => path_remove_directory => (fd: u32, path: u32, path_len: u32);
        "path_rename" => path_rename =>
            (fd: u32, old_path: u32, old_path_len: u32, new_fd: u32, new_path: u32, new_path_len: u32);
        "path_symlink" => path_symlink =>
            (old_path: u32, old_path_len: u32, fd: u32, new_path: u32, new_path_len: u32);
        "path_unlink_file" => path_unlink_file => (fd: u32, path: u32, path_len: u32);
        "poll_oneoff" => poll_oneoff => (in_: u32, out: u32, nsubscriptions: u32, result_nevents: u32);
    }
    builder = builder
        .new_function_builder()
        .with_func(proc_exit)
        .with_parameter_names(&["rval"])
        .export("proc_exit");
    export! { builder;
        "proc_raise" => proc_raise => (sig: u32);
        "sched_yield" => sched_yield => ();
        "random_get" => random_get => (buf: u32, buf_len: u32);
        "sock_accept" => sock_accept => (fd: u32, flags: u32, result_fd: u32);
        "sock_recv" => sock_recv =>
            (fd: u32, ri_data: u32, ri_data_len: u32, ri_flags: u32, result_ro_datalen: u32, result_ro_flags: u32);
        "sock_send" => sock_send =>
            (fd: u32, si_data: u32, si_data_len: u32, si_flags: u32, result_so_datalen: u32);
        "sock_shutdown" => sock_shutdown => (fd: u32, how: u32);
    }
    builder
}

/// The names of the exported functions, in export order.
pub const FUNCTION_NAMES: [&str; 46] = [
    "args_get",
    "args_sizes_get",
    "environ_get",
    "environ_sizes_get",
    "clock_res_get",
    "clock_time_get",
    "fd_advise",
    "fd_allocate",
    "fd_close",
    "fd_datasync",
    "fd_fdstat_get",
    "fd_fdstat_set_flags",
    "fd_fdstat_set_rights",
    "fd_filestat_get",
    "fd_filestat_set_size",
    "fd_filestat_set_times",
    "fd_pread",
    "fd_prestat_get",
    "fd_prestat_dir_name",
    "fd_pwrite",
    "fd_read",
    "fd_readdir",
    "fd_renumber",
    "fd_seek",
    "fd_sync",
    "fd_tell",
    "fd_write",
    "path_create_directory",
    "path_filestat_get",
    "path_filestat_set_times",
    "path_link",
    "path_open",
    "path_readlink",
    "path_remove_directory",
    "path_rename",
    "path_symlink",
    "path_unlink_file",
    "poll_oneoff",
    "proc_exit",
    "proc_raise",
    "sched_yield",
    "random_get",
    "sock_accept",
    "sock_recv",
    "sock_send",
    "sock_shutdown",
];
