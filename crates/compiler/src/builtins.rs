//! Runtime calls: what compiled code asks Rust to do, through
//! [`VmCtx::builtins`](crate::VmCtx::builtins).
//!
//! Each is an `extern "C"` function taking the VM context first. One that fails
//! stores a trap code in `VmCtx::trap` (or [`PENDING`] with the error in
//! `VmCtx::pending`) and returns; compiled code checks the slot after the call
//! and traps, keeping the code (see `crate::trap::RAISED`).
//! Each refreshes the context's cached addresses before returning when what it
//! did may have moved them: calls out when the store's resize epoch
//! ([`wazero_store::resize_epoch`]) changed during the call.
//!
//! # Safety
//!
//! All of them are called by compiled code only, with the live context of the
//! running call, whose `store` points at the store the call was made with. While
//! compiled code is suspended in a runtime call, the context and the store are
//! not otherwise referenced, so turning the pointers into `&mut` is sound. A
//! panic must not unwind through compiled code: the calls that run user code
//! catch it and leave it in `VmCtx::panic` for [`crate::exec::call`] to resume.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use wazero_api::TrapCode;
use wazero_store::{
    resize_epoch, Caller, FuncAddr, FuncKind, HostFn, HostResult, InstanceId, Store,
};

use crate::trap::{trap_to_u32, PENDING};
use crate::vmctx::VmCtx;

/// The table of runtime calls compiled code finds through the VM context.
#[repr(C)]
pub struct Builtins {
    /// `memory.grow`: `(vm, memory, delta) -> old pages or -1`.
    pub memory_grow: unsafe extern "C" fn(*mut VmCtx, u32, u64) -> u64,
    /// `memory.size` of a memory other than 0: `(vm, memory) -> pages`.
    pub memory_size: unsafe extern "C" fn(*mut VmCtx, u32) -> u32,
    /// Points [`VmCtx::selected_base`] and [`VmCtx::selected_len`] at
    /// memory `memory` (not 0), for one access: `(vm, memory)`.
    pub select_memory: unsafe extern "C" fn(*mut VmCtx, u32),
    /// Calls function `addr` of the store (a host function or another
    /// instance's) with its parameters in `slots`, which receive the results.
    pub call_func: unsafe extern "C" fn(*mut VmCtx, u32, *mut u64),
    /// Calls imported function `index` of the instance (by import index) with
    /// its parameters in `slots`, which receive the results: `(vm, index,
    /// slots, n)`, `n` being the number of slots (enough for the parameters
    /// and the results). A host import is called straight through the
    /// instance's `host_imports`.
    pub call_import: unsafe extern "C" fn(*mut VmCtx, u32, *mut u64, u32),
    /// After a direct call of imported host function `index` that reported
    /// something (`VmCtx::host_cx.status`): reloads memory 0 and table 0 and
    /// records the failure, if any: `(vm, index)`.
    pub direct_done: unsafe extern "C" fn(*mut VmCtx, u32),
    /// The store address of the function in element `index` of table `table`
    /// for a `call_indirect` of type `type_index`, after the spec's checks.
    pub indirect_target: unsafe extern "C" fn(*mut VmCtx, u32, u32, u32) -> u32,
    /// `table.get`: `(vm, table, index) -> value`.
    pub table_get: unsafe extern "C" fn(*mut VmCtx, u32, u32) -> u64,
    /// `table.set`: `(vm, table, index, value)`.
    pub table_set: unsafe extern "C" fn(*mut VmCtx, u32, u32, u64),
    /// `table.size`: `(vm, table) -> size`.
    pub table_size: unsafe extern "C" fn(*mut VmCtx, u32) -> u32,
    /// `table.grow`: `(vm, table, init, delta) -> old size or -1`.
    pub table_grow: unsafe extern "C" fn(*mut VmCtx, u32, u64, u32) -> u32,
    /// `table.fill`: `(vm, table, dst, value, len)`.
    pub table_fill: unsafe extern "C" fn(*mut VmCtx, u32, u32, u64, u32),
    /// `table.copy`: `(vm, dst_table, src_table, dst, src, len)`.
    pub table_copy: unsafe extern "C" fn(*mut VmCtx, u32, u32, u32, u32, u32),
    /// `table.init`: `(vm, segment, table, dst, src, len)`.
    pub table_init: unsafe extern "C" fn(*mut VmCtx, u32, u32, u32, u32, u32),
    /// `elem.drop`: `(vm, segment)`.
    pub elem_drop: unsafe extern "C" fn(*mut VmCtx, u32),
    /// `memory.init`: `(vm, segment, memory, dst, src, len)`, the operands
    /// widened to 64 bits.
    pub memory_init: unsafe extern "C" fn(*mut VmCtx, u32, u32, u64, u64, u64),
    /// `data.drop`: `(vm, segment)`.
    pub data_drop: unsafe extern "C" fn(*mut VmCtx, u32),
    /// `memory.copy`: `(vm, dst_memory, src_memory, dst, src, len)`, the
    /// operands widened to 64 bits.
    pub memory_copy: unsafe extern "C" fn(*mut VmCtx, u32, u32, u64, u64, u64),
    /// `memory.fill`: `(vm, memory, dst, value, len)`, the operands widened
    /// to 64 bits.
    pub memory_fill: unsafe extern "C" fn(*mut VmCtx, u32, u64, u64, u64),
    /// `throw`: `(vm, tag, payload)` with the payload in slots. Makes the
    /// exception and throws it (see [`throw_exnref`]).
    pub throw: unsafe extern "C" fn(*mut VmCtx, u32, *const u64),
    /// `throw_ref`: `(vm, exnref)`; traps on null, else throws it again
    /// (see [`throw_exnref`]).
    pub throw_ref: unsafe extern "C" fn(*mut VmCtx, u64),
    /// A catch clause's test of the exception in [`VmCtx::exception`]:
    /// `(vm, tag, keep, payload) -> caught`, `tag` being the module's tag
    /// index or `u32::MAX` for any. When caught, the payload (with a tag) is
    /// copied to `payload`'s slots, the exception kept for an `exnref` the
    /// guest holds (`keep` non-zero) or released, and the context's
    /// exception cleared.
    pub catch: unsafe extern "C" fn(*mut VmCtx, u32, u32, *mut u64) -> u32,
}

