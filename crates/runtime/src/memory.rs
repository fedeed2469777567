//! `Memory`: a module's linear memory, seen from Rust.

use std::sync::Arc;

use wazero_api::MemoryAccessError;
use wazero_store::{InstanceId, MemoryAddr, MemoryInstance, Store};
use wazero_validator::ValidatedModule;

use crate::shared::{Pin, Shared};

/// A linear memory (wazero's `api.Memory`), reached from outside the guest.
///
/// Offsets are byte offsets; every read and write is bounds-checked and fails
/// with a [`MemoryAccessError`] (convertible to [`Error`](crate::Error) with
/// `?`) when out of range, reading or writing nothing. Reads copy: no reference into guest memory escapes,
/// so nothing can observe it change or move underneath. For zero-copy access use
/// [`with_bytes`](Memory::with_bytes) / [`with_bytes_mut`](Memory::with_bytes_mut),
/// during which the guest cannot run. Inside a host function, use the
/// [`Caller`](crate::Caller)'s memory, which lends slices directly.
///
/// It keeps the module it came from alive (see [`Module`](crate::Module)); once
/// that module is closed, and no open module uses the memory, the memory is gone:
/// it has zero pages and cannot grow.
///
/// Inside a host function called by a module of the same namespace, the
/// namespace is busy with that call and a `Memory` handle cannot reach it:
/// [`size`](Memory::size) is 0 and every access fails as on a memory of no
/// bytes. Use the [`Caller`](crate::Caller)'s memory there.
///
/// ```
/// let runtime = wazero::Runtime::new();
/// let module = runtime.instantiate(&wat::parse_str(r#"(module (memory (export "memory") 1 2))"#)?)?;
/// let memory = module.memory().unwrap();
/// memory.write(8, b"hi")?;
/// assert_eq!(memory.read(8, 2)?, b"hi");
/// assert!(memory.read(65535, 2).is_err()); // out of bounds
/// assert_eq!(memory.grow(1), Some(1));
/// assert_eq!(memory.size_pages(), 2);
/// assert_eq!(memory.grow(1), None); // past its maximum
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Memory {
    shared: Arc<Shared>,
    addr: MemoryAddr,
    generation: u32,
    /// The instance it was reached through.
    owner: InstanceId,
    _pin: Pin,
}

/// A memory a module defines or imports (wazero's `api.MemoryDefinition`):
/// where it is in the module and its limits, in 64 KiB pages.
///
/// ```
/// let runtime = wazero::Runtime::new();
/// let wasm = wat::parse_str(r#"(module (memory (export "mem") 1 4))"#)?;
/// let compiled = runtime.compile_module(&wasm)?;
/// let def = &compiled.exported_memories()[0];
/// assert_eq!((def.min, def.max), (1, Some(4)));
/// assert_eq!(def.export_names, vec!["mem".to_string()]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryDefinition {
    /// Name of the defining module instance (empty before instantiation).
    pub module_name: String,
    /// Index in the module's memory index space (imports first).
    pub index: u32,
    /// `(module, name)` when the memory is imported.
    pub import: Option<(String, String)>,
    /// Every name it is exported under.
    pub export_names: Vec<String>,
    /// The initial number of pages.
    pub min: u32,
    /// The most pages it may have, if bounded.
    pub max: Option<u32>,
}

impl MemoryDefinition {
    /// The definitions of every memory of `module`, imports first.
    pub(crate) fn all_of(module: &ValidatedModule, module_name: &str) -> Vec<MemoryDefinition> {
        let imports: Vec<(String, String)> = module
            .imports
            .iter()
            .filter(|i| matches!(i.desc, wazero_decoder::ImportDesc::Memory(_)))
            .map(|i| (i.module.clone(), i.name.clone()))
            .collect();
        module
            .memory_types()
            .into_iter()
            .enumerate()
            .map(|(i, ty)| MemoryDefinition {
                module_name: module_name.to_string(),
                index: i as u32,
                import: imports.get(i).cloned(),
                export_names: module
                    .exports
                    .iter()
                    .filter(|e| e.kind == wazero_api::ExternType::Memory && e.index == i as u32)
                    .map(|e| e.name.clone())
                    .collect(),
                min: ty.limits.min as u32,
                max: ty.limits.max.map(|m| m as u32),
            })
            .collect()
    }
}

macro_rules! typed_access {
    ($($read:ident, $write:ident, $ty:ty, $doc:literal;)*) => {$(
        #[doc = concat!("Reads ", $doc, " (little-endian) at `offset`.")]
        pub fn $read(&self, offset: u32) -> Result<$ty, MemoryAccessError> {
            let mut buf = [0u8; std::mem::size_of::<$ty>()];
            self.read_into(offset, &mut buf)?;
            Ok(<$ty>::from_le_bytes(buf))
        }

        #[doc = concat!("Writes ", $doc, " (little-endian) at `offset`.")]
        pub fn $write(&self, offset: u32, value: $ty) -> Result<(), MemoryAccessError> {
            self.write(offset, &value.to_le_bytes())
        }
    )*};
}

impl Memory {
    pub(crate) fn new(
        shared: &Arc<Shared>,
        store: &Store,
        owner: InstanceId,
        addr: MemoryAddr,
        pin: Pin,
    ) -> Self {
        Self {
            shared: shared.clone(),
            addr,
            generation: store.memory_gen(addr),
            owner,
            _pin: pin,
        }
    }

