//! The executor: runs translated code with an explicit frame stack.
//!
//! WebAssembly calls never recurse on the native stack: a call pushes a
//! [`FrameRecord`] and switches the current function, so deep guest recursion ends
//! in the "call stack exhausted" trap at the configured depth. Only host functions
//! that call back into the guest nest a new executor (limited separately).
//!
//! # Safety
//!
//! This module is where the interpreter uses `unsafe`, for three things, each
//! guaranteed by construction:
//!
//! * **Frame slots.** Instructions name slots below their function's `frame_size`
//!   (the translator sizes the frame to cover every slot it emits), and a frame is
//!   only entered after the value stack was grown to hold `base + frame_size`
//!   slots. `fp` always points at the current frame's base inside the value stack,
//!   and is recomputed whenever the stack may have been reallocated.
//! * **Instructions.** `pc` stays within the current function's code: every
//!   function ends with `Return`, and branch targets are positions the translator
//!   patched within the same function.
//! * **Linear memory.** Every access is bounds-checked against `mem_len` (in 64-bit
//!   arithmetic) before `mem` is dereferenced; `mem`/`mem_len` are re-read from the
//!   store after anything that can grow or replace memory (calls out of the
//!   current function, `memory.grow`, host calls).

use std::sync::Arc;

use wazero_api::TrapCode;
use wazero_store::native_stack;
use wazero_store::{
    funcref, funcref_addr, CallError, CompiledCode, FuncAddr, FuncKind, GlobalAddr, GlobalInstance,
    HostFn, InstanceId, Interrupt, Store, Trap,
};

use crate::code::{CompiledFunc, Handler, HandlerAction, Instr, InterpModule, Op};
use crate::threaded;

/// A suspended caller.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FrameRecord {
    /// Where to continue in the caller.
    pub(crate) ip: *const Op,
    /// Index of its module in the invocation's module list.
    pub(crate) module: u32,
    /// Its index among the module's defined functions.
    pub(crate) func: u32,
    /// Its frame's first slot in the value stack.
    pub(crate) base: u32,
}

/// The call state that threaded code reads and updates for calls and returns
/// within one module; the outer loop keeps it in step with its own variables.
pub(crate) struct CallContext {
    /// Suspended callers, innermost last.
    pub(crate) frames: Vec<FrameRecord>,
    /// The value stack's first slot (valid while the stack is not reallocated).
    pub(crate) stack: *mut u64,
    /// The value stack's length in slots.
    pub(crate) stack_len: usize,
    /// The current module's code.
    pub(crate) module: *const InterpModule,
    /// Its functions' entries (`InterpModule::entries`).
    pub(crate) entries: *const crate::code::CallEntry,
    /// The current module's index in the invocation's module list.
    pub(crate) module_index: u32,
    /// The current function.
    pub(crate) func: u32,
    /// The current frame's first slot.
    pub(crate) base: usize,
    /// `frames.len()` at which a further call exhausts the call stack.
    pub(crate) frame_limit: usize,
    /// `frames.len()` at which threaded code's calls leave for the outer
    /// loop: the call stack's limit or the frame list's capacity, whichever
    /// comes first. Set before each run of threaded code, which neither
    /// grows nor shrinks the list (only the outer loop grows it).
    pub(crate) frame_stop: usize,
    /// The store's global instances (no global is created while threaded code runs).
    pub(crate) globals: *mut GlobalInstance,
    /// The current instance's global index space: addresses into `globals`.
    pub(crate) global_addrs: *const GlobalAddr,
    /// The store, for host calls made from threaded code (the outer loop does not
    /// use its own borrow of the store while threaded code runs).
    pub(crate) store: *mut Store,
    /// The current instance.
    pub(crate) instance: InstanceId,
    /// The current instance's function index space.
    pub(crate) func_addrs: *const FuncAddr,
    /// The error of a host call made from threaded code, for the outer loop.
    pub(crate) error: Option<CallError>,
    /// Loop dispatch only: the memory's base and length after a host call
    /// returned in threaded code (`threaded::RELOAD_MEMORY`).
    #[cfg_attr(wazero_tail_dispatch, allow(dead_code))]
    pub(crate) mem: *mut u8,
    /// See `mem`.
    #[cfg_attr(wazero_tail_dispatch, allow(dead_code))]
    pub(crate) mem_len: u64,
    /// The store's interrupt request (see [`Store::interrupt`]).
    pub(crate) interrupt: *const Interrupt,
    /// Memory 0's base while threaded code accesses a window of it
    /// (`Instr::Window64` of memory 0, until `Instr::Unwindow`).
    pub(crate) window_base: *mut u8,
    /// Memory 0's length meanwhile.
    pub(crate) window_len: u64,
    /// Loop dispatch only: the accumulator between two ops (see
    /// `threaded::ACC`); threaded dispatch keeps it in a register.
    #[cfg_attr(wazero_tail_dispatch, allow(dead_code))]
    pub(crate) acc: u64,
}

/// The request of a context not yet attached to a store: never made.
static NEVER_INTERRUPTED: Interrupt = Interrupt::new();

/// Whether the guest was asked to stop. The request stays for the outer
/// loop to take (taking it calls out of line, which would cost a threaded
/// handler a native stack frame).
///
/// # Safety
/// `cx.interrupt` points at a live request: the store's, which outlives the
/// call (the store is borrowed for the whole invocation), or
/// [`NEVER_INTERRUPTED`].
#[inline(always)]
pub(crate) unsafe fn interrupt_requested(cx: *const CallContext) -> bool {
    // SAFETY: see the function's contract.
    let interrupt = unsafe { &*(*cx).interrupt };
    interrupt.is_requested()
}

impl Default for CallContext {
    fn default() -> Self {
        Self {
            frames: Vec::new(),
            stack: std::ptr::null_mut(),
            stack_len: 0,
            module: std::ptr::null(),
            entries: std::ptr::null(),
            module_index: 0,
            func: 0,
            base: 0,
            frame_limit: 0,
            frame_stop: 0,
            globals: std::ptr::null_mut(),
            global_addrs: std::ptr::null(),
            store: std::ptr::null_mut(),
            instance: InstanceId(0),
            func_addrs: std::ptr::null(),
            interrupt: &NEVER_INTERRUPTED,
            acc: 0,
            window_base: std::ptr::null_mut(),
            window_len: 0,
            error: None,
            mem: std::ptr::null_mut(),
            mem_len: 0,
        }
    }
}

