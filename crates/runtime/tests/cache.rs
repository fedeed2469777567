//! Compilation caches: in memory and in a directory; damaged entries are
//! ignored and replaced, never run.

use std::path::PathBuf;

use wazero::{CompilationCache, Runtime, RuntimeConfig};

mod engines;

const WAT: &str = r#"(module
  (func $fib (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2))))))))"#;

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let path = std::env::temp_dir().join(format!("wazero-cache-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn fib10(runtime: &Runtime, wasm: &[u8]) -> Vec<u64> {
    let m = runtime
        .instantiate_module(&runtime.compile_module(wasm).unwrap(), Default::default())
        .unwrap();
    m.exported_function("fib").unwrap().call(&[10]).unwrap()
}

fn entries(dir: &TempDir) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    v.sort();
    v
}

#[test]
fn a_memory_cache_is_shared_by_runtimes() {
    let wasm = wat::parse_str(WAT).unwrap();
    for config in engines::engines() {
        let cache = CompilationCache::new();
        for _ in 0..3 {
            let runtime = Runtime::with_config(config.clone().with_compilation_cache(&cache));
            assert_eq!(fib10(&runtime, &wasm), vec![55]);
        }
    }
}

#[test]
fn a_directory_cache_survives_and_damaged_entries_are_recompiled() {
    if !engines::HAS_COMPILER {
        return; // the directory cache keeps compiled code only
    }
    let wasm = wat::parse_str(WAT).unwrap();
    let dir = TempDir::new("dir");
    let fresh = || {
        // A new cache object each time: nothing in memory, only the directory.
        let cache = CompilationCache::with_dir(&dir.0).unwrap();
        Runtime::with_config(RuntimeConfig::compiler().with_compilation_cache(&cache))
    };
    assert_eq!(fib10(&fresh(), &wasm), vec![55]);
    let files = entries(&dir);
    assert_eq!(files.len(), 1, "{files:?}");
    let good = std::fs::read(&files[0]).unwrap();
    let written = std::fs::metadata(&files[0]).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    assert_eq!(fib10(&fresh(), &wasm), vec![55]);
    let modified = std::fs::metadata(&files[0]).unwrap().modified().unwrap();
    assert_eq!(modified, written, "a good entry is read, not rewritten");

    // Each damage is detected; the module is compiled again (same results)
    // and the entry rewritten.
    let mut damaged: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("truncated", good[..good.len() / 2].to_vec()),
        ("garbage", vec![0xcc; good.len()]),
    ];
    // The payload, then the trailer's magic, key, facts, length and checksum.
    let trailer = good.len() - 64;
    for at in [
        0,
        8,
        100,
        trailer - 1,
        trailer,
        trailer + 8,
        trailer + 40,
        trailer + 48,
        good.len() - 1,
    ] {
        let mut b = good.clone();
        b[at] ^= 0x40;
        damaged.push(("one flipped byte", b));
    }
    // Another module's entry under this module's name: its key does not match.
    let other =
        wat::parse_str(r#"(module (func (export "fib") (param i32) (result i32) (i32.const 7)))"#)
            .unwrap();
    {
        let scratch = TempDir::new("other");
        let cache = CompilationCache::with_dir(&scratch.0).unwrap();
        let rt = Runtime::with_config(RuntimeConfig::compiler().with_compilation_cache(&cache));
        assert_eq!(fib10(&rt, &other), vec![7]);
        damaged.push((
            "another module's entry",
            std::fs::read(&entries(&scratch)[0]).unwrap(),
        ));
    }
    // An entry of the same module made with explicit bounds checks (another
    // engine configuration) is foreign too.
    {
        let scratch = TempDir::new("explicit");
        let cache = CompilationCache::with_dir(&scratch.0).unwrap();
        let rt = Runtime::with_config(
            RuntimeConfig::compiler()
                .with_explicit_bounds_checks(true)
                .with_compilation_cache(&cache),
        );
        assert_eq!(fib10(&rt, &wasm), vec![55]);
        let foreign = std::fs::read(&entries(&scratch)[0]).unwrap();
        let key = |entry: &[u8]| entry[entry.len() - 56..entry.len() - 24].to_vec();
        assert_ne!(
            key(&foreign),
            key(&good),
            "the configuration is part of the key"
        );
        damaged.push(("another configuration's entry", foreign));
    }
    for (what, bytes) in damaged {
        std::fs::write(&files[0], &bytes).unwrap();
        assert_eq!(fib10(&fresh(), &wasm), vec![55], "{what}");
        assert_eq!(std::fs::read(&files[0]).unwrap(), good, "{what}: rewritten");
    }
}

