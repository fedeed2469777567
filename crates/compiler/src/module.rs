//! Compiling a module: every defined function and one entry trampoline per
//! function type, laid out in one block of executable memory.

use std::any::Any;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};

use cranelift_codegen::binemit::Reloc;
use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::entity::EntityRef;
use cranelift_codegen::ir::types::I64;
use cranelift_codegen::ir::{
    AbiParam, ExternalName, Function, InstBuilder, Signature, UserFuncName,
};
use cranelift_codegen::isa::TargetIsa;
use cranelift_codegen::Context;
use cranelift_codegen::FinalizedRelocTarget;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use wazero_api::FuncType;
use wazero_store::{CompileOptions, CompiledCode, COMPILE_INTERRUPTED};
use wazero_validator::ValidatedModule;

use crate::code_memory::CodeMemory;
use crate::loop_entry::LoopCode;
use crate::translate::{
    cl_type, load_slot, slot_offsets, store_slot, translate_function, unsupported, wasm_signature,
    Body,
};

/// The entry trampoline's type: `(vmctx, callee, values)`; parameters are read
/// from `values` and results written back there from index 0.
pub(crate) type Trampoline = unsafe extern "C" fn(*mut crate::VmCtx, *const u8, *mut u64);

/// A module's machine code, shared by all its instances.
pub struct CompiledModule {
    /// Keeps the code mapped; every address below points into it.
    memory: CodeMemory,
    /// Where everything is in the code, as offsets (for serialization).
    layout: Layout,
    /// Code address of each defined function (what `VmCtx::funcs` points at).
    funcs: Box<[usize]>,
    /// Entry trampoline address of each defined function (shared per type).
    trampolines: Box<[usize]>,
    /// End address of each defined function's code (they are laid out in
    /// order, so `funcs` is sorted).
    func_ends: Box<[usize]>,
    /// The code that enters a function at a loop, by defined function and
    /// module offset of the loop, compiled when first asked for (`None`:
    /// the loop cannot be entered).
    loop_entries: Mutex<LoopEntries>,
    /// Per defined function, whether it was left out of the compilation
    /// (`CompileOptions::only`): it has no code here, and the code calls it
    /// through the store. Empty when none was.
    left_out: Box<[bool]>,
    /// In code of some functions only: the machine code of each function
    /// compiled, before layout, for a later compilation of the module to
    /// reuse (`CompileOptions::reuse`). Empty in code of all functions.
    emitted: Box<[Option<Arc<Emitted>>]>,
    /// The module this code was compiled from, for `CompileOptions::reuse`
    /// to check (dangling after deserialization: such code is not reused).
    source: Weak<ValidatedModule>,
}

/// See [`CompiledModule::loop_entry`]: by defined function and module offset.
type LoopEntries = HashMap<(u32, u64), Option<Arc<LoopCode>>>;

impl CompiledCode for CompiledModule {
    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl CompiledModule {
    /// The table of function addresses, for the VM context.
    pub(crate) fn func_table(&self) -> *const *const u8 {
        self.funcs.as_ptr().cast()
    }

    /// The defined function whose code holds `pc`.
    pub(crate) fn function_at(&self, pc: usize) -> Option<u32> {
        let i = self
            .funcs
            .partition_point(|&start| start <= pc)
            .checked_sub(1)?;
        (pc < self.func_ends[i]).then_some(i as u32)
    }

    /// What the trap site at `pc` raises (a trap number for the context's
    /// trap slot, or 0 to keep the one a runtime call stored: see
    /// [`crate::trap::raised_at`]), or `None` if `pc` is not a trap site of
    /// this module. Allocates nothing (the signal handler calls it).
    pub(crate) fn trap_at(&self, pc: usize) -> Option<u32> {
        let offset = pc.checked_sub(self.memory.address(0) as usize)?;
        let offset = u32::try_from(offset).ok()?;
        let i = self.layout.trap_offsets.binary_search(&offset).ok()?;
        Some(u32::from(self.layout.trap_codes[i]))
    }

    /// Code address of defined function `index`.
    pub(crate) fn function(&self, index: usize) -> *const u8 {
        self.funcs[index] as *const u8
    }

    /// The code that enters defined function `index` of `module` (the
    /// module this code was compiled from) at its `loop` at module offset
    /// `offset`: compiled on the first request, kept for the next ones.
    /// `None` if that loop cannot be entered. Cranelift runs without the
    /// lock of the entries, so that a call asking for another one meanwhile
    /// (on the guest's thread, while a background thread compiles this one)
    /// does not wait.
    pub(crate) fn loop_entry(
        &self,
        module: &ValidatedModule,
        (isa, config): (&dyn TargetIsa, CodegenConfig),
        (index, offset): (u32, u64),
    ) -> Option<Arc<LoopCode>> {
        let known = self
            .loop_entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&(index, offset))
            .cloned();
        if let Some(entry) = known {
            return entry;
        }
        let code = LoopCode::compile(module, isa, config, (index, offset), self.left_out())
            .ok()
            .map(Arc::new);
        let mut entries = self.loop_entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.entry((index, offset)).or_insert(code).clone()
    }

