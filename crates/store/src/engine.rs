//! The boundary between the store and the engines that run code.

use std::any::{Any, TypeId};
use std::sync::Arc;

use wazero_validator::ValidatedModule;

use crate::{CallError, Caller, FuncAddr, HostError, Store};

/// A function implemented in Rust: it reads its parameters from `stack` and writes
/// its results back from index 0 (the stack is as long as the larger of the two),
/// with access to the calling module through the [`Caller`].
pub type HostFunc = Arc<HostFn>;

/// The closure behind a [`HostFunc`].
pub type HostFn = dyn Fn(&mut Caller<'_>, &mut [u64]) -> HostResult + Send + Sync + 'static;

/// What a [`HostFn`] returns: its failure is boxed, so that success, the
/// outcome of nearly every call, is one null pointer in a register instead of
/// an enum written through memory (compiled code calls host functions in
/// tight loops).
pub type HostResult = Result<(), Box<HostError>>;

/// An engine's compiled form of one module, shared by every instance of it.
pub trait CompiledCode: Any + Send + Sync {
    /// For the engine to get its own type back.
    fn as_any(&self) -> &dyn Any;

    /// The part of this code of type `ty`: the code itself when it has that
    /// type (the default), or one of the parts of code that holds several
    /// engines' forms of one module (a tiered engine's interpreter code and
    /// compiled code). Engines find their own code with [`code_as`].
    fn part(&self, ty: TypeId) -> Option<&dyn Any> {
        let any = self.as_any();
        (any.type_id() == ty).then_some(any)
    }

    /// Tells this code that its functions run in another tier from now on:
    /// every call of them must go through [`Engine::call_wasm`], which
    /// decides where they run, instead of a fast path of this code's own
    /// (the interpreter's direct calls within a module). Code keeps working
    /// after it is retired: a call already running, or one that took the
    /// fast path before it saw the change, runs it to its end.
    fn retire(&self) {}

    /// [`CompiledCode::retire`] for defined function `index` alone (its
    /// index among the module's defined functions): its calls go through
    /// [`Engine::call_wasm`] from now on, the other functions' keep their
    /// fast paths.
    fn retire_function(&self, index: u32) {
        let _ = index;
    }

    /// How often each defined function was found running when the store
    /// running it was poked ([`Interrupt::poke`](crate::Interrupt::poke)):
    /// `(defined index, samples)` for every function sampled at least once.
    /// A tiered engine pokes the stores running a module now and then to
    /// learn which of its functions run hot. Code that keeps no samples
    /// (the default) has none.
    fn samples(&self) -> Vec<(u32, u32)> {
        Vec::new()
    }
}

/// The part of `code` of type `T` (see [`CompiledCode::part`]): how an engine
/// finds its own code in an instance, alone or beside another tier's.
///
/// ```
/// use std::any::Any;
/// use wazero_store::{code_as, CompiledCode};
/// struct Mine(u32);
/// impl CompiledCode for Mine {
///     fn as_any(&self) -> &dyn Any { self }
/// }
/// let code: &dyn CompiledCode = &Mine(7);
/// assert_eq!(code_as::<Mine>(code).map(|m| m.0), Some(7));
/// assert!(code_as::<String>(code).is_none());
/// ```
pub fn code_as<T: Any>(code: &dyn CompiledCode) -> Option<&T> {
    code.part(TypeId::of::<T>())?.downcast_ref::<T>()
}

/// An instance's own handle on its module's compiled code: every instance of a
/// module shares the code, and engines take a reference for each call, so
/// that reference is counted on a per-instance allocation, not on the shared
/// one that threads running other instances of the module would bounce
/// between their cores.
pub(crate) struct InstanceCode(pub(crate) Arc<dyn CompiledCode>);

impl CompiledCode for InstanceCode {
    fn as_any(&self) -> &dyn Any {
        self.0.as_any()
    }

    fn part(&self, ty: TypeId) -> Option<&dyn Any> {
        self.0.part(ty)
    }

    fn retire(&self) {
        self.0.retire();
    }

    fn retire_function(&self, index: u32) {
        self.0.retire_function(index);
    }

    fn samples(&self) -> Vec<(u32, u32)> {
        self.0.samples()
    }
}

/// What [`Engine::serialize_when_ready`] calls with the bytes of the code.
pub type SerializedThen = Box<dyn FnOnce(Vec<u8>) + Send>;

/// What an engine's compilation may spend, and how to stop it
/// ([`Engine::compile_with`]).
pub struct CompileOptions<'a> {
    /// Asked between functions: true stops the compilation with
    /// [`COMPILE_INTERRUPTED`].
    pub interrupted: &'a (dyn Fn() -> bool + Sync),
    /// The most blocks (`block`, `loop`, `if`) a function may have for an
    /// engine whose compile memory grows with them; a larger function fails
    /// to compile, with an error naming it.
    pub max_function_blocks: u32,
    /// The most threads a compilation may keep busy at once; 0 (the default)
    /// for as many as the machine has cores. A compilation in the background
    /// of running guests leaves them a core.
    pub max_threads: usize,
    /// With `Some`, only the defined functions (by index among the
    /// module's defined functions) it answers true for are compiled; the
    /// code calls each of the others through the store (so through
    /// [`Engine::call_wasm`], where a tiered engine runs it in its first
    /// tier). Such code runs only the functions compiled; a call of
    /// another function must be sent elsewhere by the caller. `None` (the
    /// default) compiles every function. Engines that cannot leave
    /// functions out compile them all.
    pub only: Option<&'a (dyn Fn(u32) -> bool + Sync)>,
    /// Code this engine compiled before for the same module under the same
    /// options but [`CompileOptions::only`] (a tiered engine's batches of
    /// hot functions): an engine may take from it the functions it holds
    /// instead of compiling them again. `None` (the default) compiles all.
    pub reuse: Option<&'a dyn CompiledCode>,
}

