//! Instances that share no state run in parallel in one `Runtime`: an
//! anonymous module whose imports are host functions (or nothing) runs in a
//! store of its own. Named modules, which others may import, share the
//! namespace's store and run one call at a time. A stress test of many
//! threads instantiating, calling, trapping, interrupting and closing in one
//! runtime checks every result.

mod engines;

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use wazero::{Error, ModuleConfig, Runtime, TrapCode};

/// Two guests that each wait inside a host function for the other to arrive
/// there: they meet only if both run at once.
const MEET: &str = r#"(module
    (import "env" "meet" (func $meet (result i32)))
    (func (export "run") (result i32) (call $meet)))"#;

/// A host module whose `meet` waits up to `patience` for a second caller;
/// 1 if it came.
fn rendezvous(runtime: &Runtime, patience: Duration) {
    // (guests inside now, whether two ever were at once)
    let state = Arc::new((Mutex::new((0u32, false)), Condvar::new()));
    runtime
        .new_host_module_builder("env")
        .new_function_builder()
        .with_func(move || -> i32 {
            let (inside, wake) = &*state;
            let mut s = inside.lock().unwrap();
            s.0 += 1;
            if s.0 >= 2 {
                s.1 = true;
            }
            wake.notify_all();
            let (mut s, _) = wake.wait_timeout_while(s, patience, |s| !s.1).unwrap();
            s.0 -= 1;
            i32::from(s.1)
        })
        .export("meet")
        .instantiate()
        .unwrap();
}

fn meet_on_two_threads(runtime: &Runtime, name: impl Fn(usize) -> String) -> Vec<u64> {
    let compiled = runtime
        .compile_module(&wat::parse_str(MEET).unwrap())
        .unwrap();
    let threads: Vec<_> = (0..2)
        .map(|i| {
            let (runtime, compiled, name) = (runtime.clone(), compiled.clone(), name(i));
            std::thread::spawn(move || {
                let module = runtime
                    .instantiate_module(&compiled, ModuleConfig::new().with_name(name))
                    .unwrap();
                module.exported_function("run").unwrap().call(&[]).unwrap()[0]
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).collect()
}

#[test]
fn anonymous_instances_importing_host_functions_run_in_parallel() {
    for (engine, config) in engines::named() {
        let runtime = Runtime::with_config(config);
        rendezvous(&runtime, Duration::from_secs(20));
        let met = meet_on_two_threads(&runtime, |_| String::new());
        assert_eq!(
            met,
            vec![1, 1],
            "{engine}: both guests were in the host at once"
        );
    }
}

#[test]
fn named_instances_share_the_namespace_store_and_take_turns() {
    for (engine, config) in engines::named() {
        let runtime = Runtime::with_config(config);
        rendezvous(&runtime, Duration::from_millis(200));
        let met = meet_on_two_threads(&runtime, |i| format!("named-{i}"));
        assert_eq!(met, vec![0, 0], "{engine}: one call at a time");
    }
}

/// The stress test: per engine, 4 threads each run 40 rounds of
/// instantiate, call (results checked), trap, memory round trip, and every
/// fifth round a spinning call stopped by closing its module from the
/// calling thread's helper; a fifth thread keeps registering and looking up
/// named modules; an interrupt handle fires at random meanwhile.
#[test]
fn many_threads_instantiate_call_trap_interrupt_and_close_in_one_runtime() {
    const GUEST: &str = r#"(module
        (import "env" "twice" (func $twice (param i32) (result i32)))
        (memory (export "memory") 1)
        (func (export "add") (param i32 i32) (result i32)
            (call $twice (i32.add (local.get 0) (local.get 1))))
        (func (export "trap") unreachable)
        (func (export "poke") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
        (func (export "peek") (param i32) (result i32) (i32.load (local.get 0)))
        (func (export "spin") (loop (br 0))))"#;
    for (engine, config) in engines::named() {
        let runtime = Runtime::with_config(config);
        runtime
            .new_host_module_builder("env")
            .new_function_builder()
            .with_func(|x: i32| x.wrapping_mul(2))
            .export("twice")
            .instantiate()
            .unwrap();
        let compiled = runtime
            .compile_module(&wat::parse_str(GUEST).unwrap())
            .unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let interrupted = Arc::new(AtomicU32::new(0));
        let mut workers = Vec::new();
        for t in 0..4u32 {
            let (runtime, compiled, interrupted) =
                (runtime.clone(), compiled.clone(), interrupted.clone());
            workers.push(std::thread::spawn(move || {
                for round in 0..40u32 {
                    let module = runtime
                        .instantiate_module(&compiled, ModuleConfig::new().with_name(""))
                        .unwrap();
                    let call = |name: &str, params: &[u64]| {
                        module.exported_function(name).unwrap().call(params)
                    };
                    let (a, b) = (t * 1000 + round, round * 7);
                    match call("add", &[u64::from(a), u64::from(b)]) {
                        Ok(r) => assert_eq!(r, vec![u64::from((a + b) * 2)]),
                        // A random interrupt may land here; nothing else may.
                        Err(e) if e.is_interrupted() => {
                            interrupted.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(e) => panic!("add: {e}"),
                    }
                    match call("trap", &[]) {
                        Err(e) if e.trap_code() == Some(TrapCode::Unreachable) => {}
                        Err(e) if e.is_interrupted() => {}
                        other => panic!("trap: {other:?}"),
                    }
                    let at = 8 * round;
                    if call("poke", &[u64::from(at), u64::from(a)]).is_ok() {
                        // Each instance has its own memory: nobody else wrote it.
                        if let Ok(r) = call("peek", &[u64::from(at)]) {
                            assert_eq!(r, vec![u64::from(a)]);
                        }
                    }
                    if round % 5 == 0 {
                        let spin = module.exported_function("spin").unwrap();
                        let spinning = std::thread::spawn(move || spin.call(&[]));
                        std::thread::sleep(Duration::from_millis(2));
                        module.close().unwrap();
                        assert!(spinning.join().unwrap().is_err(), "the spin was stopped");
                        assert!(module.is_closed());
                        assert!(matches!(call("add", &[1, 2]), Err(Error::Exit(0))));
                    }
                }
            }));
        }
        // Names: registered, looked up and closed concurrently, never mixed up.
        let namer = {
            let (runtime, stop) = (runtime.clone(), stop.clone());
            let empty = runtime
                .compile_module(&wat::parse_str("(module)").unwrap())
                .unwrap();
            std::thread::spawn(move || {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    let name = format!("named-{n}");
                    let module = runtime
                        .instantiate_module(&empty, ModuleConfig::new().with_name(&name))
                        .unwrap();
                    assert_eq!(runtime.module(&name).unwrap().name(), name);
                    module.close().unwrap();
                    assert!(runtime.module(&name).is_none());
                    n += 1;
                }
                n
            })
        };
        let interrupter = {
            let (handle, stop) = (runtime.interrupt_handle(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(3));
                    handle.interrupt();
                }
            })
        };
        for w in workers {
            w.join().unwrap();
        }
        stop.store(true, Ordering::Relaxed);
        assert!(namer.join().unwrap() > 0, "{engine}");
        interrupter.join().unwrap();
        runtime.close().unwrap();
    }
}
