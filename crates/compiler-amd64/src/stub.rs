//! The entry stub and fault landing, assembled with `dynasmrt`, and the x86-64
//! Linux machine context of a fault (see `wazero_compiler::Arch`).

use std::sync::OnceLock;

use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi};
use wazero_compiler::{on_fault, vmctx, Arch, Stub};

static STUB: OnceLock<Result<Stub, String>> = OnceLock::new();

/// Assembles:
///
/// ```text
/// enter(vm: rdi, callee: rsi, values: rdx, trampoline: rcx) -> eax
///     push rbp; mov rbp, rsp
///     push rbx, r12, r13, r14, r15     ; callee-saved registers (System V)
///     sub rsp, 8                       ; 16-byte alignment for the call
///     mov [rdi + ENTRY_SP], rsp
///     call rcx                         ; trampoline(vm, callee, values)
///     xor eax, eax
/// done:
///     add rsp, 8
///     pop r15, r14, r13, r12, rbx, rbp
///     ret
///
/// landing(vm: rdi), entered from the signal handler on an aligned stack
/// below the faulting frames:
///     mov rbx, rdi
///     call on_fault                    ; records the backtrace
///     mov rsp, [rbx + ENTRY_SP]
///     mov eax, 1
///     jmp done                         ; restores the callee-saved registers
/// ```
fn assemble() -> Result<Stub, String> {
    let mut ops = dynasmrt::x64::Assembler::new().map_err(|e| e.to_string())?;
    let entry_sp = vmctx::ENTRY_SP;
    let hook = on_fault as *const () as i64;
    let enter = ops.offset();
    dynasm!(ops
        ; .arch x64
        ; push rbp
        ; mov rbp, rsp
        ; push rbx
        ; push r12
        ; push r13
        ; push r14
        ; push r15
        ; sub rsp, 8
        ; mov [rdi + entry_sp], rsp
        ; call rcx
        ; xor eax, eax
        ; ->done:
        ; add rsp, 8
        ; pop r15
        ; pop r14
        ; pop r13
        ; pop r12
        ; pop rbx
        ; pop rbp
        ; ret
    );
    let landing = ops.offset();
    dynasm!(ops
        ; .arch x64
        ; mov rbx, rdi
        ; mov rax, QWORD hook
        ; call rax
        ; mov rsp, [rbx + entry_sp]
        ; mov eax, 1
        ; jmp ->done
    );
    let code = ops
        .finalize()
        .map_err(|_| "cannot finalize the entry stub")?;
    // SAFETY: `enter` starts the code assembled above, which follows the
    // System V calling convention with exactly `EnterFn`'s signature and
    // contract; `landing` starts the fault landing.
    Ok(unsafe { Stub::new(code, enter, landing) })
}

/// Reads the fault's registers from a Linux x86-64 `ucontext_t`.
///
/// # Safety
/// `context` is the third argument of a `SA_SIGINFO` signal handler.
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
unsafe fn read(context: *mut std::ffi::c_void) -> wazero_compiler::FaultRegs {
    // SAFETY: see the function's contract.
    let gregs = unsafe { &(*context.cast::<libc::ucontext_t>()).uc_mcontext.gregs };
    wazero_compiler::FaultRegs {
        pc: gregs[libc::REG_RIP as usize] as usize,
        fp: gregs[libc::REG_RBP as usize] as usize,
        sp: gregs[libc::REG_RSP as usize] as usize,
    }
}

/// Makes a Linux x86-64 `ucontext_t` resume at `pc` with `rdi = arg`, `rsp = sp`.
///
/// # Safety
/// As for [`read`].
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
unsafe fn redirect(context: *mut std::ffi::c_void, pc: usize, arg: usize, sp: usize) {
    // SAFETY: see the function's contract.
    let gregs = unsafe { &mut (*context.cast::<libc::ucontext_t>()).uc_mcontext.gregs };
    gregs[libc::REG_RIP as usize] = pc as i64;
    gregs[libc::REG_RDI as usize] = arg as i64;
    gregs[libc::REG_RSP as usize] = sp as i64;
}

/// Links a direct call: `call rel32`, whose 32-bit displacement (Cranelift's
/// `X86CallPCRel4`) is at `at`.
#[cfg_attr(
    not(all(target_arch = "x86_64", target_os = "linux")),
    allow(dead_code)
)]
fn link_call(
    code: &mut [u8],
    at: usize,
    kind: cranelift_codegen::binemit::Reloc,
    target: usize,
    addend: i64,
) -> Result<(), String> {
    if kind != cranelift_codegen::binemit::Reloc::X86CallPCRel4 {
        return Err(format!("unexpected relocation {kind:?} of a call"));
    }
    let rel = target as i64 + addend - at as i64;
    let rel = i32::try_from(rel).map_err(|_| "module code is over 2 GiB".to_string())?;
    let field = code
        .get_mut(at..at + 4)
        .ok_or_else(|| "a relocation outside the code".to_string())?;
    field.copy_from_slice(&rel.to_le_bytes());
    Ok(())
}

/// The x86-64 parts of running compiled code, or why there are none.
pub fn arch() -> Result<Arch, String> {
    if !cfg!(all(target_arch = "x86_64", target_os = "linux")) {
        return Err("the entry stub supports x86-64 Linux only".into());
    }
    let stub = STUB.get_or_init(assemble).as_ref().map_err(Clone::clone)?;
    #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
    return Ok(stub.arch(read, redirect, link_call));
    #[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
    {
        let _ = stub;
        Err("the entry stub supports x86-64 Linux only".into())
    }
}

#[cfg(test)]
mod tests {
    use cranelift_codegen::binemit::Reloc;

    use super::link_call;

    #[test]
    fn calls_are_linked_as_rel32() {
        struct Case {
            kind: Reloc,
            at: usize,
            target: usize,
            addend: i64,
            want: Result<i32, &'static str>,
        }
        let cases = [
            Case {
                kind: Reloc::X86CallPCRel4,
                at: 1,
                target: 64,
                addend: -4,
                want: Ok(59),
            },
            Case {
                kind: Reloc::X86CallPCRel4,
                at: 40,
                target: 0,
                addend: -4,
                want: Ok(-44),
            },
            Case {
                kind: Reloc::Abs8,
                at: 1,
                target: 64,
                addend: 0,
                want: Err("unexpected"),
            },
            Case {
                kind: Reloc::X86CallPCRel4,
                at: 62,
                target: 0,
                addend: 0,
                want: Err("outside"),
            },
            Case {
                kind: Reloc::X86CallPCRel4,
                at: 1,
                target: 1 << 32,
                addend: 0,
                want: Err("over 2 GiB"),
            },
        ];
        for case in cases {
            let mut code = vec![0xCCu8; 64];
            let got = link_call(&mut code, case.at, case.kind, case.target, case.addend);
            match (got, case.want) {
                (Ok(()), Ok(rel)) => {
                    let field: [u8; 4] = code[case.at..case.at + 4].try_into().unwrap();
                    assert_eq!(i32::from_le_bytes(field), rel);
                    assert_eq!(code[case.at - 1], 0xCC, "nothing before the field changes");
                }
                (Err(e), Err(text)) => {
                    assert!(e.contains(text), "{e}");
                    assert!(
                        code.iter().all(|&b| b == 0xCC),
                        "nothing changes on failure"
                    );
                }
                (got, want) => panic!("{got:?}, want {want:?}"),
            }
        }
    }
}
