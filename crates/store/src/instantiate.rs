//! Instantiation: resolve imports, allocate, initialize segments, run start.

use std::sync::Arc;

use wazero_api::{ExternType, GlobalType, HeapType, TableType, TrapCode, ValueType};
use wazero_decoder::{ConstExpr, DataMode, ElementMode, ImportDesc};
use wazero_validator::ValidatedModule;

use crate::store::empty_instance;
use crate::{
    funcref, CompiledCode, ExternVal, FuncKind, FunctionInstance, GlobalInstance, InstanceId,
    InstantiationError, LinkError, MemoryInstance, Store, Trap,
};

/// Per-instantiation choices.
#[derive(Default)]
pub struct InstantiateConfig {
    /// The name to register the instance under (empty: anonymous).
    pub name: String,
    /// Skip running the module's start section (used by no one yet; the spec runs it).
    pub skip_start: bool,
    /// Data for the instance's host functions (see [`crate::Caller`]), attached
    /// before the start section runs.
    pub data: Option<Box<dyn std::any::Any + Send>>,
    /// The system context (WASI state) of the instance, attached before the start
    /// section runs.
    pub sys: Option<Box<dyn std::any::Any + Send>>,
}

impl Store {
    /// Instantiates `module` (compiled by this store's engine into `code`).
    ///
    /// Imports are resolved by module name and field among the instances registered
    /// in this store. Element and data segments are applied in order; a trap there
    /// or in the start function fails instantiation (effects on imported tables and
    /// memories stay, as the spec requires). On success the instance is registered
    /// under `config.name` and returned pinned once (see [`Store::pin`]): the caller
    /// owns that pin. A failed instance is freed as soon as nothing reaches it
    /// (at once, unless functions of it were written into tables it imported).
    pub fn instantiate(
        &mut self,
        module: &Arc<ValidatedModule>,
        code: Arc<dyn CompiledCode>,
        mut config: InstantiateConfig,
    ) -> Result<InstanceId, InstantiationError> {
        if !config.name.is_empty() && self.instance_named(&config.name).is_some() {
            return Err(InstantiationError::NameInUse(config.name.clone()));
        }
        let mut inst = empty_instance(&config.name);
        for ty in &module.types {
            // The store's form of the signature: the signatures its references
            // name are the store's ids (equal signatures of any two modules
            // are one type), itself `HeapType::SELF`.
            let ids = &inst.sig_ids;
            let canonical = ty.map_concrete(|j| match ids.get(j as usize) {
                Some(id) => id.0,
                None => SELF,
            });
            let id = self.intern(&canonical);
            inst.sig_ids.push(id);
        }

        let exporters = self.resolve_imports(module, &mut inst)?;
        // References to their functions may now be held by this instance.
        for exporter in exporters {
            self.instances[exporter.index()].escaped = true;
        }
        inst.escaped = crate::lifecycle::module_escapes(module);
        let id = self.alloc_instance();
        let built = self.allocate(id, module, &mut inst, &config.name);
        inst.data_dropped = vec![false; module.data.len()];
        inst.module = Some(module.clone());
        inst.code = Some(Arc::new(crate::engine::InstanceCode(code)));
        inst.data = config.data.take();
        inst.sys = config.sys.take();
        self.instances[id.index()] = inst;
        self.add_users(id);
        // Pinned while it starts, so that nothing frees it meanwhile.
        self.pin(id);

        let result = built
            .and_then(|()| self.initialize_segments(id, module))
            .and_then(|()| match (module.start, config.skip_start) {
                (Some(start), false) => {
                    let func = self.instances[id.index()].functions[start as usize];
                    self.call(func, &mut []).map_err(InstantiationError::from)
                }
                _ => Ok(()),
            })
            .and_then(|()| {
                if self.register(&config.name, id) {
                    Ok(())
                } else {
                    Err(InstantiationError::NameInUse(config.name.clone()))
                }
            });
        if let Err(e) = result {
            // Not registered: it lives on only if functions it already wrote
            // into imported tables reach it, as the spec requires.
            self.pins.unpin(id);
            self.collect();
            return Err(e);
        }
        Ok(id)
    }

