//! Host functions: typed and raw closures as imports, the caller (memory, user
//! data, re-entrant calls), errors, exit codes, panics, names and definitions, and
//! compiling a host module once to instantiate it many times.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use wazero::{Caller, Error, ExitCode, ModuleConfig, Runtime, ValueType};

mod engines;
use engines::engines;

fn wat(text: &str) -> Vec<u8> {
    wat::parse_str(text).expect("test WAT parses")
}

/// A guest that imports `env.f` with the given signature and exports `call` with
/// the same signature, forwarding to it.
fn forwarder(params: &str, results: &str, args: &str) -> Vec<u8> {
    wat(&format!(
        r#"(module (import "env" "f" (func $f (param {params}) (result {results})))
            (func (export "call") (param {params}) (result {results}) {args} call $f))"#
    ))
}

#[test]
fn typed_signatures_are_derived_from_rust_types() -> Result<(), Error> {
    struct Case {
        name: &'static str,
        build: fn(wazero::HostFunctionBuilder) -> wazero::HostModuleBuilder,
        params: &'static str,
        results: &'static str,
        args: &'static str,
        input: Vec<u64>,
        want: Vec<u64>,
    }
    let cases = [
        Case {
            name: "i64 and f64 to a tuple",
            build: |b| b.with_func(|x: i64, y: f64| (y * 2.0, x - 1)).export("f"),
            params: "i64 f64",
            results: "f64 i64",
            args: "local.get 0 local.get 1",
            input: vec![10, 1.5f64.to_bits()],
            want: vec![3.0f64.to_bits(), 9],
        },
        Case {
            name: "u32 wraps like i32",
            build: |b| b.with_func(|x: u32| x.wrapping_mul(3)).export("f"),
            params: "i32",
            results: "i32",
            args: "local.get 0",
            input: vec![0x8000_0001],
            want: vec![0x8000_0003],
        },
        Case {
            name: "f32 keeps its bits",
            build: |b| b.with_func(|x: f32| -x).export("f"),
            params: "f32",
            results: "f32",
            args: "local.get 0",
            input: vec![u64::from(1.25f32.to_bits())],
            want: vec![u64::from((-1.25f32).to_bits())],
        },
        Case {
            name: "v128 as u128",
            build: |b| b.with_func(|v: u128| v.rotate_left(64)).export("f"),
            params: "v128",
            results: "v128",
            args: "local.get 0",
            input: vec![1, 2],
            want: vec![2, 1],
        },
        // Up to four one-slot parameters and one result: compiled code calls
        // these directly, with the arguments in registers.
        Case {
            name: "four mixed parameters, called directly",
            build: |b| {
                b.with_func(|a: i32, b: i64, c: f32, d: f64| {
                    f64::from(a) + b as f64 + f64::from(c) + d
                })
                .export("f")
            },
            params: "i32 i64 f32 f64",
            results: "f64",
            args: "local.get 0 local.get 1 local.get 2 local.get 3",
            input: vec![
                u64::from((-3i32) as u32),
                (-100i64) as u64,
                u64::from(0.5f32.to_bits()),
                2.25f64.to_bits(),
            ],
            want: vec![(-100.25f64).to_bits()],
        },
        Case {
            name: "a negative i32 result keeps its bits",
            build: |b| b.with_func(|x: i32| x - 10).export("f"),
            params: "i32",
            results: "i32",
            args: "local.get 0",
            input: vec![3],
            want: vec![u64::from((-7i32) as u32)],
        },
        Case {
            name: "no parameters, an i64",
            build: |b| b.with_func(|| -5i64).export("f"),
            params: "",
            results: "i64",
            args: "",
            input: vec![],
            want: vec![(-5i64) as u64],
        },
        Case {
            name: "with the caller, four parameters",
            build: |b| {
                b.with_func(|caller: &mut Caller<'_>, a: u32, b: u32, c: u32, d: u32| {
                    assert_eq!(caller.module_name(), "");
                    a * 1000 + b * 100 + c * 10 + d
                })
                .export("f")
            },
            params: "i32 i32 i32 i32",
            results: "i32",
            args: "local.get 0 local.get 1 local.get 2 local.get 3",
            input: vec![1, 2, 3, 4],
            want: vec![1234],
        },
        Case {
            name: "raw, sees a stack of max(params, results) slots",
            build: |b| {
                b.with_stack_func(&[ValueType::I32, ValueType::F64], &[ValueType::F64], |s| {
                    assert_eq!(s.len(), 2);
                    let x = f64::from_bits(s[1]) * f64::from(s[0] as u32);
                    s[0] = x.to_bits();
                })
                .export("f")
            },
            params: "i32 f64",
            results: "f64",
            args: "local.get 0 local.get 1",
            input: vec![3, 1.5f64.to_bits()],
            want: vec![4.5f64.to_bits()],
        },
        Case {
            name: "raw with the caller, no parameters, a result",
            build: |b| {
                b.with_caller_stack_func(&[], &[ValueType::I64], |caller, s| {
                    assert_eq!(s.len(), 1);
                    s[0] = caller.memory().map_or(77, |_| 0);
                })
                .export("f")
            },
            params: "",
            results: "i64",
            args: "",
            input: vec![],
            want: vec![77],
        },
        Case {
            name: "five parameters go through the slots",
            build: |b| {
                b.with_func(|a: i32, b: i32, c: i32, d: i32, e: i64| i64::from(a + b + c + d) * e)
                    .export("f")
            },
            params: "i32 i32 i32 i32 i64",
            results: "i64",
            args: "local.get 0 local.get 1 local.get 2 local.get 3 local.get 4",
            input: vec![1, 2, 3, 4, 10],
            want: vec![100],
        },
        Case {
            name: "sixteen parameters",
            build: |b| {
                b.with_func(
                    |a: i32,
                     b: i32,
                     c: i32,
                     d: i32,
                     e: i32,
                     f: i32,
                     g: i32,
                     h: i32,
                     i: i32,
                     j: i32,
                     k: i32,
                     l: i32,
                     m: i32,
                     n: i32,
                     o: i32,
                     p: i32| {
                        a + b + c + d + e + f + g + h + i + j + k + l + m + n + o + p
                    },
                )
                .export("f")
            },
            params: "i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32",
            results: "i32",
            args: "local.get 0 local.get 1 local.get 2 local.get 3 local.get 4 local.get 5 \
                   local.get 6 local.get 7 local.get 8 local.get 9 local.get 10 local.get 11 \
                   local.get 12 local.get 13 local.get 14 local.get 15",
            input: (1..=16).collect(),
            want: vec![136],
        },
    ];
    for case in cases {
        for config in engines() {
            let rt = Runtime::with_config(config);
            (case.build)(rt.new_host_module_builder("env").new_function_builder()).instantiate()?;
            let m = rt.instantiate(&forwarder(case.params, case.results, case.args))?;
            let got = m.exported_function("call").unwrap().call(&case.input)?;
            assert_eq!(got, case.want, "{}", case.name);
        }
    }
    Ok(())
}

