//! The `wasi-files` benchmark: a WASI-heavy program on wazero's interpreter,
//! against native Rust doing the same file work, in a table of its own.
//!
//! `testdata/wasi/many_files.wasm` (C, `testdata/wasi/src/many_files.c`) makes a
//! directory, writes [`COUNT`] files of [`SIZE`] bytes into it, reads each back,
//! checks and hashes its bytes (FNV-1a 64), removes it, removes the directory and
//! prints `files N bytes M checksum 0x...`. One operation is one full run:
//! instantiating the compiled module, which runs `_start`. It runs in three
//! configurations, each in a fresh process:
//!
//! * [`Config::HostDir`]: WASI with a host directory mounted at `/data`, a fresh
//!   directory under [`std::env::temp_dir`] per run;
//! * [`Config::MemFs`]: WASI with a fresh in-memory file system at `/data`;
//! * [`Config::Native`]: the baseline, [`native_many_files`], the same work in
//!   Rust with `std::fs` in a fresh temporary directory.
//!
//! Making and removing the temporary directory, the `MemFs`, the stdout buffer
//! and the `ModuleConfig`, and closing the module, are not timed; opening the
//! mount (done when the module is instantiated) is. All three configurations
//! must print the same line, with the known checksum where there is one.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use wazero::{
    wasi_snapshot_preview1, Error as WazeroError, FsConfig, MemFs, ModuleConfig, Runtime,
    RuntimeConfig, SharedBuffer,
};

use crate::engines::Result;
use crate::measure::{format_duration, measure, Settings, Stats};
use crate::{spawn_child, Measured, NOISY_SPREAD};

/// The benchmark's name (what a filter matches; `wasi` selects it).
pub const NAME: &str = "wasi-files";

/// What one operation is, for `--list`.
pub const WHAT: &str =
    "many_files.wasm: write, read back and remove N small files; WASI host dir, WASI MemFs, native";

/// The program, built by `cargo xtask build-wasi`.
const MANY_FILES_WASM: &[u8] = include_bytes!("../../testdata/wasi/many_files.wasm");

/// The guest path of the mount the program works in.
const GUEST_DIR: &str = "/data";

/// Files per run: full and `--quick`.
pub const COUNT: (u64, u64) = (2_000, 300);

/// Bytes per file.
pub const SIZE: u64 = 100;

/// Known checksums of the program's output, by (files, bytes per file): from
/// `many_files.c`'s header (2000 x 100, 10 x 100) and from a run of all three
/// configurations (300 x 100).
const KNOWN_CHECKSUMS: [(u64, u64, u64); 3] = [
    (2_000, 100, 0xbeee_df10_85af_bac5),
    (300, 100, 0x7cd0_32dd_16b5_b9e5),
    (10, 100, 0x9a6e_ba13_6ecc_8981),
];

/// Files per run for this run.
pub fn count(quick: bool) -> u64 {
    if quick {
        COUNT.1
    } else {
        COUNT.0
    }
}

/// Where one configuration keeps its files and who does the work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Config {
    /// Native Rust with `std::fs` (the baseline).
    Native,
    /// wazero's interpreter, WASI, a host directory mounted at `/data`.
    HostDir,
    /// wazero's interpreter, WASI, a `MemFs` mounted at `/data`.
    MemFs,
}

impl Config {
    /// All three, in the order they run and are reported.
    pub const ALL: [Config; 3] = [Config::Native, Config::HostDir, Config::MemFs];

    /// Its name on a child's command line.
    pub fn name(self) -> &'static str {
        match self {
            Config::Native => "native",
            Config::HostDir => "host-dir",
            Config::MemFs => "memfs",
        }
    }

    /// The configuration called `name`.
    pub fn parse(name: &str) -> Option<Config> {
        Config::ALL.into_iter().find(|c| c.name() == name)
    }

    /// Its row label in the report.
    fn label(self) -> &'static str {
        match self {
            Config::Native => "native Rust, `std::fs` in a temp dir",
            Config::HostDir => "wazero interp + WASI, host dir mount",
            Config::MemFs => "wazero interp + WASI, `MemFs`",
        }
    }
}

