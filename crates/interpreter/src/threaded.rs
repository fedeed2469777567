//! Threaded dispatch of the hot instructions.
//!
//! Every [`Op`] carries the handler that executes it. A handler does its work and
//! then, with threaded dispatch (`cfg(wazero_tail_dispatch)`, optimized builds on
//! x86-64 and AArch64), calls the next op's handler in tail position, which LLVM
//! compiles to a jump: each handler has its own indirect jump, so the branch
//! predictor learns which instruction follows which. Otherwise a handler returns
//! the next op and [`run`] loops. Instructions that need the store (calls, globals,
//! tables, bulk memory, `memory.grow`) have the [`slow`] handler, which leaves the
//! threaded code for the executor's outer loop in `exec.rs`.
//!
//! # Safety
//!
//! The handlers rely on the invariants documented in `exec.rs`: slots named by an
//! instruction lie inside the frame at `fp`; branch offsets land inside the same
//! function; memory accesses are bounds-checked against `mem_len` before `mem` is
//! dereferenced. In addition, [`handler_of`] pairs every op with the handler of its
//! own variant, so a handler can read its operands without checking the variant.

use wazero_api::TrapCode;

use crate::code::{BinaryOp, Instr, LoadKind, Op, StoreKind, INLINE_INIT};
use crate::exec::{interrupt_requested, CallContext, FrameRecord};
use crate::ops::{f32_bits, f32v, f64v, for_each_numeric_op, quiet32, quiet64};
use crate::simd;

/// Executes the op at `ip` (and, with threaded dispatch, everything after it up
/// to the next exit).
pub(crate) type Handler = unsafe fn(
    ip: *const Op,
    fp: *mut u64,
    mem: *mut u8,
    mem_len: u64,
    cx: *mut CallContext,
    acc: u64,
) -> Exit;

/// Why threaded execution stopped, and where.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Exit {
    /// The op to continue with (for a trap: the trapping op).
    pub(crate) ip: *const Op,
    /// [`CONTINUE`], [`SLOW`] or a trap.
    pub(crate) reason: u32,
}

/// Loop dispatch only: execute `ip` next.
#[cfg_attr(wazero_tail_dispatch, allow(dead_code))]
pub(crate) const CONTINUE: u32 = 0;
/// The op at `ip` needs the executor's outer loop.
pub(crate) const SLOW: u32 = 1;
/// A host call from threaded code failed; the error is in the call context.
pub(crate) const HOST_FAILED: u32 = 2;
/// Loop dispatch only: a host call returned and may have grown (and so moved)
/// the memory, whose base and length are now in the call context
/// (`CallContext::mem`); execute `ip` next with them.
#[cfg_attr(wazero_tail_dispatch, allow(dead_code))]
pub(crate) const RELOAD_MEMORY: u32 = 3;
/// An interrupt was requested (seen at a loop's back-edge): the outer loop
/// takes it (and traps) or, if it was withdrawn, goes on at `ip`. Taking it
/// here would call out of line, which costs a handler a native stack frame.
pub(crate) const PENDING_INTERRUPT: u32 = 4;
const TRAP: u32 = 5;

const TRAPS: [TrapCode; TrapCode::ALL.len()] = TrapCode::ALL;

impl Exit {
    fn trap(ip: *const Op, code: TrapCode) -> Self {
        let index = TRAPS.iter().position(|&c| c == code).unwrap_or(0);
        Self {
            ip,
            reason: TRAP + index as u32,
        }
    }

    /// The trap, if execution stopped on one.
    pub(crate) fn trap_code(self) -> Option<TrapCode> {
        self.reason.checked_sub(TRAP).map(|i| {
            TRAPS
                .get(i as usize)
                .copied()
                .unwrap_or(TrapCode::Unreachable)
        })
    }
}

/// Runs threaded code from `ip` until an op needs the outer loop or traps.
///
/// # Safety
/// `ip` must point into translated code whose frame is at `fp`, and `mem`,
/// `mem_len` must describe the current instance's memory (see `exec.rs`).
#[inline]
pub(crate) unsafe fn run(
    ip: *const Op,
    fp: *mut u64,
    mem: *mut u8,
    mem_len: u64,
    cx: *mut CallContext,
) -> Exit {
    // SAFETY: forwarded from the caller.
    unsafe {
        #[cfg(wazero_tail_dispatch)]
        {
            ((*ip).handler)(ip, fp, mem, mem_len, cx, 0)
        }
        #[cfg(not(wazero_tail_dispatch))]
        {
            let (mut ip, mut fp, mut mem, mut mem_len) = (ip, fp, mem, mem_len);
            loop {
                let exit = ((*ip).handler)(ip, fp, mem, mem_len, cx, (*cx).acc);
                match exit.reason {
                    CONTINUE => {}
                    RELOAD_MEMORY => (mem, mem_len) = ((*cx).mem, (*cx).mem_len),
                    _ => return exit,
                }
                ip = exit.ip;
                // Calls and returns move the frame; the context says where it is.
                fp = (*cx).stack.add((*cx).base);
            }
        }
    }
}

/// Goes on with the op at `$ip`.
#[cfg(wazero_tail_dispatch)]
macro_rules! next {
    ($ip:expr, $fp:expr, $mem:expr, $len:expr, $cx:expr, $acc:expr) => {{
        let ip: *const Op = $ip;
        return ((*ip).handler)(ip, $fp, $mem, $len, $cx, $acc);
    }};
}

#[cfg(not(wazero_tail_dispatch))]
macro_rules! next {
    ($ip:expr, $fp:expr, $mem:expr, $len:expr, $cx:expr, $acc:expr) => {{
        let _ = ($fp, $mem, $len);
        // The accumulator lives in the context between two ops.
        (*$cx).acc = $acc;
        return Exit {
            ip: $ip,
            reason: CONTINUE,
        };
    }};
}

/// Goes on at `$ip` with the memory at `$mem`, `$len` (loop dispatch hands it
/// to the loop through the context).
macro_rules! next_with_memory {
    ($ip:expr, $fp:expr, $mem:expr, $len:expr, $cx:expr, $acc:expr) => {{
        #[cfg(not(wazero_tail_dispatch))]
        {
            let _ = ($fp, $acc);
            ((*$cx).mem, (*$cx).mem_len) = ($mem, $len);
            return Exit {
                ip: $ip,
                reason: RELOAD_MEMORY,
            };
        }
        #[allow(unreachable_code)]
        {
            next!($ip, $fp, $mem, $len, $cx, $acc)
        }
    }};
}

/// Defines a handler whose op is `$pat` (a pattern of [`Instr`] binding operands).
macro_rules! handler {
    ($name:ident, $pat:pat, |$ip:ident, $fp:ident, $mem:ident, $len:ident, $cx:ident, $acc:ident| $body:block) => {
        #[allow(
            non_snake_case,
            unused_variables,
            unused_mut,
            unused_assignments,
            clippy::undocumented_unsafe_blocks
        )]
        pub(crate) unsafe fn $name(
            $ip: *const Op,
            $fp: *mut u64,
            $mem: *mut u8,
            $len: u64,
            $cx: *mut CallContext,
            mut $acc: u64,
        ) -> Exit {
            // SAFETY: `handler_of` gave this handler only to ops of this variant, and
            // the module invariants hold for slots, branches and memory.
            unsafe {
                let $pat = (*$ip).instr else {
                    std::hint::unreachable_unchecked()
                };
                $body
            }
        }
    };
}

macro_rules! get {
    ($fp:ident, $s:expr) => {
        *$fp.add($s as usize)
    };
}
macro_rules! set {
    ($fp:ident, $s:expr, $v:expr) => {{
        let v = $v;
        *$fp.add($s as usize) = v;
    }};
}
macro_rules! get2 {
    ($fp:ident, $s:expr) => {
        u128::from(get!($fp, $s)) | (u128::from(get!($fp, $s as usize + 1)) << 64)
    };
}
macro_rules! set2 {
    ($fp:ident, $s:expr, $v:expr) => {{
        let v: u128 = $v;
        set!($fp, $s, v as u64);
        set!($fp, $s as usize + 1, (v >> 64) as u64);
    }};
}

// Operand access in a handler's accumulator mode (see `code::ACC`): an
// operand comes from its slot (`rd_slot`) or the accumulator (`rd_acc`), a
// result goes to its slot (`wr_slot`) or the accumulator (`wr_acc`).
macro_rules! rd_slot {
    ($fp:ident, $acc:ident, $s:expr) => {
        get!($fp, $s)
    };
}
macro_rules! rd_acc {
    ($fp:ident, $acc:ident, $s:expr) => {
        $acc
    };
}
macro_rules! wr_slot {
    ($fp:ident, $acc:ident, $s:expr, $v:expr) => {
        set!($fp, $s, $v)
    };
}
macro_rules! wr_acc {
    ($fp:ident, $acc:ident, $s:expr, $v:expr) => {
        $acc = $v
    };
}

