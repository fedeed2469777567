//! The ISA-neutral part of wazero for Rust's native compiler.
//!
//! [`CraneliftEngine`] implements `wazero_store::Engine` on top of any Cranelift
//! [`TargetIsa`]: it translates every function of a validated module into
//! Cranelift IR (`translate`), compiles it, and maps the machine code read-only and
//! executable (`code_memory`). The ISA crates (`wazero-compiler-amd64`, later an
//! AArch64 one) only build the `TargetIsa` for the host CPU and wrap this engine;
//! nothing here is specific to x86-64.
//!
//! # Status
//!
//! The scalar core of WebAssembly 2.0 is compiled: numeric instructions with the
//! spec's traps, locals, globals, all control flow (multi-value blocks
//! included), direct calls within a module, linear memory loads and stores,
//! `memory.size` and `memory.grow`. Modules using anything else (SIMD, tables and
//! `call_indirect`, bulk memory, reference types, imported functions) fail to
//! compile with `compiler: <feature> not supported yet`.
//!
//! # Design
//!
//! **VM context.** Compiled functions receive a pointer to a [`VmCtx`] (a
//! `#[repr(C)]` struct on the Rust stack of the call) as their first argument. It
//! holds the trap slot, memory 0's base and length, the store's interrupt flag,
//! the native stack limit, the store's global array with the instance's global
//! index space, the module's function table and the `memory.grow` runtime call.
//!
//! **Calling convention.** Every compiled wasm function uses the ISA's default
//! calling convention with the signature `(vmctx, params...) -> result` when it
//! has at most one result, and `(vmctx, results_area, params...)` otherwise, the
//! results then being stored as `u64` slots in the caller's area. Calls between
//! functions of a module load the callee's address from the function table in the
//! VM context (no relocations to resolve). Rust enters compiled code through an
//! entry trampoline per function type, `(vmctx, callee, values)`, that loads the
//! parameters from the `u64` slots and stores the results back, in the slot
//! encodings of `wazero_api`.
//!
//! **Traps.** Compiled code never faults on purpose: every trap condition is an
//! explicit check that branches to a cold block which stores the trap code in
//! `VmCtx::trap` and returns (with zero results). After every call the caller
//! checks the slot and returns at once if it is set, so a trap unwinds through
//! ordinary returns to the trampoline, and the engine turns the code into a
//! `Trap`. This is the simplest sound scheme without signal handlers; a later
//! design with guard pages and a `SIGSEGV` handler can replace the checks by trap
//! tables (Cranelift's own trap sites) and drop the post-call check. Backtraces
//! only name the function Rust entered for now.
//!
//! **Memory.** Each load or store reads the memory base and length from the VM
//! context and checks `addr + offset + size <= length` in 64-bit arithmetic before
//! accessing memory. `memory.size` is derived from the length; `memory.grow` is a
//! runtime call that updates the context.
//!
//! **Stack and interrupts.** Function entries compare the native stack pointer
//! with a limit [`STACK_BUDGET`] bytes below where Rust entered (trapping "call
//! stack exhausted") and, like loop headers, load the store's interrupt flag and
//! trap "interrupted" when it is set (the engine then clears it).
//!
//! ```
//! use wazero_store::Engine;
//! # if cfg!(target_arch = "x86_64") {
//! let isa = wazero_compiler_amd64::isa().unwrap();
//! let engine = wazero_compiler::CraneliftEngine::new(isa);
//! assert_eq!(engine.name(), "compiler");
//! # }
//! ```

mod arch;
mod builtins;
mod code_memory;
mod exec;
mod module;
#[cfg(target_os = "linux")]
mod signals;
mod translate;
mod trap;
pub mod vmctx;

use std::sync::Arc;

pub use cranelift_codegen;
use cranelift_codegen::isa::{OwnedTargetIsa, TargetIsa};
use wazero_store::{CallError, CompiledCode, Engine, FuncAddr, Store};
use wazero_validator::ValidatedModule;

pub use arch::{on_fault, Arch, EnterFn, FaultRegs};
pub use code_memory::CodeMemory;
pub use exec::STACK_BUDGET;
pub use module::{disassemble, CodegenConfig, CompiledModule};
pub use trap::{trap_from_u32, trap_to_u32};
pub use vmctx::VmCtx;

