//! The embedding API a newcomer gets right the first time: per-instance data
//! from the host, memory accessors with a typed out-of-bounds error, `?`
//! across the facade's and the store's errors, a name-in-use error that says
//! what to do, reactors initialized by default, and compilation cache
//! statistics.

mod engines;

use wazero::{Error, MemoryAccessError, ModuleConfig, Runtime};

fn wat(text: &str) -> Vec<u8> {
    wat::parse_str(text).expect("test WAT parses")
}

#[test]
fn a_name_in_use_says_how_to_instantiate_anyway() {
    let wasm = wat(r#"(module $plugin (func (export "f")))"#);
    for (engine, config) in engines::named() {
        let runtime = Runtime::with_config(config);
        let compiled = runtime.compile_module(&wasm).unwrap();
        let first = runtime
            .instantiate_module(&compiled, ModuleConfig::new())
            .unwrap();
        assert_eq!(first.name(), "plugin", "{engine}");
        let err = runtime
            .instantiate_module(&compiled, ModuleConfig::new())
            .unwrap_err();
        assert!(
            matches!(err, Error::NameInUse(ref n) if n == "plugin"),
            "{engine}"
        );
        let message = err.to_string();
        for part in [
            "module[plugin] has already been instantiated",
            "the name \"plugin\" is taken in this namespace",
            "ModuleConfig::with_name(\"\")",
            "another name",
            "close the first instance",
        ] {
            assert!(
                message.contains(part),
                "{engine}: {part:?} not in {message:?}"
            );
        }
        // Each way out the message names works.
        let anonymous = runtime
            .instantiate_module(&compiled, ModuleConfig::new().with_name(""))
            .unwrap();
        assert_eq!(anonymous.name(), "", "{engine}");
        let renamed = runtime
            .instantiate_module(&compiled, ModuleConfig::new().with_name("plugin-2"))
            .unwrap();
        assert_eq!(renamed.name(), "plugin-2", "{engine}");
        first.close().unwrap();
        runtime
            .instantiate_module(&compiled, ModuleConfig::new())
            .unwrap();
    }
}

/// One page of memory with "hi" at 8.
const ONE_PAGE: &str = r#"(module (memory (export "mem") 1) (data (i32.const 8) "hi"))"#;

#[test]
fn memory_accesses_fail_with_the_offset_length_and_size() {
    type Access = fn(&wazero::Memory) -> Result<(), MemoryAccessError>;
    // (what, access, Ok or the error's (offset, len)), on a 65536-byte memory.
    type Case = (&'static str, Access, Option<(u64, u64)>);
    let cases: &[Case] = &[
        ("read inside", |m| m.read(8, 2).map(drop), None),
        ("read to the end", |m| m.read(65534, 2).map(drop), None),
        (
            "read past the end",
            |m| m.read(65532, 8).map(drop),
            Some((65532, 8)),
        ),
        (
            "read at u32::MAX",
            |m| m.read(u32::MAX, u32::MAX).map(drop),
            Some((u64::from(u32::MAX), u64::from(u32::MAX))),
        ),
        (
            "read nothing at the end",
            |m| m.read(65536, 0).map(drop),
            None,
        ),
        (
            "read nothing past the end",
            |m| m.read(65537, 0).map(drop),
            Some((65537, 0)),
        ),
        (
            "read_into",
            |m| m.read_into(65535, &mut [0; 2]),
            Some((65535, 2)),
        ),
        ("write", |m| m.write(65535, b"ab"), Some((65535, 2))),
        (
            "write_string",
            |m| m.write_string(65533, "abcd"),
            Some((65533, 4)),
        ),
        ("read_u8", |m| m.read_u8(65536).map(drop), Some((65536, 1))),
        (
            "read_u16_le",
            |m| m.read_u16_le(65535).map(drop),
            Some((65535, 2)),
        ),
        (
            "read_u32_le",
            |m| m.read_u32_le(65533).map(drop),
            Some((65533, 4)),
        ),
        (
            "read_u64_le",
            |m| m.read_u64_le(65532).map(drop),
            Some((65532, 8)),
        ),
        (
            "read_f32_le",
            |m| m.read_f32_le(65533).map(drop),
            Some((65533, 4)),
        ),
        (
            "read_f64_le",
            |m| m.read_f64_le(65529).map(drop),
            Some((65529, 8)),
        ),
        ("write_u8", |m| m.write_u8(65536, 1), Some((65536, 1))),
        (
            "write_u16_le",
            |m| m.write_u16_le(65535, 1),
            Some((65535, 2)),
        ),
        (
            "write_u32_le",
            |m| m.write_u32_le(65533, 1),
            Some((65533, 4)),
        ),
        (
            "write_u64_le",
            |m| m.write_u64_le(65529, 1),
            Some((65529, 8)),
        ),
        (
            "write_f32_le",
            |m| m.write_f32_le(65533, 1.0),
            Some((65533, 4)),
        ),
        (
            "write_f64_le",
            |m| m.write_f64_le(65529, 1.0),
            Some((65529, 8)),
        ),
        (
            "write_u64_le at the end",
            |m| m.write_u64_le(65528, 1),
            None,
        ),
    ];
    let wasm = wat(ONE_PAGE);
    for (engine, config) in engines::named() {
        let runtime = Runtime::with_config(config);
        let memory = runtime
            .instantiate(&wasm)
            .unwrap()
            .exported_memory("mem")
            .unwrap();
        let before = memory.with_bytes(<[u8]>::to_vec).unwrap();
        for (what, access, want) in cases {
            let got = access(&memory);
            let want = want.map(|(offset, len)| MemoryAccessError {
                offset,
                len,
                size: 65536,
            });
            assert_eq!(got.err(), want, "{engine}: {what}");
            if want.is_some() {
                assert_eq!(
                    memory.with_bytes(<[u8]>::to_vec).unwrap(),
                    before,
                    "{engine}: {what}: a failed access changes nothing"
                );
            }
        }
        assert_eq!(
            memory.read(65532, 8).unwrap_err().to_string(),
            "out of bounds memory access: 8 bytes at offset 65532 of a 65536-byte memory"
        );
        // In range, values round-trip little-endian.
        memory.write_u32_le(100, 0x0102_0304).unwrap();
        assert_eq!(memory.read(100, 4).unwrap(), [4, 3, 2, 1], "{engine}");
        memory.write_f64_le(200, -1.5).unwrap();
        assert_eq!(memory.read_f64_le(200), Ok(-1.5), "{engine}");
        // `?` turns it into the facade's error.
        let via_question_mark = || -> wazero::Result<u32> { Ok(memory.read_u32_le(65535)?) };
        let err = via_question_mark().unwrap_err();
        assert!(
            matches!(
                err,
                Error::MemoryAccess(MemoryAccessError {
                    offset: 65535,
                    len: 4,
                    size: 65536
                })
            ),
            "{engine}: {err:?}"
        );
    }
}

/// A counter module: `run(n)` calls the host's `add(n)`, which adds `n` to the
/// instance's `u64` data and writes the sum to memory at 0.
const COUNTER: &str = r#"(module
    (import "env" "add" (func $add (param i32)))
    (memory (export "mem") 1)
    (func (export "run") (param i32) (call $add (local.get 0))))"#;

fn with_env(runtime: &Runtime) {
    runtime
        .new_host_module_builder("env")
        .new_function_builder()
        .with_func(
            |caller: &mut wazero::Caller<'_>, n: u32| -> Result<(), wazero::Error> {
                let (memory, sum) = caller.memory_and_data::<u64>();
                let (mut memory, sum) = (memory.expect("memory"), sum.expect("u64 data"));
                *sum += u64::from(n);
                // Both borrowed at once: the memory written while the data is held.
                memory.write_u64_le(0, *sum)?;
                memory.write_string(8, "sum")?;
                Ok(())
            },
        )
        .export("add")
        .instantiate()
        .unwrap();
}