/// The handlers of the binary numeric instructions, with operands and result
/// accessed in the modes `[$ra $rb $wd]`, and `binary_handler` to pick one.
macro_rules! binary_handlers {
    (
        [$ra:ident $rb:ident $wd:ident]
        binary: [$(($bin:ident, |$ba:ident, $bb:ident| $be:expr)),* $(,)?],
        try_binary: [$(($tbin:ident, |$ta:ident, $tb:ident| $te:expr)),* $(,)?],
        unary: [$($un:tt)*],
        try_unary: [$($tun:tt)*],
    ) => {
        $(handler!($bin, Instr::$bin { d, a, b }, |ip, fp, mem, len, cx, acc| {
            let ($ba, $bb) = ($ra!(fp, acc, a), $rb!(fp, acc, b));
            $wd!(fp, acc, d, $be);
            next!(ip.add(1), fp, mem, len, cx, acc)
        });)*
        $(handler!($tbin, Instr::$tbin { d, a, b }, |ip, fp, mem, len, cx, acc| {
            let ($ta, $tb) = ($ra!(fp, acc, a), $rb!(fp, acc, b));
            let r: Result<u64, TrapCode> = $te;
            match r {
                Ok(v) => $wd!(fp, acc, d, v),
                Err(c) => return Exit::trap(ip, c),
            }
            next!(ip.add(1), fp, mem, len, cx, acc)
        });)*

        /// The handler of a binary numeric instruction in this mode.
        pub(crate) fn binary_handler(instr: &Instr) -> Option<Handler> {
            Some(match instr {
                $(Instr::$bin { .. } => $bin,)*
                $(Instr::$tbin { .. } => $tbin,)*
                _ => return None,
            })
        }
    };
}

/// The handlers of the unary numeric instructions in the modes `[$ra $wd]`,
/// and `unary_handler` to pick one.
macro_rules! unary_handlers {
    (
        [$ra:ident $wd:ident]
        binary: [$($bin:tt)*],
        try_binary: [$($tbin:tt)*],
        unary: [$(($un:ident, |$ua:ident| $ue:expr)),* $(,)?],
        try_unary: [$(($tun:ident, |$tua:ident| $tue:expr)),* $(,)?],
    ) => {
        $(handler!($un, Instr::$un { d, a }, |ip, fp, mem, len, cx, acc| {
            let $ua = $ra!(fp, acc, a);
            $wd!(fp, acc, d, $ue);
            next!(ip.add(1), fp, mem, len, cx, acc)
        });)*
        $(handler!($tun, Instr::$tun { d, a }, |ip, fp, mem, len, cx, acc| {
            let $tua = $ra!(fp, acc, a);
            let r: Result<u64, TrapCode> = $tue;
            match r {
                Ok(v) => $wd!(fp, acc, d, v),
                Err(c) => return Exit::trap(ip, c),
            }
            next!(ip.add(1), fp, mem, len, cx, acc)
        });)*

        /// The handler of a unary numeric instruction in this mode.
        pub(crate) fn unary_handler(instr: &Instr) -> Option<Handler> {
            Some(match instr {
                $(Instr::$un { .. } => $un,)*
                $(Instr::$tun { .. } => $tun,)*
                _ => return None,
            })
        }
    };
}

/// The handlers of [`Instr::BinaryImm`], one per operation, with the first
/// operand and the result in the modes `[$ra $wd]`, and `binary_imm_handler`
/// to pick one.
macro_rules! binary_imm_handlers {
    (
        [$ra:ident $wd:ident]
        binary: [$(($bin:ident, |$ba:ident, $bb:ident| $be:expr)),* $(,)?],
        try_binary: [$(($tbin:ident, |$ta:ident, $tb:ident| $te:expr)),* $(,)?],
        unary: [$($un:tt)*],
        try_unary: [$($tun:tt)*],
    ) => {
        $(handler!($bin, Instr::BinaryImm { d, a, imm, .. }, |ip, fp, mem, len, cx, acc| {
            let ($ba, $bb) = ($ra!(fp, acc, a), imm as i32 as i64 as u64);
            $wd!(fp, acc, d, $be);
            next!(ip.add(1), fp, mem, len, cx, acc)
        });)*
        $(handler!($tbin, Instr::BinaryImm { d, a, imm, .. }, |ip, fp, mem, len, cx, acc| {
            let ($ta, $tb) = ($ra!(fp, acc, a), imm as i32 as i64 as u64);
            let r: Result<u64, TrapCode> = $te;
            match r {
                Ok(v) => $wd!(fp, acc, d, v),
                Err(c) => return Exit::trap(ip, c),
            }
            next!(ip.add(1), fp, mem, len, cx, acc)
        });)*

        /// The handler of an [`Instr::BinaryImm`] in this mode.
        pub(crate) fn binary_imm_handler(instr: &Instr) -> Option<Handler> {
            let Instr::BinaryImm { op, .. } = instr else {
                return None;
            };
            Some(match op {
                $(BinaryOp::$bin => $bin,)*
                $(BinaryOp::$tbin => $tbin,)*
            })
        }
    };
}

for_each_numeric_op!(binary_handlers, [rd_slot rd_slot wr_slot]);
for_each_numeric_op!(unary_handlers, [rd_slot wr_slot]);

/// The handler of `instr`'s variant (reading and writing slots only).
pub(crate) fn handler_of(instr: &Instr) -> Handler {
    binary_handler(instr)
        .or_else(|| unary_handler(instr))
        .or_else(|| load_handler(instr))
        .or_else(|| store_handler(instr))
        .or_else(|| store_imm_handler(instr))
        .unwrap_or_else(|| handler_of_other(instr))
}

/// Leaves threaded code: the outer loop executes the op at `ip`.
#[allow(clippy::undocumented_unsafe_blocks)]
pub(crate) unsafe fn slow(
    ip: *const Op,
    _: *mut u64,
    _: *mut u8,
    _: u64,
    _: *mut CallContext,
    _: u64,
) -> Exit {
    Exit { ip, reason: SLOW }
}

/// Sets a new frame's locals to zero and its constant slots to their values.
///
/// # Safety
/// `frame` must point at a frame of at least `func.frame_size` slots.
#[inline(always)]
pub(crate) unsafe fn init_frame(frame: *mut u64, func: &crate::code::CompiledFunc) {
    let init = &func.init[..];
    // SAFETY: parameters, locals and constants all lie within the frame.
    unsafe {
        let dst = frame.add(func.param_slots as usize);
        if init.len() > INLINE_INIT {
            std::ptr::copy_nonoverlapping(init.as_ptr(), dst, init.len());
        } else {
            init_small(dst, init.as_ptr(), init.len());
        }
    }
}

/// Copies `n` (at most [`INLINE_INIT`]) initial slots inline, four at a time:
/// most frames start with a few dozen slots at most, and a memcpy call would
/// cost the call handler a native stack frame.
///
/// # Safety
/// `src` must hold `n` slots and `dst` have room for them.
#[inline(always)]
unsafe fn init_small(dst: *mut u64, src: *const u64, n: usize) {
    // SAFETY: forwarded from the caller.
    unsafe {
        let mut i = 0;
        while i + 4 <= n.min(INLINE_INIT) {
            let chunk = src.add(i).cast::<[u64; 4]>().read_unaligned();
            dst.add(i).cast::<[u64; 4]>().write_unaligned(chunk);
            i += 4;
        }
        while i < n.min(INLINE_INIT) {
            *dst.add(i) = *src.add(i);
            i += 1;
        }
    }
}

/// Jumps by a branch's relative offset.
#[inline(always)]
unsafe fn jump(ip: *const Op, offset: u32) -> *const Op {
    // SAFETY: branch offsets land inside the same function (module docs).
    unsafe { ip.offset(offset as i32 as isize) }
}

/// Takes a forward branch.
macro_rules! forward_jump {
    ($ip:expr, $target:expr, $fp:expr, $mem:expr, $len:expr, $cx:expr, $acc:expr) => {{
        next!(jump($ip, $target), $fp, $mem, $len, $cx, $acc)
    }};
}

/// Takes a backward branch (or one to itself), which closes a loop: it first
/// checks for an interrupt, so a runaway loop stops within one iteration of being
/// asked to.
macro_rules! loop_back {
    ($ip:expr, $target:expr, $fp:expr, $mem:expr, $len:expr, $cx:expr, $acc:expr) => {{
        if interrupt_requested($cx) {
            return Exit {
                ip: jump($ip, $target),
                reason: PENDING_INTERRUPT,
            };
        }
        next!(jump($ip, $target), $fp, $mem, $len, $cx, $acc)
    }};
}

macro_rules! compare_branches {
    ([$take:ident $ra:ident $rb:ident] $($name:ident($op:ident, $eqz:literal, $w:ident): |$a:ident, $b:ident| $cond:expr;)*) => {$(
        handler!($name, Instr::$name { a, b, target }, |ip, fp, mem, len, cx, acc| {
            let ($a, $b) = ($ra!(fp, acc, a), $rb!(fp, acc, b));
            if $cond {
                $take!(ip, target, fp, mem, len, cx, acc)
            }
            next!(ip.add(1), fp, mem, len, cx, acc)
        });
    )*};
}

/// Hands the compare-and-branch instructions to `$m`, after `$modes`: each
/// with the operation and `eqz` of its [`Instr::BrIfImm`] form, the width
/// its immediate extends to (`u32`: zero, `i64`: sign), and its condition.
macro_rules! each_compare_branch {
    ($m:ident, $modes:tt) => {
        $m! { $modes
            BrIfI32Eq(I32Eq, false, u32): |a, b| a as u32 == b as u32;
            BrIfI32Ne(I32Ne, false, u32): |a, b| a as u32 != b as u32;
            BrIfI32LtS(I32LtS, false, u32): |a, b| (a as i32) < (b as i32);
            BrIfI32LtU(I32LtU, false, u32): |a, b| (a as u32) < (b as u32);
            BrIfI32GtS(I32GtS, false, u32): |a, b| (a as i32) > (b as i32);
            BrIfI32GtU(I32GtU, false, u32): |a, b| (a as u32) > (b as u32);
            BrIfI32LeS(I32LeS, false, u32): |a, b| (a as i32) <= (b as i32);
            BrIfI32LeU(I32LeU, false, u32): |a, b| (a as u32) <= (b as u32);
            BrIfI32GeS(I32GeS, false, u32): |a, b| (a as i32) >= (b as i32);
            BrIfI32GeU(I32GeU, false, u32): |a, b| (a as u32) >= (b as u32);
            BrIfI64Eq(I64Eq, false, i64): |a, b| a == b;
            BrIfI64Ne(I64Ne, false, i64): |a, b| a != b;
            BrIfI64LtS(I64LtS, false, i64): |a, b| (a as i64) < (b as i64);
            BrIfI64LtU(I64LtU, false, i64): |a, b| a < b;
            BrIfI64GtS(I64GtS, false, i64): |a, b| (a as i64) > (b as i64);
            BrIfI64GtU(I64GtU, false, i64): |a, b| a > b;
            BrIfI64LeS(I64LeS, false, i64): |a, b| (a as i64) <= (b as i64);
            BrIfI64LeU(I64LeU, false, i64): |a, b| a <= b;
            BrIfI64GeS(I64GeS, false, i64): |a, b| (a as i64) >= (b as i64);
            BrIfI64GeU(I64GeU, false, i64): |a, b| a >= b;
            BrIfI32AndEqz(I32And, true, u32): |a, b| (a as u32 & b as u32) == 0;
            BrIfI32AndNez(I32And, false, u32): |a, b| (a as u32 & b as u32) != 0;
        }
    };
}

