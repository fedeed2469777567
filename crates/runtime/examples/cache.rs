//! The on-disk compilation cache: the first process compiles a module and
//! writes the compiled code to a directory; a later process (here: a new
//! runtime with a new cache object on the same directory) reads it back
//! instead of compiling again.
//!
//! Entries are keyed by a hash of the module's bytes, the enabled features and
//! the engine (its version, target CPU features and settings), and checked
//! before use; a damaged or foreign entry is ignored and rewritten. Only the
//! compiler writes entries: the interpreter translates functions lazily, so
//! there is nothing worth keeping on disk, and the directory stays empty.
//! The example uses the compiler alone (`RuntimeConfig::compiler()`), which
//! writes the entry as it compiles; the default, tiered engine shares the
//! compiler's entries, reading them at once and writing them when its
//! background compilation is done.
//!
//! Run it with `cargo run -p wazero --example cache`.

use std::path::Path;
use std::time::Instant;

use wazero::{CompilationCache, Runtime, RuntimeConfig};

/// A module with some code to compile: fib, and a loop summing it.
const GUEST: &str = r#"(module
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  (func (export "sum_fib") (param $n i32) (result i32)
    (local $i i32) (local $sum i32)
    (block $done (loop $next
      (br_if $done (i32.gt_u (local.get $i) (local.get $n)))
      (local.set $sum (i32.add (local.get $sum) (call $fib (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (local.get $sum)))"#;

/// Files in the cache directory.
fn entries(dir: &Path) -> std::io::Result<usize> {
    Ok(std::fs::read_dir(dir)?.count())
}

/// Runs the example; the integration tests call it too.
pub fn main() -> Result<(), Box<dyn std::error::Error>> {
    let wasm = wat::parse_str(GUEST)?;
    let dir = std::env::temp_dir().join(format!("wazero-example-cache-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);

    let mut engine = "";
    for run in ["first", "second"] {
        // Everything is made anew, as in a new process: only the directory is shared.
        let cache = CompilationCache::with_dir(&dir)?;
        let runtime =
            Runtime::with_config(RuntimeConfig::compiler().with_compilation_cache(&cache));
        engine = runtime.engine_name();
        let started = Instant::now();
        let compiled = runtime.compile_module(&wasm)?;
        let took = started.elapsed();
        let module = runtime.instantiate_module(&compiled, Default::default())?;
        let sum = module
            .exported_function("sum_fib")
            .unwrap()
            .typed::<u32, u32>()?;
        assert_eq!(sum.call(10)?, 143);
        println!(
            "{run} run ({engine}): compiled in {took:?}; {} file(s) in {}",
            entries(&dir)?,
            dir.display()
        );
        runtime.close()?;
    }
    // The compiler wrote one entry on the first run and read it on the second.
    let expected = if engine == "compiler" { 1 } else { 0 };
    assert_eq!(entries(&dir)?, expected);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
