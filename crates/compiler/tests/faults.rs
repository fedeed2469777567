//! Traps of compiled code, which are all signals turned into traps by the
//! handler: out-of-bounds memory accesses, with guard pages (the fault) and with
//! explicit checks (a trap instruction), and every other trap instruction; the
//! right trap, the whole backtrace, memory untouched, and the engine usable
//! after. Signals the handler must not claim still kill the process.

use wazero::{CallError, Caller, ModuleConfig, Runtime, RuntimeConfig, TrapCode};

fn configs() -> [(&'static str, RuntimeConfig); 2] {
    [
        ("guard pages", RuntimeConfig::compiler()),
        (
            "explicit checks",
            RuntimeConfig::compiler().with_explicit_bounds_checks(true),
        ),
    ]
}

/// This test binary running only the test `name`, in a child process; under
/// an emulator (`cargo xtask test-arm64` sets `WAZERO_TEST_RUNNER` to its
/// command line), through it again.
fn this_test(name: &str) -> std::process::Command {
    let exe = std::env::current_exe().unwrap();
    let runner = std::env::var("WAZERO_TEST_RUNNER").unwrap_or_default();
    let mut words = runner.split_whitespace();
    let mut command = match words.next() {
        Some(program) => {
            let mut c = std::process::Command::new(program);
            c.args(words).arg(exe);
            c
        }
        None => std::process::Command::new(exe),
    };
    command.args(["--exact", name]);
    command
}

/// The compiler engine of this host's ISA.
#[cfg(target_arch = "x86_64")]
use wazero_compiler_amd64::Amd64Compiler as Native;
#[cfg(target_arch = "aarch64")]
use wazero_compiler_arm64::Arm64Compiler as Native;

#[test]
fn the_compiler_uses_guard_pages_on_linux() {
    let engine = Native::new().unwrap();
    assert_eq!(engine.guard_pages(), cfg!(target_os = "linux"));
    let explicit = Native::with_guard_pages(false).unwrap();
    assert!(!explicit.guard_pages());
}

#[test]
fn the_runtime_picks_the_compiler_of_this_isa() {
    use wazero::Runtime;
    // The default engine tiers up to it.
    assert_eq!(Runtime::new().engine_name(), "tiered");
    let compiler = Runtime::with_config(wazero::RuntimeConfig::compiler());
    assert_eq!(compiler.engine_name(), "compiler");
    let isa = format!("{:?}", Native::new().unwrap());
    // Cranelift's names of its backends.
    let arch = if cfg!(target_arch = "x86_64") {
        "x64"
    } else {
        "aarch64"
    };
    assert!(isa.contains(arch), "{isa}");
}

const MODULE: &str = r#"(module
  (memory (export "memory") 1 3)
  (func $load (export "load") (param i32) (result i64) (i64.load (local.get 0)))
  (func $load_far (export "load_far") (param i32) (result i32)
    (i32.load offset=0xffffffff (local.get 0)))
  (func $store (export "store") (param i32 i64) (i64.store (local.get 0) (local.get 1)))
  (func $store8 (export "store8") (param i32) (i32.store8 (local.get 0) (i32.const 0x55)))
  (func $inner (param i32) (result i64) (i64.load offset=8 (local.get 0)))
  (func $middle (param i32) (result i64) (i64.add (call $inner (local.get 0)) (i64.const 1)))
  (func $outer (export "nested") (param i32) (result i64) (call $middle (local.get 0)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
)"#;

/// A runtime with [`MODULE`] instantiated as `m`.
fn with_module_m(config: RuntimeConfig) -> (Runtime, wazero::Module) {
    let runtime = Runtime::with_config(config);
    let compiled = runtime
        .compile_module(&wat::parse_str(MODULE).unwrap())
        .unwrap();
    let module = runtime
        .instantiate_module(&compiled, ModuleConfig::new().with_name("m"))
        .unwrap();
    (runtime, module)
}

#[test]
fn out_of_bounds_accesses_trap_with_a_backtrace() {
    struct Case {
        export: &'static str,
        args: Vec<u64>,
        /// `Some(results)` when the call returns, `None` when it traps.
        returns: Option<Vec<u64>>,
    }
    let ok = |export, args: Vec<u64>, r: Vec<u64>| Case {
        export,
        args,
        returns: Some(r),
    };
    let oob = |export, args: Vec<u64>| Case {
        export,
        args,
        returns: None,
    };
    let cases = [
        ok("load", vec![65536 - 8], vec![0]),
        oob("load", vec![65536 - 7]),
        oob("load", vec![65536]),
        oob("load", vec![u64::from(u32::MAX)]),
        oob("load_far", vec![0]),
        oob("load_far", vec![u64::from(u32::MAX)]),
        ok("store", vec![65536 - 8, 0x1122334455667788], vec![]),
        // Straddling the end: nothing may be written.
        oob("store", vec![65536 - 4, u64::MAX]),
        ok("load", vec![65536 - 8], vec![0x1122334455667788]),
        oob("store8", vec![65536]),
        oob("nested", vec![65536 - 15]),
        ok("nested", vec![65536 - 16], vec![0x1122334455667789]),
        // Growing moves the end; the next page becomes accessible.
        ok("grow", vec![1], vec![1]),
        ok("load", vec![65536], vec![0]),
        oob("load", vec![2 * 65536 - 7]),
        ok("grow", vec![5], vec![u64::from(u32::MAX)]),
    ];
    for (mode, config) in configs() {
        let (_runtime, module) = with_module_m(config);
        for case in &cases {
            let f = module.exported_function(case.export).unwrap();
            let what = format!("{mode}: {}({:x?})", case.export, case.args);
            match (&case.returns, f.call(&case.args)) {
                (Some(want), Ok(got)) => assert_eq!(&got, want, "{what}"),
                (None, Err(e)) => {
                    assert_eq!(
                        e.trap_code(),
                        Some(TrapCode::MemoryOutOfBounds),
                        "{what}: {e}"
                    );
                    let text = e.to_string();
                    if case.export == "nested" {
                        let at = |name: &str| {
                            text.find(name)
                                .unwrap_or_else(|| panic!("{what}: {name} in {text}"))
                        };
                        assert!(
                            at("m.inner") < at("m.middle") && at("m.middle") < at("m.outer"),
                            "{what}: {text}"
                        );
                    } else {
                        assert!(text.contains("m."), "{what}: {text}");
                    }
                }
                (want, got) => panic!("{what}: expected {want:?}, got {got:?}"),
            }
        }
    }
}

#[test]
fn a_fault_in_another_instance_or_under_a_host_call_unwinds_to_the_right_caller() {
    for (mode, config) in configs() {
        let (runtime, _) = with_module_m(config);
        // A host function calls back into the guest, whose access faults; the
        // host sees the trap and returns 7 instead.
        runtime
            .new_host_module_builder("host")
            .new_function_builder()
            .with_func(|caller: &mut Caller<'_>, addr: i32| -> i64 {
                let mut f = caller.exported_function("load").unwrap();
                match f.call(&[addr as u32 as u64]) {
                    Ok(r) => r[0] as i64,
                    Err(CallError::Trap(t)) if t.code == TrapCode::MemoryOutOfBounds => 7,
                    Err(e) => panic!("unexpected {e}"),
                }
            })
            .export("reenter")
            .instantiate()
            .unwrap();
        let user = runtime
            .instantiate(
                &wat::parse_str(
                    r#"(module
                      (import "m" "nested" (func $nested (param i32) (result i64)))
                      (import "host" "reenter" (func $reenter (param i32) (result i64)))
                      (memory 1)
                      (func (export "load") (param i32) (result i64) (i64.load (local.get 0)))
                      (func (export "via_import") (param i32) (result i64) (call $nested (local.get 0)))
                      (func (export "via_host") (param i32) (result i64) (call $reenter (local.get 0))))"#,
                )
                .unwrap(),
            )
            .unwrap();
        let e = user
            .exported_function("via_import")
            .unwrap()
            .call(&[65536])
            .unwrap_err();
        assert_eq!(e.trap_code(), Some(TrapCode::MemoryOutOfBounds), "{mode}");
        let text = e.to_string();
        assert!(
            text.contains("m.outer\n") && text.ends_with(".$3"),
            "{mode}: {text}"
        );
        let via_host = user.exported_function("via_host").unwrap();
        assert_eq!(via_host.call(&[65536]).unwrap(), vec![7], "{mode}");
        assert_eq!(via_host.call(&[0]).unwrap(), vec![0], "{mode}");
    }
}

