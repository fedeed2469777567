//! The machine-specific parts of running compiled code, which an ISA crate
//! (e.g. `wazero-compiler-amd64`) provides: the entry stub that a fault unwinds
//! to, and access to the machine context of a fault.
//!
//! # How a trap unwinds
//!
//! Rust enters compiled code through [`Arch::enter`], a small stub that saves
//! the callee-saved registers, records its stack pointer in
//! [`VmCtx::entry_sp`](crate::VmCtx::entry_sp) and calls the entry trampoline.
//! Every trap of compiled code is a signal at one of the module's trap sites:
//! a trap instruction (`SIGILL`), or an access to linear memory that hit a
//! guard page (`SIGSEGV`). The signal handler (`crate::signals`) checks that
//! the instruction is a trap site of the compiled code running on this thread,
//! stores the trap and the fault's program counter and frame pointer in the
//! context, and redirects the thread to [`Arch::landing`]: it calls
//! [`on_fault`] (which records the backtrace from the frame pointers while the
//! frames are intact), then resets the stack pointer to `entry_sp` and returns
//! 1 from the stub, restoring the callee-saved registers. No Rust frame lies
//! between the stub and the trap (runtime calls return to compiled code before
//! it traps), so nothing is skipped that would need unwinding.

use std::ffi::c_void;

use crate::module::Trampoline;
use crate::vmctx::VmCtx;

/// The entry stub: `enter(vm, callee, values, trampoline)` calls
/// `trampoline(vm, callee, values)` and returns 0, or returns 1 when a fault
/// unwound compiled code.
pub type EnterFn = unsafe extern "C" fn(*mut VmCtx, *const u8, *mut u64, Trampoline) -> u32;

/// A fault's registers, as the signal handler needs them.
#[derive(Debug, Clone, Copy)]
pub struct FaultRegs {
    /// The program counter.
    pub pc: usize,
    /// The frame pointer.
    pub fp: usize,
    /// The stack pointer.
    pub sp: usize,
}

/// What the ISA crate provides.
#[derive(Clone, Copy)]
pub struct Arch {
    /// The entry stub.
    pub enter: EnterFn,
    /// Where a fault resumes, with the VM context as its first argument and a
    /// usable stack below the fault's.
    pub landing: usize,
    /// Reads the registers of a signal's machine context (`ucontext_t`).
    ///
    /// # Safety
    /// The pointer is the third argument of a `SA_SIGINFO` signal handler.
    pub read: unsafe fn(*mut c_void) -> FaultRegs,
    /// Makes a signal's machine context resume at `pc` with `arg` as the first
    /// argument register and `sp` as the stack pointer.
    ///
    /// # Safety
    /// As for `read`.
    pub redirect: unsafe fn(*mut c_void, pc: usize, arg: usize, sp: usize),
    /// Links a direct call between a module's functions (see [`LinkCallFn`]).
    pub link_call: LinkCallFn,
}

/// An ISA crate's assembled entry stub and fault landing, kept for the rest of
/// the process (in a `static`), from which its [`Arch`] is made.
pub struct Stub {
    _code: dynasmrt::ExecutableBuffer,
    enter: EnterFn,
    landing: usize,
}

impl Stub {
    /// The stub whose entry starts at `enter` in `code` and whose fault
    /// landing starts at `landing`.
    ///
    /// # Safety
    /// The code at `enter` follows the platform's C calling convention with
    /// exactly [`EnterFn`]'s signature and contract, and the code at `landing`
    /// is what [`Arch::landing`] describes.
    pub unsafe fn new(
        code: dynasmrt::ExecutableBuffer,
        enter: dynasmrt::AssemblyOffset,
        landing: dynasmrt::AssemblyOffset,
    ) -> Self {
        let enter_addr = code.ptr(enter);
        // SAFETY: by the contract, `enter_addr` starts a function of
        // `EnterFn`'s signature, in executable memory that the stub owns;
        // the pointer is handed out only by `arch`, which needs a stub that
        // lives for the rest of the process.
        let enter = unsafe { std::mem::transmute::<*const u8, EnterFn>(enter_addr) };
        let landing = code.ptr(landing) as usize;
        Self {
            _code: code,
            enter,
            landing,
        }
    }

    /// Where the entry and the fault landing start, as addresses.
    pub fn addresses(&self) -> (usize, usize) {
        (self.enter as usize, self.landing)
    }

    /// The ISA's [`Arch`]: this stub with the ISA's machine-context readers
    /// and call linker.
    pub fn arch(
        &'static self,
        read: unsafe fn(*mut c_void) -> FaultRegs,
        redirect: unsafe fn(*mut c_void, usize, usize, usize),
        link_call: LinkCallFn,
    ) -> Arch {
        Arch {
            enter: self.enter,
            landing: self.landing,
            read,
            redirect,
            link_call,
        }
    }
}

/// Patches the call whose relocation of kind `kind` is at `at` in `code` so
/// that it reaches `target` (with Cranelift's `addend`): `(code, at, kind,
/// target, addend)`. An error for a relocation kind or a distance the ISA's
/// calls cannot take.
pub type LinkCallFn =
    fn(&mut [u8], usize, cranelift_codegen::binemit::Reloc, usize, i64) -> Result<(), String>;

impl std::fmt::Debug for Arch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Arch")
            .field("landing", &self.landing)
            .finish()
    }
}

/// Called by the landing code after a fault, on the faulting thread's stack
/// below the dead frames: records the backtrace by walking the frame pointers
/// from the fault.
///
/// # Safety
/// `vm` is the context of the faulting call, with `fault_pc` and `fault_fp`
/// set by the signal handler; the frames between the fault and
/// `vm.entry_sp` are intact.
pub unsafe extern "C" fn on_fault(vm: *mut VmCtx) {
    // SAFETY: see the function's contract; nothing else references the context.
    let vm = unsafe { &mut *vm };
    // SAFETY: `module` is kept alive by the call that entered it.
    let module = unsafe { &*vm.module };
    let mut pc = vm.fault_pc;
    let mut fp = vm.fault_fp;
    let top = vm.entry_sp;
    // SAFETY: set only for a call entered at a loop, whose code that call
    // keeps alive.
    let loop_code = unsafe { vm.loop_code.as_ref() };
    let function_at = |pc| {
        module
            .function_at(pc)
            .or_else(|| loop_code.and_then(|c| c.function_at(pc)))
    };
    while let Some(index) = function_at(pc) {
        vm.backtrace.push(vm.first_defined + index);
        // Compiled code keeps frame pointers: `[fp]` is the caller's frame
        // pointer and `[fp + 8]` the return address into the caller. Frames
        // lie between the fault and the entry stub's stack pointer, each above
        // the last; anything else ends the walk.
        if fp == 0 || fp % 8 != 0 || fp >= top {
            break;
        }
        // SAFETY: `fp` is a frame pointer of compiled code on this thread's
        // stack, below the entry stub (checked above), so both words are
        // readable stack memory.
        let (caller_fp, ret) = unsafe { (*(fp as *const usize), *((fp + 8) as *const usize)) };
        if caller_fp <= fp {
            break;
        }
        pc = ret.wrapping_sub(1);
        fp = caller_fp;
    }
}