/// The runtime calls.
pub static BUILTINS: Builtins = Builtins {
    memory_grow,
    memory_size,
    select_memory,
    call_func,
    call_import,
    direct_done,
    indirect_target,
    table_get,
    table_set,
    table_size,
    table_grow,
    table_fill,
    table_copy,
    table_init,
    elem_drop,
    memory_init,
    data_drop,
    memory_copy,
    memory_fill,
    throw,
    throw_ref,
    catch,
};

/// The context and store of a runtime call.
///
/// # Safety
/// See the module documentation.
unsafe fn parts<'a>(vm: *mut VmCtx) -> (&'a mut VmCtx, &'a mut Store) {
    // SAFETY: see the module documentation: compiled code is suspended in this
    // runtime call, so these are the only live references to the context and store.
    let vm = unsafe { &mut *vm };
    // SAFETY: as above.
    let store = unsafe { &mut *vm.store };
    (vm, store)
}

/// Records `result`'s trap, if any, in the context.
fn check(vm: &mut VmCtx, result: Result<(), TrapCode>) {
    if let Err(code) = result {
        vm.trap = trap_to_u32(code);
    }
}

unsafe extern "C" fn memory_grow(vm: *mut VmCtx, memory: u32, delta: u64) -> u64 {
    // SAFETY: see the module documentation.
    let (vm, store) = unsafe { parts(vm) };
    let old = store.memory_grow(InstanceId(vm.instance), memory, delta);
    vm.refresh_memory_and_table(store);
    old.map_or(u64::MAX, u64::from)
}

unsafe extern "C" fn memory_size(vm: *mut VmCtx, memory: u32) -> u32 {
    // SAFETY: see the module documentation.
    let (vm, store) = unsafe { parts(vm) };
    store.memory_size(InstanceId(vm.instance), memory)
}

unsafe extern "C" fn select_memory(vm: *mut VmCtx, memory: u32) {
    // SAFETY: see the module documentation.
    let (vm, store) = unsafe { parts(vm) };
    let m = &store.memories[store.memory_at(InstanceId(vm.instance), memory).index()];
    vm.selected_base = m.base_ptr();
    vm.selected_len = m.size_bytes() as u64;
}

