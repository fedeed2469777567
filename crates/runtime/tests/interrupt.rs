//! Stopping runaway guests: an interrupt from another thread or a deadline
//! stops loops, deep recursion and loops in nested calls within milliseconds,
//! and the namespace keeps working afterwards.

use std::time::{Duration, Instant};

use wazero::{ModuleConfig, Runtime};

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
/// requests made between calls stop nothing.
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
        let compiled = runtime
            .compile_module(
                &wat::parse_str(
                    r#"(module (import "env" "nap" (func $nap))
                    (func (export "naps") (loop (call $nap) (br 0)))
                    (func $inner (result i32) (i32.const 1))
                    (func (export "one") (result i32) (call $inner)))"#,
                )
                .unwrap(),
            )
            .unwrap();
        // Named: it lives in the namespace's own store.
        let module = runtime
            .instantiate_module(&compiled, ModuleConfig::new().with_name("napper"))
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
        // A request between calls stops nothing: not the next call, in the
        // namespace's own store ...
        let one = module.exported_function("one").unwrap();
        runtime.interrupt_handle().interrupt();
        assert_eq!(one.call(&[]).unwrap(), vec![1]);
        // ... nor in a store of its own (an anonymous instance).
        let own = runtime
            .instantiate_module(&compiled, ModuleConfig::new())
            .unwrap();
        runtime.interrupt_handle().interrupt();
        let one = own.exported_function("one").unwrap();
        assert_eq!(one.call(&[]).unwrap(), vec![1]);
        // ... while a request made during its call stops it.
        let _deadline = runtime
            .interrupt_handle()
            .interrupt_after(Duration::from_millis(30));
        let err = own
            .exported_function("naps")
            .unwrap()
            .call(&[])
            .unwrap_err();
        assert!(err.is_interrupted(), "{err}");
    }
}

/// One `memory.copy` (or `memory.fill`) of 2 GiB, with no loop around it: a
/// deadline that fires while it runs stops it between chunks, instead of when
/// the whole operation is done.
#[test]
fn a_huge_bulk_memory_operation_stops_at_a_deadline() {
    let guest = r#"(module
        (memory 32768)
        (func (export "copy") (memory.copy (i32.const 0) (i32.const 0x40000000) (i32.const 0x40000000)))
        (func (export "copy_up") (memory.copy (i32.const 0x40000000) (i32.const 0) (i32.const 0x40000000)))
        (func (export "fill") (memory.fill (i32.const 0) (i32.const 7) (i32.const 0x7fffffff))))"#;
    for config in engines() {
        let runtime = Runtime::with_config(config);
        let Ok(module) = runtime.instantiate(&wat::parse_str(guest).unwrap()) else {
            // A host that cannot give 2 GiB has nothing to test here.
            continue;
        };
        for name in ["copy", "copy_up", "fill"] {
            let deadline = runtime
                .interrupt_handle()
                .interrupt_after(Duration::from_millis(20));
            let result = module.exported_function(name).unwrap().call(&[]);
            drop(deadline);
            let err = result.expect_err(name);
            assert!(err.is_interrupted(), "{name}: {err}");
        }
        // The memory is still usable, and the guest runs on.
        assert_eq!(module.memory().unwrap().size(), 32768 * 65536);
    }
}

/// `Module::close` from another thread interrupts a call running into that
/// module (instead of waiting forever for a guest that spins), and waits for a
/// call into another module of the namespace without disturbing it.
#[test]
fn closing_from_another_thread_interrupts_only_a_call_into_the_module() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    for config in engines() {
        let runtime = Runtime::with_config(config);
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        runtime
            .new_host_module_builder("env")
            .new_function_builder()
            .with_func(move || -> i32 { flag.load(Ordering::Relaxed) as i32 })
            .export("stop")
            .instantiate()
            .unwrap();
        let waits = wat::parse_str(
            r#"(module (import "env" "stop" (func $stop (result i32)))
                (func (export "run") (loop (br_if 0 (i32.eqz (call $stop))))))"#,
        )
        .unwrap();
        let spinner = runtime
            .instantiate(&wat::parse_str(GUEST).unwrap())
            .unwrap();
        // Named: both run in the namespace's own store, one call at a time.
        let named = |wasm: &[u8], name: &str| {
            let compiled = runtime.compile_module(wasm).unwrap();
            runtime
                .instantiate_module(&compiled, ModuleConfig::new().with_name(name))
                .unwrap()
        };
        let other = named(&waits, "other");
        let bystander = named(&wat::parse_str("(module)").unwrap(), "bystander");

        // A spinning guest: closing its module interrupts it.
        let spin = spinner.exported_function("spin").unwrap();
        let call = std::thread::spawn(move || spin.call(&[]));
        std::thread::sleep(Duration::from_millis(50));
        // On a thread of its own, so that a close that waits forever fails
        // this test instead of hanging it.
        let (done, closed) = std::sync::mpsc::channel();
        let closing = spinner.clone();
        std::thread::spawn(move || done.send(closing.close()));
        let closed = closed
            .recv_timeout(Duration::from_secs(20))
            .expect("close waited for the spinning guest");
        closed.unwrap();
        let result = call.join().unwrap();
        assert!(result.is_err(), "the spinning call ended");
        assert!(spinner.is_closed());

        // A call into another module: the close waits for it, untouched.
        let run = other.exported_function("run").unwrap();
        let running = std::thread::spawn(move || run.call(&[]));
        std::thread::sleep(Duration::from_millis(50));
        let closer = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let closed = bystander.close();
                (closed, stop.load(Ordering::Relaxed))
            })
        };
        std::thread::sleep(Duration::from_millis(50));
        stop.store(true, Ordering::Relaxed);
        assert_eq!(running.join().unwrap().unwrap(), Vec::<u64>::new());
        let (closed, after_stop) = closer.join().unwrap();
        closed.unwrap();
        assert!(after_stop, "the close waited for the other call");
    }
}

