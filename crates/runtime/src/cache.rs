//! Compilation caches (wazero's `CompilationCache`): compiled code kept in
//! memory, and optionally in a directory, keyed by everything that determines it.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};
use wazero_store::{CompiledCode, Engine};
use wazero_validator::ValidatedModule;

/// A cache of compiled modules, shared by every runtime configured with it
/// (`RuntimeConfig::with_compilation_cache`). Cloning shares the cache.
///
/// Entries are keyed by a SHA-256 of the module's bytes, the enabled features,
/// and the engine's identity (its version, target CPU features and code
/// settings), so code is only reused where it would have been compiled the same.
///
/// With a directory, compiled code is also written there and read back by later
/// processes. An entry is used only after its header, key and checksum (a
/// CRC-32 of its contents) match and the engine accepts its layout; a
/// corrupt, truncated or foreign entry is ignored (the module is compiled
/// again and the entry rewritten). An entry is written only for a module that
/// passed validation, so a module read back from one has its module-level
/// rules checked again but not its function bodies. The directory must be
/// writable only by users trusted to supply machine code to this process.
///
/// [`stats`](CompilationCache::stats) says how many compilations it saved.
///
/// ```
/// use wazero::{CompilationCache, Runtime, RuntimeConfig};
/// let cache = CompilationCache::new();
/// let wasm = wat::parse_str("(module (func (export \"f\")))").unwrap();
/// for _ in 0..2 {
///     let runtime = Runtime::with_config(RuntimeConfig::new().with_compilation_cache(&cache));
///     runtime.compile_module(&wasm).unwrap(); // the second compiles nothing
/// }
/// ```
#[derive(Clone, Default)]
pub struct CompilationCache {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    /// By key and engine name (see [`Entry::engine`]).
    memory: Mutex<HashMap<([u8; 32], &'static str), Entry>>,
    dir: Option<PathBuf>,
    memory_hits: AtomicU64,
    disk_hits: AtomicU64,
    misses: AtomicU64,
    rejected: AtomicU64,
}

/// How a [`CompilationCache`] has served the runtimes using it, since it was
/// made ([`CompilationCache::stats`]).
///
/// Each [`Runtime::compile_module`](crate::Runtime::compile_module) of a
/// runtime configured with the cache counts once: as a **hit** when it
/// compiled nothing, the code coming from memory (a module compiled before by
/// this cache object or a clone of it) or from the cache's directory (a file
/// an earlier process or cache object wrote); as a **miss** otherwise, when
/// there was no entry or only one that could not be used (corrupt, truncated,
/// from another engine build: also counted in `rejected`), or when the module
/// failed to decode or validate.
///
/// ```
/// use wazero::{CompilationCache, Runtime, RuntimeConfig};
/// let cache = CompilationCache::new();
/// let runtime = Runtime::with_config(RuntimeConfig::new().with_compilation_cache(&cache));
/// let wasm = wat::parse_str("(module (func (export \"f\")))")?;
/// runtime.compile_module(&wasm)?;
/// runtime.compile_module(&wasm)?;
/// let stats = cache.stats();
/// assert_eq!((stats.hits, stats.misses, stats.memory_hits), (1, 1, 1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheStats {
    /// Compilations served from the cache: `memory_hits + disk_hits`.
    pub hits: u64,
    /// Of the hits, those served from memory.
    pub memory_hits: u64,
    /// Of the hits, those read from the directory.
    pub disk_hits: u64,
    /// Compilations the cache could not serve.
    pub misses: u64,
    /// Of the misses, those where the directory had an entry that could not
    /// be used (it is rewritten after compiling).
    pub rejected: u64,
    /// Modules held in memory now.
    pub entries: u64,
}

/// A module compiled before.
#[derive(Clone)]
pub(crate) struct Entry {
    pub(crate) module: Arc<ValidatedModule>,
    pub(crate) code: Arc<dyn CompiledCode>,
    /// The engine whose code it is: engines that share a key (the tiered
    /// engine and its compiler, whose files on disk are the same) keep code
    /// of their own types in memory.
    pub(crate) engine: &'static str,
}

