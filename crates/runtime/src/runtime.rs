//! `Runtime`, `Namespace` and `CompiledModule`.

use std::sync::{Arc, Mutex, PoisonError};

use wazero_api::CoreFeatures;
use wazero_decoder::CustomSection;
use wazero_host::HostModuleSink;
use wazero_store::{CompiledCode, Engine, HostFunctionDef, InstantiateConfig, Store, StoreLimits};
use wazero_validator::ValidatedModule;
use wazero_wasi_preview1::WasiCtx;

use crate::shared::Shared;
use crate::CompilationCache;
use crate::{
    Error, HostModuleBuilder, InterruptHandle, Module, ModuleConfig, Result, RuntimeConfig,
};

/// The entry point: compiles modules and instantiates them (wazero's `Runtime`).
///
/// A runtime is `Send + Sync` and cheap to clone (clones share everything).
/// Instances live in namespaces: the runtime has a default one, and
/// [`new_namespace`](Runtime::new_namespace) makes more that share compiled code.
/// Calls into one namespace run one at a time; use a namespace per thread to run
/// guests in parallel.
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

    /// The name of the engine in use ("interpreter" or "compiler").
    pub fn engine_name(&self) -> &'static str {
        self.inner.engine.name()
    }

    /// Decodes, validates and compiles `wasm` once; instantiate the result any
    /// number of times.
    pub fn compile_module(&self, wasm: &[u8]) -> Result<CompiledModule> {
        let features: CoreFeatures = self.inner.config.features;
        let engine = &*self.inner.engine;
        let cache = self.inner.config.cache.as_ref();
        let key = cache.map(|_| CompilationCache::key(engine, features.bits(), wasm));
        let (validated, code) = match (cache, &key) {
            (Some(cache), Some(key)) => match cache.get(key) {
                Some(entry) => (entry.module, entry.code),
                None => {
                    let validated = decode_and_validate(wasm, features)?;
                    let code = match cache.load(key, &validated, engine) {
                        Some(code) => code,
                        None => {
                            let code = engine.compile(&validated).map_err(Error::Compile)?;
                            cache.store(key, &*code, engine);
                            code
                        }
                    };
                    let entry = crate::cache::Entry {
                        module: validated.clone(),
                        code: code.clone(),
                    };
                    cache.put(*key, entry);
                    (validated, code)
                }
            },
            _ => {
                let validated = decode_and_validate(wasm, features)?;
                let code = engine.compile(&validated).map_err(Error::Compile)?;
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

    /// Instantiates `compiled` in the default namespace.
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
    pub fn close(&self) -> Result<()> {
        self.inner.default.close()?;
        let namespaces: Vec<Arc<Shared>> = self
            .inner
            .namespaces
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter_map(std::sync::Weak::upgrade)
            .collect();
        for shared in namespaces {
            close_all(&shared)?;
        }
        Ok(())
    }
}

/// A set of instantiated modules with their own names (wazero's `Namespace`).
///
/// Modules import each other by name within one namespace. Namespaces of one
/// runtime share compiled code but nothing else, and run in parallel.
#[derive(Clone)]
pub struct Namespace {
    pub(crate) shared: Arc<Shared>,
    engine: Arc<dyn Engine>,
}

impl Namespace {
    /// Stops guest code running in this namespace, from any thread.
    pub fn interrupt_handle(&self) -> InterruptHandle {
        InterruptHandle {
            flag: self.shared.interrupt.clone(),
        }
    }

    fn new(engine: &Arc<dyn Engine>, config: &RuntimeConfig) -> Self {
        let limits = StoreLimits {
            memory_limit_pages: config.memory_limit_pages,
            memory_capacity_from_max: config.memory_capacity_from_max,
            max_call_depth: config.max_call_depth,
            ..StoreLimits::default()
        };
        let mut store = Store::new(engine.clone(), limits);
        store.debug_info = config.debug_info;
        Self {
            shared: Arc::new(Shared::new(store)),
            engine: engine.clone(),
        }
    }

    /// Instantiates `compiled` here: resolves its imports among this namespace's
    /// modules, initializes memory and tables, runs its start section and then the
    /// configured start functions (default `_start`).
    ///
    /// If a start function fails, the module is closed (its name is free again) and
    /// the error returned; if it exits with code 0, that is success.
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
                let mut store = self.shared.lock()?;
                store.instantiate(
                    module.clone(),
                    code.clone(),
                    InstantiateConfig {
                        name,
                        skip_start: false,
                        data: config.data.take(),
                        sys: Some(Box::new(sys)),
                    },
                )?
            }
            CompiledKind::Host { name, functions } => {
                let name = config.name.clone().unwrap_or_else(|| name.clone());
                let mut store = self.shared.lock()?;
                let id = store.instantiate_host(&name, functions)?;
                store.instances[id.index()].data = config.data.take();
                id
            }
        };
        let module = Module::new(self.shared.clone(), id);
        for start in &config.start_functions {
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
        drop(store);
        Some(Module::new(self.shared.clone(), id))
    }

    /// Makes `module` importable under `name` as well (what the spec test suite's
    /// `register` command does).
    pub fn register(&self, name: &str, module: &Module) -> Result<()> {
        if !Arc::ptr_eq(&module.shared, &self.shared) {
            return Err(Error::InvalidArgument(
                "the module belongs to another namespace".to_string(),
            ));
        }
        self.shared.lock()?.alias(name, module.id);
        Ok(())
    }

    /// Starts a host module named `name` in this namespace.
    pub fn new_host_module_builder(&self, name: &str) -> HostModuleBuilder {
        HostModuleBuilder::new(self.clone(), name)
    }
}

impl HostModuleSink for Namespace {
    type Module = Module;
    type Compiled = CompiledModule;
    type Error = Error;

    fn instantiate_host(self, name: &str, functions: Vec<HostFunctionDef>) -> Result<Module> {
        let compiled = self.clone().compile_host(name, functions)?;
        self.instantiate_module(&compiled, ModuleConfig::new())
    }

    fn compile_host(self, name: &str, functions: Vec<HostFunctionDef>) -> Result<CompiledModule> {
        Ok(CompiledModule {
            inner: Arc::new(CompiledInner {
                kind: CompiledKind::Host {
                    name: name.to_string(),
                    functions,
                },
                engine: self.engine.clone(),
                custom_sections: Vec::new(),
            }),
        })
    }
}

impl Namespace {
    /// Closes every module in this namespace.
    pub fn close(&self) -> Result<()> {
        close_all(&self.shared)
    }
}

fn close_all(shared: &Shared) -> Result<()> {
    let mut store = shared.lock()?;
    for i in 0..store.instances.len() {
        store.close(wazero_store::InstanceId(i as u32), 0);
    }
    Ok(())
}

/// A module decoded, validated and compiled once, ready to instantiate many times
/// (wazero's `CompiledModule`). Cheap to clone, `Send + Sync`.
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
            CompiledKind::Host { name, functions } => functions
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

/// Decodes and validates `wasm`.
fn decode_and_validate(wasm: &[u8], features: CoreFeatures) -> Result<Arc<ValidatedModule>> {
    let module = wazero_decoder::decode(wasm, features)?;
    Ok(Arc::new(wazero_validator::validate(module, features)?))
}
