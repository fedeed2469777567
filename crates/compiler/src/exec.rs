//! Calls from Rust into compiled code.
//!
//! # Safety
//!
//! Entering compiled code is sound because the code was produced by this crate
//! from a validated module and only touches memory through the [`VmCtx`]:
//!
//! * linear memory accesses are bounds-checked against `memory_len` or land in
//!   the memory's reservation, where every byte past the memory's length
//!   faults, and the context's memory and table addresses are refreshed by
//!   every runtime call that may move them (`crate::builtins`: `memory.grow`
//!   and `table.grow` always, calls out when the store's resize epoch moved);
//! * a trap unwinds compiled code from the signal handler to the entry stub
//!   (`crate::arch`), with no Rust frame in between;
//! * globals, functions and signatures are addressed through the instance's own
//!   index spaces into the store's arrays, which only grow when modules are
//!   instantiated, never while compiled code of the store runs;
//! * calls within the module are direct calls into the module's own code, or
//!   go through `funcs`, its table of function addresses, both kept alive by
//!   the `Arc` held across the call;
//! * the store is only used by runtime calls while compiled code runs; the Rust
//!   caller does not touch its `&mut Store` until the trampoline returns;
//! * compiled code never uses the native stack below `stack_limit`, which lies
//!   inside this thread's stack with room to spare for runtime calls.

use wazero_api::TrapCode;
use wazero_store::{CallError, FuncAddr, FuncKind, Store, Trap};

use cranelift_codegen::isa::TargetIsa;

use crate::arch::Arch;
use crate::loop_entry::LoopCode;
use crate::module::{CodegenConfig, CompiledModule};
use crate::trap::{trap_from_u32, PENDING};
use crate::vmctx::VmCtx;
use wazero_store::native_stack::{stack_low, stack_pointer};

/// How much native stack compiled code may use below the outermost entry from
/// Rust before function entries trap with "call stack exhausted".
pub const STACK_BUDGET: usize = 1 << 20;

/// Native stack kept free below compiled code for runtime calls and host
/// functions (which run on the same stack).
const STACK_RESERVE: usize = 128 << 10;

/// The stack limit for an outermost entry at stack pointer `sp`.
fn stack_limit(sp: usize) -> usize {
    let budget = sp.saturating_sub(STACK_BUDGET);
    match stack_low() {
        Some(low) => budget.max(low.saturating_add(STACK_RESERVE)),
        None => budget,
    }
}

/// Makes `vm` the context the fault handler sees on this thread; returns the
/// one it replaces (an outer call's, across re-entry).
#[cfg(target_os = "linux")]
fn enter_context(vm: *mut VmCtx) -> *mut VmCtx {
    crate::signals::ACTIVE.with(|a| a.replace(vm))
}

#[cfg(target_os = "linux")]
fn leave_context(outer: *mut VmCtx) {
    crate::signals::ACTIVE.with(|a| a.set(outer));
}

#[cfg(not(target_os = "linux"))]
fn enter_context(_: *mut VmCtx) -> *mut VmCtx {
    std::ptr::null_mut()
}

#[cfg(not(target_os = "linux"))]
fn leave_context(_: *mut VmCtx) {}

/// Runs WebAssembly function `func` of `store` with `stack` holding its
/// parameters; results are left in `stack` from index 0.
pub(crate) fn call(
    store: &mut Store,
    func: FuncAddr,
    stack: &mut [u64],
    arch: &Arch,
) -> Result<(), CallError> {
    enter(store, func, stack, arch, None)
}

/// [`call`] from the start of the function's `loop` at module offset
/// `offset`, with its locals' values `locals` (on-stack replacement, see
/// `Engine::call_wasm_at_loop`), its code for that loop compiled on the
/// first such call (see `crate::loop_entry`); `None` if that loop cannot be
/// entered or `locals` does not hold exactly the function's locals' slots.
pub(crate) fn call_at_loop(
    store: &mut Store,
    func: FuncAddr,
    (offset, locals): (u32, &[u64]),
    stack: &mut [u64],
    (arch, isa, config): (&Arch, &dyn TargetIsa, CodegenConfig),
) -> Option<Result<(), CallError>> {
    let FuncKind::Wasm { instance, index } = store.funcs.get(func.index())?.kind else {
        return None;
    };
    let inst = store.instance(instance);
    let module = inst.module.clone()?;
    let ty = &module.types[*module.functions.get(index as usize)? as usize];
    let slots = ty.param_slots() as u64 + module.code[index as usize].local_slots();
    // The entry reads exactly the function's locals' slots from `locals`;
    // the trampoline, the parameters from `stack` and the results into it.
    if locals.len() as u64 != slots || stack.len() < ty.param_slots().max(ty.result_slots()) {
        return None;
    }
    let code = inst.code.clone()?;
    let compiled = wazero_store::code_as::<CompiledModule>(&*code)?;
    let offset = u64::from(offset);
    let entry = compiled.loop_entry(&module, (isa, config), (index, offset))?;
    drop(code);
    Some(enter(store, func, stack, arch, Some((&entry, locals))))
}

