//! `HostModuleBuilder` and `HostFunctionBuilder` of the facade: thin wrappers of
//! `wazero-host`'s builders bound to a [`Namespace`], so that their methods,
//! with the facade's own types in their signatures, are documented here.

use crate::{CompiledModule, HostFunction, Module, Namespace, Result, ValueType};

/// Builds a host module: functions written in Rust that guests import (wazero's
/// `HostModuleBuilder`). Make one with [`Runtime::new_host_module_builder`] or
/// [`Namespace::new_host_module_builder`], define each function with
/// [`new_function_builder`](Self::new_function_builder) …
/// [`export`](HostFunctionBuilder::export), then
/// [`instantiate`](Self::instantiate) it (or [`compile`](Self::compile) it to
/// instantiate later, any number of times).
///
/// Functions are exported in the order they are defined, so a listing of the
/// module's exports is stable. Mistakes in the definitions (a function without
/// a body, an export name used twice, a wrong count of parameter names) are
/// reported by `instantiate` and `compile` as [`Error::HostDefinition`](crate::Error::HostDefinition).
///
/// ```
/// use wazero::{Caller, Runtime};
/// let runtime = Runtime::new();
/// runtime
///     .new_host_module_builder("env")
///     .new_function_builder()
///     .with_func(|a: i32, b: i32| a + b)
///     .export("add")
///     .new_function_builder()
///     .with_func(|caller: &mut Caller<'_>| caller.module_name().len() as u32)
///     .export("name_len")
///     .instantiate()?;
/// let guest = runtime.instantiate(&wat::parse_str(r#"(module
///     (import "env" "add" (func $add (param i32 i32) (result i32)))
///     (import "env" "name_len" (func $name_len (result i32)))
///     (func (export "run") (result i32)
///       (call $add (i32.const 40) (call $name_len))))"#)?)?;
/// // An anonymous guest's name is "", so name_len() is 0.
/// assert_eq!(guest.exported_function("run").unwrap().call(&[])?, vec![40]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// [`Runtime::new_host_module_builder`]: crate::Runtime::new_host_module_builder
#[must_use = "a host module builder does nothing until `instantiate` or `compile`"]
pub struct HostModuleBuilder(pub(crate) wazero_host::HostModuleBuilder<Namespace>);

impl HostModuleBuilder {
    /// A builder for module `name` in `namespace`.
    pub(crate) fn new(namespace: Namespace, name: &str) -> Self {
        Self(wazero_host::HostModuleBuilder::new(namespace, name))
    }

    /// Starts defining a function; finish it with
    /// [`HostFunctionBuilder::export`], which returns this builder.
    pub fn new_function_builder(self) -> HostFunctionBuilder {
        HostFunctionBuilder(self.0.new_function_builder())
    }

    /// Exports a tag (exception handling) named `name` whose exceptions carry
    /// values of `params`. Guests import it to throw and catch its
    /// exceptions; host functions throw them with [`Exception::new`], and
    /// [`Exception::is_of`] tells an escaped one's tag.
    ///
    /// ```
    /// use wazero::{Error, Exception, Runtime, ValueType};
    /// let runtime = Runtime::new();
    /// let env = runtime
    ///     .new_host_module_builder("env")
    ///     .export_tag("oops", &[ValueType::I32])
    ///     .instantiate()?;
    /// let oops = env.exported_tag("oops").unwrap();
    /// let thrower = oops.clone();
    /// runtime
    ///     .new_host_module_builder("host")
    ///     .new_function_builder()
    ///     .with_func(move |code: i32| -> Result<(), Error> {
    ///         Err(Exception::new(&thrower, &[code as u64])?.into())
    ///     })
    ///     .export("fail")
    ///     .instantiate()?;
    /// let guest = runtime.instantiate(&wat::parse_str(r#"(module
    ///     (tag $oops (import "env" "oops") (param i32))
    ///     (import "host" "fail" (func $fail (param i32)))
    ///     (func (export "run") (param i32) (result i32)
    ///       (block $caught (result i32)
    ///         (try_table (catch $oops $caught) (call $fail (local.get 0)))
    ///         (i32.const -1))))"#)?)?;
    /// // The guest catches what the host threw, payload and all.
    /// assert_eq!(guest.exported_function("run").unwrap().call(&[7])?, vec![7]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// [`Exception::new`]: crate::Exception::new
    /// [`Exception::is_of`]: crate::Exception::is_of
    pub fn export_tag(self, name: &str, params: &[wazero_api::ValueType]) -> Self {
        Self(self.0.export_tag(name, params))
    }

