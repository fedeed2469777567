//! `Table`: an exported table of references.

use std::sync::Arc;

use wazero_api::ValueType;
use wazero_store::TableAddr;

use crate::shared::Shared;

/// A table exported by a module. Elements are references in their `u64` encoding
/// (`0` is null; a `funcref` is an opaque handle valid within its namespace).
#[derive(Clone)]
pub struct Table {
    shared: Arc<Shared>,
    addr: TableAddr,
}

impl Table {
    pub(crate) fn new(shared: Arc<Shared>, addr: TableAddr) -> Self {
        Self { shared, addr }
    }

    /// The element type (`FuncRef` or `ExternRef`).
    pub fn element_type(&self) -> Option<ValueType> {
        let store = self.shared.lock().ok()?;
        Some(store.tables[self.addr.index()].ty.element)
    }

    /// The number of elements.
    pub fn size(&self) -> u32 {
        match self.shared.lock() {
            Ok(store) => store.tables[self.addr.index()].elements.len() as u32,
            Err(_) => 0,
        }
    }

    /// Element `index`, or `None` if out of bounds.
    pub fn get(&self, index: u32) -> Option<u64> {
        let store = self.shared.lock().ok()?;
        store.tables[self.addr.index()]
            .elements
            .get(index as usize)
            .copied()
    }

    /// Sets an `externref` element; false if out of bounds or not an `externref`
    /// table (function references cannot be forged from Rust).
    pub fn set_extern(&self, index: u32, value: u64) -> bool {
        let Ok(mut store) = self.shared.lock() else {
            return false;
        };
        let table = &mut store.tables[self.addr.index()];
        if table.ty.element != ValueType::ExternRef {
            return false;
        }
        match table.elements.get_mut(index as usize) {
            Some(slot) => {
                *slot = value;
                true
            }
            None => false,
        }
    }

    /// Grows by `delta` null elements; the previous size, or `None` past the maximum.
    pub fn grow(&self, delta: u32) -> Option<u32> {
        let mut store = self.shared.lock().ok()?;
        store.grow_table(self.addr, delta, 0)
    }
}

impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Table({:?}, {} elements)",
            self.element_type(),
            self.size()
        )
    }
}
