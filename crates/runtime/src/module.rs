//! `Module`: an instantiated module.

use std::sync::Arc;

use wazero_store::{ExternVal, InstanceId, Store};

use crate::shared::{Pin, Shared, StoreGuard};
use crate::{Error, Function, FunctionDefinition, Global, Memory, Result, Table};

/// An instantiated, sandboxed module (wazero's `api.Module`). Cheap to clone;
/// clones refer to the same instance.
///
/// # How long an instance lives
///
/// - A module instantiated **with a name** (from [`ModuleConfig::with_name`](crate::ModuleConfig::with_name),
///   its name section, or a host module's name) stays in its namespace, importable
///   and reachable with [`Namespace::module`](crate::Namespace::module), until it
///   is closed ([`close`](Module::close), or closing its namespace or runtime),
///   as in wazero. Dropping its handles does not close it.
/// - An **anonymous** module (no name) is closed and freed, memories included,
///   when the last handle that keeps it is dropped: a `Module`, or a
///   [`Function`], [`Memory`], [`Global`] or [`Table`] obtained from it. Nothing
///   can import it, so nothing else can reach it (except a table it wrote its
///   functions into, which keeps them callable).
/// - A closed module's memories, tables and globals are freed at once unless an
///   open module imports them; its handles then see them gone (a memory of zero
///   pages, calls returning [`Error::Exit`]).
///
/// So a loop that instantiates anonymous modules and drops them runs in
/// constant memory without calling `close`.
///
/// ```
/// use wazero::{ModuleConfig, Runtime};
/// let runtime = Runtime::new();
/// let wasm = wat::parse_str(r#"(module
///     (memory (export "memory") 1)
///     (global (export "answer") i32 (i32.const 42))
///     (func (export "twice") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2))))"#)?;
/// let module = runtime.instantiate_module(&runtime.compile_module(&wasm)?, ModuleConfig::new().with_name("m"))?;
/// assert_eq!(module.name(), "m");
/// assert_eq!(module.exported_function("twice").unwrap().call(&[21])?, vec![42]);
/// assert_eq!(module.exported_global("answer").unwrap().get(), 42);
/// assert_eq!(module.memory().unwrap().size_pages(), 1);
/// assert!(module.exported_function("missing").is_none());
/// module.close()?;
/// assert!(module.is_closed());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Module {
    pub(crate) shared: Arc<Shared>,
    pub(crate) id: InstanceId,
    pin: Pin,
}

impl std::fmt::Debug for Module {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Module[{}]", self.name())
    }
}

impl Module {
    /// A handle on instance `id`, taking over the hold its instantiation made.
    pub(crate) fn adopt(shared: Arc<Shared>, id: InstanceId) -> Self {
        Self {
            pin: Pin::adopt(shared.clone(), id),
            shared,
            id,
        }
    }

    /// A new handle on instance `id` of `store`, the locked store of `shared`.
    pub(crate) fn new(shared: &Arc<Shared>, store: &Store, id: InstanceId) -> Self {
        Self {
            pin: Pin::new(shared, store, id),
            shared: shared.clone(),
            id,
        }
    }

    /// The export `name`, with the store it lives in.
    fn export(&self, name: &str) -> Option<(StoreGuard<'_>, ExternVal)> {
        let store = self.shared.lock().ok()?;
        let val = store.instance(self.id).export(name)?;
        Some((store, val))
    }