#[test]
fn errors_exits_and_panics_come_back_to_the_caller() {
    for config in engines() {
        let rt = Runtime::with_config(config);
        rt.new_host_module_builder("env")
            .new_function_builder()
            .with_func(|x: i32| -> Result<i32, String> {
                if x < 0 {
                    Err(format!("negative: {x}"))
                } else {
                    Ok(x)
                }
            })
            .export("check")
            .new_function_builder()
            .with_func(|code: u32| -> Result<(), ExitCode> { Err(ExitCode(code)) })
            .export("exit")
            .new_function_builder()
            .with_func(|x: i32| -> i32 {
                assert!(x != 7, "seven is not allowed");
                x
            })
            .export("fussy")
            .new_function_builder()
            .with_stack_func(&[], &[], |_| panic!("raw panic"))
            .export("raw")
            .instantiate()
            .unwrap();
        let m = rt
            .instantiate(&wat(r#"(module
                (import "env" "check" (func $check (param i32) (result i32)))
                (import "env" "exit" (func $exit (param i32)))
                (import "env" "fussy" (func $fussy (param i32) (result i32)))
                (import "env" "raw" (func $raw))
                (func (export "check") (param i32) (result i32) (call $check (local.get 0)))
                (func (export "exit") (param i32) (call $exit (local.get 0)))
                (func (export "fussy") (param i32) (result i32) (call $fussy (local.get 0)))
                (func (export "raw") (call $raw)))"#))
            .unwrap();
        let call = |name: &str, args: &[u64]| m.exported_function(name).unwrap().call(args);

        assert_eq!(call("check", &[5]).unwrap(), vec![5]);
        let err = call("check", &[u64::from((-2i32) as u32)]).unwrap_err();
        assert!(
            matches!(err, Error::Host { ref function, .. } if function == "env.check"),
            "{err:?}"
        );
        assert!(err.to_string().contains("negative: -2"), "{err}");

        for (name, arg, text) in [
            ("fussy", 7, "seven is not allowed"),
            ("raw", 0, "raw panic"),
        ] {
            let args: &[u64] = if name == "raw" { &[] } else { &[arg] };
            let err = call(name, args).unwrap_err();
            assert!(err.to_string().contains(text), "{name}: {err}");
            assert!(err.to_string().contains("panicked"), "{name}: {err}");
        }
        assert_eq!(
            call("fussy", &[8]).unwrap(),
            vec![8],
            "the runtime still works after a panic"
        );

        assert_eq!(call("exit", &[3]).unwrap_err().exit_code(), Some(3));
        assert!(m.is_closed(), "exiting closes the calling module");
        assert_eq!(call("check", &[1]).unwrap_err().exit_code(), Some(3));
    }
}

#[test]
fn per_instance_data_and_calls_back_into_the_guest() -> Result<(), Error> {
    for config in engines() {
        let rt = Runtime::with_config(config);
        rt.new_host_module_builder("env")
            .new_function_builder()
            .with_func(|caller: &mut Caller<'_>, n: u32| -> u32 {
                let count = caller.data_mut::<u32>().expect("data attached");
                *count += n;
                *count
            })
            .export("count")
            .new_function_builder()
            .with_func(
                |caller: &mut Caller<'_>, x: i32| -> Result<i32, wazero::api::ExitCode> {
                    // host -> guest -> host: call the guest's `double`, which calls `count`.
                    let mut double = caller.exported_function("double").expect("exported");
                    let doubled = double.call(&[x as u32 as u64]).expect("re-entrant call");
                    Ok(doubled[0] as i32 + 1)
                },
            )
            .export("double_plus_one")
            .instantiate()?;
        let compiled = rt.compile_module(&wat(r#"(module
            (import "env" "count" (func $count (param i32) (result i32)))
            (import "env" "double_plus_one" (func $dpo (param i32) (result i32)))
            (func (export "count") (param i32) (result i32) (call $count (local.get 0)))
            (func (export "double") (param i32) (result i32)
                (drop (call $count (i32.const 100)))
                (i32.mul (local.get 0) (i32.const 2)))
            (func (export "run") (param i32) (result i32) (call $dpo (local.get 0))))"#))?;
        let a = rt.instantiate_module(
            &compiled,
            ModuleConfig::new().with_name("a").with_data(0u32),
        )?;
        let b = rt.instantiate_module(
            &compiled,
            ModuleConfig::new().with_name("b").with_data(1000u32),
        )?;
        assert_eq!(a.exported_function("count").unwrap().call(&[5])?, vec![5]);
        assert_eq!(a.exported_function("count").unwrap().call(&[5])?, vec![10]);
        assert_eq!(
            b.exported_function("count").unwrap().call(&[5])?,
            vec![1005],
            "state is per instance"
        );
        assert_eq!(a.exported_function("run").unwrap().call(&[20])?, vec![41]);
        assert_eq!(
            a.exported_function("count").unwrap().call(&[0])?,
            vec![110],
            "the re-entrant call counted"
        );
    }
    Ok(())
}

