//! Running untrusted code: limits on what a guest may take (memory, call
//! depth), and stopping a guest that runs too long, from another thread or at
//! a deadline. Each way a guest is stopped comes back to the host as a typed
//! error, and the host carries on.
//!
//! The other limits (table elements, re-entry depth, the size of a function for
//! the compiler, open files of a WASI guest) are `with_max_*` options of
//! `RuntimeConfig` and `FsConfig`; docs/security.md lists them all.
//!
//! Run it with `cargo run -p wazero --example untrusted`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use wazero::{Error, ModuleConfig, Runtime, RuntimeConfig, TrapCode};

/// Guests that misbehave, each in its own way.
const GREEDY: &str = r#"(module
  (memory (export "memory") 1)
  ;; Grows memory by `pages`; the old size in pages, or -1 if refused.
  (func (export "grow") (param $pages i32) (result i32)
    (memory.grow (local.get $pages))))"#;

const TOO_BIG: &str = "(module (memory 1000))";

const RECURSIVE: &str = r#"(module
  (func $down (export "down") (param $n i64) (result i64)
    (i64.add (i64.const 1) (call $down (i64.add (local.get $n) (i64.const 1))))))"#;

const RUNAWAY: &str = r#"(module
  (func (export "spin") (result i32)
    (local $i i32)
    (loop $forever
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $forever))
    (local.get $i)))"#;

/// The first line of an error (a trap's message; a backtrace follows it).
fn headline(err: &Error) -> String {
    err.to_string()
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Runs the example; the integration tests call it too.
pub fn main() -> Result<(), Box<dyn std::error::Error>> {
    // At most 16 pages (1 MiB) per memory and 1000 nested calls.
    let runtime = Runtime::with_config(
        RuntimeConfig::new()
            .with_memory_limit_pages(16)
            .with_max_call_depth(1000),
    );
    println!("engine: {}", runtime.engine_name());

    // Memory: a module declaring more than the limit is refused at instantiation...
    let compiled = runtime.compile_module(&wat::parse_str(TOO_BIG)?)?;
    let err = runtime
        .instantiate_module(&compiled, ModuleConfig::new())
        .expect_err("1000 pages are over the limit");
    println!("instantiate (memory 1000) -> {err}");
    assert!(matches!(err, Error::Resource(_)), "{err:?}");

    // ... and growing past it fails the way memory.grow fails: it returns -1.
    let greedy = runtime.instantiate(&wat::parse_str(GREEDY)?)?;
    let grow = greedy
        .exported_function("grow")
        .unwrap()
        .typed::<i32, i32>()?;
    assert_eq!(grow.call(10)?, 1, "1 + 10 pages fit");
    assert_eq!(grow.call(10)?, -1, "21 pages do not");
    assert_eq!(greedy.memory().unwrap().size_pages(), 11);
    println!("grow(10) twice -> 1, then -1: memory stays at 11 pages");

    // Call depth: unbounded recursion traps instead of overflowing the stack.
    let recursive = runtime.instantiate(&wat::parse_str(RECURSIVE)?)?;
    let down = recursive.exported_function("down").unwrap();
    let err = down.call(&[0]).expect_err("the recursion never ends");
    println!("down(0) -> {}", headline(&err));
    assert_eq!(err.trap_code(), Some(TrapCode::StackExhausted));
    // A trap ends the call, not the instance: it can be called again.
    assert_eq!(
        down.call(&[0]).unwrap_err().trap_code(),
        Some(TrapCode::StackExhausted)
    );

    // Time: a loop that never ends, stopped by its call's own timeout ...
    let runaway = runtime.instantiate(&wat::parse_str(RUNAWAY)?)?;
    let spin = runaway.exported_function("spin").unwrap();
    let started = Instant::now();
    let err = spin
        .call_with_timeout(&[], Duration::from_millis(50))
        .expect_err("spin never returns");
    println!(
        "spin() with a 50 ms timeout -> {} after {:?}",
        headline(&err),
        started.elapsed()
    );
    assert!(err.is_interrupted());
    assert_eq!(err.trap_code(), Some(TrapCode::Interrupted));
    // The timeout belonged to that call: the module stays usable (unless
    // `RuntimeConfig::with_close_on_interrupt` says otherwise).
    assert!(!runaway.is_closed());

    // ... or by a deadline made before the call, for this thread's next call
    // (dropped before it passes, a deadline interrupts nothing) ...
    let deadline = runtime
        .interrupt_handle()
        .interrupt_after(Duration::from_millis(50));
    let err = spin.call(&[]).expect_err("spin never returns");
    drop(deadline);
    assert!(err.is_interrupted());

    // ... or by another thread, e.g. when the client that asked has gone away.
    // (A request stops the calls running when it is made, so this one asks
    // until the call is over.)
    let handle = runtime.interrupt_handle(); // Send + Sync + Clone
    let done = AtomicBool::new(false);
    let err = std::thread::scope(|s| {
        s.spawn(|| {
            while !done.load(Ordering::Acquire) {
                std::thread::sleep(Duration::from_millis(10));
                handle.interrupt();
            }
        });
        let result = spin.call(&[]);
        done.store(true, Ordering::Release);
        result.expect_err("spin never returns")
    });
    println!("spin() interrupted by another thread -> {}", headline(&err));
    assert!(err.is_interrupted());
    Ok(())
}
