//! An engine written outside this workspace's engine crates, through only the
//! facade's public items: it wraps the interpreter and counts what it is asked
//! to do. `RuntimeConfig::with_engine` runs modules on it, WASI and host
//! functions included, and the runtime works as with its own engines.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use wazero::engine::{
    CallError, CompileOptions, CompiledCode, Engine, FuncAddr, Interpreter, Store, ValidatedModule,
};
use wazero::{Runtime, RuntimeConfig};

/// The interpreter, counting compilations and calls.
#[derive(Default)]
struct Counting {
    inner: Interpreter,
    compiled: AtomicU64,
    calls: AtomicU64,
}

impl Engine for Counting {
    fn name(&self) -> &'static str {
        "counting"
    }

    fn compile(&self, module: &Arc<ValidatedModule>) -> Result<Arc<dyn CompiledCode>, String> {
        self.compiled.fetch_add(1, Ordering::Relaxed);
        self.inner.compile(module)
    }

    fn compile_with(
        &self,
        module: &Arc<ValidatedModule>,
        options: &CompileOptions<'_>,
    ) -> Result<Arc<dyn CompiledCode>, String> {
        self.compiled.fetch_add(1, Ordering::Relaxed);
        self.inner.compile_with(module, options)
    }

    fn call_wasm(
        &self,
        store: &mut Store,
        func: FuncAddr,
        stack: &mut [u64],
    ) -> Result<(), CallError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.inner.call_wasm(store, func, stack)
    }
}

#[test]
fn an_engine_from_outside_runs_modules() {
    let engine = Arc::new(Counting::default());
    let runtime = Runtime::with_config(RuntimeConfig::new().with_engine(engine.clone()));
    assert_eq!(runtime.engine_name(), "counting");
    runtime
        .new_host_module_builder("env")
        .new_function_builder()
        .with_func(|x: i32| x * 10)
        .export("times_ten")
        .instantiate()
        .unwrap();
    let wasm = wat::parse_str(
        r#"(module
            (import "env" "times_ten" (func $t (param i32) (result i32)))
            (func $inc (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
            (func (export "run") (param i32) (result i32)
                (call $t (call $inc (local.get 0))))
            (func (export "boom") unreachable))"#,
    )
    .unwrap();
    let module = runtime.instantiate(&wasm).unwrap();
    let run = module.exported_function("run").unwrap();
    assert_eq!(run.call(&[4]).unwrap(), vec![50]);
    assert_eq!(run.call(&[9]).unwrap(), vec![100]);
    let trap = module
        .exported_function("boom")
        .unwrap()
        .call(&[])
        .unwrap_err();
    assert_eq!(trap.trap_code(), Some(wazero::TrapCode::Unreachable));
    assert_eq!(engine.compiled.load(Ordering::Relaxed), 1, "compiled once");
    // Calls from the host into the guest; calls inside the guest stay inside.
    assert_eq!(engine.calls.load(Ordering::Relaxed), 3);

    // A WASI program runs on it too.
    wazero::wasi_snapshot_preview1::instantiate(&runtime).unwrap();
    let hello = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/wasi/hello.wasm"),
    )
    .unwrap();
    let compiled = runtime.compile_module(&hello).unwrap();
    let stdout = wazero::SharedBuffer::new();
    runtime
        .instantiate_module(
            &compiled,
            wazero::ModuleConfig::new().with_stdout(stdout.clone()),
        )
        .unwrap();
    assert_eq!(stdout.to_string_lossy(), "hello from wasi\n");
}
