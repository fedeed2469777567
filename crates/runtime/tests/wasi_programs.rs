//! Real WASI programs (C compiled by clang against wasi-libc, in
//! `testdata/wasi/src`) run through the public API, on every engine this build
//! has: standard streams, arguments and environment, files and directories on a
//! host mount and on an in-memory file system, read-only mounts, sandbox
//! escapes, clocks, randomness, poll, sockets, exit codes and traps.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use wazero::{
    wasi_snapshot_preview1, Error, FsConfig, MemFs, ModuleConfig, Runtime, RuntimeConfig,
    SharedBuffer,
};

/// The engines of this build.
mod engines;
use engines::base as engines;

fn program(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/wasi")
        .join(format!("{name}.wasm"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A directory under the system's temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("wazero-wasi-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What one run printed and how it ended.
struct Outcome {
    stdout: String,
    stderr: String,
    result: Result<(), Error>,
}

impl Outcome {
    fn exit_code(&self) -> u32 {
        match &self.result {
            Ok(()) => 0,
            Err(e) => e
                .exit_code()
                .unwrap_or_else(|| panic!("not an exit: {e}\nstdout:\n{}", self.stdout)),
        }
    }
}

/// Runs `name` with `args` (argv[0] is the name) and the rest of `config`.
fn run(runtime_config: RuntimeConfig, name: &str, args: &[&str], config: ModuleConfig) -> Outcome {
    let runtime = Runtime::with_config(runtime_config);
    wasi_snapshot_preview1::instantiate(&runtime).unwrap();
    let compiled = runtime.compile_module(&program(name)).unwrap();
    let (stdout, stderr) = (SharedBuffer::new(), SharedBuffer::new());
    let mut argv = vec![name];
    argv.extend_from_slice(args);
    let config = config
        .with_args(argv)
        .with_stdout(stdout.clone())
        .with_stderr(stderr.clone());
    let result = runtime.instantiate_module(&compiled, config).map(drop);
    Outcome {
        stdout: stdout.to_string_lossy(),
        stderr: stderr.to_string_lossy(),
        result,
    }
}

/// Runs on every engine and checks stdout and the exit code.
fn check(name: &str, args: &[&str], config: impl Fn() -> ModuleConfig, stdout: &str, exit: u32) {
    for (engine, rc) in engines() {
        let out = run(rc, name, args, config());
        assert_eq!(
            out.stdout, stdout,
            "{name} on {engine}; stderr: {}",
            out.stderr
        );
        assert_eq!(out.exit_code(), exit, "{name} on {engine}");
    }
}

#[test]
fn standard_streams_args_env_and_exit_codes() {
    check("hello", &[], ModuleConfig::new, "hello from wasi\n", 0);
    for (engine, rc) in engines() {
        let out = run(rc, "hello", &[], ModuleConfig::new());
        assert_eq!(out.stderr, "to stderr\n", "{engine}");
    }
    check(
        "args_env",
        &["a", "b c"],
        || {
            ModuleConfig::new()
                .with_env("FOO", "bar")
                .with_env("EMPTY", "")
        },
        "argc 3\nargv[0]=args_env\nargv[1]=a\nargv[2]=b c\nenv FOO=bar\nenv EMPTY=\nenv count 2\n",
        0,
    );
    check(
        "stdin_echo",
        &[],
        || ModuleConfig::new().with_stdin(&b"Hello, stdin!\n"[..]),
        "HELLO, STDIN!\n",
        0,
    );
    let exits: &[(&[&str], &str, u32)] = &[
        (&["0"], "exiting with 0 via exit()\n", 0),
        (&["3"], "exiting with 3 via exit()\n", 3),
        (&["255"], "exiting with 255 via exit()\n", 255),
        (&["7", "proc_exit"], "exiting with 7 via proc_exit\n", 7),
    ];
    for (args, stdout, code) in exits {
        check("exit_code", args, ModuleConfig::new, stdout, *code);
    }
}

#[test]
fn a_trap_names_the_functions_on_the_stack() {
    for (engine, rc) in engines() {
        let out = run(rc, "trap", &[], ModuleConfig::new());
        assert_eq!(out.stdout, "about to trap\n", "{engine}");
        let err = out.result.expect_err("trap.wasm traps");
        assert_eq!(
            err.trap_code(),
            Some(wazero::TrapCode::Unreachable),
            "{engine}"
        );
        let text = err.to_string();
        let positions: Vec<usize> = ["trap_c", "trap_b", "trap_a", "main"]
            .iter()
            .map(|f| {
                text.find(f)
                    .unwrap_or_else(|| panic!("{f} missing from {text}"))
            })
            .collect();
        assert!(
            positions.windows(2).all(|w| w[0] < w[1]),
            "innermost first: {text}"
        );
    }
}

/// The file system program on a host directory and on an in-memory one.
#[test]
fn files_on_host_and_memory_mounts() {
    let expected_tail = "ok fd_renumber\nok cleanup\nall ok\n";
    let host = TempDir::new("files");
    for (engine, rc) in engines() {
        let out = run(
            rc,
            "files",
            &["/data"],
            ModuleConfig::new().with_fs_config(FsConfig::new().with_dir_mount(&host.0, "/data")),
        );
        assert!(
            out.stdout.ends_with(expected_tail),
            "host mount on {engine}:\n{}",
            out.stdout
        );
        assert_eq!(out.exit_code(), 0);
        assert_eq!(
            out.stdout.lines().filter(|l| l.starts_with("ok ")).count(),
            48,
            "{}",
            out.stdout
        );
        assert_eq!(
            std::fs::read_dir(&host.0).unwrap().count(),
            0,
            "the program cleans up"
        );
    }
    for (engine, rc) in engines() {
        let fs = MemFs::new();
        let out = run(
            rc,
            "files",
            &["/data"],
            ModuleConfig::new().with_fs_config(FsConfig::new().with_mem_fs(fs.clone(), "/data")),
        );
        assert!(
            out.stdout.ends_with(expected_tail),
            "memory mount on {engine}:\n{}",
            out.stdout
        );
        assert_eq!(fs.read_dir(""), Some(vec![]));
    }
}

#[test]
fn readdir_pages_through_many_entries() {
    for (engine, rc) in engines() {
        let host = TempDir::new("readdir");
        let out = run(
            rc.clone(),
            "readdir",
            &["/data", "500"],
            ModuleConfig::new().with_fs_config(FsConfig::new().with_dir_mount(&host.0, "/data")),
        );
        assert_eq!(
            out.stdout, "entries 500\nrewound entries 500\nok\n",
            "host on {engine}"
        );
        let fs = MemFs::new();
        let out = run(
            rc,
            "readdir",
            &["/data", "500"],
            ModuleConfig::new().with_fs_config(FsConfig::new().with_mem_fs(fs.clone(), "/data")),
        );
        assert_eq!(
            out.stdout, "entries 500\nrewound entries 500\nok\n",
            "memory on {engine}"
        );
    }
}

#[test]
fn read_only_mounts_refuse_every_change() {
    let host = TempDir::new("ro");
    std::fs::write(host.0.join("hello.txt"), "read me\n").unwrap();
    std::fs::create_dir(host.0.join("subdir")).unwrap();
    let mem = MemFs::new();
    mem.write_file("hello.txt", b"read me\n").unwrap();
    mem.create_dir_all("subdir").unwrap();
    type MakeFs<'a> = Box<dyn Fn() -> FsConfig + 'a>;
    let configs: Vec<(&str, MakeFs)> = vec![
        (
            "host",
            Box::new(|| FsConfig::new().with_read_only_dir_mount(&host.0, "/ro")),
        ),
        (
            "memory",
            Box::new(|| FsConfig::new().with_read_only_mem_fs(mem.clone(), "/ro")),
        ),
    ];
    for (kind, fs) in &configs {
        for (engine, rc) in engines() {
            let out = run(
                rc,
                "readonly",
                &["/ro", "hello.txt", "subdir"],
                ModuleConfig::new().with_fs_config(fs()),
            );
            assert!(
                out.stdout
                    .starts_with("ok read 8 bytes\nok stat\nok readdir\n"),
                "{kind} on {engine}:\n{}",
                out.stdout
            );
            assert!(
                out.stdout.ends_with("ok unchanged\nall refused\n"),
                "{kind} on {engine}:\n{}",
                out.stdout
            );
            // Every change through the mount is refused as a read-only file system
            // (the two that fail anywhere aside).
            for op in [
                "create",
                "open-write",
                "unlink",
                "mkdir",
                "rmdir",
                "rename",
                "symlink",
                "link",
                "utimensat",
            ] {
                assert!(
                    out.stdout.contains(&format!("refused {op} errno=69 ")),
                    "{op} ({kind}, {engine}):\n{}",
                    out.stdout
                );
            }
            assert_eq!(out.exit_code(), 0);
        }
    }
    assert_eq!(
        std::fs::read(host.0.join("hello.txt")).unwrap(),
        b"read me\n"
    );
    assert_eq!(
        mem.read_dir(""),
        Some(vec!["hello.txt".into(), "subdir".into()])
    );
}

#[test]
fn sandbox_escapes_are_refused() {
    for (engine, rc) in engines() {
        let host = TempDir::new("sandbox");
        std::os::unix::fs::symlink("/etc", host.0.join("escape_link")).unwrap();
        let out = run(
            rc,
            "sandbox",
            &["/sandbox", "escape_link"],
            ModuleConfig::new().with_fs_config(FsConfig::new().with_dir_mount(&host.0, "/sandbox")),
        );
        assert!(!out.stdout.contains("ESCAPED"), "{engine}:\n{}", out.stdout);
        assert!(
            out.stdout.ends_with("no escape\n"),
            "{engine}:\n{}",
            out.stdout
        );
        assert!(
            out.stdout
                .lines()
                .filter(|l| l.starts_with("refused "))
                .count()
                >= 18,
            "{}",
            out.stdout
        );
        assert_eq!(out.exit_code(), 0);
    }
}

#[test]
fn injected_clocks_and_random_source_make_runs_reproducible() {
    let config = || {
        let mono = Arc::new(AtomicU64::new(0));
        ModuleConfig::new()
            .with_walltime(|| 1_700_000_000_123_456_789, 1_000)
            .with_nanotime(move || mono.fetch_add(1_000_000, Ordering::Relaxed), 1)
    };
    for (engine, rc) in engines() {
        let out = run(rc, "clocks", &[], config());
        let want = [
            "realtime resolution 1000",
            "monotonic resolution 1",
            "realtime 1700000000.123456789",
            "monotonic 1 0",
            "monotonic 2 1000000",
            "time 1700000000",
            "gettimeofday 1700000000.123456",
        ];
        let lines: Vec<&str> = out.stdout.lines().collect();
        assert_eq!(&lines[..want.len()], &want, "{engine}:\n{}", out.stdout);
        assert!(
            out.stdout.ends_with("monotonic non-decreasing\n"),
            "{}",
            out.stdout
        );
    }
    let counting = || {
        ModuleConfig::new().with_rand_source(
            (0u8..=255)
                .cycle()
                .take(4096)
                .collect::<Vec<u8>>()
                .as_slice()
                .to_owned()
                .into_iter()
                .collect::<Vec<u8>>()
                .leak() as &[u8],
        )
    };
    for (engine, rc) in engines() {
        let out = run(rc, "random", &[], counting());
        let hex = |r: std::ops::Range<u8>| r.map(|b| format!("{b:02x}")).collect::<String>();
        assert_eq!(
            out.stdout,
            format!("getentropy {}\nrandom_get {}\n", hex(0..32), hex(32..48)),
            "{engine}"
        );
    }
}

#[test]
fn poll_reports_ready_descriptors_and_clocks() {
    let host = TempDir::new("poll");
    std::fs::write(host.0.join("hello.txt"), "hi\n").unwrap();
    for (engine, rc) in engines() {
        let config = ModuleConfig::new()
            .with_stdin(&b"poll me\n"[..])
            .with_fs_config(FsConfig::new().with_dir_mount(&host.0, "/data"));
        let out = run(rc, "poll", &["/data/hello.txt"], config);
        assert_eq!(
            out.stdout,
            "stdin n=1 revents=POLLIN\nstdin read poll me\nfile n=1 revents=POLLIN\nstdout n=1 revents=POLLOUT\n\
             file and stdout n=2\ntimeout n=0\npoll_oneoff clock nevents=1 userdata=42 type=clock error=0\n\
             poll_oneoff file nevents=1 userdata=7 type=fd_read error=0\n",
            "{engine}"
        );
    }
}

#[test]
fn a_listener_accepts_and_echoes() {
    for (engine, rc) in engines() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let client = std::thread::spawn(move || {
            let mut s = std::net::TcpStream::connect(addr).unwrap();
            s.write_all(b"echo this\n").unwrap();
            let mut back = String::new();
            s.read_to_string(&mut back).unwrap();
            back
        });
        let out = run(
            rc,
            "sock_echo",
            &[],
            ModuleConfig::new().with_listener(listener),
        );
        assert_eq!(client.join().unwrap(), "echo this\n", "{engine}");
        assert!(
            out.stdout.contains("accepted\n") && out.stdout.contains("shutdown\n"),
            "{engine}:\n{}",
            out.stdout
        );
        assert_eq!(out.exit_code(), 0);
    }
}

#[test]
fn many_small_files() {
    for (engine, rc) in engines() {
        let fs = MemFs::new();
        let out = run(
            rc,
            "many_files",
            &["/data", "10", "100"],
            ModuleConfig::new().with_fs_config(FsConfig::new().with_mem_fs(fs, "/data")),
        );
        assert_eq!(
            out.stdout, "files 10 bytes 1000 checksum 0x9a6eba136ecc8981\n",
            "{engine}"
        );
    }
}

#[test]
fn host_logging_traces_each_call() {
    let log = SharedBuffer::new();
    let out = run(
        RuntimeConfig::interpreter(),
        "hello",
        &[],
        ModuleConfig::new().with_host_logging(log.clone()),
    );
    assert_eq!(out.stdout, "hello from wasi\n");
    let log = log.to_string_lossy();
    assert!(
        log.contains("==> wasi_snapshot_preview1.fd_write(fd=1,"),
        "{log}"
    );
    assert!(log.contains("<== ESUCCESS"), "{log}");
    assert!(
        log.contains("==> wasi_snapshot_preview1.fd_fdstat_get(fd=1,"),
        "{log}"
    );
}

#[test]
fn the_readme_program_reads_a_mounted_file() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let runtime = Runtime::new();
    wasi_snapshot_preview1::instantiate(&runtime).unwrap();
    let compiled = runtime
        .compile_module(&std::fs::read(examples.join("cat.wasm")).unwrap())
        .unwrap();
    let stdout = SharedBuffer::new();
    runtime
        .instantiate_module(
            &compiled,
            ModuleConfig::new()
                .with_args(["cat", "/data/hello.txt"])
                .with_stdout(stdout.clone())
                .with_fs_config(
                    FsConfig::new().with_read_only_dir_mount(examples.join("data"), "/data"),
                ),
        )
        .unwrap();
    assert_eq!(stdout.to_string_lossy(), "Hello, WebAssembly!\n");
}

/// `reactor.c`, built with `-mexec-model=reactor`: instantiation runs its
/// `_initialize` (its constructor) by default, then its exports are called;
/// with no start functions configured explicitly, nothing initializes it.
#[test]
fn a_c_reactor_is_initialized_at_instantiation() {
    for (engine, config) in engines() {
        let runtime = Runtime::with_config(config);
        wasi_snapshot_preview1::instantiate(&runtime).unwrap();
        let compiled = runtime.compile_module(&program("reactor")).unwrap();
        let stdout = SharedBuffer::new();
        let module = runtime
            .instantiate_module(&compiled, ModuleConfig::new().with_stdout(stdout.clone()))
            .unwrap();
        let counter = module
            .exported_function("counter")
            .unwrap()
            .typed::<(), i32>()
            .unwrap();
        assert_eq!(
            counter.call(()).unwrap(),
            42,
            "{engine}: the constructor ran"
        );
        assert_eq!(counter.call(()).unwrap(), 43, "{engine}");
        let greet = module.exported_function("greet").unwrap();
        assert_eq!(greet.call(&[]).unwrap(), vec![0], "{engine}");
        assert_eq!(
            String::from_utf8(stdout.contents()).unwrap(),
            "hello from a reactor, counter 44\n",
            "{engine}"
        );
        // Not initialized when start functions are named (none here).
        let bare = runtime
            .instantiate_module(&compiled, ModuleConfig::new().with_start_functions(&[]))
            .unwrap();
        let counter = bare.exported_function("counter").unwrap();
        assert_eq!(
            counter.call(&[]).unwrap(),
            vec![0],
            "{engine}: not initialized"
        );
    }
}

/// The numeric loop the start-up bench times (`kernel.wasm`): every engine
/// ends with the same checksum after as many rounds (their times differ).
#[test]
fn the_numeric_kernel_agrees_on_every_engine() {
    let mut seen: Option<String> = None;
    for (engine, rc) in engines() {
        let out = run(rc, "kernel", &["4", "20000"], ModuleConfig::new());
        assert_eq!(out.exit_code(), 0, "{engine}: {}", out.stderr);
        let rounds = out
            .stdout
            .lines()
            .filter(|l| l.starts_with("round "))
            .count();
        assert_eq!(rounds, 4, "{engine}: {}", out.stdout);
        let checksum = out
            .stdout
            .lines()
            .find(|l| l.starts_with("checksum "))
            .unwrap_or_else(|| panic!("{engine}: no checksum in {}", out.stdout))
            .to_string();
        match &seen {
            Some(first) => assert_eq!(&checksum, first, "{engine}"),
            None => seen = Some(checksum),
        }
    }
}
