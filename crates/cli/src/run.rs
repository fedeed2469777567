//! `wazero run` and `wazero compile`.

use std::ffi::OsString;
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

use wazero::{
    wasi_snapshot_preview1, CompilationCache, CompiledModule, FsConfig, InterruptHandle,
    ModuleConfig, Runtime, RuntimeConfig,
};

use crate::args::{CompileArgs, ListenAddr, Mount, RunArgs, Timeout};
use crate::hostlog::ScopedLog;
use crate::report::{self, Failure};

/// How long a guest stopped by `-timeout` may take to return (it cannot while
/// blocked in a host call, e.g. reading standard input or sleeping) before the
/// process exits anyway.
const TIMEOUT_GRACE: Duration = Duration::from_millis(500);

/// Runs the program; returns the process's exit code (the guest's, or 1 after
/// reporting a failure).
pub fn run(args: RunArgs) -> i32 {
    try_run(args).unwrap_or_else(|failure| {
        failure.print();
        1
    })
}

/// Compiles the file; returns the exit code (0, or 1 after reporting why not).
pub fn compile(args: CompileArgs) -> i32 {
    match try_compile(&args) {
        Ok(()) => 0,
        Err(failure) => {
            failure.print();
            1
        }
    }
}

fn try_compile(args: &CompileArgs) -> Result<(), Failure> {
    // The compiler itself, where there is one: the default engine compiles
    // in the background, after `compile` would have returned.
    let base = match Runtime::with_config(RuntimeConfig::compiler()).engine_name() {
        "compiler" => RuntimeConfig::compiler(),
        _ => RuntimeConfig::new(),
    };
    let config = with_cache(base, args.cachedir.as_deref())?;
    let wasm = load(&args.file)?;
    Runtime::with_config(config)
        .compile_module_shared(wasm)
        .map_err(|e| report::module_error(&args.file, &e))?;
    Ok(())
}

fn try_run(args: RunArgs) -> Result<i32, Failure> {
    let config = with_cache(engine_config(&args), args.cachedir.as_deref())?;
    let wasm = load(&args.file)?;
    let fs = fs_config(&args.mounts)?;
    let runtime = Runtime::with_config(config);
    // `-timeout` covers compiling too: a module that takes too long to compile
    // (compilation cannot be interrupted) ends the process at the timeout.
    let watchdog = args
        .timeout
        .as_ref()
        .filter(|t| !t.duration.is_zero())
        .map(|t| Watchdog::start(runtime.interrupt_handle(), t.clone()));
    let compiled = runtime.compile_module_shared(wasm.clone()).map_err(|e| {
        if let Some(watchdog) = &watchdog {
            watchdog.finish();
        }
        match (&args.timeout, e.is_interrupted()) {
            (Some(timeout), true) => report::compile_timeout(timeout),
            _ => report::module_error(&args.file, &e),
        }
    })?;
    if let Some(watchdog) = &watchdog {
        watchdog.running();
    }
    instantiate_wasi(&runtime, &compiled)?;

    let mut config = ModuleConfig::new()
        .with_args(guest_argv(&args.file, &args.args))
        .with_inherited_stdio()
        .with_sys_walltime()
        .with_sys_nanotime()
        .with_sys_nanosleep()
        .with_fs_config(fs);
    if args.env_inherit {
        for (key, value) in std::env::vars_os() {
            config = config.with_env(key.as_encoded_bytes(), value.as_encoded_bytes());
        }
    }
    for (key, value) in &args.env {
        config = config.with_env(key, value);
    }
    for listener in listen(&args.listen)? {
        config = config.with_listener(listener);
    }
    let scopes = args.log_scopes();
    if !scopes.is_empty() {
        config = config.with_host_logging(ScopedLog::new(std::io::stderr(), scopes));
    }

    let result = runtime.instantiate_module(&compiled, config);
    if let Some(watchdog) = watchdog {
        watchdog.finish();
    }
    let outcome = match &result {
        Ok(_) => {
            if !runs_anything(&compiled, &wasm) {
                report::stderr(&format!(
                    "wazero: warning: {} has neither a _start function nor a start section: \
                     it was instantiated, but nothing was run\n",
                    args.file.display()
                ));
            }
            Ok(0)
        }
        Err(e) => match (e.exit_code(), &args.timeout) {
            (Some(code), _) => Ok(exit_status(code)),
            (None, Some(timeout)) if e.is_interrupted() => Err(report::timeout(timeout)),
            _ => Err(report::run_error(&compiled, e)),
        },
    };
    // The process exits next, which frees everything at once: a large
    // module's instance, code and bytes freed piece by piece took a twentieth
    // of a cached start. (Nothing of the guest's is buffered in them: its
    // files are closed by the exit, and standard output is flushed by it.)
    std::mem::forget((result, compiled, runtime, wasm));
    outcome
}