/// A runtime whose `env` host module naps (`nap`: 5 ms) and sets a deadline
/// from inside a call (`arm`: 20 ms, kept in `kept`), and a module calling
/// them in loops (a check per iteration).
fn nappers(
    config: wazero::RuntimeConfig,
    kept: &std::sync::Arc<std::sync::Mutex<Vec<wazero::Deadline>>>,
) -> (Runtime, wazero::CompiledModule) {
    let runtime = Runtime::with_config(config);
    let handle = runtime.interrupt_handle();
    let kept = kept.clone();
    runtime
        .new_host_module_builder("env")
        .new_function_builder()
        .with_func(|| std::thread::sleep(Duration::from_millis(5)))
        .export("nap")
        .new_function_builder()
        .with_func(move || {
            let deadline = handle.interrupt_after(Duration::from_millis(20));
            kept.lock().unwrap().push(deadline);
        })
        .export("arm")
        .instantiate()
        .unwrap();
    let compiled = runtime
        .compile_module(
            &wat::parse_str(
                r#"(module
                (import "env" "nap" (func $nap))
                (import "env" "arm" (func $arm))
                (func (export "naps") (param i32)
                    (loop (if (local.get 0) (then
                        (call $nap)
                        (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
                        (br 1)))))
                (func (export "armed") (call $arm) (loop (call $nap) (br 0)))
                (func (export "one") (result i32) (i32.const 1)))"#,
            )
            .unwrap(),
        )
        .unwrap();
    (runtime, compiled)
}

/// A deadline or timeout stops the call it was meant for and nothing else:
/// not a later call that runs when it fires (in the namespace's own store or
/// in a store of its own), nor a call on another thread. One that fired
/// before its call began stops that call at its first check; one made inside
/// a host function stops the call running it.
#[test]
fn deadlines_belong_to_their_call() {
    use std::sync::{Arc, Mutex};
    for (engine, config) in engines::named() {
        let kept = Arc::new(Mutex::new(Vec::new()));
        let (runtime, compiled) = nappers(config, &kept);
        let handle = runtime.interrupt_handle();
        let named = runtime
            .instantiate_module(&compiled, ModuleConfig::new().with_name("named"))
            .unwrap();
        let anonymous = runtime
            .instantiate_module(&compiled, ModuleConfig::new())
            .unwrap();
        for (which, module) in [("named", &named), ("anonymous", &anonymous)] {
            let naps = module.exported_function("naps").unwrap();
            let one = module.exported_function("one").unwrap();
            let what = format!("{engine}, {which}");

            // Fires (while held) after its call returned, during a later
            // call of ~100 ms: that call completes.
            let deadline = handle.interrupt_after(Duration::from_millis(30));
            assert_eq!(one.call(&[]).unwrap(), vec![1], "{what}");
            let started = Instant::now();
            assert_eq!(naps.call(&[20]).unwrap(), Vec::<u64>::new(), "{what}");
            assert!(started.elapsed() >= Duration::from_millis(60), "{what}");
            drop(deadline);

            // Fired before its call began: stops it at its first check.
            let deadline = handle.interrupt_after(Duration::from_millis(1));
            std::thread::sleep(Duration::from_millis(20));
            let started = Instant::now();
            let err = naps.call(&[100_000]).unwrap_err();
            assert!(err.is_interrupted(), "{what}: {err}");
            assert!(started.elapsed() < Duration::from_secs(1), "{what}");
            drop(deadline);

            // A per-call timeout stops its call ...
            let started = Instant::now();
            let err = naps
                .call_with_timeout(&[100_000], Duration::from_millis(30))
                .unwrap_err();
            assert!(err.is_interrupted(), "{what}: {err}");
            assert!(started.elapsed() < Duration::from_secs(1), "{what}");
            // ... and only it: a quick call with a timeout, then a long call
            // across that timeout's end.
            assert_eq!(
                one.call_with_timeout(&[], Duration::from_millis(30))
                    .unwrap(),
                vec![1],
                "{what}"
            );
            let typed = naps.typed::<i32, ()>().unwrap();
            typed
                .call_with_timeout(20, Duration::from_secs(30))
                .unwrap_or_else(|e| panic!("{what}: {e}"));

            // Made inside a host function: stops the call running it.
            let started = Instant::now();
            let err = module
                .exported_function("armed")
                .unwrap()
                .call(&[])
                .unwrap_err();
            assert!(err.is_interrupted(), "{what}: {err}");
            assert!(started.elapsed() < Duration::from_secs(1), "{what}");
            kept.lock().unwrap().clear();
        }

        // A deadline made on this thread is for this thread's next call: a
        // call on another thread, running when it fires, completes.
        let deadline = handle.interrupt_after(Duration::from_millis(20));
        let other = {
            let compiled = compiled.clone();
            let runtime = runtime.clone();
            std::thread::spawn(move || {
                let module = runtime
                    .instantiate_module(&compiled, ModuleConfig::new())
                    .unwrap();
                module.exported_function("naps").unwrap().call(&[20])
            })
        };
        assert!(other.join().unwrap().is_ok(), "{engine}");
        // ... and this thread's next call, which began after it fired, is stopped.
        let err = anonymous
            .exported_function("naps")
            .unwrap()
            .call(&[100_000])
            .unwrap_err();
        assert!(err.is_interrupted(), "{engine}: {err}");
        drop(deadline);
    }
}