/// A fresh, empty directory under the system's temporary directory, removed
/// (with anything left in it) on drop.
struct TempDir(PathBuf);

impl TempDir {
    /// Makes one.
    fn new() -> Result<Self> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(
            "wazero-bench-wasi-files-{}-{n}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir(&path)?;
        Ok(Self(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Byte `j` of file `i`, as `many_files.c` writes it.
fn file_byte(i: u64, j: u64) -> u8 {
    (i.wrapping_mul(31).wrapping_add(j.wrapping_mul(7)) & 0xff) as u8
}

/// The line `many_files.c` prints for `count` files of `size` bytes hashing to
/// `checksum`.
fn output_line(count: u64, size: u64, checksum: u64) -> String {
    format!(
        "files {count} bytes {} checksum 0x{checksum:016x}\n",
        count * size
    )
}

/// What `many_files.c` does, natively: in `root`, makes `many_files_test`,
/// writes `count` files `f000000`... of `size` bytes, then opens each, reads it
/// back, checks and hashes its bytes (FNV-1a 64) and removes it, then removes the
/// directory. Returns the line the program prints.
pub fn native_many_files(root: &Path, count: u64, size: u64) -> Result<String> {
    let dir = root.join("many_files_test");
    std::fs::create_dir(&dir)?;
    let name = |i: u64| dir.join(format!("f{i:06}"));
    let mut buf = vec![0u8; size as usize];
    for i in 0..count {
        for (j, b) in (0..).zip(buf.iter_mut()) {
            *b = file_byte(i, j);
        }
        File::create(name(i))?.write_all(&buf)?;
    }
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut got = vec![0u8; size as usize + 1];
    for i in 0..count {
        let path = name(i);
        let mut file = File::open(&path)?;
        // Like the C program: read until end of file or one byte too many.
        let mut len = 0;
        loop {
            let n = file.read(&mut got[len..])?;
            len += n;
            if n == 0 || len == got.len() {
                break;
            }
        }
        drop(file);
        if len as u64 != size {
            return Err(format!("{}: {len} bytes, want {size}", path.display()).into());
        }
        for (j, &b) in (0..).zip(&got[..len]) {
            if b != file_byte(i, j) {
                return Err(format!("{}: byte {j} differs", path.display()).into());
            }
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        std::fs::remove_file(&path)?;
    }
    std::fs::remove_dir(&dir)?;
    Ok(output_line(count, size, hash))
}

/// The checksum in `line`, which must be what the program prints for `count`
/// files of `size` bytes.
fn parse_checksum(line: &str, count: u64, size: u64) -> Result<u64> {
    let checksum = line
        .trim_end()
        .rsplit_once(" checksum 0x")
        .and_then(|(_, hex)| u64::from_str_radix(hex, 16).ok())
        .filter(|&c| line == output_line(count, size, c))
        .ok_or_else(|| format!("unexpected output {line:?} for {count} files of {size} bytes"))?;
    Ok(checksum)
}

/// One configuration's runs: a runtime with WASI and the compiled program, kept
/// across runs as an embedder would, or nothing for the native baseline.
enum Runner {
    /// [`native_many_files`].
    Native,
    /// `many_files.wasm` on wazero's interpreter.
    Wazero {
        /// The runtime, with the WASI host module instantiated.
        runtime: Runtime,
        /// The program, compiled once.
        compiled: wazero::CompiledModule,
        /// A `MemFs` at `/data` rather than a host directory.
        memfs: bool,
    },
}

impl Runner {
    /// Gets `config` ready to run (untimed).
    fn new(config: Config) -> Result<Self> {
        if config == Config::Native {
            return Ok(Runner::Native);
        }
        let runtime = Runtime::with_config(RuntimeConfig::interpreter());
        wasi_snapshot_preview1::instantiate(&runtime)?;
        let compiled = runtime.compile_module(MANY_FILES_WASM)?;
        Ok(Runner::Wazero {
            runtime,
            compiled,
            memfs: config == Config::MemFs,
        })
    }

    /// Does one run with `count` files of `size` bytes; returns what it printed
    /// and how long the timed part took.
    fn run(&self, count: u64, size: u64) -> Result<(String, Duration)> {
        match self {
            Runner::Native => {
                let dir = TempDir::new()?;
                let start = Instant::now();
                let line = native_many_files(&dir.0, count, size)?;
                Ok((line, start.elapsed()))
            }
            Runner::Wazero {
                runtime,
                compiled,
                memfs,
            } => {
                // Removed when the run is over and its module closed.
                let dir = if *memfs { None } else { Some(TempDir::new()?) };
                let fs = match &dir {
                    Some(dir) => FsConfig::new().with_dir_mount(&dir.0, GUEST_DIR),
                    None => FsConfig::new().with_mem_fs(MemFs::new(), GUEST_DIR),
                };
                let stdout = SharedBuffer::new();
                let config = ModuleConfig::new()
                    .with_args([
                        "many_files".to_string(),
                        GUEST_DIR.to_string(),
                        count.to_string(),
                        size.to_string(),
                    ])
                    .with_stdout(stdout.clone())
                    .with_stderr(stdout.clone())
                    .with_fs_config(fs);
                let start = Instant::now();
                let result = runtime.instantiate_module(compiled, config);
                let took = start.elapsed();
                let line = stdout.to_string_lossy();
                match result {
                    Ok(module) => module.close()?,
                    Err(WazeroError::Exit(0)) => {}
                    Err(e) => {
                        return Err(format!("many_files failed: {e}; output: {line:?}").into())
                    }
                }
                Ok((line, took))
            }
        }
    }
}

/// Measures `config` in this process (a child's work): the line the program
/// printed (which every run must repeat) and the time per run.
pub fn run_one(config: Config, quick: bool) -> Result<Measured> {
    let settings = if quick {
        Settings::QUICK
    } else {
        Settings::FULL
    };
    let count = count(quick);
    let runner = Runner::new(config)?;
    let (line, _) = runner.run(count, SIZE)?;
    let checksum = parse_checksum(&line, count, SIZE)?;
    let stats = measure(&settings, |iters| {
        let mut took = Duration::ZERO;
        for _ in 0..iters {
            let (again, time) = runner.run(count, SIZE)?;
            if again != line {
                return Err(format!("printed {line:?}, then {again:?}").into());
            }
            took += time;
        }
        Ok(took)
    })?;
    Ok(Measured {
        input: format!("{count} files x {SIZE} B"),
        check: checksum as i64,
        stats,
    })
}

/// What the three configurations measured, over all rounds.
pub struct Report {
    /// The input, e.g. `2000 files x 100 B`.
    input: String,
    /// Files per run.
    count: u64,
    /// Per configuration, in [`Config::ALL`] order.
    stats: Vec<(Config, Stats)>,
}

/// Runs every configuration, each in its own process, `rounds` times
/// alternating, and checks they print the same (and the known) checksum.
pub fn run(quick: bool, rounds: u32) -> Result<Report> {
    let count = count(quick);
    let mut input = String::new();
    let mut stats: Vec<(Config, Option<Stats>)> = Config::ALL.map(|c| (c, None)).into();
    let mut checksum: Option<(Config, u64)> = None;
    for _ in 0..rounds.max(1) {
        for (config, merged) in &mut stats {
            let m = spawn_child(&[NAME, config.name()], config.name(), quick)?;
            let got = m.check as u64;
            match checksum {
                None => checksum = Some((*config, got)),
                Some((first, want)) if want != got => {
                    return Err(format!(
                        "the configurations disagree: {} printed checksum 0x{want:016x}, {} 0x{got:016x}",
                        first.name(),
                        config.name()
                    )
                    .into())
                }
                Some(_) => {}
            }
            input = m.input;
            *merged = Some(match merged.take() {
                None => m.stats,
                Some(s) => s.merge(m.stats),
            });
        }
    }
    if let Some((_, got)) = checksum {
        let known = KNOWN_CHECKSUMS
            .iter()
            .find(|&&(c, s, _)| c == count && s == SIZE);
        if let Some(&(_, _, want)) = known.filter(|&&(_, _, want)| want != got) {
            return Err(format!(
                "checksum 0x{got:016x} in every configuration, expected 0x{want:016x}"
            )
            .into());
        }
    }
    let stats = stats
        .into_iter()
        .map(|(c, s)| s.map(|s| (c, s)).ok_or("no round ran"))
        .collect::<std::result::Result<_, _>>()?;
    Ok(Report {
        input,
        count,
        stats,
    })
}

/// `median (min)` of `stats` per run and per file.
fn cells(stats: &Stats, count: u64) -> (String, String) {
    let per_file = |d: Duration| format_duration(d / count.max(1) as u32);
    (
        format!(
            "{} ({})",
            format_duration(stats.median()),
            format_duration(stats.min())
        ),
        format!("{} ({})", per_file(stats.median()), per_file(stats.min())),
    )
}

/// `a / b` of the medians and of the minimums.
fn ratios(a: &Stats, b: &Stats) -> (f64, f64) {
    let r = |x: Duration, y: Duration| x.as_secs_f64() / y.as_secs_f64().max(1e-12);
    (r(a.median(), b.median()), r(a.min(), b.min()))
}

/// Prints the WASI file I/O table and what it means.
pub fn report(report: &Report) {
    let Some((_, native)) = report.stats.iter().find(|(c, _)| *c == Config::Native) else {
        return;
    };
    println!();
    println!(
        "WASI file I/O: one run of many_files ({}: create, write, read back and remove \
         each file), median (min); per file = per run / {} files.",
        report.input, report.count
    );
    println!();
    println!("| {NAME} | per run | per file | native / this |");
    println!("|---|---:|---:|---:|");
    for (config, stats) in &report.stats {
        let (run, file) = cells(stats, report.count);
        let (median, min) = ratios(native, stats);
        println!(
            "| {} | {run} | {file} | {median:.2} ({min:.2}) |",
            config.label()
        );
    }
    println!();
    println!(
        "native / this = native time / this configuration's time, of the medians (of the \
         minimums): below 1, the sandbox and the interpreter cost that much."
    );
    for (config, stats) in &report.stats {
        if *config == Config::Native {
            continue;
        }
        let (median, _) = ratios(stats, native);
        let noise = stats.spread().max(native.spread());
        println!(
            "  {:<10} takes {median:.2}x native's time{}",
            config.name(),
            if noise > NOISY_SPREAD {
                format!(
                    " (noisy: interquartile spread {:.0}%, re-run)",
                    noise * 100.0
                )
            } else {
                String::new()
            }
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn native_matches_the_c_programs_checksums() -> Result<()> {
        for &(count, size, want) in &KNOWN_CHECKSUMS {
            let dir = TempDir::new()?;
            let line = native_many_files(&dir.0, count, size)?;
            assert_eq!(line, output_line(count, size, want));
            assert_eq!(parse_checksum(&line, count, size)?, want);
            assert_eq!(std::fs::read_dir(&dir.0)?.count(), 0, "files left behind");
        }
        Ok(())
    }

    #[test]
    fn every_configuration_prints_the_same_line() -> Result<()> {
        for config in Config::ALL {
            let (line, _) = Runner::new(config)?.run(10, 100)?;
            assert_eq!(
                line, "files 10 bytes 1000 checksum 0x9a6eba136ecc8981\n",
                "{config:?}"
            );
        }
        Ok(())
    }

    #[test]
    fn a_wrong_line_is_refused() {
        assert!(parse_checksum("files 10 bytes 999 checksum 0x01\n", 10, 100).is_err());
        assert!(parse_checksum("FAIL mkdir /data: x\n", 10, 100).is_err());
        assert_eq!(
            parse_checksum(&output_line(3, 5, 0xab), 3, 5).ok(),
            Some(0xab)
        );
    }
}