    /// Checks the definitions and instantiates the module under its name, so
    /// that guests instantiated after it can import its functions.
    ///
    /// ```
    /// let runtime = wazero::Runtime::new();
    /// let env = runtime
    ///     .new_host_module_builder("env")
    ///     .new_function_builder()
    ///     .with_func(|| 7i64)
    ///     .export("seven")
    ///     .instantiate()?;
    /// assert_eq!(env.name(), "env");
    /// assert_eq!(env.exported_function("seven").unwrap().call(&[])?, vec![7]);
    /// # Ok::<(), wazero::Error>(())
    /// ```
    pub fn instantiate(self) -> Result<Module> {
        self.0.instantiate()
    }

    /// Checks the definitions and keeps them as a [`CompiledModule`] that can be
    /// instantiated many times, under different names or in other namespaces.
    ///
    /// ```
    /// use wazero::{ModuleConfig, Runtime};
    /// let runtime = Runtime::new();
    /// let compiled = runtime
    ///     .new_host_module_builder("clock")
    ///     .new_function_builder()
    ///     .with_func(|| 1_700_000_000u64)
    ///     .export("now")
    ///     .compile()?;
    /// runtime.instantiate_module(&compiled, ModuleConfig::new().with_name("clock"))?;
    /// runtime.new_namespace().instantiate_module(&compiled, ModuleConfig::new().with_name("clock"))?;
    /// # Ok::<(), wazero::Error>(())
    /// ```
    pub fn compile(self) -> Result<CompiledModule> {
        self.0.compile()
    }
}

/// Defines one function of a host module (wazero's `HostFunctionBuilder`): give
/// it a body with [`with_func`](Self::with_func) (or a raw form), optionally
/// names, then [`export`](Self::export) it.
///
/// ```
/// use wazero::{Error, ExitCode, Runtime};
/// let runtime = Runtime::new();
/// runtime
///     .new_host_module_builder("env")
///     .new_function_builder()
///     .with_func(|x: u32| -> Result<u32, ExitCode> {
///         if x == 0 { Err(ExitCode(3)) } else { Ok(100 / x) }
///     })
///     .with_parameter_names(&["x"])
///     .export("hundredth")
///     .instantiate()?;
/// let guest = runtime.instantiate(&wat::parse_str(r#"(module
///     (import "env" "hundredth" (func $h (param i32) (result i32)))
///     (func (export "run") (param i32) (result i32) (call $h (local.get 0))))"#)?)?;
/// let run = guest.exported_function("run").unwrap().typed::<u32, u32>()?;
/// assert_eq!(run.call(4)?, 25);
/// // `Err(ExitCode(3))` closes the calling guest; the call reports the code.
/// let err: Error = run.call(0).unwrap_err();
/// assert_eq!(err.exit_code(), Some(3));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "a function is only defined once it is exported"]
pub struct HostFunctionBuilder(wazero_host::HostFunctionBuilder<Namespace>);

impl HostFunctionBuilder {
    /// The function as a typed Rust closure or `fn`: parameters and results are
    /// `i32`, `u32`, `i64`, `u64`, `f32`, `f64` or `u128` (`v128`), with an
    /// optional leading `&mut` [`Caller`](crate::Caller) (the calling module: its
    /// memory, exported functions and data); it may return `()`, a value, a
    /// tuple, or a `Result` of those (an `Err` fails the guest call;
    /// `Err(ExitCode(n))` closes the calling module with exit code `n`). A panic
    /// fails the guest call too, instead of unwinding through the engine.
    ///
    /// The WebAssembly signature is derived from the Rust types; see
    /// [`HostFunction`].
    ///
    /// ```
    /// use wazero::Caller;
    /// let runtime = wazero::Runtime::new();
    /// runtime
    ///     .new_host_module_builder("env")
    ///     .new_function_builder()
    ///     .with_func(|a: f64, b: f64| -> (f64, f64) { (a.min(b), a.max(b)) })
    ///     .export("minmax")
    ///     .new_function_builder()
    ///     .with_func(|caller: &mut Caller<'_>, ptr: u32| -> u32 {
    ///         caller.memory().and_then(|m| m.read_u32_le(ptr).ok()).unwrap_or(0)
    ///     })
    ///     .export("load")
    ///     .instantiate()?;
    /// # Ok::<(), wazero::Error>(())
    /// ```
    pub fn with_func<M, F: HostFunction<M>>(self, f: F) -> Self {
        Self(self.0.with_func(f))
    }