/// After an interrupt the module stays open by default; with
/// `with_close_on_interrupt(true)` it is closed with
/// `EXIT_CODE_INTERRUPTED` and its name is free again.
#[test]
fn an_interrupted_module_stays_open_unless_configured_to_close() {
    for (engine, config) in engines::named() {
        for close in [false, true] {
            let runtime = Runtime::with_config(config.clone().with_close_on_interrupt(close));
            let compiled = runtime
                .compile_module(&wat::parse_str(GUEST).unwrap())
                .unwrap();
            let module = runtime
                .instantiate_module(&compiled, ModuleConfig::new().with_name("guest"))
                .unwrap();
            let spin = module.exported_function("spin").unwrap();
            let err = spin
                .call_with_timeout(&[], Duration::from_millis(10))
                .unwrap_err();
            assert!(err.is_interrupted(), "{engine}: {err}");
            assert_eq!(module.is_closed(), close, "{engine}");
            let count = module.exported_function("count").unwrap();
            if close {
                let err = count.call(&[3]).unwrap_err();
                assert_eq!(
                    err.exit_code(),
                    Some(wazero::EXIT_CODE_INTERRUPTED),
                    "{engine}: {err}"
                );
                // The name is free: the same name instantiates again.
                runtime
                    .instantiate_module(&compiled, ModuleConfig::new().with_name("guest"))
                    .unwrap();
            } else {
                assert_eq!(count.call(&[3]).unwrap(), vec![3], "{engine}");
            }
        }
    }
}

/// Many threads, each with its own instances in one runtime, mixing calls
/// cut short by their timeouts with calls that finish under theirs: every
/// result is the one its own timeout implies.
#[test]
fn per_call_timeouts_under_load_stop_exactly_their_calls() {
    for (engine, config) in engines::named() {
        let runtime = Runtime::with_config(config);
        let compiled = runtime
            .compile_module(&wat::parse_str(GUEST).unwrap())
            .unwrap();
        let workers: Vec<_> = (0..4)
            .map(|t| {
                let (runtime, compiled) = (runtime.clone(), compiled.clone());
                std::thread::spawn(move || {
                    for i in 0..25u64 {
                        let module = runtime
                            .instantiate_module(&compiled, ModuleConfig::new())
                            .unwrap();
                        let spin = module.exported_function("spin").unwrap();
                        let count = module.exported_function("count").unwrap();
                        let err = spin
                            .call_with_timeout(&[], Duration::from_millis(1 + (i + t) % 3))
                            .unwrap_err();
                        assert!(err.is_interrupted(), "{err}");
                        let n = 1000 + i;
                        assert_eq!(
                            count
                                .call_with_timeout(&[n], Duration::from_secs(60))
                                .unwrap(),
                            vec![n]
                        );
                    }
                })
            })
            .collect();
        for worker in workers {
            worker
                .join()
                .unwrap_or_else(|_| panic!("{engine}: a worker failed"));
        }
    }
}