/// [`call`], or with `at_loop` [`call_at_loop`] once checked.
fn enter(
    store: &mut Store,
    func: FuncAddr,
    stack: &mut [u64],
    arch: &Arch,
    at_loop: Option<(&LoopCode, &[u64])>,
) -> Result<(), CallError> {
    if store.reentry_depth >= store.limits.max_reentry_depth {
        return Err(Trap::new(TrapCode::StackExhausted).into());
    }
    let function = &store.funcs[func.index()];
    let FuncKind::Wasm { instance, index } = function.kind else {
        unreachable!("call_wasm is only called for WebAssembly functions")
    };
    let inst = store.instance(instance);
    let code = inst.code.clone().expect("a wasm instance has code");
    let module = wazero_store::code_as::<CompiledModule>(&*code)
        .expect("instances of this engine carry compiled code");
    if at_loop.is_none() && module.is_left_out(index) {
        // Code compiled without the function has none to run: the engine
        // that asked for such code sends its calls elsewhere.
        return Err(CallError::Compile(format!(
            "function[{index}] (defined) was left out of this code"
        )));
    }
    let sp = stack_pointer();
    if store.reentry_depth == 0 {
        store.native_stack_limit = stack_limit(sp);
    }
    if sp <= store.native_stack_limit {
        return Err(Trap::new(TrapCode::StackExhausted).into());
    }
    // A nested entry keeps the outermost one's limit, but never gets more
    // than its own budget below it: under an engine whose limit is lower
    // (the interpreter's, when the tiered engine's interpreted frames call
    // compiled code), compiled recursion stops where it would alone.
    let limit = store.native_stack_limit.max(stack_limit(sp));
    let mut vm = VmCtx::new(store, instance, module, limit);
    if let Some((code, locals)) = at_loop {
        // The code's entry reads `locals` (as many slots as the function has
        // locals: `call_at_loop` checked); `code` outlives the call.
        vm.osr_locals = locals.as_ptr();
        vm.loop_code = code;
    }
    let trampoline = module.trampoline(index as usize);
    let callee = match at_loop {
        Some((code, _)) => code.address(),
        None => module.function(index as usize),
    };
    store.reentry_depth += 1;
    let vm_ptr: *mut VmCtx = &mut vm;
    let outer = enter_context(vm_ptr);
    // SAFETY: see the module documentation. `stack` holds at least as many
    // slots as the function has parameters and results (the caller checks),
    // the trampoline and callee belong to `module`, kept alive by `code`, and
    // every pointer in `vm` is valid for the duration of the call. The stub
    // only adds the landing of traps (see `crate::arch`).
    unsafe {
        (arch.enter)(vm_ptr, callee, stack.as_mut_ptr(), trampoline);
    }
    leave_context(outer);
    store.reentry_depth -= 1;
    drop(code);
    if let Some(panic) = vm.panic.take() {
        std::panic::resume_unwind(panic);
    }
    let names = || {
        vm.backtrace
            .iter()
            .map(|&a| store.funcs[a as usize].debug_name.to_string())
    };
    if vm.trap == PENDING {
        let mut error = vm.pending.take().expect("a pending error");
        if let (CallError::Trap(trap), true) = (&mut error, vm.extend_backtrace) {
            trap.backtrace.extend(names());
        }
        return Err(error);
    }
    match trap_from_u32(vm.trap) {
        // An exception nothing in the call caught.
        None if vm.exception != 0 => {
            let escaped = store
                .escape_exception(vm.exception)
                .expect("a thrown exnref is a live exception");
            Err(CallError::Exception(Box::new(escaped)))
        }
        None => Ok(()),
        Some(code) => {
            if code == TrapCode::Interrupted {
                // One request stops one call, as in the interpreter.
                store.interrupt.take();
            }
            Err(CallError::Trap(Trap {
                code,
                backtrace: names().collect(),
            }))
        }
    }
}