unsafe extern "C" fn call_import(vm: *mut VmCtx, index: u32, slots: *mut u64, n: u32) {
    // SAFETY: compiled code passes the index of one of the instance's imported
    // functions, and `host_imports` has an entry for each.
    let host = unsafe { &*(*vm).host_imports.add(index as usize) };
    // SAFETY: `func_addrs` is the instance's function index space, whose first
    // entries are its imports.
    let addr = unsafe { *(*vm).func_addrs.add(index as usize) };
    let Some(host) = host else {
        // SAFETY: forwarded.
        return unsafe { call_func(vm, addr, slots) };
    };
    // SAFETY: the entries of `host_imports` never change after instantiation,
    // and nothing in the store is freed while guest code runs (the store's
    // `collect` waits for `reentry_depth` 0): the closure outlives the call. Borrowing it through a pointer
    // leaves the store free to be lent to the host.
    let f: &HostFn = unsafe { &*Arc::as_ptr(host) };
    // SAFETY: see the module documentation.
    let (vm, store) = unsafe { parts(vm) };
    // SAFETY: compiled code passes a buffer of `n` slots, enough for the
    // parameters and results of the import's type, which is this function's
    // (checked at instantiation).
    let slots = unsafe { std::slice::from_raw_parts_mut(slots, n as usize) };
    let epoch = resize_epoch();
    let mut caller = Caller::new(&mut *store, InstanceId(vm.instance));
    let result = match catch_unwind(AssertUnwindSafe(|| f(&mut caller, slots))) {
        Ok(Ok(())) => Ok(store.check_host_results(FuncAddr(addr), slots)),
        other => other,
    };
    if resize_epoch() != epoch || !matches!(result, Ok(Ok(()))) {
        host_import_slow(vm, store, epoch, FuncAddr(addr), result);
    }
}

/// The rare ends of a host import's call, out of line: the host failed or
/// resized a memory or table.
#[cold]
#[inline(never)]
fn host_import_slow(
    vm: &mut VmCtx,
    store: &mut Store,
    epoch: u64,
    addr: FuncAddr,
    result: std::thread::Result<HostResult>,
) {
    let caller = InstanceId(vm.instance);
    let result = result.map(|r| r.map_err(|error| store.host_failure(addr, caller, *error)));
    finish_call_slow(vm, store, epoch, result, true);
}

unsafe extern "C" fn call_func(vm: *mut VmCtx, addr: u32, slots: *mut u64) {
    // SAFETY: see the module documentation.
    let (vm, store) = unsafe { parts(vm) };
    let addr = FuncAddr(addr);
    let function = &store.funcs[addr.index()];
    let n = function.ty.param_slots().max(function.ty.result_slots());
    // SAFETY: compiled code passes a buffer of at least `n` slots for a call of
    // this function's type (checked by the signature test or by validation).
    let slots = unsafe { std::slice::from_raw_parts_mut(slots, n) };
    let caller = InstanceId(vm.instance);
    let epoch = resize_epoch();
    let (result, is_host) = match &function.kind {
        FuncKind::Host { func, .. } => {
            let f: *const HostFn = Arc::as_ptr(func);
            // SAFETY: function instances are neither freed nor changed while
            // guest code runs (the store's `collect` waits for
            // `reentry_depth` 0), so the `Arc` holding the closure outlives the call (the
            // store's `Vec` may move the `Arc` while the host runs, never what
            // it points to). Borrowing the closure through the pointer leaves
            // the store free to be lent to the host.
            let f = unsafe { &*f };
            // The caller is the calling instance, whose memory the host sees.
            let r = catch_unwind(AssertUnwindSafe(|| store.call_host(addr, caller, f, slots)));
            (r, true)
        }
        FuncKind::Wasm { .. } => (
            catch_unwind(AssertUnwindSafe(|| store.call(addr, slots))),
            false,
        ),
    };
    finish_call(vm, store, epoch, result, is_host);
}

/// After a call out of compiled code: reloads memory 0 and table 0 if the
/// callee resized a memory or table (`epoch` is the resize epoch from before
/// the call; nothing else the context holds can change during a call), and
/// records the call's failure, if any, in the context.
#[inline]
fn finish_call(
    vm: &mut VmCtx,
    store: &mut Store,
    epoch: u64,
    result: std::thread::Result<Result<(), wazero_store::CallError>>,
    is_host: bool,
) {
    if resize_epoch() != epoch || !matches!(result, Ok(Ok(()))) {
        finish_call_slow(vm, store, epoch, result, is_host);
    }
}

/// [`finish_call`]'s rare cases, out of line.
#[cold]
#[inline(never)]
fn finish_call_slow(
    vm: &mut VmCtx,
    store: &mut Store,
    epoch: u64,
    result: std::thread::Result<Result<(), wazero_store::CallError>>,
    is_host: bool,
) {
    if resize_epoch() != epoch {
        vm.refresh_memory_and_table(store);
    }
    record_failure(vm, store, result, is_host);
}