/// The process's exit status for the guest's exit code.
///
/// A Unix exit status holds 8 bits: `exit(256)` would end the process with 0,
/// success, and Go wazero's CLI does just that. A code above 255 therefore
/// becomes 255 (a failure that says "out of range"), with a note on stderr
/// giving the real code. Windows keeps all 32 bits.
fn exit_status(code: u32) -> i32 {
    if cfg!(windows) {
        // The same bits: Windows reports the exit code as a u32.
        return code as i32;
    }
    match u8::try_from(code) {
        Ok(code) => i32::from(code),
        Err(_) => {
            report::stderr(&format!(
                "wazero: the program exited with code {code}, which an exit status \
                 cannot hold (0 to 255): exiting with 255\n"
            ));
            255
        }
    }
}

/// Whether instantiating the module runs any of its code: its exported
/// `_start` (a WASI command's entry point) or its start section.
///
/// Go wazero instantiates such a module and exits 0 without a word; the module
/// is most likely a library or a WASI reactor (its exports are meant to be
/// called by a host), so `run` still exits 0 but warns that nothing ran.
fn runs_anything(compiled: &CompiledModule, wasm: &[u8]) -> bool {
    let start_export = compiled
        .exported_functions()
        .iter()
        .any(|f| f.export_names.iter().any(|n| n == "_start"));
    start_export || has_start_section(wasm)
}

/// Whether the (already decoded, so well-formed) binary has a start section
/// (id 8). Any malformation reads as "no".
fn has_start_section(wasm: &[u8]) -> bool {
    const START: u8 = 8;
    let mut rest = wasm.get(8..).unwrap_or_default();
    while let Some((&id, after)) = rest.split_first() {
        if id == START {
            return true;
        }
        let Some((size, after)) = read_u32_leb128(after) else {
            return false;
        };
        let Some(next) = usize::try_from(size).ok().and_then(|n| after.get(n..)) else {
            return false;
        };
        rest = next;
    }
    false
}

/// An unsigned LEB128 number of at most 32 bits, and the bytes after it.
fn read_u32_leb128(bytes: &[u8]) -> Option<(u32, &[u8])> {
    let mut value: u32 = 0;
    for (i, &byte) in bytes.iter().enumerate().take(5) {
        value |= u32::from(byte & 0x7f).checked_shl(7 * i as u32)?;
        if byte & 0x80 == 0 {
            return Some((value, &bytes[i + 1..]));
        }
    }
    None
}

/// Reads the module, checking it is a WebAssembly binary at all.
fn load(path: &Path) -> Result<Arc<[u8]>, Failure> {
    let bytes = read_shared(path).map_err(|e| report::cannot_read(path, &e))?;
    if !bytes.starts_with(b"\0asm") {
        return Err(report::not_wasm(path, &bytes));
    }
    Ok(bytes)
}