    /// Where this memory is in the module it was reached through, and its
    /// limits (wazero's `Memory.Definition`).
    pub fn definition(&self) -> MemoryDefinition {
        let fallback = MemoryDefinition {
            module_name: String::new(),
            index: 0,
            import: None,
            export_names: Vec::new(),
            min: 0,
            max: None,
        };
        let Ok(store) = self.shared.lock() else {
            return fallback;
        };
        let instance = store.instance(self.owner);
        let index = instance.memories.iter().position(|&m| m == self.addr);
        match (&instance.module, index) {
            (Some(module), Some(index)) => MemoryDefinition::all_of(module, &instance.name)
                .into_iter()
                .nth(index)
                .unwrap_or(fallback),
            _ => fallback,
        }
    }

    /// Writes the bytes of `text` at `offset` (wazero's `WriteString`);
    /// nothing is written if they do not fit.
    pub fn write_string(&self, offset: u32, text: &str) -> Result<(), MemoryAccessError> {
        self.write(offset, text.as_bytes())
    }

    fn with<R>(&self, f: impl FnOnce(&mut MemoryInstance) -> R) -> Option<R> {
        let mut store = self.shared.lock().ok()?;
        if store.memory_gen(self.addr) != self.generation {
            return None;
        }
        Some(f(&mut store.memories[self.addr.index()]))
    }

    /// Size in bytes.
    pub fn size(&self) -> u64 {
        self.with(|m| m.size_bytes() as u64).unwrap_or(0)
    }

    /// Size in 64 KiB pages.
    pub fn size_pages(&self) -> u32 {
        self.with(|m| m.size_pages()).unwrap_or(0)
    }

    /// Grows by `delta_pages`; the previous size in pages, or `None` if that would
    /// pass the memory's maximum or the runtime's memory limit.
    pub fn grow(&self, delta_pages: u32) -> Option<u32> {
        self.with(|m| m.grow(delta_pages)).flatten()
    }

    /// Runs `f` on the memory if `len` bytes at `offset` fit in it.
    fn access<R>(
        &self,
        offset: u32,
        len: usize,
        f: impl FnOnce(&mut MemoryInstance, std::ops::Range<usize>) -> R,
    ) -> Result<R, MemoryAccessError> {
        let len64 = len as u64;
        let outcome = self.with(|m| {
            let size = m.size_bytes() as u64;
            MemoryAccessError::check(u64::from(offset), len64, size)?;
            let start = offset as usize;
            Ok(f(m, start..start + len))
        });
        // Gone, or unreachable from here: as a memory of no bytes.
        outcome.unwrap_or(Err(MemoryAccessError {
            offset: u64::from(offset),
            len: len64,
            size: 0,
        }))
    }

    /// A copy of `len` bytes at `offset`.
    ///
    /// ```
    /// let runtime = wazero::Runtime::new();
    /// let wasm = wat::parse_str(r#"(module (memory (export "mem") 1) (data (i32.const 8) "hi"))"#)?;
    /// let memory = runtime.instantiate(&wasm)?.exported_memory("mem").unwrap();
    /// assert_eq!(memory.read(8, 2)?, b"hi");
    /// let err = memory.read(65532, 8).unwrap_err();
    /// assert_eq!((err.offset, err.len, err.size), (65532, 8, 65536));
    /// assert_eq!(
    ///     err.to_string(),
    ///     "out of bounds memory access: 8 bytes at offset 65532 of a 65536-byte memory"
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read(&self, offset: u32, len: u32) -> Result<Vec<u8>, MemoryAccessError> {
        self.access(offset, len as usize, |m, range| m.bytes()[range].to_vec())
    }

    /// Fills `buf` from `offset` (`buf` untouched on error).
    pub fn read_into(&self, offset: u32, buf: &mut [u8]) -> Result<(), MemoryAccessError> {
        self.access(offset, buf.len(), |m, range| {
            buf.copy_from_slice(&m.bytes()[range]);
        })
    }

    /// Writes `data` at `offset` (nothing written on error).
    pub fn write(&self, offset: u32, data: &[u8]) -> Result<(), MemoryAccessError> {
        self.access(offset, data.len(), |m, range| {
            m.bytes_mut()[range].copy_from_slice(data);
        })
    }

    typed_access! {
        read_u8, write_u8, u8, "a byte";
        read_u16_le, write_u16_le, u16, "a `u16`";
        read_u32_le, write_u32_le, u32, "a `u32`";
        read_u64_le, write_u64_le, u64, "a `u64`";
        read_f32_le, write_f32_le, f32, "an `f32`";
        read_f64_le, write_f64_le, f64, "an `f64`";
    }

    /// Runs `f` on the whole memory without copying. The guest cannot run meanwhile
    /// (a call from inside `f` fails with [`Error::Reentrant`](crate::Error::Reentrant)).
    /// `None` if the namespace is busy on this thread.
    pub fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
        self.with(|m| f(m.bytes()))
    }

    /// Runs `f` on the whole memory, mutably, without copying.
    pub fn with_bytes_mut<R>(&self, f: impl FnOnce(&mut [u8]) -> R) -> Option<R> {
        self.with(|m| f(m.bytes_mut()))
    }
}

impl std::fmt::Debug for Memory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Memory({} pages)", self.size_pages())
    }
}
