//! Runs the directives of one `.wast` file against a fresh runtime.
//!
//! Every directive counts once: it passes, fails (with a reason) or is skipped
//! (directives of proposals this runtime does not implement: threads,
//! stack switching, components, custom-section assertions). Each directive runs
//! under `catch_unwind`, so a panic in the runtime fails that directive only.
//! Progress is published through [`Progress`] after every directive, so a
//! watchdog on another thread can report a file that hangs.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use wast::parser::ParseBuffer;
use wast::token::{Id, Span};
use wast::{QuoteWat, Wast, WastDirective, WastExecute, WastInvoke, Wat};
use wazero::{CompiledModule, Error, Module, ModuleConfig, Runtime, RuntimeConfig, TrapCode};

use super::values::{self, Value};
use super::{host, panics, traps};

/// A directive that failed.
#[derive(Debug, Clone)]
pub struct Failure {
    /// Its line in the `.wast` file (1-based; 0 for the file as a whole).
    pub line: usize,
    /// The directive (`assert_return`, `module`, ...).
    pub kind: &'static str,
    /// What went wrong, on one line.
    pub reason: String,
}

/// What happened in one file.
#[derive(Debug, Clone, Default)]
pub struct FileReport {
    /// Directives that passed.
    pub passed: usize,
    /// Directives that were skipped.
    pub skipped: usize,
    /// Directives that failed, in file order.
    pub failures: Vec<Failure>,
}

/// The directive running now.
#[derive(Debug, Clone, Copy)]
pub struct Current {
    /// Its line.
    pub line: usize,
    /// Its kind.
    pub kind: &'static str,
    /// When it started.
    pub since: Instant,
}

/// A file's progress, shared between the thread running it and the watchdog.
#[derive(Debug, Default)]
pub struct Progress {
    state: Mutex<ProgressState>,
}

/// A snapshot of [`Progress`].
#[derive(Debug, Clone, Default)]
pub struct ProgressState {
    /// The results so far.
    pub report: FileReport,
    /// The directive running now, if any.
    pub current: Option<Current>,
}

