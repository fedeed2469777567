//! The entry stub and fault landing, assembled with `dynasmrt`'s AArch64
//! assembler, the Linux AArch64 machine context of a fault, and the linking of
//! direct calls (see `wazero_compiler::Arch`).

use std::sync::OnceLock;

use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi};
use wazero_compiler::{on_fault, vmctx, Arch, Stub};

static STUB: OnceLock<Result<Stub, String>> = OnceLock::new();

/// Assembles (AAPCS64):
///
/// ```text
/// enter(vm: x0, callee: x1, values: x2, trampoline: x3) -> w0
///     stp x29, x30, [sp, #-16]!; mov x29, sp
///     stp x19..x28 in pairs, [sp, #-16]!   ; callee-saved registers
///     stp d8..d15 in pairs, [sp, #-16]!    ; (their low halves are callee-saved)
///     mov x9, sp; str x9, [x0, #ENTRY_SP]
///     blr x3                               ; trampoline(vm, callee, values)
///     mov w0, #0
/// done:
///     ldp in reverse order; ret
///
/// landing(vm: x0), entered from the signal handler on a 16-byte aligned stack
/// below the faulting frames:
///     mov x19, x0
///     ldr x9, hook; blr x9                 ; on_fault(vm): records the backtrace
///     ldr x9, [x19, #ENTRY_SP]; mov sp, x9
///     mov w0, #1
///     b done                               ; restores the callee-saved registers
/// hook: .u64 on_fault
/// ```
fn assemble() -> Result<Stub, String> {
    let mut ops = dynasmrt::aarch64::Assembler::new().map_err(|e| e.to_string())?;
    let entry_sp = u32::try_from(vmctx::ENTRY_SP)
        .ok()
        .filter(|o| o % 8 == 0 && *o < 32760)
        .ok_or("the entry stack pointer's offset does not fit `str`")?;
    let hook = on_fault as *const () as u64;
    let enter = ops.offset();
    dynasm!(ops
        ; .arch aarch64
        ; stp x29, x30, [sp, #-16]!
        ; mov x29, sp
        ; stp x19, x20, [sp, #-16]!
        ; stp x21, x22, [sp, #-16]!
        ; stp x23, x24, [sp, #-16]!
        ; stp x25, x26, [sp, #-16]!
        ; stp x27, x28, [sp, #-16]!
        ; stp d8, d9, [sp, #-16]!
        ; stp d10, d11, [sp, #-16]!
        ; stp d12, d13, [sp, #-16]!
        ; stp d14, d15, [sp, #-16]!
        ; mov x9, sp
        ; str x9, [x0, entry_sp]
        ; blr x3
        ; mov w0, 0
        ; ->done:
        ; ldp d14, d15, [sp], #16
        ; ldp d12, d13, [sp], #16
        ; ldp d10, d11, [sp], #16
        ; ldp d8, d9, [sp], #16
        ; ldp x27, x28, [sp], #16
        ; ldp x25, x26, [sp], #16
        ; ldp x23, x24, [sp], #16
        ; ldp x21, x22, [sp], #16
        ; ldp x19, x20, [sp], #16
        ; ldp x29, x30, [sp], #16
        ; ret
    );
    let landing = ops.offset();
    dynasm!(ops
        ; .arch aarch64
        ; mov x19, x0
        ; ldr x9, ->hook
        ; blr x9
        ; ldr x9, [x19, entry_sp]
        ; mov sp, x9
        ; mov w0, 1
        ; b ->done
        ; .align 8
        ; ->hook:
        ; .u64 hook
    );
    let code = ops
        .finalize()
        .map_err(|_| "cannot finalize the entry stub")?;
    // SAFETY: `enter` starts the code assembled above, which follows the
    // AAPCS64 calling convention with exactly `EnterFn`'s signature and
    // contract; `landing` starts the fault landing.
    Ok(unsafe { Stub::new(code, enter, landing) })
}

/// Reads the fault's registers from a Linux AArch64 `ucontext_t` (`x29` is the
/// frame pointer).
///
/// # Safety
/// `context` is the third argument of a `SA_SIGINFO` signal handler.
#[cfg(all(target_arch = "aarch64", target_os = "linux"))]
unsafe fn read(context: *mut std::ffi::c_void) -> wazero_compiler::FaultRegs {
    // SAFETY: see the function's contract.
    let mcontext = unsafe { &(*context.cast::<libc::ucontext_t>()).uc_mcontext };
    wazero_compiler::FaultRegs {
        pc: mcontext.pc as usize,
        fp: mcontext.regs[29] as usize,
        sp: mcontext.sp as usize,
    }
}

/// Makes a Linux AArch64 `ucontext_t` resume at `pc` with `x0 = arg`, `sp = sp`.
///
/// # Safety
/// As for [`read`].
#[cfg(all(target_arch = "aarch64", target_os = "linux"))]
unsafe fn redirect(context: *mut std::ffi::c_void, pc: usize, arg: usize, sp: usize) {
    // SAFETY: see the function's contract.
    let mcontext = unsafe { &mut (*context.cast::<libc::ucontext_t>()).uc_mcontext };
    mcontext.pc = pc as u64;
    mcontext.regs[0] = arg as u64;
    mcontext.sp = sp as u64;
}

/// Links a direct call: `bl`, whose 26-bit word displacement (Cranelift's
/// `Arm64Call`) is the low bits of the instruction at `at`; calls reach 128 MiB
/// either way.
#[cfg_attr(
    not(all(target_arch = "aarch64", target_os = "linux")),
    allow(dead_code)
)]
fn link_call(
    code: &mut [u8],
    at: usize,
    kind: cranelift_codegen::binemit::Reloc,
    target: usize,
    addend: i64,
) -> Result<(), String> {
    if kind != cranelift_codegen::binemit::Reloc::Arm64Call {
        return Err(format!("unexpected relocation {kind:?} of a call"));
    }
    let rel = target as i64 + addend - at as i64;
    if rel % 4 != 0 {
        return Err("a call target that is not 4-byte aligned".to_string());
    }
    let words = rel >> 2;
    if !(-(1 << 25)..1 << 25).contains(&words) {
        return Err("module code is over 128 MiB, beyond the reach of `bl`".to_string());
    }
    let field = code
        .get_mut(at..at + 4)
        .ok_or_else(|| "a relocation outside the code".to_string())?;
    let insn = u32::from_le_bytes([field[0], field[1], field[2], field[3]]);
    let insn = (insn & !0x03ff_ffff) | (words as u32 & 0x03ff_ffff);
    field.copy_from_slice(&insn.to_le_bytes());
    Ok(())
}

/// The AArch64 parts of running compiled code, or why there are none.
pub fn arch() -> Result<Arch, String> {
    if !cfg!(all(target_arch = "aarch64", target_os = "linux")) {
        return Err("the entry stub supports AArch64 Linux only".into());
    }
    let stub = STUB.get_or_init(assemble).as_ref().map_err(Clone::clone)?;
    #[cfg(all(target_arch = "aarch64", target_os = "linux"))]
    return Ok(stub.arch(read, redirect, link_call));
    #[cfg(not(all(target_arch = "aarch64", target_os = "linux")))]
    {
        let _ = stub;
        Err("the entry stub supports AArch64 Linux only".into())
    }
}

#[cfg(test)]
mod tests {
    use cranelift_codegen::binemit::Reloc;

    use super::{assemble, link_call};

    /// `bl #0`.
    const BL: u32 = 0x9400_0000;

    #[test]
    fn calls_are_linked_as_bl() {
        struct Case {
            kind: Reloc,
            at: usize,
            target: usize,
            want: Result<u32, &'static str>,
        }
        let cases = [
            Case {
                kind: Reloc::Arm64Call,
                at: 4,
                target: 64,
                want: Ok(BL | 15),
            },
            Case {
                kind: Reloc::Arm64Call,
                at: 40,
                target: 0,
                want: Ok(BL | (0x03ff_ffff & (-10i32 as u32))),
            },
            Case {
                kind: Reloc::X86CallPCRel4,
                at: 4,
                target: 64,
                want: Err("unexpected"),
            },
            Case {
                kind: Reloc::Arm64Call,
                at: 62,
                target: 0,
                want: Err("aligned"),
            },
            Case {
                kind: Reloc::Arm64Call,
                at: 64,
                target: 0,
                want: Err("outside"),
            },
            Case {
                kind: Reloc::Arm64Call,
                at: 4,
                target: 4 + (128 << 20),
                want: Err("over 128 MiB"),
            },
        ];
        for case in cases {
            let mut code: Vec<u8> = BL.to_le_bytes().repeat(16);
            let before = code.clone();
            let got = link_call(&mut code, case.at, case.kind, case.target, 0);
            match (got, case.want) {
                (Ok(()), Ok(insn)) => {
                    let field: [u8; 4] = code[case.at..case.at + 4].try_into().unwrap();
                    assert_eq!(u32::from_le_bytes(field), insn);
                    assert_eq!(code[..case.at], before[..case.at]);
                    assert_eq!(code[case.at + 4..], before[case.at + 4..]);
                }
                (Err(e), Err(text)) => {
                    assert!(e.contains(text), "{e}");
                    assert_eq!(code, before, "nothing changes on failure");
                }
                (got, want) => panic!("{got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn the_stub_assembles_on_every_host() {
        let stub = assemble().unwrap();
        let (base, landing) = stub.addresses();
        assert!(landing > base, "the landing follows the entry stub");
        assert_eq!((landing - base) % 4, 0, "whole instructions");
    }
}