    /// Whether the code that enters defined function `index` at its loop at
    /// `offset` was compiled (see [`Self::loop_entry`]): `Some(false)` if
    /// that loop cannot be entered, `None` if not compiled yet.
    pub(crate) fn loop_entry_compiled(&self, index: u32, offset: u64) -> Option<bool> {
        let entries = self.loop_entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.get(&(index, offset)).map(Option::is_some)
    }

    /// The entry trampoline of defined function `index`.
    pub(crate) fn trampoline(&self, index: usize) -> Trampoline {
        let addr = self.trampolines[index] as *const u8;
        // SAFETY: the address is the start of a trampoline compiled with the ISA's
        // default calling convention (that of `extern "C"`) and exactly the
        // signature of `Trampoline`, in memory kept mapped by `self`.
        unsafe { std::mem::transmute::<*const u8, Trampoline>(addr) }
    }
}

/// How to generate code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CodegenConfig {
    /// Rely on guard pages (and the signal handler) instead of explicit bounds
    /// checks for linear-memory accesses.
    pub guard_pages: bool,
    /// With `guard_pages`: the stores never let a 64-bit memory grow past
    /// 4 GiB (their memory limit is at most 65,536 pages), so a 64-bit memory
    /// a module defines as its memory 0 gets the guard pages of a 32-bit one
    /// ([`Engine::memory64_reservation`]), and an access to it checks only
    /// that the address fits in 32 bits.
    ///
    /// [`Engine::memory64_reservation`]: wazero_store::Engine::memory64_reservation
    pub memory64_guard_pages: bool,
    /// Read the store's interrupt poll page at function entries and loop headers
    /// (on by default; off only to measure what the checks cost: without them
    /// a runaway guest cannot be stopped).
    pub interrupt_checks: bool,
}

impl Default for CodegenConfig {
    fn default() -> Self {
        Self {
            guard_pages: false,
            memory64_guard_pages: false,
            interrupt_checks: true,
        }
    }
}

/// One function's machine code, before layout.
#[derive(Default)]
pub(crate) struct Emitted {
    pub(crate) code: Vec<u8>,
    /// Offsets (in `code`) of trap sites, with what each raises
    /// ([`crate::trap::raised_at`]).
    pub(crate) traps: Vec<(u32, u32)>,
    /// Calls of defined functions to link: the offset (in `code`) of the
    /// relocation, its kind, the callee's defined index, and the addend.
    pub(crate) calls: Vec<(u32, Reloc, u32, i64)>,
    /// Whether it calls some functions through the store because they were
    /// left out (see `crate::translate::Translated`).
    pub(crate) through_store: bool,
}

/// Below this many bytes of function bodies a module is compiled on the
/// calling thread: starting threads would cost more than they save.
const PARALLEL_THRESHOLD: usize = 64 << 10;

