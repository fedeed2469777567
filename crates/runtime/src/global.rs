//! `Global`: an exported global variable.

use std::sync::Arc;

use wazero_api::{GlobalType, ValueType};
use wazero_store::GlobalAddr;

use crate::shared::Shared;
use crate::{Error, Result};

/// A global exported by a module (wazero's `api.Global` / `api.MutableGlobal`).
#[derive(Clone)]
pub struct Global {
    shared: Arc<Shared>,
    addr: GlobalAddr,
}

impl Global {
    pub(crate) fn new(shared: Arc<Shared>, addr: GlobalAddr) -> Self {
        Self { shared, addr }
    }

    fn ty(&self) -> Result<GlobalType> {
        Ok(self.shared.lock()?.globals[self.addr.index()].ty)
    }

    /// The value type.
    pub fn value_type(&self) -> Option<ValueType> {
        self.ty().ok().map(|t| t.content)
    }

    /// Whether [`set`](Global::set) may change it.
    pub fn is_mutable(&self) -> bool {
        self.ty().map(|t| t.mutable).unwrap_or(false)
    }

    /// The current value in its `u64` encoding (the low half of a `v128`).
    pub fn get(&self) -> u64 {
        self.get_v128() as u64
    }

    /// The current value as 128 bits (for `v128` globals).
    pub fn get_v128(&self) -> u128 {
        match self.shared.lock() {
            Ok(store) => store.globals[self.addr.index()].value,
            Err(_) => 0,
        }
    }

    /// Sets a mutable global; [`Error::ImmutableGlobal`] otherwise.
    pub fn set(&self, value: u64) -> Result<()> {
        self.set_v128(u128::from(value))
    }

    /// Sets a mutable global to 128 bits (for `v128` globals).
    pub fn set_v128(&self, value: u128) -> Result<()> {
        let mut store = self.shared.lock()?;
        let g = &mut store.globals[self.addr.index()];
        if !g.ty.mutable {
            return Err(Error::ImmutableGlobal);
        }
        g.value = value;
        Ok(())
    }
}

impl std::fmt::Debug for Global {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Global({:?} = {:#x})",
            self.value_type(),
            self.get_v128()
        )
    }
}
