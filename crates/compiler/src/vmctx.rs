//! The VM context: the one pointer compiled code receives, through which it
//! reaches everything of the store it may touch.
//!
//! The struct is `#[repr(C)]` and compiled code addresses its fields by the
//! offsets below, so the Rust side and the generated code agree by construction.
//! One lives on the native stack of `exec::call` for each call from
//! Rust into an instance's compiled code; calls into other instances (imported
//! functions, foreign table entries) go through a runtime call that makes the
//! callee's own context.

use std::any::Any;
use std::mem::offset_of;

use wazero_store::{
    CallError, DirectImport, FunctionInstance, GlobalInstance, HostCallCx, HostFunc, InstanceId,
    Store,
};

use crate::builtins::Builtins;

/// What compiled code sees of the store while it runs.
#[repr(C)]
pub struct VmCtx {
    /// `0` while running normally; the trap handler, or a runtime call that
    /// failed, stores [`trap_to_u32`](crate::trap::trap_to_u32) of the trap's
    /// code here.
    pub trap: u32,
    /// The instance whose code runs with this context.
    pub instance: u32,
    /// The exception being thrown (its `exnref`), `0` when none: in a
    /// module that catches exceptions ([`ValidatedModule::catches`]), an
    /// exception travels from where it is thrown to a handler through here,
    /// each call returning to a caller that checks it. (In other modules an
    /// exception ends the call like a trap.)
    ///
    /// [`ValidatedModule::catches`]: wazero_validator::ValidatedModule::catches
    pub exception: u64,
    /// Whether the module catches exceptions (see [`VmCtx::exception`]).
    pub catches: bool,
    /// Base address of linear memory 0 (dangling when there is none).
    pub memory_base: *mut u8,
    /// Length of linear memory 0 in bytes (0 when there is none).
    pub memory_len: u64,
    /// Base address of the memory other than 0 that the access being made
    /// uses (set by the `select_memory` runtime call just before it).
    pub selected_base: *mut u8,
    /// Length in bytes of that memory.
    pub selected_len: u64,
    /// The store's interrupt poll address
    /// ([`Interrupt::poll_address`](wazero_store::Interrupt::poll_address)):
    /// compiled code reads a byte there at every check, which faults while an
    /// interrupt is requested.
    pub interrupt: *const u8,
    /// Compiled code traps with "call stack exhausted" when the native stack
    /// pointer is below this address at a function entry.
    pub stack_limit: usize,
    /// The store's global instances (`Store::globals`), as bytes.
    pub globals: *mut u8,
    /// The instance's global index space: the store index of each global.
    pub global_addrs: *const u32,
    /// Code addresses of the module's defined functions, by defined index.
    pub funcs: *const *const u8,
    /// The runtime calls.
    pub builtins: *const Builtins,
    /// The store, for runtime calls only (Rust does not touch it otherwise while
    /// compiled code runs).
    pub store: *mut Store,
    /// Elements of table 0 (dangling when there is none).
    pub table_base: *mut u64,
    /// Number of elements of table 0.
    pub table_len: u64,
    /// The instance's function index space: the store address of each function.
    pub func_addrs: *const u32,
    /// The instance's host imports (`ModuleInstance::host_imports`), by
    /// import index.
    pub host_imports: *const Option<HostFunc>,
    /// The instance's direct entries of imported functions
    /// (`ModuleInstance::direct_imports`), by import index.
    pub direct_imports: *const DirectImport,
    /// The store index of memory 0 (`u32::MAX` when there is none).
    pub memory_index: u32,
    /// The store index of table 0 (`u32::MAX` when there is none).
    pub table_index: u32,
    /// The instance's type index space: the store's signature id of each type.
    pub sig_ids: *const u32,
    /// The store's function instances (`Store::funcs`), as bytes.
    pub store_funcs: *const u8,
    /// Store address of the instance's first defined function; its defined
    /// functions have consecutive addresses.
    pub first_defined: u32,
    /// Number of functions the instance defines.
    pub num_defined: u32,
    /// The native stack pointer inside the entry stub, where a fault in
    /// compiled code resumes (see `crate::arch`).
    pub entry_sp: usize,
    /// The module whose code runs with this context (for the signal handler:
    /// its code range and fault sites).
    pub module: *const crate::module::CompiledModule,
    /// Program counter of the fault being handled.
    pub fault_pc: usize,
    /// Frame pointer at the fault being handled.
    pub fault_fp: usize,
    /// What direct host entries receive (at [`HOST_CX`] from the context).
    pub host_cx: HostCallCx,
    /// The failure of a runtime call (a host function's error, an exit), when
    /// `trap` is `PENDING` (0xffff). Not seen by compiled code.
    pub pending: Option<CallError>,
    /// Whether the frames in `backtrace` extend `pending`'s backtrace (a trap
    /// in another instance's code) or not (a host function's failure).
    pub extend_backtrace: bool,
    /// A panic caught in a runtime call, resumed once compiled code has returned.
    pub panic: Option<Box<dyn Any + Send>>,
    /// Store addresses of the functions a trap unwound through, innermost first.
    pub backtrace: Vec<u32>,
    /// For a call entered at a loop (on-stack replacement): the values of
    /// the function's locals, each in its slots, which its entry reads.
    pub osr_locals: *const u64,
    /// For a call entered at a loop: the code it runs, whose trap sites and
    /// frames the signal handler and the frame walk look up beside the
    /// module's (null otherwise; see `crate::loop_entry`).
    pub loop_code: *const crate::loop_entry::LoopCode,
}

