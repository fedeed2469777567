//! The tiered engine (`RuntimeConfig::tiered`): calls between frames of the
//! two tiers, in both directions, traps and their backtraces across them, a
//! module moved while its guest runs, and a second tier that cannot compile.
//!
//! Which tier ran a call is seen through the call-depth limit: the
//! interpreter counts frames against `with_max_call_depth`, compiled code
//! only its native stack, so a recursion deeper than the limit traps in the
//! interpreter and completes in compiled code.
//!
//! The other test files run their tests on the tiered engine with tier-up
//! forced too (see `engines/mod.rs`).

mod engines;

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use wazero::engine::{TierPolicy, TierUp};
use wazero::{Error, Runtime, RuntimeConfig, TrapCode};

/// Recursion 100 deep, under a call-depth limit of 50 frames.
const DEPTH_LIMIT: u32 = 50;

const RECURSIVE: &str = r#"(module
    (import "env" "wait" (func $wait))
    (func $rec (export "rec") (param i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0))
            (then (i32.const 0))
            (else (i32.add (i32.const 1)
                (call $rec (i32.sub (local.get 0) (i32.const 1)))))))
    ;; Waits for the host, then recurses: the wait is where the module moves.
    (func (export "main") (param i32) (result i32)
        (call $wait)
        (call $rec (local.get 0)))
    (func $boom (unreachable))
    (func $middle (call $boom))
    (func (export "outer") (call $middle)))"#;

/// A runtime with `policy` and the depth limit, whose host function
/// `env.wait` runs `wait`, and the instance of [`RECURSIVE`].
fn recursive(
    config: RuntimeConfig,
    wait: impl Fn() + Send + Sync + 'static,
) -> (Runtime, wazero::Module) {
    let runtime = Runtime::with_config(config.with_max_call_depth(DEPTH_LIMIT));
    runtime
        .new_host_module_builder("env")
        .new_function_builder()
        .with_func(wait)
        .export("wait")
        .instantiate()
        .unwrap();
    let module = runtime
        .instantiate(&wat::parse_str(RECURSIVE).unwrap())
        .unwrap();
    (runtime, module)
}

/// `policy` with a hook that sends each [`TierUp`] to the receiver returned.
fn told(policy: TierPolicy) -> (TierPolicy, mpsc::Receiver<TierUp>) {
    let (done, finished) = mpsc::channel::<TierUp>();
    let done = Mutex::new(done);
    let policy = policy.with_on_tier_up(move |t| done.lock().unwrap().send(t.clone()).unwrap());
    (policy, finished)
}

fn call(module: &wazero::Module, name: &str, params: &[u64]) -> Result<Vec<u64>, Error> {
    module.exported_function(name).unwrap().call(params)
}

fn trap_code(result: Result<Vec<u64>, Error>) -> TrapCode {
    match result {
        Err(Error::Trap(trap)) => trap.code,
        other => panic!("expected a trap, got {other:?}"),
    }
}

/// The depth limit tells the tiers apart: the interpreter traps, the
/// compiler does not.
#[test]
fn the_depth_limit_tells_the_tiers_apart() {
    if !engines::HAS_COMPILER {
        return;
    }
    let (_rt, interpreted) = recursive(RuntimeConfig::interpreter(), || {});
    assert_eq!(
        trap_code(call(&interpreted, "rec", &[100])),
        TrapCode::StackExhausted
    );
    let (_rt, compiled) = recursive(RuntimeConfig::compiler(), || {});
    assert_eq!(call(&compiled, "rec", &[100]).unwrap(), vec![100]);
}

/// Under the forced policy the first call runs its own frame in the
/// interpreter, and the calls that frame makes in compiled code; the second
/// runs compiled from the start. Both complete the recursion.
#[test]
fn calls_from_interpreted_frames_run_compiled_once_the_module_moved() {
    if !engines::HAS_COMPILER {
        return;
    }
    let tier_ups = Arc::new(Mutex::new(Vec::<TierUp>::new()));
    let seen = tier_ups.clone();
    let policy =
        TierPolicy::forced().with_on_tier_up(move |t| seen.lock().unwrap().push(t.clone()));
    let (_rt, module) = recursive(RuntimeConfig::new().with_tier_policy(policy), || {});
    for _ in 0..3 {
        assert_eq!(call(&module, "main", &[100]).unwrap(), vec![100]);
        assert_eq!(call(&module, "rec", &[30]).unwrap(), vec![30]);
    }
    let tier_ups = tier_ups.lock().unwrap();
    assert_eq!(tier_ups.len(), 1, "one compilation for the module");
    assert_eq!(tier_ups[0].functions, 5);
    assert_eq!(tier_ups[0].error, None);
}

