//! The `compile-cache` benchmark: the compiler's directory cache
//! (`CompilationCache::with_dir`) on the large generated module.
//!
//! * **first**: a fresh cache on an empty directory per sample; the timed
//!   `compile_module` decodes, validates, compiles, serializes the code and
//!   writes the entry (with its SHA-256, then `fsync`).
//! * **second**: the entry is written once, untimed; then each sample makes a
//!   fresh `CompilationCache::with_dir` on that directory (nothing in memory) and
//!   a fresh runtime, and the timed `compile_module` decodes and validates the
//!   module, reads the entry, checks its SHA-256 and maps its code. The entry
//!   must not be rewritten meanwhile (a miss would rewrite it): the run fails if
//!   its modification time changes.
//!
//! The directories are made under `std::env::temp_dir()` and removed after.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use wazero::{CompilationCache, Runtime, RuntimeConfig};

use crate::engines::Result;
use crate::measure::{measure, Settings, Stats};

/// A directory of this process's own under the temporary directory, removed
/// when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(what: &str) -> Result<TempDir> {
        let dir = std::env::temp_dir().join(format!("wazero-bench-{what}-{}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(&dir)?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Compiles `wasm` on a fresh compiler runtime with a fresh cache on `dir`;
/// returns the time `compile_module` took.
fn compile_with_cache(dir: &Path, wasm: &[u8]) -> Result<Duration> {
    let cache = CompilationCache::with_dir(dir)?;
    let runtime = Runtime::with_config(RuntimeConfig::compiler().with_compilation_cache(&cache));
    let start = Instant::now();
    let module = runtime.compile_module(wasm)?;
    let took = start.elapsed();
    drop(module);
    Ok(took)
}

/// The files in `dir` (the cache entries) with their sizes and modification times.
fn entries(dir: &Path) -> Result<Vec<(PathBuf, u64, SystemTime)>> {
    let mut list = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        list.push((entry.path(), meta.len(), meta.modified()?));
    }
    list.sort();
    Ok(list)
}

/// The one entry in `dir`, or an error.
fn only_entry(dir: &Path) -> Result<(PathBuf, u64, SystemTime)> {
    let mut list = entries(dir)?;
    match list.len() {
        1 => Ok(list.remove(0)),
        n => Err(format!("the cache directory holds {n} files, expected 1").into()),
    }
}

/// Times the first compilation, into an empty cache directory; also returns the
/// size of the entry it writes, in bytes.
pub fn time_first(wasm: &[u8], settings: &Settings) -> Result<(Stats, u64)> {
    let base = TempDir::new("cache-first")?;
    let mut size = 0;
    let mut round = 0u64;
    let stats = measure(settings, |iters| {
        let mut took = Duration::ZERO;
        for _ in 0..iters {
            let dir = base.0.join(round.to_string());
            round += 1;
            took += compile_with_cache(&dir, wasm)?;
            size = only_entry(&dir)?.1;
            std::fs::remove_dir_all(&dir)?;
        }
        Ok(took)
    })?;
    Ok((stats, size))
}

/// Times the second compilation: a fresh cache on a directory that holds the
/// module's entry; also returns the entry's size in bytes.
pub fn time_second(wasm: &[u8], settings: &Settings) -> Result<(Stats, u64)> {
    let dir = TempDir::new("cache-second")?;
    compile_with_cache(&dir.0, wasm)?;
    let (path, size, written) = only_entry(&dir.0)?;
    let stats = measure(settings, |iters| {
        let mut took = Duration::ZERO;
        for _ in 0..iters {
            took += compile_with_cache(&dir.0, wasm)?;
        }
        Ok(took)
    })?;
    let (path_after, _, modified) = only_entry(&dir.0)?;
    if path_after != path || modified != written {
        return Err(
            "the cache entry was rewritten: the second compilation missed the cache".into(),
        );
    }
    Ok((stats, size))
}
