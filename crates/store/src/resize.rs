//! The resize epoch: a process-wide count of changes to where a linear memory's
//! or a table's contents live, or how long they are.
//!
//! Engines cache a memory's base and length and a table's elements next to
//! running code. After calling out (a host function, another instance) they
//! compare the epoch with the one read before the call and reload what they
//! cached only if it moved, instead of after every call. Every change of a
//! memory's buffer or a table's `elements` allocation or length bumps it: growth
//! ([`MemoryInstance::grow`](crate::MemoryInstance::grow),
//! [`TableInstance::grow`](crate::TableInstance::grow)). (The release of a
//! closed instance's memories and tables does not: it happens only while no
//! guest code runs in its store.) Code that replaces
//! `TableInstance::elements` by hand must call [`note_resize`] too.
//!
//! One counter serves every store and thread: a change elsewhere only makes a
//! caller reload needlessly, and a change on the calling thread is always seen.

use std::sync::atomic::{AtomicU64, Ordering};

static RESIZES: AtomicU64 = AtomicU64::new(0);

/// The current resize epoch (see the module documentation).
///
/// ```
/// let before = wazero_store::resize_epoch();
/// let ty = wazero_api::TableType {
///     element: wazero_api::ValueType::FuncRef,
///     limits: wazero_api::Limits { min: 0, max: None },
///     table64: false,
/// };
/// let mut table = wazero_store::TableInstance::new(ty, 0).unwrap();
/// assert_eq!(table.grow(1, 0), Some(0));
/// assert_ne!(wazero_store::resize_epoch(), before);
/// ```
#[inline]
pub fn resize_epoch() -> u64 {
    RESIZES.load(Ordering::Relaxed)
}

/// Records that a memory or table was resized or its storage replaced.
pub fn note_resize() {
    RESIZES.fetch_add(1, Ordering::Relaxed);
}
