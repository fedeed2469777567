//! What a host function sees of the module that called it.

use std::any::Any;

use wazero_api::{FuncType, WasmTyList};
use wazero_store::{CallError, ExternVal, FuncAddr, InstanceId, MemoryInstance, Store};

/// The module calling a host function: its name, memory, exported functions and
/// the data attached to it at instantiation.
///
/// While a host function runs, its guest is paused; everything the caller lends
/// (memory slices, data) stays valid for as long as the borrow of the caller.
pub struct Caller<'a> {
    store: &'a mut Store,
    instance: InstanceId,
}

impl<'a> Caller<'a> {
    pub(crate) fn new(store: &'a mut Store, instance: InstanceId) -> Self {
        Self { store, instance }
    }

    /// The calling module's name.
    pub fn module_name(&self) -> &str {
        &self.store.instance(self.instance).name
    }

    /// The calling module's memory 0, if it has one.
    pub fn memory(&mut self) -> Option<CallerMemory<'_>> {
        let addr = self.store.memory_of(self.instance)?;
        Some(CallerMemory {
            memory: &mut self.store.memories[addr.index()],
        })
    }

    /// The data attached to the calling module at instantiation, if it is a `T`
    /// (exactly: data attached as `0` is an `i32`, so `data::<u32>()` is `None`).
    pub fn data<T: Any>(&self) -> Option<&T> {
        self.store
            .instance(self.instance)
            .data
            .as_ref()?
            .downcast_ref()
    }

    /// The data attached to the calling module, mutably, if it is a `T`.
    pub fn data_mut<T: Any>(&mut self) -> Option<&mut T> {
        self.store.instances[self.instance.index()]
            .data
            .as_mut()?
            .downcast_mut()
    }

    /// The calling module's system context (its WASI state), if it is a `T`.
    ///
    /// The system host functions (`wazero-wasi-preview1`) keep their state here;
    /// the embedder configures it through `ModuleConfig`.
    pub fn sys_mut<T: Any>(&mut self) -> Option<&mut T> {
        self.store.instances[self.instance.index()]
            .sys
            .as_mut()?
            .downcast_mut()
    }

    /// The calling module's memory 0 and its system context together (both
    /// borrowed at once, as a system call that moves bytes needs).
    pub fn memory_and_sys<T: Any>(&mut self) -> (Option<CallerMemory<'_>>, Option<&mut T>) {
        let memory = self.store.memory_of(self.instance);
        let sys = self.store.instances[self.instance.index()]
            .sys
            .as_mut()
            .and_then(|s| s.downcast_mut());
        let memory = memory.map(|addr| CallerMemory {
            memory: &mut self.store.memories[addr.index()],
        });
        (memory, sys)
    }

    /// The calling module's exported function `name`, to call back into the guest.
    pub fn exported_function(&mut self, name: &str) -> Option<CallerFunction<'_, 'a>> {
        match self.store.instance(self.instance).export(name)? {
            ExternVal::Func(addr) => {
                let ty = self.store.funcs[addr.index()].ty.clone();
                Some(CallerFunction {
                    caller: self,
                    addr,
                    ty,
                })
            }
            _ => None,
        }
    }
}

/// The calling module's memory, borrowed for the duration of a host function.
pub struct CallerMemory<'a> {
    memory: &'a mut MemoryInstance,
}

impl CallerMemory<'_> {
    /// `len` bytes at `offset`, without copying; `None` if out of bounds.
    pub fn read(&self, offset: u32, len: u32) -> Option<&[u8]> {
        self.memory.read(u64::from(offset), u64::from(len))
    }

    /// `len` bytes at `offset`, mutably; `None` if out of bounds.
    pub fn read_mut(&mut self, offset: u32, len: u32) -> Option<&mut [u8]> {
        let end = u64::from(offset) + u64::from(len);
        self.memory
            .bytes_mut()
            .get_mut(offset as usize..usize::try_from(end).ok()?)
    }

    /// Writes `data` at `offset`; false (nothing written) if it does not fit.
    #[must_use = "a write that does not fit writes nothing"]
    pub fn write(&mut self, offset: u32, data: &[u8]) -> bool {
        self.memory.write(u64::from(offset), data)
    }

    /// Reads a little-endian `u32` at `offset`.
    pub fn read_u32_le(&self, offset: u32) -> Option<u32> {
        let bytes = self.read(offset, 4)?;
        Some(u32::from_le_bytes(bytes.try_into().ok()?))
    }

    /// Writes a little-endian `u32` at `offset`.
    #[must_use = "a write that does not fit writes nothing"]
    pub fn write_u32_le(&mut self, offset: u32, value: u32) -> bool {
        self.write(offset, &value.to_le_bytes())
    }

    /// Size in bytes.
    pub fn size(&self) -> u64 {
        self.memory.size_bytes() as u64
    }

    /// Grows by `delta_pages`; the previous size in pages, or `None`.
    pub fn grow(&mut self, delta_pages: u32) -> Option<u32> {
        self.memory.grow(delta_pages)
    }
}

/// An exported function of the calling module, callable from inside a host
/// function (host → guest → host re-entry).
pub struct CallerFunction<'c, 'a> {
    caller: &'c mut Caller<'a>,
    addr: FuncAddr,
    ty: FuncType,
}

impl CallerFunction<'_, '_> {
    /// Its signature.
    pub fn ty(&self) -> &FuncType {
        &self.ty
    }

    /// Calls it with Rust values (see `wazero::Function::typed`); an error if its
    /// signature is not `P -> R`.
    pub fn call_typed<P: WasmTyList, R: WasmTyList>(&mut self, params: P) -> Result<R, CallError> {
        if !P::matches(self.ty.params()) || !R::matches(self.ty.results()) {
            return Err(CallError::Host {
                function: self.caller.store.funcs[self.addr.index()]
                    .debug_name
                    .to_string(),
                error: format!(
                    "function has type {}, not {}",
                    self.ty,
                    FuncType::new(P::types(), R::types())
                )
                .into(),
            });
        }
        let mut stack = [0u64; 32];
        let n = P::SLOTS.max(R::SLOTS);
        params.store(&mut stack);
        self.caller.store.call(self.addr, &mut stack[..n])?;
        Ok(R::load(&stack))
    }

    /// Calls it with `params` (in `u64` slots), returning its results.
    pub fn call(&mut self, params: &[u64]) -> Result<Vec<u64>, CallError> {
        let (p, r) = (self.ty.param_slots(), self.ty.result_slots());
        let mut stack = vec![0u64; p.max(r)];
        let n = params.len().min(p);
        stack[..n].copy_from_slice(&params[..n]);
        if params.len() != p {
            return Err(CallError::Host {
                function: self.caller.store.funcs[self.addr.index()]
                    .debug_name
                    .to_string(),
                error: format!("expected {p} parameter slots, got {}", params.len()).into(),
            });
        }
        self.caller.store.call(self.addr, &mut stack)?;
        stack.truncate(r);
        Ok(stack)
    }
}