    /// Allocates the functions, tables, memories and globals `module` defines
    /// for instance `id` (recording each in `inst` as it goes, so that a
    /// failure half-way leaves nothing unaccounted for), and evaluates its
    /// exports and element segments.
    fn allocate(
        &mut self,
        id: InstanceId,
        module: &ValidatedModule,
        inst: &mut crate::ModuleInstance,
        name: &str,
    ) -> Result<(), InstantiationError> {
        // wazero's debug names: `module.function`, the instance's name first and
        // the name section's function names when debug info is on, else `$index`.
        let module_label = match (&module.names.module, name.is_empty()) {
            (Some(name), true) if self.debug_info => name.clone(),
            _ => name.to_string(),
        };
        let imported = module.imported_function_count();
        let mut defined = Vec::with_capacity(module.functions.len());
        for (i, &type_index) in module.functions.iter().enumerate() {
            let sig = inst.sig_ids[type_index as usize];
            let ty = self.sig_type(sig).clone();
            let index = imported + i as u32;
            let name = match module.names.functions.get(&index) {
                Some(n) if self.debug_info => format!("{module_label}.{n}"),
                _ => format!("{module_label}.${index}"),
            };
            defined.push(FunctionInstance {
                sig,
                ty,
                kind: FuncKind::Wasm {
                    instance: id,
                    index: i as u32,
                },
                debug_name: name.into(),
                host_names: None,
            });
        }
        let addrs = self.alloc_funcs(defined);
        inst.functions.extend(addrs);
        for (ty, init) in module.tables.iter().zip(&module.table_inits) {
            let ty = TableType {
                element: canonical(inst, ty.element),
                ..*ty
            };
            let init = init.as_ref().map_or(0, |e| self.eval_const(inst, e) as u64);
            let table = self
                .new_table(ty, init)
                .map_err(InstantiationError::Resource)?;
            inst.tables.push(table);
        }
        for &ty in &module.memories {
            // A 64-bit memory is reserved with guard pages only where the
            // engine's code relies on them (then it stays within 4 GiB).
            let (reserve, limit) = match ty.memory64 {
                true => match self.engine().memory64_reservation() {
                    0 => (0, self.limits.memory_limit_pages),
                    r => (r, self.limits.memory_limit_pages.min(wazero_api::MAX_PAGES)),
                },
                false => (
                    self.engine().memory_reservation(),
                    self.limits.memory_limit_pages,
                ),
            };
            let memory = MemoryInstance::with_reservation(
                ty,
                limit,
                self.limits.memory_capacity_from_max,
                reserve,
            )
            .map_err(InstantiationError::Resource)?;
            inst.memories.push(self.push_memory(memory));
        }
        for global in &module.globals {
            let value = self.eval_const(inst, &global.init);
            inst.globals.push(self.push_global(GlobalInstance {
                ty: GlobalType {
                    content: canonical(inst, global.ty.content),
                    ..global.ty
                },
                value,
            }));
        }
        for &type_index in &module.tags {
            let index = inst.tags.len();
            let export = module
                .exports
                .iter()
                .find(|e| e.kind == ExternType::Tag && e.index as usize == index);
            let name = match export {
                Some(e) => format!("{module_label}.{}", e.name),
                None => format!("{module_label}.$tag{index}"),
            };
            let sig = inst.sig_ids[type_index as usize];
            let ty = self.sig_type(sig).clone();
            inst.tags.push(self.new_tag(&ty, &name));
        }
        for export in &module.exports {
            let i = export.index as usize;
            let val = match export.kind {
                ExternType::Func => ExternVal::Func(inst.functions[i]),
                ExternType::Table => ExternVal::Table(inst.tables[i]),
                ExternType::Memory => ExternVal::Memory(inst.memories[i]),
                ExternType::Global => ExternVal::Global(inst.globals[i]),
                ExternType::Tag => ExternVal::Tag(inst.tags[i]),
            };
            inst.export_map.insert(export.name.clone(), val);
            inst.exports.push((export.name.clone(), val));
        }
        inst.elements = module
            .elements
            .iter()
            .map(|seg| {
                let items: Arc<[u64]> = seg
                    .items
                    .iter()
                    .map(|e| self.eval_const(inst, e) as u64)
                    .collect();
                Some(items)
            })
            .collect();
        Ok(())
    }