#[test]
fn the_host_reads_and_writes_an_instances_data_between_calls() {
    let wasm = wat(COUNTER);
    for (engine, config) in engines::named() {
        let runtime = Runtime::with_config(config);
        with_env(&runtime);
        let compiled = runtime.compile_module(&wasm).unwrap();
        for name in ["named", ""] {
            let module = runtime
                .instantiate_module(
                    &compiled,
                    ModuleConfig::new().with_name(name).with_data(40u64),
                )
                .unwrap();
            let run = module.exported_function("run").unwrap();
            run.call(&[1]).unwrap();
            assert_eq!(*module.data::<u64>().unwrap(), 41, "{engine} {name:?}");
            *module.data_mut::<u64>().unwrap() += 100;
            run.call(&[1]).unwrap();
            assert_eq!(*module.data::<u64>().unwrap(), 142, "{engine} {name:?}");
            let memory = module.memory().unwrap();
            assert_eq!(memory.read_u64_le(0), Ok(142), "{engine} {name:?}");
            assert_eq!(memory.read(8, 3).unwrap(), b"sum", "{engine} {name:?}");
            // Exactly the type attached: a u64 is not an i64 or a u32.
            assert!(module.data::<i64>().is_none(), "{engine} {name:?}");
            assert!(module.data_mut::<u32>().is_none(), "{engine} {name:?}");
            assert_eq!(format!("{:?}", module.data::<u64>().unwrap()), "142");
            module.close().unwrap();
        }
        // No data at all.
        let bare = runtime
            .instantiate_module(&compiled, ModuleConfig::new().with_name("bare"))
            .unwrap();
        assert!(bare.data::<u64>().is_none(), "{engine}");
        assert!(bare.data_mut::<()>().is_none(), "{engine}");
        // The host module's own data.
        let host = runtime.module("env").unwrap();
        assert!(host.data::<u64>().is_none(), "{engine}");
    }
}

