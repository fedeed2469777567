//! Running one module on every engine and on the reference, and comparing.

use std::fmt;
use std::path::{Path, PathBuf};

use wazero::RuntimeConfig;

use crate::engine::{CompiledModule, Engine, Failure, Instance};
use crate::generate::{generate, ExportedFunction, Exports};
use crate::value::{display_values, Value, ARGUMENT_SETS};
use crate::{Wasmi, Wazero};

/// Tables with more elements than this are compared by size only (a
/// `table.grow` can make them millions of elements long).
const TABLE_ELEMENTS_COMPARED: u32 = 10_000;

/// The engines under test, each compared with the [`reference()`].
pub fn engines() -> Vec<Box<dyn Engine>> {
    #[allow(unused_mut)] // Mutated only with the `compiler` feature.
    let mut engines: Vec<Box<dyn Engine>> = vec![Box::new(Wazero::new(
        "wazero interpreter",
        RuntimeConfig::interpreter(),
    ))];
    // The native compiler, when the facade is built with it: see this crate's
    // `compiler` feature.
    #[cfg(feature = "compiler")]
    {
        engines.push(Box::new(Wazero::new(
            "wazero compiler",
            RuntimeConfig::compiler(),
        )));
        engines.push(Box::new(Wazero::new(
            "wazero compiler (explicit bounds checks)",
            RuntimeConfig::compiler().with_explicit_bounds_checks(true),
        )));
        // The tiered engine with tier-up forced: each module compiled before
        // its first call, the calls into it taking the interpreter and the
        // compiler in turn, so frames of both nest. On x86-64 only: under
        // AArch64 emulation the compiler's own runs take CI's time.
        #[cfg(target_arch = "x86_64")]
        engines.push(Box::new(Wazero::new(
            "wazero tiered (tier-up forced)",
            RuntimeConfig::new().with_tier_policy(
                wazero::engine::TierPolicy::forced().with_on_loop_entry(|_| {
                    LOOP_ENTRIES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }),
            ),
        )));
    }
    engines
}

/// Calls the forced tiered engine handed over to compiled code at a loop
/// (on-stack replacement), so a run can show it exercised that.
pub static LOOP_ENTRIES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The reference engine: wasmi.
pub fn reference() -> Box<dyn Engine> {
    Box::new(Wasmi::new())
}

/// What the checks covered.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tally {
    /// Modules checked (per engine under test).
    pub modules: usize,
    /// Modules that instantiated on both engines.
    pub instantiated: usize,
    /// Modules whose instantiation trapped alike on both engines.
    pub instantiation_traps: usize,
    /// Calls compared.
    pub calls: usize,
    /// Calls that returned the same results on both engines.
    pub returned: usize,
    /// Calls that trapped alike on both engines.
    pub trapped: usize,
    /// Modules left unfinished because the call stack was exhausted on one
    /// engine (their limits differ, so what follows proves nothing).
    pub inconclusive: usize,
}

impl fmt::Display for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} modules ({} instantiated, {} trapped in instantiation, {} inconclusive), \
             {} calls ({} returned, {} trapped)",
            self.modules,
            self.instantiated,
            self.instantiation_traps,
            self.inconclusive,
            self.calls,
            self.returned,
            self.trapped
        )
    }
}

/// An engine that disagrees with the reference.
#[derive(Debug, Clone)]
pub struct Mismatch {
    /// The seed of the module, if it was generated from one.
    pub seed: Option<u64>,
    /// Where the module was saved, if it was.
    pub saved: Option<PathBuf>,
    /// The engine under test.
    pub engine: String,
    /// The reference engine.
    pub reference: String,
    /// What was compared: the step and the function called.
    pub context: String,
    /// What the engine under test did.
    pub actual: String,
    /// What the reference did.
    pub expected: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(seed) = self.seed {
            write!(f, "seed {seed}: ")?;
        }
        writeln!(f, "{} and {} disagree", self.engine, self.reference)?;
        writeln!(f, "  at: {}", self.context)?;
        writeln!(f, "  {}: {}", self.engine, self.actual)?;
        write!(f, "  {}: {}", self.reference, self.expected)?;
        if let Some(path) = &self.saved {
            write!(f, "\n  module: {}", path.display())?;
        }
        Ok(())
    }
}

/// Generates the module of `seed` and checks it ([`check_module`]); a module
/// with a mismatch is saved ([`save_failure`]). Seeds that make no module pass.
pub fn check_seed(
    seed: u64,
    engines: &[Box<dyn Engine>],
    reference: &dyn Engine,
    tally: &mut Tally,
) -> Result<(), Box<Mismatch>> {
    let Some(wasm) = generate(seed) else {
        return Ok(());
    };
    check_module(&wasm, engines, reference, tally).map_err(|mut mismatch| {
        mismatch.seed = Some(seed);
        mismatch.saved = save_failure(&seed.to_string(), &wasm);
        mismatch
    })
}