/// A [`Instr::BrIfImm`]'s immediate as the operand it stands for: `u32`
/// zero-extends it, `i64` sign-extends it (as [`Instr::BinaryImm`] does).
macro_rules! imm_operand {
    (u32, $imm:expr) => {
        u64::from($imm)
    };
    (i64, $imm:expr) => {
        $imm as i32 as i64 as u64
    };
}

/// The effective address of an access of `n` bytes at the address value
/// `$addr` (an `i32`) plus `$offset`, or a trap.
macro_rules! effective {
    ($ip:ident, $len:ident, $addr:expr, $offset:expr, $n:expr) => {{
        let ea = u64::from($addr as u32) + u64::from($offset);
        if ea + $n as u64 > $len {
            return Exit::trap($ip, TrapCode::MemoryOutOfBounds);
        }
        ea as usize
    }};
}

/// A handler of [`Instr::BrIfLoad`], `$name`: it takes the branch with
/// `$take` when `$cond` holds of `$v`, the value loaded (from the address
/// read in mode `$ra`).
macro_rules! branch_on_load {
    ($name:ident, $take:ident, $ra:ident, |$v:ident| $cond:expr) => {
        handler!(
            $name,
            Instr::BrIfLoad {
                d,
                addr,
                offset,
                target,
                ..
            },
            |ip, fp, mem, len, cx, acc| {
                let ea = effective!(ip, len, $ra!(fp, acc, addr), offset, 4);
                let $v = u32::from_le_bytes(mem.add(ea).cast::<[u8; 4]>().read());
                set!(fp, d, u64::from($v));
                if $cond {
                    $take!(ip, target, fp, mem, len, cx, acc)
                }
                next!(ip.add(1), fp, mem, len, cx, acc)
            }
        );
    };
}

/// Defines the handlers of every branch instruction, taking the branch with
/// `$take` and reading the condition's operands in the modes `[$ra $rb]`,
/// and `branch_handler` to pick one.
macro_rules! branch_handlers {
    ($take:ident, [$ra:ident $rb:ident]) => {
        handler!(Br, Instr::Br { target }, |ip, fp, mem, len, cx, acc| {
            $take!(ip, target, fp, mem, len, cx, acc)
        });
        handler!(
            CopyBr,
            Instr::CopyBr { d, s, target },
            |ip, fp, mem, len, cx, acc| {
                set!(fp, d, get!(fp, s));
                $take!(ip, target, fp, mem, len, cx, acc)
            }
        );
        handler!(
            CopyPairBr,
            Instr::CopyPairBr {
                d0,
                s0,
                d1,
                s1,
                target
            },
            |ip, fp, mem, len, cx, acc| {
                set!(fp, d0, get!(fp, s0));
                set!(fp, d1, get!(fp, s1));
                $take!(ip, target, fp, mem, len, cx, acc)
            }
        );
        handler!(
            CopyBrIfEqz,
            Instr::CopyBrIfEqz { d, s, cond, target },
            |ip, fp, mem, len, cx, acc| {
                set!(fp, d, get!(fp, s));
                if get!(fp, cond) as u32 == 0 {
                    $take!(ip, target, fp, mem, len, cx, acc)
                }
                next!(ip.add(2), fp, mem, len, cx, acc)
            }
        );
        handler!(
            CopyBrIfNez,
            Instr::CopyBrIfNez { d, s, cond, target },
            |ip, fp, mem, len, cx, acc| {
                set!(fp, d, get!(fp, s));
                if get!(fp, cond) as u32 != 0 {
                    $take!(ip, target, fp, mem, len, cx, acc)
                }
                next!(ip.add(2), fp, mem, len, cx, acc)
            }
        );
        handler!(
            BrIfNez,
            Instr::BrIfNez { cond, target },
            |ip, fp, mem, len, cx, acc| {
                if $ra!(fp, acc, cond) as u32 != 0 {
                    $take!(ip, target, fp, mem, len, cx, acc)
                }
                next!(ip.add(1), fp, mem, len, cx, acc)
            }
        );
        handler!(
            BrIfEqz,
            Instr::BrIfEqz { cond, target },
            |ip, fp, mem, len, cx, acc| {
                if $ra!(fp, acc, cond) as u32 == 0 {
                    $take!(ip, target, fp, mem, len, cx, acc)
                }
                next!(ip.add(1), fp, mem, len, cx, acc)
            }
        );
        branch_on_load!(BrIfLoadNez, $take, $ra, |v| v != 0);
        branch_on_load!(BrIfLoadEqz, $take, $ra, |v| v == 0);
        each_compare_branch!(compare_branches, [$take $ra $rb]);

        /// The handler of a branch instruction in this direction and mode.
        pub(crate) fn branch_handler(instr: &Instr) -> Option<Handler> {
            Some(match instr {
                Instr::Br { .. } => Br,
                Instr::CopyBr { .. } => CopyBr,
                Instr::CopyPairBr { .. } => CopyPairBr,
                Instr::CopyBrIfEqz { .. } => CopyBrIfEqz,
                Instr::CopyBrIfNez { .. } => CopyBrIfNez,
                Instr::BrIfNez { .. } => BrIfNez,
                Instr::BrIfEqz { .. } => BrIfEqz,
                Instr::BrIfLoad { nez: true, .. } => BrIfLoadNez,
                Instr::BrIfLoad { nez: false, .. } => BrIfLoadEqz,
                Instr::BrIfI32Eq { .. } => BrIfI32Eq,
                Instr::BrIfI32Ne { .. } => BrIfI32Ne,
                Instr::BrIfI32LtS { .. } => BrIfI32LtS,
                Instr::BrIfI32LtU { .. } => BrIfI32LtU,
                Instr::BrIfI32GtS { .. } => BrIfI32GtS,
                Instr::BrIfI32GtU { .. } => BrIfI32GtU,
                Instr::BrIfI32LeS { .. } => BrIfI32LeS,
                Instr::BrIfI32LeU { .. } => BrIfI32LeU,
                Instr::BrIfI32GeS { .. } => BrIfI32GeS,
                Instr::BrIfI32GeU { .. } => BrIfI32GeU,
                Instr::BrIfI64Eq { .. } => BrIfI64Eq,
                Instr::BrIfI64Ne { .. } => BrIfI64Ne,
                Instr::BrIfI64LtS { .. } => BrIfI64LtS,
                Instr::BrIfI64LtU { .. } => BrIfI64LtU,
                Instr::BrIfI64GtS { .. } => BrIfI64GtS,
                Instr::BrIfI64GtU { .. } => BrIfI64GtU,
                Instr::BrIfI64LeS { .. } => BrIfI64LeS,
                Instr::BrIfI64LeU { .. } => BrIfI64LeU,
                Instr::BrIfI64GeS { .. } => BrIfI64GeS,
                Instr::BrIfI64GeU { .. } => BrIfI64GeU,
                Instr::BrIfI32AndEqz { .. } => BrIfI32AndEqz,
                Instr::BrIfI32AndNez { .. } => BrIfI32AndNez,
                _ => return None,
            })
        }
    };
}

/// The handlers of [`Instr::BrIfImm`], taking the branch with `$take` and
/// reading the compared operand in mode `$ra`, in a module `imm` (named as
/// the compare-and-branch instructions they stand for), and
/// `branch_imm_handler` to pick one.
macro_rules! branch_imm_handlers {
    ([$take:ident $ra:ident] $($name:ident($op:ident, $eqz:literal, $w:ident): |$a:ident, $b:ident| $cond:expr;)*) => {
        /// Compare-and-branch with a constant second operand.
        pub(crate) mod imm {
            use super::*;
            $(handler!($name, Instr::BrIfImm { a, imm, target, .. }, |ip, fp, mem, len, cx, acc| {
                let ($a, $b) = ($ra!(fp, acc, a), imm_operand!($w, imm));
                if $cond {
                    $take!(ip, target, fp, mem, len, cx, acc)
                }
                next!(ip.add(1), fp, mem, len, cx, acc)
            });)*
        }

        /// The handler of an [`Instr::BrIfImm`] in this direction and mode.
        pub(crate) fn branch_imm_handler(instr: &Instr) -> Option<Handler> {
            let Instr::BrIfImm { op, eqz, .. } = *instr else {
                return None;
            };
            Some(match (op, eqz) {
                $((BinaryOp::$op, $eqz) => imm::$name,)*
                _ => return None,
            })
        }
    };
}

