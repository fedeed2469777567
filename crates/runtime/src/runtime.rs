//! `Runtime`, `Namespace` and `CompiledModule`.

use std::sync::{Arc, Mutex, PoisonError};

use wazero_api::CoreFeatures;
use wazero_decoder::CustomSection;
use wazero_host::HostModuleSink;
use wazero_store::{CompiledCode, Engine, HostFunctionDef, InstantiateConfig, Store, StoreLimits};
use wazero_validator::ValidatedModule;
use wazero_wasi_preview1::WasiCtx;

use crate::shared::{HostModule, Shared};
use crate::CompilationCache;
use crate::{
    Error, HostModuleBuilder, InterruptHandle, Module, ModuleConfig, Result, RuntimeConfig,
};

/// The entry point: compiles modules and instantiates them (wazero's `Runtime`).
///
/// A runtime is `Send + Sync` and cheap to clone (clones share everything).
/// Instances live in namespaces: the runtime has a default one, and
/// [`new_namespace`](Runtime::new_namespace) makes more that share compiled code.
///
/// An anonymous instance ([`ModuleConfig::with_name`]`("")`, or a module
/// without a name) whose imports are all host functions (WASI included), or
/// that imports nothing, shares no state with any other and runs in parallel
/// with everything: instantiate, call and close one per request on any
/// thread. Named instances, which other modules may import, and instances
/// that import from other instances, run one call at a time within their
/// namespace.
///
/// ```
/// let runtime = wazero::Runtime::new();
/// let wasm = wat::parse_str(r#"(module (func (export "one") (result i32) i32.const 1))"#)?;
/// let module = runtime.instantiate(&wasm)?;
/// assert_eq!(module.exported_function("one").unwrap().call(&[])?, vec![1]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<RuntimeInner>,
}

struct RuntimeInner {
    config: RuntimeConfig,
    engine: Arc<dyn Engine>,
    default: Namespace,
    /// Namespaces made by `new_namespace`, to close with the runtime; held weakly
    /// so a dropped namespace frees everything in it.
    namespaces: Mutex<Vec<std::sync::Weak<Shared>>>,
}

impl Default for Runtime {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("engine", &self.inner.engine.name())
            .finish()
    }
}

impl Runtime {
    /// A runtime with the default configuration ([`RuntimeConfig::new`]).
    pub fn new() -> Self {
        Self::with_config(RuntimeConfig::new())
    }

    /// A runtime with `config`.
    pub fn with_config(config: RuntimeConfig) -> Self {
        let engine = crate::engines::select(&config);
        let default = Namespace::new(&engine, &config);
        Self {
            inner: Arc::new(RuntimeInner {
                config,
                engine,
                default,
                namespaces: Mutex::new(Vec::new()),
            }),
        }
    }

    /// Compiles `validated` with this runtime's engine, its limits, and its
    /// default namespace's interrupt.
    fn compile_code(
        &self,
        validated: &Arc<ValidatedModule>,
    ) -> Result<Arc<dyn wazero_store::CompiledCode>> {
        let stop = self.inner.default.shared.compiling();
        let interrupted = || stop.load(std::sync::atomic::Ordering::Relaxed);
        let options = wazero_store::CompileOptions {
            interrupted: &interrupted,
            max_function_blocks: self.inner.config.max_function_blocks,
            ..Default::default()
        };
        self.inner
            .engine
            .compile_with(validated, &options)
            .map_err(|e| match e.as_str() {
                wazero_store::COMPILE_INTERRUPTED => Error::CompileInterrupted,
                _ => Error::Compile(e),
            })
    }