impl Progress {
    fn with<R>(&self, f: impl FnOnce(&mut ProgressState) -> R) -> R {
        f(&mut self.state.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// A copy of the current state.
    pub fn snapshot(&self) -> ProgressState {
        self.with(|s| s.clone())
    }

    fn start(&self, line: usize, kind: &'static str) {
        self.with(|s| {
            s.current = Some(Current {
                line,
                kind,
                since: Instant::now(),
            })
        });
    }

    /// Records a failure outside any directive (`line` 0 for the whole file).
    pub fn fail(&self, line: usize, kind: &'static str, reason: String) {
        self.record(line, kind, Outcome::Fail(reason));
    }

    /// Records the outcome of a directive.
    fn record(&self, line: usize, kind: &'static str, outcome: Outcome) {
        self.with(|s| {
            s.current = None;
            match outcome {
                Outcome::Pass => s.report.passed += 1,
                Outcome::Skip => s.report.skipped += 1,
                Outcome::Fail(reason) => s.report.failures.push(Failure { line, kind, reason }),
            }
        });
    }
}

/// How a directive ended.
#[derive(Debug)]
enum Outcome {
    Pass,
    Fail(String),
    Skip,
}

/// Why an invocation produced no results.
enum CallFailure {
    /// The test could not even be set up (no such module or export, bad arguments).
    Setup(String),
    /// The runtime returned an error (a trap, usually).
    Runtime(Error),
}

/// What of a file is skipped because it needs a proposal the runtime does not
/// implement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// Nothing: every directive runs.
    Nothing,
    /// The whole file: its directives are only counted.
    File,
    /// The modules whose compilation fails with an error containing this
    /// text (the runtime's words for the missing proposal), and the
    /// directives that fail because such a module is missing.
    Modules(&'static str),
}

/// The failures of a directive that used a module which was not there.
const MISSING_MODULE: [&str; 3] = ["no current module", "no module", "not instantiated"];

/// Runs the `.wast` source `text` on a fresh runtime made with `config`, publishing
/// results to `progress`. A directive that takes longer than `slow` fails.
/// What `skip` names is only counted, as skipped.
pub fn run_file(
    text: &str,
    config: RuntimeConfig,
    slow: Duration,
    skip: Skip,
    progress: &Progress,
) {
    let mut lexer = wast::lexer::Lexer::new(text);
    lexer.allow_confusing_unicode(true);
    let buffer = match ParseBuffer::new_with_lexer(lexer) {
        Ok(buffer) => buffer,
        Err(e) => return parse_failure(text, e, progress),
    };
    let wast = match wast::parser::parse::<Wast<'_>>(&buffer) {
        Ok(wast) => wast,
        Err(e) => return parse_failure(text, e, progress),
    };

    let lines = Lines::new(text);
    if skip == Skip::File {
        for directive in &wast.directives {
            progress.record(
                lines.of(directive.span()),
                kind_of(directive),
                Outcome::Skip,
            );
        }
        return;
    }

    let mut runner = match panics::catch(|| Runner::new(config)) {
        Ok(runner) => runner,
        Err(e) => return progress.record(0, "setup", Outcome::Fail(e)),
    };
    match panics::catch(|| host::install(&runner.runtime)) {
        Ok(Ok(())) => {}
        Ok(Err(e)) | Err(e) => progress.record(0, "setup", Outcome::Fail(e)),
    }

    // Whether a module was skipped for `Skip::Modules`.
    let mut skipped_module = false;
    for directive in wast.directives {
        let line = lines.of(directive.span());
        let kind = kind_of(&directive);
        progress.start(line, kind);
        let started = Instant::now();
        let outcome = panics::catch(|| runner.run(directive)).unwrap_or_else(Outcome::Fail);
        let took = started.elapsed();
        let outcome = match outcome {
            outcome if took <= slow => outcome,
            Outcome::Fail(reason) => Outcome::Fail(format!("{reason} (and slow: {took:.1?})")),
            _ => Outcome::Fail(format!("slow: took {took:.1?}, the limit is {slow:?}")),
        };
        let outcome = match (skip, outcome) {
            (Skip::Modules(unsupported), Outcome::Fail(reason)) if reason.contains(unsupported) => {
                skipped_module = true;
                Outcome::Skip
            }
            (Skip::Modules(_), Outcome::Fail(reason))
                if skipped_module && MISSING_MODULE.iter().any(|m| reason.contains(m)) =>
            {
                Outcome::Skip
            }
            (_, outcome) => outcome,
        };
        progress.record(line, kind, outcome);
    }
}

fn parse_failure(text: &str, mut e: wast::Error, progress: &Progress) {
    e.set_text(text);
    let line = line_of(text, e.span());
    progress.record(
        line,
        "parse",
        Outcome::Fail(format!("cannot parse the .wast file: {}", e.message())),
    );
}

/// The 1-based line of `span` in `text`.
fn line_of(text: &str, span: Span) -> usize {
    Lines::new(text).of(span)
}

/// Where each line of a text starts, to find the line of a span quickly.
struct Lines(Vec<usize>);

impl Lines {
    fn new(text: &str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Lines(starts)
    }