    /// Resolves `module`'s imports into `inst`; returns the instances they
    /// come from.
    fn resolve_imports(
        &self,
        module: &ValidatedModule,
        inst: &mut crate::ModuleInstance,
    ) -> Result<Vec<InstanceId>, LinkError> {
        let mut exporters = Vec::new();
        for import in &module.imports {
            let kind = import.desc.extern_type();
            let unknown_module = || LinkError::UnknownModule {
                module: import.module.clone(),
                field: import.name.clone(),
                kind,
            };
            let exporter = self
                .instance_named(&import.module)
                .ok_or_else(unknown_module)?;
            exporters.push(exporter);
            let exporter = &self.instances[exporter.index()];
            if exporter.closed.is_some() {
                return Err(unknown_module());
            }
            let val = exporter
                .export(&import.name)
                .ok_or_else(|| LinkError::UnknownExport {
                    module: import.module.clone(),
                    field: import.name.clone(),
                    kind,
                })?;
            let mismatch = |expected: String, found: String| LinkError::IncompatibleType {
                module: import.module.clone(),
                field: import.name.clone(),
                expected,
                found,
            };
            match (import.desc, val) {
                (ImportDesc::Func(t), ExternVal::Func(addr)) => {
                    // Signatures match when they are the same type, which
                    // the store's ids say (typed references included).
                    let want = self.sig_type(inst.sig_ids[t as usize]);
                    let have = &self.funcs[addr.index()].ty;
                    if want != have {
                        return Err(mismatch(format!("func{want}"), format!("func{have}")));
                    }
                    inst.functions.push(addr);
                    let (host, direct) = match &self.funcs[addr.index()].kind {
                        crate::FuncKind::Host { func, direct, .. } => {
                            (Some(func.clone()), crate::DirectImport::of(direct.as_ref()))
                        }
                        crate::FuncKind::Wasm { .. } => (None, crate::DirectImport::NONE),
                    };
                    inst.host_imports.push(host);
                    inst.direct_imports.push(direct);
                }
                (ImportDesc::Table(want), ExternVal::Table(addr)) => {
                    let want = TableType {
                        element: canonical(inst, want.element),
                        ..want
                    };
                    let have = self.tables[addr.index()].current_type();
                    if !table_matches(&have, &want) {
                        return Err(mismatch(table_desc(&want), table_desc(&have)));
                    }
                    inst.tables.push(addr);
                }
                (ImportDesc::Memory(want), ExternVal::Memory(addr)) => {
                    let m = &self.memories[addr.index()];
                    let have = wazero_api::Limits {
                        min: u64::from(m.size_pages()),
                        max: m.ty().limits.max,
                    };
                    if !have.matches(&want.limits) || m.ty().memory64 != want.memory64 {
                        let index = |m64: bool| if m64 { " i64" } else { "" };
                        return Err(mismatch(
                            format!("memory{}{}", index(want.memory64), want.limits),
                            format!("memory{}{have}", index(m.ty().memory64)),
                        ));
                    }
                    inst.memories.push(addr);
                }
                (ImportDesc::Global(want), ExternVal::Global(addr)) => {
                    let want = GlobalType {
                        content: canonical(inst, want.content),
                        ..want
                    };
                    let have: GlobalType = self.globals[addr.index()].ty;
                    // An immutable global may be of a subtype (a non-null or
                    // signature-typed reference where a `funcref` is wanted);
                    // a mutable one must be of the type itself.
                    let matches = have.mutable == want.mutable
                        && have.content.is_subtype_of(want.content)
                        && (!want.mutable || want.content.is_subtype_of(have.content));
                    if !matches {
                        return Err(mismatch(format!("global {want}"), format!("global {have}")));
                    }
                    inst.globals.push(addr);
                }
                (ImportDesc::Tag(t), ExternVal::Tag(addr)) => {
                    // Tags match when their types are the same.
                    let want = inst.sig_ids[t as usize];
                    let have = self.tags[addr.index()].sig;
                    if want != have {
                        let (want, have) = (self.sig_type(want), self.sig_type(have));
                        return Err(mismatch(format!("tag{want}"), format!("tag{have}")));
                    }
                    inst.tags.push(addr);
                }
                (desc, val) => {
                    let found = val.extern_type();
                    return Err(mismatch(desc.extern_type().to_string(), found.to_string()));
                }
            }
        }
        Ok(exporters)
    }

