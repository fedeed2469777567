//! State in host functions. Per-instance state is attached at instantiation with
//! `ModuleConfig::with_data` and reached from the host function through
//! `Caller::data_mut`, so two instances of one compiled guest count independently.
//! State shared by every instance lives in what the closure captures, here an
//! `Arc<AtomicU64>` (host functions must be `Send + Sync`: they may run on any
//! thread).
//!
//! Run it with `cargo run --example state`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use wazero::{Caller, ModuleConfig, Runtime};

/// Per-instance state: a counter with its own step.
struct Counter {
    next: i64,
    step: i64,
}

/// Runs the example; the integration tests call it too.
pub fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runtime = Runtime::new();
    let total = Arc::new(AtomicU64::new(0));
    let calls = Arc::clone(&total);
    runtime
        .new_host_module_builder("env")
        .new_function_builder()
        .with_func(move |caller: &mut Caller<'_>| -> i64 {
            calls.fetch_add(1, Ordering::Relaxed);
            // `data_mut` is `None` if no data was attached or it is not a `Counter`.
            let counter = caller.data_mut::<Counter>().expect("a Counter is attached");
            let value = counter.next;
            counter.next += counter.step;
            value
        })
        .export("next")
        .instantiate()?;

    let compiled = runtime.compile_module(&wat::parse_str(
        r#"(module
    (import "env" "next" (func $next (result i64)))
    (func (export "next") (result i64) (call $next)))"#,
    )?)?;
    // One compiled module, two instances, each with its own Counter.
    let config = |name: &str, next, step| {
        ModuleConfig::new()
            .with_name(name)
            .with_data(Counter { next, step })
    };
    let ones = runtime.instantiate_module(&compiled, config("ones", 0, 1))?;
    let tens = runtime.instantiate_module(&compiled, config("tens", 100, 10))?;
    let next_one = ones.exported_function("next").unwrap().typed::<(), i64>()?;
    let next_ten = tens.exported_function("next").unwrap().typed::<(), i64>()?;

    let mut seen = Vec::new();
    for _ in 0..3 {
        let (a, b) = (next_one.call(())?, next_ten.call(())?);
        println!("{}: {a:>3}   {}: {b:>3}", ones.name(), tens.name());
        seen.push((a, b));
    }
    let total = total.load(Ordering::Relaxed);
    println!("env.next was called {total} times in all");

    assert_eq!(seen, [(0, 100), (1, 110), (2, 120)]);
    assert_eq!(total, 6);
    Ok(())
}
