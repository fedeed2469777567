//! Arguments, environment, clocks, randomness, and the process.

use crate::abi::clockid;
use crate::guest::Guest;
use crate::{Errno, WasiCtx};

/// Writes `values` as NUL-terminated strings at `buf` and their addresses at
/// `ptrs` (`args_get`, `environ_get`).
fn write_strings(g: &mut Guest<'_>, values: &[Vec<u8>], ptrs: u32, buf: u32) -> Result<(), Errno> {
    let mut at = buf;
    for (i, value) in values.iter().enumerate() {
        g.set_u32(ptrs.checked_add(4 * i as u32).ok_or(Errno::Fault)?, at)?;
        g.write(at, value)?;
        let end = at.checked_add(value.len() as u32).ok_or(Errno::Fault)?;
        g.write(end, &[0])?;
        at = end + 1;
    }
    Ok(())
}

/// Writes the count of `values` and their total size with terminators.
fn write_sizes(g: &mut Guest<'_>, values: &[Vec<u8>], count: u32, size: u32) -> Result<(), Errno> {
    let total: usize = values.iter().map(|v| v.len() + 1).sum();
    g.set_u32(count, values.len() as u32)?;
    g.set_u32(size, u32::try_from(total).map_err(|_| Errno::Overflow)?)
}

pub(crate) fn args_get(
    ctx: &mut WasiCtx,
    g: &mut Guest<'_>,
    argv: u32,
    argv_buf: u32,
) -> Result<(), Errno> {
    write_strings(g, &ctx.args, argv, argv_buf)
}

pub(crate) fn args_sizes_get(
    ctx: &mut WasiCtx,
    g: &mut Guest<'_>,
    argc: u32,
    argv_len: u32,
) -> Result<(), Errno> {
    write_sizes(g, &ctx.args, argc, argv_len)
}

pub(crate) fn environ_get(
    ctx: &mut WasiCtx,
    g: &mut Guest<'_>,
    environ: u32,
    environ_buf: u32,
) -> Result<(), Errno> {
    write_strings(g, &ctx.env, environ, environ_buf)
}

pub(crate) fn environ_sizes_get(
    ctx: &mut WasiCtx,
    g: &mut Guest<'_>,
    environc: u32,
    environ_len: u32,
) -> Result<(), Errno> {
    write_sizes(g, &ctx.env, environc, environ_len)
}

/// CPU time of the process or thread, where the host has it.
fn cpu_time(ctx: &WasiCtx, id: u32) -> Result<u64, Errno> {
    if !ctx.system_clocks() {
        // Fake clocks stay deterministic: CPU time follows the monotonic clock.
        return Ok(ctx.nanotime());
    }
    #[cfg(unix)]
    {
        let clock = if id == clockid::PROCESS_CPUTIME {
            rustix::time::ClockId::ProcessCPUTime
        } else {
            rustix::time::ClockId::ThreadCPUTime
        };
        let t = rustix::time::clock_gettime(clock);
        Ok(t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64)
    }
    #[cfg(not(unix))]
    {
        let _ = id;
        Err(Errno::NotSup)
    }
}

pub(crate) fn clock_res_get(
    ctx: &mut WasiCtx,
    g: &mut Guest<'_>,
    id: u32,
    result: u32,
) -> Result<(), Errno> {
    let resolution = match id {
        clockid::REALTIME => ctx.walltime.resolution,
        clockid::MONOTONIC | clockid::PROCESS_CPUTIME | clockid::THREAD_CPUTIME => {
            ctx.nanotime.resolution
        }
        _ => return Err(Errno::Inval),
    };
    g.set_u64(result, resolution)
}

/// Reads clock `id` (nanoseconds).
pub(crate) fn read_clock(ctx: &WasiCtx, id: u32) -> Result<u64, Errno> {
    match id {
        clockid::REALTIME => Ok(ctx.walltime()),
        clockid::MONOTONIC => Ok(ctx.nanotime()),
        clockid::PROCESS_CPUTIME | clockid::THREAD_CPUTIME => cpu_time(ctx, id),
        _ => Err(Errno::Inval),
    }
}

pub(crate) fn clock_time_get(
    ctx: &mut WasiCtx,
    g: &mut Guest<'_>,
    id: u32,
    _precision: u64,
    result: u32,
) -> Result<(), Errno> {
    let now = read_clock(ctx, id)?;
    g.set_u64(result, now)
}

pub(crate) fn random_get(
    ctx: &mut WasiCtx,
    g: &mut Guest<'_>,
    buf: u32,
    len: u32,
) -> Result<(), Errno> {
    let dest = g.bytes_mut(buf, len)?;
    ctx.fill_random(dest)
}

pub(crate) fn sched_yield(_ctx: &mut WasiCtx, _g: &mut Guest<'_>) -> Result<(), Errno> {
    std::thread::yield_now();
    Ok(())
}

/// Raising a signal has no meaning in the sandbox: the guest cannot be signalled
/// or signal its host.
pub(crate) fn proc_raise(_ctx: &mut WasiCtx, _g: &mut Guest<'_>, _sig: u32) -> Result<(), Errno> {
    Err(Errno::NoSys)
}