    /// The raw form (wazero's `WithGoFunction`): the closure reads its
    /// parameters from `stack` (in `u64` slots, see [`crate::api`]) and writes
    /// its results back from index 0; the stack is as long as the larger of the
    /// two.
    ///
    /// ```
    /// use wazero::{Runtime, ValueType};
    /// let runtime = Runtime::new();
    /// let env = runtime
    ///     .new_host_module_builder("env")
    ///     .new_function_builder()
    ///     .with_stack_func(&[ValueType::I64, ValueType::I64], &[ValueType::I64], |stack| {
    ///         stack[0] = stack[0].wrapping_mul(stack[1]);
    ///     })
    ///     .export("mul")
    ///     .instantiate()?;
    /// assert_eq!(env.exported_function("mul").unwrap().call(&[6, 7])?, vec![42]);
    /// # Ok::<(), wazero::Error>(())
    /// ```
    pub fn with_stack_func(
        self,
        params: &[ValueType],
        results: &[ValueType],
        f: impl Fn(&mut [u64]) + Send + Sync + 'static,
    ) -> Self {
        Self(self.0.with_stack_func(params, results, f))
    }

    /// The raw form with the calling module (wazero's `WithGoModuleFunction`).
    ///
    /// ```
    /// use wazero::{Caller, Runtime, ValueType};
    /// let runtime = Runtime::new();
    /// runtime
    ///     .new_host_module_builder("env")
    ///     .new_function_builder()
    ///     .with_caller_stack_func(&[], &[ValueType::I32], |caller: &mut Caller<'_>, stack| {
    ///         stack[0] = caller.memory().map_or(0, |m| m.size() / 65536);
    ///     })
    ///     .export("pages")
    ///     .instantiate()?;
    /// # Ok::<(), wazero::Error>(())
    /// ```
    pub fn with_caller_stack_func(
        self,
        params: &[ValueType],
        results: &[ValueType],
        f: impl Fn(&mut crate::Caller<'_>, &mut [u64]) + Send + Sync + 'static,
    ) -> Self {
        Self(self.0.with_caller_stack_func(params, results, f))
    }

    /// Its name in definitions and backtraces (default: the export name).
    ///
    /// ```
    /// let runtime = wazero::Runtime::new();
    /// let env = runtime
    ///     .new_host_module_builder("env")
    ///     .new_function_builder()
    ///     .with_func(|x: i32| x)
    ///     .with_name("identity")
    ///     .with_parameter_names(&["x"])
    ///     .with_result_names(&["same"])
    ///     .export("id")
    ///     .instantiate()?;
    /// let definition = env.exported_function("id").unwrap().definition();
    /// assert_eq!(definition.name, "identity");
    /// assert_eq!(definition.param_names, ["x"]);
    /// # Ok::<(), wazero::Error>(())
    /// ```
    pub fn with_name(self, name: &str) -> Self {
        Self(self.0.with_name(name))
    }

    /// Names of its parameters, in order (none, or one per parameter).
    pub fn with_parameter_names(self, names: &[&str]) -> Self {
        Self(self.0.with_parameter_names(names))
    }

    /// Names of its results, in order (none, or one per result).
    pub fn with_result_names(self, names: &[&str]) -> Self {
        Self(self.0.with_result_names(names))
    }

    /// Exports the function under `name` and returns to the module builder. A
    /// missing body, a duplicate export name or a wrong count of parameter or
    /// result names is reported by [`HostModuleBuilder::compile`] /
    /// [`HostModuleBuilder::instantiate`].
    pub fn export(self, name: &str) -> HostModuleBuilder {
        HostModuleBuilder(self.0.export(name))
    }
}
