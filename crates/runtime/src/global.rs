//! `Global`: an exported global variable.

use std::sync::Arc;

use wazero_api::{GlobalType, ValueType};
use wazero_store::{GlobalAddr, GlobalInstance, Store};

use crate::shared::{Pin, Shared};
use crate::{Error, Result};

/// A global exported by a module (wazero's `api.Global` / `api.MutableGlobal`).
///
/// It keeps the module it came from alive (see [`Module`](crate::Module)); once
/// that module is closed, and no open module imports the global, the global is
/// gone: it reads as 0 and cannot be set.
///
/// ```
/// let runtime = wazero::Runtime::new();
/// let module = runtime.instantiate(&wat::parse_str(r#"(module
///     (global (export "counter") (mut i64) (i64.const 1))
///     (func (export "bump") (global.set 0 (i64.add (global.get 0) (i64.const 1)))))"#)?)?;
/// let counter = module.exported_global("counter").unwrap();
/// assert!(counter.is_mutable());
/// module.exported_function("bump").unwrap().call(&[])?;
/// assert_eq!(counter.get(), 2);
/// counter.set(10)?;
/// module.exported_function("bump").unwrap().call(&[])?;
/// assert_eq!(counter.get(), 11);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Global {
    shared: Arc<Shared>,
    addr: GlobalAddr,
    generation: u32,
    _pin: Pin,
}

impl Global {
    pub(crate) fn new(shared: &Arc<Shared>, store: &Store, addr: GlobalAddr, pin: Pin) -> Self {
        Self {
            shared: shared.clone(),
            addr,
            generation: store.global_gen(addr),
            _pin: pin,
        }
    }

    /// The global in `store`, unless it was freed.
    fn of<'a>(&self, store: &'a mut Store) -> Option<&'a mut GlobalInstance> {
        (store.global_gen(self.addr) == self.generation)
            .then(|| &mut store.globals[self.addr.index()])
    }

    fn ty(&self) -> Result<GlobalType> {
        let mut store = self.shared.lock()?;
        self.of(&mut store).map(|g| g.ty).ok_or_else(gone)
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
            Ok(mut store) => self.of(&mut store).map_or(0, |g| g.value),
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
        let g = self.of(&mut store).ok_or_else(gone)?;
        if !g.ty.mutable {
            return Err(Error::ImmutableGlobal);
        }
        let ty = g.ty.content;
        if !store.is_valid_ref(ty, value as u64, wazero_store::SigId(u32::MAX)) {
            return Err(Error::Host {
                function: "Global::set".to_string(),
                error: format!("{value:#x} is not a valid {ty} of this runtime").into(),
            });
        }
        let g = self.of(&mut store).ok_or_else(gone)?;
        g.value = value;
        Ok(())
    }
}

fn gone() -> Error {
    Error::InvalidArgument("the global's module is closed".to_string())
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