#[test]
fn names_definitions_and_build_errors() -> Result<(), Error> {
    for config in engines() {
        let rt = Runtime::with_config(config);
        let compiled = rt
            .new_host_module_builder("math")
            .new_function_builder()
            .with_func(|a: i64, b: i64| a.max(b))
            .with_name("maximum")
            .with_parameter_names(&["a", "b"])
            .with_result_names(&["max"])
            .export("max")
            .new_function_builder()
            .with_stack_func(&[ValueType::F64], &[ValueType::F64], |s| {
                s[0] = f64::from_bits(s[0]).sqrt().to_bits()
            })
            .export("sqrt")
            .compile()?;
        let defs = compiled.exported_functions();
        let exports: Vec<_> = defs.iter().map(|d| d.export_names[0].as_str()).collect();
        assert_eq!(exports, ["max", "sqrt"], "export order is builder order");
        assert_eq!(defs[0].name, "maximum");
        assert_eq!(defs[0].param_names, ["a", "b"]);
        assert_eq!(defs[0].result_names, ["max"]);
        assert_eq!(defs[0].param_types, [ValueType::I64, ValueType::I64]);
        assert!(defs[0].is_host);

        // One compiled host module, instantiated twice under different names.
        let one = rt.instantiate_module(&compiled, ModuleConfig::new().with_name("m1"))?;
        rt.instantiate_module(&compiled, ModuleConfig::new().with_name("m2"))?;
        let def = one.exported_function("max").unwrap().definition();
        assert_eq!(def.module_name, "m1");
        assert_eq!(def.debug_name, "m1.maximum");
        let guest = rt.compile_module(&wat(
            r#"(module (import "m2" "max" (func (param i64 i64) (result i64))))"#,
        ))?;
        let imported = guest.imported_functions();
        assert_eq!(
            imported[0].import,
            Some(("m2".to_string(), "max".to_string()))
        );
        rt.instantiate_module(&guest, ModuleConfig::new())?;

        let cases: [(&str, wazero::HostModuleBuilder, &str); 3] = [
            (
                "no body",
                rt.new_host_module_builder("bad")
                    .new_function_builder()
                    .export("f"),
                "no body",
            ),
            (
                "twice",
                rt.new_host_module_builder("bad")
                    .new_function_builder()
                    .with_func(|| {})
                    .export("f")
                    .new_function_builder()
                    .with_func(|| {})
                    .export("f"),
                "exported twice",
            ),
            (
                "names",
                rt.new_host_module_builder("bad")
                    .new_function_builder()
                    .with_func(|_: i32| {})
                    .with_parameter_names(&["a", "b"])
                    .export("f"),
                "2 parameter names for 1 parameters",
            ),
        ];
        for (name, builder, text) in cases {
            let err = builder.compile().unwrap_err();
            assert!(matches!(err, Error::HostDefinition(_)), "{name}: {err:?}");
            assert!(err.to_string().contains("bad.f"), "{name}: {err}");
            assert!(err.to_string().contains(text), "{name}: {err}");
        }
    }
    Ok(())
}