/// The directory failing modules are saved in: `target/differential-failures`
/// of the workspace.
pub fn failure_dir() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .unwrap_or(manifest)
        .join("target")
        .join("differential-failures")
}

/// Writes `wasm` to `<failure_dir>/<name>.wasm`; its path, or `None` (with a
/// message) if it could not be written.
pub fn save_failure(name: &str, wasm: &[u8]) -> Option<PathBuf> {
    let dir = failure_dir();
    let path = dir.join(format!("{name}.wasm"));
    match std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, wasm)) {
        Ok(()) => Some(path),
        Err(e) => {
            eprintln!("cannot save {}: {e}", path.display());
            None
        }
    }
}

/// Runs `wasm` (a module without imports, made to terminate) on every engine of
/// `engines` and on `reference`, and compares: compilation, instantiation (both
/// succeed, or both trap alike), then for every exported function, on a fresh
/// instance, each call with [`ARGUMENT_SETS`] (results bit for bit, or trap
/// kinds) and, after instantiation and after each call, every exported memory,
/// global and table. The first difference is returned.
///
/// A module whose exports cannot be called without imports is skipped; one on
/// which either engine exhausts its call stack is left unfinished (counted as
/// inconclusive).
pub fn check_module(
    wasm: &[u8],
    engines: &[Box<dyn Engine>],
    reference: &dyn Engine,
    tally: &mut Tally,
) -> Result<(), Box<Mismatch>> {
    let Some(exports) = Exports::of(wasm) else {
        return Ok(());
    };
    let expected = reference.compile(wasm);
    for engine in engines {
        tally.modules += 1;
        let mismatch = |context: &str, actual: String, expected: String| {
            Box::new(Mismatch {
                seed: None,
                saved: None,
                engine: engine.name().to_string(),
                reference: reference.name().to_string(),
                context: context.to_string(),
                actual,
                expected,
            })
        };
        let compiled = engine.compile(wasm);
        let (compiled, reference_compiled) = match (compiled, &expected) {
            (Ok(compiled), Ok(reference_compiled)) => (compiled, reference_compiled),
            (Err(_), Err(_)) => continue,
            (actual, expected) => {
                let show = |result: Result<(), &String>| match result {
                    Ok(()) => "compiled".to_string(),
                    Err(e) => format!("failed to compile: {e}"),
                };
                return Err(mismatch(
                    "compilation",
                    show(actual.as_ref().map(|_| ())),
                    show(expected.as_ref().map(|_| ())),
                ));
            }
        };
        let pair = Pair {
            engine: compiled.as_ref(),
            reference: reference_compiled.as_ref(),
            exports: &exports,
        };
        if let Err(Difference {
            context,
            actual,
            expected,
        }) = pair.check(tally)
        {
            return Err(mismatch(&context, actual, expected));
        }
    }
    Ok(())
}

/// A difference found by [`Pair::check`], before it is named a [`Mismatch`].
struct Difference {
    context: String,
    actual: String,
    expected: String,
}

impl Difference {
    fn new(
        context: impl Into<String>,
        actual: impl Into<String>,
        expected: impl Into<String>,
    ) -> Self {
        Self {
            context: context.into(),
            actual: actual.into(),
            expected: expected.into(),
        }
    }
}

/// One module compiled by an engine under test and by the reference.
struct Pair<'a> {
    engine: &'a dyn CompiledModule,
    reference: &'a dyn CompiledModule,
    exports: &'a Exports,
}

/// Why the comparison of a module stopped early.
enum Stop {
    /// A difference.
    Differs(Difference),
    /// Nothing more can be learned from this module.
    Inconclusive,
    /// Both instantiations failed alike.
    InstantiationFailed,
}

impl From<Difference> for Stop {
    fn from(difference: Difference) -> Self {
        Stop::Differs(difference)
    }
}

/// Two instances of one module, one per engine.
type Instances = (Box<dyn Instance>, Box<dyn Instance>);

