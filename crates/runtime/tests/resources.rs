//! What instances hold is given back: by failed instantiations, by dropped
//! handles, and by closed modules, on every engine.
//!
//! These tests count what a namespace holds (`Namespace::stats`), so they can
//! run in parallel; the process-wide checks (resident memory, address-space
//! reservations) are in `resources_process.rs`.

mod engines;

use wazero::{Error, ModuleConfig, NamespaceStats, Runtime};

/// No imports; its start function grows its memory to 100 pages, then traps.
const GROW_THEN_TRAP: &str = r#"(module
    (memory 1)
    (func $start
      (drop (memory.grow (i32.const 99)))
      (i32.store (i32.const 6000000) (i32.const 1))
      unreachable)
    (start $start))"#;

/// A module with a memory, a table, globals and ten functions.
fn ten_functions() -> String {
    let mut wat = String::from(
        "(module (memory (export \"mem\") 1) (table 4 funcref) (global $g (mut i32) (i32.const 0))
         (global (export \"g\") (mut i64) (i64.const 7))
         (elem (i32.const 0) $f0 $f1)\n",
    );
    for i in 0..10 {
        wat.push_str(&format!(
            "(func $f{i} (export \"f{i}\") (result i32) (global.set $g (i32.const {i})) (global.get $g))\n"
        ));
    }
    wat.push(')');
    wat
}

fn empty(stats: NamespaceStats) -> bool {
    stats.instances == 0
        && stats.functions == 0
        && stats.memories == 0
        && stats.tables == 0
        && stats.globals == 0
}

#[test]
fn a_failed_instantiation_keeps_nothing() {
    for (name, config) in engines::named() {
        let runtime = Runtime::with_config(config);
        let compiled = runtime
            .compile_module(&wat::parse_str(GROW_THEN_TRAP).unwrap())
            .unwrap();
        let ns = runtime.new_namespace();
        for _ in 0..300 {
            let err = ns
                .instantiate_module(&compiled, ModuleConfig::new())
                .unwrap_err();
            assert!(matches!(err, Error::Trap(_)), "{name}: {err}");
        }
        let stats = ns.stats();
        assert!(empty(stats), "{name}: {stats:?}");
        assert!(stats.slots <= 4, "{name}: slots are reused: {stats:?}");
    }
}

#[test]
fn a_failed_instantiation_that_wrote_into_an_imported_table_stays_callable() {
    // The spec's `linking.wast`: functions a failed instance wrote into an
    // imported table remain callable, with the instance's memory.
    for (name, config) in engines::named() {
        let runtime = Runtime::with_config(config);
        let ns = runtime.new_namespace();
        let table = wat::parse_str(
            r#"(module (table (export "tab") 4 funcref) (type $t (func (result i32)))
                 (func (export "call") (param i32) (result i32)
                   (call_indirect (type $t) (local.get 0))))"#,
        )
        .unwrap();
        let provider = ns
            .instantiate_module(
                &runtime.compile_module(&table).unwrap(),
                ModuleConfig::new().with_name("Mt"),
            )
            .unwrap();
        drop(provider);
        let failing = wat::parse_str(
            r#"(module (table (import "Mt" "tab") 4 funcref) (memory 1)
                 (data (i32.const 8) "\2a")
                 (func $f (result i32) (i32.load8_u (i32.const 8)))
                 (elem (i32.const 2) $f)
                 (func $start unreachable) (start $start))"#,
        )
        .unwrap();
        let failing = runtime.compile_module(&failing).unwrap();
        assert!(ns
            .instantiate_module(&failing, ModuleConfig::new())
            .is_err());
        let call = ns.module("Mt").unwrap().exported_function("call").unwrap();
        assert_eq!(call.call(&[2]).unwrap(), vec![42], "{name}");
        assert_eq!(ns.stats().instances, 2, "{name}");
        // Replaced in the table, the failed instance is unreachable; enough
        // failures make the store look for such instances, and free them.
        for _ in 0..200 {
            assert!(ns
                .instantiate_module(&failing, ModuleConfig::new())
                .is_err());
        }
        assert_eq!(call.call(&[2]).unwrap(), vec![42], "{name}");
        let stats = ns.stats();
        assert!(stats.instances < 100, "{name}: {stats:?}");
        drop(call);
        ns.close().unwrap();
        let stats = ns.stats();
        assert!(stats.instances < 100, "{name}: {stats:?}");
    }
}