/// A module whose code is running in this invocation (kept alive for `ptr`).
struct ModuleRef {
    instance: InstanceId,
    _code: Arc<dyn CompiledCode>,
    ptr: *const InterpModule,
}

/// Reusable state of one engine invocation.
#[derive(Default)]
pub(crate) struct Executor {
    stack: Vec<u64>,
    cx: CallContext,
    modules: Vec<ModuleRef>,
    /// An exception thrown by the op just run, for the top of the run loop
    /// to unwind (see [`Executor::throw`]).
    thrown: Option<Thrown>,
}

// SAFETY: `ModuleRef::ptr` points into the `Arc` held next to it, whose target is
// `Send + Sync`; the executor is only moved between threads while idle.
unsafe impl Send for Executor {}

const INITIAL_STACK_SLOTS: usize = 1 << 14;

/// Native stack an entry needs below it: one run of the interpreter (its
/// dispatch, a host call, and what the host function itself uses) with room to
/// spare, so that the next nested entry still finds it free.
const NATIVE_STACK_RESERVE: usize = 128 << 10;

/// Runs WebAssembly function `addr` with `args` (parameters in, results out).
pub(crate) fn call(store: &mut Store, addr: FuncAddr, args: &mut [u64]) -> Result<(), CallError> {
    if store.reentry_depth >= store.limits.max_reentry_depth {
        return Err(Trap::new(TrapCode::StackExhausted).into());
    }
    // Guest calls run on the interpreter's own stack, but each entry from a
    // host function (re-entry) nests another run on the native stack: stop
    // before it could overflow, however small the thread's stack is.
    let sp = native_stack::stack_pointer();
    if store.reentry_depth == 0 {
        store.native_stack_limit =
            native_stack::stack_low().map_or(0, |low| low.saturating_add(NATIVE_STACK_RESERVE));
    }
    if sp <= store.native_stack_limit {
        return Err(Trap::new(TrapCode::StackExhausted).into());
    }
    // An idle executor of the store's, or a new one; a nested entry (from a
    // host function, or from compiled code under the tiered engine) takes
    // another, so that its value stack is allocated once, not per call.
    let mut exec = executors(store).pop().unwrap_or_default();
    store.reentry_depth += 1;
    let result = exec.run(store, addr, args);
    store.reentry_depth -= 1;
    exec.cx.frames.clear();
    exec.modules.clear();
    let idle = executors(store);
    if idle.len() < KEPT_EXECUTORS {
        idle.push(exec);
    }
    result
}

/// The executors idle in `store`, for its next entries.
///
/// Boxed: an executor is a few hundred bytes, and moving it in and out of
/// the list on every entry took a fifth of a call between the tiered
/// engine's tiers.
#[derive(Default)]
#[allow(clippy::vec_box)]
struct Executors(Vec<Box<Executor>>);

/// The most idle executors a store keeps (each holds its value stack).
const KEPT_EXECUTORS: usize = 4;

/// `store`'s idle executors (see [`Executors`]).
#[allow(clippy::vec_box)]
fn executors(store: &mut Store) -> &mut Vec<Box<Executor>> {
    let state = store
        .engine_state
        .get_or_insert_with(|| Box::new(Executors::default()));
    if !state.is::<Executors>() {
        *state = Box::new(Executors::default());
    }
    &mut state
        .downcast_mut::<Executors>()
        .expect("set to executors just above")
        .0
}

fn interp_module(code: &Arc<dyn CompiledCode>) -> *const InterpModule {
    wazero_store::code_as::<InterpModule>(&**code)
        .expect("instances of this engine carry interpreter code") as *const InterpModule
}

/// The base and length of memory `memory` of instance `inst`.
pub(crate) fn memory_at(store: &Store, inst: InstanceId, memory: u32) -> (*mut u8, u64) {
    let m = &store.memories[store.memory_at(inst, memory).index()];
    (m.base_ptr(), m.size_bytes() as u64)
}

pub(crate) fn memory_of(store: &Store, inst: InstanceId) -> (*mut u8, u64) {
    match store.memory_of(inst) {
        Some(addr) => {
            let m = &store.memories[addr.index()];
            (m.base_ptr(), m.size_bytes() as u64)
        }
        None => (std::ptr::NonNull::dangling().as_ptr(), 0),
    }
}

/// The closure of a host function, by pointer, so that it can be called with the
/// store borrowed mutably.
///
/// # Safety
/// `f` must come from the `HostFunc` of a function instance of the store the call
/// is made with. Function instances are not freed while guest code runs (the
/// store's `collect` waits for `reentry_depth` 0), so the `Arc`
/// holding the closure, and the closure, outlive the call (the `Vec` of instances
/// may move the `Arc`, never what it points to).
pub(crate) unsafe fn host_closure<'a>(f: *const HostFn) -> &'a HostFn {
    // SAFETY: forwarded from the caller.
    unsafe { &*f }
}

/// Calls host function `addr` for instance `caller` with the arguments in `stack`,
/// counting `depth` more frames against the call-depth limit while it runs (a
/// host function may call back into the guest).
pub(crate) fn call_host(
    store: &mut Store,
    depth: u32,
    addr: FuncAddr,
    caller: InstanceId,
    f: &HostFn,
    stack: &mut [u64],
) -> Result<(), CallError> {
    let saved_depth = store.call_depth;
    store.call_depth += depth;
    let result = store.call_host(addr, caller, f, stack);
    store.call_depth = saved_depth;
    result
}

/// An exception thrown in the run loop, for its top to unwind.
enum Thrown {
    /// The guest's, by its `exnref`.
    Exn(u64),
    /// One a call (of a host function, or that re-entered the guest) ended with.
    Host(Box<wazero_store::Exception>),
}

/// Where execution goes after an instruction that leaves the straight line.
enum Next {
    /// Enter defined function `func` of module `module` with its frame at `base`.
    Enter {
        module: usize,
        func: u32,
        base: usize,
    },
    /// Continue in the current function (a host call returned).
    Continue,
}