/// The file at `path`, read straight into the buffer that the compiled module
/// keeps ([`Runtime::compile_module_shared`]): a large module is in memory
/// once, not twice.
fn read_shared(path: &Path) -> std::io::Result<Arc<[u8]>> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let expected = usize::try_from(file.metadata()?.len()).unwrap_or(0);
    let mut bytes: Arc<[u8]> = std::iter::repeat_n(0, expected).collect();
    let buffer = Arc::get_mut(&mut bytes).expect("a new buffer is not shared");
    let mut filled = 0;
    while filled < expected {
        match file.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    // The file changed size since its metadata was read: take what it holds.
    let mut rest = Vec::new();
    file.read_to_end(&mut rest)?;
    if filled < expected || !rest.is_empty() {
        return Ok([&bytes[..filled], &rest].concat().into());
    }
    Ok(bytes)
}

/// The engine the flags pick; without one, the default engine (the compiler
/// where there is one).
fn engine_config(args: &RunArgs) -> RuntimeConfig {
    if args.interpreter {
        RuntimeConfig::interpreter()
    } else if args.compiler {
        RuntimeConfig::compiler()
    } else if args.tiered {
        RuntimeConfig::tiered()
    } else {
        RuntimeConfig::new()
    }
}

/// `config` with the compilation cache in `cachedir`, if given.
fn with_cache(config: RuntimeConfig, cachedir: Option<&Path>) -> Result<RuntimeConfig, Failure> {
    let Some(dir) = cachedir else {
        return Ok(config);
    };
    let cache = CompilationCache::with_dir(dir)
        .map_err(|e| Failure::new(format!("cannot use -cachedir {}: {e}", dir.display())))?;
    Ok(config.with_compilation_cache(&cache))
}

/// The mounts, after checking each host directory exists.
fn fs_config(mounts: &[Mount]) -> Result<FsConfig, Failure> {
    let mut fs = FsConfig::new();
    for mount in mounts {
        let cannot =
            |why: String| Failure::new(format!("cannot mount {}: {why}", mount.host.display()));
        match std::fs::metadata(&mount.host) {
            Err(e) => return Err(cannot(report::io_message(&e))),
            Ok(meta) if !meta.is_dir() => return Err(cannot("not a directory".to_string())),
            Ok(_) => {}
        }
        fs = if mount.read_only {
            fs.with_read_only_dir_mount(&mount.host, &mount.guest)
        } else {
            fs.with_dir_mount(&mount.host, &mount.guest)
        };
    }
    Ok(fs)
}

/// Binds the `-listen` addresses; for port 0 says which port was picked.
fn listen(addrs: &[ListenAddr]) -> Result<Vec<TcpListener>, Failure> {
    addrs
        .iter()
        .map(|addr| {
            let listener = TcpListener::bind(addr.bind_addr()).map_err(|e| {
                Failure::new(format!(
                    "cannot listen on {}: {}",
                    addr.bind_addr(),
                    report::io_message(&e)
                ))
            })?;
            if addr.port == 0 {
                if let Ok(local) = listener.local_addr() {
                    report::stderr(&format!("wazero: listening on {local}\n"));
                }
            }
            Ok(listener)
        })
        .collect()
}

/// The guest's argv: the file's name without its directory (as Go wazero
/// does), then the arguments after the file.
fn guest_argv(file: &Path, args: &[OsString]) -> Vec<Vec<u8>> {
    let name = file.file_name().unwrap_or(file.as_os_str());
    std::iter::once(name)
        .chain(args.iter().map(OsString::as_os_str))
        .map(|a| a.as_encoded_bytes().to_vec())
        .collect()
}

/// Instantiates WASI preview1, and also under the legacy name `wasi_unstable`
/// when the module imports from it (as Go wazero does).
fn instantiate_wasi(runtime: &Runtime, compiled: &CompiledModule) -> Result<(), Failure> {
    let failed = |e: wazero::Error| Failure::new(format!("cannot instantiate WASI: {e}"));
    wasi_snapshot_preview1::instantiate(runtime).map_err(failed)?;
    let legacy = compiled
        .imported_functions()
        .iter()
        .any(|f| matches!(&f.import, Some((module, _)) if module == "wasi_unstable"));
    if legacy {
        let host = wasi_snapshot_preview1::compile(runtime).map_err(failed)?;
        runtime
            .instantiate_module(&host, ModuleConfig::new().with_name("wasi_unstable"))
            .map_err(failed)?;
    }
    Ok(())
}

