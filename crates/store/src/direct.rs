//! Direct host calls: host functions that compiled code calls with their
//! arguments in registers.
//!
//! A host function's ordinary form ([`HostFunc`](crate::HostFunc)) takes its
//! parameters and gives its results in a slice of `u64` slots, so compiled code
//! stores the arguments to memory, calls through the engine, and loads the
//! result back: a round trip through memory on every call. Host functions whose
//! type fits ([`DirectHostFn::fits`]: at most [`DIRECT_PARAMS`] parameters
//! and one result, none a `v128`) also get a [`DirectHostFn`]: an `extern "C"`
//! entry specialized for the closure, which takes the parameters' `u64`
//! encodings as arguments and returns the result's. Compiled code finds it in
//! the instance's table of [`DirectImport`]s and calls it itself; the engine
//! only steps in when the entry reports, through the [`HostCallCx`], that the
//! call failed or resized a memory or table.

use std::any::Any;
use std::sync::Arc;

use wazero_api::{FuncType, ValueType};

use crate::{HostError, InstanceId, Store};

/// The most parameters a directly called host function may have.
pub const DIRECT_PARAMS: usize = 4;

/// The machine-level entry of a [`DirectHostFn`].
///
/// `data` is [`DirectHostFn::data_ptr`], `cx` the calling context, `a0`..`a3`
/// the parameters' `u64` encodings in order (those past the function's
/// parameters are 0 and ignored). Returns the result's encoding (0 for a
/// function without one). A call that fails leaves its error in
/// `cx.failure`; one that fails or resizes a memory or table (the
/// [`resize_epoch`](crate::resize_epoch) moved) sets `cx.status`.
pub type DirectHostCode = unsafe extern "C" fn(
    data: *const (),
    cx: *mut HostCallCx,
    a0: u64,
    a1: u64,
    a2: u64,
    a3: u64,
) -> u64;

/// A host function's direct entry (see the module documentation).
#[derive(Clone)]
pub struct DirectHostFn {
    /// The entry, specialized for the closure in `data`.
    pub code: DirectHostCode,
    /// The closure `code` is specialized for; this `Arc` keeps it alive.
    pub data: Arc<dyn Any + Send + Sync>,
}

impl std::fmt::Debug for DirectHostFn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectHostFn").finish_non_exhaustive()
    }
}

impl DirectHostFn {
    /// Whether host functions of type `ty` can have a direct entry: at most
    /// [`DIRECT_PARAMS`] parameters and one result, none of them a `v128`.
    ///
    /// ```
    /// use wazero_api::{FuncType, ValueType::*};
    /// use wazero_store::DirectHostFn;
    /// assert!(DirectHostFn::fits(&FuncType::new([I32, I64, F32, F64], [I32])));
    /// assert!(!DirectHostFn::fits(&FuncType::new([I32; 5], [])));
    /// assert!(!DirectHostFn::fits(&FuncType::new([], [I32, I32])));
    /// assert!(!DirectHostFn::fits(&FuncType::new([V128], [])));
    /// ```
    pub fn fits(ty: &FuncType) -> bool {
        let one_slot = |t: &ValueType| *t != ValueType::V128;
        // A reference result is checked (`Store::check_host_results`), which
        // only the call through the store does.
        ty.params().len() <= DIRECT_PARAMS
            && ty.results().len() <= 1
            && ty.params().iter().all(one_slot)
            && ty.results().iter().all(|t| one_slot(t) && !t.is_ref())
    }

    /// What `code` receives as `data`: the address of the closure.
    pub fn data_ptr(&self) -> *const () {
        Arc::as_ptr(&self.data) as *const ()
    }
}

/// An imported function's direct entry in an instance, for compiled code:
/// `code` is `None` when the import has none (a WebAssembly function, or a
/// host function whose type does not fit).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct DirectImport {
    /// The entry.
    pub code: Option<DirectHostCode>,
    /// Its `data` argument.
    pub data: *const (),
}

// SAFETY: `data` points at a closure that is `Send + Sync` (see
// `DirectHostFn::data`), owned by a function instance of the store, which is
// not freed while an open instance imports it (nor while any guest code runs,
// see `lifecycle`); the entry only reads through it.
unsafe impl Send for DirectImport {}
// SAFETY: as above.
unsafe impl Sync for DirectImport {}

impl DirectImport {
    /// The entry of an import without one.
    pub const NONE: Self = Self {
        code: None,
        data: std::ptr::null(),
    };

    /// The entry of an import that is `direct`'s function, if it has one.
    pub fn of(direct: Option<&DirectHostFn>) -> Self {
        direct.map_or(Self::NONE, |d| Self {
            code: Some(d.code),
            data: d.data_ptr(),
        })
    }
}

/// What a direct entry receives besides its arguments: the calling module,
/// and where to report a failure. Engines keep one per call into compiled code.
#[repr(C)]
#[derive(Debug)]
pub struct HostCallCx {
    /// The store; lent to the host function for the call.
    pub store: *mut Store,
    /// The calling instance.
    pub instance: InstanceId,
    /// Non-zero after a call that failed or resized a memory or table: the
    /// engine must look (and clear it).
    pub status: u32,
    /// The failure of the last call, if it failed.
    pub failure: Option<Box<HostError>>,
}

impl HostCallCx {
    /// Byte offset of [`HostCallCx::status`], for compiled code.
    pub const STATUS_OFFSET: usize = std::mem::offset_of!(HostCallCx, status);

    /// A context for calls made by `instance` of `store`.
    pub fn new(store: *mut Store, instance: InstanceId) -> Self {
        Self {
            store,
            instance,
            status: 0,
            failure: None,
        }
    }
}
