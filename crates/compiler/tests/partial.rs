//! Code of some functions only (`CompileOptions::only`), as the tiered
//! engine compiles a module's hot functions first, and the reuse of its
//! functions' code by a later compilation (`CompileOptions::reuse`).

use std::sync::Arc;

use wazero_store::{CompileOptions, CompiledCode, Engine};

#[cfg(target_arch = "x86_64")]
use wazero_compiler_amd64::Amd64Compiler as Native;
#[cfg(target_arch = "aarch64")]
use wazero_compiler_arm64::Arm64Compiler as Native;

/// `a` calls `b` directly and a table entry indirectly; `c` is a leaf.
const MODULE: &str = r#"(module
    (type $t (func (param i32) (result i32)))
    (table 1 funcref) (elem (i32.const 0) $c)
    (func $a (param i32) (result i32)
        (i32.add (call $b (local.get 0))
                 (call_indirect (type $t) (local.get 0) (i32.const 0))))
    (func $b (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
    (func $c (param i32) (result i32) (i32.add (local.get 0) (i32.const 1))))"#;

fn validated() -> Arc<wazero_validator::ValidatedModule> {
    let wasm = wat::parse_str(MODULE).unwrap();
    let module = wazero_decoder::decode(&wasm, Default::default()).unwrap();
    Arc::new(wazero_validator::validate(module, Default::default()).unwrap())
}

/// `module` compiled by `engine` with `only` and `reuse` (see
/// `CompileOptions`).
fn compile(
    engine: &Native,
    module: &Arc<wazero_validator::ValidatedModule>,
    only: Option<&(dyn Fn(u32) -> bool + Sync)>,
    reuse: Option<&dyn CompiledCode>,
) -> Arc<dyn CompiledCode> {
    let options = CompileOptions {
        only,
        reuse,
        ..Default::default()
    };
    engine.compile_with(module, &options).unwrap()
}

#[test]
fn code_of_some_functions_is_not_serialized_and_reused_code_is_the_same() {
    let engine = Native::new().unwrap();
    let module = validated();
    let whole = compile(&engine, &module, None, None);
    let whole_bytes = engine.serialize(&*whole).expect("whole code is serialized");

    // `b` and `c` alone: `a` is left out.
    let partial = compile(&engine, &module, Some(&|i| i != 0), None);
    assert!(
        engine.serialize(&*partial).is_none(),
        "code of some functions only serves the engine that asked for it"
    );

    // The whole module again, taking `b` and `c` from the partial code:
    // the same code as compiled at once.
    let reused = compile(&engine, &module, None, Some(&*partial));
    assert_eq!(engine.serialize(&*reused).unwrap(), whole_bytes);

    // Code of `a` alone calls `b` and the table through the store: reused
    // in the whole module, it would be slower, so the whole compilation
    // compiles it again (and the result is still the same code).
    let a_alone = compile(&engine, &module, Some(&|i| i == 0), None);
    let again = compile(&engine, &module, None, Some(&*a_alone));
    assert_eq!(engine.serialize(&*again).unwrap(), whole_bytes);
}

/// Code is reused only where that is sound: not from another module (its
/// functions would run on this one's globals and types), and not a function
/// whose direct callee is left out now (its call would be linked to no code).
#[test]
fn code_is_reused_only_from_the_same_module_with_its_callees() {
    let engine = Native::new().unwrap();
    let module = validated();
    let whole_bytes = engine
        .serialize(&*compile(&engine, &module, None, None))
        .unwrap();

    // The same number of functions, other bodies.
    let other = {
        let wasm = wat::parse_str(MODULE.replace("i32.const 2", "i32.const 5")).unwrap();
        let decoded = wazero_decoder::decode(&wasm, Default::default()).unwrap();
        Arc::new(wazero_validator::validate(decoded, Default::default()).unwrap())
    };
    let others = compile(&engine, &other, Some(&|i| i != 0), None);
    let mine = compile(&engine, &module, None, Some(&*others));
    assert_eq!(engine.serialize(&*mine).unwrap(), whole_bytes);

    // `a` compiled with `b` (a direct call), then `a` without `b`: `a` is
    // compiled again, calling `b` through the store.
    let a_and_b = compile(&engine, &module, Some(&|i| i != 2), None);
    let options = CompileOptions {
        only: Some(&|i| i == 0),
        reuse: Some(&*a_and_b),
        ..Default::default()
    };
    let a_alone = engine.compile_with(&module, &options);
    assert!(a_alone.is_ok(), "{:?}", a_alone.err());
}