/// Compiles every defined function of `module` for `isa`, in parallel on all
/// cores when the module is large enough.
pub(crate) fn compile(
    module: &Arc<ValidatedModule>,
    isa: &dyn TargetIsa,
    arch: &crate::Arch,
    config: CodegenConfig,
    options: &CompileOptions<'_>,
) -> Result<CompiledModule, String> {
    let imported = module.imported_function_count() as usize;
    let globals: Vec<_> = module.global_types().iter().map(|g| g.content).collect();
    let count = module.code.len();
    let body_bytes: usize = module.code.iter().map(|c| c.range.len()).sum();
    let threads = if body_bytes < PARALLEL_THRESHOLD {
        1
    } else {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        match options.max_threads {
            0 => cores,
            most => cores.min(most),
        }
        .min(count)
    };
    // Functions left out get no code: the others call them through the
    // store (see `Translator::left_out`).
    let left_out: Box<[bool]> = match options.only {
        Some(only) => (0..count).map(|i| !only(i as u32)).collect(),
        None => Box::default(),
    };
    // Functions the code to reuse has (see `CompileOptions::reuse`): as
    // they are in code of some functions only; in code of all, those that
    // call no function through the store only because it was left out.
    let previous = options
        .reuse
        .and_then(|c| wazero_store::code_as::<CompiledModule>(c))
        .filter(|p| {
            // Code of this very module only: another module's functions
            // would run on this one's globals, tables and types.
            p.emitted.len() == count && p.source.upgrade().is_some_and(|m| Arc::ptr_eq(&m, module))
        });
    // A function is reused only if every function it calls directly has
    // code here: its direct calls are linked to them, and a function left
    // out has none (a call linked to it would run whatever code follows).
    let reusable = |index: usize| {
        let emitted = previous?.emitted[index].as_ref()?;
        let callees_here = emitted
            .calls
            .iter()
            .all(|&(_, _, callee, _)| left_out.get(callee as usize) != Some(&true));
        (callees_here && (options.only.is_some() || !emitted.through_store))
            .then(|| emitted.clone())
    };
    let next = AtomicUsize::new(0);
    let worker = || {
        let mut fctx = FunctionBuilderContext::new();
        let mut ctx = Context::new();
        let mut done = Vec::new();
        loop {
            let index = next.fetch_add(1, Ordering::Relaxed);
            if index >= count {
                break;
            }
            if (options.interrupted)() {
                done.push((index, Err(COMPILE_INTERRUPTED.to_string())));
                next.store(count, Ordering::Relaxed);
                break;
            }
            if left_out.get(index) == Some(&true) {
                done.push((index, Ok(Arc::default())));
                continue;
            }
            if let Some(emitted) = reusable(index) {
                done.push((index, Ok(emitted)));
                continue;
            }
            // A panic inside Cranelift (a bug, not the module's fault) must not
            // take the embedder down: it fails this compilation, and the
            // contexts are rebuilt in case it left them inconsistent.
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                translate_function(
                    module,
                    &globals,
                    index,
                    isa.frontend_config(),
                    config,
                    options.max_function_blocks,
                    (Body::Whole, &left_out),
                    &mut fctx,
                )
                .and_then(|t| {
                    let mut emitted = emit(&mut ctx, t.func, isa)?;
                    emitted.through_store = t.through_store;
                    Ok(Arc::new(emitted))
                })
            }))
            .unwrap_or_else(|panic| {
                fctx = FunctionBuilderContext::new();
                ctx = Context::new();
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                Err(format!("internal compiler error: {what}"))
            })
            .map_err(|e| match e.as_str() {
                COMPILE_INTERRUPTED => e,
                _ => format!("compiler: function[{}]: {e}", imported + index),
            });
            let failed = result.is_err();
            done.push((index, result));
            if failed {
                // Make the other workers stop too.
                next.store(count, Ordering::Relaxed);
                break;
            }
        }
        done
    };
    let mut results: Vec<Option<Result<Arc<Emitted>, String>>> = (0..count).map(|_| None).collect();
    let mut collect = |done: Vec<(usize, Result<Arc<Emitted>, String>)>| {
        for (i, r) in done {
            results[i] = Some(r);
        }
    };
    if threads <= 1 {
        collect(worker());
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads).map(|_| scope.spawn(worker)).collect();
            for h in handles {
                match h.join() {
                    Ok(done) => collect(done),
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
        });
    }
    // The first failure in function order, for a deterministic message.
    if let Some(Err(e)) = results.iter().flatten().find(|r| r.is_err()) {
        return Err(e.clone());
    }

    let mut code = Vec::new();
    let mut func_offsets = Vec::with_capacity(count);
    let mut func_ends = Vec::with_capacity(count);
    let mut trap_offsets = Vec::new();
    let mut trap_codes = Vec::new();
    let mut calls = Vec::new();
    let mut kept = Vec::with_capacity(if options.only.is_some() { count } else { 0 });
    for (index, r) in results.into_iter().enumerate() {
        let emitted = r.expect("every function was compiled")?;
        if options.only.is_some() {
            kept.push((left_out.get(index) != Some(&true)).then(|| emitted.clone()));
        }
        let offset = place(&mut code, &emitted.code);
        func_offsets.push(offset);
        func_ends.push(offset + emitted.code.len());
        for &(o, raised) in &emitted.traps {
            let at = u32::try_from(offset + o as usize)
                .map_err(|_| "compiler: the module's code exceeds 4 GiB".to_string())?;
            trap_offsets.push(at);
            trap_codes.push(u8::try_from(raised).expect("trap numbers fit a byte"));
        }
        calls.extend(
            emitted
                .calls
                .iter()
                .map(|&(o, kind, callee, addend)| (offset + o as usize, kind, callee, addend)),
        );
    }
    // No direct call may reach a function left out, which has no code
    // (translation calls those through the store; reuse checks its callees).
    if calls
        .iter()
        .any(|&(_, _, callee, _)| left_out.get(callee as usize) == Some(&true))
    {
        return Err("compiler: a direct call of a function left out".to_string());
    }
    link(&mut code, &func_offsets, &calls, arch)?;

    let frontend = isa.frontend_config();
    let mut fctx = FunctionBuilderContext::new();
    let mut ctx = Context::new();
    let mut by_type: HashMap<FuncType, usize> = HashMap::new();
    let mut tramp_offsets = Vec::with_capacity(count);
    for &type_index in &module.functions {
        let ty = &module.types[type_index as usize];
        let offset = match by_type.get(ty) {
            Some(&o) => o,
            None => {
                let func = entry_trampoline(ty, frontend, &mut fctx)?;
                let emitted =
                    emit(&mut ctx, func, isa).map_err(|e| format!("compiler: trampoline: {e}"))?;
                let o = place(&mut code, &emitted.code);
                by_type.insert(ty.clone(), o);
                o
            }
        };
        tramp_offsets.push(offset);
    }
    let mut compiled = CompiledModule::new(
        &code,
        Layout {
            funcs: func_offsets,
            func_ends,
            trampolines: tramp_offsets,
            trap_offsets,
            trap_codes,
        },
    )?;
    compiled.left_out = left_out;
    compiled.emitted = kept.into_boxed_slice();
    compiled.source = Arc::downgrade(module);
    Ok(compiled)
}