/// Defines the branch handlers of one direction, taking branches with
/// `$take`: reading slots, and in submodules `a` and `b` reading the first or
/// the second operand of the condition from the accumulator.
macro_rules! branch_direction {
    ($take:ident) => {
        use super::*;
        branch_handlers!($take, [rd_slot rd_slot]);
        each_compare_branch!(branch_imm_handlers, [$take rd_slot]);

        /// Branches whose condition (or its first operand) is the accumulator.
        pub(crate) mod a {
            use super::super::*;
            branch_handlers!($take, [rd_acc rd_slot]);
            each_compare_branch!(branch_imm_handlers, [$take rd_acc]);
        }

        /// Branches whose condition's second operand is the accumulator.
        pub(crate) mod b {
            use super::super::*;
            branch_handlers!($take, [rd_slot rd_acc]);
        }
    };
}

/// Branches forward: no interrupt check.
pub(crate) mod forward {
    branch_direction!(forward_jump);
}

/// Branches backward, the back-edges of loops: these check for interrupts.
pub(crate) mod backward {
    branch_direction!(loop_back);
}

/// The handler of a branch instruction (`None` for any other), for a branch
/// forward or backward, reading slots only.
pub(crate) fn branch_handler(instr: &Instr, backward: bool) -> Option<Handler> {
    if backward {
        backward::branch_handler(instr).or_else(|| backward::branch_imm_handler(instr))
    } else {
        forward::branch_handler(instr).or_else(|| forward::branch_imm_handler(instr))
    }
}

/// `br_table` with its index read in mode `$ra`. It takes the selected
/// entry's forward jump itself instead of dispatching it; a backward one runs
/// through the entry's handler, which checks for interrupts (kept out of
/// this handler, whose trap path would cost it a stack frame).
macro_rules! br_table_handler {
    ($ra:ident) => {
        handler!(
            BrTable,
            Instr::BrTable {
                index,
                len: n,
                bias
            },
            |ip, fp, mem, len, cx, acc| {
                let i = ($ra!(fp, acc, index) as u32).wrapping_add(bias).min(n);
                let entry = ip.add(1 + i as usize);
                // The translator makes every entry a `Br`; anything else runs
                // through its own handler.
                match (*entry).instr {
                    Instr::Br { target } if target as i32 > 0 => {
                        forward_jump!(entry, target, fp, mem, len, cx, acc)
                    }
                    _ => next!(entry, fp, mem, len, cx, acc),
                }
            }
        );
    };
}
br_table_handler!(rd_slot);

/// Enters defined function `$func` of the current module with its frame at
/// slot `$b` of the caller's, or leaves threaded code for the outer loop
/// when the callee is not translated yet, the call stack is at its limit,
/// or the value stack or the frame list must grow. The callee's prologue
/// sets up its initial slots.
///
/// Nothing here calls out of line (the frame list growing) or loops (the
/// initial slots' copy, now the prologue's): either would take registers
/// enough to cost every call handler a native stack frame.
macro_rules! enter_defined {
    ($func:expr, $b:expr, |$ip:ident, $fp:ident, $mem:ident, $len:ident, $cx:ident, $acc:ident|) => {{
        let c = &mut *$cx;
        let depth = c.frames.len();
        // `frame_stop` is at most the capacity (see `CallContext`).
        if depth >= c.frame_stop {
            return slow($ip, $fp, $mem, $len, $cx, $acc);
        }
        // The return record, written first so that what it takes need not
        // stay in registers through the checks below; it counts only once
        // the length covers it (a call that leaves here overwrites it).
        c.frames.as_mut_ptr().add(depth).write(FrameRecord {
            ip: $ip.add(1),
            module: c.module_index,
            func: c.func,
            base: c.base as u32,
        });
        // `func` is a defined function of the current module: the
        // translator's (validated) index of a direct call, or the store's
        // for a function of this instance. `$func` and `$b` are evaluated
        // only now: a direct call reads them from its op again, so that
        // they need no registers across the record's write.
        let func = $func;
        let entry = &*c.entries.add(func as usize);
        let code = entry.code.load(std::sync::atomic::Ordering::Acquire);
        if code.is_null() {
            return slow($ip, $fp, $mem, $len, $cx, $acc);
        }
        // Published before `code` (see `CallEntry`).
        let relaxed = std::sync::atomic::Ordering::Relaxed;
        let b = $b;
        let new_base = c.base + b as usize;
        if new_base + entry.frame_size.load(relaxed) as usize > c.stack_len {
            return slow($ip, $fp, $mem, $len, $cx, $acc);
        }
        // SAFETY (of the length): the record below it was written above,
        // within the capacity.
        c.frames.set_len(depth + 1);
        c.func = func;
        c.base = new_base;
        // `code` is the callee's prologue, which sets up its initial slots.
        next!(code, $fp.add(b as usize), $mem, $len, $cx, $acc)
    }};
}

// A function's prologue for threaded code's calls (see `CompiledFunc::ops`):
// its initial slots, four at a time, then its first op.
handler!(
    InitSlots,
    Instr::InitSlots { dst, len: n, init },
    |ip, fp, mem, len, cx, acc| {
        // `init` is the function's `CompiledFunc::init`, `n` (a multiple of
        // 4, at least 4) slots, and the frame has room for them after the
        // parameters (`frame_size` counts the padding).
        let address = u64::from(init[0]) | (u64::from(init[1]) << 32);
        let mut src = address as usize as *const [u64; 4];
        let end = src.add(n as usize / 4);
        let mut dst = fp.add(dst as usize).cast::<[u64; 4]>();
        loop {
            dst.write_unaligned(src.read_unaligned());
            src = src.add(1);
            dst = dst.add(1);
            if src == end {
                break;
            }
        }
        next!(ip.add(1), fp, mem, len, cx, acc)
    }
);

/// The callee and frame base of the op at `$ip`, a `$variant`, read from
/// the op again (see `enter_defined!`).
macro_rules! call_operands {
    ($ip:ident, $variant:ident) => {{
        let Instr::$variant { func, base, .. } = (*$ip).instr else {
            std::hint::unreachable_unchecked()
        };
        (func, base)
    }};
}

// Calls within the module and returns to it stay in threaded code; the outer loop
// takes over for a function not translated yet, a full value stack, the depth
// limit, and returns across modules.
handler!(
    CallInternal,
    Instr::CallInternal { func, base: b },
    |ip, fp, mem, len, cx, acc| {
        // The outer loop takes the interrupt (and traps).
        if interrupt_requested(cx) {
            return slow(ip, fp, mem, len, cx, acc);
        }
        enter_defined!(
            call_operands!(ip, CallInternal).0,
            call_operands!(ip, CallInternal).1,
            |ip, fp, mem, len, cx, acc|
        )
    }
);
handler!(
    CopyCallInternal,
    Instr::CopyCallInternal {
        d,
        s,
        func,
        base: b
    },
    |ip, fp, mem, len, cx, acc| {
        set!(fp, d, get!(fp, s));
        // From here on, this is the call that follows.
        let call = ip.add(1);
        if interrupt_requested(cx) {
            return slow(call, fp, mem, len, cx, acc);
        }
        enter_defined!(
            call_operands!(ip, CopyCallInternal).0,
            call_operands!(ip, CopyCallInternal).1,
            |call, fp, mem, len, cx, acc|
        )
    }
);
// `call_indirect` of a function of the current instance stays in threaded
// code too; the outer loop takes every other case (a function of another
// module or the host, and every trap: it checks the table again).
handler!(
    CallIndirect,
    Instr::CallIndirect {
        type_index,
        table,
        index,
        base: b,
    },
    |ip, fp, mem, len, cx, acc| {
        // The outer loop takes the interrupt (and traps).
        if interrupt_requested(cx) {
            return slow(ip, fp, mem, len, cx, acc);
        }
        let c = &*cx;
        // The store is not used through the outer loop's borrow while
        // threaded code runs (see `CallContext::store`).
        let store = &*c.store;
        let instance = store.instance(c.instance);
        let elements = &store.tables[instance.tables[table as usize].index()].elements;
        let Some(addr) = elements
            .get(get!(fp, index) as u32 as usize)
            .and_then(|&elem| wazero_store::funcref_addr(elem))
        else {
            return slow(ip, fp, mem, len, cx, acc);
        };
        let callee = &store.funcs[addr.index()];
        match callee.kind {
            wazero_store::FuncKind::Wasm {
                instance: owner,
                index: func,
            } if owner == c.instance && callee.sig == instance.sig_ids[type_index as usize] => {
                enter_defined!(func, b, |ip, fp, mem, len, cx, acc|)
            }
            _ => slow(ip, fp, mem, len, cx, acc),
        }
    }
);
/// Returns to the caller within the module, or leaves threaded code for
/// the outer loop to execute the `Return` at `$ret`.
macro_rules! return_to_caller {
    ($ret:expr, |$fp:ident, $mem:ident, $len:ident, $cx:ident, $acc:ident|) => {{
        let c = &mut *$cx;
        match c.frames.last() {
            Some(rec) if rec.module == c.module_index => {
                let rec = c.frames.pop().unwrap_unchecked();
                c.func = rec.func;
                c.base = rec.base as usize;
                next!(rec.ip, c.stack.add(c.base), $mem, $len, $cx, $acc)
            }
            _ => slow($ret, $fp, $mem, $len, $cx, $acc),
        }
    }};
}
handler!(Return, Instr::Return, |ip, fp, mem, len, cx, acc| {
    return_to_caller!(ip, |fp, mem, len, cx, acc|)
});
handler!(
    CopyPair,
    Instr::CopyPair { d0, s0, d1, s1 },
    |ip, fp, mem, len, cx, acc| {
        set!(fp, d0, get!(fp, s0));
        set!(fp, d1, get!(fp, s1));
        next!(ip.add(2), fp, mem, len, cx, acc)
    }
);
handler!(
    CopyReturn,
    Instr::CopyReturn { d, s },
    |ip, fp, mem, len, cx, acc| {
        set!(fp, d, get!(fp, s));
        return_to_caller!(ip.add(1), |fp, mem, len, cx, acc|)
    }
);
// Globals of the current instance, through the addresses the outer loop put in
// the context (validation guarantees the index is in the instance's index space).
macro_rules! global {
    ($cx:ident, $index:expr) => {
        (*$cx)
            .globals
            .add((*(*$cx).global_addrs.add($index as usize)).index())
    };
}
handler!(
    GlobalGet,
    Instr::GlobalGet { d, index },
    |ip, fp, mem, len, cx, acc| {
        set!(fp, d, (*global!(cx, index)).value as u64);
        next!(ip.add(1), fp, mem, len, cx, acc)
    }
);
handler!(
    GlobalSet,
    Instr::GlobalSet { s, index },
    |ip, fp, mem, len, cx, acc| {
        (*global!(cx, index)).value = u128::from(get!(fp, s));
        next!(ip.add(1), fp, mem, len, cx, acc)
    }
);
// C's stack pointer moved in a prologue (from the global itself) or an
// epilogue (from a slot): see `Instr::GlobalAddImm`.
handler!(
    GlobalAddImm,
    Instr::GlobalAddImm {
        d,
        a,
        imm,
        index,
        ..
    },
    |ip, fp, mem, len, cx, acc| {
        let v = u64::from((get!(fp, a) as u32).wrapping_add(imm));
        set!(fp, d, v);
        (*global!(cx, index)).value = u128::from(v);
        next!(ip.add(1), fp, mem, len, cx, acc)
    }
);
handler!(
    GlobalAddImmOfGlobal,
    Instr::GlobalAddImm { d, imm, index, .. },
    |ip, fp, mem, len, cx, acc| {
        let global = global!(cx, index);
        let v = u64::from(((*global).value as u32).wrapping_add(imm));
        set!(fp, d, v);
        (*global).value = u128::from(v);
        next!(ip.add(1), fp, mem, len, cx, acc)
    }
);
// Calls of imported host functions stay in threaded code too (imported WebAssembly
// functions, and stacks that must grow first, go to the outer loop).
handler!(
    CallImported,
    Instr::CallImported { func, base: b },
    |ip, fp, mem, len, cx, acc| {
        let c = &mut *cx;
        let addr = *c.func_addrs.add(func as usize);
        let store = &mut *c.store;
        let instance = &store.funcs[addr.index()];
        let wazero_store::FuncKind::Host { func: host, .. } = &instance.kind else {
            return slow(ip, fp, mem, len, cx, acc);
        };
        let n = instance.ty.param_slots().max(instance.ty.result_slots());
        if c.base + b as usize + n > c.stack_len {
            return slow(ip, fp, mem, len, cx, acc);
        }
        let host = crate::exec::host_closure(std::sync::Arc::as_ptr(host));
        let stack = std::slice::from_raw_parts_mut(fp.add(b as usize), n);
        let depth = c.frames.len() as u32 + 1;
        if !threaded_host_call(c, store, depth, addr, host, stack) {
            return Exit {
                ip,
                reason: HOST_FAILED,
            };
        }
        // The host may have grown the memory or added globals.
        let (mem, len) = crate::exec::memory_of(store, c.instance);
        c.globals = store.globals.as_mut_ptr();
        c.global_addrs = store.instance(c.instance).globals.as_ptr();
        next_with_memory!(ip.add(1), fp, mem, len, cx, acc)
    }
);

