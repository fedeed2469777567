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
    let config = runtime_config(false, args.cachedir.as_deref())?;
    let wasm = load(&args.file)?;
    Runtime::with_config(config)
        .compile_module(&wasm)
        .map_err(|e| report::module_error(&args.file, &e))?;
    Ok(())
}

fn try_run(args: RunArgs) -> Result<i32, Failure> {
    let config = runtime_config(args.interpreter, args.cachedir.as_deref())?;
    let wasm = load(&args.file)?;
    let fs = fs_config(&args.mounts)?;
    let runtime = Runtime::with_config(config);
    let compiled = runtime
        .compile_module(&wasm)
        .map_err(|e| report::module_error(&args.file, &e))?;
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

    let watchdog = args
        .timeout
        .as_ref()
        .filter(|t| !t.duration.is_zero())
        .map(|t| Watchdog::start(runtime.interrupt_handle(), t.clone()));
    let result = runtime.instantiate_module(&compiled, config);
    if let Some(watchdog) = watchdog {
        watchdog.finish();
    }
    match result {
        Ok(_) => Ok(0),
        Err(e) => match (e.exit_code(), &args.timeout) {
            // The guest's exit code; above 255, the operating system keeps the low bits.
            (Some(code), _) => Ok(code as i32),
            (None, Some(timeout)) if e.is_interrupted() => Err(report::timeout(timeout)),
            _ => Err(report::run_error(&compiled, &e)),
        },
    }
}

/// Reads the module, checking it is a WebAssembly binary at all.
fn load(path: &Path) -> Result<Vec<u8>, Failure> {
    let bytes = std::fs::read(path).map_err(|e| report::cannot_read(path, &e))?;
    if !bytes.starts_with(b"\0asm") {
        return Err(report::not_wasm(path, &bytes));
    }
    Ok(bytes)
}

/// The runtime's configuration: the default engine (the compiler where there
/// is one) or the interpreter, and the compilation cache in `cachedir`.
fn runtime_config(interpreter: bool, cachedir: Option<&Path>) -> Result<RuntimeConfig, Failure> {
    let config = if interpreter {
        RuntimeConfig::interpreter()
    } else {
        RuntimeConfig::new()
    };
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
                    eprintln!("wazero: listening on {local}");
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

/// Enforces `-timeout`: interrupts the guest when it expires, and ends the
/// process if the guest still has not returned shortly after (it is blocked in
/// a host call).
struct Watchdog {
    finished: Arc<(Mutex<bool>, Condvar)>,
}

impl Watchdog {
    fn start(handle: InterruptHandle, timeout: Timeout) -> Self {
        let finished = Arc::new((Mutex::new(false), Condvar::new()));
        let state = finished.clone();
        std::thread::spawn(move || {
            let (lock, wake) = &*state;
            let done = lock.lock().unwrap_or_else(PoisonError::into_inner);
            let (done, _) = wake
                .wait_timeout_while(done, timeout.duration, |done| !*done)
                .unwrap_or_else(PoisonError::into_inner);
            if *done {
                return;
            }
            handle.interrupt();
            let (done, _) = wake
                .wait_timeout_while(done, TIMEOUT_GRACE, |done| !*done)
                .unwrap_or_else(PoisonError::into_inner);
            if !*done {
                // Still holding the lock: the main thread cannot report as well.
                report::timeout(&timeout).print();
                std::process::exit(1);
            }
        });
        Self { finished }
    }

    /// The guest returned: the watchdog stands down.
    fn finish(self) {
        let (lock, wake) = &*self.finished;
        *lock.lock().unwrap_or_else(PoisonError::into_inner) = true;
        wake.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