#[test]
fn calling_the_guest_while_holding_its_data_fails_instead_of_deadlocking() {
    let wasm = wat(COUNTER);
    let other = wat(r#"(module (func (export "one") (result i32) i32.const 1))"#);
    for (engine, config) in engines::named() {
        let runtime = Runtime::with_config(config);
        with_env(&runtime);
        let compiled = runtime.compile_module(&wasm).unwrap();
        // Named (in the namespace's store) and anonymous (a store of its own).
        for name in ["named", ""] {
            let module = runtime
                .instantiate_module(
                    &compiled,
                    ModuleConfig::new().with_name(name).with_data(0u64),
                )
                .unwrap();
            let run = module.exported_function("run").unwrap();
            let memory = module.memory().unwrap();
            {
                let mut data = module.data_mut::<u64>().unwrap();
                *data = 7;
                let err = run.call(&[1]).unwrap_err();
                assert!(
                    matches!(err, Error::Reentrant),
                    "{engine} {name:?}: {err:?}"
                );
                assert!(module.data::<u64>().is_none(), "{engine} {name:?}: busy");
                assert_eq!(memory.size(), 0, "{engine} {name:?}: unreachable");
                assert_eq!(
                    memory.read_u8(0),
                    Err(MemoryAccessError {
                        offset: 0,
                        len: 1,
                        size: 0
                    }),
                    "{engine} {name:?}"
                );
                // Another namespace is another lock: it runs.
                let elsewhere = runtime.new_namespace();
                let compiled_other = runtime.compile_module(&other).unwrap();
                let one = elsewhere.instantiate(&compiled_other).unwrap();
                assert_eq!(
                    one.exported_function("one").unwrap().call(&[]).unwrap(),
                    vec![1]
                );
            }
            // Dropped: everything works again, and the call saw the write.
            run.call(&[1]).unwrap();
            assert_eq!(*module.data::<u64>().unwrap(), 8, "{engine} {name:?}");
            module.close().unwrap();
        }
    }
}

#[test]
fn inside_a_host_function_module_data_is_none_and_the_caller_has_it() {
    use std::sync::{Arc, OnceLock};
    let wasm = wat(r#"(module (import "env" "probe" (func $probe (result i32)))
            (func (export "run") (result i32) (call $probe)))"#);
    for (engine, config) in engines::named() {
        let runtime = Runtime::with_config(config);
        let handle: Arc<OnceLock<wazero::Module>> = Arc::new(OnceLock::new());
        let h = handle.clone();
        runtime
            .new_host_module_builder("env")
            .new_function_builder()
            .with_func(move |caller: &mut wazero::Caller<'_>| -> u32 {
                let through_handle = h.get().and_then(|m| m.data::<u32>().map(|d| *d));
                let through_caller = caller.data::<u32>().copied();
                u32::from(through_handle.is_none()) * 10 + through_caller.unwrap_or(0)
            })
            .export("probe")
            .instantiate()
            .unwrap();
        let compiled = runtime.compile_module(&wasm).unwrap();
        let module = runtime
            .instantiate_module(
                &compiled,
                ModuleConfig::new().with_name("m").with_data(3u32),
            )
            .unwrap();
        handle.set(module.clone()).unwrap();
        let got = module.exported_function("run").unwrap().call(&[]).unwrap();
        assert_eq!(got, vec![13], "{engine}: handle None, caller Some(3)");
    }
}

