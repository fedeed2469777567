//! Compiling a module: every defined function and one entry trampoline per
//! function type, laid out in one block of executable memory.

use std::any::Any;
use std::collections::HashMap;
use std::sync::Arc;

use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::ir::types::I64;
use cranelift_codegen::ir::{AbiParam, Function, InstBuilder, Signature, UserFuncName};
use cranelift_codegen::isa::TargetIsa;
use cranelift_codegen::Context;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use wazero_api::FuncType;
use wazero_store::CompiledCode;
use wazero_validator::ValidatedModule;

use crate::code_memory::CodeMemory;
use crate::translate::{
    cl_type, load_slot, slot_offsets, store_slot, translate_function, unsupported, wasm_signature,
};

/// The entry trampoline's type: `(vmctx, callee, values)`; parameters are read
/// from `values` and results written back there from index 0.
pub(crate) type Trampoline = unsafe extern "C" fn(*mut crate::VmCtx, *const u8, *mut u64);

/// A module's machine code, shared by all its instances.
pub struct CompiledModule {
    /// Keeps the code mapped; every address below points into it.
    _memory: CodeMemory,
    /// Code address of each defined function (what `VmCtx::funcs` points at).
    funcs: Box<[usize]>,
    /// Entry trampoline address of each defined function (shared per type).
    trampolines: Box<[usize]>,
}

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

    /// Code address of defined function `index`.
    pub(crate) fn function(&self, index: usize) -> *const u8 {
        self.funcs[index] as *const u8
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

/// Compiles every defined function of `module` for `isa`.
pub(crate) fn compile(
    module: &ValidatedModule,
    isa: &dyn TargetIsa,
) -> Result<CompiledModule, String> {
    let frontend = isa.frontend_config();
    let mut fctx = FunctionBuilderContext::new();
    let mut ctx = Context::new();
    let mut code = Vec::new();
    let mut func_offsets = Vec::with_capacity(module.code.len());
    let imported = module.imported_function_count();
    let globals: Vec<_> = module.global_types().iter().map(|g| g.content).collect();
    for index in 0..module.code.len() {
        let func = translate_function(module, &globals, index, frontend, &mut fctx)?;
        let offset = emit(&mut ctx, func, isa, &mut code)
            .map_err(|e| format!("compiler: function[{}]: {e}", imported as usize + index))?;
        func_offsets.push(offset);
    }
    let mut by_type: HashMap<FuncType, usize> = HashMap::new();
    let mut tramp_offsets = Vec::with_capacity(module.code.len());
    for &type_index in &module.functions {
        let ty = &module.types[type_index as usize];
        let offset = match by_type.get(ty) {
            Some(&o) => o,
            None => {
                let func = entry_trampoline(ty, frontend, &mut fctx)?;
                let o = emit(&mut ctx, func, isa, &mut code)
                    .map_err(|e| format!("compiler: trampoline: {e}"))?;
                by_type.insert(ty.clone(), o);
                o
            }
        };
        tramp_offsets.push(offset);
    }
    let memory = CodeMemory::new(&code)?;
    let address = |o: &usize| memory.address(*o) as usize;
    Ok(CompiledModule {
        funcs: func_offsets.iter().map(address).collect(),
        trampolines: tramp_offsets.iter().map(address).collect(),
        _memory: memory,
    })
}

/// Compiles `func` and appends its code (16-byte aligned) to `code`; returns its offset.
fn emit(
    ctx: &mut Context,
    func: Function,
    isa: &dyn TargetIsa,
    code: &mut Vec<u8>,
) -> Result<usize, String> {
    ctx.clear();
    ctx.func = func;
    let compiled = ctx
        .compile(isa, &mut ControlPlane::default())
        .map_err(|e| format!("cranelift: {:?}", e.inner))?;
    if !compiled.buffer.relocs().is_empty() {
        // Only runtime library calls (e.g. float rounding on CPUs without
        // SSE4.1) produce relocations; nothing links them yet.
        return Err(unsupported(
            "code needing runtime library calls (CPU lacks features)",
        ));
    }
    code.resize(code.len().next_multiple_of(16), 0);
    let offset = code.len();
    code.extend_from_slice(compiled.code_buffer());
    Ok(offset)
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
    let wasm_sig = wasm_signature(ty, call_conv)?;
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
    module: &ValidatedModule,
    isa: &dyn TargetIsa,
) -> Result<Arc<dyn CompiledCode>, String> {
    Ok(Arc::new(compile(module, isa)?))
}