    /// The name of the engine in use ("interpreter" or "compiler").
    pub fn engine_name(&self) -> &'static str {
        self.inner.engine.name()
    }

    /// Decodes, validates and compiles `wasm` once; instantiate the result any
    /// number of times.
    ///
    /// An interrupt of the default namespace ([`Runtime::interrupt_handle`],
    /// also by a deadline) stops the compiler between functions with
    /// [`Error::CompileInterrupted`], and is taken by it. A function larger
    /// than [`RuntimeConfig::with_max_function_blocks`] allows fails to compile
    /// on the compiler.
    pub fn compile_module(&self, wasm: &[u8]) -> Result<CompiledModule> {
        self.compile_bytes(wasm, None)
    }

    /// [`compile_module`](Self::compile_module) of bytes the caller shares:
    /// the compiled module keeps `wasm` itself (its functions' bodies and
    /// data segments are read from it) rather than a copy, which spares a
    /// large module's second copy in memory.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let wat = r#"(module (func (export "f") (result i32) (i32.const 42)))"#;
    /// let wasm: Arc<[u8]> = wat::parse_str(wat)?.into();
    /// let runtime = wazero::Runtime::new();
    /// let compiled = runtime.compile_module_shared(wasm)?;
    /// let module = runtime.instantiate_module(&compiled, Default::default())?;
    /// assert_eq!(module.exported_function("f").unwrap().call(&[])?, [42]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn compile_module_shared(&self, wasm: Arc<[u8]>) -> Result<CompiledModule> {
        self.compile_bytes(&wasm, Some(&wasm))
    }

    /// [`compile_module`](Self::compile_module) of `wasm`, which is `shared`'s
    /// bytes when given.
    fn compile_bytes(&self, wasm: &[u8], shared: Option<&Arc<[u8]>>) -> Result<CompiledModule> {
        let decode = |features| match shared {
            Some(bytes) => wazero_decoder::decode_shared(bytes.clone(), features),
            None => wazero_decoder::decode(wasm, features),
        };
        let decode_and_validate = |features| -> Result<Arc<ValidatedModule>> {
            Ok(Arc::new(wazero_validator::validate(
                decode(features)?,
                features,
            )?))
        };
        let features: CoreFeatures = self.inner.config.features;
        let engine = &*self.inner.engine;
        let cache = self.inner.config.cache.as_ref();
        let key = cache.map(|_| CompilationCache::key(engine, features.bits(), wasm));
        let (validated, code) = match (cache, &key) {
            (Some(cache), Some(key)) => match cache.get(key, engine) {
                Some(entry) => (entry.module, entry.code),
                None => {
                    let module = decode(features).inspect_err(|_| cache.count_miss())?;
                    // Counts a disk hit, or the miss.
                    let loaded = cache.load(key, Box::new(module), features, engine);
                    let (validated, code) = match loaded {
                        crate::cache::Loaded::Hit(validated, code) => (validated, code),
                        crate::cache::Loaded::Miss(module) => {
                            // The module back, unless an entry took it.
                            let validated = match module {
                                Some(module) => {
                                    Arc::new(wazero_validator::validate(*module, features)?)
                                }
                                None => decode_and_validate(features)?,
                            };
                            let code = self.compile_code(&validated)?;
                            cache.store(key, &validated, &code, engine);
                            (validated, code)
                        }
                    };
                    let entry = crate::cache::Entry {
                        module: validated.clone(),
                        code: code.clone(),
                        engine: engine.name(),
                    };
                    cache.put(*key, entry);
                    (validated, code)
                }
            },
            _ => {
                let validated = decode_and_validate(features)?;
                let code = self.compile_code(&validated)?;
                (validated, code)
            }
        };
        let custom_sections = if self.inner.config.custom_sections {
            validated.custom_sections.clone()
        } else {
            Vec::new()
        };
        Ok(CompiledModule {
            inner: Arc::new(CompiledInner {
                kind: CompiledKind::Wasm {
                    module: validated,
                    code,
                },
                engine: self.inner.engine.clone(),
                custom_sections,
            }),
        })
    }

    /// Instantiates `compiled` in the default namespace: links its imports,
    /// initializes its memories and tables, runs its start section, then its
    /// start functions (by default `_start` if it exports one, else
    /// `_initialize` if it exports that, a WASI reactor; see
    /// [`ModuleConfig::with_start_functions`]).
    ///
    /// How long the instance lives: a module with a name (from `config`, or
    /// its name section) stays registered until it is closed, whether or not
    /// the returned handle is kept; an anonymous one is closed and freed, with
    /// its memories, when the last handle on it (the returned [`Module`] or a
    /// [`Function`](crate::Function), [`Memory`](crate::Memory),
    /// [`Global`](crate::Global) or [`Table`](crate::Table) taken from it) is
    /// dropped. See [`Module`] for the details. A failed instantiation leaves
    /// nothing behind (except functions it already wrote into imported tables,
    /// which stay callable, as the spec requires).
    pub fn instantiate_module(
        &self,
        compiled: &CompiledModule,
        config: ModuleConfig,
    ) -> Result<Module> {
        self.inner.default.instantiate_module(compiled, config)
    }

    /// Compiles and instantiates `wasm` in one step, with the default [`ModuleConfig`].
    pub fn instantiate(&self, wasm: &[u8]) -> Result<Module> {
        let compiled = self.compile_module(wasm)?;
        self.instantiate_module(&compiled, ModuleConfig::new())
    }

    /// The module instantiated under `name` in the default namespace.
    pub fn module(&self, name: &str) -> Option<Module> {
        self.inner.default.module(name)
    }

    /// A new namespace: its own module names, sharing this runtime's compiled code.
    pub fn new_namespace(&self) -> Namespace {
        let ns = Namespace::new(&self.inner.engine, &self.inner.config);
        let mut namespaces = self
            .inner
            .namespaces
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        namespaces.retain(|weak| weak.strong_count() > 0);
        namespaces.push(Arc::downgrade(&ns.shared));
        ns
    }

    /// The default namespace.
    pub fn default_namespace(&self) -> &Namespace {
        &self.inner.default
    }

    /// Starts a host module (functions written in Rust) named `name` in the default
    /// namespace.
    pub fn new_host_module_builder(&self, name: &str) -> HostModuleBuilder {
        self.inner.default.new_host_module_builder(name)
    }

    /// Stops guest code running in the default namespace, from any thread.
    pub fn interrupt_handle(&self) -> InterruptHandle {
        self.inner.default.interrupt_handle()
    }

    /// Closes every module of every namespace of this runtime.
    ///
    /// From inside a host function called by one of its modules, this fails
    /// with [`Error::CloseInsideCall`].
    pub fn close(&self) -> Result<()> {
        close_all(&self.inner.default.shared, "the runtime")?;
        let namespaces: Vec<Arc<Shared>> = self
            .inner
            .namespaces
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter_map(std::sync::Weak::upgrade)
            .collect();
        for shared in namespaces {
            close_all(&shared, "the runtime")?;
        }
        Ok(())
    }
}

