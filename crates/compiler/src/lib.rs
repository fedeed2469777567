//! The ISA-neutral part of wazero for Rust's native compiler.
//!
//! [`CraneliftEngine`] implements `wazero_store::Engine` on top of any Cranelift
//! [`TargetIsa`]: it translates every function of a validated module into
//! Cranelift IR (`translate`), compiles it, and maps the machine code read-only and
//! executable (`code_memory`). The ISA crates (`wazero-compiler-amd64` and
//! `wazero-compiler-arm64`) build the `TargetIsa` for the host CPU, supply the entry stub
//! and fault registers ([`Arch`]) and wrap this engine; nothing here is specific
//! to one ISA ([`isa`] holds what the ISA crates share).
//!
//! # Status
//!
//! All of WebAssembly 2.0, SIMD included, and of 3.0 but GC (extended
//! constants, relaxed SIMD, tail calls, typed function references,
//! multi-memory, memory64, exception handling with the legacy instructions)
//! passes the spec test suite.
//!
//! # Design
//!
//! (`docs/design.md`, "The compiler", has the whole picture.)
//!
//! **VM context.** Compiled functions receive a pointer to a [`VmCtx`] (a
//! `#[repr(C)]` struct on the Rust stack of each call from Rust into an
//! instance) as their first argument: the trap slot, memory 0's base and length,
//! the store's interrupt poll page, the native stack limit, the instance's index
//! spaces over the store's arrays, table 0, the module's code table and the
//! runtime calls ([`builtins`](vmctx::VmCtx::builtins)).
//!
//! **Calling convention.** Every compiled wasm function uses the ISA's default
//! calling convention with the signature `(vmctx, params...) -> result` when it
//! has at most one result, and `(vmctx, results_area, params...)` otherwise, the
//! results then being stored as `u64` slots in the caller's area. Calls between
//! functions of a module are direct (`call rel32` on x86-64, `bl` on AArch64), linked when the module's
//! functions are laid out in one block of code; the linked code is
//! position-independent and can be cached. `call_indirect` and the entry
//! trampolines load the callee's address from the module's code table. Imported
//! functions and other instances' functions are called through a runtime call
//! with the arguments in a stack area of slots. Rust enters through the ISA
//! crate's entry stub ([`Arch`]) and an entry trampoline per function type that
//! moves values between `u64` slots and registers.
//!
//! **Traps.** Integer and conversion traps, `unreachable`, failed checks of
//! `call_indirect`, stack exhaustion and interrupts are Cranelift trap
//! instructions (`ud2` on x86-64, `udf` on AArch64) whose trap codes are the wasm trap's; with
//! guard pages, out-of-bounds memory accesses fault instead. Either way the
//! signal handler finds the faulting instruction in the module's table of trap
//! sites, stores the trap code in the context and unwinds the whole call at
//! once to the entry stub, recording the backtrace from the frame pointers
//! ([`arch`](Arch) explains how). No caller checks anything after a call of
//! compiled code. A runtime call that fails (a host function's error, a table
//! access out of bounds) stores the trap in the context and returns; the
//! compiled code then checks the slot and traps with a code that keeps it.
//!
//! **Exceptions.** In a module with exception handlers, a thrown exception
//! travels through the context: every call is followed by a test of it, and
//! where it is set, per-block dispatch code asks the runtime which clause
//! catches it (`translate::exceptions` explains). Elsewhere an exception
//! ends the call like a trap.
//!
//! **Memory.** With guard pages ([`GUARD_RESERVATION`]) an access is
//! `base + address + offset` without a check; otherwise each access checks
//! `addr + offset + size <= length` first. `memory.grow` is a runtime call that
//! updates the context.
//!
//! **Stack and interrupts.** The prologue of every function that calls or has
//! a stack frame compares the native stack pointer, less the frame, with a limit
//! [`STACK_BUDGET`] bytes below where Rust first entered (Cranelift's stack
//! limit check, trapping "call stack exhausted"). Loop headers, and the entries
//! of functions that loop or call, read a byte of the store's poll page
//! ([`wazero_store::Interrupt`]), which faults while an interrupt is requested:
//! the fault traps "interrupted" (and the engine takes the request). No test,
//! no branch. Straight-line functions end soon by themselves and are not
//! checked.
//!
//! ```
//! use wazero_compiler::{CodegenConfig, CraneliftEngine};
//! use wazero_store::Engine;
//! # if cfg!(all(target_arch = "x86_64", target_os = "linux")) {
//! let isa = wazero_compiler_amd64::isa().unwrap();
//! let arch = wazero_compiler_amd64::arch().unwrap();
//! let engine = CraneliftEngine::new(isa, arch, CodegenConfig::default()).unwrap();
//! assert_eq!(engine.name(), "compiler");
//! # }
//! ```

