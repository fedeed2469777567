//! Stopping runaway guests: an interrupt from another thread or a deadline
//! stops loops, deep recursion and loops in nested calls within milliseconds,
//! and the namespace keeps working afterwards.

use std::time::{Duration, Instant};

use wazero::Runtime;

mod engines;
use engines::engines;

const GUEST: &str = r#"(module
    (func $spin (export "spin") (loop (br 0)))
    (func $spin_if (export "spin_if") (param i32) (loop (br_if 0 (i32.eqz (local.get 0)))))
    (func $count (export "count") (param i64) (result i64)
        (local i64)
        (loop
            (local.set 1 (i64.add (local.get 1) (i64.const 1)))
            (br_if 0 (i64.lt_u (local.get 1) (local.get 0))))
        (local.get 1))
    (func $fib (export "fib") (param i32) (result i32)
        ;; No loops: only the checks at function entries can stop it (fib(45)
        ;; makes billions of calls).
        (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
            (then (local.get 0))
            (else (i32.add
                (call $fib (i32.sub (local.get 0) (i32.const 1)))
                (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
    (func (export "nested") (call $spin))
    (func (export "spin_table") (param i32)
        (loop (br_table 0 0 (local.get 0)))))"#;

#[test]
fn runaway_guests_stop_within_milliseconds() {
    for config in engines() {
        let runtime = Runtime::with_config(config);
        let module = runtime
            .instantiate(&wat::parse_str(GUEST).unwrap())
            .unwrap();
        let cases: &[(&str, &[u64])] = &[
            ("spin", &[]),
            ("spin_if", &[0]),
            ("count", &[u64::MAX]),
            ("fib", &[45]),
            ("nested", &[]),
            ("spin_table", &[0]),
        ];
        for (name, params) in cases {
            let handle = runtime.interrupt_handle();
            let started = Instant::now();
            let deadline = handle.interrupt_after(Duration::from_millis(30));
            let err = module
                .exported_function(name)
                .unwrap()
                .call(params)
                .unwrap_err();
            let took = started.elapsed();
            drop(deadline);
            assert!(err.is_interrupted(), "{name}: {err}");
            assert!(err.to_string().contains("interrupted"), "{name}: {err}");
            assert!(took < Duration::from_millis(1030), "{name} took {took:?}");
        }
        // The namespace still runs code, and a cancelled deadline never fires.
        let count = module.exported_function("count").unwrap();
        let deadline = runtime
            .interrupt_handle()
            .interrupt_after(Duration::from_millis(20));
        assert_eq!(count.call(&[1000]).unwrap(), vec![1000]);
        drop(deadline);
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(count.call(&[1000]).unwrap(), vec![1000]);
    }
}

#[test]
fn an_interrupt_from_another_thread_stops_only_its_namespace() {
    for config in engines() {
        let runtime = Runtime::with_config(config);
        let wasm = wat::parse_str(GUEST).unwrap();
        let compiled = runtime.compile_module(&wasm).unwrap();
        let other = runtime.new_namespace();
        let spinning = runtime
            .instantiate_module(&compiled, wazero::ModuleConfig::new())
            .unwrap();
        let quiet = other
            .instantiate_module(&compiled, wazero::ModuleConfig::new())
            .unwrap();
        let handle = runtime.interrupt_handle();
        let worker =
            std::thread::spawn(move || spinning.exported_function("spin").unwrap().call(&[]));
        std::thread::sleep(Duration::from_millis(20));
        handle.interrupt();
        assert!(worker.join().unwrap().unwrap_err().is_interrupted());
        assert_eq!(
            quiet
                .exported_function("count")
                .unwrap()
                .call(&[5])
                .unwrap(),
            vec![5]
        );
    }
}

/// A request made while the guest is inside a host function (here, sleeping)
/// stops the guest's loop once the host function returns, on every engine;
/// requests made between calls stop the next call only.
#[test]
fn a_request_during_a_host_call_stops_the_loop_after_it() {
    for config in engines() {
        let runtime = Runtime::with_config(config);
        runtime
            .new_host_module_builder("env")
            .new_function_builder()
            .with_func(|| std::thread::sleep(Duration::from_millis(5)))
            .export("nap")
            .instantiate()
            .unwrap();
        let module = runtime
            .instantiate(
                &wat::parse_str(
                    r#"(module (import "env" "nap" (func $nap))
                    (func (export "naps") (loop (call $nap) (br 0)))
                    (func $inner (result i32) (i32.const 1))
                    (func (export "one") (result i32) (call $inner)))"#,
                )
                .unwrap(),
            )
            .unwrap();
        let started = Instant::now();
        let _deadline = runtime
            .interrupt_handle()
            .interrupt_after(Duration::from_millis(30));
        let err = module
            .exported_function("naps")
            .unwrap()
            .call(&[])
            .unwrap_err();
        assert!(err.is_interrupted(), "{err}");
        assert!(started.elapsed() < Duration::from_millis(1030));
        // A request between calls stops the next one at its first check (the
        // call of `$inner`), and only that one.
        let one = module.exported_function("one").unwrap();
        runtime.interrupt_handle().interrupt();
        assert!(one.call(&[]).unwrap_err().is_interrupted());
        assert_eq!(one.call(&[]).unwrap(), vec![1]);
    }
}