    /// Evaluates a constant expression in the context of a (partial) instance.
    fn eval_const(&self, inst: &crate::ModuleInstance, expr: &ConstExpr) -> u128 {
        expr.eval(
            |g| self.globals[inst.globals[g as usize].index()].value,
            |f| u128::from(funcref(inst.functions[f as usize])),
        )
    }

    fn initialize_segments(
        &mut self,
        id: InstanceId,
        module: &ValidatedModule,
    ) -> Result<(), InstantiationError> {
        let trap = |code| InstantiationError::Start(Trap::new(code).into());
        for (i, seg) in module.elements.iter().enumerate() {
            match &seg.mode {
                &ElementMode::Active { table, ref offset } => {
                    let inst = &self.instances[id.index()];
                    let offset = self.eval_const(inst, offset) as u32 as usize;
                    let items = inst.elements[i].clone().unwrap_or_default();
                    let table = &mut self.tables[inst.tables[table as usize].index()];
                    let dst = offset
                        .checked_add(items.len())
                        .and_then(|end| table.elements.get_mut(offset..end))
                        .ok_or_else(|| trap(TrapCode::TableOutOfBounds))?;
                    dst.copy_from_slice(&items);
                    self.instances[id.index()].elements[i] = None;
                }
                ElementMode::Declared => self.instances[id.index()].elements[i] = None,
                ElementMode::Passive => {}
            }
        }
        for (i, seg) in module.data.iter().enumerate() {
            if let DataMode::Active { memory, ref offset } = seg.mode {
                let inst = &self.instances[id.index()];
                let addr = inst.memories[memory as usize];
                // An `i64` offset for a 64-bit memory, else an `i32`.
                let offset = self.eval_const(inst, offset) as u64;
                let offset = match self.memories[addr.index()].ty().memory64 {
                    true => offset,
                    false => offset as u32 as u64,
                };
                let bytes = module.data_bytes(seg);
                if !self.memories[addr.index()].write(offset, bytes) {
                    return Err(trap(TrapCode::MemoryOutOfBounds));
                }
                self.instances[id.index()].data_dropped[i] = true;
            }
        }
        Ok(())
    }
}

fn table_matches(have: &TableType, want: &TableType) -> bool {
    have.element == want.element
        && have.table64 == want.table64
        && have.limits.matches(&want.limits)
}

/// `ty` of a module in the store's form: the signatures it names are the
/// store's ids (see [`Store::instantiate`]).
fn canonical(inst: &crate::ModuleInstance, ty: ValueType) -> ValueType {
    ty.map_concrete(|j| inst.sig_ids[j as usize].0)
}

/// A signature's reference to itself, in the store's form.
const SELF: u32 = match HeapType::SELF {
    HeapType::Concrete(i) => i,
    _ => unreachable!(),
};

fn table_desc(t: &TableType) -> String {
    format!("table{} {}", t.limits, t.element)
}