/// Patches every direct call at `calls` to its callee, now that all
/// functions have their place in `code` (the ISA crate knows its calls).
fn link(
    code: &mut [u8],
    funcs: &[usize],
    calls: &[(usize, Reloc, u32, i64)],
    arch: &crate::Arch,
) -> Result<(), String> {
    for &(at, kind, callee, addend) in calls {
        let target = *funcs
            .get(callee as usize)
            .ok_or("compiler: call of a function that does not exist")?;
        (arch.link_call)(code, at, kind, target, addend).map_err(|e| format!("compiler: {e}"))?;
    }
    Ok(())
}

/// The alignment of serialized code of at least this size
/// ([`CompiledModule::serialize`]): 64 KiB, the largest page size of the
/// systems the compiler targets, so that the code can be mapped from a file
/// that holds it wherever it was written.
pub(crate) const CODE_ALIGN: usize = 64 << 10;

/// Where a module's functions, trampolines and memory accesses are in its
/// code, as byte offsets.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Layout {
    funcs: Vec<usize>,
    func_ends: Vec<usize>,
    trampolines: Vec<usize>,
    /// Offsets of the trap sites (trap instructions and linear-memory
    /// accesses that may fault on a guard page), sorted. A module's code is
    /// at most 4 GiB: compilation refuses more. (A large module has millions
    /// of sites: 32 bits and 8 for their codes, rather than a word each, take
    /// a 28 MB module's sites from 30 to 8 MB, in memory and in a cache entry.)
    trap_offsets: Vec<u32>,
    /// What each trap site raises ([`crate::trap::raised_at`]).
    trap_codes: Vec<u8>,
}