/// Enforces `-timeout`: interrupts the compiler or the guest when it expires,
/// and ends the process if they have not returned shortly after (inside one
/// huge function, or a guest blocked in a host call).
struct Watchdog {
    state: Arc<(Mutex<Phase>, Condvar)>,
}

/// Where the command is while the watchdog waits.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Compiling,
    Running,
    Finished,
}

impl Watchdog {
    fn start(handle: InterruptHandle, timeout: Timeout) -> Self {
        let state = Arc::new((Mutex::new(Phase::Compiling), Condvar::new()));
        let shared = state.clone();
        std::thread::spawn(move || {
            let (lock, wake) = &*shared;
            let phase = lock.lock().unwrap_or_else(PoisonError::into_inner);
            let (phase, _) = wake
                .wait_timeout_while(phase, timeout.duration, |p| *p != Phase::Finished)
                .unwrap_or_else(PoisonError::into_inner);
            if *phase == Phase::Finished {
                return;
            }
            // The compiler stops between functions, the guest at its next
            // check; neither can inside one huge function or a host call.
            handle.interrupt();
            let (phase, _) = wake
                .wait_timeout_while(phase, TIMEOUT_GRACE, |p| *p != Phase::Finished)
                .unwrap_or_else(PoisonError::into_inner);
            // Still holding the lock: the main thread cannot report as well.
            match *phase {
                Phase::Finished => {}
                Phase::Compiling => {
                    report::compile_timeout(&timeout).print();
                    std::process::exit(1);
                }
                Phase::Running => {
                    report::timeout(&timeout).print();
                    std::process::exit(1);
                }
            }
        });
        Self { state }
    }

    fn set(&self, phase: Phase) {
        let (lock, wake) = &*self.state;
        *lock.lock().unwrap_or_else(PoisonError::into_inner) = phase;
        wake.notify_all();
    }

    /// Compiled: from now on the timeout interrupts the guest.
    fn running(&self) {
        self.set(Phase::Running);
    }

    /// The guest returned (or compiling failed): the watchdog stands down.
    fn finish(&self) {
        self.set(Phase::Finished);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_sections_are_found() {
        let wat = |text: &str| wat::parse_str(text).unwrap();
        let cases: Vec<(&str, Vec<u8>, bool)> = vec![
            ("empty module", wat("(module)"), false),
            (
                "a start section after others",
                wat(r#"(module (memory 1) (func $s) (start $s) (data (i32.const 0) "x"))"#),
                true,
            ),
            (
                "an export named start",
                wat(r#"(module (func (export "start")))"#),
                false,
            ),
            ("header only", b"\0asm\x01\0\0\0".to_vec(), false),
            ("truncated", b"\0asm".to_vec(), false),
            // A custom section whose size runs past the end.
            ("bad size", b"\0asm\x01\0\0\0\0\xff\xff".to_vec(), false),
            (
                "overlong size",
                b"\0asm\x01\0\0\0\0\xff\xff\xff\xff\xff\x01".to_vec(),
                false,
            ),
        ];
        for (name, wasm, expected) in cases {
            assert_eq!(has_start_section(&wasm), expected, "{name}");
        }
    }

    #[test]
    fn argv_starts_with_the_file_name() {
        let cases: &[(&str, &[&str], &[&str])] = &[
            ("hello.wasm", &[], &["hello.wasm"]),
            (
                "testdata/wasi/args_env.wasm",
                &["a", "b c"],
                &["args_env.wasm", "a", "b c"],
            ),
            ("/abs/x.wasm", &["-h"], &["x.wasm", "-h"]),
        ];
        for (file, args, expected) in cases {
            let args: Vec<OsString> = args.iter().map(OsString::from).collect();
            let argv = guest_argv(Path::new(file), &args);
            let expected: Vec<Vec<u8>> = expected.iter().map(|a| a.as_bytes().to_vec()).collect();
            assert_eq!(argv, expected, "{file}");
        }
    }
}
