//! Typed host functions: closures over Rust numbers, without reflection.
//!
//! [`HostFunction`] is implemented for closures and `fn` items taking 0 to 16
//! [`WasmTy`] parameters, optionally after a leading `&mut Caller`, and returning
//! [`HostResults`] (nothing, a value, a tuple, or a `Result` of those). The
//! signature is derived from the Rust types at compile time; a call reads the
//! parameters from the `u64` stack, calls the closure and writes the results back,
//! with no allocation and no type checks at run time.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use wazero_api::{ExitCode, FuncType, HostResults, WasmTy, WasmTyList};
use wazero_store::{CallError, HostError, HostFunc, HostResult};

use crate::Caller;

/// A Rust function usable as a typed host function. `Marker` only tells the
/// implementations apart (with or without a [`Caller`], and the parameter list);
/// callers never name it.
pub trait HostFunction<Marker>: Send + Sync + 'static {
    /// The WebAssembly signature.
    fn func_type() -> FuncType;
    /// The function in the raw form the store calls.
    fn into_host_func(self) -> HostFunc;
}

/// Marker: a host function without a [`Caller`] parameter.
pub struct NoCaller<Params, Results>(std::marker::PhantomData<fn(Params) -> Results>);

/// Marker: a host function whose first parameter is `&mut Caller`.
pub struct WithCaller<Params, Results>(std::marker::PhantomData<fn(Params) -> Results>);

/// Turns the outcome of a host function's body into the store's terms: its
/// results written to `stack`, an exit, or a failure (a panic included).
#[inline]
pub(crate) fn finish<R: HostResults>(
    outcome: std::thread::Result<R>,
    stack: &mut [u64],
) -> HostResult {
    match outcome {
        Ok(results) => match results.into_results() {
            Ok(values) => {
                values.store(stack);
                Ok(())
            }
            Err(error) => Err(Box::new(host_error(error))),
        },
        Err(panic) => Err(Box::new(HostError::Failed(panic_message(panic).into()))),
    }
}

/// What the store should make of a host function's error: an [`ExitCode`] closes
/// the calling module, a failed call back into the guest passes on unchanged
/// (with `?`, a trap stays a trap), anything else fails the call.
pub(crate) fn host_error(error: Box<dyn std::error::Error + Send + Sync>) -> HostError {
    let error = match error.downcast::<ExitCode>() {
        Ok(exit) => return HostError::Exit(exit.0),
        Err(error) => error,
    };
    match error.downcast::<CallError>() {
        Ok(call) => HostError::Call(*call),
        Err(error) => HostError::Failed(error),
    }
}

/// The message of a panic payload.
pub(crate) fn panic_message(panic: Box<dyn Any + Send>) -> String {
    let text = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(non-string payload)".to_string());
    format!("panicked: {text}")
}

macro_rules! host_function {
    ($($p:ident)*) => {
        #[allow(non_snake_case, unused_mut, unused_variables, unused_assignments)]
        impl<F, R, $($p: WasmTy,)*> HostFunction<NoCaller<($($p,)*), R>> for F
        where
            F: Fn($($p),*) -> R + Send + Sync + 'static,
            R: HostResults,
        {
            fn func_type() -> FuncType {
                FuncType::new([$($p::TYPE),*], R::Values::types())
            }

            fn into_host_func(self) -> HostFunc {
                Arc::new(move |_caller: &mut wazero_store::Caller<'_>, stack: &mut [u64]| {
                    let mut at = 0;
                    $(
                        let $p = $p::load(&stack[at..]);
                        at += $p::TYPE.slots();
                    )*
                    finish(catch_unwind(AssertUnwindSafe(|| self($($p),*))), stack)
                })
            }
        }

        #[allow(non_snake_case, unused_mut, unused_variables, unused_assignments)]
        impl<F, R, $($p: WasmTy,)*> HostFunction<WithCaller<($($p,)*), R>> for F
        where
            F: for<'c, 's> Fn(&'c mut Caller<'s>, $($p),*) -> R + Send + Sync + 'static,
            R: HostResults,
        {
            fn func_type() -> FuncType {
                FuncType::new([$($p::TYPE),*], R::Values::types())
            }

            fn into_host_func(self) -> HostFunc {
                Arc::new(move |caller: &mut wazero_store::Caller<'_>, stack: &mut [u64]| {
                    let mut at = 0;
                    $(
                        let $p = $p::load(&stack[at..]);
                        at += $p::TYPE.slots();
                    )*
                    let mut caller = Caller::new(&mut *caller.store, caller.instance);
                    finish(catch_unwind(AssertUnwindSafe(|| self(&mut caller, $($p),*))), stack)
                })
            }
        }
    };
}

host_function!();
host_function!(A1);
host_function!(A1 A2);
host_function!(A1 A2 A3);
host_function!(A1 A2 A3 A4);
host_function!(A1 A2 A3 A4 A5);
host_function!(A1 A2 A3 A4 A5 A6);
host_function!(A1 A2 A3 A4 A5 A6 A7);
host_function!(A1 A2 A3 A4 A5 A6 A7 A8);
host_function!(A1 A2 A3 A4 A5 A6 A7 A8 A9);
host_function!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10);
host_function!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11);
host_function!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12);
host_function!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13);
host_function!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14);
host_function!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15);
host_function!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10 A11 A12 A13 A14 A15 A16);
