//! The public API end to end: the issue's example program, linking and its errors,
//! instances and namespaces, configuration (features, memory limit, custom
//! sections), start functions, closing, and the errors a caller can meet.

mod engines;

use std::sync::{Arc, OnceLock};

use wazero::api::{decode_f64, encode_f64};
use wazero::{
    CoreFeatures, Error, LinkError, ModuleConfig, Runtime, RuntimeConfig, TrapCode, ValueType,
};

fn wat(text: &str) -> Vec<u8> {
    wat::parse_str(text).expect("test WAT parses")
}

fn interpreter() -> Runtime {
    Runtime::with_config(RuntimeConfig::interpreter())
}

const PROVIDER: &str = r#"(module
    (memory (export "mem") 1 4)
    (table (export "tab") 2 funcref)
    (global (export "g") (mut i32) (i32.const 5))
    (global (export "c") i64 (i64.const 9))
    (func $double (export "double") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
    (elem (i32.const 1) $double))"#;

#[test]
fn imports_link_functions_memories_tables_and_globals() -> Result<(), Error> {
    let rt = interpreter();
    rt.instantiate_module(
        &rt.compile_module(&wat(PROVIDER))?,
        ModuleConfig::new().with_name("p"),
    )?;
    let user = rt.instantiate_module(
        &rt.compile_module(&wat(r#"(module
            (import "p" "double" (func $double (param i32) (result i32)))
            (import "p" "mem" (memory 1))
            (import "p" "tab" (table 2 funcref))
            (import "p" "g" (global $g (mut i32)))
            (type $t (func (param i32) (result i32)))
            (func (export "run") (param i32) (result i32)
                (i32.store (i32.const 0) (call $double (local.get 0)))
                (global.set $g (i32.add (global.get $g) (i32.const 1)))
                (call_indirect (type $t) (i32.load (i32.const 0)) (i32.const 1))))"#))?,
        ModuleConfig::new().with_name("u"),
    )?;
    assert_eq!(user.exported_function("run").unwrap().call(&[5])?, vec![20]);
    let provider = rt.module("p").expect("p is registered");
    assert_eq!(
        provider.memory().unwrap().read_u32_le(0),
        Ok(10),
        "memory is shared"
    );
    assert_eq!(
        provider.exported_global("g").unwrap().get(),
        6,
        "global is shared"
    );
    assert_eq!(provider.exported_table("tab").unwrap().size(), 2);
    assert!(provider.exported_table("tab").unwrap().get(1).unwrap() != 0);
    Ok(())
}

#[test]
fn link_errors_name_module_field_and_types() {
    let rt = interpreter();
    rt.instantiate_module(
        &rt.compile_module(&wat(PROVIDER)).unwrap(),
        ModuleConfig::new().with_name("p"),
    )
    .unwrap();
    struct Case {
        name: &'static str,
        import: &'static str,
        want: &'static [&'static str],
    }
    let cases = [
        Case {
            name: "missing module",
            import: r#"(import "nope" "f" (func))"#,
            want: &["nope", "f", "not instantiated"],
        },
        Case {
            name: "missing field",
            import: r#"(import "p" "missing" (func))"#,
            want: &["p.missing", "not exported"],
        },
        Case {
            name: "function type",
            import: r#"(import "p" "double" (func (param i64)))"#,
            want: &[
                "p.double",
                "expected func(i64) -> ()",
                "found func(i32) -> (i32)",
            ],
        },
        Case {
            name: "kind",
            import: r#"(import "p" "double" (global i32))"#,
            want: &["p.double", "expected global", "found func"],
        },
        Case {
            name: "global mutability",
            import: r#"(import "p" "c" (global (mut i64)))"#,
            want: &["p.c", "expected global (mut i64)", "found global i64"],
        },
        Case {
            name: "memory limits",
            import: r#"(import "p" "mem" (memory 1 2))"#,
            want: &[
                "p.mem",
                "expected memory{min 1, max 2}",
                "found memory{min 1, max 4}",
            ],
        },
    ];
    for case in cases {
        let module = format!("(module {})", case.import);
        let compiled = rt.compile_module(&wat(&module)).unwrap();
        let err = rt
            .instantiate_module(&compiled, ModuleConfig::new())
            .unwrap_err();
        assert!(matches!(err, Error::Link(_)), "{}: {err:?}", case.name);
        let text = err.to_string();
        for w in case.want {
            assert!(text.contains(w), "{}: {text:?} lacks {w:?}", case.name);
        }
    }
    let err = rt
        .instantiate(&wat(r#"(module (import "nope" "f" (func)))"#))
        .unwrap_err();
    assert!(matches!(err, Error::Link(LinkError::UnknownModule { .. })));
}

const COUNTER: &str = r#"(module $counter
    (global $n (mut i32) (i32.const 0))
    (func (export "next") (result i32)
        (global.set $n (i32.add (global.get $n) (i32.const 1)))
        (global.get $n)))"#;

#[test]
fn one_compiled_module_many_instances_with_their_own_state() -> Result<(), Error> {
    let rt = interpreter();
    let compiled = rt.compile_module(&wat(COUNTER))?;
    assert_eq!(compiled.name(), Some("counter"));
    let a = rt.instantiate_module(&compiled, ModuleConfig::new().with_name("a"))?;
    let b = rt.instantiate_module(&compiled, ModuleConfig::new().with_name("b"))?;
    let next_a = a.exported_function("next").unwrap();
    assert_eq!(next_a.call(&[])?, vec![1]);
    assert_eq!(next_a.call(&[])?, vec![2]);
    assert_eq!(b.exported_function("next").unwrap().call(&[])?, vec![1]);
    assert_eq!(a.name(), "a");
    // The name section's name is the default, and names are unique per namespace.
    rt.instantiate_module(&compiled, ModuleConfig::new())?;
    let err = rt
        .instantiate_module(&compiled, ModuleConfig::new())
        .unwrap_err();
    assert!(
        matches!(err, Error::NameInUse(ref n) if n == "counter"),
        "{err:?}"
    );
    // Anonymous instances never clash.
    for _ in 0..3 {
        rt.instantiate_module(&compiled, ModuleConfig::new().with_name(""))?;
    }
    Ok(())
}

#[test]
fn namespaces_have_their_own_names_and_share_code() -> Result<(), Error> {
    let rt = interpreter();
    let compiled = rt.compile_module(&wat(COUNTER))?;
    let ns1 = rt.new_namespace();
    let ns2 = rt.new_namespace();
    let m1 = ns1.instantiate_module(&compiled, ModuleConfig::new().with_name("c"))?;
    let m2 = ns2.instantiate_module(&compiled, ModuleConfig::new().with_name("c"))?;
    m1.exported_function("next").unwrap().call(&[])?;
    assert_eq!(m2.exported_function("next").unwrap().call(&[])?, vec![1]);
    assert!(
        rt.module("c").is_none(),
        "the default namespace is separate"
    );
    let importer =
        rt.compile_module(&wat(r#"(module (import "c" "next" (func (result i32))))"#))?;
    assert!(ns1
        .instantiate_module(&importer, ModuleConfig::new())
        .is_ok());
    assert!(matches!(
        rt.instantiate_module(&importer, ModuleConfig::new()),
        Err(Error::Link(_))
    ));
    // Namespaces run in parallel on separate threads.
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let rt = rt.clone();
            let compiled = compiled.clone();
            std::thread::spawn(move || {
                let ns = rt.new_namespace();
                let m = ns
                    .instantiate_module(&compiled, ModuleConfig::new())
                    .unwrap();
                let f = m.exported_function("next").unwrap();
                (0..1000).fold(None, |_, _| Some(f.call(&[]).unwrap()[0]))
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), Some(1000));
    }
    Ok(())
}

#[test]
fn closing_modules_and_runtimes() -> Result<(), Error> {
    let rt = interpreter();
    let compiled = rt.compile_module(&wat(COUNTER))?;
    let m = rt.instantiate_module(&compiled, ModuleConfig::new().with_name("x"))?;
    let next = m.exported_function("next").unwrap();
    assert!(!m.is_closed());
    m.close_with_exit_code(3)?;
    assert!(m.is_closed());
    assert_eq!(next.call(&[]).unwrap_err().exit_code(), Some(3));
    // The name is free again.
    let again = rt.instantiate_module(&compiled, ModuleConfig::new().with_name("x"))?;
    rt.close()?;
    assert!(again.is_closed());
    assert_eq!(
        again
            .exported_function("next")
            .unwrap()
            .call(&[])
            .unwrap_err()
            .exit_code(),
        Some(0)
    );
    Ok(())
}

#[test]
fn memory_limit_caps_instantiation_and_growth() {
    let rt = Runtime::with_config(RuntimeConfig::interpreter().with_memory_limit_pages(4));
    let too_big = rt.compile_module(&wat("(module (memory 5))")).unwrap();
    let err = rt
        .instantiate_module(&too_big, ModuleConfig::new())
        .unwrap_err();
    assert!(err.to_string().contains("limit of 4 pages"), "{err}");

    let grow = wat(r#"(module (memory (export "m") 1)
        (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"#);
    for capacity_from_max in [false, true] {
        let rt = Runtime::with_config(
            RuntimeConfig::interpreter()
                .with_memory_limit_pages(4)
                .with_memory_capacity_from_max(capacity_from_max),
        );
        let m = rt.instantiate(&grow).unwrap();
        let grow = m.exported_function("grow").unwrap();
        assert_eq!(grow.call(&[2]).unwrap(), vec![1]);
        assert_eq!(
            grow.call(&[2]).unwrap(),
            vec![u64::from(u32::MAX)],
            "past the limit: -1"
        );
        assert_eq!(grow.call(&[1]).unwrap(), vec![3]);
        assert_eq!(m.memory().unwrap().grow(1), None);
        assert_eq!(m.memory().unwrap().size(), 4 * 65536);
    }
}

#[test]
fn custom_sections_are_kept_only_when_asked() {
    let wasm = wat(r#"(module (@custom "meta" "data") (@custom "more" ""))"#);
    let with = Runtime::with_config(RuntimeConfig::interpreter().with_custom_sections(true));
    let sections = with
        .compile_module(&wasm)
        .unwrap()
        .custom_sections()
        .to_vec();
    let names: Vec<_> = sections.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["meta", "more"]);
    assert_eq!(sections[0].data, b"data");
    assert!(interpreter()
        .compile_module(&wasm)
        .unwrap()
        .custom_sections()
        .is_empty());
}

#[test]
fn core_features_gate_what_compiles() {
    let simd = wat("(module (func (drop (v128.const i64x2 0 0))))");
    let v1 =
        Runtime::with_config(RuntimeConfig::interpreter().with_core_features(CoreFeatures::V1));
    assert!(matches!(
        v1.compile_module(&simd),
        Err(Error::Validation(_))
    ));
    assert!(interpreter().compile_module(&simd).is_ok());
}

#[test]
fn start_section_and_start_functions_run_at_instantiation() {
    let rt = interpreter();
    let wasm = wat(r#"(module (global $g (export "g") (mut i32) (i32.const 0))
        (func $s (global.set $g (i32.const 1))) (start $s)
        (func (export "_start") (global.set $g (i32.add (global.get $g) (i32.const 10)))))"#);
    let compiled = rt.compile_module(&wasm).unwrap();
    let m = rt
        .instantiate_module(&compiled, ModuleConfig::new())
        .unwrap();
    assert_eq!(m.exported_global("g").unwrap().get(), 11);
    let m = rt
        .instantiate_module(&compiled, ModuleConfig::new().with_start_functions(&[]))
        .unwrap();
    assert_eq!(m.exported_global("g").unwrap().get(), 1);

    let trapping = wat(r#"(module (func $s unreachable) (start $s))"#);
    let err = rt.instantiate(&trapping).unwrap_err();
    assert_eq!(err.trap_code(), Some(TrapCode::Unreachable));
}

#[test]
fn traps_carry_a_backtrace_of_function_names() {
    let rt = interpreter();
    let m = rt
        .instantiate_module(
            &rt.compile_module(&wat(
                r#"(module $m (func $inner (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0)))
                   (func $outer (export "outer") (param i32) (result i32) (call $inner (local.get 0))))"#,
            ))
            .unwrap(),
            ModuleConfig::new(),
        )
        .unwrap();
    let Error::Trap(trap) = m
        .exported_function("outer")
        .unwrap()
        .call(&[0])
        .unwrap_err()
    else {
        panic!("expected a trap");
    };
    assert_eq!(trap.code, TrapCode::IntegerDivideByZero);
    assert_eq!(trap.backtrace, ["m.inner", "m.outer"]);
}

#[test]
fn values_cross_in_their_u64_encodings() {
    let rt = interpreter();
    let m = rt
        .instantiate(&wat(
            r#"(module (func (export "half") (param f64) (result f64) (f64.div (local.get 0) (f64.const 2)))
                (func (export "neg") (param i32) (result i32) (i32.sub (i32.const 0) (local.get 0))))"#,
        ))
        .unwrap();
    let half = m.exported_function("half").unwrap();
    assert_eq!(half.ty().params(), [ValueType::F64]);
    assert_eq!(decode_f64(half.call(&[encode_f64(5.0)]).unwrap()[0]), 2.5);
    let neg = m.exported_function("neg").unwrap().call(&[5]).unwrap()[0];
    assert_eq!(neg, 0xffff_fffb, "i32 results are zero-extended");
}

#[test]
fn bad_calls_are_errors() {
    let rt = interpreter();
    let m = rt.instantiate(&wat(COUNTER)).unwrap();
    let next = m.exported_function("next").unwrap();
    assert!(matches!(next.call(&[1]), Err(Error::InvalidArgument(_))));
    assert!(matches!(
        next.call_with_stack(&mut []),
        Err(Error::InvalidArgument(_))
    ));
    assert!(m.exported_function("missing").is_none());
    assert!(m.exported_memory("next").is_none());
    let other = Runtime::with_config(RuntimeConfig::interpreter());
    let compiled = rt.compile_module(&wat(COUNTER)).unwrap();
    assert!(matches!(
        other.instantiate_module(&compiled, ModuleConfig::new()),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        rt.compile_module(b"\0asm\x01"),
        Err(Error::Decode(_))
    ));
    // Without the `compiler` feature (off by default) there is no compiler. (A
    // workspace build may turn it on: the compiler crate's tests need it.)
    if !engines::HAS_COMPILER {
        assert!(matches!(
            Runtime::with_config(RuntimeConfig::compiler()).compile_module(&wat("(module)")),
            Err(Error::Compile(_))
        ));
    }
}

#[test]
fn host_functions_and_reentrant_handles() {
    let rt = interpreter();
    let captured: Arc<OnceLock<wazero::Function>> = Arc::new(OnceLock::new());
    let seen = captured.clone();
    rt.new_host_module_builder("env")
        .new_function_builder()
        .with_stack_func(&[ValueType::I32], &[ValueType::I32], |stack| {
            stack[0] += 100
        })
        .export("plus100")
        .new_function_builder()
        .with_stack_func(&[], &[ValueType::I32], move |stack| {
            let f = seen.get().expect("set before the call");
            stack[0] = match f.call(&[1]) {
                Err(Error::Reentrant) => 1,
                other => panic!("{other:?}"),
            };
        })
        .export("reenter")
        .instantiate()
        .unwrap();
    let m = rt
        .instantiate(&wat(
            r#"(module (import "env" "plus100" (func $p (param i32) (result i32)))
                (import "env" "reenter" (func $r (result i32)))
                (func (export "run") (param i32) (result i32) (call $p (local.get 0)))
                (func (export "reenter") (result i32) (call $r)))"#,
        ))
        .unwrap();
    assert_eq!(
        m.exported_function("run").unwrap().call(&[1]).unwrap(),
        vec![101]
    );
    captured.set(m.exported_function("run").unwrap()).unwrap();
    assert_eq!(
        m.exported_function("reenter").unwrap().call(&[]).unwrap(),
        vec![1]
    );
}

#[test]
fn handles_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Runtime>();
    check::<wazero::CompiledModule>();
    check::<wazero::Module>();
    check::<wazero::Function>();
    check::<wazero::Memory>();
    check::<wazero::Global>();
    check::<wazero::Table>();
    check::<Error>();
}

#[test]
fn typed_calls_check_the_signature_once() {
    let rt = interpreter();
    let m = rt
        .instantiate(&wat(r#"(module
                (func (export "swap") (param i64 f64) (result f64 i64) (local.get 1) (local.get 0))
                (func (export "splat") (param i32) (result v128) (i32x4.splat (local.get 0)))
                (func (export "unit")))"#))
        .unwrap();
    let swap = m.exported_function("swap").unwrap();
    let typed = swap.typed::<(i64, f64), (f64, i64)>().unwrap();
    assert_eq!(typed.call((-3, 0.25)).unwrap(), (0.25, -3));
    let splat = m
        .exported_function("splat")
        .unwrap()
        .typed::<u32, u128>()
        .unwrap();
    assert_eq!(
        splat.call(7).unwrap(),
        0x0000_0007_0000_0007_0000_0007_0000_0007
    );
    m.exported_function("unit")
        .unwrap()
        .typed::<(), ()>()
        .unwrap()
        .call(())
        .unwrap();
    let err = swap.typed::<(i64, f64), f64>().unwrap_err();
    assert!(
        err.to_string().contains("(i64, f64) -> (f64, i64)"),
        "{err}"
    );
}

#[test]
fn debug_info_controls_backtrace_names() {
    let wasm = wat(
        r#"(module $m (func $inner unreachable) (func $outer (export "outer") (call $inner)))"#,
    );
    let cases = [(true, ["m.inner", "m.outer"]), (false, ["x.$0", "x.$1"])];
    for (enabled, want) in cases {
        let rt =
            Runtime::with_config(RuntimeConfig::interpreter().with_debug_info_enabled(enabled));
        let compiled = rt.compile_module(&wasm).unwrap();
        let name = if enabled { "" } else { "x" };
        let m = rt
            .instantiate_module(&compiled, ModuleConfig::new().with_name(name))
            .unwrap();
        let Error::Trap(trap) = m.exported_function("outer").unwrap().call(&[]).unwrap_err() else {
            panic!("expected a trap");
        };
        assert_eq!(trap.backtrace, want, "debug info {enabled}");
    }
}

#[test]
fn closing_the_runtime_closes_its_namespaces() -> Result<(), Error> {
    let rt = interpreter();
    let compiled = rt.compile_module(&wat(COUNTER))?;
    let ns = rt.new_namespace();
    let m = ns.instantiate_module(&compiled, ModuleConfig::new())?;
    drop(rt.new_namespace()); // a dropped namespace is simply gone
    rt.close()?;
    assert!(m.is_closed());
    Ok(())
}

#[test]
fn closing_frees_memories_and_tables_no_open_module_uses() -> Result<(), Error> {
    let rt = interpreter();
    let provider = rt.instantiate_module(
        &rt.compile_module(&wat(PROVIDER))?,
        ModuleConfig::new().with_name("p"),
    )?;
    let importer = rt.instantiate_module(
        &rt.compile_module(&wat(
            r#"(module (import "p" "mem" (memory 1)) (import "p" "tab" (table 2 funcref)))"#,
        ))?,
        ModuleConfig::new().with_name("u"),
    )?;
    let memory = provider.exported_memory("mem").unwrap();
    let table = provider.exported_table("tab").unwrap();
    provider.close()?;
    assert_eq!(memory.size_pages(), 1, "the importer still uses the memory");
    assert_eq!(table.size(), 2, "and the table");
    importer.close()?;
    assert_eq!(memory.size_pages(), 0, "no open module uses it: freed");
    assert_eq!(table.size(), 0);
    assert_eq!(
        memory.write(0, b"x"),
        Err(wazero::MemoryAccessError {
            offset: 0,
            len: 1,
            size: 0
        }),
        "a freed memory has no bytes to write"
    );

    // A module that exits from inside a call is released when the call returns.
    let exiting = wat(r#"(module (import "env" "exit" (func $exit))
        (memory (export "mem") 2) (func (export "_start") (call $exit)))"#);
    rt.new_host_module_builder("env")
        .new_function_builder()
        .with_stack_func(&[], &[], |_| {})
        .export("exit")
        .instantiate()?;
    let m = rt.instantiate_module(
        &rt.compile_module(&exiting)?,
        ModuleConfig::new().with_start_functions(&[]),
    )?;
    let mem = m.exported_memory("mem").unwrap();
    m.close_with_exit_code(2)?;
    assert_eq!(mem.size_pages(), 0);
    Ok(())
}

#[test]
fn closing_from_inside_a_host_function_says_why_it_cannot() {
    type Close = fn(&Runtime, &wazero::Module) -> wazero::Result<()>;
    let cases: [(&str, Close, &str); 3] = [
        ("runtime", |rt, _| rt.close(), "the runtime"),
        (
            "namespace",
            |rt, _| rt.default_namespace().close(),
            "the namespace",
        ),
        (
            "module",
            |_, module| module.close_with_exit_code(3),
            "the module",
        ),
    ];
    for (name, close, what) in cases {
        let rt = interpreter();
        // The runtime and the guest module, for the host function, set before the call.
        let state: Arc<OnceLock<(Runtime, wazero::Module)>> = Arc::new(OnceLock::new());
        let seen = state.clone();
        let outcome: Arc<std::sync::Mutex<Option<wazero::Result<()>>>> = Arc::default();
        let record = outcome.clone();
        rt.new_host_module_builder("env")
            .new_function_builder()
            .with_stack_func(&[], &[], move |_| {
                let (rt, module) = seen.get().expect("set before the call");
                *record.lock().unwrap() = Some(close(rt, module));
            })
            .export("close")
            .instantiate()
            .unwrap();
        let module = rt
            .instantiate(&wat(r#"(module (import "env" "close" (func $close))
                    (func (export "run") (call $close)))"#))
            .unwrap();
        let _ = state.set((rt.clone(), module.clone()));
        module.exported_function("run").unwrap().call(&[]).unwrap();
        let result = outcome
            .lock()
            .unwrap()
            .take()
            .expect("the host function ran");
        let err = result.expect_err(name);
        assert!(
            matches!(err, Error::CloseInsideCall(w) if w == what),
            "{name}: {err:?}"
        );
        assert_eq!(
            err.to_string(),
            format!(
                "{what} cannot be closed from inside one of its own calls (a host function); \
                 close it after the call returns"
            ),
            "{name}"
        );
        // Outside the call, closing works.
        assert!(!module.is_closed(), "{name}");
        close(&rt, &module).unwrap();
        assert!(module.is_closed(), "{name}");
    }
}

/// wazero's memory definitions: of a compiled module's imports and exports,
/// of an instance's exports and of a memory handle; and `write_string`.
#[test]
fn memory_definitions_and_write_string() {
    let runtime = wazero::Runtime::new();
    let exporter =
        wat::parse_str(r#"(module (memory (export "mem") (export "alias") 2 8))"#).unwrap();
    let compiled = runtime.compile_module(&exporter).unwrap();
    let exported = compiled.exported_memories();
    assert_eq!(exported.len(), 1);
    let def = &exported[0];
    assert_eq!((def.index, def.min, def.max), (0, 2, Some(8)));
    assert_eq!(def.import, None);
    assert_eq!(
        def.export_names,
        vec!["mem".to_string(), "alias".to_string()]
    );
    assert!(compiled.imported_memories().is_empty());
    let m = runtime
        .instantiate_module(&compiled, wazero::ModuleConfig::new().with_name("lib"))
        .unwrap();
    let by_name = m.exported_memory_definitions();
    assert_eq!(
        by_name.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        vec!["mem", "alias"]
    );
    assert!(by_name.iter().all(|(_, d)| d.module_name == "lib"));
    let memory = m.exported_memory("mem").unwrap();
    assert_eq!(memory.definition(), by_name[0].1);
    memory.write_string(10, "héllo").unwrap();
    assert_eq!(memory.read(10, 6).unwrap(), "héllo".as_bytes());
    assert!(
        memory.write_string(2 * 65536 - 2, "abc").is_err(),
        "does not fit"
    );

    let importer = wat::parse_str(r#"(module (import "lib" "mem" (memory 1)))"#).unwrap();
    let compiled = runtime.compile_module(&importer).unwrap();
    let imported = compiled.imported_memories();
    assert_eq!(imported.len(), 1);
    assert_eq!(
        imported[0].import,
        Some(("lib".to_string(), "mem".to_string()))
    );
    assert_eq!((imported[0].min, imported[0].max), (1, None));
    let instance = runtime
        .instantiate_module(&compiled, wazero::ModuleConfig::new().with_name("user"))
        .unwrap();
    let def = instance.memory().unwrap().definition();
    assert_eq!(def.import, Some(("lib".to_string(), "mem".to_string())));
    assert_eq!(def.module_name, "user");
}