impl Executor {
    fn module_index(&mut self, store: &Store, instance: InstanceId) -> usize {
        if let Some(i) = self.modules.iter().position(|m| m.instance == instance) {
            return i;
        }
        let code = store
            .instance(instance)
            .code
            .clone()
            .expect("wasm instance has code");
        let ptr = interp_module(&code);
        self.modules.push(ModuleRef {
            instance,
            _code: code,
            ptr,
        });
        self.modules.len() - 1
    }

    /// Module `i` of this invocation. The reference is not tied to `&self` so the
    /// value stack can be written while code is read; it stays valid because
    /// `modules` only grows during `run` and is cleared after it returns.
    fn module<'a>(&self, i: usize) -> &'a InterpModule {
        // SAFETY: `ptr` points into the Arc kept alive in the same `ModuleRef`,
        // which outlives every use inside `run` (see above).
        unsafe { &*self.modules[i].ptr }
    }

    fn trap(&self, store: &Store, code: TrapCode, current: (usize, u32)) -> CallError {
        let mut backtrace = Vec::new();
        self.push_backtrace(store, current, &mut backtrace);
        CallError::Trap(Trap { code, backtrace })
    }

    /// Pushes the names of the current function and of its callers, innermost
    /// first, to `backtrace`.
    fn push_backtrace(&self, store: &Store, current: (usize, u32), backtrace: &mut Vec<String>) {
        let name = |m: usize, f: u32| {
            let inst = store.instance(self.modules[m].instance);
            let imported = self.module(m).imported_funcs;
            let addr = inst.functions[(imported + f) as usize];
            store.funcs[addr.index()].debug_name.to_string()
        };
        backtrace.push(name(current.0, current.1));
        for rec in self.cx.frames.iter().rev() {
            backtrace.push(name(rec.module as usize, rec.func));
        }
    }

    /// Runs defined function `func` of module `module`, whose code is retired
    /// (its functions run in another tier now), through the store's engine,
    /// with its arguments at stack slot `at`, where its results are left;
    /// returns how many result slots it has. Like a host call, it counts this
    /// run's frames against the call-depth limit while it runs. An exception
    /// it ends with is thrown on at the call (by the top of the run loop); a
    /// trap's backtrace goes on with this run's frames, from `current`.
    fn call_retired(
        &mut self,
        store: &mut Store,
        (module, func): (usize, u32),
        at: usize,
        current: (usize, u32),
    ) -> Result<usize, CallError> {
        if self.module(current.0).crosses_tiers() {
            self.module(current.0).sample(current.1);
        }
        let inst = self.modules[module].instance;
        let imported = self.module(module).imported_funcs;
        let addr = store.instance(inst).functions[(imported + func) as usize];
        let ty = &store.funcs[addr.index()].ty;
        let results = ty.result_slots();
        let n = ty.param_slots().max(results);
        self.reserve(store, at + n)
            .map_err(|c| CallError::Trap(Trap::new(c)))?;
        let saved_depth = store.call_depth;
        store.call_depth += self.cx.frames.len() as u32 + 1;
        let engine = store.engine().clone();
        let result = engine.call_wasm(store, addr, &mut self.stack[at..at + n]);
        store.call_depth = saved_depth;
        match result {
            Ok(()) => Ok(results),
            Err(CallError::Exception(e)) => {
                self.thrown = Some(Thrown::Host(e));
                Ok(results)
            }
            Err(CallError::Trap(mut trap)) => {
                self.push_backtrace(store, current, &mut trap.backtrace);
                Err(CallError::Trap(trap))
            }
            Err(e) => Err(e),
        }
    }

    /// Moves the running call of defined function `func` of module `module`,
    /// whose frame is at `base`, into the store's engine at the loop whose
    /// first op is `ip` (on-stack replacement), if its code is retired and
    /// the engine has an entry there. True if it moved: the call ran to its
    /// end there, with its results at `base` (or an exception to throw on
    /// from its caller's call). A trap's backtrace goes on with the
    /// callers' frames.
    fn enter_at_loop(
        &mut self,
        store: &mut Store,
        (module, func): (usize, u32),
        base: usize,
        ip: *const Op,
    ) -> Result<bool, CallError> {
        if !self.module(module).is_retired(func) {
            return Ok(false);
        }
        let code = self.module(module).func(func).map_err(CallError::Compile)?;
        let Some(loops) = &code.loops else {
            return Ok(false);
        };
        let at = (ip as usize).wrapping_sub(code.code().as_ptr() as usize) / size_of::<Op>();
        let Some(offset) = u32::try_from(at).ok().and_then(|op| loops.offset_at(op)) else {
            return Ok(false);
        };
        let locals: Vec<u64> = loops
            .locals
            .iter()
            .flat_map(|&(slot, n)| {
                let at = base + slot as usize;
                self.stack[at..at + n as usize].iter().copied()
            })
            .collect();
        let inst = self.modules[module].instance;
        let imported = self.module(module).imported_funcs;
        let addr = store.instance(inst).functions[(imported + func) as usize];
        let ty = &store.funcs[addr.index()].ty;
        let n = ty.param_slots().max(ty.result_slots());
        self.reserve(store, base + n)
            .map_err(|c| CallError::Trap(Trap::new(c)))?;
        let saved_depth = store.call_depth;
        store.call_depth += self.cx.frames.len() as u32 + 1;
        let engine = store.engine().clone();
        let result = engine.call_wasm_at_loop(
            store,
            addr,
            offset,
            &locals,
            &mut self.stack[base..base + n],
        );
        store.call_depth = saved_depth;
        match result {
            None => Ok(false),
            Some(Ok(())) => Ok(true),
            Some(Err(CallError::Exception(e))) => {
                self.thrown = Some(Thrown::Host(e));
                Ok(true)
            }
            Some(Err(CallError::Trap(mut trap))) => {
                // The engine's backtrace has this function; its callers follow.
                let callers = self
                    .cx
                    .frames
                    .pop()
                    .map(|rec| (rec.module as usize, rec.func));
                if let Some(caller) = callers {
                    self.push_backtrace(store, caller, &mut trap.backtrace);
                }
                Err(CallError::Trap(trap))
            }
            Some(Err(e)) => Err(e),
        }
    }