// An access to 64-bit memory 0 runs in a window of it starting at the
// address (docs/design.md): threaded code opens it, runs the access at
// address 0 of it, and closes it. Windows of other memories go through the
// outer loop, which also selects the memory.
handler!(
    Window64,
    Instr::Window64 {
        d,
        addr,
        memory,
        offset_high
    },
    |ip, fp, mem, len, cx, acc| {
        if memory != 0 {
            return slow(ip, fp, mem, len, cx, acc);
        }
        let start = get!(fp, addr).checked_add(u64::from(offset_high) << 32);
        let Some(start) = start.filter(|&s| s <= len) else {
            return Exit::trap(ip, TrapCode::MemoryOutOfBounds);
        };
        ((*cx).window_base, (*cx).window_len) = (mem, len);
        set!(fp, d, 0);
        // `start <= len`: at most one past the memory's end.
        next_with_memory!(ip.add(1), fp, mem.add(start as usize), len - start, cx, acc)
    }
);
handler!(Unwindow, Instr::Unwindow, |ip, fp, mem, len, cx, acc| {
    let (base, full) = ((*cx).window_base, (*cx).window_len);
    next_with_memory!(ip.add(1), fp, base, full, cx, acc)
});

/// A host call from threaded code: true if it succeeded, else false with the
/// error in the context.
///
/// Out of line, and answering in a register: a handler that lends the address
/// of one of its locals to a call (a `Caller`, or the place a large result is
/// returned through) cannot end in a jump to the next handler (LLVM makes no
/// sibling call then), and every host call would keep a native stack frame.
/// `tests/dispatch.rs` of the `wazero` crate checks this.
#[inline(never)]
fn threaded_host_call(
    c: &mut CallContext,
    store: &mut wazero_store::Store,
    depth: u32,
    addr: wazero_store::FuncAddr,
    host: &wazero_store::HostFn,
    stack: &mut [u64],
) -> bool {
    match crate::exec::call_host(store, depth, addr, c.instance, host, stack) {
        Ok(()) => true,
        Err(e) => {
            c.error = Some(e);
            false
        }
    }
}
handler!(
    Unreachable,
    Instr::Unreachable,
    |ip, fp, mem, len, cx, acc| { Exit::trap(ip, TrapCode::Unreachable) }
);
handler!(Copy, Instr::Copy { d, s }, |ip, fp, mem, len, cx, acc| {
    set!(fp, d, get!(fp, s));
    next!(ip.add(1), fp, mem, len, cx, acc)
});
handler!(Copy2, Instr::Copy2 { d, s }, |ip, fp, mem, len, cx, acc| {
    set2!(fp, d, get2!(fp, s));
    next!(ip.add(1), fp, mem, len, cx, acc)
});
handler!(
    Const32,
    Instr::Const32 { d, value },
    |ip, fp, mem, len, cx, acc| {
        set!(fp, d, u64::from(value));
        next!(ip.add(1), fp, mem, len, cx, acc)
    }
);
handler!(
    Const64,
    Instr::Const64 { d, value },
    |ip, fp, mem, len, cx, acc| {
        set!(fp, d, value);
        next!(ip.add(1), fp, mem, len, cx, acc)
    }
);
/// `i32` `base + (index << shift)` with its index and result in the modes
/// `[$ri $wd]`.
macro_rules! add_shl_handler {
    ([$ri:ident $wd:ident]) => {
        handler!(
            I32AddShl,
            Instr::I32AddShl {
                d,
                base,
                index,
                shift
            },
            |ip, fp, mem, len, cx, acc| {
                let scaled = ($ri!(fp, acc, index) as u32).wrapping_shl(u32::from(shift));
                $wd!(
                    fp,
                    acc,
                    d,
                    (get!(fp, base) as u32).wrapping_add(scaled) as u64
                );
                next!(ip.add(1), fp, mem, len, cx, acc)
            }
        );
    };
}
add_shl_handler!([rd_slot wr_slot]);

/// The bit-field instructions (`I32ShrUAnd`, `I32AndShl`) with their
/// operand and result in the modes `[$ra $wd]`, and `bit_field_handler`,
/// which picks between them.
macro_rules! bit_field_handlers {
    ($gen:ident, [$ra:ident $wd:ident]) => {
        handler!(
            I32ShrUAnd,
            Instr::I32ShrUAnd { d, a, shift, mask },
            |ip, fp, mem, len, cx, acc| {
                let v = ($ra!(fp, acc, a) as u32).wrapping_shr(u32::from(shift)) & mask;
                $wd!(fp, acc, d, u64::from(v));
                next!(ip.add(1), fp, mem, len, cx, acc)
            }
        );
        handler!(
            I32AndShl,
            Instr::I32AndShl { d, a, mask, shift },
            |ip, fp, mem, len, cx, acc| {
                let v = ($ra!(fp, acc, a) as u32 & mask).wrapping_shl(u32::from(shift));
                $wd!(fp, acc, d, u64::from(v));
                next!(ip.add(1), fp, mem, len, cx, acc)
            }
        );

        /// The handler of a bit-field instruction in this mode.
        pub(crate) fn bit_field_handler(instr: &Instr) -> Option<Handler> {
            match instr {
                Instr::I32ShrUAnd { .. } => Some(I32ShrUAnd as Handler),
                Instr::I32AndShl { .. } => Some(I32AndShl as Handler),
                _ => None,
            }
        }
    };
}

/// `select` (of a scalar) with its condition and result in the modes
/// `[$rc $wd]`.
macro_rules! select_handler {
    ([$rc:ident $wd:ident]) => {
        handler!(
            Select,
            Instr::Select { d, cond, a, b },
            |ip, fp, mem, len, cx, acc| {
                let v = if $rc!(fp, acc, cond) as u32 != 0 {
                    get!(fp, a)
                } else {
                    get!(fp, b)
                };
                $wd!(fp, acc, d, v);
                next!(ip.add(1), fp, mem, len, cx, acc)
            }
        );
    };
}
select_handler!([rd_slot wr_slot]);
handler!(
    Select2,
    Instr::Select2 { d, cond, a, b },
    |ip, fp, mem, len, cx, acc| {
        let v = if get!(fp, cond) as u32 != 0 {
            get2!(fp, a)
        } else {
            get2!(fp, b)
        };
        set2!(fp, d, v);
        next!(ip.add(1), fp, mem, len, cx, acc)
    }
);