impl VmCtx {
    /// A context for instance `instance` of `store`; `funcs` is its module's
    /// table of function addresses, `stack_limit` the lowest native stack address
    /// compiled code may use.
    pub(crate) fn new(
        store: &mut Store,
        instance: InstanceId,
        module: &crate::module::CompiledModule,
        stack_limit: usize,
    ) -> Self {
        let mut vm = VmCtx {
            trap: 0,
            instance: instance.0,
            exception: 0,
            catches: store.instances[instance.index()]
                .module
                .as_ref()
                .is_some_and(|m| m.catches()),
            memory_base: std::ptr::NonNull::dangling().as_ptr(),
            memory_len: 0,
            selected_base: std::ptr::NonNull::dangling().as_ptr(),
            selected_len: 0,
            interrupt: store.interrupt.poll_address(),
            stack_limit,
            globals: std::ptr::null_mut(),
            global_addrs: std::ptr::null(),
            funcs: module.func_table(),
            builtins: &crate::builtins::BUILTINS,
            store: std::ptr::null_mut(),
            table_base: std::ptr::NonNull::dangling().as_ptr(),
            table_len: 0,
            func_addrs: std::ptr::null(),
            host_imports: std::ptr::null(),
            direct_imports: std::ptr::null(),
            memory_index: u32::MAX,
            table_index: u32::MAX,
            sig_ids: std::ptr::null(),
            store_funcs: std::ptr::null(),
            first_defined: 0,
            num_defined: 0,
            entry_sp: 0,
            module,
            fault_pc: 0,
            fault_fp: 0,
            host_cx: HostCallCx::new(std::ptr::null_mut(), instance),
            pending: None,
            extend_backtrace: false,
            panic: None,
            backtrace: Vec::new(),
            osr_locals: std::ptr::null(),
            loop_code: std::ptr::null(),
        };
        vm.refresh(store);
        vm.store = store;
        vm.host_cx.store = vm.store;
        vm
    }

    /// Reloads the addresses of memory 0 and table 0, the only ones a call
    /// (of a host function, or of another instance that shares them) may move.
    pub(crate) fn refresh_memory_and_table(&mut self, store: &mut Store) {
        match store.memories.get(self.memory_index as usize) {
            Some(m) => {
                self.memory_base = m.base_ptr();
                self.memory_len = m.size_bytes() as u64;
            }
            None => {
                self.memory_base = std::ptr::NonNull::dangling().as_ptr();
                self.memory_len = 0;
            }
        }
        match store.tables.get_mut(self.table_index as usize) {
            Some(t) => {
                self.table_base = t.elements.as_mut_ptr();
                self.table_len = t.elements.len() as u64;
            }
            None => {
                self.table_base = std::ptr::NonNull::dangling().as_ptr();
                self.table_len = 0;
            }
        }
    }

    /// Reloads every address taken from `store`: after anything that may have
    /// grown a memory or table or added store entries (a runtime call).
    pub(crate) fn refresh(&mut self, store: &mut Store) {
        let inst = &store.instances[self.instance as usize];
        self.memory_index = inst.memories.first().map_or(u32::MAX, |m| m.0);
        self.table_index = inst.tables.first().map_or(u32::MAX, |t| t.0);
        self.host_imports = inst.host_imports.as_ptr();
        self.direct_imports = inst.direct_imports.as_ptr();
        self.refresh_memory_and_table(store);
        let inst = &store.instances[self.instance as usize];
        // The address types are `#[repr(transparent)]` over `u32`.
        self.global_addrs = inst.globals.as_ptr().cast();
        self.func_addrs = inst.functions.as_ptr().cast();
        self.sig_ids = inst.sig_ids.as_ptr().cast();
        let module = inst.module.as_ref().expect("a wasm instance");
        // The index space is the imports, then the defined functions
        // (counting the imports would walk them on every entry).
        let imported = inst.functions.len().saturating_sub(module.code.len());
        self.num_defined = module.code.len() as u32;
        self.first_defined = inst.functions.get(imported).map_or(0, |a| a.0);
        let (globals, store_funcs) = (
            store.globals.as_mut_ptr().cast(),
            store.funcs.as_ptr().cast(),
        );
        // Compiled code may keep these from the start of the call (they only
        // change when a module is instantiated into the store, which cannot
        // happen during a call): check that they did not move.
        debug_assert!(self.globals.is_null() || self.globals == globals);
        debug_assert!(self.store_funcs.is_null() || self.store_funcs == store_funcs);
        self.globals = globals;
        self.store_funcs = store_funcs;
    }
}

