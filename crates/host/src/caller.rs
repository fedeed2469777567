//! What a host function sees of the module that called it.

use std::any::Any;

use wazero_api::{FuncType, MemoryAccessError, WasmTyList};
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

    /// The calling module's memory 0 and the data attached to it at
    /// instantiation (if it is a `T`) together, both borrowed at once: a host
    /// function can hold a slice of memory while it updates its state.
    ///
    /// ```
    /// use wazero::{Caller, ModuleConfig, Runtime};
    /// #[derive(Default)]
    /// struct Stats { bytes: usize, lines: usize }
    /// let runtime = Runtime::new();
    /// runtime
    ///     .new_host_module_builder("env")
    ///     .new_function_builder()
    ///     .with_func(|caller: &mut Caller<'_>, ptr: u32, len: u32| -> Result<(), wazero::Error> {
    ///         let (memory, stats) = caller.memory_and_data::<Stats>();
    ///         let (memory, stats) = (memory.expect("a memory"), stats.expect("Stats"));
    ///         let text = memory.read(ptr, len)?; // borrowed from guest memory
    ///         stats.bytes += text.len();
    ///         stats.lines += text.iter().filter(|&&b| b == b'\n').count();
    ///         Ok(())
    ///     })
    ///     .export("print")
    ///     .instantiate()?;
    /// let wasm = wat::parse_str(r#"(module
    ///     (import "env" "print" (func $print (param i32 i32)))
    ///     (memory 1) (data (i32.const 0) "a\nb\n")
    ///     (func (export "run") (call $print (i32.const 0) (i32.const 4))))"#)?;
    /// let compiled = runtime.compile_module(&wasm)?;
    /// let module = runtime.instantiate_module(&compiled, ModuleConfig::new().with_data(Stats::default()))?;
    /// module.exported_function("run").unwrap().call(&[])?;
    /// let stats = module.data::<Stats>().unwrap();
    /// assert_eq!((stats.bytes, stats.lines), (4, 2));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn memory_and_data<T: Any>(&mut self) -> (Option<CallerMemory<'_>>, Option<&mut T>) {
        let memory = self.store.memory_of(self.instance);
        let data = self.store.instances[self.instance.index()]
            .data
            .as_mut()
            .and_then(|d| d.downcast_mut());
        let memory = memory.map(|addr| CallerMemory {
            memory: &mut self.store.memories[addr.index()],
        });
        (memory, data)
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

macro_rules! caller_typed_access {
    ($($read:ident, $write:ident, $ty:ty, $doc:literal;)*) => {$(
        #[doc = concat!("Reads ", $doc, " (little-endian) at `offset`.")]
        pub fn $read(&self, offset: u32) -> Result<$ty, MemoryAccessError> {
            let bytes = self.read(offset, std::mem::size_of::<$ty>() as u32)?;
            let mut buf = [0u8; std::mem::size_of::<$ty>()];
            buf.copy_from_slice(bytes);
            Ok(<$ty>::from_le_bytes(buf))
        }

        #[doc = concat!("Writes ", $doc, " (little-endian) at `offset`.")]
        pub fn $write(&mut self, offset: u32, value: $ty) -> Result<(), MemoryAccessError> {
            self.write(offset, &value.to_le_bytes())
        }
    )*};
}

/// Every access is bounds-checked: one that does not fit fails with a
/// [`MemoryAccessError`] and reads or writes nothing, so a host function
/// passes it on with `?`.
///
/// ```
/// use wazero::{Caller, MemoryAccessError, Runtime};
/// let runtime = Runtime::new();
/// runtime
///     .new_host_module_builder("env")
///     .new_function_builder()
///     .with_func(|caller: &mut Caller<'_>, ptr: u32| -> Result<u32, MemoryAccessError> {
///         let mut memory = caller.memory().expect("the guest has a memory");
///         let n = memory.read_u32_le(ptr)?;
///         memory.write_u32_le(ptr, n + 1)?;
///         Ok(n)
///     })
///     .export("bump")
///     .instantiate()?;
/// let wasm = wat::parse_str(r#"(module
///     (import "env" "bump" (func $bump (param i32) (result i32)))
///     (memory 1)
///     (func (export "bump") (param i32) (result i32) (call $bump (local.get 0))))"#)?;
/// let bump = runtime.instantiate(&wasm)?.exported_function("bump").unwrap();
/// assert_eq!(bump.call(&[8])?, vec![0]);
/// assert_eq!(bump.call(&[8])?, vec![1]);
/// // Past the end: the host function's error fails the call.
/// let err = bump.call(&[65534]).unwrap_err();
/// assert!(err.to_string().contains(
///     "out of bounds memory access: 4 bytes at offset 65534 of a 65536-byte memory"
/// ));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl CallerMemory<'_> {
    fn check(&self, offset: u32, len: u64) -> Result<(), MemoryAccessError> {
        MemoryAccessError::check(u64::from(offset), len, self.size())
    }

    /// `len` bytes at `offset`, without copying.
    pub fn read(&self, offset: u32, len: u32) -> Result<&[u8], MemoryAccessError> {
        self.check(offset, u64::from(len))?;
        let start = offset as usize;
        Ok(&self.memory.bytes()[start..start + len as usize])
    }

    /// `len` bytes at `offset`, mutably.
    pub fn read_mut(&mut self, offset: u32, len: u32) -> Result<&mut [u8], MemoryAccessError> {
        self.check(offset, u64::from(len))?;
        let start = offset as usize;
        Ok(&mut self.memory.bytes_mut()[start..start + len as usize])
    }

    /// Fills `buf` from `offset` (`buf` untouched on error).
    pub fn read_into(&self, offset: u32, buf: &mut [u8]) -> Result<(), MemoryAccessError> {
        self.check(offset, buf.len() as u64)?;
        let start = offset as usize;
        buf.copy_from_slice(&self.memory.bytes()[start..start + buf.len()]);
        Ok(())
    }

    /// Writes `data` at `offset` (nothing written on error).
    pub fn write(&mut self, offset: u32, data: &[u8]) -> Result<(), MemoryAccessError> {
        self.check(offset, data.len() as u64)?;
        let start = offset as usize;
        self.memory.bytes_mut()[start..start + data.len()].copy_from_slice(data);
        Ok(())
    }

    /// Writes the bytes of `text` at `offset` (nothing written on error).
    pub fn write_string(&mut self, offset: u32, text: &str) -> Result<(), MemoryAccessError> {
        self.write(offset, text.as_bytes())
    }

    caller_typed_access! {
        read_u8, write_u8, u8, "a byte";
        read_u16_le, write_u16_le, u16, "a `u16`";
        read_u32_le, write_u32_le, u32, "a `u32`";
        read_u64_le, write_u64_le, u64, "a `u64`";
        read_f32_le, write_f32_le, f32, "an `f32`";
        read_f64_le, write_f64_le, f64, "an `f64`";
    }

    /// Size in bytes.
    pub fn size(&self) -> u64 {
        self.memory.size_bytes() as u64
    }

    /// Grows by `delta_pages`; the previous size in pages, or `None` if that
    /// would pass the memory's maximum or the runtime's memory limit.
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
    ///
    /// A trap or an exit of the guest passes out of the host function with `?`
    /// (into a `CallError` or a `wazero::Error`): the outer call fails with it
    /// unchanged.
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