impl Layout {
    /// Whether the layout is consistent with `code_len` bytes of code for a
    /// module of `count` defined functions: functions in order without overlap,
    /// everything inside the code. (Cached code is checksummed; this keeps a
    /// well-checksummed but wrong entry from pointing outside the code.)
    fn is_valid(&self, code_len: usize, count: usize) -> bool {
        let in_code = |o: &usize| *o < code_len;
        self.funcs.len() == count
            && self.func_ends.len() == count
            && self.trampolines.len() == count
            && self
                .funcs
                .iter()
                .zip(&self.func_ends)
                .all(|(s, e)| s < e && *e <= code_len)
            && self
                .funcs
                .windows(2)
                .zip(&self.func_ends)
                .all(|(w, e)| *e <= w[1])
            && self.trampolines.iter().all(in_code)
            && self.trap_offsets.iter().all(|&o| (o as usize) < code_len)
            && self.trap_offsets.windows(2).all(|w| w[0] < w[1])
            && self.trap_codes.len() == self.trap_offsets.len()
            && self
                .trap_codes
                .iter()
                .all(|&c| usize::from(c) <= crate::trap::CODES.len())
    }
}

impl CompiledModule {
    /// Maps `code` and resolves `layout` into addresses.
    fn new(code: &[u8], layout: Layout) -> Result<Self, String> {
        Ok(Self::with_memory(CodeMemory::new(code)?, layout))
    }

    /// Resolves `layout` into addresses of the code in `memory`.
    fn with_memory(memory: CodeMemory, layout: Layout) -> Self {
        let address = |o: &usize| memory.address(*o) as usize;
        let base = memory.address(0) as usize;
        CompiledModule {
            funcs: layout.funcs.iter().map(address).collect(),
            trampolines: layout.trampolines.iter().map(address).collect(),
            func_ends: layout.func_ends.iter().map(|&e| base + e).collect(),
            loop_entries: Mutex::default(),
            left_out: Box::default(),
            emitted: Box::default(),
            source: Weak::new(),
            memory,
            layout,
        }
    }

    /// Whether some functions were left out of this code
    /// (`CompileOptions::only`): it then runs only the calls of those
    /// compiled, and is not serialized.
    pub fn is_partial(&self) -> bool {
        self.left_out.contains(&true)
    }

    /// Per defined function, whether it was left out (empty when none
    /// was).
    pub(crate) fn left_out(&self) -> &[bool] {
        &self.left_out
    }

    /// Whether defined function `index` was left out: this code has none
    /// for it.
    pub(crate) fn is_left_out(&self, index: u32) -> bool {
        self.left_out.get(index as usize) == Some(&true)
    }