/// A set of instantiated modules with their own names (wazero's `Namespace`).
///
/// Modules import each other by name within one namespace. Namespaces of one
/// runtime share compiled code but nothing else, and run in parallel.
///
/// ```
/// use wazero::{ModuleConfig, Runtime};
/// let runtime = Runtime::new();
/// let lib = runtime.compile_module(&wat::parse_str(r#"(module
///     (global $n (mut i32) (i32.const 0))
///     (func (export "next") (result i32)
///       (global.set $n (i32.add (global.get $n) (i32.const 1))) (global.get $n)))"#)?)?;
/// // The same name in two namespaces: two instances, nothing shared.
/// let (a, b) = (runtime.new_namespace(), runtime.new_namespace());
/// let in_a = a.instantiate_module(&lib, ModuleConfig::new().with_name("lib"))?;
/// let in_b = b.instantiate_module(&lib, ModuleConfig::new().with_name("lib"))?;
/// in_a.exported_function("next").unwrap().call(&[])?;
/// assert_eq!(in_a.exported_function("next").unwrap().call(&[])?, vec![2]);
/// assert_eq!(in_b.exported_function("next").unwrap().call(&[])?, vec![1]);
/// assert!(a.module("lib").is_some() && runtime.module("lib").is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Namespace {
    pub(crate) shared: Arc<Shared>,
    engine: Arc<dyn Engine>,
    /// The limits of its stores (its own, and those of instances running on
    /// their own).
    limits: StoreLimits,
    debug_info: bool,
}

impl Namespace {
    /// Stops guest code running in this namespace, from any thread.
    pub fn interrupt_handle(&self) -> InterruptHandle {
        InterruptHandle {
            namespace: self.shared.clone(),
        }
    }

    fn new(engine: &Arc<dyn Engine>, config: &RuntimeConfig) -> Self {
        let limits = StoreLimits {
            memory_limit_pages: config.memory_limit_pages,
            memory_capacity_from_max: config.memory_capacity_from_max,
            max_call_depth: config.max_call_depth,
            max_reentry_depth: config.max_reentry_depth,
            max_table_elements: config.max_table_elements,
            max_exceptions: config.max_exceptions,
            ..StoreLimits::default()
        };
        let mut store = Store::new(engine.clone(), limits);
        store.debug_info = config.debug_info;
        store.classify_host_error = Some(crate::error::classify_host_error);
        Self {
            shared: Arc::new(
                Shared::new(
                    store,
                    crate::shared::new_namespace_id(),
                    config.close_on_interrupt,
                )
                .with_groups(),
            ),
            engine: engine.clone(),
            limits,
            debug_info: config.debug_info,
        }
    }