    /// The 1-based line of `span`.
    fn of(&self, span: Span) -> usize {
        self.0.partition_point(|&start| start <= span.offset())
    }
}

/// The name of a directive, as the `.wast` syntax spells it.
fn kind_of(directive: &WastDirective<'_>) -> &'static str {
    match directive {
        WastDirective::Module(_) => "module",
        WastDirective::ModuleDefinition(_) => "module definition",
        WastDirective::ModuleInstance { .. } => "module instance",
        WastDirective::AssertMalformed { .. } => "assert_malformed",
        WastDirective::AssertInvalid { .. } => "assert_invalid",
        WastDirective::AssertInvalidCustom { .. } => "assert_invalid_custom",
        WastDirective::AssertMalformedCustom { .. } => "assert_malformed_custom",
        WastDirective::Register { .. } => "register",
        WastDirective::Invoke(_) => "invoke",
        WastDirective::AssertTrap { .. } => "assert_trap",
        WastDirective::AssertReturn { .. } => "assert_return",
        WastDirective::AssertExhaustion { .. } => "assert_exhaustion",
        WastDirective::AssertUnlinkable { .. } => "assert_unlinkable",
        WastDirective::AssertException { .. } => "assert_exception",
        WastDirective::AssertSuspension { .. } => "assert_suspension",
        WastDirective::Thread(_) => "thread",
        WastDirective::Wait { .. } => "wait",
    }
}

/// An error on one line; traps without their backtrace.
fn error_text(e: &Error) -> String {
    match e {
        Error::Trap(trap) => format!("wasm trap: {}", trap.code),
        other => panics::one_line(&other.to_string()),
    }
}

fn values_text(values: &[Value]) -> String {
    let items: Vec<String> = values.iter().map(Value::to_string).collect();
    format!("({})", items.join(", "))
}

fn is_component(module: &QuoteWat<'_>) -> bool {
    matches!(
        module,
        QuoteWat::QuoteComponent(..) | QuoteWat::Wat(Wat::Component(_))
    )
}

/// The state of one file's run: the runtime and the modules the directives name.
struct Runner {
    runtime: Runtime,
    /// The module that directives without a module name address.
    current: Option<Module>,
    /// Modules by their `$id`.
    named: HashMap<String, Module>,
    /// Compiled `module definition`s by their `$id` (`""` for the latest).
    definitions: HashMap<String, CompiledModule>,
    /// How many modules were instantiated, for their names.
    instances: std::cell::Cell<usize>,
}

impl Runner {
    fn new(config: RuntimeConfig) -> Self {
        Self {
            runtime: Runtime::with_config(config),
            current: None,
            named: HashMap::new(),
            definitions: HashMap::new(),
            instances: std::cell::Cell::new(0),
        }
    }

    fn run(&mut self, directive: WastDirective<'_>) -> Outcome {
        match directive {
            WastDirective::Module(module) => self.module(module),
            WastDirective::ModuleDefinition(module) => self.module_definition(module),
            WastDirective::ModuleInstance {
                instance, module, ..
            } => self.module_instance(instance, module),
            WastDirective::Register { name, module, .. } => self.register(name, module),
            WastDirective::Invoke(invoke) => match self.call(&invoke) {
                Ok(_) => Outcome::Pass,
                Err(CallFailure::Setup(reason)) => Outcome::Fail(reason),
                Err(CallFailure::Runtime(e)) => {
                    Outcome::Fail(format!("failed: {}", error_text(&e)))
                }
            },
            WastDirective::AssertReturn { exec, results, .. } => self.assert_return(exec, &results),
            WastDirective::AssertTrap { exec, message, .. } => self.assert_trap(exec, message),
            WastDirective::AssertExhaustion { call, message, .. } => {
                self.assert_exhaustion(&call, message)
            }
            WastDirective::AssertInvalid {
                module, message, ..
            } => self.expect_rejected(module, message, "an invalid"),
            WastDirective::AssertMalformed {
                module, message, ..
            } => self.expect_rejected(module, message, "a malformed"),
            WastDirective::AssertUnlinkable {
                module, message, ..
            } => self.assert_unlinkable(module, message),
            WastDirective::AssertException { exec, .. } => self.assert_exception(exec),
            WastDirective::AssertInvalidCustom { .. }
            | WastDirective::AssertMalformedCustom { .. }
            | WastDirective::AssertSuspension { .. }
            | WastDirective::Thread(_)
            | WastDirective::Wait { .. } => Outcome::Skip,
        }
    }

    fn compile(&self, wasm: &[u8]) -> Result<CompiledModule, String> {
        self.runtime
            .compile_module(wasm)
            .map_err(|e| format!("compiling failed: {}", error_text(&e)))
    }

    /// Instantiates under a name of its own (so any number of instances can
    /// coexist, and any can be registered later, which an anonymous module
    /// running in a store of its own could not), without calling `_start`.
    fn instantiate(&self, compiled: &CompiledModule) -> Result<Module, Error> {
        let n = self.instances.get() + 1;
        self.instances.set(n);
        self.runtime.instantiate_module(
            compiled,
            ModuleConfig::new()
                .with_name(format!("xtask:spectest-instance-{n}"))
                .with_start_functions(&[]),
        )
    }

    fn encode(module: &mut QuoteWat<'_>) -> Result<Vec<u8>, String> {
        module
            .encode()
            .map_err(|e| format!("cannot encode the module: {}", e.message()))
    }

    /// Makes `module` the current one (and `$name`), or forgets both on failure so
    /// that later directives cannot reach an older module by mistake.
    fn bind(&mut self, name: Option<Id<'_>>, module: Option<Module>) {
        if let Some(name) = name {
            match &module {
                Some(m) => self.named.insert(name.name().to_string(), m.clone()),
                None => self.named.remove(name.name()),
            };
        }
        self.current = module;
    }

    fn module(&mut self, mut module: QuoteWat<'_>) -> Outcome {
        if is_component(&module) {
            return Outcome::Skip;
        }
        let name = module.name();
        let result = Self::encode(&mut module).and_then(|wasm| {
            let compiled = self.compile(&wasm)?;
            self.instantiate(&compiled)
                .map_err(|e| format!("instantiating failed: {}", error_text(&e)))
        });
        match result {
            Ok(instance) => {
                self.bind(name, Some(instance));
                Outcome::Pass
            }
            Err(reason) => {
                self.bind(name, None);
                Outcome::Fail(reason)
            }
        }
    }

    fn module_definition(&mut self, mut module: QuoteWat<'_>) -> Outcome {
        if is_component(&module) {
            return Outcome::Skip;
        }
        let name = module.name().map(|id| id.name().to_string());
        match Self::encode(&mut module).and_then(|wasm| self.compile(&wasm)) {
            Ok(compiled) => {
                if let Some(name) = name {
                    self.definitions.insert(name, compiled.clone());
                }
                self.definitions.insert(String::new(), compiled);
                Outcome::Pass
            }
            Err(reason) => Outcome::Fail(reason),
        }
    }

    fn module_instance(&mut self, instance: Option<Id<'_>>, module: Option<Id<'_>>) -> Outcome {
        let key = module.map(|id| id.name()).unwrap_or_default();
        let Some(compiled) = self.definitions.get(key).cloned() else {
            self.bind(instance, None);
            return Outcome::Fail(format!("no module definition ${key}"));
        };
        match self.instantiate(&compiled) {
            Ok(m) => {
                self.bind(instance, Some(m));
                Outcome::Pass
            }
            Err(e) => {
                self.bind(instance, None);
                Outcome::Fail(format!("instantiating failed: {}", error_text(&e)))
            }
        }
    }

    /// The module `$id`, or the current one.
    fn module_for(&self, id: Option<Id<'_>>) -> Result<&Module, String> {
        match id {
            Some(id) => self
                .named
                .get(id.name())
                .ok_or_else(|| format!("no module ${} (did it fail to instantiate?)", id.name())),
            None => self.current.as_ref().ok_or_else(|| {
                "no current module (did the last one fail to instantiate?)".to_string()
            }),
        }
    }

    fn register(&mut self, name: &str, module: Option<Id<'_>>) -> Outcome {
        let module = match self.module_for(module) {
            Ok(m) => m,
            Err(reason) => return Outcome::Fail(reason),
        };
        match self.runtime.default_namespace().register(name, module) {
            Ok(()) => Outcome::Pass,
            Err(e) => Outcome::Fail(format!("register failed: {}", error_text(&e))),
        }
    }

    fn call(&self, invoke: &WastInvoke<'_>) -> Result<Vec<Value>, CallFailure> {
        let module = self.module_for(invoke.module).map_err(CallFailure::Setup)?;
        let function = module.exported_function(invoke.name).ok_or_else(|| {
            CallFailure::Setup(format!("no exported function \"{}\"", invoke.name))
        })?;
        let ty = function.ty().clone();
        let params = values::encode_args(&invoke.args, ty.params()).map_err(CallFailure::Setup)?;
        let slots = function.call(&params).map_err(CallFailure::Runtime)?;
        values::decode_results(&slots, ty.results()).map_err(CallFailure::Setup)
    }

    /// Runs an `invoke`, a `get` or a module of an assertion; a module yields no
    /// values.
    fn execute(&mut self, exec: WastExecute<'_>) -> Result<Vec<Value>, CallFailure> {
        match exec {
            WastExecute::Invoke(invoke) => self.call(&invoke),
            WastExecute::Get { module, global, .. } => {
                let module = self.module_for(module).map_err(CallFailure::Setup)?;
                let global = module.exported_global(global).ok_or_else(|| {
                    CallFailure::Setup(format!("no exported global \"{global}\""))
                })?;
                let ty = global.value_type().ok_or_else(|| {
                    CallFailure::Setup("cannot read the global's type".to_string())
                })?;
                Ok(vec![Value::from_bits(ty, global.get_v128())])
            }
            WastExecute::Wat(mut wat) => {
                let wasm = wat.encode().map_err(|e| {
                    CallFailure::Setup(format!("cannot encode the module: {}", e.message()))
                })?;
                let compiled = self.compile(&wasm).map_err(CallFailure::Setup)?;
                self.instantiate(&compiled).map_err(CallFailure::Runtime)?;
                Ok(Vec::new())
            }
        }
    }

    fn assert_return(&mut self, exec: WastExecute<'_>, expected: &[wast::WastRet<'_>]) -> Outcome {
        match self.execute(exec) {
            Ok(actual) => match values::check_results(&actual, expected) {
                Ok(()) => Outcome::Pass,
                Err(reason) => Outcome::Fail(reason),
            },
            Err(CallFailure::Setup(reason)) => Outcome::Fail(reason),
            Err(CallFailure::Runtime(e)) => {
                Outcome::Fail(format!("expected results, got {}", error_text(&e)))
            }
        }
    }

    /// On an invocation the trap must match `message` (loosely, see [`traps`]);
    /// a module may fail to instantiate with any trap, as in other runtimes' runners.
    fn assert_trap(&mut self, exec: WastExecute<'_>, message: &str) -> Outcome {
        let is_module = matches!(exec, WastExecute::Wat(_));
        match self.execute(exec) {
            Ok(values) => Outcome::Fail(format!(
                "expected trap \"{message}\", returned {}",
                values_text(&values)
            )),
            Err(CallFailure::Setup(reason)) => Outcome::Fail(reason),
            Err(CallFailure::Runtime(e)) => match e.trap_code() {
                Some(code) if is_module || traps::message_matches(message, &code.to_string()) => {
                    Outcome::Pass
                }
                Some(code) => {
                    Outcome::Fail(format!("expected trap \"{message}\", got trap \"{code}\""))
                }
                None => Outcome::Fail(format!(
                    "expected trap \"{message}\", got error: {}",
                    error_text(&e)
                )),
            },
        }
    }

    fn assert_exception(&mut self, exec: WastExecute<'_>) -> Outcome {
        match self.execute(exec) {
            Ok(values) => Outcome::Fail(format!(
                "expected an exception, returned {}",
                values_text(&values)
            )),
            Err(CallFailure::Setup(reason)) => Outcome::Fail(reason),
            Err(CallFailure::Runtime(Error::Exception(_))) => Outcome::Pass,
            Err(CallFailure::Runtime(e)) => {
                Outcome::Fail(format!("expected an exception, got {}", error_text(&e)))
            }
        }
    }

    fn assert_exhaustion(&mut self, call: &WastInvoke<'_>, message: &str) -> Outcome {
        match self.call(call) {
            Ok(values) => Outcome::Fail(format!(
                "expected \"{message}\", returned {}",
                values_text(&values)
            )),
            Err(CallFailure::Setup(reason)) => Outcome::Fail(reason),
            Err(CallFailure::Runtime(e)) if e.trap_code() == Some(TrapCode::StackExhausted) => {
                Outcome::Pass
            }
            Err(CallFailure::Runtime(e)) => Outcome::Fail(format!(
                "expected trap \"{message}\" (stack exhausted), got {}",
                error_text(&e)
            )),
        }
    }

    /// `assert_invalid` / `assert_malformed` (`what`: "an invalid", "a malformed"):
    /// the module must fail to decode or validate. A text module that does not even encode counts as rejected.
    fn expect_rejected(&self, mut module: QuoteWat<'_>, message: &str, what: &str) -> Outcome {
        if is_component(&module) {
            return Outcome::Skip;
        }
        let Ok(wasm) = module.encode() else {
            return Outcome::Pass;
        };
        match self.runtime.compile_module(&wasm) {
            Err(Error::Decode(_) | Error::Validation(_)) => Outcome::Pass,
            Err(e) => Outcome::Fail(format!(
                "expected {what} module (\"{message}\"); it decoded and validated, then: {}",
                error_text(&e)
            )),
            Ok(_) => Outcome::Fail(format!(
                "expected {what} module (\"{message}\"), but it compiled"
            )),
        }
    }

    /// The module must compile and then fail to instantiate with an error that is
    /// not a trap (an unknown or incompatible import).
    fn assert_unlinkable(&self, mut module: Wat<'_>, message: &str) -> Outcome {
        let compiled = match module
            .encode()
            .map_err(|e| format!("cannot encode the module: {}", e.message()))
            .and_then(|wasm| self.compile(&wasm))
        {
            Ok(compiled) => compiled,
            Err(reason) => return Outcome::Fail(reason),
        };
        match self.instantiate(&compiled) {
            Ok(_) => Outcome::Fail(format!(
                "expected unlinkable (\"{message}\"), but it instantiated"
            )),
            Err(e) if e.trap_code().is_some() => Outcome::Fail(format!(
                "expected unlinkable (\"{message}\"), got {}",
                error_text(&e)
            )),
            Err(_) => Outcome::Pass,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A script whose directives say how they must end: `;; fail` or `;; skip` at
    /// the end of the line where they start; all others must pass.
    const SCRIPT: &str = r#"
(module
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func $loop (export "loop") (call $loop))
  (global (export "g") i32 (i32.const 7))
  (func (export "snan") (result f32) (f32.const nan:0x200000))
  (func (export "ext") (param externref) (result externref) (local.get 0))
  (func (export "v") (result v128) (v128.const i32x4 1 2 3 -1))
)
(assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 3))
(assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 4)) ;; fail
(assert_return (invoke "add" (i64.const 1) (i32.const 2)) (i32.const 3)) ;; fail
(assert_return (invoke "missing")) ;; fail
(invoke "add" (i32.const 1) (i32.const 0))
(invoke "div" (i32.const 1) (i32.const 0)) ;; fail
(assert_trap (invoke "div" (i32.const 1) (i32.const 0)) "integer divide by zero")
(assert_trap (invoke "div" (i32.const 1) (i32.const 0)) "integer overflow") ;; fail
(assert_trap (invoke "add" (i32.const 1) (i32.const 0)) "unreachable") ;; fail
(assert_exhaustion (invoke "loop") "call stack exhausted")
(assert_exhaustion (invoke "div" (i32.const 1) (i32.const 0)) "call stack exhausted") ;; fail
(assert_return (get "g") (i32.const 7))
(assert_return (get "g") (i32.const 8)) ;; fail
(assert_return (invoke "snan") (f32.const nan:0x200000))
(assert_return (invoke "snan") (f32.const nan:arithmetic)) ;; fail
(assert_return (invoke "ext" (ref.extern 0)) (ref.extern 0))
(assert_return (invoke "ext" (ref.extern 0)) (ref.extern 1)) ;; fail
(assert_return (invoke "ext" (ref.extern 0)) (ref.null extern)) ;; fail
(assert_return (invoke "ext" (ref.null extern)) (ref.null extern))
(assert_return (invoke "v") (v128.const i32x4 1 2 3 -1))
(assert_return (invoke "v") (v128.const i64x2 0x0000000200000001 0xffffffff00000003))
(assert_return (invoke "v") (v128.const i32x4 1 2 3 4)) ;; fail
(assert_invalid (module (func (result i32))) "type mismatch")
(assert_invalid (module (func)) "type mismatch") ;; fail
(assert_malformed (module quote "(func") "unexpected end")
(assert_malformed (module binary "\00asm\01\00\00\00") "length out of bounds") ;; fail
(assert_unlinkable (module (import "nope" "f" (func))) "unknown import")
(assert_unlinkable (module (import "spectest" "print_i32" (func (param i32)))) "unknown import") ;; fail
(assert_trap (module (func $s unreachable) (start $s)) "unreachable")
(assert_trap (module (func)) "unreachable") ;; fail
(module $M (func (export "f") (result i32) (i32.const 5)))
(register "m" $M)
(module (import "m" "f" (func $f (result i32))) (func (export "g") (result i32) (call $f)))
(assert_return (invoke "g") (i32.const 5))
(assert_return (invoke $M "f") (i32.const 5))
(module $Broken (func (export "f") (result i32))) ;; fail
(assert_return (invoke $Broken "f") (i32.const 0)) ;; fail
(assert_return (invoke "g") (i32.const 5)) ;; fail
(module
  (import "spectest" "print_i32" (func (param i32)))
  (import "spectest" "global_i32" (global i32))
  (import "spectest" "global_f64" (global f64))
  (import "spectest" "table" (table 10 20 funcref))
  (import "spectest" "memory" (memory 1 2))
  (global (export "g") i32 (global.get 0))
  (global (export "h") f64 (global.get 1)))
(assert_return (get "g") (i32.const 666))
(assert_return (get "h") (f64.const 666.6))
(module definition $D (func (export "h") (result i32) (i32.const 9)))
(module instance $I $D)
(assert_return (invoke $I "h") (i32.const 9))
(assert_exception (invoke $I "h")) ;; fail
(module (tag $e) (func (export "t") (throw $e)))
(assert_exception (invoke "t"))
(assert_invalid_custom (module) "custom") ;; skip
"#;