impl std::fmt::Debug for CompilationCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompilationCache")
            .field("dir", &self.inner.dir)
            .finish()
    }
}

/// The first bytes of a cache file's trailer (`WZCACHE1` had no facts and a
/// SHA-256 of the payload; `WZCACHE2` had a header instead of a trailer).
const MAGIC: &[u8; 8] = b"WZCACHE3";
/// A cache file is the engine's payload, then a trailer: magic, key, facts,
/// payload length, payload checksum ([`checksum`]). The payload comes first
/// so that the engine can align parts of it in the file (machine code, to
/// map it rather than copy it: see `Engine::deserialize`).
const TRAILER: usize = 8 + 32 + 8 + 8 + 8;

/// A bit of an entry's facts: the module's functions have exception
/// handlers ([`ValidatedModule::catches`]).
const CATCHES: u64 = 1;

impl CompilationCache {
    /// A cache in memory only.
    pub fn new() -> Self {
        Self::default()
    }

    /// A cache in memory that also keeps compiled code in `dir` (created if
    /// missing), so that later processes skip compilation.
    pub fn with_dir(dir: impl AsRef<Path>) -> std::io::Result<Self> {
        let dir = dir.as_ref().to_path_buf();
        std::fs::create_dir_all(&dir)?;
        Ok(Self {
            inner: Arc::new(Inner {
                dir: Some(dir),
                ..Inner::default()
            }),
        })
    }

    /// The directory, if any.
    pub fn dir(&self) -> Option<&Path> {
        self.inner.dir.as_deref()
    }

    /// How often it has saved a compilation, and how often not (see
    /// [`CacheStats`] for what counts as what). Shared by clones.
    pub fn stats(&self) -> CacheStats {
        let inner = &*self.inner;
        let memory_hits = inner.memory_hits.load(Ordering::Relaxed);
        let disk_hits = inner.disk_hits.load(Ordering::Relaxed);
        let entries = inner.memory.lock().unwrap_or_else(|e| e.into_inner()).len() as u64;
        CacheStats {
            hits: memory_hits + disk_hits,
            memory_hits,
            disk_hits,
            misses: inner.misses.load(Ordering::Relaxed),
            rejected: inner.rejected.load(Ordering::Relaxed),
            entries,
        }
    }

    /// Counts a compilation the cache could not serve.
    pub(crate) fn count_miss(&self) {
        self.inner.misses.fetch_add(1, Ordering::Relaxed);
    }

    /// The key of `wasm` compiled by `engine` with `features`.
    pub(crate) fn key(engine: &dyn Engine, features: u32, wasm: &[u8]) -> [u8; 32] {
        let mut h = Sha256::new();
        let id = engine.cache_key();
        h.update((id.len() as u64).to_le_bytes());
        h.update(id.as_bytes());
        h.update(features.to_le_bytes());
        h.update(wasm);
        h.finalize().into()
    }

    /// The entry in memory for `key`.
    pub(crate) fn get(&self, key: &[u8; 32], engine: &dyn Engine) -> Option<Entry> {
        let map = self.inner.memory.lock().unwrap_or_else(|e| e.into_inner());
        let entry = map.get(&(*key, engine.name())).cloned();
        if entry.is_some() {
            self.inner.memory_hits.fetch_add(1, Ordering::Relaxed);
        }
        entry
    }

    /// Writes freshly compiled `code` to the directory, if there is one and the
    /// engine can serialize it: now, or when the engine can (the tiered
    /// engine's compiled code, once its background compilation is done; the
    /// entry is then written on that thread).
    pub(crate) fn store(
        &self,
        key: &[u8; 32],
        module: &ValidatedModule,
        code: &Arc<dyn CompiledCode>,
        engine: &dyn Engine,
    ) {
        if let Some(dir) = &self.inner.dir {
            let (dir, key) = (dir.clone(), *key);
            let facts = if module.catches() { CATCHES } else { 0 };
            engine.serialize_when_ready(
                code,
                Box::new(move |payload| {
                    // A cache that cannot be written is no cache: compilation
                    // still succeeded, so a failure here is not the caller's
                    // error.
                    let _ = write_entry(&dir, &key, facts, &payload);
                }),
            );
        }
    }