/// A guest whose `run(k)` calls the host's `h(k)`, which calls back into the
/// guest's `div(1, 0)` (a trap) or fails in way `k`.
const CALLBACK: &str = r#"(module
    (import "env" "h" (func $h (param i32) (result i32)))
    (memory 1)
    (func $div (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
    (func (export "run") (param i32) (result i32) (call $h (local.get 0))))"#;

/// The host function `h`: each `k` fails through `?` in another way.
fn h(caller: &mut wazero::Caller<'_>, k: u32) -> Result<u32, Error> {
    use wazero::{ExitCode, Trap, TrapCode};
    match k {
        // A failed call back into the guest (CallError) through `?`.
        0 => Ok(caller.exported_function("div").unwrap().call(&[1, 0])?[0] as u32),
        1 => Ok(caller
            .exported_function("div")
            .unwrap()
            .call_typed::<(i32, i32), i32>((1, 0))? as u32),
        // An exit through `?`.
        2 => Err(ExitCode(4))?,
        // A trap the host raises.
        3 => Err(Error::Trap(Trap::new(TrapCode::IntegerOverflow))),
        // A memory access out of bounds through `?`: a failure of the host.
        4 => Ok(caller.memory().unwrap().read_u32_le(65535)?),
        _ => Ok(k),
    }
}

/// The same, returning the store's `CallError` (what `CallerFunction::call`
/// returns) instead of the facade's `Error`.
fn h_call_error(caller: &mut wazero::Caller<'_>, k: u32) -> Result<u32, wazero::CallError> {
    match k {
        0 => Ok(caller.exported_function("div").unwrap().call(&[1, 0])?[0] as u32),
        _ => Ok(k),
    }
}

#[test]
fn question_mark_in_a_host_function_carries_traps_and_exits_out() {
    use wazero::TrapCode;
    let wasm = wat(CALLBACK);
    type Check = fn(&Error) -> bool;
    // (host function, k, what the outer call must fail with)
    let cases: &[(&str, u32, Check)] = &[
        ("h", 0, |e| {
            e.trap_code() == Some(TrapCode::IntegerDivideByZero)
        }),
        ("h", 1, |e| {
            e.trap_code() == Some(TrapCode::IntegerDivideByZero)
        }),
        ("h", 2, |e| e.exit_code() == Some(4)),
        ("h", 3, |e| e.trap_code() == Some(TrapCode::IntegerOverflow)),
        ("h", 4, |e| match e {
            Error::Host { function, error } => {
                function.ends_with('h')
                    && matches!(
                        error.downcast_ref::<Error>(),
                        Some(Error::MemoryAccess(MemoryAccessError {
                            offset: 65535,
                            len: 4,
                            size: 65536
                        }))
                    )
            }
            _ => false,
        }),
        ("h_call_error", 0, |e| {
            e.trap_code() == Some(TrapCode::IntegerDivideByZero)
        }),
    ];
    for (engine, config) in engines::named() {
        for (host, k, check) in cases {
            let runtime = Runtime::with_config(config.clone());
            let builder = runtime
                .new_host_module_builder("env")
                .new_function_builder();
            let builder = match *host {
                "h" => builder.with_func(h),
                _ => builder.with_func(h_call_error),
            };
            builder.export("h").instantiate().unwrap();
            let module = runtime.instantiate(&wasm).unwrap();
            let run = module.exported_function("run").unwrap();
            let err = run.call(&[u64::from(*k)]).unwrap_err();
            assert!(check(&err), "{engine}: {host}({k}) failed with {err:?}");
            if *k == 0 || *k == 1 {
                // The trap is the guest's, with its backtrace through `div`.
                let Error::Trap(trap) = &err else {
                    unreachable!()
                };
                assert!(trap.backtrace[0].contains("div"), "{engine}: {trap}");
            }
            if *k == 3 {
                let Error::Trap(trap) = &err else {
                    unreachable!()
                };
                assert!(trap.backtrace[0].contains("h"), "{engine}: {trap}");
            }
            if *k == 2 {
                assert!(module.is_closed(), "{engine}: the exit closed it");
            }
            assert_eq!(
                run.call(&[7]).ok(),
                (*k != 2).then(|| vec![7]),
                "{engine}: {host}({k})"
            );
        }
    }
}

#[test]
fn question_mark_turns_a_call_error_into_the_facades_error() {
    fn through(e: wazero::CallError) -> wazero::Result<()> {
        Err(e)?
    }
    let trap = wazero::Trap::new(wazero::TrapCode::Unreachable);
    assert_eq!(
        through(wazero::CallError::Trap(trap))
            .unwrap_err()
            .trap_code(),
        Some(wazero::TrapCode::Unreachable)
    );
    assert_eq!(
        through(wazero::CallError::Exit(9)).unwrap_err().exit_code(),
        Some(9)
    );
    let from_exit: Error = wazero::ExitCode(5).into();
    assert_eq!(from_exit.exit_code(), Some(5));
}

/// A reactor: `_initialize` sets a global and writes memory; no `_start`.
const REACTOR: &str = r#"(module
    (memory (export "memory") 1)
    (global $ready (export "ready") (mut i32) (i32.const 0))
    (func (export "_initialize")
        (global.set $ready (i32.add (global.get $ready) (i32.const 1)))
        (i32.store (i32.const 16) (i32.const 0x1234)))
    (func (export "get") (result i32) (global.get $ready)))"#;