impl Pair<'_> {
    /// Every comparison for this module; the first difference.
    fn check(&self, tally: &mut Tally) -> Result<(), Difference> {
        match self.run(tally) {
            Ok(()) => Ok(()),
            Err(Stop::Differs(difference)) => Err(difference),
            Err(Stop::Inconclusive) => {
                tally.inconclusive += 1;
                Ok(())
            }
            Err(Stop::InstantiationFailed) => {
                tally.instantiation_traps += 1;
                Ok(())
            }
        }
    }

    /// Instantiation, then every exported function on an instance of its own.
    fn run(&self, tally: &mut Tally) -> Result<(), Stop> {
        let first = self.instantiate()?;
        compare_state(
            first.0.as_ref(),
            first.1.as_ref(),
            self.exports,
            "after instantiation",
        )?;
        let mut first = Some(first);
        tally.instantiated += 1;
        for function in &self.exports.functions {
            // A fresh instance for each function, so each starts with full fuel.
            let (mut engine, mut reference) = match first.take() {
                Some(instances) => instances,
                None => self.instantiate()?,
            };
            self.call_all(function, engine.as_mut(), reference.as_mut(), tally)?;
        }
        Ok(())
    }

    /// An instance on each engine; both must succeed or fail alike.
    fn instantiate(&self) -> Result<Instances, Stop> {
        match (self.engine.instantiate(), self.reference.instantiate()) {
            (Ok(engine), Ok(reference)) => Ok((engine, reference)),
            (Err(a), _) if a.is_inconclusive() => Err(Stop::Inconclusive),
            (_, Err(b)) if b.is_inconclusive() => Err(Stop::Inconclusive),
            (Err(a), Err(b)) if a.matches(&b) => Err(Stop::InstantiationFailed),
            (a, b) => {
                let show = |r: Result<Box<dyn Instance>, Failure>| match r {
                    Ok(_) => "instantiated".to_string(),
                    Err(e) => format!("failed to instantiate: {e}"),
                };
                Err(Difference::new("instantiation", show(a), show(b)).into())
            }
        }
    }

    /// Calls `function` with every argument set, comparing after each call.
    fn call_all(
        &self,
        function: &ExportedFunction,
        engine: &mut dyn Instance,
        reference: &mut dyn Instance,
        tally: &mut Tally,
    ) -> Result<(), Stop> {
        for set in &ARGUMENT_SETS {
            let args = set.arguments(&function.params);
            let context = format!(
                "call {:?}{} ({} arguments)",
                function.name,
                display_values(&args),
                set.name
            );
            tally.calls += 1;
            let actual = engine.call(&function.name, &args);
            let expected = reference.call(&function.name, &args);
            match (&actual, &expected) {
                (Err(a), _) if a.is_inconclusive() => return Err(Stop::Inconclusive),
                (_, Err(b)) if b.is_inconclusive() => return Err(Stop::Inconclusive),
                (Ok(a), Ok(b)) if a == b => tally.returned += 1,
                (Err(a), Err(b)) if a.matches(b) => tally.trapped += 1,
                _ => {
                    return Err(
                        Difference::new(context, outcome(&actual), outcome(&expected)).into(),
                    );
                }
            }
            compare_state(engine, reference, self.exports, &format!("after {context}"))?;
        }
        Ok(())
    }
}

/// A call's outcome for reports.
fn outcome(result: &Result<Vec<Value>, Failure>) -> String {
    match result {
        Ok(values) => format!("returned {}", display_values(values)),
        Err(failure) => failure.to_string(),
    }
}

/// Compares every exported memory, global and table of two instances.
fn compare_state(
    engine: &dyn Instance,
    reference: &dyn Instance,
    exports: &Exports,
    when: &str,
) -> Result<(), Difference> {
    for name in &exports.memories {
        let mut difference = None;
        let mut found = 0;
        engine.with_memory(name, &mut |a| {
            found += 1;
            reference.with_memory(name, &mut |b| {
                found += 1;
                difference = memory_difference(a, b);
            });
        });
        if found != 2 {
            return Err(Difference::new(
                format!("memory {name:?} {when}"),
                "exported",
                "not exported",
            ));
        }
        if let Some((actual, expected)) = difference {
            return Err(Difference::new(
                format!("memory {name:?} {when}"),
                actual,
                expected,
            ));
        }
    }
    for name in &exports.globals {
        let (actual, expected) = (engine.global(name), reference.global(name));
        if actual != expected {
            let show = |v: Option<Value>| v.map_or("not exported".to_string(), |v| v.to_string());
            return Err(Difference::new(
                format!("global {name:?} {when}"),
                show(actual),
                show(expected),
            ));
        }
    }
    for name in &exports.tables {
        let actual = engine.table(name, TABLE_ELEMENTS_COMPARED);
        let expected = reference.table(name, TABLE_ELEMENTS_COMPARED);
        if actual != expected {
            let show = |t: Option<(u32, Vec<bool>)>| match t {
                None => "not exported".to_string(),
                Some((size, non_null)) => {
                    let set: Vec<String> = non_null
                        .iter()
                        .enumerate()
                        .filter(|(_, &n)| n)
                        .map(|(i, _)| i.to_string())
                        .collect();
                    format!("{size} elements, non-null at [{}]", set.join(", "))
                }
            };
            return Err(Difference::new(
                format!("table {name:?} {when}"),
                show(actual),
                show(expected),
            ));
        }
    }
    Ok(())
}

/// How two memories differ, if they do: sizes, or the first differing byte.
fn memory_difference(a: &[u8], b: &[u8]) -> Option<(String, String)> {
    if a.len() != b.len() {
        return Some((format!("{} bytes", a.len()), format!("{} bytes", b.len())));
    }
    if a == b {
        return None;
    }
    let at = a.iter().zip(b).position(|(x, y)| x != y).unwrap_or(0);
    let end = (at + 16).min(a.len());
    Some((
        format!("bytes at {at:#x}: {:02x?}", &a[at..end]),
        format!("bytes at {at:#x}: {:02x?}", &b[at..end]),
    ))
}