/// The address space reserved for each linear memory when bounds checks are
/// elided: any wasm32 address (`u32` index plus `u32` offset plus an access of
/// up to 16 bytes) lands inside it.
pub const GUARD_RESERVATION: u64 = (1 << 33) + (64 << 10);

/// The Cranelift version code is generated with (part of the cache key).
const CRANELIFT_VERSION: &str = "0.135";

/// The compiler engine for one Cranelift target.
#[derive(Clone)]
pub struct CraneliftEngine {
    isa: OwnedTargetIsa,
    arch: Option<Arch>,
    config: CodegenConfig,
}

impl std::fmt::Debug for CraneliftEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CraneliftEngine")
            .field("isa", &self.isa.name())
            .field("guard_pages", &self.config.guard_pages)
            .finish()
    }
}

impl CraneliftEngine {
    /// An engine generating code for `isa`, which must be the host's: the code
    /// runs in this process. Every linear-memory access is bounds-checked.
    pub fn new(isa: OwnedTargetIsa) -> Self {
        Self {
            isa,
            arch: None,
            config: CodegenConfig { guard_pages: false },
        }
    }

    /// An engine entering compiled code through `arch`'s stub. With
    /// `guard_pages`, and where the platform lets this process handle faults
    /// (Linux), linear memories are reserved with guard pages
    /// ([`GUARD_RESERVATION`]) and accesses are not bounds-checked: a fault
    /// becomes a trap. Elsewhere, or without `guard_pages`, accesses are
    /// checked explicitly.
    pub fn with_arch(isa: OwnedTargetIsa, arch: Arch, guard_pages: bool) -> Self {
        let guard_pages = guard_pages && cfg!(target_pointer_width = "64") && handles_faults(arch);
        Self {
            isa,
            arch: Some(arch),
            config: CodegenConfig { guard_pages },
        }
    }

    /// Whether memory accesses rely on guard pages instead of bounds checks.
    pub fn guard_pages(&self) -> bool {
        self.config.guard_pages
    }

    /// The target.
    pub fn isa(&self) -> &dyn TargetIsa {
        &*self.isa
    }
}

impl Engine for CraneliftEngine {
    fn name(&self) -> &'static str {
        "compiler"
    }

    fn compile(&self, module: &Arc<ValidatedModule>) -> Result<Arc<dyn CompiledCode>, String> {
        module::compile_shared(module, &*self.isa, self.config)
    }

    fn cache_key(&self) -> String {
        let isa_flags: Vec<String> = self.isa.isa_flags().iter().map(|v| v.to_string()).collect();
        format!(
            "{} {} cranelift-{} {} [{}] [{}] guard_pages={}",
            self.name(),
            env!("CARGO_PKG_VERSION"),
            CRANELIFT_VERSION,
            self.isa.triple(),
            self.isa.flags(),
            isa_flags.join(" "),
            self.config.guard_pages,
        )
    }

    fn serialize(&self, code: &dyn CompiledCode) -> Option<Vec<u8>> {
        let module = code.as_any().downcast_ref::<CompiledModule>()?;
        Some(module.serialize())
    }

    fn deserialize(
        &self,
        module: &Arc<ValidatedModule>,
        bytes: &[u8],
    ) -> Option<Arc<dyn CompiledCode>> {
        let compiled = CompiledModule::deserialize(bytes, module.code.len())?;
        Some(Arc::new(compiled))
    }

    fn memory_reservation(&self) -> u64 {
        if self.config.guard_pages {
            GUARD_RESERVATION
        } else {
            0
        }
    }

    fn call_wasm(
        &self,
        store: &mut Store,
        func: FuncAddr,
        stack: &mut [u64],
    ) -> Result<(), CallError> {
        exec::call(store, func, stack, self.arch.as_ref())
    }
}

/// Installs the fault handler; whether faults of compiled code become traps.
#[cfg(target_os = "linux")]
fn handles_faults(arch: Arch) -> bool {
    signals::install(arch).is_ok()
}

#[cfg(not(target_os = "linux"))]
fn handles_faults(_: Arch) -> bool {
    false
}
