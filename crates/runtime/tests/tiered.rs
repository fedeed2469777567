//! The tiered engine (`RuntimeConfig::tiered`): calls between frames of the
//! two tiers, in both directions, traps and their backtraces across them, a
//! module moved while its guest runs, hot functions moved before the rest
//! of their module, and a second tier that cannot compile.
//!
//! Which tier ran a call is seen through the call-depth limit: the
//! interpreter counts frames against `with_max_call_depth`, compiled code
//! only its native stack, so a recursion deeper than the limit traps in the
//! interpreter and completes in compiled code.
//!
//! The other test files run their tests on the tiered engine with tier-up
//! forced too (see `engines/mod.rs`).

mod engines;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use wazero::engine::{LoopEntry, TierPolicy, TierUp};
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
    for _ in 0..5 {
        assert_eq!(call(&module, "main", &[100]).unwrap(), vec![100]);
        assert_eq!(call(&module, "rec", &[30]).unwrap(), vec![30]);
    }
    let tier_ups = tier_ups.lock().unwrap();
    let told: Vec<_> = tier_ups
        .iter()
        .map(|t| (t.functions, t.hot, t.error.is_none()))
        .collect();
    assert_eq!(
        told,
        [(3, true, true), (5, false, true)],
        "half of the functions (the even-numbered three), then all five"
    );
}

/// Compiled code calls the functions compiled without it through the
/// store, which runs them in the first tier: under the forced policy the
/// module's first half (`outer`, defined function 0) is compiled first,
/// and its callee `deep` (function 1) stays interpreted, where its
/// recursion traps at the depth limit, until the whole module is compiled
/// (at the eighth call into it), after which compiled turns complete it.
#[test]
fn hot_code_calls_the_functions_left_out_in_the_first_tier() {
    if !engines::HAS_COMPILER {
        return;
    }
    const OUTER_AND_DEEP: &str = r#"(module
        (func (export "outer") (param i32) (result i32)
            (i32.add (i32.const 1000) (call $deep (local.get 0))))
        (func $deep (param i32) (result i32)
            (if (result i32) (i32.eqz (local.get 0))
                (then (i32.const 0))
                (else (i32.add (i32.const 1)
                    (call $deep (i32.sub (local.get 0) (i32.const 1))))))))"#;
    let (policy, told) = told(TierPolicy::forced());
    let runtime = Runtime::with_config(
        RuntimeConfig::new()
            .with_tier_policy(policy)
            .with_max_call_depth(DEPTH_LIMIT),
    );
    let module = runtime
        .instantiate(&wat::parse_str(OUTER_AND_DEEP).unwrap())
        .unwrap();
    // Calls 1-4 (the stub's calls of `deep` count too): `outer` in either
    // tier, `deep` interpreted.
    for i in 0..2 {
        assert_eq!(
            trap_code(call(&module, "outer", &[100])),
            TrapCode::StackExhausted,
            "call {i}: deep is interpreted"
        );
    }
    let hot = told.try_recv().expect("the first half was compiled");
    assert_eq!((hot.functions, hot.hot, hot.error), (1, true, None));
    let results: Vec<_> = (0..8).map(|_| call(&module, "outer", &[100])).collect();
    let whole = told.try_recv().expect("then the whole module");
    assert_eq!((whole.functions, whole.hot, whole.error), (2, false, None));
    assert!(
        results.iter().any(|r| matches!(r, Ok(v) if v == &[1100])),
        "compiled turns complete the recursion: {results:?}"
    );
    for r in &results {
        assert!(
            matches!(r, Ok(v) if v == &[1100])
                || matches!(r, Err(Error::Trap(t)) if t.code == TrapCode::StackExhausted),
            "{r:?}"
        );
    }
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
    // Past the eighth call, where the whole module's compilation is tried.
    for _ in 0..5 {
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

/// A module whose `spin` runs one loop until the host says the module was
/// compiled, and 100 iterations more: the loop starts in the interpreter
/// and, when its module moves, goes on in compiled code (on-stack
/// replacement). Every kind of local crosses, and `after` says what the
/// function does when the loop ends: 0 returns, 1 traps, 2 throws.
const SPINNING: &str = r#"(module
    (import "env" "ready" (func $ready (result i32)))
    (tag $t (param i32))
    (func $spin (export "spin") (param $p i32) (param $after i32)
        (result i32 i64 f64 f32 i32 i32)
        (local $c i32) (local $sum i64) (local $x f64) (local $y f32)
        (local $v v128) (local $more i32)
        (local.set $p (i32.mul (local.get $p) (i32.const 3)))
        (loop $l
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (local.set $sum (i64.add (local.get $sum)
                (i64.extend_i32_u (i32.add (local.get $c) (local.get $p)))))
            (local.set $x (f64.add (local.get $x) (f64.const 0.5)))
            (local.set $y (f32.add (local.get $y) (f32.const 1)))
            (local.set $v (i32x4.add (local.get $v) (v128.const i32x4 1 2 3 4)))
            (if (call $ready)
                (then (local.set $more (i32.add (local.get $more) (i32.const 1)))))
            (br_if $l (i32.lt_u (local.get $more) (i32.const 100))))
        (if (i32.eq (local.get $after) (i32.const 1)) (then unreachable))
        (if (i32.eq (local.get $after) (i32.const 2)) (then (throw $t (local.get $c))))
        (local.get $c) (local.get $sum) (local.get $x) (local.get $y)
        (i32x4.extract_lane 3 (local.get $v)) (local.get $p))
    (func $middle (param i32) (result i32)
        (call $spin (i32.const 5) (local.get 0))
        (drop) (drop) (drop) (drop) (drop))
    (func (export "outer") (param i32) (result i32) (call $middle (local.get 0)))
    ;; The call into the module that starts its compilation.
    (func (export "nop"))
    (func (export "catching") (result i32)
        (block $caught (result i32)
            (try_table (catch $t $caught) (drop (call $middle (i32.const 2))))
            (i32.const -1))))"#;

