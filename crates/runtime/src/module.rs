//! `Module`: an instantiated module.

use std::sync::Arc;

use wazero_store::{ExternVal, InstanceId};

use crate::shared::Shared;
use crate::{Error, Function, FunctionDefinition, Global, Memory, Result, Table};

/// An instantiated, sandboxed module (wazero's `api.Module`). Cheap to clone;
/// clones refer to the same instance.
#[derive(Clone)]
pub struct Module {
    pub(crate) shared: Arc<Shared>,
    pub(crate) id: InstanceId,
}

impl std::fmt::Debug for Module {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Module[{}]", self.name())
    }
}

impl Module {
    pub(crate) fn new(shared: Arc<Shared>, id: InstanceId) -> Self {
        Self { shared, id }
    }

    fn export(&self, name: &str) -> Option<ExternVal> {
        let store = self.shared.lock().ok()?;
        store.instance(self.id).export(name)
    }

    /// The name it was instantiated with (possibly empty).
    pub fn name(&self) -> String {
        match self.shared.lock() {
            Ok(store) => store.instance(self.id).name.clone(),
            Err(_) => String::new(),
        }
    }

    /// The exported function `name`, if there is one.
    pub fn exported_function(&self, name: &str) -> Option<Function> {
        match self.export(name)? {
            ExternVal::Func(addr) => Some(Function::new(self.shared.clone(), addr)),
            _ => None,
        }
    }

    /// Definitions of all exported functions, in export order, with their names.
    pub fn exported_function_definitions(&self) -> Vec<(String, FunctionDefinition)> {
        let Ok(store) = self.shared.lock() else {
            return Vec::new();
        };
        let exports = store.instance(self.id).exports.clone();
        drop(store);
        exports
            .into_iter()
            .filter_map(|(name, val)| match val {
                ExternVal::Func(addr) => {
                    Some((name, Function::new(self.shared.clone(), addr).definition()))
                }
                _ => None,
            })
            .collect()
    }

    /// The memory this module defines or imports (index 0), if any.
    pub fn memory(&self) -> Option<Memory> {
        let store = self.shared.lock().ok()?;
        let addr = store.memory_of(self.id)?;
        Some(Memory::new(self.shared.clone(), addr))
    }

    /// The exported memory `name`, if there is one.
    pub fn exported_memory(&self, name: &str) -> Option<Memory> {
        match self.export(name)? {
            ExternVal::Memory(addr) => Some(Memory::new(self.shared.clone(), addr)),
            _ => None,
        }
    }

    /// The exported global `name`, if there is one.
    pub fn exported_global(&self, name: &str) -> Option<Global> {
        match self.export(name)? {
            ExternVal::Global(addr) => Some(Global::new(self.shared.clone(), addr)),
            _ => None,
        }
    }

    /// The exported table `name`, if there is one.
    pub fn exported_table(&self, name: &str) -> Option<Table> {
        match self.export(name)? {
            ExternVal::Table(addr) => Some(Table::new(self.shared.clone(), addr)),
            _ => None,
        }
    }

    /// Closes the module with exit code 0.
    pub fn close(&self) -> Result<()> {
        self.close_with_exit_code(0)
    }

    /// Closes the module: its exports can no longer be called (calls return
    /// [`Error::Exit`] with `exit_code`), and its name is free again.
    pub fn close_with_exit_code(&self, exit_code: u32) -> Result<()> {
        let mut store = self.shared.lock()?;
        store.close(self.id, exit_code);
        Ok(())
    }

    /// Whether the module has been closed.
    pub fn is_closed(&self) -> bool {
        match self.shared.lock() {
            Ok(store) => store.instance(self.id).closed.is_some(),
            Err(Error::Reentrant) => false,
            Err(_) => true,
        }
    }
}