/// Records the failure of a call out of compiled code, if any, in the context.
fn record_failure(
    vm: &mut VmCtx,
    store: &mut Store,
    result: std::thread::Result<Result<(), wazero_store::CallError>>,
    is_host: bool,
) {
    match result {
        Ok(Ok(())) => {}
        // An exception the callee threw goes on from the call in a module
        // that catches (compiled code checks the context after every call).
        Ok(Err(wazero_store::CallError::Exception(e))) if vm.catches => {
            match store.throw_from_host(&e) {
                Ok(exn) => vm.exception = exn,
                Err(error) => record_failure(vm, store, Ok(Err(error)), is_host),
            }
        }
        Ok(Err(error)) => {
            // A trap in WebAssembly code gets this instance's frames added to its
            // backtrace; a host function's failure is passed on as it is.
            vm.extend_backtrace = !is_host;
            vm.pending = Some(error);
            vm.trap = PENDING;
        }
        Err(panic) => {
            vm.panic = Some(panic);
            vm.trap = PENDING;
        }
    }
}

#[cold]
unsafe extern "C" fn direct_done(vm: *mut VmCtx, index: u32) {
    // SAFETY: see the module documentation.
    let (vm, store) = unsafe { parts(vm) };
    vm.host_cx.status = 0;
    vm.refresh_memory_and_table(store);
    if let Some(error) = vm.host_cx.failure.take() {
        // SAFETY: compiled code passes the index of one of the instance's
        // imported functions, the first entries of `func_addrs`.
        let addr = FuncAddr(unsafe { *vm.func_addrs.add(index as usize) });
        let error = store.host_failure(addr, InstanceId(vm.instance), *error);
        record_failure(vm, store, Ok(Err(error)), true);
    }
}

unsafe extern "C" fn indirect_target(vm: *mut VmCtx, table: u32, index: u32, ty: u32) -> u32 {
    // SAFETY: see the module documentation.
    let (vm, store) = unsafe { parts(vm) };
    let inst = InstanceId(vm.instance);
    let target = match store.table_get(inst, table, index) {
        Err(_) => Err(TrapCode::UndefinedElement),
        Ok(v) => wazero_store::funcref_addr(v).ok_or(TrapCode::UninitializedElement),
    };
    let target = target.and_then(|addr| {
        let want = store.instances[inst.index()].sig_ids[ty as usize];
        if store.funcs[addr.index()].sig == want {
            Ok(addr.0)
        } else {
            Err(TrapCode::IndirectCallTypeMismatch)
        }
    });
    match target {
        Ok(addr) => addr,
        Err(code) => {
            vm.trap = trap_to_u32(code);
            0
        }
    }
}

unsafe extern "C" fn table_get(vm: *mut VmCtx, table: u32, index: u32) -> u64 {
    // SAFETY: see the module documentation.
    let (vm, store) = unsafe { parts(vm) };
    match store.table_get(InstanceId(vm.instance), table, index) {
        Ok(v) => v,
        Err(code) => {
            vm.trap = trap_to_u32(code);
            0
        }
    }
}

unsafe extern "C" fn table_set(vm: *mut VmCtx, table: u32, index: u32, value: u64) {
    // SAFETY: see the module documentation.
    let (vm, store) = unsafe { parts(vm) };
    let r = store.table_set(InstanceId(vm.instance), table, index, value);
    check(vm, r);
}

unsafe extern "C" fn table_size(vm: *mut VmCtx, table: u32) -> u32 {
    // SAFETY: see the module documentation.
    let (vm, store) = unsafe { parts(vm) };
    store.table_size(InstanceId(vm.instance), table)
}

unsafe extern "C" fn table_grow(vm: *mut VmCtx, table: u32, init: u64, delta: u32) -> u32 {
    // SAFETY: see the module documentation.
    let (vm, store) = unsafe { parts(vm) };
    let old = store.table_grow(InstanceId(vm.instance), table, delta, init);
    vm.refresh_memory_and_table(store);
    old
}

unsafe extern "C" fn table_fill(vm: *mut VmCtx, table: u32, dst: u32, value: u64, len: u32) {
    // SAFETY: see the module documentation.
    let (vm, store) = unsafe { parts(vm) };
    let r = store.table_fill(InstanceId(vm.instance), table, dst, value, len);
    check(vm, r);
}

unsafe extern "C" fn table_copy(
    vm: *mut VmCtx,
    dst_table: u32,
    src_table: u32,
    dst: u32,
    src: u32,
    len: u32,
) {
    // SAFETY: see the module documentation.
    let (vm, store) = unsafe { parts(vm) };
    let r = store.table_copy(InstanceId(vm.instance), dst_table, src_table, dst, src, len);
    check(vm, r);
}