/// `i32.load` of a pointer, then of the `i32` it points to
/// ([`Instr::I32LoadLoad`]), with its address and result in the modes
/// `[$ra $wd]`, and `load_load_handler`, which picks it.
macro_rules! load_load_handlers {
    ($gen:ident, [$ra:ident $wd:ident]) => {
        handler!(
            I32LoadLoad,
            Instr::I32LoadLoad {
                d,
                addr,
                first,
                second
            },
            |ip, fp, mem, len, cx, acc| {
                let ea = effective!(ip, len, $ra!(fp, acc, addr), first, 4);
                let pointer = mem.add(ea).cast::<u32>().read_unaligned();
                let ea = effective!(ip, len, pointer, second, 4);
                let v = mem.add(ea).cast::<u32>().read_unaligned();
                $wd!(fp, acc, d, u64::from(u32::from_le(v)));
                next!(ip.add(1), fp, mem, len, cx, acc)
            }
        );

        /// The handler of an `I32LoadLoad` in this mode.
        pub(crate) fn load_load_handler(instr: &Instr) -> Option<Handler> {
            matches!(instr, Instr::I32LoadLoad { .. }).then_some(I32LoadLoad as Handler)
        }
    };
}

/// A value of `$n` bytes (`$t`) moved from memory to memory.
macro_rules! move_handler {
    ($name:ident, $t:ty) => {
        handler!(
            $name,
            Instr::$name {
                dst,
                dst_offset,
                src,
                src_offset
            },
            |ip, fp, mem, len, cx, acc| {
                const N: usize = std::mem::size_of::<$t>();
                let from = effective!(ip, len, get!(fp, src), src_offset, N);
                let v = mem.add(from).cast::<$t>().read_unaligned();
                let to = effective!(ip, len, get!(fp, dst), dst_offset, N);
                mem.add(to).cast::<$t>().write_unaligned(v);
                next!(ip.add(1), fp, mem, len, cx, acc)
            }
        );
    };
}
move_handler!(Move8, u8);
move_handler!(Move32, u32);
move_handler!(Move64, u64);
handler!(
    CopyI32Load,
    Instr::CopyI32Load {
        d,
        s,
        ld,
        addr,
        offset
    },
    |ip, fp, mem, len, cx, acc| {
        set!(fp, d, get!(fp, s));
        // The load's trap is reported at this instruction, after the copy,
        // as the two would do one after the other.
        let ea = effective!(ip, len, get!(fp, addr), offset, 4);
        let v = mem.add(ea).cast::<u32>().read_unaligned();
        set!(fp, ld, u64::from(u32::from_le(v)));
        next!(ip.add(2), fp, mem, len, cx, acc)
    }
);

/// Hands the list of scalar loads to `$m`, after `$modes`.
macro_rules! each_load {
    ($m:ident, $modes:tt) => {
        $m! { $modes
            I32Load: u32 => |v| u64::from(v);
            I64Load: u64 => |v| v;
            I32Load8S: i8 => |v| v as i32 as u32 as u64;
            I32Load8U: u8 => |v| u64::from(v);
            I32Load16S: i16 => |v| v as i32 as u32 as u64;
            I32Load16U: u16 => |v| u64::from(v);
            I64Load8S: i8 => |v| v as i64 as u64;
            I64Load8U: u8 => |v| u64::from(v);
            I64Load16S: i16 => |v| v as i64 as u64;
            I64Load16U: u16 => |v| u64::from(v);
            I64Load32S: i32 => |v| v as i64 as u64;
            I64Load32U: u32 => |v| u64::from(v);
        }
    };
}

/// The load handlers with the address and result in the modes `[$ra $wd]`,
/// and `load_handler` to pick one.
macro_rules! loads {
    ([$ra:ident $wd:ident] $($name:ident: $t:ty => |$v:ident| $conv:expr;)*) => {
        $(handler!($name, Instr::$name { d, addr, offset }, |ip, fp, mem, len, cx, acc| {
            let ea = effective!(ip, len, $ra!(fp, acc, addr), offset, std::mem::size_of::<$t>());
            let $v = <$t>::from_le_bytes(mem.add(ea).cast::<[u8; std::mem::size_of::<$t>()]>().read());
            $wd!(fp, acc, d, $conv);
            next!(ip.add(1), fp, mem, len, cx, acc)
        });)*

        /// The handler of a scalar load in this mode.
        pub(crate) fn load_handler(instr: &Instr) -> Option<Handler> {
            Some(match instr {
                $(Instr::$name { .. } => $name,)*
                _ => return None,
            })
        }
    };
}

/// Hands the list of scalar stores to `$m`, after `$modes`.
macro_rules! each_store {
    ($m:ident, $modes:tt) => {
        $m! { $modes
            Store8: u8;
            Store16: u16;
            Store32: u32;
            Store64: u64;
        }
    };
}

/// The store handlers with the address and value in the modes `[$ra $rb]`,
/// and `store_handler` to pick one.
macro_rules! stores {
    ([$ra:ident $rb:ident] $($name:ident: $t:ty;)*) => {
        $(handler!($name, Instr::$name { addr, value, offset }, |ip, fp, mem, len, cx, acc| {
            let ea = effective!(ip, len, $ra!(fp, acc, addr), offset, std::mem::size_of::<$t>());
            let bytes = ($rb!(fp, acc, value) as $t).to_le_bytes();
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), mem.add(ea), bytes.len());
            next!(ip.add(1), fp, mem, len, cx, acc)
        });)*

        /// The handler of a scalar store in this mode.
        pub(crate) fn store_handler(instr: &Instr) -> Option<Handler> {
            Some(match instr {
                $(Instr::$name { .. } => $name,)*
                _ => return None,
            })
        }
    };
}

/// The handlers of [`Instr::StoreImm`] with the address in mode `$ra`, and
/// `store_imm_handler` to pick one.
macro_rules! store_imms {
    ($ra:ident) => {
        store_imms!($ra;
            Store8Imm: Store8 => |v| v as u8;
            Store16Imm: Store16 => |v| v as u16;
            Store32Imm: Store32 => |v| v;
            Store64Imm: Store64 => |v| v as i32 as i64 as u64;
        );
    };
    ($ra:ident; $($name:ident: $kind:ident => |$v:ident| $conv:expr;)*) => {
        $(handler!($name, Instr::StoreImm { addr, value, offset, .. }, |ip, fp, mem, len, cx, acc| {
            let $v = value;
            let bytes = ($conv).to_le_bytes();
            let ea = effective!(ip, len, $ra!(fp, acc, addr), offset, bytes.len());
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), mem.add(ea), bytes.len());
            next!(ip.add(1), fp, mem, len, cx, acc)
        });)*

        /// The handler of an [`Instr::StoreImm`] in this mode.
        pub(crate) fn store_imm_handler(instr: &Instr) -> Option<Handler> {
            let Instr::StoreImm { kind, .. } = instr else {
                return None;
            };
            Some(match kind {
                $(StoreKind::$kind => $name,)*
            })
        }
    };
}

/// The handlers of a load fused with the `i32.add` of its address, for
/// each scalar load, with the first operand of the sum and the result in
/// the modes `[$ra $wd]`, and `$picker` to pick one. `$variant` is the
/// instruction, `$first` its field of the first operand, `$second` its field
/// of what is added (`imm(..)` a constant, `slot(..)` a slot), and `[..]`
/// its field of the slot the sum is written to as well, if any.
macro_rules! fused_loads {
    (
        [$ra:ident $wd:ident] $picker:ident
        $variant:ident: $first:ident + $kind:ident($second:ident) $tee:tt;
        $($name:ident: $t:ty => |$v:ident| $conv:expr;)*
    ) => {
        $(fused_load_handler!($name: $t => |$v| $conv, [$ra $wd] $variant $first $kind $second $tee);)*

        /// The handler of this fused load in this mode.
        pub(crate) fn $picker(instr: &Instr) -> Option<Handler> {
            let Instr::$variant { kind, .. } = instr else {
                return None;
            };
            Some(match kind {
                $(LoadKind::$name => $name,)*
            })
        }
    };
}

/// One handler of `fused_loads!`: the load `$name`; `$tee` is `[field]`
/// or `[]`.
macro_rules! fused_load_handler {
    (
        $name:ident: $t:ty => |$v:ident| $conv:expr,
        [$ra:ident $wd:ident] $variant:ident $first:ident $kind:ident $second:ident [$($tee:ident)?]
    ) => {
        handler!($name, Instr::$variant { d, $first, $second, $($tee,)? offset, .. }, |ip, fp, mem, len, cx, acc| {
            let at = ($ra!(fp, acc, $first) as u32).wrapping_add(addend!($kind, fp, $second));
            $(set!(fp, $tee, u64::from(at));)?
            let ea = effective!(ip, len, at, offset, std::mem::size_of::<$t>());
            let $v = <$t>::from_le_bytes(mem.add(ea).cast::<[u8; std::mem::size_of::<$t>()]>().read());
            $wd!(fp, acc, d, $conv);
            next!(ip.add(1), fp, mem, len, cx, acc)
        });
    };
}

/// The addend of a fused load's address (`fused_loads!`): a constant
/// field, or the value of a slot field.
macro_rules! addend {
    (imm, $fp:ident, $f:ident) => {
        $f
    };
    (slot, $fp:ident, $f:ident) => {
        get!($fp, $f) as u32
    };
}

/// [`Instr::LoadPlus`]'s handlers (see `fused_loads!`).
macro_rules! load_plus {
    ($modes:tt $($list:tt)*) => {
        fused_loads! { $modes load_plus_handler LoadPlus: addr + imm(imm) []; $($list)* }
    };
}

