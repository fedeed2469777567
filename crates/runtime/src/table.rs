//! `Table`: an exported table of references.

use std::sync::Arc;

use wazero_api::ValueType;
use wazero_store::{Store, TableAddr, TableInstance};

use crate::shared::{Pin, Shared};

/// A table exported by a module. Elements are references in their `u64` encoding
/// (`0` is null; a `funcref` is an opaque handle valid within its namespace).
///
/// It keeps the module it came from alive (see [`Module`](crate::Module)); once
/// that module is closed, and no open module uses the table, the table is gone:
/// it has no elements and cannot grow.
///
/// ```
/// let runtime = wazero::Runtime::new();
/// let module = runtime.instantiate(&wat::parse_str(r#"(module
///     (table (export "t") 2 10 funcref)
///     (func $f) (elem (i32.const 1) $f))"#)?)?;
/// let table = module.exported_table("t").unwrap();
/// assert_eq!(table.size(), 2);
/// assert_eq!(table.get(0), Some(0)); // null
/// assert_ne!(table.get(1), Some(0)); // $f
/// assert_eq!(table.grow(3), Some(2));
/// assert_eq!(table.size(), 5);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Table {
    shared: Arc<Shared>,
    addr: TableAddr,
    generation: u32,
    _pin: Pin,
}

impl Table {
    pub(crate) fn new(shared: &Arc<Shared>, store: &Store, addr: TableAddr, pin: Pin) -> Self {
        Self {
            shared: shared.clone(),
            addr,
            generation: store.table_gen(addr),
            _pin: pin,
        }
    }

    /// The table in `store`, unless it was freed.
    fn of<'a>(&self, store: &'a mut Store) -> Option<&'a mut TableInstance> {
        (store.table_gen(self.addr) == self.generation)
            .then(|| &mut store.tables[self.addr.index()])
    }

    /// The element type (`FuncRef` or `ExternRef`).
    pub fn element_type(&self) -> Option<ValueType> {
        let mut store = self.shared.lock().ok()?;
        Some(self.of(&mut store)?.ty.element)
    }

    /// The number of elements.
    pub fn size(&self) -> u32 {
        match self.shared.lock() {
            Ok(mut store) => self.of(&mut store).map_or(0, |t| t.elements.len() as u32),
            Err(_) => 0,
        }
    }

    /// Element `index`, or `None` if out of bounds.
    pub fn get(&self, index: u32) -> Option<u64> {
        let mut store = self.shared.lock().ok()?;
        self.of(&mut store)?.elements.get(index as usize).copied()
    }

    /// Sets an `externref` element; false if out of bounds or not an `externref`
    /// table (function references cannot be forged from Rust).
    pub fn set_extern(&self, index: u32, value: u64) -> bool {
        let Ok(mut store) = self.shared.lock() else {
            return false;
        };
        let Some(table) = self.of(&mut store) else {
            return false;
        };
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
        self.of(&mut store)?;
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
