//! Exception handling (WebAssembly 3.0, and the legacy instructions) on
//! every engine, through the public API: exceptions thrown and caught
//! through several frames and across modules, payloads of every type,
//! exceptions that leave the guest, host-defined tags and host functions
//! that throw, traps that no handler catches, and the store's bound on the
//! exceptions the guest keeps.

use wazero::{Error, Exception, Runtime, RuntimeConfig, TrapCode, ValueType};

mod engines;

/// Calls `module`'s export `name` with `params`.
fn call(module: &wazero::Module, name: &str, params: &[u64]) -> Result<Vec<u64>, Error> {
    module.exported_function(name).unwrap().call(params)
}

/// The exception a call ended with, or a panic naming what it ended with.
fn escaped(result: Result<Vec<u64>, Error>) -> Exception {
    match result {
        Err(Error::Exception(e)) => e,
        other => panic!("expected an exception, got {other:?}"),
    }
}

const THROWER: &str = r#"(module
    (tag $values (export "values_tag") (param i32 i64 f32 f64 v128 funcref externref))
    (tag $code (export "code") (param i32))
    (func $deep (param $n i32)
        ;; Throws `code` from `n` frames down.
        (if (i32.eqz (local.get $n))
            (then (throw $code (i32.const 77))))
        (call $deep (i32.sub (local.get $n) (i32.const 1))))
    (func (export "deep") (param i32) (call $deep (local.get 0)))
    (elem declare func $deep)
    (func (export "values") (param externref)
        (throw $values
            (i32.const -1) (i64.const 0x1122334455667788) (f32.const 1.5) (f64.const -2.25)
            (v128.const i64x2 0x0102030405060708 0x1112131415161718)
            (ref.func $deep) (local.get 0))))"#;

const CATCHER: &str = r#"(module
    (tag $values (import "thrower" "values_tag") (param i32 i64 f32 f64 v128 funcref externref))
    (tag $code (import "thrower" "code") (param i32))
    (tag $own (param i32))
    (func $deep (import "thrower" "deep") (param i32))
    (func $values (import "thrower" "values") (param externref))
    ;; Catches `code` thrown `n` frames down in the other module, through a
    ;; frame of its own that does not catch.
    (func $middle (param i32) (call $deep (local.get 0)))
    (func (export "catch_deep") (param i32) (result i32)
        (block $h (result i32)
            (try_table (catch $code $h) (call $middle (local.get 0)))
            (i32.const -1)))
    ;; Every payload value arrives.
    (func (export "catch_values") (param externref)
        (result i32 i64 f32 f64 v128 externref)
        (local $f funcref) (local $x externref)
        (block $h (result i32 i64 f32 f64 v128 funcref externref)
            (try_table (catch $values $h) (call $values (local.get 0)))
            (unreachable))
        (local.set $x)
        (local.set $f)
        (if (ref.is_null (local.get $f)) (then (unreachable)))
        (local.get $x))
    ;; The first matching clause wins; `catch_all` after a tag that does not
    ;; match.
    (func (export "clauses") (param i32) (result i32)
        (block $all
            (block $own_h (result i32)
                (try_table (catch $own $own_h) (catch_all $all)
                    (if (local.get 0)
                        (then (throw $own (i32.const 5)))
                        (else (call $deep (i32.const 3)))))
                (unreachable))
            (return))
        (i32.const 100))
    ;; catch_ref keeps the exception; throw_ref throws it again, outward.
    (func (export "rethrow") (param i32) (result i32)
        (block $outer (result i32)
            (try_table (catch $code $outer)
                (block $h (result i32 exnref)
                    (try_table (catch_ref $code $h) (call $deep (local.get 0)))
                    (unreachable))
                (throw_ref))
            (unreachable)))
    ;; Legacy try/catch/rethrow/delegate.
    (func (export "legacy") (param i32) (result i32)
        try (result i32)
            try (result i32)
                try (result i32)
                    (call $deep (local.get 0))
                    (i32.const -1)
                delegate 1
            catch $code
                (drop)
                (i32.const -2)
            end
        catch $code
            (i32.const 1000)
            (i32.add)
        end)
    (func (export "legacy_rethrow") (result i32)
        try (result i32)
            try (result i32)
                (throw $own (i32.const 9))
            catch_all
                rethrow 0
            end
        catch $own
        end)
    ;; No handler catches a trap.
    (func (export "trap") (result i32)
        (block $h
            (try_table (catch_all $h) (unreachable)))
        (i32.const 1))
    ;; Throws in a loop: each exception is caught without a reference (and
    ;; freed), or with one (and kept by the store).
    (func (export "loop") (param $n i32) (param $keep i32) (result i32)
        (local $caught i32)
        (loop $again
            (block $h (result i32)
                (block $href (result exnref)
                    (try_table (catch $own $h) (catch_all_ref $href)
                        (if (local.get $keep)
                            (then (throw $code (i32.const 0)))
                            (else (throw $own (i32.const 0)))))
                    (unreachable))
                (drop)
                (i32.const 0))
            (drop)
            (local.set $caught (i32.add (local.get $caught) (i32.const 1)))
            (br_if $again (i32.lt_u (local.get $caught) (local.get $n))))
        (local.get $caught)))"#;

