//! Table instances.

use wazero_api::{Limits, TableType};

/// A table of references (`funcref` or `externref` values, `0` meaning null).
#[derive(Debug, Clone)]
pub struct TableInstance {
    /// The elements. Engines cache where they live: code that changes their
    /// allocation or length other than through [`TableInstance::grow`] must
    /// call [`note_resize`](crate::note_resize).
    pub elements: Vec<u64>,
    /// The declared type; `limits.min` is the initial size.
    pub ty: TableType,
}

/// Tables never grow past this many elements, whatever their declared maximum.
pub const TABLE_LIMIT: u64 = 10_000_000;

impl TableInstance {
    /// A table of type `ty` filled with `init`; `None` if it is too large to create.
    pub fn new(ty: TableType, init: u64) -> Option<Self> {
        if ty.limits.min > TABLE_LIMIT {
            return None;
        }
        // `vec!` of zeros allocates zeroed pages lazily instead of writing them; the
        // store's element budget keeps the size reasonable.
        let elements = vec![init; ty.limits.min as usize];
        Some(Self { elements, ty })
    }

    /// The current type: declared element type, current size as the minimum.
    pub fn current_type(&self) -> TableType {
        TableType {
            element: self.ty.element,
            limits: Limits {
                min: self.elements.len() as u64,
                max: self.ty.limits.max,
            },
            table64: self.ty.table64,
        }
    }

    /// Grows by `delta` elements set to `init`; returns the previous size, or `None`.
    pub fn grow(&mut self, delta: u32, init: u64) -> Option<u32> {
        let old = self.elements.len() as u64;
        let new = old + u64::from(delta);
        let max = self
            .ty
            .limits
            .max
            .unwrap_or(u64::from(u32::MAX))
            .min(TABLE_LIMIT);
        if new > max {
            return None;
        }
        self.elements.try_reserve(delta as usize).ok()?;
        self.elements.resize(new as usize, init);
        if delta > 0 {
            crate::note_resize();
        }
        Some(old as u32)
    }
}