#[test]
fn faults_on_many_threads_at_once_stay_on_their_thread() {
    let runtime = Runtime::new();
    let compiled = runtime
        .compile_module(&wat::parse_str(MODULE).unwrap())
        .unwrap();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (runtime, compiled) = (runtime.clone(), compiled.clone());
            std::thread::spawn(move || {
                let ns = runtime.new_namespace();
                let m = ns
                    .instantiate_module(&compiled, ModuleConfig::new())
                    .unwrap();
                let load = m.exported_function("load").unwrap();
                for i in 0..500u64 {
                    let addr = if i % 2 == 0 { 70_000 } else { 8 };
                    match load.call(&[addr]) {
                        Ok(r) => assert_eq!((addr, r), (8, vec![0])),
                        Err(e) => {
                            assert_eq!(addr, 70_000);
                            assert_eq!(e.trap_code(), Some(TrapCode::MemoryOutOfBounds));
                        }
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

/// A fault outside compiled code is not claimed by the handler: the process
/// still dies of it (checked in a child process running this same test).
#[test]
fn a_fault_outside_compiled_code_still_crashes() {
    const CHILD: &str = "WAZERO_FAULT_TEST_CHILD";
    if std::env::var_os(CHILD).is_some() {
        let runtime = Runtime::new();
        let m = runtime
            .instantiate(&wat::parse_str(MODULE).unwrap())
            .unwrap();
        let load = m.exported_function("load").unwrap();
        assert!(load.call(&[70_000]).is_err(), "the handler is installed");
        let bad = std::hint::black_box(16usize) as *const u64;
        // SAFETY: none: this deliberately faults, to show the process dies.
        let v = unsafe { std::ptr::read_volatile(bad) };
        println!("read {v} from a bad address");
        return;
    }
    let status = this_test("a_fault_outside_compiled_code_still_crashes")
        .env(CHILD, "1")
        .output()
        .unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.status.signal(), Some(11), "{status:?}");
}

/// Every kind of trap instruction, raised two calls deep: it unwinds all three
/// frames at once with the trap's code and the whole backtrace, and the
/// instance keeps working.
#[test]
fn every_trap_unwinds_nested_calls_with_its_code_and_backtrace() {
    const TRAPS: &str = r#"(module
      (type $t (func (result i32)))
      (table 2 funcref)
      (elem (i32.const 0) $ok)
      (func $ok (result i32) (i32.const 7))
      (func $inner (param i32) (result i32)
        (block
          (block
            (block
              (block
                (block
                  (block
                    (block (local.get 0) (br_table 0 1 2 3 4 5 6))
                    (unreachable))
                  (return (i32.div_s (i32.const 1) (i32.const 0))))
                (return (i32.div_s (i32.const 0x80000000) (i32.const -1))))
              (return (i32.trunc_f64_s (f64.const nan))))
            (return (call_indirect (type $t) (i32.const 1))))
          (return (call_indirect (type $t) (i32.const 5))))
        (call_indirect (type $t) (i32.const 0)))
      (func $middle (param i32) (result i32) (i32.add (call $inner (local.get 0)) (i32.const 1)))
      (func $outer (export "outer") (param i32) (result i32) (call $middle (local.get 0))))"#;
    let cases = [
        (0, Err(TrapCode::Unreachable)),
        (1, Err(TrapCode::IntegerDivideByZero)),
        (2, Err(TrapCode::IntegerOverflow)),
        (3, Err(TrapCode::InvalidConversionToInteger)),
        (4, Err(TrapCode::UninitializedElement)),
        (5, Err(TrapCode::UndefinedElement)),
        (6, Ok(8)),
    ];
    for (mode, config) in configs() {
        let runtime = Runtime::with_config(config);
        let compiled = runtime
            .compile_module(&wat::parse_str(TRAPS).unwrap())
            .unwrap();
        let module = runtime
            .instantiate_module(&compiled, ModuleConfig::new().with_name("m"))
            .unwrap();
        let outer = module.exported_function("outer").unwrap();
        for (arg, want) in cases {
            let what = format!("{mode}: outer({arg})");
            match (outer.call(&[arg]), want) {
                (Ok(got), Ok(want)) => assert_eq!(got, vec![want], "{what}"),
                (Err(e), Err(code)) => {
                    assert_eq!(e.trap_code(), Some(code), "{what}: {e}");
                    let text = e.to_string();
                    let at = |name: &str| {
                        text.find(name)
                            .unwrap_or_else(|| panic!("{what}: {name} in {text}"))
                    };
                    assert!(
                        at("m.inner") < at("m.middle") && at("m.middle") < at("m.outer"),
                        "{what}: {text}"
                    );
                }
                (got, want) => panic!("{what}: expected {want:?}, got {got:?}"),
            }
        }
    }
}

/// A trap instruction that is not one of compiled code's trap sites is not
/// claimed, even while compiled code is running (here: in a host function it
/// called): the process still dies of it (checked in a child process).
#[test]
fn a_trap_instruction_in_a_host_function_still_crashes() {
    const CHILD: &str = "WAZERO_SIGILL_TEST_CHILD";
    if std::env::var_os(CHILD).is_some() {
        let runtime = Runtime::new();
        runtime
            .new_host_module_builder("env")
            .new_function_builder()
            .with_func(|| {
                // SAFETY: none: this deliberately executes an invalid
                // instruction, to show the process dies of it.
                #[cfg(target_arch = "x86_64")]
                unsafe {
                    std::arch::asm!("ud2")
                };
                // SAFETY: as above.
                #[cfg(target_arch = "aarch64")]
                unsafe {
                    std::arch::asm!("udf #0")
                };
            })
            .export("bad")
            .instantiate()
            .unwrap();
        let m = runtime
            .instantiate(
                &wat::parse_str(
                    r#"(module (import "env" "bad" (func $bad)) (func (export "run") (call $bad)))"#,
                )
                .unwrap(),
            )
            .unwrap();
        let run = m.exported_function("run").unwrap();
        println!("returned {:?}", run.call(&[]));
        return;
    }
    let status = this_test("a_trap_instruction_in_a_host_function_still_crashes")
        .env(CHILD, "1")
        .output()
        .unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.status.signal(), Some(4), "{status:?}");
}