    /// A store of its own for an anonymous instance of `module`, if every
    /// import of `module` is a function of one of this namespace's host
    /// modules: such an instance shares no state with any other (host
    /// functions are shared closures), so it runs in parallel with everything
    /// else. The host functions it imports are added to its store.
    fn own_store_for(&self, module: &ValidatedModule) -> Result<Option<Arc<Shared>>> {
        let mut needed: Vec<(&str, Vec<HostFunctionDef>)> = Vec::new();
        {
            let hosts = self
                .shared
                .hosts
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            for import in &module.imports {
                if !matches!(import.desc, wazero_decoder::ImportDesc::Func(_)) {
                    return Ok(None);
                }
                let Some(def) = hosts
                    .get(&import.module)
                    .and_then(|host| host.functions.get(&import.name))
                else {
                    // Not a host function: linking decides, in the namespace's store.
                    return Ok(None);
                };
                match needed.iter_mut().find(|(m, _)| *m == import.module) {
                    Some((_, defs)) => {
                        if !defs.iter().any(|d| d.export == def.export) {
                            defs.push(def.clone());
                        }
                    }
                    None => needed.push((import.module.as_str(), vec![def.clone()])),
                }
            }
        }
        let mut store = Store::new(self.engine.clone(), self.limits);
        store.debug_info = self.debug_info;
        store.classify_host_error = Some(crate::error::classify_host_error);
        for (name, defs) in &needed {
            store.instantiate_host(name, defs, &[])?;
        }
        let group = Arc::new(Shared::new(
            store,
            self.shared.namespace_id,
            self.shared.close_on_interrupt,
        ));
        self.shared.add_group(&group);
        Ok(Some(group))
    }

    /// Instantiates `compiled` here: resolves its imports among this namespace's
    /// modules, initializes memory and tables, runs its start section and then the
    /// configured start functions (by default `_start`, or `_initialize` for a
    /// reactor: see [`ModuleConfig::with_start_functions`]).
    ///
    /// If a start function fails, the module is closed (its name is free again) and
    /// the error returned; if it exits with code 0, that is success.
    ///
    /// A named module stays until it is closed; an anonymous one until the last
    /// handle on it is dropped (see [`Module`] and
    /// [`Runtime::instantiate_module`]).
    pub fn instantiate_module(
        &self,
        compiled: &CompiledModule,
        config: ModuleConfig,
    ) -> Result<Module> {
        if !Arc::ptr_eq(&compiled.inner.engine, &self.engine) {
            return Err(Error::InvalidArgument(
                "the module was compiled by another runtime".to_string(),
            ));
        }
        let mut config = config;
        let id = match &compiled.inner.kind {
            CompiledKind::Wasm { module, code } => {
                let name = config
                    .name
                    .clone()
                    .or_else(|| module.names.module.clone())
                    .unwrap_or_default();
                let sys = WasiCtx::new(std::mem::take(&mut config.sys))?;
                let own = match name.is_empty() {
                    true => self.own_store_for(module)?,
                    false => None,
                };
                let shared = own.unwrap_or_else(|| self.shared.clone());
                let mut store = shared.lock()?;
                let running = shared.instantiating();
                let id = store.instantiate(
                    module,
                    code.clone(),
                    InstantiateConfig {
                        name,
                        skip_start: false,
                        data: config.data.take(),
                        sys: Some(Box::new(sys)),
                    },
                );
                drop(running);
                drop(store);
                (shared.clone(), id?)
            }
            CompiledKind::Host {
                name,
                functions,
                tags,
            } => {
                let name = config.name.clone().unwrap_or_else(|| name.clone());
                let mut store = self.shared.lock()?;
                let id = store.instantiate_host(&name, functions, tags)?;
                store.instances[id.index()].data = config.data.take();
                if !name.is_empty() {
                    let host = HostModule::new(id, functions);
                    self.shared
                        .hosts
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .insert(name, host);
                }
                (self.shared.clone(), id)
            }
        };
        let (shared, id) = id;
        let module = Module::adopt(shared, id);
        let starts = match config.start_functions.take() {
            Some(names) => names,
            None => default_start_functions(&module),
        };
        for start in &starts {
            let Some(f) = module.exported_function(start) else {
                continue;
            };
            match f.call(&[]) {
                Ok(_) => {}
                // Exiting with 0 (WASI `proc_exit(0)`) is a successful run; the module
                // is closed by then.
                Err(Error::Exit(0)) => return Ok(module),
                // A failed start leaves no module behind: close it, freeing its name.
                Err(e) => {
                    module.close()?;
                    return Err(e);
                }
            }
        }
        Ok(module)
    }