fn instantiate_pair(config: RuntimeConfig) -> (Runtime, wazero::Module, wazero::Module) {
    let runtime = Runtime::with_config(config);
    let thrower = runtime
        .instantiate_module(
            &runtime
                .compile_module(&wat::parse_str(THROWER).unwrap())
                .unwrap(),
            wazero::ModuleConfig::new().with_name("thrower"),
        )
        .unwrap();
    let catcher = runtime
        .instantiate(&wat::parse_str(CATCHER).unwrap())
        .unwrap();
    (runtime, thrower, catcher)
}

/// Exceptions thrown in one module and caught in another, through frames of
/// both that do not catch, with the payload intact and the right clause
/// chosen; `throw_ref` and the legacy instructions pass exceptions on.
#[test]
fn exceptions_are_caught_across_frames_and_modules() {
    for (name, config) in engines::named() {
        let (_runtime, thrower, catcher) = instantiate_pair(config);
        for depth in [0, 1, 5, 200] {
            assert_eq!(
                call(&catcher, "catch_deep", &[depth]).unwrap(),
                [77],
                "{name}"
            );
        }
        let host_ref = 0xfeed_u64;
        let values = call(&catcher, "catch_values", &[host_ref]).unwrap();
        assert_eq!(
            values,
            [
                0xffff_ffff,
                0x1122_3344_5566_7788,
                u64::from(1.5f32.to_bits()),
                (-2.25f64).to_bits(),
                0x0102_0304_0506_0708,
                0x1112_1314_1516_1718,
                host_ref,
            ],
            "{name}"
        );
        assert_eq!(call(&catcher, "clauses", &[1]).unwrap(), [5], "{name}");
        assert_eq!(call(&catcher, "clauses", &[0]).unwrap(), [100], "{name}");
        assert_eq!(call(&catcher, "rethrow", &[3]).unwrap(), [77], "{name}");
        // `delegate 1` skips the middle `try`: the outer clause adds 1000.
        assert_eq!(call(&catcher, "legacy", &[2]).unwrap(), [1077], "{name}");
        assert_eq!(
            call(&catcher, "legacy_rethrow", &[]).unwrap(),
            [9],
            "{name}"
        );

        // Uncaught, it reaches the host with its tag and payload.
        let e = escaped(call(&thrower, "deep", &[4]));
        assert!(e.is_of(&thrower.exported_tag("code").unwrap()), "{name}");
        assert!(
            !e.is_of(&thrower.exported_tag("values_tag").unwrap()),
            "{name}"
        );
        assert_eq!((e.payload(), e.types()), (&[77][..], &[ValueType::I32][..]));
        assert!(e.tag_name().ends_with("code"), "{name}: {}", e.tag_name());
        assert!(
            e.to_string().contains("uncaught wasm exception of tag"),
            "{name}: {e}"
        );
    }
}

/// A trap is never an exception: `catch_all` does not stop it.
#[test]
fn traps_are_not_caught() {
    for (name, config) in engines::named() {
        let (_runtime, _, catcher) = instantiate_pair(config);
        let err = call(&catcher, "trap", &[]).unwrap_err();
        assert_eq!(
            err.trap_code(),
            Some(TrapCode::Unreachable),
            "{name}: {err}"
        );
    }
}