    fn marked_lines(marker: &str) -> Vec<usize> {
        SCRIPT
            .lines()
            .enumerate()
            .filter(|(_, l)| l.trim_end().ends_with(marker))
            .map(|(i, _)| i + 1)
            .collect()
    }

    #[test]
    fn directives_pass_and_fail_as_marked() {
        super::super::panics::install_hook();
        let progress = Progress::default();
        run_file(
            SCRIPT,
            RuntimeConfig::interpreter(),
            Duration::from_secs(60),
            Skip::Nothing,
            &progress,
        );
        let report = progress.snapshot().report;
        let failed: Vec<usize> = report.failures.iter().map(|f| f.line).collect();
        let details: Vec<String> = report
            .failures
            .iter()
            .map(|f| format!("{}: {}: {}", f.line, f.kind, f.reason))
            .collect();
        assert_eq!(
            failed,
            marked_lines(";; fail"),
            "failures:\n{}",
            details.join("\n")
        );
        assert_eq!(report.skipped, marked_lines(";; skip").len());
        let directives = SCRIPT.lines().filter(|l| l.starts_with('(')).count();
        assert_eq!(report.passed + report.skipped + failed.len(), directives);
    }

    #[test]
    fn lines_are_one_based() {
        let text = "a\nbc\n\nd";
        let lines = Lines::new(text);
        for (offset, line) in [(0, 1), (1, 1), (2, 2), (4, 2), (5, 3), (6, 4)] {
            let span = Span::from_offset(offset);
            assert_eq!(lines.of(span), line, "offset {offset}");
            assert_eq!(span.linecol_in(text).0 + 1, line, "offset {offset}");
        }
    }