/// A runtime of the tiered engine (background compilation) whose `env.ready`
/// says whether the module was compiled and the loop moved, and the instance
/// of [`SPINNING`];
/// the loop entries the engine made are in the list returned. The module's
/// compilation starts at its second call, which the first `ready` makes:
/// when the loop already runs in the interpreter.
fn spinning() -> (Runtime, wazero::Module, Arc<Mutex<Vec<LoopEntry>>>) {
    let kicked = AtomicBool::new(false);
    let compiled = Arc::new(AtomicBool::new(false));
    let entries = Arc::new(Mutex::new(Vec::new()));
    let (done, seen, entered) = (compiled.clone(), entries.clone(), entries.clone());
    let policy = TierPolicy::default()
        .with_calls(2)
        .with_on_tier_up(move |t| {
            assert_eq!(t.error, None);
            done.store(true, Ordering::SeqCst);
        })
        .with_on_loop_entry(move |e| seen.lock().unwrap().push(e.clone()));
    let runtime = Runtime::with_config(RuntimeConfig::new().with_tier_policy(policy));
    let started = Instant::now();
    runtime
        .new_host_module_builder("env")
        .new_function_builder()
        .with_func(move |caller: &mut wazero::Caller<'_>| -> i32 {
            if !kicked.swap(true, Ordering::SeqCst) {
                let mut nop = caller.exported_function("nop").unwrap();
                nop.call(&[]).unwrap();
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "the background compilation ends"
            );
            // Ready once the loop moved: its entry is compiled in the
            // background after the module, while the loop goes on here.
            let moved = !entered.lock().unwrap().is_empty();
            (compiled.load(Ordering::SeqCst) && moved).into()
        })
        .export("ready")
        .instantiate()
        .unwrap();
    let module = runtime
        .instantiate(&wat::parse_str(SPINNING).unwrap())
        .unwrap();
    (runtime, module, entries)
}