#[test]
fn host_functions_are_shared_across_threads() {
    let calls = Arc::new(AtomicU32::new(0));
    for config in engines() {
        calls.store(0, Ordering::Relaxed);
        let rt = Runtime::with_config(config);
        let counted = calls.clone();
        let env = rt
            .new_host_module_builder("env")
            .new_function_builder()
            .with_func(move || {
                counted.fetch_add(1, Ordering::Relaxed);
            })
            .export("tick")
            .compile()
            .unwrap();
        let guest = rt
            .compile_module(&wat(
                r#"(module (import "env" "tick" (func $t)) (func (export "run") (call $t)))"#,
            ))
            .unwrap();
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let (rt, env, guest) = (rt.clone(), env.clone(), guest.clone());
                std::thread::spawn(move || {
                    let ns = rt.new_namespace();
                    ns.instantiate_module(&env, ModuleConfig::new()).unwrap();
                    let m = ns.instantiate_module(&guest, ModuleConfig::new()).unwrap();
                    for _ in 0..100 {
                        m.exported_function("run").unwrap().call(&[]).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(calls.load(Ordering::Relaxed), 200);
    }
}

#[test]
fn errors_of_calls_back_into_the_guest_keep_their_kind() {
    for config in engines() {
        let rt = Runtime::with_config(config);
        rt.new_host_module_builder("env")
            .new_function_builder()
            .with_func(
                |caller: &mut Caller<'_>, name: u32| -> Result<i32, wazero::CallError> {
                    let export = ["boom", "leave", "square"][name as usize];
                    let mut f = caller.exported_function(export).expect("exported");
                    if export == "square" {
                        return f.call_typed::<i32, i32>(9);
                    }
                    f.call(&[])?;
                    Ok(0)
                },
            )
            .export("call")
            .new_function_builder()
            .with_func(|| -> Result<(), ExitCode> { Err(ExitCode(9)) })
            .export("exit")
            .instantiate()
            .unwrap();
        let m = rt
        .instantiate(&wat(
            r#"(module
                (import "env" "call" (func $call (param i32) (result i32)))
                (import "env" "exit" (func $exit))
                (func (export "boom") unreachable)
                (func (export "leave") (call $exit))
                (func (export "square") (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
                (func (export "run") (param i32) (result i32) (call $call (local.get 0))))"#,
        ))
        .unwrap();
        let run = m.exported_function("run").unwrap();
        assert_eq!(
            run.call(&[2]).unwrap(),
            vec![81],
            "a typed call back into the guest"
        );
        let err = run.call(&[0]).unwrap_err();
        assert_eq!(
            err.trap_code(),
            Some(wazero::TrapCode::Unreachable),
            "{err:?}"
        );
        let err = run.call(&[1]).unwrap_err();
        assert_eq!(err.exit_code(), Some(9), "{err:?}");
        assert!(m.is_closed());
    }
}

/// A host function that grows the caller's memory, and one that re-enters the
/// guest to grow its table: the guest's code sees the new sizes right after
/// the call, on every engine, with guard pages and with explicit bounds checks
/// (compiled code caches memory 0 and table 0 across calls).
#[test]
fn growth_by_the_host_is_seen_after_the_call() -> Result<(), Error> {
    let guest = wat(r#"(module
        (import "env" "grow_memory" (func $grow_memory))
        (import "env" "grow_table" (func $grow_table))
        (memory 1)
        (table 1 funcref)
        (type $v (func (result i32)))
        (func $seven (result i32) (i32.const 7))
        (elem declare func $seven)
        (func (export "grow_table_by") (param i32) (result i32)
            (table.grow (ref.func $seven) (local.get 0)))
        (func (export "memory") (result i32)
            (call $grow_memory)
            (i32.store (i32.const 65540) (i32.const 42))
            (i32.add (i32.mul (memory.size) (i32.const 1000))
                     (i32.load (i32.const 65540))))
        (func (export "table") (result i32)
            (call $grow_table)
            (i32.add (i32.mul (table.size) (i32.const 1000))
                     (call_indirect (type $v) (i32.const 3)))))"#);
    let mut configs: Vec<(String, wazero::RuntimeConfig)> = engines::named()
        .into_iter()
        .map(|(name, c)| (name.to_string(), c))
        .collect();
    configs.extend(engines::named().into_iter().map(|(name, c)| {
        (
            format!("{name}, explicit checks"),
            c.with_explicit_bounds_checks(true),
        )
    }));
    for (name, config) in configs {
        let runtime = Runtime::with_config(config);
        runtime
            .new_host_module_builder("env")
            .new_function_builder()
            .with_func(|caller: &mut Caller<'_>| {
                assert_eq!(caller.memory().unwrap().grow(1), Some(1));
            })
            .export("grow_memory")
            .new_function_builder()
            .with_func(|caller: &mut Caller<'_>| {
                let mut grow = caller.exported_function("grow_table_by").unwrap();
                assert_eq!(grow.call(&[3]).unwrap(), vec![1]);
            })
            .export("grow_table")
            .instantiate()?;
        let module = runtime.instantiate(&guest)?;
        let memory = module.exported_function("memory").unwrap().call(&[]);
        let memory = memory.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(memory, vec![2042], "{name}: memory.size and the new page");
        let table = module.exported_function("table").unwrap().call(&[]);
        let table = table.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(table, vec![4007], "{name}: table.size and the new elements");
    }
    Ok(())
}

/// A host function that grows the caller's memory, reached by a tail call
/// (`return_call` of the import, and of a function that makes it), leaves the
/// caller using the grown memory: a store past the old end succeeds and is
/// read back.
#[test]
fn memory_grown_by_a_host_function_in_a_tail_call_is_seen_by_the_caller() -> Result<(), Error> {
    for config in engines() {
        let runtime = Runtime::with_config(config);
        runtime
            .new_host_module_builder("env")
            .new_function_builder()
            .with_func(|caller: &mut Caller<'_>| -> u32 {
                caller.memory().expect("a memory").grow(1).expect("room")
            })
            .export("grow")
            .instantiate()?;
        let module = runtime.instantiate(&wat(r#"(module
            (import "env" "grow" (func $grow (result i32)))
            (memory (export "memory") 1 4)
            (func $tail (result i32) (return_call $grow))
            (func (export "direct") (param i32) (result i32)
                (drop (return_call $grow)))
            (func (export "after_tail") (param i32) (result i32)
                (drop (call $tail))
                (i32.store (local.get 0) (i32.const 1234))
                (i32.load (local.get 0))))"#))?;
        let after_tail = module.exported_function("after_tail").unwrap();
        // One page: 65536 is past its end until `grow` ran.
        assert_eq!(after_tail.call(&[70_000])?, vec![1234]);
        assert_eq!(after_tail.call(&[140_000])?, vec![1234]);
        let direct = module.exported_function("direct").unwrap();
        assert_eq!(direct.call(&[0])?, vec![3]);
    }
    Ok(())
}
