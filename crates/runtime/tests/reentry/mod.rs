//! A guest that re-enters itself through the host without end: its `down(n)`
//! calls the host's `up(n)`, which calls `down(n + 1)` through the `Caller`.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;

use wazero::{Module, Runtime};

/// What the re-entry saw: the deepest `n` the host was called with, and
/// whether some nested call failed with "call stack exhausted".
#[derive(Clone, Default)]
pub struct Seen {
    pub deepest: Arc<AtomicU32>,
    pub exhausted: Arc<AtomicBool>,
}

/// Instantiates the host module `env` and the guest in `runtime`, recording
/// into `seen`; call the guest's `down` to start.
pub fn guest(runtime: &Runtime, seen: &Seen) -> Module {
    let seen = seen.clone();
    runtime
        .new_host_module_builder("env")
        .new_function_builder()
        .with_func(
            move |caller: &mut wazero::Caller<'_>, n: i32| -> Result<i32, String> {
                seen.deepest.fetch_max(n as u32, Ordering::Relaxed);
                let mut down = caller.exported_function("down").expect("exported");
                down.call(&[u64::from(n as u32 + 1)])
                    .map(|r| r[0] as i32)
                    .map_err(|e| {
                        if e.to_string().contains("call stack exhausted") {
                            seen.exhausted.store(true, Ordering::Relaxed);
                        }
                        e.to_string()
                    })
            },
        )
        .export("up")
        .instantiate()
        .unwrap();
    let wasm = wat::parse_str(
        r#"(module
            (import "env" "up" (func $up (param i32) (result i32)))
            (func (export "down") (param i32) (result i32) (call $up (local.get 0))))"#,
    )
    .unwrap();
    runtime.instantiate(&wasm).unwrap()
}
