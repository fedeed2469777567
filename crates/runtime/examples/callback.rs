//! Calling back into the guest from a host function (host → guest → host), and
//! stopping the guest from the host with an exit code.
//!
//! The guest's `sum_squares(n)` calls the host's `env.for_each(n)`, which calls the
//! guest's exported `on_item(i)` for each `i` in `0..n` through the `Caller` and
//! sums the results. `on_item` answers -1 for item 7, and `for_each` treats that as
//! fatal: it returns `Err(ExitCode(2))`, which closes the guest, and the call from
//! Rust fails with `exit_code() == Some(2)`.
//!
//! Run it with `cargo run --example callback`.

use std::error::Error;

use wazero::api::{decode_i32, encode_u32};
use wazero::{Caller, ExitCode, Runtime};

/// Runs the example; the integration tests call it too.
pub fn main() -> Result<(), Box<dyn Error>> {
    let runtime = Runtime::new();
    runtime
        .new_host_module_builder("env")
        .new_function_builder()
        .with_func(
            |caller: &mut Caller<'_>, n: u32| -> Result<i32, Box<dyn Error + Send + Sync>> {
                let mut on_item = caller
                    .exported_function("on_item")
                    .ok_or("the guest does not export on_item")?;
                let mut sum = 0;
                for i in 0..n {
                    // Only the `Caller` can re-enter the guest: calling a `Function`
                    // handle from here fails with `Error::Reentrant`.
                    let item = decode_i32(on_item.call(&[encode_u32(i)])?[0]);
                    println!("host: on_item({i}) = {item}");
                    if item < 0 {
                        println!("host: item {i} is bad, exiting with code 2");
                        return Err(ExitCode(2).into());
                    }
                    sum += item;
                }
                Ok(sum)
            },
        )
        .export("for_each")
        .instantiate()?;

    let guest = runtime.instantiate(&wat::parse_str(
        r#"(module
    (import "env" "for_each" (func $for_each (param i32) (result i32)))
    (func (export "on_item") (param $i i32) (result i32)
      (if (result i32) (i32.eq (local.get $i) (i32.const 7))
        (then (i32.const -1))
        (else (i32.mul (local.get $i) (local.get $i)))))
    (func (export "sum_squares") (param $n i32) (result i32)
      (call $for_each (local.get $n))))"#,
    )?)?;
    let sum_squares = guest
        .exported_function("sum_squares")
        .unwrap()
        .typed::<u32, i32>()?;

    let sum = sum_squares.call(5)?;
    println!("sum_squares(5) = {sum}");

    let err = sum_squares.call(10).unwrap_err();
    println!("sum_squares(10) -> {err}");
    let again = sum_squares.call(1).unwrap_err();
    println!("after the exit, sum_squares(1) -> {again}");

    assert_eq!(sum, 1 + 4 + 9 + 16);
    assert_eq!(err.exit_code(), Some(2));
    assert!(guest.is_closed(), "exiting closes the calling module");
    assert_eq!(again.exit_code(), Some(2));
    Ok(())
}
