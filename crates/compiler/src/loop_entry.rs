//! Code that enters a function at one of its loops: on-stack replacement,
//! for the tiered engine, whose interpreter hands over a call it is running
//! at a loop's back-edge (`Engine::call_wasm_at_loop`).
//!
//! The module's own code has no such entries, so it costs nothing where no
//! call is handed over. When one is, the function is compiled again with
//! its entry block jumping into the loop (see `translate::LoopEntry`), into
//! pages of its own; the module keeps the result for the next call handed
//! over at that loop. It reaches the module's functions through their
//! table, so it needs no linking, and the signal handler and the
//! backtrace's frame walk find its trap sites and its frames through
//! [`VmCtx::loop_code`](crate::VmCtx::loop_code).

use cranelift_codegen::isa::TargetIsa;
use cranelift_codegen::Context;
use cranelift_frontend::FunctionBuilderContext;
use wazero_validator::ValidatedModule;

use crate::code_memory::CodeMemory;
use crate::module::{emit, CodegenConfig};
use crate::translate::{translate_function, Body};

/// A function's code entered at one of its loops.
pub struct LoopCode {
    /// Keeps the code mapped.
    memory: CodeMemory,
    /// The defined function it is the code of.
    index: u32,
    /// Its first address and the one past its end.
    start: usize,
    end: usize,
    /// Its trap sites' addresses, sorted, and what each raises.
    trap_sites: Box<[usize]>,
    trap_codes: Box<[u32]>,
}

impl LoopCode {
    /// Compiles defined function `index` of `module` entered at its `loop`
    /// at module offset `offset`, for a module compiled without the
    /// functions `left_out` marks (see `Translator::left_out`); an error if
    /// that loop cannot be entered (or Cranelift failed).
    pub(crate) fn compile(
        module: &ValidatedModule,
        isa: &dyn TargetIsa,
        config: CodegenConfig,
        (index, offset): (u32, u64),
        left_out: &[bool],
    ) -> Result<Self, String> {
        let globals: Vec<_> = module.global_types().iter().map(|g| g.content).collect();
        // A panic inside Cranelift (a bug) fails this compilation only.
        let emitted = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let func = translate_function(
                module,
                &globals,
                index as usize,
                isa.frontend_config(),
                config,
                u32::MAX,
                (Body::AtLoop(offset), left_out),
                &mut FunctionBuilderContext::new(),
            )?;
            emit(&mut Context::new(), func.func, isa)
        }))
        .unwrap_or_else(|_| Err("internal compiler error".to_string()))?;
        if !emitted.calls.is_empty() {
            return Err("loop entry code has calls to link".to_string());
        }
        let memory = CodeMemory::new(&emitted.code)?;
        let start = memory.address(0) as usize;
        Ok(Self {
            index,
            start,
            end: start + emitted.code.len(),
            trap_sites: emitted
                .traps
                .iter()
                .map(|&(o, _)| start + o as usize)
                .collect(),
            trap_codes: emitted.traps.iter().map(|&(_, c)| c).collect(),
            memory,
        })
    }

    /// Where the code starts: a function of the same signature as the
    /// function's own code.
    pub(crate) fn address(&self) -> *const u8 {
        self.memory.address(0)
    }

    /// The defined function whose frame `pc` is in, if it is in this code.
    pub(crate) fn function_at(&self, pc: usize) -> Option<u32> {
        (self.start..self.end).contains(&pc).then_some(self.index)
    }

    /// What the trap site at `pc` raises, if it is one of this code's (see
    /// `CompiledModule::trap_at`). Allocates nothing.
    pub(crate) fn trap_at(&self, pc: usize) -> Option<u32> {
        let i = self.trap_sites.binary_search(&pc).ok()?;
        Some(self.trap_codes[i])
    }
}
