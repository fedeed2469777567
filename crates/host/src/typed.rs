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
use wazero_store::{
    resize_epoch, CallError, DirectHostCode, DirectHostFn, HostCallCx, HostError, HostFunc,
    HostResult,
};

use crate::Caller;

/// A Rust function usable as a typed host function. `Marker` only tells the
/// implementations apart (with or without a [`Caller`], and the parameter list);
/// callers never name it.
pub trait HostFunction<Marker>: Send + Sync + 'static {
    /// The WebAssembly signature.
    fn func_type() -> FuncType;
    /// The function in the raw form the store calls, and its direct entry for
    /// compiled code when its type fits ([`DirectHostFn::fits`]).
    fn into_host_funcs(self) -> (HostFunc, Option<DirectHostFn>);
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

/// The body of every direct entry (see [`wazero_store::DirectHostFn`]): runs
/// `body` with the calling module lent as a [`Caller`], catching a panic, and
/// returns the result's encoding, or 0 with the failure left in `cx`; sets
/// `cx.status` when the call failed or resized a memory or table.
///
/// # Safety
/// `cx` is the live context the entry was called with, whose store is lent to
/// the host for the call (compiled code is suspended in it).
#[inline(always)]
pub(crate) unsafe fn direct_call<R: HostResults>(
    cx: *mut HostCallCx,
    body: impl FnOnce(&mut Caller<'_>) -> R,
) -> u64 {
    // SAFETY: see the function's contract.
    let (store, instance) = unsafe { (&mut *(*cx).store, (*cx).instance) };
    let epoch = resize_epoch();
    let mut caller = Caller::new(store, instance);
    let outcome = catch_unwind(AssertUnwindSafe(|| body(&mut caller)));
    let failure = match outcome {
        Ok(results) => match results.into_results() {
            Ok(values) => {
                let mut out = [0u64; 2];
                // Direct entries exist only for at most one one-slot result.
                if <R::Values as WasmTyList>::SLOTS <= out.len() {
                    values.store(&mut out);
                }
                if resize_epoch() != epoch {
                    // SAFETY: see the function's contract.
                    unsafe { (*cx).status = 1 };
                }
                return out[0];
            }
            Err(error) => host_error(error),
        },
        Err(panic) => HostError::Failed(panic_message(panic).into()),
    };
    // SAFETY: forwarded.
    unsafe { direct_failed(cx, failure) }
}

/// Leaves `error` in the context of a direct call; returns the (ignored) result.
///
/// # Safety
/// `cx` is the live context the entry was called with.
#[cold]
#[inline(never)]
pub(crate) unsafe fn direct_failed(cx: *mut HostCallCx, error: HostError) -> u64 {
    // SAFETY: see the function's contract; compiled code is suspended in the
    // call and the engine reads the context only after it returns.
    unsafe {
        (*cx).failure = Some(Box::new(error));
        (*cx).status = 1;
    }
    0
}

/// Defines `$entry`, the direct entry of typed host functions of one arity (at
/// most [`wazero_store::DIRECT_PARAMS`]); those without a caller are wrapped in
/// a closure that ignores it.
macro_rules! direct_entries {
    ($entry:ident; $($p:ident)*) => {
        /// The direct entry of a typed host function of this arity.
        ///
        /// # Safety
        /// `data` points at an `F`; `cx` is as for [`direct_call`]; the
        /// arguments are the parameters' encodings.
        #[allow(non_snake_case, unused_mut, unused_variables, unused_assignments)]
        unsafe extern "C" fn $entry<F, R, $($p: WasmTy,)*>(
            data: *const (),
            cx: *mut HostCallCx,
            a0: u64,
            a1: u64,
            a2: u64,
            a3: u64,
        ) -> u64
        where
            F: for<'c, 's> Fn(&'c mut Caller<'s>, $($p),*) -> R,
            R: HostResults,
        {
            // Padded: a parameter reads at most two slots from index 3 or below.
            let args = [a0, a1, a2, a3, 0];
            // SAFETY: see the function's contract.
            let f = unsafe { &*data.cast::<F>() };
            let mut at = 0;
            $(
                let $p = $p::load(&args[at..]);
                at += 1;
            )*
            // SAFETY: forwarded.
            unsafe { direct_call(cx, |caller| f(caller, $($p),*)) }
        }
    };
}

direct_entries!(direct0;);
direct_entries!(direct1; A1);
direct_entries!(direct2; A1 A2);
direct_entries!(direct3; A1 A2 A3);
direct_entries!(direct4; A1 A2 A3 A4);

/// The direct entry of `f`, if its type fits ([`DirectHostFn::fits`]).
fn direct<F: Send + Sync + 'static>(
    ty: &FuncType,
    f: Arc<F>,
    code: Option<DirectHostCode>,
) -> Option<DirectHostFn> {
    let code = code.filter(|_| DirectHostFn::fits(ty))?;
    Some(DirectHostFn { code, data: f })
}

macro_rules! host_function {
    ($($p:ident)*) => {
        host_function!(@impl [$($p)*] [None]);
    };
    ($($p:ident)*; $entry:ident) => {
        host_function!(@impl [$($p)*] [Some($entry::<F, R, $($p),*>)]);
    };
    (@impl [$($p:ident)*] [$code:expr]) => {
        #[allow(non_snake_case, unused_mut, unused_variables, unused_assignments)]
        impl<F, R, $($p: WasmTy,)*> HostFunction<NoCaller<($($p,)*), R>> for F
        where
            F: Fn($($p),*) -> R + Send + Sync + 'static,
            R: HostResults,
        {
            fn func_type() -> FuncType {
                FuncType::new([$($p::TYPE),*], R::Values::types())
            }

            fn into_host_funcs(self) -> (HostFunc, Option<DirectHostFn>) {
                let with_caller = move |_: &mut Caller<'_>, $($p: $p),*| self($($p),*);
                HostFunction::<WithCaller<($($p,)*), R>>::into_host_funcs(with_caller)
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

            fn into_host_funcs(self) -> (HostFunc, Option<DirectHostFn>) {
                let f = Arc::new(self);
                let g = Arc::clone(&f);
                let func: HostFunc = Arc::new(move |caller: &mut wazero_store::Caller<'_>, stack: &mut [u64]| {
                    let mut at = 0;
                    $(
                        let $p = $p::load(&stack[at..]);
                        at += $p::TYPE.slots();
                    )*
                    // SAFETY: `Caller` lends only what keeps the store's
                    // layout: memory bytes and growth, data, and calls back in.
                    let (store, instance) = unsafe { caller.store_mut() };
                    let mut caller = Caller::new(store, instance);
                    finish(catch_unwind(AssertUnwindSafe(|| g(&mut caller, $($p),*))), stack)
                });
                let code: Option<DirectHostCode> = $code;
                (func, direct(&Self::func_type(), f, code))
            }
        }
    };
}

host_function!(; direct0);
host_function!(A1; direct1);
host_function!(A1 A2; direct2);
host_function!(A1 A2 A3; direct3);
host_function!(A1 A2 A3 A4; direct4);
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
