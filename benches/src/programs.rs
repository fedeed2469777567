//! The benchmarks: the programs that run (WebAssembly text in `src/programs/`,
//! each exporting `run: (i64) -> i64`, its size argument in, a checksum out),
//! the call loops (one guest loop calling a host or a guest `add`),
//! instantiation, and compilation of a large generated module (by the
//! interpreter and wasmi; by the compiler and wasmtime; through the compiler's
//! directory cache).

/// A program run the same way on every engine.
#[derive(Debug, Clone, Copy)]
pub struct Program {
    /// The benchmark's name (what a filter matches).
    pub name: &'static str,
    /// What one run does, for the report.
    pub what: &'static str,
    /// The instructions that dominate its time, for whoever tunes an engine.
    pub hot: &'static str,
    /// The module, as WebAssembly text.
    pub wat: &'static str,
    /// The argument of `run` in a `--quick` run.
    pub quick_arg: i64,
    /// The argument of `run` in a full run.
    pub full_arg: i64,
    /// Whether linear-memory accesses dominate: such programs also run on the
    /// compiler with explicit bounds checks.
    pub memory: bool,
    /// Whether it uses exception handling, which neither wasmi nor this
    /// bench's wasmtime runs: then only wazero's engines run it.
    pub exceptions: bool,
}

impl Program {
    /// The argument of `run` for this run.
    pub fn arg(&self, quick: bool) -> i64 {
        if quick {
            self.quick_arg
        } else {
            self.full_arg
        }
    }
}

/// Every program, in report order.
pub const PROGRAMS: &[Program] = &[
    Program {
        name: "fib",
        what: "recursive fib(n) on i64",
        hot: "call/return, i64.lt_u + if, i64.add",
        wat: include_str!("programs/fib.wat"),
        quick_arg: 30,
        full_arg: 32,
        memory: false,
        exceptions: false,
    },
    Program {
        name: "loop-int",
        what: "n rounds of an LCG + multiply/xor-shift hash, locals only",
        hot: "i64.mul/add, i32.mul/xor/shr_u, wrap/extend, if/else, br_if back-edge",
        wat: include_str!("programs/loop_int.wat"),
        quick_arg: 3_000_000,
        full_arg: 10_000_000,
        memory: false,
        exceptions: false,
    },
    Program {
        name: "loop-f64",
        what: "Mandelbrot escape counts on an n x n grid (<= 64 iterations)",
        hot: "f64.mul/add/sub, f64.gt + br_if, i32 counter",
        wat: include_str!("programs/loop_f64.wat"),
        quick_arg: 300,
        full_arg: 600,
        memory: false,
        exceptions: false,
    },
    Program {
        name: "fib-try",
        what: "fib with its calls in a try_table that catches all (nothing throws)",
        hot: "call/return inside try_table, the check of a call's exception",
        wat: include_str!("programs/fib_try.wat"),
        quick_arg: 30,
        full_arg: 32,
        memory: false,
        exceptions: true,
    },
    Program {
        name: "tail-call",
        what: "guest-call's loop as tail recursion: n return_calls",
        hot: "return_call to itself, i32.eq + if, i32.add",
        wat: include_str!("programs/tail_call.wat"),
        quick_arg: 1_000_000,
        full_arg: 10_000_000,
        memory: false,
        exceptions: false,
    },
    Program {
        name: "memory-sort",
        what: "insertion sort of n i32 in linear memory",
        hot: "i32.load, i32.le_s + br_if, i32.store offset=4, pointer arithmetic",
        wat: include_str!("programs/memory_sort.wat"),
        quick_arg: 3_000,
        full_arg: 6_000,
        memory: true,
        exceptions: false,
    },
    Program {
        name: "memory-prefix",
        what: "fill n i32 (4 MiB), 4 prefix-sum passes, checksum",
        hot: "i32.load/i32.store offset=0..12 (unrolled x4), i32.add",
        wat: include_str!("programs/memory_prefix.wat"),
        quick_arg: 1 << 18,
        full_arg: 1 << 20,
        memory: true,
        exceptions: false,
    },
    Program {
        name: "memory64-prefix",
        what: "memory-prefix on a 64-bit memory (i64 addresses)",
        hot: "i32.load/i32.store at i64 addresses, explicit bounds checks",
        wat: include_str!("programs/memory64_prefix.wat"),
        quick_arg: 1 << 18,
        full_arg: 1 << 20,
        memory: true,
        exceptions: false,
    },
    Program {
        name: "memory-matmul",
        what: "128x128 f64 matrix multiply in linear memory, n times",
        hot: "f64.load/f64.store offset=128K/256K, f64.mul/add, pointer bumps",
        wat: include_str!("programs/memory_matmul.wat"),
        quick_arg: 1,
        full_arg: 4,
        memory: true,
        exceptions: false,
    },
];

