//! Calls from Rust into compiled code, and the runtime calls compiled code makes.
//!
//! # Safety
//!
//! Entering compiled code is sound because the code was produced by this crate
//! from a validated module and only touches memory through the [`VmCtx`]:
//!
//! * linear memory accesses are bounds-checked against `memory_len`, and
//!   `memory_base`/`memory_len` are updated by the only code that can change them
//!   while compiled code runs (`memory.grow`, through [`memory_grow`]);
//! * globals are addressed through `global_addrs`, the instance's own index space,
//!   into the store's global array, which cannot reallocate during the call
//!   (nothing reachable from compiled code creates globals);
//! * calls go through `funcs`, the module's own function table, kept alive with
//!   the code by the `Arc` held across the call;
//! * the store is only used by [`memory_grow`] while compiled code runs; the Rust
//!   caller does not touch its `&mut Store` until the trampoline returns.

use std::sync::atomic::Ordering;

use wazero_api::TrapCode;
use wazero_store::{CallError, FuncAddr, FuncKind, Store, Trap};

use crate::module::CompiledModule;
use crate::trap::trap_from_u32;
use crate::vmctx::VmCtx;

/// How much native stack compiled code may use below the entry point before
/// function entries trap with "call stack exhausted".
pub const STACK_BUDGET: usize = 1 << 20;

/// The runtime call behind `memory.grow`.
///
/// # Safety
/// `vm` is the live VM context of the running call, whose `store` points at the
/// store the call was made with and whose `memory` is the index of its memory 0
/// (or `u32::MAX`).
unsafe extern "C" fn memory_grow(vm: *mut VmCtx, delta: u32) -> u32 {
    // SAFETY: see the function's contract; compiled code is suspended in this
    // call, so these are the only live references to the context and store.
    let vm = unsafe { &mut *vm };
    // SAFETY: as above.
    let store = unsafe { &mut *vm.store };
    let Some(memory) = store.memories.get_mut(vm.memory as usize) else {
        return u32::MAX;
    };
    match memory.grow(delta) {
        Some(old) => {
            vm.memory_base = memory.base_ptr();
            vm.memory_len = memory.size_bytes() as u64;
            old
        }
        None => u32::MAX,
    }
}

/// Runs WebAssembly function `func` of `store` with `stack` holding its
/// parameters; results are left in `stack` from index 0.
pub(crate) fn call(store: &mut Store, func: FuncAddr, stack: &mut [u64]) -> Result<(), CallError> {
    let function = &store.funcs[func.index()];
    let FuncKind::Wasm { instance, index } = function.kind else {
        unreachable!("call_wasm is only called for WebAssembly functions")
    };
    let debug_name = function.debug_name.clone();
    let inst = store.instance(instance);
    let code = inst.code.clone().expect("a wasm instance has code");
    let module = code
        .as_any()
        .downcast_ref::<CompiledModule>()
        .expect("instances of this engine carry compiled code");
    let global_addrs: Vec<u32> = inst.globals.iter().map(|g| g.0).collect();
    let (memory, memory_base, memory_len) = match store.memory_of(instance) {
        Some(addr) => {
            let m = &store.memories[addr.index()];
            (addr.0, m.base_ptr(), m.size_bytes() as u64)
        }
        None => (u32::MAX, std::ptr::NonNull::dangling().as_ptr(), 0),
    };
    let here = 0u8;
    let sp = std::hint::black_box(&here) as *const u8 as usize;
    let mut vm = VmCtx {
        trap: 0,
        _pad: 0,
        memory_base,
        memory_len,
        interrupt: &*store.interrupt,
        stack_limit: sp.saturating_sub(STACK_BUDGET),
        globals: store.globals.as_mut_ptr().cast(),
        global_addrs: global_addrs.as_ptr(),
        funcs: module.func_table(),
        memory_grow,
        store: std::ptr::null_mut(),
        memory,
    };
    let trampoline = module.trampoline(index as usize);
    let callee = module.function(index as usize);
    store.reentry_depth += 1;
    vm.store = store as *mut Store;
    // SAFETY: see the module documentation. `stack` holds at least as many slots
    // as the function has parameters and results (the caller checks), the
    // trampoline and callee belong to `module`, kept alive by `code`, and every
    // pointer in `vm` is valid for the duration of the call.
    unsafe { trampoline(&mut vm, callee, stack.as_mut_ptr()) };
    store.reentry_depth -= 1;
    drop(code);
    match trap_from_u32(vm.trap) {
        None => Ok(()),
        Some(code) => {
            if code == TrapCode::Interrupted {
                // One request stops one call, as in the interpreter.
                store.interrupt.store(false, Ordering::Relaxed);
            }
            Err(CallError::Trap(Trap {
                code,
                backtrace: vec![debug_name.to_string()],
            }))
        }
    }
}