    #[test]
    fn a_skipped_file_only_counts() {
        let progress = Progress::default();
        run_file(
            SCRIPT,
            RuntimeConfig::interpreter(),
            Duration::from_secs(60),
            Skip::File,
            &progress,
        );
        let report = progress.snapshot().report;
        assert_eq!((report.passed, report.failures.len()), (0, 0));
        assert_eq!(
            report.skipped,
            SCRIPT.lines().filter(|l| l.starts_with('(')).count()
        );
    }

    #[test]
    fn modules_of_a_missing_proposal_and_their_users_are_skipped() {
        // A GC struct type, refused by the decoder; then a module that runs.
        let script = r#"(module (type (struct)) (func (export "f") (result i32) (i32.const 1)))
(assert_return (invoke "f") (i32.const 1))
(module $M (type (struct)))
(register "m" $M)
(module (func (export "g") (result i32) (i32.const 2)))
(assert_return (invoke "g") (i32.const 2))
(assert_return (invoke "g") (i32.const 3))
"#;
        let cases = [
            (Skip::Modules("GC types ("), 2, 4, 1),
            (Skip::Modules("no such message"), 2, 0, 5),
            (Skip::Nothing, 2, 0, 5),
        ];
        for (skip, passed, skipped, failed) in cases {
            let progress = Progress::default();
            run_file(
                script,
                RuntimeConfig::interpreter(),
                Duration::from_secs(60),
                skip,
                &progress,
            );
            let report = progress.snapshot().report;
            let got = (report.passed, report.skipped, report.failures.len());
            assert_eq!(
                got,
                (passed, skipped, failed),
                "{skip:?}: {:?}",
                report.failures
            );
        }
    }

    #[test]
    fn a_file_that_does_not_parse_fails_once() {
        let progress = Progress::default();
        run_file(
            "(module\n(assert_return",
            RuntimeConfig::interpreter(),
            Duration::from_secs(60),
            Skip::Nothing,
            &progress,
        );
        let report = progress.snapshot().report;
        assert_eq!(report.failures.len(), 1, "{:?}", report.failures);
        assert_eq!(report.failures[0].kind, "parse");
    }
}