#[test]
fn dropping_the_last_handle_of_an_anonymous_module_frees_it() {
    let wasm = wat::parse_str(ten_functions()).unwrap();
    for (name, config) in engines::named() {
        let runtime = Runtime::with_config(config);
        let compiled = runtime.compile_module(&wasm).unwrap();
        let ns = runtime.new_namespace();
        for _ in 0..1000 {
            let module = ns
                .instantiate_module(&compiled, ModuleConfig::new())
                .unwrap();
            let f = module.exported_function("f3").unwrap();
            assert_eq!(f.call(&[]).unwrap(), vec![3]);
        }
        let stats = ns.stats();
        assert!(empty(stats), "{name}: {stats:?}");
        assert!(stats.slots <= 20, "{name}: slots are reused: {stats:?}");
    }
}

#[test]
fn any_handle_keeps_an_anonymous_module_alive() {
    let wasm = wat::parse_str(ten_functions()).unwrap();
    for (name, config) in engines::named() {
        let runtime = Runtime::with_config(config);
        let compiled = runtime.compile_module(&wasm).unwrap();
        let ns = runtime.new_namespace();
        let module = ns
            .instantiate_module(&compiled, ModuleConfig::new())
            .unwrap();
        let (f, memory, global) = (
            module.exported_function("f5").unwrap(),
            module.exported_memory("mem").unwrap(),
            module.exported_global("g").unwrap(),
        );
        drop(module);
        // Other instances come and go meanwhile, reusing free slots.
        for _ in 0..10 {
            ns.instantiate_module(&compiled, ModuleConfig::new())
                .unwrap();
        }
        assert_eq!(f.call(&[]).unwrap(), vec![5], "{name}");
        memory.write_u32_le(100, 9).unwrap();
        assert_eq!(memory.read_u32_le(100), Ok(9), "{name}");
        assert_eq!(global.get(), 7, "{name}");
        assert_eq!(ns.stats().instances, 1, "{name}");
        drop((f, memory));
        assert_eq!(ns.stats().instances, 1, "{name}: the global keeps it");
        drop(global);
        assert!(empty(ns.stats()), "{name}: {:?}", ns.stats());
    }
}

#[test]
fn handles_of_a_closed_module_see_it_gone_not_a_newer_one() {
    let wasm = wat::parse_str(ten_functions()).unwrap();
    for (name, config) in engines::named() {
        let runtime = Runtime::with_config(config);
        let compiled = runtime.compile_module(&wasm).unwrap();
        let ns = runtime.new_namespace();
        let module = ns
            .instantiate_module(&compiled, ModuleConfig::new())
            .unwrap();
        let (f, memory, global) = (
            module.exported_function("f1").unwrap(),
            module.memory().unwrap(),
            module.exported_global("g").unwrap(),
        );
        module.close_with_exit_code(3).unwrap();
        // A new instance takes the freed memory and global slots.
        let newer = ns
            .instantiate_module(&compiled, ModuleConfig::new())
            .unwrap();
        newer.memory().unwrap().write_u32_le(0, 77).unwrap();
        assert!(matches!(f.call(&[]), Err(Error::Exit(3))), "{name}");
        assert_eq!(memory.size_pages(), 0, "{name}");
        assert!(memory.read_u32_le(0).is_err(), "{name}");
        assert_eq!(global.get(), 0, "{name}");
        assert!(global.set(1).is_err(), "{name}");
        assert_eq!(newer.exported_global("g").unwrap().get(), 7, "{name}");
        assert!(module.exported_memory("mem").is_none(), "{name}");
    }
}