    /// Remembers `entry` in memory.
    pub(crate) fn put(&self, key: [u8; 32], entry: Entry) {
        let mut map = self.inner.memory.lock().unwrap_or_else(|e| e.into_inner());
        map.insert((key, entry.engine), entry);
    }

    /// The validated module and its code from the directory, if an intact
    /// entry for `key` is there (counted as a disk hit); else counts a miss,
    /// and an entry found but unusable as rejected, and gives `module` back
    /// if no entry was found or the entry was refused before taking it.
    ///
    /// `module` is `wasm` decoded with `features`, the key's. An entry is
    /// written only for a module that passed validation, so its function
    /// bodies are not validated again (on a 28 MB module, that validation
    /// is most of the start-up): see the `SAFETY` argument inside.
    pub(crate) fn load(
        &self,
        key: &[u8; 32],
        module: Box<wazero_decoder::Module>,
        features: wazero_api::CoreFeatures,
        engine: &dyn Engine,
    ) -> Loaded {
        let (loaded, found) = self.load_from_dir(key, module, features, engine);
        let counter = match &loaded {
            Loaded::Hit(..) => &self.inner.disk_hits,
            Loaded::Miss(_) => {
                if found {
                    self.inner.rejected.fetch_add(1, Ordering::Relaxed);
                }
                &self.inner.misses
            }
        };
        counter.fetch_add(1, Ordering::Relaxed);
        loaded
    }

    /// What [`load`](Self::load) loads, and whether an entry was found.
    fn load_from_dir(
        &self,
        key: &[u8; 32],
        module: Box<wazero_decoder::Module>,
        features: wazero_api::CoreFeatures,
        engine: &dyn Engine,
    ) -> (Loaded, bool) {
        let Some(dir) = self.inner.dir.as_ref() else {
            return (Loaded::Miss(Some(module)), false);
        };
        let Ok(file) = std::fs::File::open(dir.join(file_name(key))) else {
            return (Loaded::Miss(Some(module)), false);
        };
        // Mapped, not read: a large module's entry is tens of megabytes,
        // whose copy into fresh pages took a fifth of a cached start. The
        // engine maps the code it keeps from the file too (or copies it).
        //
        // SAFETY: the mapping is read while mapped, and the engine's code
        // mapping runs while the module lives, so the file's bytes must not
        // change meanwhile. Entries are never written in place: `write_entry`
        // writes a temporary file and renames it over the entry, which
        // leaves this mapping's file as it was. The directory must be
        // writable only by users trusted to supply machine code to this
        // process (see the type's documentation), who could change an entry
        // between its check and its use anyway.
        let Ok(bytes) = (unsafe { memmap2::Mmap::map(&file) }) else {
            // An entry is there (an empty file cannot be mapped everywhere).
            return (Loaded::Miss(Some(module)), true);
        };
        let Some((facts, payload)) = check_entry(&bytes, key) else {
            return (Loaded::Miss(Some(module)), true);
        };
        // SAFETY: `validate_trusting_bodies` needs bytes that `validate`
        // accepted with these features, in this version of the validator,
        // and what it found of their handlers. The entry's key is a SHA-256
        // of the engine's cache key (which names the version of wazero's
        // crates, one for the whole workspace), the features and the
        // module's bytes; `store` writes an entry only for a module that
        // passed `validate` (from `compile_module`, after it), with that
        // validation's `catches` in its facts; `check_entry` has just found
        // the key and the checksum intact. The directory itself must be
        // trusted (see the type's documentation): whoever can write to it
        // can give this process machine code to run anyway.
        let validated = unsafe {
            wazero_validator::validate_trusting_bodies(*module, features, facts & CATCHES != 0)
        };
        let Ok(validated) = validated else {
            return (Loaded::Miss(None), true);
        };
        let validated = Arc::new(validated);
        // The engine maps the code from the file: it is there, unchanged,
        // as long as the file is open (see the `SAFETY` argument above).
        match engine.deserialize(&validated, payload, Some(&file)) {
            Some(code) => (Loaded::Hit(validated, code), true),
            None => (Loaded::Miss(None), true),
        }
    }
}