/// The loop of a function called once moves into compiled code while it
/// runs, with every local's value: the results are those of one run of the
/// loop, however many iterations ran in each tier.
#[test]
fn a_loop_running_in_the_interpreter_moves_into_compiled_code() {
    if !engines::HAS_COMPILER {
        return;
    }
    let (_rt, module, entries) = spinning();
    let r = call(&module, "spin", &[7, 0]).unwrap();
    let c = r[0];
    assert!(c >= 100, "{r:?}");
    let p = 21;
    assert_eq!(r[5], p);
    assert_eq!(r[1], c * (c + 1) / 2 + c * p, "the i64 sum");
    assert_eq!(f64::from_bits(r[2]), c as f64 * 0.5);
    assert_eq!(f32::from_bits(r[3] as u32), c as f32);
    assert_eq!(r[4], 4 * c, "the v128's last lane");
    let entries = entries.lock().unwrap();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0].function, 1, "spin, after the import");
}

/// A trap in the loop's function after it moved has the same backtrace as
/// on the interpreter alone: the function once, then its interpreted
/// callers.
#[test]
fn a_trap_after_a_loop_entry_has_the_interpreted_callers_in_its_backtrace() {
    if !engines::HAS_COMPILER {
        return;
    }
    let (_rt, module, entries) = spinning();
    let trap = match call(&module, "outer", &[1]) {
        Err(Error::Trap(trap)) => trap,
        other => panic!("expected a trap, got {other:?}"),
    };
    assert_eq!(trap.code, TrapCode::Unreachable);
    assert_eq!(entries.lock().unwrap().len(), 1);
    assert_eq!(trap.backtrace.len(), 3, "{:?}", trap.backtrace);
    let runtime = Runtime::with_config(RuntimeConfig::interpreter());
    runtime
        .new_host_module_builder("env")
        .new_function_builder()
        .with_func(|| -> i32 { 1 })
        .export("ready")
        .instantiate()
        .unwrap();
    let alone = runtime
        .instantiate(&wat::parse_str(SPINNING).unwrap())
        .unwrap();
    match call(&alone, "outer", &[1]) {
        Err(Error::Trap(t)) => assert_eq!(t.backtrace, trap.backtrace),
        other => panic!("expected a trap, got {other:?}"),
    }
}

/// An exception thrown after the loop moved is caught by an interpreted
/// caller's `try_table`.
#[test]
fn an_exception_thrown_after_a_loop_entry_reaches_the_interpreted_handler() {
    if !engines::HAS_COMPILER {
        return;
    }
    let (_rt, module, entries) = spinning();
    let caught = call(&module, "catching", &[]).unwrap()[0];
    assert!(
        caught >= 100,
        "the payload is the iteration count: {caught}"
    );
    assert_eq!(entries.lock().unwrap().len(), 1);
}

/// With a profile window, the functions the interpreter is sampled
/// running, and those they call, are compiled first: `main`'s loop (and
/// `step`, which it calls) move to compiled code while `cold`, a large
/// function nothing calls, waits for the whole module's compilation. The
/// host's `done` lets the loop end ten iterations after the hot
/// functions' code is in use, so the loop moves at a back-edge first.
#[test]
fn the_functions_running_hot_move_before_the_module() {
    if !engines::HAS_COMPILER {
        return;
    }
    // `cold` is a long chain of additions, so that `main` and `step` are
    // less than half of the module.
    let chain = "(local.set 0 (i32.add (local.get 0) (i32.const 7)))\n".repeat(400);
    let wat = format!(
        r#"(module
        (import "env" "done" (func $done (result i32)))
        (func $step (param i32) (result i32) (i32.add (local.get 0) (i32.const 3)))
        (func (export "main") (result i32 i32) (local $i i32) (local $acc i32)
            (loop $l
                (local.set $acc (call $step (local.get $acc)))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br_if $l (i32.eqz (call $done))))
            (local.get $i) (local.get $acc))
        (func (export "cold") (param i32) (result i32) {chain} (local.get 0)))"#
    );
    let tier_ups = Arc::new(Mutex::new(Vec::<TierUp>::new()));
    let entries = Arc::new(Mutex::new(Vec::<LoopEntry>::new()));
    let (seen, entered) = (tier_ups.clone(), entries.clone());
    let policy = TierPolicy::default()
        .with_profile(Duration::from_millis(20))
        .with_on_tier_up(move |t| seen.lock().unwrap().push(t.clone()))
        .with_on_loop_entry(move |e| entered.lock().unwrap().push(e.clone()));
    let runtime = Runtime::with_config(RuntimeConfig::new().with_tier_policy(policy));
    let (hot_seen, moved) = (tier_ups.clone(), entries.clone());
    let after_hot = std::sync::atomic::AtomicU32::new(0);
    let started = Instant::now();
    runtime
        .new_host_module_builder("env")
        .new_function_builder()
        .with_func(move || -> i32 {
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "the hot functions are compiled"
            );
            if !hot_seen.lock().unwrap().iter().any(|t| t.hot) {
                return 0;
            }
            // The loop's entry is compiled in the background after the hot
            // functions; the loop moves once it is.
            if moved.lock().unwrap().is_empty() {
                return 0;
            }
            (after_hot.fetch_add(1, Ordering::SeqCst) >= 10).into()
        })
        .export("done")
        .instantiate()
        .unwrap();
    let module = runtime.instantiate(&wat::parse_str(&wat).unwrap()).unwrap();
    let r = call(&module, "main", &[]).unwrap();
    assert_eq!(r[1], 3 * r[0], "{r:?}");
    let hot = tier_ups.lock().unwrap()[0].clone();
    assert_eq!((hot.functions, hot.hot, hot.error), (2, true, None));
    let entries = entries.lock().unwrap();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0].function, 2, "main, after the import and step");
    // `cold` runs correctly in whichever tier it is in now.
    assert_eq!(call(&module, "cold", &[1]).unwrap(), vec![1 + 7 * 400]);
}