/// A command exporting both: `_start` adds 10, `_initialize` adds 1.
const BOTH: &str = r#"(module
    (global $ready (export "ready") (mut i32) (i32.const 0))
    (func (export "_initialize") (global.set $ready (i32.add (global.get $ready) (i32.const 1))))
    (func (export "_start") (global.set $ready (i32.add (global.get $ready) (i32.const 10)))))"#;

#[test]
fn a_reactor_is_initialized_by_default_and_a_command_started() {
    // (module, start functions configured, the global "ready" after instantiation)
    let cases: &[(&str, &str, Option<&[&str]>, i32)] = &[
        ("reactor", REACTOR, None, 1),
        ("reactor, none", REACTOR, Some(&[]), 0),
        ("reactor, _start only", REACTOR, Some(&["_start"]), 0),
        (
            "reactor, twice",
            REACTOR,
            Some(&["_initialize", "_initialize"]),
            2,
        ),
        ("both", BOTH, None, 10),
        ("both, none", BOTH, Some(&[]), 0),
        (
            "both, explicitly",
            BOTH,
            Some(&["_initialize", "_start"]),
            11,
        ),
    ];
    for (engine, config) in engines::named() {
        let runtime = Runtime::with_config(config);
        for (what, text, starts, want) in cases {
            let compiled = runtime.compile_module(&wat(text)).unwrap();
            let config = match starts {
                Some(names) => ModuleConfig::new().with_start_functions(names),
                None => ModuleConfig::new(),
            };
            let module = runtime.instantiate_module(&compiled, config).unwrap();
            let ready = module.exported_global("ready").unwrap();
            assert_eq!(ready.get() as i32, *want, "{engine}: {what}");
            if *text == REACTOR {
                let memory = module.memory().unwrap();
                let stored = if *want > 0 { 0x1234 } else { 0 };
                assert_eq!(memory.read_u32_le(16), Ok(stored), "{engine}: {what}");
                let get = module.exported_function("get").unwrap();
                assert_eq!(
                    get.call(&[]).unwrap(),
                    vec![*want as u64],
                    "{engine}: {what}"
                );
            }
        }
    }
}

#[test]
fn a_failing_initialize_fails_the_instantiation_and_frees_the_name() {
    let wasm = wat(r#"(module $lib (func (export "_initialize") unreachable))"#);
    for (engine, config) in engines::named() {
        let runtime = Runtime::with_config(config);
        let compiled = runtime.compile_module(&wasm).unwrap();
        let err = runtime
            .instantiate_module(&compiled, ModuleConfig::new())
            .unwrap_err();
        assert_eq!(
            err.trap_code(),
            Some(wazero::TrapCode::Unreachable),
            "{engine}"
        );
        assert!(runtime.module("lib").is_none(), "{engine}: closed");
        runtime
            .instantiate_module(&compiled, ModuleConfig::new().with_start_functions(&[]))
            .unwrap();
    }
}
