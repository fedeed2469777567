//! Timing with `std::time::Instant`: warm-up runs, then a fixed number of
//! samples, each long enough to be timed reliably; the median and the minimum
//! time per operation are reported. The `time_*` functions time the three kinds
//! of benchmark on any engine.

use std::time::{Duration, Instant};

use crate::engines::{Compile, Engine, Result};

/// Instances made per fresh engine in the instantiate benchmark, which bounds the
/// memory held by instances (engines never free them before they are dropped).
const INSTANCES_PER_ENGINE: u64 = 500;

/// How much measuring to do.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Rounds per benchmark: each round measures each engine once, in a fresh
    /// process, engines alternating, so that a change of machine load over time
    /// hits both engines alike.
    pub rounds: u32,
    /// Untimed full-size samples before the timed ones (after one untimed run of
    /// a single operation, which sizes the samples).
    pub warmups: u32,
    /// Timed samples per engine per round.
    pub samples: u32,
    /// A sample repeats the operation until it takes about this long.
    pub sample_time: Duration,
}

impl Settings {
    /// `--quick`: enough to see where things stand.
    pub const QUICK: Settings = Settings {
        rounds: 1,
        warmups: 1,
        samples: 5,
        sample_time: Duration::from_millis(20),
    };

    /// The default: the figures for `docs/benchmarks.md`.
    pub const FULL: Settings = Settings {
        rounds: 3,
        warmups: 1,
        samples: 5,
        sample_time: Duration::from_millis(100),
    };

    /// For operations of seconds (compiling the large module to machine code):
    /// no untimed sample after the sizing run, which warms up as well, and three
    /// timed samples per process.
    pub fn for_slow_operation(self) -> Settings {
        Settings {
            warmups: 0,
            samples: 3,
            ..self
        }
    }
}

/// The times per operation of every sample, sorted.
#[derive(Debug, Clone)]
pub struct Stats {
    per_op: Vec<Duration>,
}

impl Stats {
    /// The samples as whole nanoseconds per operation, comma-separated (how a
    /// child process hands them to the parent).
    pub fn to_nanos_list(&self) -> String {
        let nanos: Vec<String> = self
            .per_op
            .iter()
            .map(|d| d.as_nanos().to_string())
            .collect();
        nanos.join(",")
    }

    /// Parses what [`to_nanos_list`](Self::to_nanos_list) wrote.
    pub fn from_nanos_list(list: &str) -> Option<Stats> {
        let mut per_op = list
            .split(',')
            .map(|n| n.trim().parse().ok().map(Duration::from_nanos))
            .collect::<Option<Vec<_>>>()?;
        if per_op.is_empty() {
            return None;
        }
        per_op.sort();
        Some(Stats { per_op })
    }

    /// These samples and `other`'s together.
    pub fn merge(mut self, other: Stats) -> Stats {
        self.per_op.extend(other.per_op);
        self.per_op.sort();
        self
    }

    /// The median time per operation.
    pub fn median(&self) -> Duration {
        let n = self.per_op.len();
        if n % 2 == 1 {
            self.per_op[n / 2]
        } else {
            (self.per_op[n / 2 - 1] + self.per_op[n / 2]) / 2
        }
    }

    /// The fastest time per operation.
    pub fn min(&self) -> Duration {
        self.per_op[0]
    }

    /// The spread of the samples: their interquartile range over the median.
    pub fn spread(&self) -> f64 {
        let n = self.per_op.len();
        let (low, high) = (self.per_op[n / 4], self.per_op[(3 * n) / 4]);
        (high - low).as_secs_f64() / self.median().as_secs_f64().max(1e-12)
    }
}

