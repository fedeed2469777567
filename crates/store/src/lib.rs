//! Instances, linking, and the [`Engine`] trait of wazero for Rust.
//!
//! A [`Store`] owns everything that exists at run time in one namespace: function,
//! table, memory and global instances, the module instances that group them, and the
//! registry of instance names that imports are resolved against. Engines (the
//! interpreter, the compilers) implement [`Engine`]: they compile a validated module
//! once into code shared by all its instances, and run functions against a store.
//! Host functions are just function instances whose code is a Rust closure called
//! with a [`Caller`].
//!
//! Everything is addressed by index ([`FuncAddr`], [`MemoryAddr`], ...), so instances
//! refer to each other without reference cycles. The facade crate `wazero` wraps a
//! store in a lock and hands out handles; users never see this crate directly.

mod buffer;
mod bulk;
pub use bulk::{bulk_chunks, BULK_CHUNK};
mod direct;
mod engine;
mod error;
mod exception;
mod instance;
mod instantiate;
mod interrupt;
mod lifecycle;
mod memory;
pub mod native_stack;
mod resize;
pub mod sharded;
mod store;
mod table;

pub use buffer::reserved_memories;
pub use direct::{DirectHostCode, DirectHostFn, DirectImport, HostCallCx, DIRECT_PARAMS};
pub use engine::{
    code_as, CompileOptions, CompiledCode, Engine, HostFn, HostFunc, HostResult, SerializedThen,
    COMPILE_INTERRUPTED, DEFAULT_MAX_FUNCTION_BLOCKS,
};
pub use error::{CallError, HostError, InstantiationError, LinkError, Trap};
pub use exception::{Exception, ExceptionInstance, TagInstance};
pub use instance::{
    ExternVal, FuncKind, FunctionInstance, GlobalInstance, HostFunctionDef, HostNames, HostTagDef,
    ModuleInstance,
};
pub use instantiate::InstantiateConfig;
pub use interrupt::Interrupt;
pub use lifecycle::{Pins, StoreStats};
pub use memory::MemoryInstance;
pub use resize::{note_resize, resize_epoch};
pub use store::{Caller, ClassifyHostError, Store, StoreLimits};
pub use table::TableInstance;

macro_rules! addr_type {
    ($(#[$doc:meta] $name:ident),* $(,)?) => {$(
        #[$doc]
        ///
        /// `#[repr(transparent)]`: a slice of these is a slice of `u32`, which
        /// compiled code reads directly.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(transparent)]
        pub struct $name(pub u32);
        impl $name {
            /// The index as a `usize`.
            #[inline]
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    )*};
}

addr_type!(
    /// Index of a function instance in a [`Store`].
    FuncAddr,
    /// Index of a table instance in a [`Store`].
    TableAddr,
    /// Index of a memory instance in a [`Store`].
    MemoryAddr,
    /// Index of a global instance in a [`Store`].
    GlobalAddr,
    /// Index of an exception tag in a [`Store`].
    TagAddr,
    /// Index of a module instance in a [`Store`].
    InstanceId,
    /// Index of an interned function signature in a [`Store`]: equal types, equal ids.
    SigId,
);

/// Encodes a function reference as a table element or `funcref` value (`0` is null).
#[inline]
pub fn funcref(addr: FuncAddr) -> u64 {
    u64::from(addr.0) + 1
}

/// Decodes a `funcref` value; `None` for null.
#[inline]
pub fn funcref_addr(value: u64) -> Option<FuncAddr> {
    value.checked_sub(1).map(|v| FuncAddr(v as u32))
}

/// Helpers of this crate's tests.
#[cfg(all(test, target_os = "linux"))]
mod test_support {
    /// The permissions (`rw-p`, `r--p`, `---p`) of the mapping holding
    /// `addr`, from `/proc/self/maps`.
    pub(crate) fn permissions_at(addr: usize) -> String {
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        maps.lines()
            .find_map(|line| {
                let mut fields = line.split_whitespace();
                let (start, end) = fields.next()?.split_once('-')?;
                let start = usize::from_str_radix(start, 16).ok()?;
                let end = usize::from_str_radix(end, 16).ok()?;
                (start <= addr && addr < end).then(|| fields.next().unwrap().to_string())
            })
            .unwrap_or_default()
    }
}