/// How a host function is defined in wazero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostForm {
    /// A typed Rust closure: `with_func(|a: i32, b: i32| ...)`.
    Typed,
    /// The raw form over `u64` slots: `with_stack_func(&[I32, I32], &[I32], |stack| ...)`.
    Raw,
}

/// The callee of a call-loop benchmark: what `$add` in `programs/call_loop.wat` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Callee {
    /// The host function `env.add`, defined in wazero in the given form; in
    /// wasmi with `Linker::func_wrap` whatever the form.
    Host(HostForm),
    /// A function of the guest module itself, with the same body (`i32.add`).
    Guest,
}

/// The call-loop module; its line `;; $add` becomes `$add`'s import or definition.
const CALL_LOOP_WAT: &str = include_str!("programs/call_loop.wat");

/// Calls of `$add` per run of a call loop: full and `--quick`.
pub const CALL_LOOP_CALLS: (i64, i64) = (10_000_000, 1_000_000);

impl Callee {
    /// The three, in report order.
    pub const ALL: [Callee; 3] = [
        Callee::Host(HostForm::Typed),
        Callee::Host(HostForm::Raw),
        Callee::Guest,
    ];

    /// The call-loop module as WebAssembly text, with `$add` imported or defined.
    pub fn wat(self) -> String {
        let add = match self {
            Callee::Host(_) => r#"(import "env" "add" (func $add (param i32 i32) (result i32)))"#,
            Callee::Guest => {
                "(func $add (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))"
            }
        };
        CALL_LOOP_WAT.replacen(";; $add", add, 1)
    }

    /// Calls per run.
    pub fn calls(quick: bool) -> i64 {
        if quick {
            CALL_LOOP_CALLS.1
        } else {
            CALL_LOOP_CALLS.0
        }
    }

    /// What `run(calls)` must return: the sum of `0..calls` modulo 2^32.
    pub fn expected(calls: i64) -> i64 {
        let calls = calls.max(0) as u128;
        let sum = calls * calls.saturating_sub(1) / 2;
        i64::from(sum as u32)
    }
}

/// The module of the `instantiate` benchmark: 1-page memory, a data segment,
/// four globals, a table with an element segment and six functions.
pub const INSTANTIATE_WAT: &str = include_str!("programs/instantiate.wat");

/// A benchmark.
#[derive(Debug, Clone, Copy)]
pub enum Benchmark {
    /// Calls a program's `run` export.
    Run(&'static Program),
    /// Runs the call loop with `$add` in the host or in the guest.
    CallLoop(Callee),
    /// Instantiates a small compiled module.
    Instantiate,
    /// Compiles the large generated module, both engines in their default mode
    /// (both translate function bodies lazily, on first call).
    Compile,
    /// The same, both engines translating every function up front.
    CompileEager,
    /// Compiles the large generated module to machine code: wazero's compiler
    /// and wasmtime (both compile every function, in parallel), the
    /// interpreter translating every function for reference.
    CompileNative,
    /// The compiler's directory cache on the same module: compiling into an
    /// empty cache directory, then with a fresh cache on the filled directory.
    CompileCache,
}

impl Benchmark {
    /// Every benchmark, in report order.
    pub fn all() -> Vec<Benchmark> {
        let mut all: Vec<Benchmark> = PROGRAMS.iter().map(Benchmark::Run).collect();
        all.extend(Callee::ALL.map(Benchmark::CallLoop));
        all.extend([
            Benchmark::Instantiate,
            Benchmark::Compile,
            Benchmark::CompileEager,
            Benchmark::CompileNative,
            Benchmark::CompileCache,
        ]);
        all
    }