    /// Compiles nothing: instantiates already compiled code with defaults.
    pub fn instantiate(&self, compiled: &CompiledModule) -> Result<Module> {
        self.instantiate_module(compiled, ModuleConfig::new())
    }

    /// The module instantiated under `name`.
    pub fn module(&self, name: &str) -> Option<Module> {
        let store = self.shared.lock().ok()?;
        let id = store.instance_named(name)?;
        Some(Module::new(&self.shared, &store, id))
    }

    /// Makes `module` importable under `name` as well (what the spec test suite's
    /// `register` command does).
    ///
    /// An anonymous module that imports only host functions runs in a store
    /// of its own and cannot be registered: instantiate it with a name to make
    /// it importable.
    pub fn register(&self, name: &str, module: &Module) -> Result<()> {
        if !Arc::ptr_eq(&module.shared, &self.shared) {
            let own = self
                .shared
                .live_groups()
                .iter()
                .any(|g| Arc::ptr_eq(g, &module.shared));
            return Err(Error::InvalidArgument(if own {
                "an anonymous module that imports only host functions runs on its own and \
                 cannot be registered; instantiate it with a name to make it importable"
                    .to_string()
            } else {
                "the module belongs to another namespace".to_string()
            }));
        }
        self.shared.lock()?.alias(name, module.id);
        Ok(())
    }

    /// Starts a host module named `name` in this namespace.
    pub fn new_host_module_builder(&self, name: &str) -> HostModuleBuilder {
        HostModuleBuilder::new(self.clone(), name)
    }
}

// How wazero-host hands a finished host module to the namespace: an
// implementation detail of `HostModuleBuilder`, so not in the docs.
#[doc(hidden)]
impl HostModuleSink for Namespace {
    type Module = Module;
    type Compiled = CompiledModule;
    type Error = Error;

    fn instantiate_host(
        self,
        name: &str,
        functions: Vec<HostFunctionDef>,
        tags: Vec<wazero_store::HostTagDef>,
    ) -> Result<Module> {
        let compiled = self.clone().compile_host(name, functions, tags)?;
        self.instantiate_module(&compiled, ModuleConfig::new())
    }

    fn compile_host(
        self,
        name: &str,
        functions: Vec<HostFunctionDef>,
        tags: Vec<wazero_store::HostTagDef>,
    ) -> Result<CompiledModule> {
        Ok(CompiledModule {
            inner: Arc::new(CompiledInner {
                kind: CompiledKind::Host {
                    name: name.to_string(),
                    functions,
                    tags,
                },
                engine: self.engine.clone(),
                custom_sections: Vec::new(),
            }),
        })
    }
}

impl Namespace {
    /// How many instances, functions, memories, tables and globals this
    /// namespace holds, and how many slots its arrays have in all (freed slots
    /// are reused). For monitoring, and for tests that a loop of instantiations
    /// runs in constant memory.
    pub fn stats(&self) -> crate::NamespaceStats {
        let mut all = self
            .shared
            .lock()
            .map(|store| store.stats())
            .unwrap_or_default();
        for group in self.shared.live_groups() {
            if let Ok(store) = group.lock() {
                let s = store.stats();
                all.instances += s.instances;
                all.functions += s.functions;
                all.memories += s.memories;
                all.tables += s.tables;
                all.globals += s.globals;
                all.slots += s.slots;
            }
        }
        all
    }

    /// Closes every module in this namespace.
    ///
    /// From inside a host function called by one of its modules, this fails
    /// with [`Error::CloseInsideCall`].
    pub fn close(&self) -> Result<()> {
        close_all(&self.shared, "the namespace")
    }
}

/// Closes every module of `shared`; `what` names what the caller closes, for
/// the error when that is impossible (this thread is inside one of its calls).
fn close_all(shared: &Shared, what: &'static str) -> Result<()> {
    for group in shared.live_groups() {
        close_all(&group, what)?;
    }
    shared
        .hosts
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clear();
    let mut store = shared.lock_to_close(what, None)?;
    // Closing frees instances and slots may be reused meanwhile (by nothing
    // here: the lock is held throughout), so closing every slot in turn is
    // closing every instance; freed slots are already closed.
    for i in 0..store.instances.len() {
        store.close(wazero_store::InstanceId(i as u32), 0);
    }
    Ok(())
}

