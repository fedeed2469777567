//! A multi-threaded server: one `Runtime` and one `CompiledModule`, shared by
//! every worker thread (both are `Send + Sync` and cheap to clone). Each
//! request gets a fresh anonymous instance (no name, so nothing else can
//! import it and it runs in parallel with the others), with the request's data
//! attached; the worker calls it and closes it. No request sees another's
//! memory or globals.
//!
//! Run it with `cargo run -p wazero --example server`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::Arc;

use wazero::{Caller, CompiledModule, ModuleConfig, Runtime};

/// The request handler. `handle(x)` asks the host for the request's id,
/// counts its calls in a global (always 1: each request has a fresh
/// instance) and keeps a running total in memory.
const HANDLER: &str = r#"(module
  (import "env" "request_id" (func $request_id (result i64)))
  (memory 1)
  (global $calls (mut i32) (i32.const 0))
  (func (export "handle") (param $x i64) (result i64)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (i64.store (i32.const 0) (i64.add (i64.load (i32.const 0)) (local.get $x)))
    ;; id * 1000 + x * calls + what memory held before (0 on a fresh instance) * 1000000
    (i64.add
      (i64.add (i64.mul (call $request_id) (i64.const 1000))
               (i64.mul (local.get $x) (i64.extend_i32_u (global.get $calls))))
      (i64.mul (i64.sub (i64.load (i32.const 0)) (local.get $x)) (i64.const 1000000)))))"#;

const WORKERS: u64 = 4;
const REQUESTS: u64 = 200;

/// One request: instantiate, call, close.
fn serve(
    runtime: &Runtime,
    compiled: &CompiledModule,
    id: u64,
) -> Result<u64, Box<dyn std::error::Error + Send + Sync>> {
    let instance = runtime.instantiate_module(
        compiled,
        // Anonymous, with this request's id as its data.
        ModuleConfig::new().with_name("").with_data(id),
    )?;
    let handle = instance
        .exported_function("handle")
        .ok_or("no handle export")?
        .typed::<u64, u64>()?;
    let response = handle.call(id % 100)?;
    instance.close()?;
    Ok(response)
}

/// Runs the example; the integration tests call it too.
pub fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runtime = Runtime::new();
    let host_calls = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&host_calls);
    runtime
        .new_host_module_builder("env")
        .new_function_builder()
        .with_func(move |caller: &mut Caller<'_>| -> u64 {
            counter.fetch_add(1, Ordering::Relaxed);
            *caller
                .data::<u64>()
                .expect("each request has its id attached")
        })
        .export("request_id")
        .instantiate()?;
    let compiled = runtime.compile_module(&wat::parse_str(HANDLER)?)?;

    // Requests arrive on a channel; workers take them as they come.
    let (send, receive) = mpsc::channel::<u64>();
    let receive = std::sync::Mutex::new(receive);
    for id in 0..REQUESTS {
        send.send(id)?;
    }
    drop(send);
    let per_worker: Vec<u64> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..WORKERS)
            .map(|_| {
                let (runtime, compiled, receive) = (&runtime, &compiled, &receive);
                s.spawn(move || {
                    let mut served = 0;
                    loop {
                        let next = receive.lock().unwrap().recv();
                        let Ok(id) = next else { break served };
                        let response = serve(runtime, compiled, id).expect("request failed");
                        assert_eq!(response, id * 1000 + id % 100, "request {id}");
                        served += 1;
                    }
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    println!("{WORKERS} workers served {per_worker:?} requests");
    assert_eq!(per_worker.iter().sum::<u64>(), REQUESTS);
    assert_eq!(host_calls.load(Ordering::Relaxed), REQUESTS);
    // Every instance was closed: the runtime holds only the host module.
    assert_eq!(runtime.default_namespace().stats().instances, 1);
    Ok(())
}