/// Measures one operation. `sample(iters)` does any untimed setup it needs, runs
/// the operation `iters` times and returns how long those runs took.
pub fn measure(
    settings: &Settings,
    mut sample: impl FnMut(u64) -> Result<Duration>,
) -> Result<Stats> {
    let estimate = sample(1)?.max(Duration::from_nanos(1));
    let iters = (settings.sample_time.as_nanos() / estimate.as_nanos()).clamp(1, 1_000_000) as u64;
    for _ in 0..settings.warmups {
        sample(iters)?;
    }
    let mut per_op = Vec::with_capacity(settings.samples as usize);
    for _ in 0..settings.samples.max(1) {
        per_op.push(sample(iters)? / iters as u32);
    }
    per_op.sort();
    Ok(Stats { per_op })
}

/// Times `iters` runs of `op`, stopping at its first error.
pub fn time_iters(iters: u64, mut op: impl FnMut() -> Result<()>) -> Result<Duration> {
    let start = Instant::now();
    for _ in 0..iters {
        op()?;
    }
    Ok(start.elapsed())
}

/// Times calls of `run(arg)`, exported by module `wasm`, on `engine` (which
/// defines whatever the module imports); also returns the result, which must
/// not change from call to call.
pub fn time_calls<E: Engine>(
    mut engine: E,
    wasm: &[u8],
    arg: i64,
    settings: &Settings,
) -> Result<(Stats, i64)> {
    let module = engine.compile(wasm)?;
    let instance = engine.instantiate(&module)?;
    let func = engine.func(&instance, "run")?;
    let expected = engine.call_i64(&func, arg)?;
    let stats = measure(settings, |iters| {
        time_iters(iters, || {
            let got = engine.call_i64(&func, arg)?;
            if got != expected {
                return Err(format!("run({arg}) returned {expected}, then {got}").into());
            }
            Ok(())
        })
    })?;
    Ok((stats, expected))
}

/// Times instantiation of `wasm` on fresh engines made by `make`; also returns
/// what `run(7)` returns on one instance, to check the engines agree.
pub fn time_instantiation<E: Engine>(
    make: impl Fn() -> Result<E>,
    wasm: &[u8],
    settings: &Settings,
) -> Result<(Stats, i64)> {
    let mut engine = make()?;
    let module = engine.compile(wasm)?;
    let instance = engine.instantiate(&module)?;
    let func = engine.func(&instance, "run")?;
    let check = engine.call_i64(&func, 7)?;
    let stats = measure(settings, |iters| {
        let mut took = Duration::ZERO;
        let mut left = iters;
        while left > 0 {
            let batch = left.min(INSTANCES_PER_ENGINE);
            let mut engine = make()?;
            let module = engine.compile(wasm)?;
            let mut instances = Vec::with_capacity(batch as usize);
            let start = Instant::now();
            for _ in 0..batch {
                instances.push(engine.instantiate(&module)?);
            }
            took += start.elapsed();
            left -= batch;
        }
        Ok(took)
    })?;
    Ok((stats, check))
}

/// Times compiling `wasm` on a fresh engine made by `make` each time (making the
/// engine and dropping the module are not timed).
pub fn time_compilation<C: Compile>(
    make: impl Fn() -> Result<C>,
    wasm: &[u8],
    settings: &Settings,
) -> Result<Stats> {
    measure(settings, |iters| {
        let mut took = Duration::ZERO;
        for _ in 0..iters {
            let mut engine = make()?;
            let start = Instant::now();
            let module = engine.compile(wasm)?;
            took += start.elapsed();
            drop(module);
        }
        Ok(took)
    })
}

/// Formats a duration with three significant digits and a fitting unit.
pub fn format_duration(d: Duration) -> String {
    let ns = d.as_secs_f64() * 1e9;
    let (value, unit) = if ns < 1e3 {
        (ns, "ns")
    } else if ns < 1e6 {
        (ns / 1e3, "µs")
    } else if ns < 1e9 {
        (ns / 1e6, "ms")
    } else {
        (ns / 1e9, "s")
    };
    let decimals = if value < 10.0 {
        2
    } else if value < 100.0 {
        1
    } else {
        0
    };
    format!("{value:.decimals$} {unit}")
}
