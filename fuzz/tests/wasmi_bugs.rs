//! The wasmi bugs the harness steps around (`wazero_fuzz::wasmi_bugs`): each is
//! still in wasmi, wazero gets the case right, and the harness sees no
//! mismatch.
//!
//! When a wasmi update fixes a bug, its "still in wasmi" check fails: remove
//! the bug's rewrite from `src/wasmi_bugs.rs` and its case here.

use wasmi::{Engine, Instance, Module, Store, Val};
use wazero::{Runtime, RuntimeConfig};
use wazero_fuzz::{check_module, engines, reference, wasmi_bugs, Tally};

/// A case: a module whose export `f` takes an `i32` and returns an `i32`.
struct Case {
    /// The bug's number in `src/wasmi_bugs.rs`.
    bug: u32,
    wat: &'static str,
    /// The argument.
    arg: i32,
    /// The result by the spec.
    spec: i32,
    /// Whether wasmi 2.0.0 returns (something else than `spec`) rather than
    /// crashing, which cannot be tested here.
    wasmi_returns: bool,
}

const CASES: [Case; 8] = [
    Case {
        bug: 1,
        wat: r#"(module (func (export "f") (param i32) (result i32)
            (select (i32.const 10) (i32.const 20) (i32.eqz (local.get 0)))))"#,
        arg: 1,
        spec: 20,
        wasmi_returns: true,
    },
    Case {
        bug: 1,
        wat: r#"(module (func (export "f") (param i32) (result i32)
            (select (i32.const 10) (i32.const 20) (i32.ne (local.get 0) (i32.const 0)))))"#,
        arg: 1,
        spec: 10,
        wasmi_returns: true,
    },
    Case {
        bug: 1,
        wat: r#"(module (func (export "f") (param i32) (result i32) (local externref)
            (drop (i32.add (local.get 0) (i32.const 5)))
            (select (i32.const 10) (i32.const 20) (ref.is_null (local.get 1)))))"#,
        arg: 0,
        spec: 10,
        wasmi_returns: true,
    },
    Case {
        bug: 2,
        wat: r#"(module (memory 2)
            (func (export "f") (param i32) (result i32)
                (v128.store16_lane offset=70000 1 (local.get 0) (i16x8.splat (local.get 0)))
                (i32.load16_u offset=70000 (local.get 0))))"#,
        arg: 2,
        spec: 2,
        wasmi_returns: false,
    },
    Case {
        bug: 3,
        wat: r#"(module (func (export "f") (param i32) (result i32) (local i32)
            local.get 0
            i32.const 5
            local.get 1
            if (param i32) (result i32)
              drop
              loop end
              i32.const 1
            end
            drop))"#,
        arg: 7,
        spec: 7,
        wasmi_returns: true,
    },
    Case {
        bug: 3,
        wat: r#"(module (func (export "f") (param i32) (result i32) (local i32)
            local.get 0
            i32.const 5
            block (param i32) (result i32)
              local.get 1
              i32.eqz
              br_if 0
              drop
              i32.const 9
              local.set 0
              i32.const 1
            end
            drop))"#,
        arg: 7,
        spec: 7,
        wasmi_returns: true,
    },
    Case {
        bug: 4,
        wat: r#"(module (func (export "f") (param i32) (result i32)
            block (result i32 i32)
              block (result i32 i32)
                f32.const 1
                (i32.add (local.get 0) (i32.const 3))
                (i32.add (local.get 0) (i32.const 4))
                local.get 0
                br_table 0 1
              end
            end
            i32.sub))"#,
        arg: 0,
        spec: -1,
        wasmi_returns: true,
    },
    Case {
        bug: 4,
        wat: r#"(module (func (export "f") (param i32) (result i32)
            block (result v128)
              block (result v128)
                i32.const 7
                local.get 0
                i32x4.splat
                local.get 0
                br_table 0 1
              end
            end
            i32x4.extract_lane 0))"#,
        arg: 1,
        spec: 1,
        wasmi_returns: true,
    },
];

/// `f(arg)` on wasmi, running `wasm` as given.
fn on_wasmi(wasm: &[u8], arg: i32) -> i32 {
    let engine = Engine::default();
    let module = Module::new(&engine, wasm).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let f = instance.get_func(&store, "f").unwrap();
    let mut results = [Val::I32(0)];
    f.call(&mut store, &[Val::I32(arg)], &mut results).unwrap();
    match results[0] {
        Val::I32(v) => v,
        ref other => panic!("{other:?}"),
    }
}

/// `f(arg)` on wazero's interpreter.
fn on_wazero(wasm: &[u8], arg: i32) -> i32 {
    let runtime = Runtime::with_config(RuntimeConfig::interpreter());
    let module = runtime.instantiate(wasm).unwrap();
    let f = module.exported_function("f").unwrap();
    f.call(&[u64::from(arg as u32)]).unwrap()[0] as i32
}

#[test]
fn each_wasmi_bug_is_stepped_around() {
    for case in &CASES {
        let wasm = wat::parse_str(case.wat).unwrap();
        let name = format!("bug {}: {}", case.bug, case.wat);
        if case.wasmi_returns {
            assert_ne!(
                on_wasmi(&wasm, case.arg),
                case.spec,
                "{name}: wasmi no longer has this bug; remove its rewrite"
            );
        }
        assert_eq!(on_wazero(&wasm, case.arg), case.spec, "{name}");
        let rewritten = wasmi_bugs::step_around(&wasm).unwrap();
        assert_eq!(
            on_wasmi(&rewritten, case.arg),
            case.spec,
            "{name}: rewritten"
        );
        let mut tally = Tally::default();
        check_module(&wasm, &engines(), reference().as_ref(), &mut tally)
            .unwrap_or_else(|mismatch| panic!("{name}: {mismatch}"));
        assert!(tally.returned > 0, "{name}: {tally}");
    }
}
