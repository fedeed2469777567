//! The process's handler of `SIGILL`, `SIGSEGV`, `SIGBUS` and `SIGFPE` that
//! turns a trap site of compiled code into a trap (see [`crate::arch`]): a trap
//! instruction (`ud2`) of a wasm trap, or a linear-memory access that hit a
//! guard page.
//!
//! The handler claims a signal only when this thread is running compiled code
//! ([`ACTIVE`] holds its VM context) and the faulting instruction is one of that
//! code's trap sites. Every other signal goes to the handler that was installed
//! before (Rust's stack-overflow reporter, a debugger's, or the default action),
//! so crashes elsewhere stay crashes.

use std::cell::Cell;
use std::ffi::c_void;
use std::sync::OnceLock;

use crate::arch::Arch;
use crate::vmctx::VmCtx;

thread_local! {
    /// The VM context of the compiled code running on this thread (innermost
    /// entry), or null. Const-initialized, so reading it in a signal handler
    /// allocates nothing.
    pub(crate) static ACTIVE: Cell<*mut VmCtx> = const { Cell::new(std::ptr::null_mut()) };
}

/// What was installed: the machine-specific parts and the previous handlers.
struct Installed {
    arch: Arch,
    previous: [(libc::c_int, libc::sigaction); SIGNALS.len()],
}

static INSTALLED: OnceLock<Result<Installed, String>> = OnceLock::new();

/// The signals a trap site may raise.
const SIGNALS: [libc::c_int; 4] = [libc::SIGILL, libc::SIGSEGV, libc::SIGBUS, libc::SIGFPE];

/// Installs the handler once for the process, or says why it cannot.
pub(crate) fn install(arch: Arch) -> Result<(), String> {
    let installed = INSTALLED.get_or_init(|| {
        let mut previous = Vec::new();
        for signal in SIGNALS {
            // SAFETY: `sigaction` with a zeroed struct whose handler and flags
            // are set is the documented way to install a `SA_SIGINFO` handler;
            // the previous action is written into `old`.
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = handler as *const () as usize;
                action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK | libc::SA_NODEFER;
                libc::sigemptyset(&mut action.sa_mask);
                let mut old: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(signal, &action, &mut old) != 0 {
                    return Err(format!(
                        "cannot install a signal handler: {}",
                        std::io::Error::last_os_error()
                    ));
                }
                previous.push((signal, old));
            }
        }
        Ok(Installed {
            arch,
            previous: match previous.try_into() {
                Ok(all) => all,
                Err(_) => unreachable!("one action per signal"),
            },
        })
    });
    installed.as_ref().map(|_| ()).map_err(Clone::clone)
}

/// The signal handler.
///
/// # Safety
/// Called by the kernel for one of [`SIGNALS`] with `SA_SIGINFO` arguments.
unsafe extern "C" fn handler(
    signal: libc::c_int,
    info: *mut libc::siginfo_t,
    context: *mut c_void,
) {
    let Some(Ok(installed)) = INSTALLED.get() else {
        return;
    };
    let vm = ACTIVE.with(Cell::get);
    if !vm.is_null() {
        // SAFETY: the kernel passes the machine context of the interrupted code.
        let regs = unsafe { (installed.arch.read)(context) };
        // SAFETY: `ACTIVE` holds the context of the call running on this thread,
        // which lives until that call returns; the interrupted code is compiled
        // code (checked next) that does not touch these fields.
        let ctx = unsafe { &mut *vm };
        // SAFETY: the module is kept alive by the running call.
        let module = unsafe { &*ctx.module };
        // SAFETY: set only for a call entered at a loop, whose code that call
        // keeps alive.
        let loop_code = unsafe { ctx.loop_code.as_ref() };
        let site = module
            .trap_at(regs.pc)
            .or_else(|| loop_code.and_then(|c| c.trap_at(regs.pc)));
        if let Some(raised) = site {
            if raised != 0 {
                ctx.trap = raised;
            }
            ctx.fault_pc = regs.pc;
            ctx.fault_fp = regs.fp;
            // Resume in the landing code below the red zone, 16-byte aligned.
            let sp = (regs.sp - 128) & !15;
            // SAFETY: as for `read`.
            unsafe { (installed.arch.redirect)(context, installed.arch.landing, vm as usize, sp) };
            return;
        }
    }
    // Not ours: hand it to whoever was there before.
    let Some((_, previous)) = installed.previous.iter().find(|(s, _)| *s == signal) else {
        return;
    };
    let h = previous.sa_sigaction;
    if h == libc::SIG_DFL || h == libc::SIG_IGN {
        // Reinstate the previous action and return: the instruction faults
        // again and gets the default treatment (the process dies of it).
        // SAFETY: restores the action saved at installation.
        unsafe { libc::sigaction(signal, previous, std::ptr::null_mut()) };
    } else if previous.sa_flags & libc::SA_SIGINFO != 0 {
        // SAFETY: the previous handler was installed with `SA_SIGINFO`, so it
        // takes these three arguments.
        unsafe {
            let f: unsafe extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut c_void) =
                std::mem::transmute(h);
            f(signal, info, context);
        }
    } else {
        // SAFETY: a classic one-argument handler.
        unsafe {
            let f: unsafe extern "C" fn(libc::c_int) = std::mem::transmute(h);
            f(signal);
        }
    }
}