/// [`Instr::LoadIndexed`]'s handlers (see `fused_loads!`).
macro_rules! load_indexed {
    ($modes:tt $($list:tt)*) => {
        fused_loads! { $modes load_indexed_handler LoadIndexed: a + slot(b) []; $($list)* }
    };
}

/// [`Instr::LoadPlusTee`]'s handlers (see `fused_loads!`).
macro_rules! load_plus_tee {
    ($modes:tt $($list:tt)*) => {
        fused_loads! { $modes load_plus_tee_handler LoadPlusTee: addr + imm(imm) [t]; $($list)* }
    };
}

/// [`Instr::LoadIndexedTee`]'s handlers (see `fused_loads!`).
macro_rules! load_indexed_tee {
    ($modes:tt $($list:tt)*) => {
        fused_loads! { $modes load_indexed_tee_handler LoadIndexedTee: a + slot(b) [t]; $($list)* }
    };
}

each_load!(loads, [rd_slot wr_slot]);
each_store!(stores, [rd_slot rd_slot]);
store_imms!(rd_slot);

handler!(
    V128Load,
    Instr::V128Load { d, addr, offset },
    |ip, fp, mem, len, cx, acc| {
        let ea = effective!(ip, len, get!(fp, addr), offset, 16);
        set2!(
            fp,
            d,
            u128::from_le_bytes(mem.add(ea).cast::<[u8; 16]>().read())
        );
        next!(ip.add(1), fp, mem, len, cx, acc)
    }
);
handler!(
    V128Store,
    Instr::V128Store {
        addr,
        value,
        offset
    },
    |ip, fp, mem, len, cx, acc| {
        let ea = effective!(ip, len, get!(fp, addr), offset, 16);
        let bytes = get2!(fp, value).to_le_bytes();
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), mem.add(ea), 16);
        next!(ip.add(1), fp, mem, len, cx, acc)
    }
);
handler!(
    V128LoadExt,
    Instr::V128LoadExt {
        d,
        addr,
        offset,
        bytes
    },
    |ip, fp, mem, len, cx, acc| {
        // The translator always emits the transform right after.
        let Instr::V128Payload(transform) = (*ip.add(1)).instr else {
            std::hint::unreachable_unchecked()
        };
        let ea = effective!(ip, len, get!(fp, addr), offset, bytes);
        let mut raw = [0u8; 8];
        std::ptr::copy_nonoverlapping(mem.add(ea), raw.as_mut_ptr(), bytes as usize);
        set2!(fp, d, transform(u64::from_le_bytes(raw)));
        next!(ip.add(2), fp, mem, len, cx, acc)
    }
);
handler!(
    V128LoadLane,
    Instr::V128LoadLane {
        d,
        addr,
        v,
        offset,
        bytes,
        lane
    },
    |ip, fp, mem, len, cx, acc| {
        let ea = effective!(ip, len, get!(fp, addr), offset, bytes);
        let mut raw = [0u8; 8];
        std::ptr::copy_nonoverlapping(mem.add(ea), raw.as_mut_ptr(), bytes as usize);
        let vector = get2!(fp, v);
        set2!(
            fp,
            d,
            simd::replace_lane_bytes(vector, u64::from_le_bytes(raw), bytes, lane)
        );
        next!(ip.add(1), fp, mem, len, cx, acc)
    }
);
handler!(
    V128StoreLane,
    Instr::V128StoreLane {
        addr,
        v,
        offset,
        bytes,
        lane
    },
    |ip, fp, mem, len, cx, acc| {
        let ea = effective!(ip, len, get!(fp, addr), offset, bytes);
        let value = simd::extract_lane_bytes(get2!(fp, v), bytes, lane).to_le_bytes();
        std::ptr::copy_nonoverlapping(value.as_ptr(), mem.add(ea), bytes as usize);
        next!(ip.add(1), fp, mem, len, cx, acc)
    }
);
handler!(
    V128Unary,
    Instr::V128Unary { d, a, f },
    |ip, fp, mem, len, cx, acc| {
        set2!(fp, d, f(get2!(fp, a)));
        next!(ip.add(1), fp, mem, len, cx, acc)
    }
);
handler!(
    V128Binary,
    Instr::V128Binary { d, a, b, f },
    |ip, fp, mem, len, cx, acc| {
        set2!(fp, d, f(get2!(fp, a), get2!(fp, b)));
        next!(ip.add(1), fp, mem, len, cx, acc)
    }
);
handler!(
    V128Bitselect,
    Instr::V128Bitselect { d, a, b, c },
    |ip, fp, mem, len, cx, acc| {
        set2!(
            fp,
            d,
            simd::bitselect(get2!(fp, a), get2!(fp, b), get2!(fp, c))
        );
        next!(ip.add(1), fp, mem, len, cx, acc)
    }
);
handler!(
    V128Shift,
    Instr::V128Shift { d, a, s, f },
    |ip, fp, mem, len, cx, acc| {
        set2!(fp, d, f(get2!(fp, a), get!(fp, s) as u32));
        next!(ip.add(1), fp, mem, len, cx, acc)
    }
);
handler!(
    V128Test,
    Instr::V128Test { d, a, f },
    |ip, fp, mem, len, cx, acc| {
        set!(fp, d, u64::from(f(get2!(fp, a))));
        next!(ip.add(1), fp, mem, len, cx, acc)
    }
);
handler!(
    V128Splat,
    Instr::V128Splat { d, a, f },
    |ip, fp, mem, len, cx, acc| {
        set2!(fp, d, f(get!(fp, a)));
        next!(ip.add(1), fp, mem, len, cx, acc)
    }
);
handler!(
    V128Extract,
    Instr::V128Extract { d, a, lane, f },
    |ip, fp, mem, len, cx, acc| {
        set!(fp, d, f(get2!(fp, a), lane));
        next!(ip.add(1), fp, mem, len, cx, acc)
    }
);
handler!(
    V128Replace,
    Instr::V128Replace { d, a, b, lane, f },
    |ip, fp, mem, len, cx, acc| {
        set2!(fp, d, f(get2!(fp, a), get!(fp, b), lane));
        next!(ip.add(1), fp, mem, len, cx, acc)
    }
);
handler!(
    I8x16Shuffle,
    Instr::I8x16Shuffle { d, a, b, lanes },
    |ip, fp, mem, len, cx, acc| {
        let lanes = get2!(fp, lanes).to_le_bytes();
        set2!(fp, d, simd::shuffle(get2!(fp, a), get2!(fp, b), &lanes));
        next!(ip.add(1), fp, mem, len, cx, acc)
    }
);

fn handler_of_other(instr: &Instr) -> Handler {
    if let Some(handler) = branch_handler(instr, false) {
        return handler;
    }
    if let Instr::GlobalAddImm {
        of_global: true, ..
    } = instr
    {
        return GlobalAddImmOfGlobal;
    }
    macro_rules! fast {
        ($($name:ident),* $(,)?) => {
            match instr {
                $(Instr::$name { .. } => $name,)*
                _ => slow,
            }
        };
    }
    fast!(
        BrTable,
        Unreachable,
        InitSlots,
        Copy,
        Copy2,
        Const32,
        Const64,
        Select,
        Select2,
        V128Load,
        V128Store,
        V128LoadExt,
        V128LoadLane,
        V128StoreLane,
        V128Unary,
        V128Binary,
        V128Bitselect,
        V128Shift,
        V128Test,
        V128Splat,
        V128Extract,
        V128Replace,
        I8x16Shuffle,
        CallInternal,
        CallIndirect,
        Return,
        CopyPair,
        CopyI32Load,
        CopyCallInternal,
        CopyReturn,
        I32AddShl,
        Move8,
        Move32,
        Move64,
        Window64,
        Unwindow,
        GlobalGet,
        GlobalSet,
        GlobalAddImm,
        CallImported,
    )
}

/// Handlers that take an operand from the accumulator or leave their
/// result in it (see `code::ACC`), by the operands concerned.
pub(crate) mod acc {
    /// The first operand (`a`, an address, a copy's source, a `br_table`
    /// index) is the accumulator.
    pub(crate) mod a {
        use super::super::*;
        for_each_numeric_op!(binary_handlers, [rd_acc rd_slot wr_slot]);
        for_each_numeric_op!(unary_handlers, [rd_acc wr_slot]);
        each_load!(loads, [rd_acc wr_slot]);
        each_store!(stores, [rd_acc rd_slot]);
        store_imms!(rd_acc);
        br_table_handler!(rd_acc);
        select_handler!([rd_acc wr_slot]);
        add_shl_handler!([rd_acc wr_slot]);
        handler!(Copy, Instr::Copy { d, s }, |ip, fp, mem, len, cx, acc| {
            set!(fp, d, acc);
            next!(ip.add(1), fp, mem, len, cx, acc)
        });

        /// The handler of `instr` in this mode.
        pub(crate) fn handler(instr: &Instr) -> Option<Handler> {
            binary_handler(instr)
                .or_else(|| unary_handler(instr))
                .or_else(|| load_handler(instr))
                .or_else(|| store_handler(instr))
                .or_else(|| store_imm_handler(instr))
                .or(match instr {
                    Instr::BrTable { .. } => Some(BrTable as Handler),
                    Instr::Copy { .. } => Some(Copy as Handler),
                    Instr::Select { .. } => Some(Select as Handler),
                    Instr::I32AddShl { .. } => Some(I32AddShl as Handler),
                    _ => None,
                })
        }
    }

    /// The second operand (`b`, a stored value) is the accumulator.
    pub(crate) mod b {
        use super::super::*;
        for_each_numeric_op!(binary_handlers, [rd_slot rd_acc wr_slot]);
        each_store!(stores, [rd_slot rd_acc]);

        /// The handler of `instr` in this mode.
        pub(crate) fn handler(instr: &Instr) -> Option<Handler> {
            binary_handler(instr).or_else(|| store_handler(instr))
        }
    }