    /// Whether it exports a function under each of `names` (one lock for all).
    pub(crate) fn exports_functions<const N: usize>(&self, names: [&str; N]) -> [bool; N] {
        let Ok(store) = self.shared.lock() else {
            return [false; N];
        };
        let instance = store.instance(self.id);
        names.map(|name| matches!(instance.export(name), Some(ExternVal::Func(_))))
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
            (store, ExternVal::Func(addr)) => Some(Function::new(&self.shared, &store, addr)),
            _ => None,
        }
    }

    /// Definitions of all exported functions, in export order, with their names.
    pub fn exported_function_definitions(&self) -> Vec<(String, FunctionDefinition)> {
        let Ok(store) = self.shared.lock() else {
            return Vec::new();
        };
        store
            .instance(self.id)
            .exports
            .iter()
            .filter_map(|(name, val)| match *val {
                ExternVal::Func(addr) => {
                    Some((name.clone(), Function::definition_in(&store, addr)))
                }
                _ => None,
            })
            .collect()
    }

    /// The memories this module exports, by export name, with their
    /// definitions (wazero's `ExportedMemoryDefinitions`).
    pub fn exported_memory_definitions(&self) -> Vec<(String, crate::MemoryDefinition)> {
        let Ok(store) = self.shared.lock() else {
            return Vec::new();
        };
        let instance = store.instance(self.id);
        let Some(module) = &instance.module else {
            return Vec::new();
        };
        let all = crate::MemoryDefinition::all_of(module, &instance.name);
        all.iter()
            .flat_map(|def| {
                def.export_names
                    .iter()
                    .map(move |n| (n.clone(), def.clone()))
            })
            .collect()
    }

    /// The memory this module defines or imports (index 0), if any.
    pub fn memory(&self) -> Option<Memory> {
        let store = self.shared.lock().ok()?;
        let addr = store.memory_of(self.id)?;
        Some(Memory::new(
            &self.shared,
            &store,
            self.id,
            addr,
            self.pin.clone(),
        ))
    }

    /// The exported memory `name`, if there is one.
    pub fn exported_memory(&self, name: &str) -> Option<Memory> {
        match self.export(name)? {
            (store, ExternVal::Memory(addr)) => Some(Memory::new(
                &self.shared,
                &store,
                self.id,
                addr,
                self.pin.clone(),
            )),
            _ => None,
        }
    }

    /// The exported tag `name`, if there is one (exception handling).
    pub fn exported_tag(&self, name: &str) -> Option<crate::Tag> {
        match self.export(name)? {
            (store, ExternVal::Tag(addr)) => {
                let host = store.instance(self.id).module.is_none();
                Some(crate::Tag::new(&self.shared, &store, addr, host))
            }
            _ => None,
        }
    }

    /// The exported global `name`, if there is one.
    pub fn exported_global(&self, name: &str) -> Option<Global> {
        match self.export(name)? {
            (store, ExternVal::Global(addr)) => {
                Some(Global::new(&self.shared, &store, addr, self.pin.clone()))
            }
            _ => None,
        }
    }

    /// The exported table `name`, if there is one.
    pub fn exported_table(&self, name: &str) -> Option<Table> {
        match self.export(name)? {
            (store, ExternVal::Table(addr)) => {
                Some(Table::new(&self.shared, &store, addr, self.pin.clone()))
            }
            _ => None,
        }
    }

    /// The data attached to this instance with
    /// [`ModuleConfig::with_data`](crate::ModuleConfig::with_data), if it is a
    /// `T` (exactly: data attached as `0` is an `i32`, so `data::<u32>()` is
    /// `None`), for the host to read between calls (wasmtime's `Store::data`).
    ///
    /// The returned guard holds the namespace's lock (the instance's store) until
    /// it is dropped, see [`ModuleData`]: keep it briefly. `None` if there is no
    /// data, it is not a `T`, or this thread is inside a call of the namespace
    /// (a host function: use [`Caller::data`](crate::Caller::data) there).
    ///
    /// ```
    /// use wazero::{Caller, ModuleConfig, Runtime};
    /// let runtime = Runtime::new();
    /// runtime
    ///     .new_host_module_builder("env")
    ///     .new_function_builder()
    ///     .with_func(|caller: &mut Caller<'_>, n: u32| {
    ///         caller.data_mut::<Vec<u32>>().unwrap().push(n);
    ///     })
    ///     .export("log")
    ///     .instantiate()?;
    /// let wasm = wat::parse_str(r#"(module
    ///     (import "env" "log" (func $log (param i32)))
    ///     (func (export "run") (call $log (i32.const 1)) (call $log (i32.const 2))))"#)?;
    /// let compiled = runtime.compile_module(&wasm)?;
    /// let module = runtime.instantiate_module(&compiled, ModuleConfig::new().with_data(Vec::<u32>::new()))?;
    /// module.exported_function("run").unwrap().call(&[])?;
    /// assert_eq!(*module.data::<Vec<u32>>().unwrap(), [1, 2]);
    /// module.data_mut::<Vec<u32>>().unwrap().clear();
    /// assert!(module.data::<Vec<u32>>().unwrap().is_empty());
    /// assert!(module.data::<String>().is_none(), "not a String");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn data<T: std::any::Any>(&self) -> Option<ModuleData<'_, T>> {
        let store = self.shared.lock().ok()?;
        data_of::<T>(&store, self.id)?;
        Some(ModuleData {
            store,
            id: self.id,
            _type: std::marker::PhantomData,
        })
    }

    /// The data attached to this instance, mutably, if it is a `T` (see
    /// [`data`](Module::data) and [`ModuleDataMut`]).
    pub fn data_mut<T: std::any::Any>(&self) -> Option<ModuleDataMut<'_, T>> {
        let store = self.shared.lock().ok()?;
        data_of::<T>(&store, self.id)?;
        Some(ModuleDataMut {
            store,
            id: self.id,
            _type: std::marker::PhantomData,
        })
    }

    /// Closes the module with exit code 0.
    pub fn close(&self) -> Result<()> {
        self.close_with_exit_code(0)
    }

    /// Closes the module: its exports can no longer be called (calls return
    /// [`Error::Exit`] with `exit_code`), and its name is free again.
    ///
    /// From another thread, while a call into this module runs, the call is
    /// interrupted first (it then fails as an interrupted call does, once it
    /// reaches its next check; a guest inside a host call returns from it
    /// first), so closing never waits for a guest that would not return. A
    /// call into another module of the namespace is waited for, untouched.
    ///
    /// From inside a host function called by a module of the same namespace,
    /// this fails with [`Error::CloseInsideCall`]; a host function ends its
    /// guest and closes the guest's module by returning
    /// `Err(ExitCode(n))` instead, as `proc_exit` does.
    pub fn close_with_exit_code(&self, exit_code: u32) -> Result<()> {
        let mut store = self.shared.lock_to_close("the module", Some(self.id))?;
        store.close(self.id, exit_code);
        // A closed host module is no longer for instances to import.
        self.shared
            .hosts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .retain(|_, host| host.id != self.id);
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

/// The data of instance `id`, if it is a `T`.
fn data_of<T: std::any::Any>(store: &Store, id: InstanceId) -> Option<&T> {
    store.instance(id).data.as_ref()?.downcast_ref()
}

/// The data of instance `id`, mutably, if it is a `T`.
fn data_of_mut<T: std::any::Any>(store: &mut Store, id: InstanceId) -> Option<&mut T> {
    store.instances[id.index()].data.as_mut()?.downcast_mut()
}

const CHECKED: &str = "the data was checked to be a T when the guard was made, under the \
                       lock the guard has held since";

/// The data of an instance, borrowed from the host ([`Module::data`]); derefs
/// to the `T`.
///
/// A guard rather than a `&T`: a [`Module`] is a handle on an instance in a
/// store shared behind a lock, so a reference into it is valid only while the
/// lock is held, and the guard is what holds it (as a `MutexGuard` does).
/// While it lives:
///
/// - other threads that use the namespace (its calls, instantiations, handles)
///   wait for it to be dropped;
/// - on this thread, calling into the namespace does not deadlock but fails:
///   a [`Function`] call or an instantiation returns [`Error::Reentrant`],
///   another `data` returns `None`, a [`Memory`] handle sees no bytes. Drop
///   the guard (or copy what you need out of it) before calling the guest.
pub struct ModuleData<'a, T> {
    store: StoreGuard<'a>,
    id: InstanceId,
    _type: std::marker::PhantomData<fn() -> T>,
}

impl<T: std::any::Any> std::ops::Deref for ModuleData<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        data_of(&self.store, self.id).expect(CHECKED)
    }
}

impl<T: std::any::Any + std::fmt::Debug> std::fmt::Debug for ModuleData<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&**self, f)
    }
}

/// The data of an instance, borrowed mutably from the host
/// ([`Module::data_mut`]); derefs to the `T`. Holds the namespace's lock as
/// [`ModuleData`] does, with the same consequences.
pub struct ModuleDataMut<'a, T> {
    store: StoreGuard<'a>,
    id: InstanceId,
    _type: std::marker::PhantomData<fn() -> T>,
}

impl<T: std::any::Any> std::ops::Deref for ModuleDataMut<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        data_of(&self.store, self.id).expect(CHECKED)
    }
}

impl<T: std::any::Any> std::ops::DerefMut for ModuleDataMut<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        data_of_mut(&mut self.store, self.id).expect(CHECKED)
    }
}

impl<T: std::any::Any + std::fmt::Debug> std::fmt::Debug for ModuleDataMut<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&**self, f)
    }
}
