//! The resource limits of `RuntimeConfig`, on every engine: each bounds what a
//! guest can take, with its documented outcome when reached.

mod engines;
mod reentry;

use wazero::Runtime;

/// `with_max_table_elements` bounds the elements of all tables together:
/// `table.grow` past it returns -1, and a module whose tables do not fit
/// fails to instantiate.
#[test]
fn table_elements_are_limited_by_configuration() {
    for (engine, config) in engines::named() {
        let runtime = Runtime::with_config(config.with_max_table_elements(1000));
        let wasm = wat::parse_str(
            r#"(module (table 100 funcref)
                (func (export "grow") (param i32) (result i32)
                    (table.grow (ref.null func) (local.get 0))))"#,
        )
        .unwrap();
        let module = runtime.instantiate(&wasm).unwrap();
        let grow = module.exported_function("grow").unwrap();
        assert_eq!(grow.call(&[800]).unwrap(), vec![100], "{engine}");
        assert_eq!(
            grow.call(&[101]).unwrap(),
            vec![u32::MAX as u64],
            "{engine}: past the limit"
        );
        assert_eq!(grow.call(&[100]).unwrap(), vec![900], "{engine}");
        let big = wat::parse_str("(module (table 2000 funcref))").unwrap();
        assert!(
            runtime.instantiate(&big).is_err(),
            "{engine}: a table larger than the limit"
        );
    }
}

/// `with_max_reentry_depth` bounds host → guest nesting: the entry past it
/// traps with "call stack exhausted".
#[test]
fn reentry_depth_is_limited_by_configuration() {
    use std::sync::atomic::Ordering;
    for (engine, config) in engines::named() {
        let runtime = Runtime::with_config(config.with_max_reentry_depth(5));
        let seen = reentry::Seen::default();
        let module = reentry::guest(&runtime, &seen);
        let err = module
            .exported_function("down")
            .unwrap()
            .call(&[1])
            .unwrap_err();
        assert!(
            err.to_string().contains("call stack exhausted"),
            "{engine}: {err}"
        );
        assert_eq!(seen.deepest.load(Ordering::Relaxed), 5, "{engine}");
    }
}

/// A module of one function holding `depth` nested blocks.
fn nested_blocks(depth: usize) -> Vec<u8> {
    let mut body = "(func (export \"f\")".to_string();
    body += &"(block ".repeat(depth);
    body += &")".repeat(depth);
    body += ")";
    wat::parse_str(format!("(module {body})")).unwrap()
}

/// `with_max_function_blocks` bounds what one function may cost the
/// compiler: past it, compiling fails with an error naming the function;
/// the interpreter runs it.
#[test]
fn function_size_is_limited_for_the_compiler() {
    for (engine, config) in engines::named() {
        let runtime = Runtime::with_config(config.with_max_function_blocks(100));
        let small = runtime.compile_module(&nested_blocks(100));
        assert!(small.is_ok(), "{engine}: 100 blocks fit");
        let large = runtime.compile_module(&nested_blocks(101));
        match runtime.engine_name() {
            "compiler" => {
                let err = large.expect_err("101 blocks do not fit");
                let text = err.to_string();
                assert!(matches!(err, wazero::Error::Compile(_)), "{text}");
                assert!(
                    text.contains("function[0]") && text.contains("more than 100 blocks"),
                    "{text}"
                );
            }
            _ => {
                let module = runtime.instantiate_module(&large.unwrap(), Default::default());
                let f = module.unwrap().exported_function("f").unwrap();
                assert_eq!(f.call(&[]).unwrap(), Vec::<u64>::new(), "{engine}");
            }
        }
    }
}

/// An interrupt requested while the compiler compiles stops it between
/// functions with `Error::CompileInterrupted`; one requested before does
/// nothing (a request never stops what starts later), so the next
/// compilation runs to its end.
#[test]
fn an_interrupt_stops_the_compiler() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    // Thousands of functions with loops: compiling takes a while natively.
    let mut wat = String::from("(module (func (export \"f\") (result i32) i32.const 7)");
    for i in 0..4000 {
        wat += &format!(
            "(func (param i32) (result i32) (local i32) (loop (local.set 1 (i32.add (local.get 1) (i32.const {i}))) (br_if 0 (local.get 0))) (local.get 1))"
        );
    }
    wat += ")";
    let wasm = wat::parse_str(&wat).unwrap();
    for (engine, config) in engines::named() {
        let runtime = Runtime::with_config(config);
        // Before: nothing runs, nothing is stopped.
        runtime.interrupt_handle().interrupt();
        let first = runtime.compile_module(&wasm);
        assert!(
            first.is_ok(),
            "{engine}: a request made before compiling stopped it"
        );
        if runtime.engine_name() != "compiler" {
            // The interpreter translates each function on its first call:
            // compiling has little to stop.
            continue;
        }
        // A fresh runtime (no cache of the first compilation): requests
        // while it compiles.
        let runtime = Runtime::with_config(wazero::RuntimeConfig::compiler());
        let done = Arc::new(AtomicBool::new(false));
        let handle = runtime.interrupt_handle();
        let stopper = {
            let done = done.clone();
            std::thread::spawn(move || {
                while !done.load(Ordering::Relaxed) {
                    handle.interrupt();
                    std::thread::sleep(std::time::Duration::from_millis(2));
                }
            })
        };
        let compiled = runtime.compile_module(&wasm);
        done.store(true, Ordering::Relaxed);
        stopper.join().unwrap();
        let err = compiled.expect_err("interrupted");
        assert!(matches!(err, wazero::Error::CompileInterrupted), "{err}");
        assert!(err.is_interrupted());
        // Nothing lingers: the next compilation and call run.
        let module = runtime.instantiate(&wasm).unwrap();
        let f = module.exported_function("f").unwrap();
        assert_eq!(f.call(&[]).unwrap(), vec![7], "{engine}");
    }
}

/// A function that pushes `n` values of `ty` (each a distinct constant) and
/// drops all but the first.
fn deep_operand_stack(n: usize, ty: &str) -> Vec<u8> {
    let mut body = String::new();
    for i in 0..n {
        match ty {
            "v128" => body += &format!("(v128.const i64x2 {i} 0)"),
            _ => body += &format!("({ty}.const {i})"),
        }
    }
    body += &"(drop)".repeat(n - 1);
    let wat = format!("(module (func (export \"f\") (result {ty}) {body}))");
    wat::parse_str(wat).unwrap()
}

/// The engines agree on the largest function they accept: a frame of up to
/// 65,535 slots (locals, twice the deepest operand stack, 2,048 for
/// constants) compiles and runs on both; one operand more is refused by
/// both when the module is compiled.
#[test]
fn engines_agree_on_the_largest_frame() {
    let deepest = (65_535 - 2048) / 2;
    for ty in ["i32", "v128"] {
        let fits = deep_operand_stack(deepest, ty);
        let too_deep = deep_operand_stack(deepest + 1, ty);
        for (engine, config) in engines::named() {
            let runtime = Runtime::with_config(config);
            let module = runtime
                .instantiate(&fits)
                .unwrap_or_else(|e| panic!("{engine} {ty}: {e}"));
            let out = module.exported_function("f").unwrap().call(&[]).unwrap();
            assert_eq!(out[0], 0, "{engine} {ty}: the first constant");
            let err = runtime.compile_module(&too_deep).err();
            let text = err.map(|e| e.to_string()).unwrap_or_default();
            assert!(
                text.contains("function[0]") && text.contains("function too large"),
                "{engine} {ty}: {text}"
            );
        }
    }
}