unsafe extern "C" fn table_init(
    vm: *mut VmCtx,
    segment: u32,
    table: u32,
    dst: u32,
    src: u32,
    len: u32,
) {
    // SAFETY: see the module documentation.
    let (vm, store) = unsafe { parts(vm) };
    let r = store.table_init(InstanceId(vm.instance), segment, table, dst, src, len);
    check(vm, r);
}

unsafe extern "C" fn elem_drop(vm: *mut VmCtx, segment: u32) {
    // SAFETY: see the module documentation.
    let (vm, store) = unsafe { parts(vm) };
    store.elem_drop(InstanceId(vm.instance), segment);
}

unsafe extern "C" fn memory_init(
    vm: *mut VmCtx,
    segment: u32,
    memory: u32,
    dst: u64,
    src: u64,
    len: u64,
) {
    // SAFETY: see the module documentation.
    let (vm, store) = unsafe { parts(vm) };
    // The segment's offset and length are `i32`s.
    let (src, len) = (src as u32, len as u32);
    let r = store.memory_init(InstanceId(vm.instance), memory, segment, dst, src, len);
    check(vm, r);
}

unsafe extern "C" fn data_drop(vm: *mut VmCtx, segment: u32) {
    // SAFETY: see the module documentation.
    let (vm, store) = unsafe { parts(vm) };
    store.data_drop(InstanceId(vm.instance), segment);
}

unsafe extern "C" fn memory_copy(
    vm: *mut VmCtx,
    dst_memory: u32,
    src_memory: u32,
    dst: u64,
    src: u64,
    len: u64,
) {
    // SAFETY: see the module documentation.
    let (vm, store) = unsafe { parts(vm) };
    let inst = InstanceId(vm.instance);
    let r = store.memory_copy(inst, dst_memory, src_memory, dst, src, len);
    check(vm, r);
}

unsafe extern "C" fn memory_fill(vm: *mut VmCtx, memory: u32, dst: u64, value: u64, len: u64) {
    // SAFETY: see the module documentation.
    let (vm, store) = unsafe { parts(vm) };
    let r = store.memory_fill(InstanceId(vm.instance), memory, dst, value as u8, len);
    check(vm, r);
}

/// Throws exception `exn` from compiled code: in a module that catches,
/// through [`VmCtx::exception`] (compiled code goes on to its handlers);
/// elsewhere it leaves the call like a trap, as the call's error.
fn throw_exnref(vm: &mut VmCtx, store: &mut Store, exn: u64) {
    if vm.catches {
        vm.exception = exn;
        return;
    }
    let escaped = store
        .escape_exception(exn)
        .expect("a thrown exnref is a live exception");
    vm.pending = Some(wazero_store::CallError::Exception(Box::new(escaped)));
    vm.extend_backtrace = false;
    vm.trap = PENDING;
}

unsafe extern "C" fn throw(vm: *mut VmCtx, tag: u32, payload: *const u64) {
    // SAFETY: see the module documentation.
    let (vm, store) = unsafe { parts(vm) };
    let addr = store.instance(InstanceId(vm.instance)).tags[tag as usize];
    let n = store.tag_type(addr).param_slots();
    // SAFETY: compiled code passes the tag's payload in as many slots.
    let payload = unsafe { std::slice::from_raw_parts(payload, n) };
    match store.new_exception(addr, payload) {
        Ok(exn) => throw_exnref(vm, store, exn),
        Err(code) => vm.trap = trap_to_u32(code),
    }
}

unsafe extern "C" fn throw_ref(vm: *mut VmCtx, exn: u64) {
    // SAFETY: see the module documentation.
    let (vm, store) = unsafe { parts(vm) };
    if exn == 0 {
        vm.trap = trap_to_u32(TrapCode::NullExceptionReference);
        return;
    }
    throw_exnref(vm, store, exn);
}

unsafe extern "C" fn catch(vm: *mut VmCtx, tag: u32, keep: u32, payload: *mut u64) -> u32 {
    // SAFETY: see the module documentation.
    let (vm, store) = unsafe { parts(vm) };
    let exn = vm.exception;
    let Some(exception) = store.exception(exn) else {
        return 0;
    };
    if tag != u32::MAX {
        let want = store.instance(InstanceId(vm.instance)).tags[tag as usize];
        if exception.tag != want {
            return 0;
        }
        let values = &exception.payload;
        // SAFETY: compiled code passes room for the tag's payload, which is
        // the exception's (its tag is this one).
        let out = unsafe { std::slice::from_raw_parts_mut(payload, values.len()) };
        out.copy_from_slice(values);
    }
    if keep != 0 {
        store.keep_exception(exn);
    } else {
        store.release_exception(exn);
    }
    vm.exception = 0;
    1
}