#[test]
fn statistics_count_a_miss_then_hits_from_memory() {
    let wasm = wat::parse_str(WAT).unwrap();
    for (engine, config) in engines::named() {
        let cache = CompilationCache::new();
        assert_eq!(cache.stats(), wazero::CacheStats::default(), "{engine}");
        let runtime = Runtime::with_config(config.clone().with_compilation_cache(&cache));
        runtime.compile_module(&wasm).unwrap();
        let s = cache.stats();
        assert_eq!((s.hits, s.misses, s.entries), (0, 1, 1), "{engine}: {s:?}");
        runtime.compile_module(&wasm).unwrap();
        let s = cache.stats();
        assert_eq!(
            (s.hits, s.memory_hits, s.disk_hits, s.misses),
            (1, 1, 0, 1),
            "{engine}: {s:?}"
        );
        // Another runtime, a clone of the cache: the same counters.
        let other = Runtime::with_config(config.clone().with_compilation_cache(&cache.clone()));
        other.compile_module(&wasm).unwrap();
        assert_eq!(cache.stats().hits, 2, "{engine}");
        // A module that does not decode is a miss, and adds no entry.
        assert!(runtime.compile_module(b"\0asm junk").is_err());
        let s = cache.stats();
        assert_eq!(
            (s.hits, s.misses, s.rejected, s.entries),
            (2, 2, 0, 1),
            "{engine}: {s:?}"
        );
    }
}

#[test]
fn statistics_count_directory_hits_and_rejected_entries() {
    if !engines::HAS_COMPILER {
        return; // the directory cache keeps compiled code only
    }
    let wasm = wat::parse_str(WAT).unwrap();
    let dir = TempDir::new("stats");
    let compile = || {
        // A fresh cache object over the same directory: nothing in memory.
        let cache = CompilationCache::with_dir(&dir.0).unwrap();
        let runtime =
            Runtime::with_config(RuntimeConfig::compiler().with_compilation_cache(&cache));
        runtime.compile_module(&wasm).unwrap();
        cache.stats()
    };
    let s = compile();
    assert_eq!((s.hits, s.misses, s.rejected), (0, 1, 0), "first: {s:?}");
    let s = compile();
    assert_eq!(
        (s.hits, s.disk_hits, s.memory_hits, s.misses),
        (1, 1, 0, 0),
        "from the directory: {s:?}"
    );
    // A corrupt entry is a miss (and rejected); it is rewritten, so the next
    // fresh cache hits again.
    let file = &entries(&dir)[0];
    let mut bytes = std::fs::read(file).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(file, &bytes).unwrap();
    let s = compile();
    assert_eq!((s.hits, s.misses, s.rejected), (0, 1, 1), "corrupt: {s:?}");
    let s = compile();
    assert_eq!((s.hits, s.disk_hits), (1, 1), "rewritten: {s:?}");
    // An empty entry is rejected as well.
    std::fs::write(file, b"").unwrap();
    let s = compile();
    assert_eq!((s.hits, s.misses, s.rejected), (0, 1, 1), "empty: {s:?}");
}