    /// The module as bytes: the code and its layout (see [`Self::deserialize`]).
    ///
    /// Little-endian: the code's length and its offset in the bytes (`u64`
    /// each); the function starts, ends and trampolines, each a count and its
    /// values (`u64`); the count of trap sites (`u64`), their offsets (`u32`)
    /// and their codes (`u8`); zeros up to the code's offset; then the code.
    /// Code of `CODE_ALIGN` (64 KiB) or more starts at a multiple of it, so
    /// that a file that begins with these bytes can be mapped there.
    pub fn serialize(&self) -> Vec<u8> {
        let code = self.memory.code();
        let l = &self.layout;
        let traps = l.trap_offsets.len();
        let head = 8 * (3 * l.funcs.len() + 6) + 5 * traps;
        let at = if code.len() >= CODE_ALIGN {
            head.next_multiple_of(CODE_ALIGN)
        } else {
            head
        };
        let mut out = Vec::with_capacity(at + code.len());
        let mut put = |v: usize| out.extend_from_slice(&(v as u64).to_le_bytes());
        put(code.len());
        put(at);
        for list in [&l.funcs, &l.func_ends, &l.trampolines] {
            put(list.len());
            for &v in list.iter() {
                put(v);
            }
        }
        put(traps);
        for &o in &l.trap_offsets {
            out.extend_from_slice(&o.to_le_bytes());
        }
        out.extend_from_slice(&l.trap_codes);
        debug_assert_eq!(out.len(), head);
        out.resize(at, 0);
        out.extend_from_slice(code);
        out
    }

    /// A module from [`Self::serialize`]'s bytes, for a module of `count`
    /// defined functions; `None` unless they are well-formed. With `file`,
    /// a file that begins with `bytes` and does not change while open, the
    /// code is mapped from it where it can be, rather than copied.
    pub fn deserialize(bytes: &[u8], count: usize, file: Option<&std::fs::File>) -> Option<Self> {
        let mut rest = bytes;
        let mut take = |n: usize| -> Option<&[u8]> {
            let (taken, after) = rest.split_at_checked(n)?;
            rest = after;
            Some(taken)
        };
        let mut word = || -> Option<usize> {
            usize::try_from(u64::from_le_bytes(take(8)?.try_into().ok()?)).ok()
        };
        let code_len = word()?;
        let code_at = word()?;
        let mut lists: [Vec<usize>; 3] = Default::default();
        for list in &mut lists {
            let n = word()?;
            if n > bytes.len() / 8 {
                return None;
            }
            *list = (0..n).map(|_| word()).collect::<Option<_>>()?;
        }
        let traps = word()?;
        let offsets = take(traps.checked_mul(4)?)?;
        let trap_offsets = offsets
            .chunks_exact(4)
            .map(|o| u32::from_le_bytes(o.try_into().expect("chunks of 4")))
            .collect();
        let trap_codes = take(traps)?.to_vec();
        let [funcs, func_ends, trampolines] = lists;
        let layout = Layout {
            funcs,
            func_ends,
            trampolines,
            trap_offsets,
            trap_codes,
        };
        let head = bytes.len() - rest.len();
        let code = bytes.get(code_at..)?;
        if code_at < head || code.len() != code_len || code_len == 0 {
            return None;
        }
        if !layout.is_valid(code_len, count) {
            return None;
        }
        // SAFETY: `file` begins with `bytes` and does not change while open
        // (this function's contract, from `Engine::deserialize`'s), so the
        // mapped bytes are `code`, which the caller has checked (a cache
        // entry's checksum) as this compiler's code for the module.
        let mapped =
            file.and_then(|f| unsafe { CodeMemory::map_file(f, code_at as u64, code_len) });
        match mapped {
            Some(memory) => Some(Self::with_memory(memory, layout)),
            None => Self::new(code, layout).ok(),
        }
    }
}

/// The machine code Cranelift generates for defined function `index` of
/// `module`, as a listing (Cranelift's own disassembly of its final
/// instructions, with block labels): for golden tests and for reading what the
/// compiler does with a function.
pub fn disassemble(
    module: &ValidatedModule,
    isa: &dyn TargetIsa,
    config: CodegenConfig,
    index: usize,
) -> Result<String, String> {
    let globals: Vec<_> = module.global_types().iter().map(|g| g.content).collect();
    let mut fctx = FunctionBuilderContext::new();
    let func = translate_function(
        module,
        &globals,
        index,
        isa.frontend_config(),
        config,
        u32::MAX,
        (Body::Whole, &[]),
        &mut fctx,
    )?
    .func;
    let mut ctx = Context::for_function(func);
    ctx.set_disasm(true);
    let compiled = ctx
        .compile(isa, &mut ControlPlane::default())
        .map_err(|e| format!("cranelift: {:?}", e.inner))?;
    compiled
        .vcode
        .clone()
        .ok_or_else(|| "no listing".to_string())
}