/// With the default policy the module moves while its guest runs: the
/// first call runs in the interpreter and traps at the depth limit; the
/// second starts the background compilation, waits in a host function for
/// it to finish, then recurses in compiled code, called from its
/// interpreted frame.
#[test]
fn a_running_guest_moves_to_compiled_code_compiled_in_the_background() {
    if !engines::HAS_COMPILER {
        return;
    }
    let (policy, finished) = told(TierPolicy::default().with_calls(2));
    let finished = Mutex::new(finished);
    let (_rt, module) = recursive(RuntimeConfig::new().with_tier_policy(policy), move || {
        let event = finished
            .lock()
            .unwrap()
            .recv_timeout(Duration::from_secs(120))
            .expect("the background compilation ends");
        assert_eq!(event.error, None);
    });
    assert_eq!(
        trap_code(call(&module, "rec", &[100])),
        TrapCode::StackExhausted,
        "the first call runs in the interpreter"
    );
    assert_eq!(call(&module, "main", &[100]).unwrap(), vec![100]);
    assert_eq!(call(&module, "rec", &[100]).unwrap(), vec![100]);
}

/// A trap in compiled code called from an interpreted frame carries the
/// frames of both tiers, innermost first, as each engine alone reports them.
#[test]
fn a_trap_across_the_tiers_has_every_frame_in_its_backtrace() {
    if !engines::HAS_COMPILER {
        return;
    }
    let backtrace = |config: RuntimeConfig| match recursive(config, || {})
        .1
        .exported_function("outer")
        .unwrap()
        .call(&[])
    {
        Err(Error::Trap(trap)) => {
            assert_eq!(trap.code, TrapCode::Unreachable);
            trap.backtrace
        }
        other => panic!("expected a trap, got {other:?}"),
    };
    let alone = backtrace(RuntimeConfig::interpreter());
    assert_eq!(alone.len(), 3, "{alone:?}");
    assert_eq!(backtrace(RuntimeConfig::compiler()), alone);
    // Forced: the first call's `outer` is interpreted, `middle` and `boom`
    // compiled; the second call's all compiled.
    let (_rt, module) = recursive(
        RuntimeConfig::new().with_tier_policy(TierPolicy::forced()),
        || {},
    );
    for _ in 0..2 {
        match call(&module, "outer", &[]) {
            Err(Error::Trap(trap)) => assert_eq!(trap.backtrace, alone),
            other => panic!("expected a trap, got {other:?}"),
        }
    }
}

/// A module the second tier cannot compile (here, a function past the
/// compiler's block limit: `rec` has one) keeps running in the first, and the hook hears
/// why.
#[test]
fn a_module_the_compiler_refuses_stays_in_the_interpreter() {
    if !engines::HAS_COMPILER {
        return;
    }
    let (policy, finished) = told(TierPolicy::forced());
    let config = RuntimeConfig::new()
        .with_tier_policy(policy)
        .with_max_function_blocks(0);
    let (_rt, module) = recursive(config, || {});
    for _ in 0..2 {
        assert_eq!(call(&module, "rec", &[10]).unwrap(), vec![10]);
        assert_eq!(
            trap_code(call(&module, "rec", &[100])),
            TrapCode::StackExhausted,
            "still interpreted"
        );
    }
    let event = finished.try_recv().expect("the hook was told");
    let error = event.error.expect("the compiler refused the module");
    assert!(error.contains("block"), "{error}");
    assert!(finished.try_recv().is_err(), "told once");
}

/// `RuntimeConfig::tiered` is the tiered engine where the compiler exists.
#[test]
fn tiered_is_an_engine_of_its_own() {
    let name = Runtime::with_config(RuntimeConfig::tiered()).engine_name();
    if engines::HAS_COMPILER {
        assert_eq!(name, "tiered");
    } else {
        assert_eq!(name, "interpreter");
    }
}

/// Runaway recursion in compiled code called from an interpreted frame stops
/// where it stops on the compiler alone (the compiler's own stack budget, not
/// the interpreter's whole native stack): its backtrace is as long, give or
/// take the interpreted frame.
#[test]
fn runaway_recursion_under_an_interpreted_frame_stops_at_the_compilers_budget() {
    if !engines::HAS_COMPILER {
        return;
    }
    const RUNAWAY: &str = r#"(module
        (func $runaway (export "runaway") (call $runaway)))"#;
    let frames = |config: RuntimeConfig| {
        let runtime = Runtime::with_config(config);
        let module = runtime
            .instantiate(&wat::parse_str(RUNAWAY).unwrap())
            .unwrap();
        match call(&module, "runaway", &[]) {
            Err(Error::Trap(trap)) => {
                assert_eq!(trap.code, TrapCode::StackExhausted);
                trap.backtrace.len()
            }
            other => panic!("expected a trap, got {other:?}"),
        }
    };
    let alone = frames(RuntimeConfig::compiler());
    // The first call's entry frame is interpreted, its callees compiled.
    let tiered = frames(RuntimeConfig::new().with_tier_policy(TierPolicy::forced()));
    assert!(
        tiered <= alone + 2,
        "{tiered} frames under the tiered engine, {alone} on the compiler alone"
    );
}