    /// The result goes to the accumulator.
    pub(crate) mod o {
        use super::super::*;
        for_each_numeric_op!(binary_handlers, [rd_slot rd_slot wr_acc]);
        for_each_numeric_op!(unary_handlers, [rd_slot wr_acc]);
        each_load!(loads, [rd_slot wr_acc]);
        select_handler!([rd_slot wr_acc]);
        add_shl_handler!([rd_slot wr_acc]);

        /// The handler of `instr` in this mode.
        pub(crate) fn handler(instr: &Instr) -> Option<Handler> {
            binary_handler(instr)
                .or_else(|| unary_handler(instr))
                .or_else(|| load_handler(instr))
                .or(match instr {
                    Instr::Select { .. } => Some(Select as Handler),
                    Instr::I32AddShl { .. } => Some(I32AddShl as Handler),
                    _ => None,
                })
        }
    }

    /// The first operand and the result are the accumulator.
    pub(crate) mod ao {
        use super::super::*;
        for_each_numeric_op!(binary_handlers, [rd_acc rd_slot wr_acc]);
        for_each_numeric_op!(unary_handlers, [rd_acc wr_acc]);
        each_load!(loads, [rd_acc wr_acc]);
        select_handler!([rd_acc wr_acc]);
        add_shl_handler!([rd_acc wr_acc]);

        /// The handler of `instr` in this mode.
        pub(crate) fn handler(instr: &Instr) -> Option<Handler> {
            binary_handler(instr)
                .or_else(|| unary_handler(instr))
                .or_else(|| load_handler(instr))
                .or(match instr {
                    Instr::Select { .. } => Some(Select as Handler),
                    Instr::I32AddShl { .. } => Some(I32AddShl as Handler),
                    _ => None,
                })
        }
    }

    /// The second operand and the result are the accumulator.
    pub(crate) mod bo {
        use super::super::*;
        for_each_numeric_op!(binary_handlers, [rd_slot rd_acc wr_acc]);

        /// The handler of `instr` in this mode.
        pub(crate) fn handler(instr: &Instr) -> Option<Handler> {
            binary_handler(instr)
        }
    }
}

/// Defines the handlers that `$list!($gen, [$ra $wd])` makes for each use
/// of the accumulator by the first operand and the result: here reading and
/// writing slots, and in the submodules `a`, `o` and `ao`.
macro_rules! first_and_result_modes {
    ($gen:ident, $list:ident, $picker:ident) => {
        use super::*;
        $list!($gen, [rd_slot wr_slot]);

        /// `$picker` of each mode, in the order none, `a`, `o`, `ao`.
        pub(crate) const BY_MODE: [fn(&Instr) -> Option<Handler>; 4] =
            [$picker, a::$picker, o::$picker, ao::$picker];

        /// The first operand is the accumulator.
        pub(crate) mod a {
            use super::super::*;
            $list!($gen, [rd_acc wr_slot]);
        }

        /// The result goes to the accumulator.
        pub(crate) mod o {
            use super::super::*;
            $list!($gen, [rd_slot wr_acc]);
        }

        /// The first operand and the result are the accumulator.
        pub(crate) mod ao {
            use super::super::*;
            $list!($gen, [rd_acc wr_acc]);
        }
    };
}

/// The handlers of binary operations with a constant second operand
/// ([`Instr::BinaryImm`]), by the accumulator's use.
pub(crate) mod imm {
    first_and_result_modes!(binary_imm_handlers, for_each_numeric_op, binary_imm_handler);
}

/// The handlers of loads at an address plus a constant ([`Instr::LoadPlus`]),
/// by the accumulator's use.
pub(crate) mod plus {
    first_and_result_modes!(load_plus, each_load, load_plus_handler);
}

/// The handlers of loads at the sum of two values ([`Instr::LoadIndexed`]),
/// by the accumulator's use.
pub(crate) mod indexed {
    first_and_result_modes!(load_indexed, each_load, load_indexed_handler);
}

/// The handlers of loads whose address an `i32.add` of a constant also
/// puts in a local ([`Instr::LoadPlusTee`]), by the accumulator's use.
pub(crate) mod plus_tee {
    first_and_result_modes!(load_plus_tee, each_load, load_plus_tee_handler);
}

/// The handlers of loads whose address an `i32.add` of two values also
/// puts in a local ([`Instr::LoadIndexedTee`]), by the accumulator's use.
pub(crate) mod indexed_tee {
    first_and_result_modes!(load_indexed_tee, each_load, load_indexed_tee_handler);
}

/// Hands nothing more than its modes to `$gen` (for
/// `first_and_result_modes!` on handlers that need no list).
macro_rules! modes_only {
    ($gen:ident, $modes:tt) => {
        $gen!($gen, $modes);
    };
}

/// The handlers of the bit-field instructions ([`Instr::I32ShrUAnd`],
/// [`Instr::I32AndShl`]), by the accumulator's use.
pub(crate) mod bits {
    first_and_result_modes!(bit_field_handlers, modes_only, bit_field_handler);
}

/// The handlers of [`Instr::I32LoadLoad`], by the accumulator's use.
pub(crate) mod chase {
    first_and_result_modes!(load_load_handlers, modes_only, load_load_handler);
}

/// The handler that executes `instr`, a branch forward or backward, with the
/// operands it takes from the accumulator; `None` if there is no such form
/// (the translator uses the accumulator only where there is).
pub(crate) fn handler_for(instr: &Instr, backward: bool) -> Option<Handler> {
    let mode = instr.acc_mode();
    let by_mode = match instr {
        Instr::BinaryImm { .. } => Some(imm::BY_MODE),
        Instr::LoadPlus { .. } => Some(plus::BY_MODE),
        Instr::LoadIndexed { .. } => Some(indexed::BY_MODE),
        Instr::LoadPlusTee { .. } => Some(plus_tee::BY_MODE),
        Instr::LoadIndexedTee { .. } => Some(indexed_tee::BY_MODE),
        Instr::I32ShrUAnd { .. } | Instr::I32AndShl { .. } => Some(bits::BY_MODE),
        Instr::I32LoadLoad { .. } => Some(chase::BY_MODE),
        _ => None,
    };
    if let Some(pickers) = by_mode {
        // By the modes of `first_and_result_modes!`: none, a, o, ao.
        return pickers[usize::from(mode.first) + 2 * usize::from(mode.result)](instr);
    }
    let branch = |forward: fn(&Instr) -> Option<Handler>, back: fn(&Instr) -> Option<Handler>| {
        if backward {
            back(instr)
        } else {
            forward(instr)
        }
    };
    match (mode.first, mode.second, mode.result) {
        (false, false, false) => {
            Some(branch_handler(instr, backward).unwrap_or_else(|| handler_of(instr)))
        }
        (true, false, false) => acc::a::handler(instr)
            .or_else(|| branch(forward::a::branch_handler, backward::a::branch_handler))
            .or_else(|| {
                branch(
                    forward::a::branch_imm_handler,
                    backward::a::branch_imm_handler,
                )
            }),
        (false, true, false) => acc::b::handler(instr)
            .or_else(|| branch(forward::b::branch_handler, backward::b::branch_handler)),
        (false, false, true) => acc::o::handler(instr),
        (true, false, true) => acc::ao::handler(instr),
        (false, true, true) => acc::bo::handler(instr),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hot_instructions_run_threaded_and_the_rest_leave() {
        let threaded = [
            Instr::I32Add { d: 0, a: 0, b: 0 },
            Instr::I64DivS { d: 0, a: 0, b: 0 },
            Instr::F64Sqrt { d: 0, a: 0 },
            Instr::I32TruncF64S { d: 0, a: 0 },
            Instr::Br { target: 0 },
            Instr::BrIfI64LtU {
                a: 0,
                b: 0,
                target: 0,
            },
            Instr::BrTable {
                index: 0,
                len: 0,
                bias: 0,
            },
            Instr::Copy { d: 0, s: 0 },
            Instr::Select2 {
                d: 0,
                cond: 0,
                a: 0,
                b: 0,
            },
            Instr::I64Load32S {
                d: 0,
                addr: 0,
                offset: 0,
            },
            Instr::Store16 {
                addr: 0,
                value: 0,
                offset: 0,
            },
            Instr::V128Load {
                d: 0,
                addr: 0,
                offset: 0,
            },
            Instr::CallInternal { func: 0, base: 0 },
            Instr::CallIndirect {
                type_index: 0,
                table: 0,
                index: 0,
                base: 0,
            },
            Instr::CallImported { func: 0, base: 0 },
            Instr::Return,
            Instr::GlobalGet { d: 0, index: 0 },
            Instr::GlobalSet { s: 0, index: 0 },
            Instr::GlobalAddImm {
                d: 0,
                a: 0,
                imm: 0,
                index: 0,
                of_global: false,
            },
            Instr::GlobalAddImm {
                d: 0,
                a: 0,
                imm: 0,
                index: 0,
                of_global: true,
            },
            Instr::Unreachable,
        ];
        let outer = [
            Instr::Global2 {
                slot: 0,
                index: 0,
                set: false,
            },
            Instr::MemoryGrow { d: 0, delta: 0 },
            Instr::MemoryCopy {
                dst: 0,
                src: 0,
                len: 0,
            },
            Instr::TableGet {
                d: 0,
                index: 0,
                table: 0,
            },
            Instr::RefFunc { d: 0, func: 0 },
        ];
        for instr in threaded {
            assert!(
                !std::ptr::fn_addr_eq(handler_of(&instr), slow as Handler),
                "{instr:?}"
            );
        }
        for instr in outer {
            assert!(
                std::ptr::fn_addr_eq(handler_of(&instr), slow as Handler),
                "{instr:?}"
            );
        }
    }
}