/// A module decoded, validated and compiled once, ready to instantiate many times
/// (wazero's `CompiledModule`). Cheap to clone, `Send + Sync`.
///
/// ```
/// use wazero::{ModuleConfig, Runtime};
/// let runtime = Runtime::new();
/// let compiled = runtime.compile_module(&wat::parse_str(r#"(module
///     (import "env" "log" (func (param i32)))
///     (func (export "run")))"#)?)?;
/// let imports: Vec<_> = compiled.imported_functions().into_iter().map(|f| f.import).collect();
/// assert_eq!(imports, [Some(("env".to_string(), "log".to_string()))]);
/// assert_eq!(compiled.exported_functions()[0].export_names, ["run"]);
/// // Its imports must exist before it is instantiated.
/// assert!(runtime.instantiate_module(&compiled, ModuleConfig::new()).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct CompiledModule {
    pub(crate) inner: Arc<CompiledInner>,
}

pub(crate) struct CompiledInner {
    kind: CompiledKind,
    engine: Arc<dyn Engine>,
    custom_sections: Vec<CustomSection>,
}

/// What a compiled module holds: WebAssembly and its engine code, or the
/// functions of a host module.
enum CompiledKind {
    Wasm {
        module: Arc<ValidatedModule>,
        code: Arc<dyn CompiledCode>,
    },
    Host {
        name: String,
        functions: Vec<HostFunctionDef>,
        tags: Vec<wazero_store::HostTagDef>,
    },
}

impl CompiledModule {
    /// The name in the module's name section (a host module: its name), if any.
    pub fn name(&self) -> Option<&str> {
        match &self.inner.kind {
            CompiledKind::Wasm { module, .. } => module.names.module.as_deref(),
            CompiledKind::Host { name, .. } => Some(name),
        }
    }

    /// Custom sections, in order, when the runtime was configured with
    /// [`RuntimeConfig::with_custom_sections`]; empty otherwise.
    pub fn custom_sections(&self) -> &[CustomSection] {
        &self.inner.custom_sections
    }

    /// Definitions of the memories this module imports, in import order.
    pub fn imported_memories(&self) -> Vec<crate::MemoryDefinition> {
        match &self.inner.kind {
            CompiledKind::Wasm { module, .. } => crate::MemoryDefinition::all_of(module, "")
                .into_iter()
                .filter(|d| d.import.is_some())
                .collect(),
            CompiledKind::Host { .. } => Vec::new(),
        }
    }

    /// Definitions of the memories this module exports.
    pub fn exported_memories(&self) -> Vec<crate::MemoryDefinition> {
        match &self.inner.kind {
            CompiledKind::Wasm { module, .. } => crate::MemoryDefinition::all_of(module, "")
                .into_iter()
                .filter(|d| !d.export_names.is_empty())
                .collect(),
            CompiledKind::Host { .. } => Vec::new(),
        }
    }

    /// Definitions of the functions this module imports, in import order.
    pub fn imported_functions(&self) -> Vec<crate::FunctionDefinition> {
        match &self.inner.kind {
            CompiledKind::Wasm { module, .. } => (0..module.imported_function_count())
                .map(|i| crate::FunctionDefinition::of_wasm(module, "", i))
                .collect(),
            CompiledKind::Host { .. } => Vec::new(),
        }
    }

    /// Definitions of the functions this module exports, in export order.
    pub fn exported_functions(&self) -> Vec<crate::FunctionDefinition> {
        match &self.inner.kind {
            CompiledKind::Wasm { module, .. } => module
                .exports
                .iter()
                .filter(|e| e.kind == wazero_api::ExternType::Func)
                .map(|e| crate::FunctionDefinition::of_wasm(module, "", e.index))
                .collect(),
            CompiledKind::Host {
                name, functions, ..
            } => functions
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    crate::FunctionDefinition::of_host(name, i as u32, &f.export, &f.ty, &f.names)
                })
                .collect(),
        }
    }
}

impl std::fmt::Debug for CompiledModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledModule")
            .field("name", &self.name())
            .field("functions", &self.exported_functions().len())
            .finish()
    }
}

/// What starts a module when the configuration does not say: `_start` for a
/// WASI command, `_initialize` for a reactor (exports it and no `_start`).
fn default_start_functions(module: &Module) -> Vec<String> {
    let start = match module.exports_functions(["_start", "_initialize"]) {
        [false, true] => "_initialize",
        _ => "_start",
    };
    vec![start.to_string()]
}