/// A large module moves its hot functions first (here every module is
/// large enough, by the policy's threshold). Once nothing new runs in the
/// first tier, sampling pauses; when a function runs there again, it
/// resumes, and a second batch moves that function too, while the module's
/// cold function still waits.
#[test]
fn sampling_pauses_while_nothing_new_runs_and_resumes_when_something_does() {
    if !engines::HAS_COMPILER {
        return;
    }
    // `cold` is large, so that `a` and `b` stay well under a third of the
    // module (which would compile it whole).
    let chain = "(local.set 0 (i32.add (local.get 0) (i32.const 7)))\n".repeat(400);
    let counting = |name: &str, op: &str| {
        format!(
            r#"(func (export "{name}") (param $n i32) (result i32) (local $acc i32)
                (loop $l
                    (local.set $acc ({op} (local.get $acc) (local.get $n)))
                    (local.set $n (i32.sub (local.get $n) (i32.const 1)))
                    (br_if $l (local.get $n)))
                (local.get $acc))"#
        )
    };
    let wat = format!(
        "(module {} {} (func (export \"cold\") (param i32) (result i32) {chain} (local.get 0)))",
        counting("a", "i32.add"),
        counting("b", "i32.xor"),
    );
    let (policy, tier_ups) = told(TierPolicy::default().with_hot_first_from(1));
    let runtime = Runtime::with_config(RuntimeConfig::new().with_tier_policy(policy));
    let module = runtime.instantiate(&wat::parse_str(&wat).unwrap()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    // Runs `name` until a compilation is told.
    let run_until_told = |name: &str, want: u64| loop {
        assert_eq!(call(&module, name, &[100_000]).unwrap(), vec![want]);
        if let Ok(t) = tier_ups.try_recv() {
            break t;
        }
        assert!(Instant::now() < deadline, "no batch moved {name}");
    };
    let sum = (1..=100_000u64).sum::<u64>() as u32 as u64;
    let xor = (1..=100_000u32).fold(0, |a, n| a ^ n) as u64;
    let first = run_until_told("a", sum);
    assert_eq!((first.hot, first.functions, first.error), (true, 1, None));
    // Nothing runs in the first tier: rounds find nothing new, and
    // sampling pauses (80 + 120 ms of quiet rounds).
    std::thread::sleep(Duration::from_millis(500));
    assert!(tier_ups.try_recv().is_err(), "nothing new ran");
    let second = run_until_told("b", xor);
    assert_eq!(
        (second.hot, second.functions, second.error),
        (true, 2, None),
        "a batch of `a` and `b`, not the whole module"
    );
    assert_eq!(call(&module, "cold", &[1]).unwrap(), vec![1 + 7 * 400]);
}