    /// Unwinds exception `exn`, thrown at op `pos` of function `f` of module
    /// `m` whose frame is at `base` (or, with `pos` `None`, by a tail call
    /// that already left that frame), to the handler that catches it.
    /// Returns where execution goes on: the module, function, frame and op.
    /// An exception nothing here catches leaves the call: the error carries
    /// it (and the store no longer holds it).
    fn unwind(
        &mut self,
        store: &mut Store,
        exn: u64,
        (mut m, mut f, mut base): (usize, u32, usize),
        mut pos: Option<usize>,
    ) -> Result<(usize, u32, usize, *const Op), CallError> {
        let tag = store
            .exception(exn)
            .expect("a thrown exnref is a live exception")
            .tag;
        loop {
            if let Some(at) = pos {
                let func = self.module(m).func(f).map_err(CallError::Compile)?;
                let tags = &store.instance(self.modules[m].instance).tags;
                let found = Handler::find(&func.handlers, at as u32, |t| tags[t as usize] == tag);
                if let Some(&Handler {
                    action:
                        HandlerAction::Catch {
                            tag: with_tag,
                            dst,
                            exn: exn_slot,
                            keep,
                            target,
                        },
                    ..
                }) = found
                {
                    let dst = base + dst as usize;
                    if with_tag.is_some() {
                        let payload = &store.exception(exn).expect("live").payload;
                        self.stack[dst..dst + payload.len()].copy_from_slice(payload);
                    }
                    if let Some(slot) = exn_slot {
                        self.stack[base + slot as usize] = exn;
                    }
                    if keep {
                        store.keep_exception(exn);
                    } else {
                        store.release_exception(exn);
                    }
                    // SAFETY: handler targets are ops of the function.
                    let ip = unsafe { func.code().as_ptr().add(target as usize) };
                    return Ok((m, f, base, ip));
                }
            }
            let Some(rec) = self.cx.frames.pop() else {
                let escaped = store.escape_exception(exn).expect("live");
                return Err(CallError::Exception(Box::new(escaped)));
            };
            (m, f, base) = (rec.module as usize, rec.func, rec.base as usize);
            // A frame's return point is the op after its call.
            pos = Some(self.position_before(m, f, rec.ip)?);
        }
    }

    /// Throws [`Executor::thrown`] at the op before `past` in function `f`
    /// of module `m` whose frame is at `base`: where execution goes on (see
    /// [`Executor::unwind`]). Out of line, so that the exception paths keep
    /// the run loop's frame small (each entry from a host function nests one).
    #[inline(never)]
    fn throw(
        &mut self,
        store: &mut Store,
        (m, f, base): (usize, u32, usize),
        past: *const Op,
    ) -> Result<(usize, u32, usize, *const Op), CallError> {
        let exn = match self.thrown.take() {
            Some(Thrown::Exn(exn)) => exn,
            Some(Thrown::Host(e)) => store.throw_from_host(&e)?,
            None => unreachable!("called with an exception thrown"),
        };
        let pos = self.position_before(m, f, past)?;
        self.unwind(store, exn, (m, f, base), Some(pos))
    }

    /// A new exception of tag `tag` (the module's index) of instance `inst`
    /// with the payload at value-stack slot `at`, or the trap past the
    /// store's limit.
    #[inline(never)]
    fn new_exception(
        &self,
        store: &mut Store,
        inst: InstanceId,
        tag: u32,
        at: usize,
    ) -> Result<u64, TrapCode> {
        let addr = store.instance(inst).tags[tag as usize];
        let n = store.tag_type(addr).param_slots();
        store.new_exception(addr, &self.stack[at..at + n])
    }

    /// The position in function `f` of module `m` of the op before `past`.
    fn position_before(&self, m: usize, f: u32, past: *const Op) -> Result<usize, CallError> {
        let code = self
            .module(m)
            .func(f)
            .map_err(CallError::Compile)?
            .code()
            .as_ptr();
        // SAFETY: `past` is past an op of the function.
        Ok(unsafe { past.offset_from(code) } as usize - 1)
    }

    /// Makes sure the value stack holds `needed` slots.
    fn reserve(&mut self, store: &Store, needed: usize) -> Result<(), TrapCode> {
        if needed > self.stack.len() {
            if needed > store.limits.max_stack_slots {
                return Err(TrapCode::StackExhausted);
            }
            let new_len = needed
                .max(self.stack.len() * 2)
                .max(INITIAL_STACK_SLOTS)
                .min(store.limits.max_stack_slots);
            self.stack.resize(new_len, 0);
        }
        Ok(())
    }

    /// The function `call_indirect` (or `return_call_indirect`) of type
    /// `type_index` reaches through `table` at `index`, or its trap.
    fn indirect_target(
        &self,
        store: &Store,
        inst: InstanceId,
        type_index: u32,
        table: u32,
        index: u64,
    ) -> Result<FuncAddr, TrapCode> {
        let instance = store.instance(inst);
        let taddr = instance.tables[table as usize];
        let want = instance.sig_ids[type_index as usize];
        let elem = *store.tables[taddr.index()]
            .elements
            .get(index as u32 as usize)
            .ok_or(TrapCode::UndefinedElement)?;
        let addr = funcref_addr(elem).ok_or(TrapCode::UninitializedElement)?;
        if store.funcs[addr.index()].sig != want {
            return Err(TrapCode::IndirectCallTypeMismatch);
        }
        Ok(addr)
    }

