//! `poll_oneoff`: wait for clocks and for descriptors to become ready.

use crate::abi::{
    encode_event, eventtype, size, EVENT_FD_READWRITE_HANGUP, SUBSCRIPTION_CLOCK_ABSTIME,
};
use crate::ctx::Fd;
use crate::funcs::env::read_clock;
use crate::guest::Guest;
use crate::{Errno, WasiCtx};

/// A descriptor to wait on.
struct Wait {
    userdata: u64,
    fd: u32,
    ty: u8,
}

pub(crate) fn poll_oneoff(
    ctx: &mut WasiCtx,
    g: &mut Guest<'_>,
    input: u32,
    output: u32,
    nsubscriptions: u32,
    result: u32,
) -> Result<(), Errno> {
    if nsubscriptions == 0 {
        return Err(Errno::Inval);
    }
    let in_len = nsubscriptions
        .checked_mul(size::SUBSCRIPTION)
        .ok_or(Errno::Fault)?;
    let out_len = nsubscriptions
        .checked_mul(size::EVENT)
        .ok_or(Errno::Fault)?;
    g.bytes(input, in_len)?;
    g.bytes(output, out_len)?;
    g.bytes(result, 4)?;

    let mut ready: Vec<[u8; 32]> = Vec::new();
    // The clock subscriptions: (nanoseconds from now, userdata).
    let mut clocks: Vec<(u64, u64)> = Vec::new();
    let mut waits: Vec<Wait> = Vec::new();
    for i in 0..nsubscriptions {
        let at = input + i * size::SUBSCRIPTION;
        let sub = g.bytes(at, size::SUBSCRIPTION)?;
        let word = |o: usize| u64::from_le_bytes(sub[o..o + 8].try_into().unwrap_or_default());
        let userdata = word(0);
        let tag = sub[8];
        match tag {
            eventtype::CLOCK => {
                let id = u32::from_le_bytes(sub[16..20].try_into().unwrap_or_default());
                let timeout = word(24);
                let flags = u16::from_le_bytes([sub[40], sub[41]]);
                match read_clock(ctx, id) {
                    Ok(now) => {
                        let rel = if flags & SUBSCRIPTION_CLOCK_ABSTIME != 0 {
                            timeout.saturating_sub(now)
                        } else {
                            timeout
                        };
                        clocks.push((rel, userdata));
                    }
                    Err(e) => ready.push(encode_event(userdata, e as u16, tag, 0, 0)),
                }
            }
            eventtype::FD_READ | eventtype::FD_WRITE => {
                let fd = u32::from_le_bytes(sub[16..20].try_into().unwrap_or_default());
                match ctx.fds.get(fd as usize).and_then(Option::as_ref) {
                    Some(Fd::File { file, .. }) if file.poll_fd().is_some() => waits.push(Wait {
                        userdata,
                        fd,
                        ty: tag,
                    }),
                    // A stream with nothing to wait on (in-memory input, output
                    // buffers) is always ready.
                    Some(Fd::File { .. }) => ready.push(encode_event(userdata, 0, tag, 0, 0)),
                    Some(Fd::Dir { .. }) => {
                        ready.push(encode_event(userdata, Errno::Badf as u16, tag, 0, 0))
                    }
                    None => ready.push(encode_event(userdata, Errno::Badf as u16, tag, 0, 0)),
                }
            }
            _ => ready.push(encode_event(userdata, Errno::Inval as u16, tag, 0, 0)),
        }
    }

    let soonest = clocks.iter().map(|c| c.0).min();
    // Something is ready already: only look, do not wait.
    let wait_for = if ready.is_empty() { soonest } else { Some(0) };
    if !waits.is_empty() {
        ready.extend(poll_fds(ctx, &waits, wait_for)?);
    } else if let (true, Some(ns)) = (ready.is_empty(), soonest) {
        ctx.sleep(ns);
    }
    if ready.is_empty() || soonest == Some(0) {
        if let Some(min) = soonest {
            for &(rel, userdata) in &clocks {
                if rel <= min {
                    ready.push(encode_event(userdata, 0, eventtype::CLOCK, 0, 0));
                }
            }
        }
    }
    for (i, event) in ready.iter().enumerate() {
        g.write(output + i as u32 * size::EVENT, event)?;
    }
    g.set_u32(result, ready.len() as u32)
}

#[cfg(unix)]
fn poll_fds(
    ctx: &WasiCtx,
    waits: &[Wait],
    timeout_ns: Option<u64>,
) -> Result<Vec<[u8; 32]>, Errno> {
    use rustix::event::{PollFd, PollFlags};
    let mut fds: Vec<PollFd<'_>> = Vec::with_capacity(waits.len());
    for w in waits {
        let Some(Fd::File { file, .. }) = ctx.fds.get(w.fd as usize).and_then(Option::as_ref)
        else {
            return Err(Errno::Badf);
        };
        let fd = file.poll_fd().ok_or(Errno::Badf)?;
        let events = if w.ty == eventtype::FD_READ {
            PollFlags::IN
        } else {
            PollFlags::OUT
        };
        fds.push(PollFd::from_borrowed_fd(fd, events));
    }
    let timeout = timeout_ns.map(|ns| rustix::time::Timespec {
        tv_sec: (ns / 1_000_000_000) as _,
        tv_nsec: (ns % 1_000_000_000) as _,
    });
    loop {
        match rustix::event::poll(&mut fds, timeout.as_ref()) {
            Err(rustix::io::Errno::INTR) => continue,
            r => {
                r?;
                break;
            }
        }
    }
    let mut events = Vec::new();
    for (w, fd) in waits.iter().zip(&fds) {
        let revents = fd.revents();
        if revents.is_empty() {
            continue;
        }
        let (error, flags) = if revents.contains(PollFlags::NVAL) {
            (Errno::Badf as u16, 0)
        } else if revents.contains(PollFlags::HUP) {
            (0, EVENT_FD_READWRITE_HANGUP)
        } else if revents.contains(PollFlags::ERR) {
            (Errno::Io as u16, 0)
        } else {
            (0, 0)
        };
        events.push(encode_event(w.userdata, error, w.ty, 0, flags));
    }
    Ok(events)
}