impl Default for CompileOptions<'_> {
    fn default() -> Self {
        Self {
            interrupted: &|| false,
            max_function_blocks: DEFAULT_MAX_FUNCTION_BLOCKS,
            max_threads: 0,
            only: None,
            reuse: None,
        }
    }
}

/// The default of [`CompileOptions::max_function_blocks`]: Cranelift needs
/// about 1.7 KB per block while it compiles a function, so about 450 MB for
/// the largest function a compiling thread may take.
pub const DEFAULT_MAX_FUNCTION_BLOCKS: u32 = 1 << 18;

/// The error of a compilation stopped by [`CompileOptions::interrupted`].
pub const COMPILE_INTERRUPTED: &str = "compilation interrupted";

/// An execution engine: the interpreter or a compiler.
///
/// Values cross this boundary as `u64` slots (see `wazero_api`'s encodings): a call
/// receives its parameters in `stack` and leaves its results there from index 0.
pub trait Engine: Send + Sync + 'static {
    /// A short name for messages ("interpreter", "compiler").
    fn name(&self) -> &'static str;

    /// Translates or compiles every function of `module`, once for all its instances.
    fn compile(&self, module: &Arc<ValidatedModule>) -> Result<Arc<dyn CompiledCode>, String>;

    /// [`Engine::compile`] within `options`: an engine whose compilation takes
    /// long or much memory checks for interruption between functions and
    /// refuses functions past the limits (the default ignores them: an engine
    /// that translates on first call spends little here).
    fn compile_with(
        &self,
        module: &Arc<ValidatedModule>,
        options: &CompileOptions<'_>,
    ) -> Result<Arc<dyn CompiledCode>, String> {
        let _ = options;
        self.compile(module)
    }

    /// The address space each linear memory must reserve, with everything past
    /// its current length inaccessible (guard pages), for an engine whose code
    /// relies on faults instead of bounds checks; 0 (the default) for plain
    /// allocations.
    fn memory_reservation(&self) -> u64 {
        0
    }

    /// [`Engine::memory_reservation`] for the 64-bit memories a module
    /// defines: 0 (the default) when their accesses are checked explicitly.
    /// Otherwise such a memory is reserved like a 32-bit one, and never grows
    /// past 4 GiB, whatever the store's memory limit (an engine asks for it
    /// only where that limit is at most 4 GiB).
    fn memory64_reservation(&self) -> u64 {
        0
    }

    /// What identifies this engine's code for a compilation cache: its name and
    /// version and everything that changes the code it generates (target CPU
    /// features, settings). Code cached under another key is never used.
    fn cache_key(&self) -> String {
        format!("{} {}", self.name(), env!("CARGO_PKG_VERSION"))
    }

    /// `code` as bytes for a compilation cache on disk, or `None` when this
    /// engine's code cannot be stored (the default).
    fn serialize(&self, code: &dyn CompiledCode) -> Option<Vec<u8>> {
        let _ = code;
        None
    }

    /// [`serialize`](Self::serialize) for code that may become serializable
    /// later (a tiered engine's compiled tier, made in the background):
    /// calls `then` once with the bytes, now or when they exist, or never if
    /// they never do. The default calls it now with what `serialize` gives.
    fn serialize_when_ready(&self, code: &Arc<dyn CompiledCode>, then: SerializedThen) {
        if let Some(bytes) = self.serialize(&**code) {
            then(bytes);
        }
    }

    /// Code from bytes made by [`serialize`](Self::serialize) for `module`, or
    /// `None` when they are not well-formed code of this engine for it.
    ///
    /// `file`, when given, is a file that begins with `bytes` and that does
    /// not change while it is open (a compilation cache's entry): an engine
    /// may map parts of it, its machine code above all, rather than copy them
    /// out of `bytes`. Its [`serialize`](Self::serialize) can align those
    /// parts, relative to the bytes' start, for that.
    fn deserialize(
        &self,
        module: &Arc<ValidatedModule>,
        bytes: &[u8],
        file: Option<&std::fs::File>,
    ) -> Option<Arc<dyn CompiledCode>> {
        let _ = (module, bytes, file);
        None
    }

    /// Runs the WebAssembly function `func` of `store` with `stack` holding its
    /// parameters (at least as long as its parameter and result slot counts).
    fn call_wasm(
        &self,
        store: &mut Store,
        func: FuncAddr,
        stack: &mut [u64],
    ) -> Result<(), CallError>;

    /// On-stack replacement: runs the WebAssembly function `func` of `store`
    /// from the start of its `loop` at byte `offset` of the module (where
    /// that operator is), with its locals' values `locals` (parameters
    /// first, each in its slots as a call's parameters are), as if the call
    /// had run up to there; `stack` holds the parameters on entry, like
    /// [`Engine::call_wasm`]'s, and the results on return. Another engine
    /// ran the call until then and ends its frame with these results.
    ///
    /// `None`, with nothing run, where this engine has no entry at that loop
    /// (the default: engines need not have any). A loop can have one only
    /// when no value is on the operand stack at it, it takes no
    /// parameters, and no `try` or `try_table` encloses it.
    fn call_wasm_at_loop(
        &self,
        store: &mut Store,
        func: FuncAddr,
        offset: u32,
        locals: &[u64],
        stack: &mut [u64],
    ) -> Option<Result<(), CallError>> {
        let _ = (store, func, offset, locals, stack);
        None
    }

    /// Whether [`call_wasm_at_loop`](Self::call_wasm_at_loop) would have
    /// its code for defined function `index` of `code`'s module at its loop
    /// at module offset `offset` without compiling it first: `Some(true)`
    /// where it has an entry there, `Some(false)` where it has none (and
    /// never will), `None` where it would compile the entry first, which
    /// [`prepare_loop_entry`](Self::prepare_loop_entry) does ahead, on any
    /// thread. The default is `Some(true)`: the call itself says.
    fn loop_entry_compiled(
        &self,
        code: &dyn CompiledCode,
        index: u32,
        offset: u32,
    ) -> Option<bool> {
        let _ = (code, index, offset);
        Some(true)
    }

    /// Compiles the code [`call_wasm_at_loop`](Self::call_wasm_at_loop)
    /// needs at that loop (see
    /// [`loop_entry_compiled`](Self::loop_entry_compiled)), so that the
    /// call finds it: for a caller that will not have the guest's thread
    /// wait for the compilation. `module` is the module's. The default does
    /// nothing.
    fn prepare_loop_entry(
        &self,
        module: &Arc<ValidatedModule>,
        code: &dyn CompiledCode,
        index: u32,
        offset: u32,
    ) {
        let _ = (module, code, index, offset);
    }
}