/// What [`CompilationCache::load`] found.
pub(crate) enum Loaded {
    /// The module and its code, from an entry.
    Hit(Arc<ValidatedModule>, Arc<dyn CompiledCode>),
    /// No usable entry: the module given back, unless an entry took it.
    Miss(Option<Box<wazero_decoder::Module>>),
}

/// The file of the entry for `key`.
fn file_name(key: &[u8; 32]) -> String {
    key.iter().map(|b| format!("{b:02x}")).collect()
}

/// The checksum of an entry's facts and payload: CRC-32 (IEEE), which
/// `crc32fast` computes at several GB/s (a SHA-256 of a 28 MB module's
/// 50 MB entry took a sixth of its start-up). It guards against entries
/// damaged on disk, not against someone who can write to the directory (the
/// key, a SHA-256, names the module; see [`CompilationCache`]).
fn checksum(facts: u64, payload: &[u8]) -> u64 {
    let mut crc = crc32fast::Hasher::new();
    crc.update(&facts.to_le_bytes());
    crc.update(payload);
    u64::from(crc.finalize())
}

/// The facts and payload of a cache file, if its trailer, key and checksum
/// are intact.
fn check_entry<'a>(bytes: &'a [u8], key: &[u8; 32]) -> Option<(u64, &'a [u8])> {
    let (payload, trailer) = bytes.split_at_checked(bytes.len().checked_sub(TRAILER)?)?;
    if &trailer[..8] != MAGIC || &trailer[8..40] != key {
        return None;
    }
    let word = |at: usize| Some(u64::from_le_bytes(trailer[at..at + 8].try_into().ok()?));
    let (facts, len, sum) = (word(40)?, word(48)?, word(56)?);
    if payload.len() as u64 != len || checksum(facts, payload) != sum {
        return None;
    }
    Some((facts, payload))
}

/// Writes an entry atomically (a temporary file renamed into place), so that a
/// reader never sees half of one, and an entry once written never changes
/// (readers map it).
fn write_entry(dir: &Path, key: &[u8; 32], facts: u64, payload: &[u8]) -> std::io::Result<()> {
    let name = file_name(key);
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(payload)?;
    f.write_all(MAGIC)?;
    f.write_all(key)?;
    f.write_all(&facts.to_le_bytes())?;
    f.write_all(&(payload.len() as u64).to_le_bytes())?;
    f.write_all(&checksum(facts, payload).to_le_bytes())?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, dir.join(name)).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_checked_before_use() {
        let key = [7u8; 32];
        let dir = std::env::temp_dir().join(format!("wazero-cache-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        write_entry(&dir, &key, CATCHES, b"payload").unwrap();
        let good = std::fs::read(dir.join(file_name(&key))).unwrap();
        assert_eq!(check_entry(&good, &key), Some((CATCHES, &b"payload"[..])));
        let mut flipped = good.clone();
        flipped[0] ^= 1;
        let cases: [(&str, Vec<u8>); 7] = [
            ("empty", Vec::new()),
            ("truncated trailer", good[good.len() - 20..].to_vec()),
            ("truncated payload", good[1..].to_vec()),
            ("truncated", good[..good.len() - 1].to_vec()),
            ("flipped payload bit", flipped),
            ("another key", {
                let mut b = good.clone();
                b[7 + 8] ^= 1;
                b
            }),
            ("another format", {
                let mut b = good.clone();
                b[7] = b'X';
                b
            }),
        ];
        for (what, bytes) in cases {
            assert_eq!(check_entry(&bytes, &key), None, "{what}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