/// The tiered engine writes its entry when its background compilation is
/// done (it has compiled nothing when `compile_module` returns), and a later
/// runtime reading the entry runs the module compiled from its first call:
/// with a call-depth limit of 50 frames, a recursion 100 deep traps in the
/// interpreter and completes in compiled code.
#[test]
fn the_tiered_engine_caches_the_code_compiled_in_the_background() {
    use std::sync::{mpsc, Mutex};
    use wazero::engine::TierPolicy;
    if !engines::HAS_COMPILER {
        return;
    }
    let wasm = wat::parse_str(
        r#"(module (func $rec (export "rec") (param i32) (result i32)
            (if (result i32) (i32.eqz (local.get 0))
                (then (i32.const 0))
                (else (i32.add (i32.const 1)
                    (call $rec (i32.sub (local.get 0) (i32.const 1))))))))"#,
    )
    .unwrap();
    let dir = TempDir::new("tiered");
    let (done, finished) = mpsc::channel();
    let done = Mutex::new(done);
    let policy = TierPolicy::default().with_on_tier_up(move |t| {
        done.lock().unwrap().send(t.error.clone()).unwrap();
    });
    let tiered = |policy: TierPolicy| {
        let cache = CompilationCache::with_dir(&dir.0).unwrap();
        let config = RuntimeConfig::new()
            .with_tier_policy(policy)
            .with_max_call_depth(50)
            .with_compilation_cache(&cache);
        (Runtime::with_config(config), cache)
    };
    let (runtime, cache) = tiered(policy);
    let module = runtime.instantiate(&wasm).unwrap();
    assert!(entries(&dir).is_empty(), "nothing compiled yet");
    let rec = module.exported_function("rec").unwrap();
    assert_eq!(rec.call(&[10]).unwrap(), vec![10]);
    let error = finished
        .recv_timeout(std::time::Duration::from_secs(120))
        .expect("the background compilation ends");
    assert_eq!(error, None);
    assert_eq!(entries(&dir).len(), 1, "written once compiled");
    assert_eq!(rec.call(&[100]).unwrap(), vec![100], "compiled now");
    assert_eq!(cache.stats().misses, 1);

    // A new process would find the entry: a new cache object on the directory.
    let (runtime, cache) = tiered(TierPolicy::default().with_calls(u32::MAX));
    let module = runtime.instantiate(&wasm).unwrap();
    let rec = module.exported_function("rec").unwrap();
    assert_eq!(
        rec.call(&[100]).unwrap(),
        vec![100],
        "compiled from the start"
    );
    assert_eq!(cache.stats().disk_hits, 1);

    // The compiler reads the same entry, and one cache object serves both
    // engines, each with code of its own type in memory: the second
    // compiler runtime finds the first one's.
    let shared = CompilationCache::with_dir(&dir.0).unwrap();
    for config in [
        RuntimeConfig::compiler(),
        RuntimeConfig::new().with_tier_policy(TierPolicy::default().with_calls(u32::MAX)),
        RuntimeConfig::compiler(),
    ] {
        let runtime = Runtime::with_config(
            config
                .with_max_call_depth(50)
                .with_compilation_cache(&shared),
        );
        let module = runtime.instantiate(&wasm).unwrap();
        let rec = module.exported_function("rec").unwrap();
        assert_eq!(rec.call(&[100]).unwrap(), vec![100]);
    }
    let stats = shared.stats();
    assert_eq!(
        (stats.disk_hits, stats.memory_hits, stats.misses),
        (2, 1, 0)
    );
    assert_eq!(entries(&dir).len(), 1);
}

/// A module read back from the directory has its function bodies taken as
/// validated when its entry was written, and what that validation found with
/// them: here, that the module catches exceptions. Its compiled code, read
/// back, still catches an exception a callee throws.
#[test]
fn a_module_read_back_keeps_its_exception_handlers() {
    if !engines::HAS_COMPILER {
        return;
    }
    let wasm = wat::parse_str(
        r#"(module
            (tag $t (param i32))
            (func $thrower (param i32) (throw $t (local.get 0)))
            (func (export "catch") (param i32) (result i32)
                (block $h (result i32)
                    (try_table (catch $t $h) (call $thrower (local.get 0)))
                    (i32.const -1))))"#,
    )
    .unwrap();
    let dir = TempDir::new("catches");
    let run = || {
        let cache = CompilationCache::with_dir(&dir.0).unwrap();
        let runtime =
            Runtime::with_config(RuntimeConfig::compiler().with_compilation_cache(&cache));
        let module = runtime.instantiate(&wasm).unwrap();
        let caught = module.exported_function("catch").unwrap().call(&[41]);
        (caught.unwrap(), cache.stats())
    };
    let (caught, stats) = run();
    assert_eq!((caught, stats.misses), (vec![41], 1));
    let (caught, stats) = run();
    assert_eq!((caught, stats.disk_hits), (vec![41], 1), "read back");

    // The facts are checksummed with the code: an entry whose facts say
    // otherwise is rejected and rewritten, never run.
    let file = &entries(&dir)[0];
    let mut bytes = std::fs::read(file).unwrap();
    let facts = bytes.len() - 24;
    bytes[facts] ^= 1;
    std::fs::write(file, &bytes).unwrap();
    let (caught, stats) = run();
    assert_eq!(
        (caught, stats.rejected, stats.misses),
        (vec![41], 1, 1),
        "facts changed"
    );
}

