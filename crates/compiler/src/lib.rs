//! The ISA-neutral part of wazero for Rust's native compiler.
//!
//! [`CraneliftEngine`] implements `wazero_store::Engine` on top of any Cranelift
//! [`TargetIsa`]: it translates every function of a validated module into
//! Cranelift IR (`translate`), compiles it, and maps the machine code read-only and
//! executable (`code_memory`). The ISA crates (`wazero-compiler-amd64`, later an
//! AArch64 one) build the `TargetIsa` for the host CPU, supply the entry stub
//! and fault registers ([`Arch`]) and wrap this engine; nothing here is specific
//! to x86-64.
//!
//! # Status
//!
//! All of WebAssembly 2.0, SIMD included, passes the spec test suite.
//!
//! # Design
//!
//! (`docs/design.md`, "The compiler", has the whole picture.)
//!
//! **VM context.** Compiled functions receive a pointer to a [`VmCtx`] (a
//! `#[repr(C)]` struct on the Rust stack of each call from Rust into an
//! instance) as their first argument: the trap slot, memory 0's base and length,
//! the store's interrupt flag, the native stack limit, the instance's index
//! spaces over the store's arrays, table 0, the module's code table and the
//! runtime calls ([`builtins`](vmctx::VmCtx::builtins)).
//!
//! **Calling convention.** Every compiled wasm function uses the ISA's default
//! calling convention with the signature `(vmctx, params...) -> result` when it
//! has at most one result, and `(vmctx, results_area, params...)` otherwise, the
//! results then being stored as `u64` slots in the caller's area. Calls between
//! functions of a module load the callee's address from the code table (no
//! relocations: code is position-independent and can be cached). Imported
//! functions and other instances' functions are called through a runtime call
//! with the arguments in a stack area of slots. Rust enters through the ISA
//! crate's entry stub ([`Arch`]) and an entry trampoline per function type that
//! moves values between `u64` slots and registers.
//!
//! **Traps.** Integer and conversion traps, `unreachable`, stack exhaustion and
//! interrupts are explicit checks that branch to a cold block, which stores the
//! trap code in `VmCtx::trap`, records the function for the backtrace and
//! returns; every caller checks the slot after a call and returns too. With
//! guard pages, out-of-bounds memory accesses fault instead and the signal
//! handler turns the fault into a trap ([`arch`](Arch) explains how).
//!
//! **Memory.** With guard pages ([`GUARD_RESERVATION`]) an access is
//! `base + address + offset` without a check; otherwise each access checks
//! `addr + offset + size <= length` first. `memory.grow` is a runtime call that
//! updates the context.
//!
//! **Stack and interrupts.** Function entries compare the native stack pointer
//! with a limit [`STACK_BUDGET`] bytes below where Rust first entered (trapping
//! "call stack exhausted") and, like loop headers, load the store's interrupt
//! flag and trap "interrupted" when it is set (the engine then clears it).
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
            config: CodegenConfig::default(),
        }
    }

    /// An engine entering compiled code through `arch`'s stub. With
    /// `guard_pages`, and where the platform lets this process handle faults
    /// (Linux), linear memories are reserved with guard pages
    /// ([`GUARD_RESERVATION`]) and accesses are not bounds-checked: a fault
    /// becomes a trap. Elsewhere, or without `guard_pages`, accesses are
    /// checked explicitly.
    pub fn with_arch(isa: OwnedTargetIsa, arch: Arch, guard_pages: bool) -> Self {
        let config = CodegenConfig {
            guard_pages,
            ..CodegenConfig::default()
        };
        Self::with_config(isa, arch, config)
    }

    /// [`with_arch`](Self::with_arch) with every code generation setting given
    /// (`config.guard_pages` is dropped where faults cannot be handled).
    pub fn with_config(isa: OwnedTargetIsa, arch: Arch, mut config: CodegenConfig) -> Self {
        config.guard_pages =
            config.guard_pages && cfg!(target_pointer_width = "64") && handles_faults(arch);
        Self {
            isa,
            arch: Some(arch),
            config,
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
            "{} {} cranelift-{} {} [{}] [{}] {:?}",
            self.name(),
            env!("CARGO_PKG_VERSION"),
            CRANELIFT_VERSION,
            self.isa.triple(),
            self.isa.flags(),
            isa_flags.join(" "),
            self.config,
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