macro_rules! offsets {
    ($($(#[$doc:meta])* $name:ident = $field:ident;)*) => {
        $(
            $(#[$doc])*
            pub const $name: i32 = offset_of!(VmCtx, $field) as i32;
        )*

        /// The layout compiled code relies on (every offset and stride it
        /// uses), for the compilation cache's key: code cached by a build with
        /// another layout is never used.
        pub(crate) fn layout_fingerprint() -> String {
            let offsets = [$($name),*].map(|o| o.to_string()).join(",");
            format!(
                "vmctx[{offsets}] host_cx_status={HOST_CX_STATUS} direct={DIRECT_STRIDE}/{DIRECT_DATA} \
                 global={GLOBAL_STRIDE}/{GLOBAL_VALUE} func={FUNC_STRIDE}/{FUNC_SIG} builtins={}",
                std::mem::size_of::<crate::builtins::Builtins>(),
            )
        }
    };
}

offsets! {
    /// Offset of [`VmCtx::trap`].
    TRAP = trap;
    /// Offset of [`VmCtx::exception`].
    EXCEPTION = exception;
    /// Offset of [`VmCtx::memory_base`].
    MEMORY_BASE = memory_base;
    /// Offset of [`VmCtx::memory_len`].
    MEMORY_LEN = memory_len;
    /// Offset of [`VmCtx::selected_base`].
    SELECTED_BASE = selected_base;
    /// Offset of [`VmCtx::selected_len`].
    SELECTED_LEN = selected_len;
    /// Offset of [`VmCtx::interrupt`].
    INTERRUPT = interrupt;
    /// Offset of [`VmCtx::stack_limit`].
    STACK_LIMIT = stack_limit;
    /// Offset of [`VmCtx::globals`].
    GLOBALS = globals;
    /// Offset of [`VmCtx::global_addrs`].
    GLOBAL_ADDRS = global_addrs;
    /// Offset of [`VmCtx::funcs`].
    FUNCS = funcs;
    /// Offset of [`VmCtx::builtins`].
    BUILTINS = builtins;
    /// Offset of [`VmCtx::table_base`].
    TABLE_BASE = table_base;
    /// Offset of [`VmCtx::table_len`].
    TABLE_LEN = table_len;
    /// Offset of [`VmCtx::func_addrs`].
    FUNC_ADDRS = func_addrs;
    /// Offset of [`VmCtx::host_imports`].
    HOST_IMPORTS = host_imports;
    /// Offset of [`VmCtx::direct_imports`].
    DIRECT_IMPORTS = direct_imports;
    /// Offset of [`VmCtx::host_cx`].
    HOST_CX = host_cx;
    /// Offset of [`VmCtx::sig_ids`].
    SIG_IDS = sig_ids;
    /// Offset of [`VmCtx::store_funcs`].
    STORE_FUNCS = store_funcs;
    /// Offset of [`VmCtx::first_defined`].
    FIRST_DEFINED = first_defined;
    /// Offset of [`VmCtx::num_defined`].
    NUM_DEFINED = num_defined;
    /// Offset of [`VmCtx::entry_sp`], which the entry stub writes.
    ENTRY_SP = entry_sp;
    /// Offset of [`VmCtx::osr_locals`].
    OSR_LOCALS = osr_locals;
}

/// Offset of the status of [`VmCtx::host_cx`] (see [`HostCallCx::status`]).
pub const HOST_CX_STATUS: i32 = HOST_CX + HostCallCx::STATUS_OFFSET as i32;
/// Size in bytes of one [`DirectImport`]: the entry, then its data.
pub const DIRECT_STRIDE: i32 = std::mem::size_of::<DirectImport>() as i32;
/// Offset of the data pointer in a [`DirectImport`].
pub const DIRECT_DATA: i32 = offset_of!(DirectImport, data) as i32;

/// Size in bytes of one [`GlobalInstance`] in the store's array.
pub const GLOBAL_STRIDE: i64 = std::mem::size_of::<GlobalInstance>() as i64;
/// Offset of the value (little-endian) in a [`GlobalInstance`].
pub const GLOBAL_VALUE: i32 = offset_of!(GlobalInstance, value) as i32;
/// Size in bytes of one [`FunctionInstance`] in the store's array.
pub const FUNC_STRIDE: i64 = std::mem::size_of::<FunctionInstance>() as i64;
/// Offset of the signature id (a `u32`) in a [`FunctionInstance`].
pub const FUNC_SIG: i32 = offset_of!(FunctionInstance, sig) as i32;