    /// Resolves a call of function `addr` with its frame at `base`: a WebAssembly
    /// function to enter, or a host function, run right here.
    fn call_addr(
        &mut self,
        store: &mut Store,
        caller: InstanceId,
        addr: FuncAddr,
        base: usize,
    ) -> Result<Next, CallError> {
        match &store.funcs[addr.index()].kind {
            FuncKind::Wasm { instance, index } => {
                let (instance, func) = (*instance, *index);
                if let Some(code) = store.instance(instance).closed {
                    return Err(CallError::Exit(code));
                }
                let module = self.module_index(store, instance);
                Ok(Next::Enter { module, func, base })
            }
            FuncKind::Host { func, .. } => {
                let f: *const HostFn = Arc::as_ptr(func);
                let ty = &store.funcs[addr.index()].ty;
                let n = ty.param_slots().max(ty.result_slots());
                self.reserve(store, base + n)
                    .map_err(|c| CallError::Trap(Trap::new(c)))?;
                let depth = self.cx.frames.len() as u32 + 1;
                // SAFETY: see `host_closure`.
                let f = unsafe { host_closure(f) };
                match call_host(
                    store,
                    depth,
                    addr,
                    caller,
                    f,
                    &mut self.stack[base..base + n],
                ) {
                    Ok(()) => Ok(Next::Continue),
                    // Thrown on at the call, by the top of the run loop.
                    Err(CallError::Exception(e)) => {
                        self.thrown = Some(Thrown::Host(e));
                        Ok(Next::Continue)
                    }
                    Err(e) => Err(e),
                }
            }
        }
    }