mod arch;
mod builtins;
mod code_memory;
mod exec;
pub mod isa;
mod loop_entry;
mod module;
#[cfg(target_os = "linux")]
mod signals;
mod translate;
mod trap;
pub mod vmctx;

use std::sync::Arc;

pub use cranelift_codegen;
use cranelift_codegen::isa::{OwnedTargetIsa, TargetIsa};
use wazero_store::{CallError, CompileOptions, CompiledCode, Engine, FuncAddr, Store};
use wazero_validator::ValidatedModule;

pub use arch::{on_fault, Arch, EnterFn, FaultRegs, LinkCallFn, Stub};
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
    arch: Arch,
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
    /// An engine generating code for `isa`, which must be the host's (the code
    /// runs in this process), and entering it through `arch`'s stub.
    ///
    /// Traps of compiled code are signals (see [`Arch`]), so this installs the
    /// process's trap handler, and fails where it cannot (platforms other than
    /// Linux, for now). With `config.guard_pages` on a 64-bit host, linear
    /// memories are reserved with guard pages ([`GUARD_RESERVATION`]) and
    /// accesses are not bounds-checked.
    pub fn new(isa: OwnedTargetIsa, arch: Arch, mut config: CodegenConfig) -> Result<Self, String> {
        install_trap_handler(arch)?;
        config.guard_pages = config.guard_pages && cfg!(target_pointer_width = "64");
        config.memory64_guard_pages &= config.guard_pages;
        Ok(Self { isa, arch, config })
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
        self.compile_with(module, &CompileOptions::default())
    }

    fn compile_with(
        &self,
        module: &Arc<ValidatedModule>,
        options: &CompileOptions<'_>,
    ) -> Result<Arc<dyn CompiledCode>, String> {
        module::compile_shared(module, &*self.isa, &self.arch, self.config, options)
    }

    fn cache_key(&self) -> String {
        let isa_flags: Vec<String> = self.isa.isa_flags().iter().map(|v| v.to_string()).collect();
        format!(
            "{} {} cranelift-{} {} {} [{}] [{}] {:?}",
            self.name(),
            env!("CARGO_PKG_VERSION"),
            CRANELIFT_VERSION,
            vmctx::layout_fingerprint(),
            self.isa.triple(),
            self.isa.flags(),
            isa_flags.join(" "),
            self.config,
        )
    }

    fn serialize(&self, code: &dyn CompiledCode) -> Option<Vec<u8>> {
        let module = wazero_store::code_as::<CompiledModule>(code)?;
        // Code of some functions only serves the engine that asked for it.
        (!module.is_partial()).then(|| module.serialize())
    }

    fn deserialize(
        &self,
        module: &Arc<ValidatedModule>,
        bytes: &[u8],
        file: Option<&std::fs::File>,
    ) -> Option<Arc<dyn CompiledCode>> {
        let compiled = CompiledModule::deserialize(bytes, module.code.len(), file)?;
        Some(Arc::new(compiled))
    }

    fn memory_reservation(&self) -> u64 {
        if self.config.guard_pages {
            GUARD_RESERVATION
        } else {
            0
        }
    }

    fn memory64_reservation(&self) -> u64 {
        if self.config.memory64_guard_pages {
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
        exec::call(store, func, stack, &self.arch)
    }

    fn call_wasm_at_loop(
        &self,
        store: &mut Store,
        func: FuncAddr,
        offset: u32,
        locals: &[u64],
        stack: &mut [u64],
    ) -> Option<Result<(), CallError>> {
        exec::call_at_loop(
            store,
            func,
            (offset, locals),
            stack,
            (&self.arch, &*self.isa, self.config),
        )
    }

    fn loop_entry_compiled(
        &self,
        code: &dyn CompiledCode,
        index: u32,
        offset: u32,
    ) -> Option<bool> {
        match wazero_store::code_as::<CompiledModule>(code) {
            Some(compiled) => compiled.loop_entry_compiled(index, u64::from(offset)),
            None => Some(false),
        }
    }

    fn prepare_loop_entry(
        &self,
        module: &Arc<ValidatedModule>,
        code: &dyn CompiledCode,
        index: u32,
        offset: u32,
    ) {
        if let Some(compiled) = wazero_store::code_as::<CompiledModule>(code) {
            let at = (index, u64::from(offset));
            compiled.loop_entry(module, (&*self.isa, self.config), at);
        }
    }
}

/// Installs the trap handler of compiled code, or says why it cannot.
#[cfg(target_os = "linux")]
fn install_trap_handler(arch: Arch) -> Result<(), String> {
    signals::install(arch)
}

#[cfg(not(target_os = "linux"))]
fn install_trap_handler(_: Arch) -> Result<(), String> {
    Err("the compiler's trap handler supports Linux only".to_string())
}