    /// Its name in the report, which filters match.
    pub fn name(&self) -> &'static str {
        match self {
            Benchmark::Run(p) => p.name,
            Benchmark::CallLoop(Callee::Host(HostForm::Typed)) => "host-call-typed",
            Benchmark::CallLoop(Callee::Host(HostForm::Raw)) => "host-call-raw",
            Benchmark::CallLoop(Callee::Guest) => "guest-call",
            Benchmark::Instantiate => "instantiate",
            Benchmark::Compile => "compile",
            Benchmark::CompileEager => "compile-eager",
            Benchmark::CompileNative => "compile-native",
            Benchmark::CompileCache => "compile-cache",
        }
    }

    /// What one operation is, for `--list` and the report.
    pub fn what(&self) -> &'static str {
        match self {
            Benchmark::Run(p) => p.what,
            Benchmark::CallLoop(Callee::Host(HostForm::Typed)) => {
                "a guest loop calling host add(acc, i) n times, typed form (with_func)"
            }
            Benchmark::CallLoop(Callee::Host(HostForm::Raw)) => {
                "the same loop, host add in the raw form (with_stack_func)"
            }
            Benchmark::CallLoop(Callee::Guest) => {
                "the same loop calling a guest add (same body: i32.add)"
            }
            Benchmark::Instantiate => {
                "instantiate a compiled module (1-page memory, data, globals, table)"
            }
            Benchmark::Compile => {
                "compile the generated module, defaults (both validate all, translate lazily)"
            }
            Benchmark::CompileEager => {
                "compile the generated module, translating all (eager translation / CompilationMode::Eager)"
            }
            Benchmark::CompileNative => {
                "compile the generated module to machine code (wazero compiler, wasmtime; interp eager for reference)"
            }
            Benchmark::CompileCache => {
                "compiler: compile the generated module into an empty cache dir, then from it with a fresh cache"
            }
        }
    }

    /// What dominates on wazero's compiler where it differs from the
    /// interpreter (see `docs/benchmarks.md` for the analysis).
    pub fn hot_compiled(&self) -> &'static str {
        match self {
            Benchmark::CallLoop(Callee::Host(_)) => {
                "the direct host entry (arguments in registers, catch_unwind, the status test after it); raw: the closure's stack slice"
            }
            Benchmark::CallLoop(Callee::Guest) => {
                "direct call rel32 of a leaf with no checks; the poll read at the loop header"
            }
            Benchmark::Instantiate => {
                "taking a kept 8 GiB reservation (or mapping one), faulting in and writing the data segment, the instance's context"
            }
            _ => self.hot(),
        }
    }

    /// The instructions (or work) that dominate, for whoever tunes an engine.
    pub fn hot(&self) -> &'static str {
        match self {
            Benchmark::Run(p) => p.hot,
            Benchmark::CallLoop(Callee::Guest) => "call/return within threaded code",
            Benchmark::CallLoop(Callee::Host(_)) => {
                "the CallImported handler: the slot copies, threaded_host_call, Store::call_host, the typed wrapper"
            }
            Benchmark::Instantiate => {
                "allocating and zeroing memory, globals, table, data and element init"
            }
            Benchmark::Compile | Benchmark::CompileEager => {
                "decode, validation (and for -eager, translation) of every function"
            }
            Benchmark::CompileNative => {
                "Cranelift: translation to IR, optimization, register allocation, emission"
            }
            Benchmark::CompileCache => {
                "first: compile, serialize, SHA-256, write + fsync; second: read, SHA-256, decode, validate, map code"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_loop_sums_wrap_like_the_guest() {
        assert_eq!(Callee::expected(0), 0);
        assert_eq!(Callee::expected(5), 10);
        // 10^7 * (10^7 - 1) / 2 = 49_999_995_000_000, modulo 2^32.
        assert_eq!(
            Callee::expected(10_000_000),
            (49_999_995_000_000u64 % (1 << 32)) as i64
        );
    }

    #[test]
    fn call_loop_imports_add_only_for_the_host() {
        for callee in Callee::ALL {
            let wat = callee.wat();
            assert!(!wat.contains(";; $add"), "{callee:?}: placeholder left");
            assert_eq!(
                wat.contains("(import"),
                callee != Callee::Guest,
                "{callee:?}"
            );
        }
    }
}