    fn run(
        &mut self,
        store: &mut Store,
        entry: FuncAddr,
        args: &mut [u64],
    ) -> Result<(), CallError> {
        let FuncKind::Wasm { instance, index } = store.funcs[entry.index()].kind.clone() else {
            unreachable!("the store calls host functions itself");
        };
        let depth_base = store.call_depth as usize;
        let max_depth = store.limits.max_call_depth as usize;
        let mut m = self.module_index(store, instance);
        let mut f = index;
        if self.module(m).crosses_tiers() {
            self.module(m).sample(f);
        }
        let entry_func = self.module(m).func(f).map_err(CallError::Compile)?;
        {
            let (frame, params) = (
                entry_func.frame_size as usize,
                entry_func.param_slots as usize,
            );
            self.reserve(store, frame.max(args.len()))
                .map_err(|c| CallError::Trap(Trap::new(c)))?;
            self.stack[..params].copy_from_slice(&args[..params]);
            let init = &entry_func.init;
            self.stack[params..params + init.len()].copy_from_slice(init);
        }
        let mut inst = instance;
        let mut base = 0usize;
        let (mut mem, mut mem_len) = memory_of(store, inst);
        // The memory that memory instructions use: 0, but for one instruction
        // on another memory (`Instr::SelectMemory`) or in a window of a 64-bit
        // one starting `window` bytes in (`Instr::Window64`).
        let (mut selected, mut window) = (0, 0);
        // SAFETY (for the whole loop): see the module documentation.
        let mut fp: *mut u64 = self.stack.as_mut_ptr();
        let mut ip: *const Op = entry_func.code().as_ptr();

        macro_rules! get {
            ($s:expr) => {{
                // SAFETY: slots named by instructions lie inside the current frame.
                unsafe { *fp.add($s as usize) }
            }};
        }
        macro_rules! set {
            ($s:expr, $v:expr) => {{
                let v = $v;
                // SAFETY: as in `get!`.
                unsafe { *fp.add($s as usize) = v }
            }};
        }
        macro_rules! get2 {
            ($s:expr) => {
                u128::from(get!($s)) | (u128::from(get!($s as usize + 1)) << 64)
            };
        }
        macro_rules! set2 {
            ($s:expr, $v:expr) => {{
                let v: u128 = $v;
                set!($s, v as u64);
                set!($s as usize + 1, (v >> 64) as u64);
            }};
        }
        macro_rules! trap {
            ($code:expr) => {
                return Err(self.trap(store, $code, (m, f)))
            };
        }
        macro_rules! refresh_memory {
            () => {{
                (selected, window) = (0, 0);
                (mem, mem_len) = memory_of(store, inst);
            }};
        }
        macro_rules! enter {
            ($next:expr) => {{
                match $next {
                    Next::Continue => refresh_memory!(),
                    Next::Enter {
                        module,
                        func,
                        base: new_base,
                    } if self.module(module).is_retired(func) => {
                        self.call_retired(store, (module, func), new_base, (m, f))?;
                        // The value stack may have grown.
                        fp = self.stack.as_mut_ptr().wrapping_add(base);
                        refresh_memory!();
                        poke_for_loops!();
                    }
                    Next::Enter {
                        module,
                        func,
                        base: new_base,
                    } => {
                        if self.cx.frames.len() + depth_base + 1 >= max_depth {
                            trap!(TrapCode::StackExhausted);
                        }
                        if store.interrupt.take() {
                            trap!(TrapCode::Interrupted);
                        }
                        let callee: &CompiledFunc = match self.module(module).func(func) {
                            Ok(callee) => callee,
                            Err(e) => return Err(CallError::Compile(e)),
                        };
                        let frame = callee.frame_size as usize;
                        if new_base + frame > self.stack.len() {
                            if let Err(c) = self.reserve(store, new_base + frame) {
                                trap!(c);
                            }
                        }
                        self.cx.frames.push(FrameRecord {
                            ip,
                            module: m as u32,
                            func: f,
                            base: base as u32,
                        });
                        // SAFETY: the stack holds `new_base + frame_size` slots.
                        unsafe {
                            threaded::init_frame(self.stack.as_mut_ptr().add(new_base), callee)
                        };
                        ip = callee.code().as_ptr();
                        let switched = module != m;
                        m = module;
                        f = func;
                        base = new_base;
                        fp = self.stack.as_mut_ptr().wrapping_add(base);
                        if switched {
                            inst = self.modules[m].instance;
                            refresh_memory!();
                        }
                    }
                }
            }};
        }

        // After a call that ran in another tier returned to the current
        // function: if its module moved there, the function's loops may
        // move too, at their next back-edge (`enter_at_loop`).
        macro_rules! poke_for_loops {
            () => {{
                if self.module(m).is_retired(f)
                    && self.module(m).func(f).is_ok_and(|c| c.loops.is_some())
                {
                    store.interrupt.poke();
                }
            }};
        }

        // Returns from the current function: to the caller's frame, or out.
        macro_rules! ret {
            () => {{
                match self.cx.frames.pop() {
                    None => break,
                    Some(rec) => {
                        let switched = rec.module as usize != m;
                        m = rec.module as usize;
                        f = rec.func;
                        ip = rec.ip;
                        base = rec.base as usize;
                        fp = self.stack.as_mut_ptr().wrapping_add(base);
                        if switched {
                            // The callee's module may share and have grown this memory.
                            inst = self.modules[m].instance;
                            refresh_memory!();
                        }
                    }
                }
            }};
        }
        // A tail call whose arguments (or, for a host function already run,
        // `results` results) are at frame slot `$src`: the callee replaces the
        // current frame, which keeps its place on the stack and in the call
        // depth, so tail recursion runs in constant space.
        macro_rules! tail {
            ($next:expr, $src:expr, $results:expr) => {{
                let src = base + $src as usize;
                match $next {
                    Next::Continue => {
                        // A host function ran: its results go to slot 0 and
                        // this function returns them.
                        self.stack.copy_within(src..src + $results, base);
                        // The host may have grown (and moved) the memory.
                        refresh_memory!();
                        ret!();
                    }
                    Next::Enter { module, func, .. } if self.module(module).is_retired(func) => {
                        let results = self.call_retired(store, (module, func), src, (m, f))?;
                        self.stack.copy_within(src..src + results, base);
                        refresh_memory!();
                        ret!();
                        poke_for_loops!();
                    }
                    Next::Enter { module, func, .. } => {
                        if store.interrupt.take() {
                            trap!(TrapCode::Interrupted);
                        }
                        let callee: &CompiledFunc = match self.module(module).func(func) {
                            Ok(callee) => callee,
                            Err(e) => return Err(CallError::Compile(e)),
                        };
                        let params = callee.param_slots as usize;
                        self.stack.copy_within(src..src + params, base);
                        let frame = callee.frame_size as usize;
                        if base + frame > self.stack.len() {
                            if let Err(c) = self.reserve(store, base + frame) {
                                trap!(c);
                            }
                        }
                        // SAFETY: the stack holds `base + frame_size` slots.
                        unsafe { threaded::init_frame(self.stack.as_mut_ptr().add(base), callee) };
                        ip = callee.code().as_ptr();
                        let switched = module != m;
                        m = module;
                        f = func;
                        fp = self.stack.as_mut_ptr().wrapping_add(base);
                        if switched {
                            inst = self.modules[m].instance;
                            refresh_memory!();
                        }
                    }
                }
            }};
        }

        self.cx.frame_limit = max_depth.saturating_sub(depth_base + 1);
        self.thrown = None;
        loop {
            if self.thrown.is_some() {
                // An exception thrown by the op before `ip` (or by a callee
                // of the call there), or by a host function a tail call ran,
                // whose caller's call is the op before `ip`.
                (m, f, base, ip) = self.throw(store, (m, f, base), ip)?;
                fp = self.stack.as_mut_ptr().wrapping_add(base);
                inst = self.modules[m].instance;
                refresh_memory!();
            }
            self.cx.stack = self.stack.as_mut_ptr();
            self.cx.stack_len = self.stack.len();
            self.cx.module = self.modules[m].ptr;
            // SAFETY: `ModuleRef::ptr` points at a live module (see `Executor`).
            self.cx.entries = unsafe { (*self.cx.module).entries() };
            self.cx.module_index = m as u32;
            self.cx.func = f;
            self.cx.base = base;
            self.cx.frame_stop = self.cx.frame_limit.min(self.cx.frames.capacity());
            self.cx.globals = store.globals.as_mut_ptr();
            self.cx.global_addrs = store.instance(inst).globals.as_ptr();
            self.cx.func_addrs = store.instance(inst).functions.as_ptr();
            self.cx.instance = inst;
            self.cx.interrupt = Arc::as_ptr(&store.interrupt);
            self.cx.store = &mut *store;
            // SAFETY: `ip` is inside the current function, `fp` at its frame and
            // `mem`/`mem_len` describe the current memory (module docs); the
            // context describes the value stack and the current module.
            let exit = unsafe { threaded::run(ip, fp, mem, mem_len, &mut self.cx) };
            ip = exit.ip;
            f = self.cx.func;
            base = self.cx.base;
            fp = self.stack.as_mut_ptr().wrapping_add(base);
            match self.cx.error.take() {
                None => {}
                // A host call made by threaded code threw: on from the call,
                // the op at `ip`, by the top of the loop.
                Some(CallError::Exception(e)) => {
                    self.thrown = Some(Thrown::Host(e));
                    ip = ip.wrapping_add(1);
                    continue;
                }
                Some(e) => return Err(e),
            }
            // Threaded host calls may have grown the memory.
            (mem, mem_len) = match (selected, window) {
                (0, 0) => memory_of(store, inst),
                (other, 0) => memory_at(store, inst, other),
                (other, start) => {
                    let (base, len) = memory_at(store, inst, other);
                    (base.wrapping_add(start as usize), len.saturating_sub(start))
                }
            };
            if exit.reason == threaded::PENDING_INTERRUPT {
                if store.interrupt.take() {
                    trap!(TrapCode::Interrupted);
                }
                // A poke: a sample for the tier above (which functions run
                // hot), or the function may have moved to another tier,
                // which can take this call over at the loop `ip` starts.
                if !store.interrupt.take_poke() {
                    continue;
                }
                self.module(m).sample(f);
                if self.enter_at_loop(store, (m, f), base, ip)? {
                    refresh_memory!();
                    ret!();
                    poke_for_loops!();
                }
                continue;
            }
            if let Some(code) = exit.trap_code() {
                trap!(code);
            }
            // SAFETY: threaded code stops at an op of the current function.
            let instr = unsafe { (*ip).instr };
            // SAFETY: every function ends in an op that does not fall through.
            ip = unsafe { ip.add(1) };
            match instr {
                Instr::Return => ret!(),
                Instr::ReturnCallInternal { func, base: b } => {
                    tail!(
                        Next::Enter {
                            module: m,
                            func,
                            base: 0
                        },
                        b,
                        0
                    );
                }
                Instr::ReturnCallImported { func, base: b } => {
                    let addr = store.instance(inst).functions[func as usize];
                    let results = store.funcs[addr.index()].ty.result_slots();
                    // `tail!` sets `fp` again: the host may have grown the stack.
                    let next = self.call_addr(store, inst, addr, base + b as usize)?;
                    tail!(next, b, results);
                }
                Instr::ReturnCallIndirect {
                    type_index,
                    table,
                    index,
                    base: b,
                } => {
                    let addr =
                        match self.indirect_target(store, inst, type_index, table, get!(index)) {
                            Ok(addr) => addr,
                            Err(code) => trap!(code),
                        };
                    let results = store.funcs[addr.index()].ty.result_slots();
                    // `tail!` sets `fp` again: the host may have grown the stack.
                    let next = self.call_addr(store, inst, addr, base + b as usize)?;
                    tail!(next, b, results);
                }
                Instr::ReturnCallRef { func, base: b } => {
                    let Some(addr) = funcref_addr(get!(func)) else {
                        trap!(TrapCode::NullFunctionReference);
                    };
                    let results = store.funcs[addr.index()].ty.result_slots();
                    // `tail!` sets `fp` again: the host may have grown the stack.
                    let next = self.call_addr(store, inst, addr, base + b as usize)?;
                    tail!(next, b, results);
                }
                Instr::CallRef { func, base: b } => {
                    let Some(addr) = funcref_addr(get!(func)) else {
                        trap!(TrapCode::NullFunctionReference);
                    };
                    let next = self.call_addr(store, inst, addr, base + b as usize)?;
                    fp = self.stack.as_mut_ptr().wrapping_add(base);
                    enter!(next);
                }
                Instr::SelectMemory { memory } => {
                    (selected, window) = (memory, 0);
                    (mem, mem_len) = memory_at(store, inst, memory);
                }
                Instr::Window64 {
                    d,
                    addr,
                    memory,
                    offset_high,
                } => {
                    let memory = u32::from(memory);
                    let (base, len) = memory_at(store, inst, memory);
                    let start = get!(addr).checked_add(u64::from(offset_high) << 32);
                    let Some(start) = start.filter(|&s| s <= len) else {
                        trap!(TrapCode::MemoryOutOfBounds);
                    };
                    (selected, window) = (memory, start);
                    // SAFETY: `start <= len`: at most one past the memory's end.
                    (mem, mem_len) = (unsafe { base.add(start as usize) }, len - start);
                    set!(d, 0);
                }
                Instr::MemoryGrowOther {
                    d,
                    delta,
                    memory,
                    wide: false,
                } => {
                    let old =
                        store.memory_grow(inst, u32::from(memory), u64::from(get!(delta) as u32));
                    set!(d, u64::from(old.unwrap_or(u32::MAX)));
                    refresh_memory!();
                }
                Instr::TableIndex64 { d, a } => set!(d, get!(a).min(u64::from(u32::MAX))),
                Instr::MemoryGrowOther {
                    d,
                    delta,
                    memory,
                    wide: true,
                } => {
                    let old = store.memory_grow(inst, u32::from(memory), get!(delta));
                    set!(d, old.map_or(u64::MAX, u64::from));
                    refresh_memory!();
                }
                Instr::MemoryFill {
                    dst,
                    value,
                    len,
                    memory,
                    wide: true,
                } => {
                    let (d, v, n) = (get!(dst), get!(value) as u8, get!(len));
                    if let Err(code) = store.memory_fill(inst, u32::from(memory), d, v, n) {
                        trap!(code);
                    }
                }
                Instr::MemoryInit {
                    segment,
                    dst,
                    src,
                    len,
                    memory,
                    wide: true,
                } => {
                    let (d, s, n) = (get!(dst), get!(src) as u32, get!(len) as u32);
                    let memory = u32::from(memory);
                    if let Err(code) = store.memory_init(inst, memory, segment, d, s, n) {
                        trap!(code);
                    }
                }
                Instr::MemoryCopyBetween {
                    dst,
                    src,
                    len,
                    dst_memory,
                    src_memory,
                    widths,
                } => {
                    // An `i32` operand is its low half.
                    let operand = |v: u64, bit: u8| match widths & bit {
                        0 => u64::from(v as u32),
                        _ => v,
                    };
                    let d = operand(get!(dst), 1);
                    let s = operand(get!(src), 2);
                    let n = operand(get!(len), 4);
                    let (dm, sm) = (u32::from(dst_memory), u32::from(src_memory));
                    if let Err(code) = store.memory_copy(inst, dm, sm, d, s, n) {
                        trap!(code);
                    }
                    // Memory 0 may be one of them: its bytes moved, not its place.
                }
                Instr::RefAsNonNull { s } => {
                    if get!(s) == 0 {
                        trap!(TrapCode::NullReference);
                    }
                }
                // The top of the loop unwinds.
                Instr::Throw { tag, base: b } => {
                    match self.new_exception(store, inst, tag, base + b as usize) {
                        Ok(exn) => self.thrown = Some(Thrown::Exn(exn)),
                        Err(code) => trap!(code),
                    }
                }
                Instr::ThrowRef { s } => {
                    let exn = get!(s);
                    if exn == 0 {
                        trap!(TrapCode::NullExceptionReference);
                    }
                    self.thrown = Some(Thrown::Exn(exn));
                }
                Instr::CallInternal { func, base: b } => {
                    enter!(Next::Enter {
                        module: m,
                        func,
                        base: base + b as usize
                    });
                }
                Instr::CallImported { func, base: b } => {
                    let addr = store.instance(inst).functions[func as usize];
                    let next = self.call_addr(store, inst, addr, base + b as usize)?;
                    // The host may have grown the value stack.
                    fp = self.stack.as_mut_ptr().wrapping_add(base);
                    enter!(next);
                }
                Instr::CallIndirect {
                    type_index,
                    table,
                    index,
                    base: b,
                } => {
                    let addr =
                        match self.indirect_target(store, inst, type_index, table, get!(index)) {
                            Ok(addr) => addr,
                            Err(code) => trap!(code),
                        };
                    let next = self.call_addr(store, inst, addr, base + b as usize)?;
                    fp = self.stack.as_mut_ptr().wrapping_add(base);
                    enter!(next);
                }
                Instr::Global2 { slot, index, set } => {
                    let g = store.instance(inst).globals[index as usize];
                    if set {
                        store.globals[g.index()].value = get2!(slot);
                    } else {
                        set2!(slot, store.globals[g.index()].value);
                    }
                }
                Instr::MemorySize { d } => set!(d, mem_len / wazero_api::PAGE_SIZE),
                Instr::MemoryGrow { d, delta } => {
                    let delta = get!(delta) as u32;
                    let result = match store.memory_of(inst) {
                        Some(a) => store.memories[a.index()].grow(delta),
                        None => None,
                    };
                    set!(d, u64::from(result.unwrap_or(u32::MAX)));
                    refresh_memory!();
                }
                Instr::MemoryFill {
                    dst,
                    value,
                    len,
                    memory: _,
                    wide: false,
                } => {
                    let (d, v, n) = (
                        get!(dst) as u32 as u64,
                        get!(value) as u8,
                        get!(len) as u32 as u64,
                    );
                    if d + n > mem_len {
                        trap!(TrapCode::MemoryOutOfBounds);
                    }
                    // In chunks with an interrupt check between them
                    // (`wazero_store::bulk_chunks`): filling gigabytes takes
                    // seconds.
                    for (i, (at, k)) in wazero_store::bulk_chunks(0, 0, n).enumerate() {
                        if i > 0 && store.interrupt.take() {
                            trap!(TrapCode::Interrupted);
                        }
                        // SAFETY: `d + at + k <= d + n`, within the memory.
                        unsafe { std::ptr::write_bytes(mem.add((d + at) as usize), v, k as usize) }
                    }
                }
                Instr::MemoryCopy { dst, src, len } => {
                    let (d, s, n) = (
                        get!(dst) as u32 as u64,
                        get!(src) as u32 as u64,
                        get!(len) as u32 as u64,
                    );
                    if d + n > mem_len || s + n > mem_len {
                        trap!(TrapCode::MemoryOutOfBounds);
                    }
                    // In chunks with an interrupt check between them, in the
                    // order that never overwrites bytes still to be read
                    // (`wazero_store::bulk_chunks`).
                    for (i, (at, k)) in wazero_store::bulk_chunks(d, s, n).enumerate() {
                        if i > 0 && store.interrupt.take() {
                            trap!(TrapCode::Interrupted);
                        }
                        // SAFETY: `s + at + k` and `d + at + k` are at most
                        // `s + n` and `d + n`, within the memory; `copy` allows
                        // overlap.
                        unsafe {
                            std::ptr::copy(
                                mem.add((s + at) as usize),
                                mem.add((d + at) as usize),
                                k as usize,
                            )
                        }
                    }
                }
                Instr::MemoryInit {
                    segment,
                    dst,
                    src,
                    len,
                    memory: _,
                    wide: false,
                } => {
                    let (d, s, n) = (
                        get!(dst) as u32 as u64,
                        get!(src) as u32 as u64,
                        get!(len) as u32 as u64,
                    );
                    let module = &self.module(m).module;
                    let bytes: &[u8] = if store.instance(inst).data_dropped[segment as usize] {
                        &[]
                    } else {
                        module.data_bytes(&module.data[segment as usize])
                    };
                    if d + n > mem_len || s + n > bytes.len() as u64 {
                        trap!(TrapCode::MemoryOutOfBounds);
                    }
                    let src_bytes = &bytes[s as usize..(s + n) as usize];
                    // SAFETY: `d + n` is within the memory; the segment is module data,
                    // which never overlaps linear memory.
                    unsafe {
                        std::ptr::copy_nonoverlapping(
                            src_bytes.as_ptr(),
                            mem.add(d as usize),
                            n as usize,
                        )
                    }
                }
                Instr::SegmentDrop {
                    elem: false,
                    segment,
                } => store.data_drop(inst, segment),
                Instr::TableGet { d, index, table } => {
                    match store.table_get(inst, table, get!(index) as u32) {
                        Ok(v) => set!(d, v),
                        Err(c) => trap!(c),
                    }
                }
                Instr::TableSet {
                    table,
                    index,
                    value,
                } => {
                    if let Err(c) = store.table_set(inst, table, get!(index) as u32, get!(value)) {
                        trap!(c);
                    }
                }
                Instr::TableSize { d, table } => {
                    set!(d, u64::from(store.table_size(inst, table)));
                }
                Instr::TableGrow {
                    d,
                    table,
                    init,
                    delta,
                } => {
                    let r = store.table_grow(inst, table, get!(delta) as u32, get!(init));
                    set!(d, u64::from(r));
                }
                Instr::TableFill {
                    table,
                    dst,
                    value,
                    len,
                } => {
                    let r = store.table_fill(
                        inst,
                        table,
                        get!(dst) as u32,
                        get!(value),
                        get!(len) as u32,
                    );
                    if let Err(c) = r {
                        trap!(c);
                    }
                }
                Instr::TableCopy {
                    dst_table,
                    src_table,
                    dst,
                    src,
                    len,
                } => {
                    let r = store.table_copy(
                        inst,
                        dst_table,
                        src_table,
                        get!(dst) as u32,
                        get!(src) as u32,
                        get!(len) as u32,
                    );
                    if let Err(c) = r {
                        trap!(c);
                    }
                }
                Instr::TableInit {
                    segment,
                    table,
                    dst,
                    src,
                    len,
                } => {
                    let r = store.table_init(
                        inst,
                        segment,
                        table,
                        get!(dst) as u32,
                        get!(src) as u32,
                        get!(len) as u32,
                    );
                    if let Err(c) = r {
                        trap!(c);
                    }
                }
                Instr::SegmentDrop {
                    elem: true,
                    segment,
                } => store.elem_drop(inst, segment),
                Instr::RefFunc { d, func } => {
                    set!(d, funcref(store.instance(inst).functions[func as usize]));
                }
                other => unreachable!("{other:?} runs in threaded code"),
            }
        }
        // A host function the entry function tail-called threw.
        if let Some(Thrown::Host(e)) = self.thrown.take() {
            return Err(CallError::Exception(e));
        }
        let results = entry_func.result_slots as usize;
        args[..results].copy_from_slice(&self.stack[..results]);
        Ok(())
    }
}