/// Appends `bytes` to `code` at the next 16-byte boundary; returns their offset.
fn place(code: &mut Vec<u8>, bytes: &[u8]) -> usize {
    code.resize(code.len().next_multiple_of(16), 0);
    let offset = code.len();
    code.extend_from_slice(bytes);
    offset
}

/// Compiles `func` to machine code.
pub(crate) fn emit(
    ctx: &mut Context,
    func: Function,
    isa: &dyn TargetIsa,
) -> Result<Emitted, String> {
    ctx.clear();
    // The defined index of each direct callee (Cranelift names them by
    // reference in the relocations).
    let callees: Vec<u32> = func
        .params
        .user_named_funcs()
        .values()
        .map(|n| n.index)
        .collect();
    ctx.func = func;
    let compiled = ctx
        .compile(isa, &mut ControlPlane::default())
        .map_err(|e| format!("cranelift: {:?}", e.inner))?;
    let mut calls = Vec::new();
    for reloc in compiled.buffer.relocs() {
        let callee = match &reloc.target {
            FinalizedRelocTarget::ExternalName(ExternalName::User(r)) => callees[r.index()],
            // Runtime library calls (e.g. float rounding on CPUs without
            // SSE4.1) are not linked.
            _ => {
                return Err(unsupported(
                    "code needing runtime library calls (CPU lacks features)",
                ))
            }
        };
        calls.push((reloc.offset, reloc.kind, callee, reloc.addend));
    }
    let mut traps: Vec<(u32, u32)> = compiled
        .buffer
        .traps()
        .iter()
        .map(|t| (t.offset, crate::trap::raised_at(t.code)))
        .collect();
    traps.sort_unstable();
    traps.dedup_by_key(|t| t.0);
    Ok(Emitted {
        code: compiled.code_buffer().to_vec(),
        traps,
        calls,
        through_store: false,
    })
}

/// The trampoline through which Rust enters a function of type `ty`.
fn entry_trampoline(
    ty: &FuncType,
    frontend: cranelift_codegen::isa::TargetFrontendConfig,
    fctx: &mut FunctionBuilderContext,
) -> Result<Function, String> {
    let call_conv = frontend.default_call_conv;
    let mut sig = Signature::new(call_conv);
    for _ in 0..3 {
        sig.params.push(AbiParam::new(I64));
    }
    let mut func = Function::with_name_signature(UserFuncName::user(1, 0), sig);
    let wasm_sig = wasm_signature(ty, crate::translate::WASM_CALL_CONV)?;
    let mut b = FunctionBuilder::new(&mut func, fctx);
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    let (vmctx, callee, values) = {
        let p = b.block_params(entry);
        (p[0], p[1], p[2])
    };
    let mut args = vec![vmctx];
    if ty.results().len() > 1 {
        // The callee stores its results as slots straight into `values`; the
        // parameters are all loaded before the call.
        args.push(values);
    }
    for (&p, o) in ty.params().iter().zip(slot_offsets(ty.params())) {
        let v = load_slot(&mut b, cl_type(p)?, values, o);
        args.push(v);
    }
    let sigref = b.import_signature(wasm_sig);
    let call = b.ins().call_indirect(sigref, callee, &args);
    if ty.results().len() == 1 {
        let r = b.inst_results(call)[0];
        store_slot(&mut b, r, values, 0);
    }
    b.ins().return_(&[]);
    b.seal_all_blocks();
    b.finalize(frontend);
    Ok(func)
}

/// Compiles `module` into an [`Arc`] of shared code.
pub(crate) fn compile_shared(
    module: &Arc<ValidatedModule>,
    isa: &dyn TargetIsa,
    arch: &crate::Arch,
    config: CodegenConfig,
    options: &CompileOptions<'_>,
) -> Result<Arc<dyn CompiledCode>, String> {
    Ok(Arc::new(compile(module, isa, arch, config, options)?))
}