/// Exceptions caught without a reference are freed: a million of them fit
/// in a store that holds 1,000. Those the guest keeps as `exnref` values
/// count against the bound, which ends the call with a trap.
#[test]
fn the_store_bounds_the_exceptions_the_guest_keeps() {
    for (name, config) in engines::named() {
        let (_runtime, _, catcher) = instantiate_pair(config.with_max_exceptions(1000));
        assert_eq!(
            call(&catcher, "loop", &[1_000_000, 0]).unwrap(),
            [1_000_000],
            "{name}"
        );
        let err = call(&catcher, "loop", &[2000, 1]).unwrap_err();
        assert_eq!(
            err.trap_code(),
            Some(TrapCode::TooManyExceptions),
            "{name}: {err}"
        );
    }
}

/// A host module defines a tag; a host function throws it; the guest
/// catches it with its payload, or lets it escape to the host, which
/// recognizes the tag. A payload of the wrong shape is refused.
#[test]
fn host_functions_throw_host_defined_tags() {
    for (name, config) in engines::named() {
        let runtime = Runtime::with_config(config);
        let env = runtime
            .new_host_module_builder("env")
            .export_tag("failed", &[ValueType::I32, ValueType::F64])
            .instantiate()
            .unwrap();
        let failed = env.exported_tag("failed").unwrap();
        assert_eq!(failed.params(), [ValueType::I32, ValueType::F64]);
        let thrower = failed.clone();
        runtime
            .new_host_module_builder("host")
            .new_function_builder()
            .with_func(move |code: i32| -> Result<i32, Error> {
                if code < 0 {
                    Err(Exception::new(&thrower, &[code as u32 as u64, 0.5f64.to_bits()])?.into())
                } else {
                    Ok(code * 2)
                }
            })
            .export("check")
            .instantiate()
            .unwrap();
        let guest = runtime
            .instantiate(
                &wat::parse_str(
                    r#"(module
                (tag $failed (import "env" "failed") (param i32 f64))
                (import "host" "check" (func $check (param i32) (result i32)))
                (func (export "guarded") (param i32) (result i32)
                    (block $h (result i32 f64)
                        (try_table (catch $failed $h)
                            (return (call $check (local.get 0))))
                        (unreachable))
                    (drop))
                (func (export "unguarded") (param i32) (result i32)
                    (call $check (local.get 0)))
                ;; A tail call of the host function: its exception goes to
                ;; this function's caller, past this frame's handlers.
                (func $tail (export "tail") (param i32) (result i32)
                    (block $never (result i32 f64)
                        (try_table (catch $failed $never)
                            (return_call $check (local.get 0)))
                        (unreachable))
                    (unreachable))
                (func (export "guarded_tail") (param i32) (result i32)
                    (block $h (result i32 f64)
                        (try_table (catch $failed $h)
                            (return (call $tail (local.get 0))))
                        (unreachable))
                    (drop)))"#,
                )
                .unwrap(),
            )
            .unwrap();
        assert_eq!(call(&guest, "guarded", &[21]).unwrap(), [42], "{name}");
        assert_eq!(
            call(&guest, "guarded", &[-3i32 as u32 as u64]).unwrap(),
            [-3i32 as u32 as u64],
            "{name}"
        );
        assert_eq!(call(&guest, "tail", &[4]).unwrap(), [8], "{name}");
        assert_eq!(
            call(&guest, "guarded_tail", &[-5i32 as u32 as u64]).unwrap(),
            [-5i32 as u32 as u64],
            "{name}"
        );
        let e = escaped(call(&guest, "tail", &[-6i32 as u32 as u64]));
        assert!(e.is_of(&failed), "{name}: {e}");
        let e = escaped(call(&guest, "unguarded", &[-4i32 as u32 as u64]));
        assert!(e.is_of(&failed), "{name}: {e}");
        assert_eq!(e.payload(), [-4i32 as u32 as u64, 0.5f64.to_bits()]);
        assert!(Exception::new(&failed, &[1]).is_err(), "{name}");
    }
}