#[test]
fn a_named_module_stays_until_closed() {
    let wasm = wat::parse_str(ten_functions()).unwrap();
    for (name, config) in engines::named() {
        let runtime = Runtime::with_config(config);
        let compiled = runtime.compile_module(&wasm).unwrap();
        let ns = runtime.new_namespace();
        drop(
            ns.instantiate_module(&compiled, ModuleConfig::new().with_name("kept"))
                .unwrap(),
        );
        let kept = ns.module("kept").expect("still registered");
        assert_eq!(
            kept.exported_function("f2").unwrap().call(&[]).unwrap(),
            vec![2]
        );
        drop(kept);
        assert_eq!(ns.stats().instances, 1, "{name}");
        ns.module("kept").unwrap().close().unwrap();
        assert!(ns.module("kept").is_none());
        assert!(empty(ns.stats()), "{name}: {:?}", ns.stats());
    }
}

#[test]
fn an_exporter_lives_while_an_importer_does() {
    for (name, config) in engines::named() {
        let runtime = Runtime::with_config(config);
        let ns = runtime.new_namespace();
        let exporter = wat::parse_str(
            r#"(module (memory (export "mem") 1) (data (i32.const 0) "\05")
                 (func (export "five") (result i32) (i32.load8_u (i32.const 0))))"#,
        )
        .unwrap();
        let importer = wat::parse_str(
            r#"(module (import "lib" "five" (func $five (result i32)))
                 (import "lib" "mem" (memory 1))
                 (func (export "six") (result i32) (i32.add (call $five) (i32.const 1))))"#,
        )
        .unwrap();
        let lib = ns
            .instantiate_module(
                &runtime.compile_module(&exporter).unwrap(),
                ModuleConfig::new().with_name("lib"),
            )
            .unwrap();
        let user = ns
            .instantiate_module(
                &runtime.compile_module(&importer).unwrap(),
                ModuleConfig::new(),
            )
            .unwrap();
        // Closing the exporter leaves its memory to the importer, whose calls
        // into it then exit.
        lib.close().unwrap();
        drop(lib);
        assert_eq!(user.memory().unwrap().read_u8(0), Ok(5), "{name}");
        assert!(matches!(
            user.exported_function("six").unwrap().call(&[]),
            Err(Error::Exit(0))
        ));
        drop(user);
        // The importer is freed, and with it the exporter's memory; the closed
        // exporter's record, which importers reached, waits for a scan.
        let stats = ns.stats();
        assert!(stats.instances <= 1, "{name}: {stats:?}");
        assert_eq!(stats.memories, 0, "{name}: {stats:?}");
    }
}

#[test]
fn instantiate_and_close_reuses_every_slot() {
    let wasm = wat::parse_str(ten_functions()).unwrap();
    for (name, config) in engines::named() {
        let runtime = Runtime::with_config(config);
        let compiled = runtime.compile_module(&wasm).unwrap();
        let ns = runtime.new_namespace();
        let keep = ns
            .instantiate_module(&compiled, ModuleConfig::new().with_name("keep"))
            .unwrap();
        let once = {
            let m = ns
                .instantiate_module(&compiled, ModuleConfig::new())
                .unwrap();
            m.close().unwrap();
            drop(m);
            ns.stats()
        };
        for _ in 0..2000 {
            let m = ns
                .instantiate_module(&compiled, ModuleConfig::new())
                .unwrap();
            assert_eq!(
                m.exported_function("f9").unwrap().call(&[]).unwrap(),
                vec![9]
            );
            m.close().unwrap();
        }
        assert_eq!(ns.stats(), once, "{name}");
        assert_eq!(ns.stats().instances, 1, "{name}");
        drop(keep);
    }
}