/// A module-level error is still found in a module whose entry is in the
/// directory (only function bodies are taken as validated before): the
/// bytes of an entry's module with another byte at the end do not match its
/// key, and a truncated module fails to decode before the cache is asked.
#[test]
fn a_module_that_does_not_match_its_entry_is_not_read_back() {
    if !engines::HAS_COMPILER {
        return;
    }
    let wasm = wat::parse_str(WAT).unwrap();
    let dir = TempDir::new("mismatch");
    let cache = CompilationCache::with_dir(&dir.0).unwrap();
    let runtime = Runtime::with_config(RuntimeConfig::compiler().with_compilation_cache(&cache));
    runtime.compile_module(&wasm).unwrap();
    let cases: [(&str, Vec<u8>); 2] = [
        ("a byte more", [&wasm[..], &[0]].concat()),
        ("truncated", wasm[..wasm.len() - 1].to_vec()),
    ];
    for (what, bytes) in cases {
        let fresh = CompilationCache::with_dir(&dir.0).unwrap();
        let runtime =
            Runtime::with_config(RuntimeConfig::compiler().with_compilation_cache(&fresh));
        assert!(runtime.compile_module(&bytes).is_err(), "{what}");
        assert_eq!(fresh.stats().hits, 0, "{what}");
    }
}

/// A module whose code is large enough to be aligned in its entry has that
/// code mapped from the entry, executable, rather than copied; it runs the
/// same, and the mapping goes with the module.
#[test]
fn large_code_is_mapped_from_its_entry() {
    if !engines::HAS_COMPILER {
        return;
    }
    // 3000 functions, each calling the one before: over 64 KiB of code.
    const N: u32 = 3000;
    let mut wat = String::from("(module (func $f0 (param i32) (result i32) (local.get 0))\n");
    for i in 1..N {
        wat += &format!(
            "(func $f{i} (param i32) (result i32) \
             (call $f{} (i32.add (i32.mul (local.get 0) (i32.const 3)) (i32.const {i}))))\n",
            i - 1
        );
    }
    wat += &format!("(export \"chain\" (func $f{})))", N - 1);
    let wasm = wat::parse_str(&wat).unwrap();
    let expected = (1..N)
        .rev()
        .fold(5u32, |x, i| x.wrapping_mul(3).wrapping_add(i));
    let dir = TempDir::new("mapped");
    let entry_maps = || {
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap_or_default();
        let entry = entries(&dir)[0].to_string_lossy().into_owned();
        maps.lines()
            .filter(|l| l.ends_with(&entry))
            .map(|l| l.split_whitespace().nth(1).unwrap().to_string())
            .collect::<Vec<_>>()
    };
    for round in ["compiled", "read back"] {
        let cache = CompilationCache::with_dir(&dir.0).unwrap();
        let runtime =
            Runtime::with_config(RuntimeConfig::compiler().with_compilation_cache(&cache));
        let module = runtime.instantiate(&wasm).unwrap();
        let chain = module.exported_function("chain").unwrap();
        assert_eq!(
            chain.call(&[5]).unwrap(),
            vec![u64::from(expected)],
            "{round}"
        );
        if cfg!(target_os = "linux") {
            let maps = entry_maps();
            match round {
                "compiled" => assert_eq!(maps, Vec::<String>::new(), "{round}"),
                _ => assert_eq!(maps, ["r-xp"], "{round}: the code, mapped"),
            }
            drop((chain, module, runtime, cache));
            assert_eq!(entry_maps(), Vec::<String>::new(), "{round}: unmapped");
        }
    }
}
