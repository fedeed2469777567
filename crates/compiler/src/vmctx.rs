//! The VM context: the one pointer compiled code receives, through which it
//! reaches everything of the store it may touch.
//!
//! The struct is `#[repr(C)]` and compiled code addresses its fields by the
//! offsets below, so the Rust side and the generated code agree by construction.
//! It lives on the native stack of [`crate::exec::call`] for the duration of one
//! call from Rust into compiled code.

use std::mem::offset_of;
use std::sync::atomic::AtomicBool;

use wazero_store::{GlobalInstance, Store};

/// The runtime call behind `memory.grow`: `(vmctx, delta_pages) -> old_pages or -1`.
pub type MemoryGrowFn = unsafe extern "C" fn(*mut VmCtx, u32) -> u32;

/// What compiled code sees of the store while it runs.
#[repr(C)]
pub struct VmCtx {
    /// `0` while running normally; a trap stores [`trap_to_u32`](crate::trap::trap_to_u32)
    /// of its code here and returns. Callers check it after every call.
    pub trap: u32,
    /// Padding, kept zero.
    pub _pad: u32,
    /// Base address of linear memory 0 (dangling when there is none).
    pub memory_base: *mut u8,
    /// Length of linear memory 0 in bytes (0 when there is none).
    pub memory_len: u64,
    /// The store's interrupt flag.
    pub interrupt: *const AtomicBool,
    /// Compiled code traps with "call stack exhausted" when the native stack
    /// pointer is below this address at a function entry.
    pub stack_limit: usize,
    /// The store's global instances (`Store::globals`), as bytes.
    pub globals: *mut u8,
    /// The instance's global index space: the store index of each global.
    pub global_addrs: *const u32,
    /// Code addresses of the module's defined functions, by defined index.
    pub funcs: *const *const u8,
    /// The runtime call for `memory.grow`.
    pub memory_grow: MemoryGrowFn,
    /// The store, for runtime calls only (Rust does not touch it otherwise while
    /// compiled code runs).
    pub store: *mut Store,
    /// The store index of memory 0, or `u32::MAX` when the instance has none.
    pub memory: u32,
}

/// Offset of [`VmCtx::trap`].
pub const TRAP: i32 = offset_of!(VmCtx, trap) as i32;
/// Offset of [`VmCtx::memory_base`].
pub const MEMORY_BASE: i32 = offset_of!(VmCtx, memory_base) as i32;
/// Offset of [`VmCtx::memory_len`].
pub const MEMORY_LEN: i32 = offset_of!(VmCtx, memory_len) as i32;
/// Offset of [`VmCtx::interrupt`].
pub const INTERRUPT: i32 = offset_of!(VmCtx, interrupt) as i32;
/// Offset of [`VmCtx::stack_limit`].
pub const STACK_LIMIT: i32 = offset_of!(VmCtx, stack_limit) as i32;
/// Offset of [`VmCtx::globals`].
pub const GLOBALS: i32 = offset_of!(VmCtx, globals) as i32;
/// Offset of [`VmCtx::global_addrs`].
pub const GLOBAL_ADDRS: i32 = offset_of!(VmCtx, global_addrs) as i32;
/// Offset of [`VmCtx::funcs`].
pub const FUNCS: i32 = offset_of!(VmCtx, funcs) as i32;
/// Offset of [`VmCtx::memory_grow`].
pub const MEMORY_GROW: i32 = offset_of!(VmCtx, memory_grow) as i32;

/// Size in bytes of one [`GlobalInstance`] in the store's array.
pub const GLOBAL_STRIDE: i64 = std::mem::size_of::<GlobalInstance>() as i64;
/// Offset of the value (its low 64 bits, little-endian) in a [`GlobalInstance`].
pub const GLOBAL_VALUE: i32 = offset_of!(GlobalInstance, value) as i32;
