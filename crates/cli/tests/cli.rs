//! The `wazero` binary, run as a user runs it: the WASI test programs of
//! `testdata/wasi` and the `cat` example through `wazero run`, with mounts,
//! arguments, environment, standard input, exit codes, traps, timeouts, host
//! logging and listeners; the messages a newcomer meets; `compile` and
//! `version`.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The workspace root: commands run there, so paths read as in the README.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn wazero() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wazero"));
    command.current_dir(root());
    command
}

/// A directory under the system's temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("wazero-cli-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_string()
    }

    fn write(&self, name: &str, bytes: &[u8]) -> String {
        std::fs::write(self.0.join(name), bytes).unwrap();
        self.path(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What a stream must hold.
enum Expect {
    /// Exactly this.
    Is(String),
    /// Each of these, in this order.
    Has(Vec<String>),
    /// Starts with the first and ends with the second.
    StartsEnds(String, String),
}

fn is(text: &str) -> Expect {
    Expect::Is(text.to_string())
}

fn has(parts: &[&str]) -> Expect {
    Expect::Has(parts.iter().map(|p| p.to_string()).collect())
}

impl Expect {
    fn check(&self, what: &str, case: &str, actual: &str) {
        match self {
            Expect::Is(text) => assert_eq!(actual, text, "{case}: {what}"),
            Expect::Has(parts) => {
                let mut from = 0;
                for part in parts {
                    match actual[from..].find(part.as_str()) {
                        Some(at) => from += at + part.len(),
                        None => panic!("{case}: {what} lacks {part:?} (in order):\n{actual}"),
                    }
                }
            }
            Expect::StartsEnds(start, end) => assert!(
                actual.starts_with(start.as_str()) && actual.ends_with(end.as_str()),
                "{case}: {what}:\n{actual}"
            ),
        }
    }
}

/// One run of the command.
struct Case {
    name: &'static str,
    args: Vec<String>,
    stdin: &'static str,
    env: Vec<(&'static str, &'static str)>,
    code: i32,
    stdout: Expect,
    stderr: Expect,
    within: Option<Duration>,
}

fn case(name: &'static str, args: &[&str], code: i32, stdout: Expect, stderr: Expect) -> Case {
    Case {
        name,
        args: args.iter().map(|a| a.to_string()).collect(),
        stdin: "",
        env: Vec::new(),
        code,
        stdout,
        stderr,
        within: None,
    }
}

fn run(case: &Case) {
    let start = Instant::now();
    let mut child = wazero()
        .args(&case.args)
        .envs(case.env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(case.stdin.as_bytes()).unwrap();
    drop(stdin);
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().unwrap();
    let elapsed = start.elapsed();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&stdout),
        String::from_utf8_lossy(&stderr),
    );
    let name = case.name;
    assert_eq!(
        status.code(),
        Some(case.code),
        "{name}: exit code\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    case.stdout.check("stdout", name, &stdout);
    case.stderr.check("stderr", name, &stderr);
    // Whatever went wrong, never a panic or a Debug dump.
    for leak in ["panicked", "RUST_BACKTRACE", "Os {", "kind:", "Error {"] {
        assert!(
            !stderr.contains(leak),
            "{name}: stderr has {leak:?}:\n{stderr}"
        );
    }
    if let Some(limit) = case.within {
        assert!(elapsed < limit, "{name}: took {elapsed:?}");
    }
}

fn program(name: &str) -> String {
    format!("testdata/wasi/{name}.wasm")
}

#[test]
fn programs_run() {
    let hello = program("hello");
    let args_env = program("args_env");
    let exit_code = program("exit_code");
    let mut cases = vec![
        case(
            "hello",
            &["run", &hello],
            0,
            is("hello from wasi\n"),
            is("to stderr\n"),
        ),
        case(
            "hello with two dashes",
            &["run", "--interpreter", &hello],
            0,
            is("hello from wasi\n"),
            is("to stderr\n"),
        ),
        case(
            "the README's cat",
            &[
                "run",
                "-mount",
                "examples/data:/data",
                "examples/cat.wasm",
                "/data/hello.txt",
            ],
            0,
            is("Hello, WebAssembly!\n"),
            is(""),
        ),
        case(
            "cat with -mount=",
            &[
                "run",
                "-mount=examples/data:/data:ro",
                "examples/cat.wasm",
                "/data/hello.txt",
            ],
            0,
            is("Hello, WebAssembly!\n"),
            is(""),
        ),
        case(
            "args and env",
            &[
                "run",
                "-env",
                "FOO=bar",
                "-env=EMPTY=",
                &args_env,
                "a",
                "b c",
            ],
            0,
            is("argc 3\nargv[0]=args_env.wasm\nargv[1]=a\nargv[2]=b c\n\
                env FOO=bar\nenv EMPTY=\nenv count 2\n"),
            is(""),
        ),
        case(
            "guest arguments that look like flags pass through",
            &["run", &args_env, "--", "-mount", "x", "--env", "-h", "--"],
            0,
            is("argc 6\nargv[0]=args_env.wasm\nargv[1]=-mount\nargv[2]=x\n\
                argv[3]=--env\nargv[4]=-h\nargv[5]=--\nenv count 0\n"),
            is(""),
        ),
        Case {
            env: vec![("WAZERO_CLI_TEST", "inherited")],
            ..case(
                "-env-inherit, then -env",
                &["run", "-env-inherit", "-env", "LAST=1", &args_env],
                0,
                has(&["env WAZERO_CLI_TEST=inherited\n", "env LAST=1\nenv count"]),
                is(""),
            )
        },
        Case {
            env: vec![("WAZERO_CLI_TEST", "inherited")],
            ..case(
                "no environment without -env-inherit",
                &["run", &args_env],
                0,
                is("argc 1\nargv[0]=args_env.wasm\nenv count 0\n"),
                is(""),
            )
        },
        case(
            "exit 0",
            &["run", &exit_code],
            0,
            is("exiting with 0 via exit()\n"),
            is(""),
        ),
        case(
            "exit 3",
            &["run", &exit_code, "3"],
            3,
            is("exiting with 3 via exit()\n"),
            is(""),
        ),
        case(
            "proc_exit 7",
            &["run", &exit_code, "7", "proc_exit"],
            7,
            is("exiting with 7 via proc_exit\n"),
            is(""),
        ),
        Case {
            stdin: "Hello, stdin!\n",
            ..case(
                "stdin",
                &["run", &program("stdin_echo")],
                0,
                is("HELLO, STDIN!\n"),
                is(""),
            )
        },
        case(
            "a trap shows its backtrace",
            &["run", &program("trap")],
            1,
            is("about to trap\n"),
            has(&[
                "wazero: wasm trap: unreachable\nwasm backtrace:\n",
                "trap_c",
                "trap_b",
                "trap_a",
                "_start",
            ]),
        ),
        case(
            "-hostlogging logs every call",
            &["run", "-hostlogging", &hello],
            0,
            is("hello from wasi\n"),
            has(&[
                "==> wasi_snapshot_preview1.fd_write(fd=1,",
                "<== ESUCCESS\n",
                "to stderr\n",
            ]),
        ),
        case(
            "-hostlogging=filesystem",
            &["run", "-hostlogging=filesystem", &hello],
            0,
            is("hello from wasi\n"),
            has(&["==> wasi_snapshot_preview1.fd_write(fd=1,"]),
        ),
        case(
            "-hostlogging with a scope that hello does not call",
            &["run", "-hostlogging", "clock", &hello],
            0,
            is("hello from wasi\n"),
            is("to stderr\n"),
        ),
        case(
            "-cachedir that cannot be created",
            &["run", "-cachedir", "/proc/wazero-cache", &hello],
            1,
            is(""),
            has(&["wazero: cannot use -cachedir /proc/wazero-cache: "]),
        ),
    ];

    // Writable and read-only mounts of a temporary directory.
    let files = TempDir::new("files");
    let files_mount = format!("{}:/data", files.path(""));
    cases.push(case(
        "files on a writable mount",
        &["run", "-mount", &files_mount, &program("files"), "/data"],
        0,
        Expect::StartsEnds("ok mkdir base\n".into(), "ok cleanup\nall ok\n".into()),
        is(""),
    ));
    let ro = TempDir::new("ro");
    ro.write("hello.txt", b"read me\n");
    std::fs::create_dir(ro.0.join("subdir")).unwrap();
    let ro_mount = format!("{}:/ro:ro", ro.path(""));
    cases.push(case(
        "a read-only mount",
        &[
            "run",
            "-mount",
            &ro_mount,
            &program("readonly"),
            "/ro",
            "hello.txt",
            "subdir",
        ],
        0,
        Expect::StartsEnds(
            "ok read 8 bytes\nok stat\nok readdir\n".into(),
            "ok unchanged\nall refused\n".into(),
        ),
        is(""),
    ));
    #[cfg(unix)]
    let sandbox = TempDir::new("sandbox");
    #[cfg(unix)]
    let sandbox_mount = {
        std::os::unix::fs::symlink("/etc", sandbox.0.join("escape_link")).unwrap();
        format!("{}:/sandbox", sandbox.path(""))
    };
    #[cfg(unix)]
    cases.push(case(
        "the sandbox holds",
        &[
            "run",
            "-mount",
            &sandbox_mount,
            &program("sandbox"),
            "/sandbox",
            "escape_link",
        ],
        0,
        Expect::StartsEnds("ok control".into(), "no escape\n".into()),
        is(""),
    ));

    // A module of the older `wasi_unstable` name gets the same functions.
    let unstable = TempDir::new("unstable");
    let unstable_wasm = unstable.write(
        "unstable.wasm",
        &wat::parse_str(
            r#"(module
              (import "wasi_unstable" "fd_write"
                (func $fd_write (param i32 i32 i32 i32) (result i32)))
              (memory (export "memory") 1)
              (data (i32.const 16) "hi unstable\n")
              (func (export "_start")
                (i32.store (i32.const 0) (i32.const 16))
                (i32.store (i32.const 4) (i32.const 12))
                (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#,
        )
        .unwrap(),
    );
    cases.push(case(
        "wasi_unstable",
        &["run", &unstable_wasm],
        0,
        is("hi unstable\n"),
        is(""),
    ));

    for case in &cases {
        run(case);
    }
    assert_eq!(std::fs::read(ro.0.join("hello.txt")).unwrap(), b"read me\n");
    assert_eq!(std::fs::read_dir(&files.0).unwrap().count(), 0);
}

#[test]
fn timeout_stops_a_runaway_guest() {
    let dir = TempDir::new("timeout");
    let spin = dir.write(
        "spin.wasm",
        &wat::parse_str(r#"(module (func (export "_start") (loop (br 0))))"#).unwrap(),
    );
    let cases = [
        Case {
            within: Some(Duration::from_secs(5)),
            ..case(
                "an infinite loop",
                &["run", "-timeout", "200ms", &spin],
                1,
                is(""),
                is("wazero: timeout after 200ms: the guest was interrupted\n"),
            )
        },
        Case {
            within: Some(Duration::from_secs(5)),
            ..case(
                "an infinite loop, interpreter, -timeout=",
                &["run", "-interpreter", "-timeout=0.1s", &spin],
                1,
                is(""),
                is("wazero: timeout after 0.1s: the guest was interrupted\n"),
            )
        },
        // A timeout that does not expire changes nothing.
        case(
            "a program that finishes in time",
            &["run", "-timeout", "1m", &program("hello")],
            0,
            is("hello from wasi\n"),
            is("to stderr\n"),
        ),
    ];
    for case in &cases {
        run(case);
    }
}

/// A module of 300 functions of 1,000 nested loops each takes the compiler
/// seconds (and the interpreter, which translates functions on their first
/// call, little): the timeout covers compiling, and interrupts the compiler.
#[test]
fn timeout_covers_compiling() {
    const FUNCTIONS: usize = 300;
    const DEPTH: usize = 1000;
    let dir = TempDir::new("timeout-compile");
    // (module (func (export "_start") (loop (loop ... ))) (func ...) ...) in binary.
    let mut body = vec![0u8]; // no locals
    body.extend(std::iter::repeat_n([0x03u8, 0x40], DEPTH).flatten());
    body.extend(std::iter::repeat_n(0x0bu8, DEPTH + 1));
    let mut wasm = b"\0asm\x01\0\0\0".to_vec();
    let section = |wasm: &mut Vec<u8>, id: u8, content: &[u8]| {
        wasm.push(id);
        leb128(wasm, content.len());
        wasm.extend_from_slice(content);
    };
    section(&mut wasm, 1, &[1, 0x60, 0, 0]);
    let mut funcs = Vec::new();
    leb128(&mut funcs, FUNCTIONS);
    funcs.extend(std::iter::repeat_n(0u8, FUNCTIONS));
    section(&mut wasm, 3, &funcs);
    section(&mut wasm, 7, b"\x01\x06_start\x00\x00");
    let mut code = Vec::new();
    leb128(&mut code, FUNCTIONS);
    for _ in 0..FUNCTIONS {
        leb128(&mut code, body.len());
        code.extend_from_slice(&body);
    }
    section(&mut wasm, 10, &code);
    let nested = dir.write("nested.wasm", &wasm);
    let started = Instant::now();
    let out = wazero()
        .args(["run", "-compiler", "-timeout", "100ms", &nested])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr,
        "wazero: timeout after 100ms: the module was still being compiled\n",
        "after {:?}",
        started.elapsed()
    );
    // The interpreter compiles it at once and runs it.
    let out = wazero()
        .args(["run", "-interpreter", "-timeout", "1m", &nested])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn leb128(out: &mut Vec<u8>, mut n: usize) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

#[test]
fn timeout_ends_a_guest_blocked_in_a_host_call() {
    // stdin_echo waits for input that does not come: the guest is inside
    // fd_read, where the interrupt cannot reach it, so the command exits.
    let start = Instant::now();
    let mut child = wazero()
        .args(["run", "-timeout", "200ms", &program("stdin_echo")])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take().unwrap();
    let output = child.wait_with_output().unwrap();
    drop(stdin);
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "wazero: timeout after 200ms: the guest was interrupted\n"
    );
}

#[test]
fn listen_hands_a_socket_to_the_guest() {
    let mut child = wazero()
        .args(["run", "-listen", "127.0.0.1:0", &program("sock_echo")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let addr = line
        .strip_prefix("wazero: listening on ")
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .trim();
    let mut socket = std::net::TcpStream::connect(addr).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    socket.write_all(b"echo this\n").unwrap();
    let mut back = String::new();
    socket.read_to_string(&mut back).unwrap();
    assert_eq!(back, "echo this\n");
    let output = child.wait_with_output().unwrap();
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    assert_eq!(output.status.code(), Some(0), "{rest}");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "listener fd 3\naccepted\nechoed 10 bytes\nshutdown\n"
    );
    assert_eq!(rest, "");
}

#[test]
fn newcomer_mistakes_get_one_clear_line() {
    let dir = TempDir::new("errors");
    let missing = dir.path("missing.wasm");
    let text = dir.write("notes.txt", b"not wasm\n");
    let wat_text = dir.write("prog.wat", b"(module)\n");
    let mut bad = std::fs::read(root().join(program("hello"))).unwrap();
    bad[8] = 0x7f; // the first section id
    let bad = dir.write("bad.wasm", &bad);
    let import = dir.write(
        "import.wasm",
        &wat::parse_str(
            r#"(module (import "env" "missing" (func (param i32))) (func (export "_start")))"#,
        )
        .unwrap(),
    );
    let no_dir = dir.path("no_such_dir");
    let hello = program("hello");
    let cases = [
        case(
            "a missing file",
            &["run", &missing],
            1,
            is(""),
            is(&format!(
                "wazero: cannot read {missing}: No such file or directory\n"
            )),
        ),
        case(
            "a text file",
            &["run", &text],
            1,
            is(""),
            is(&format!(
                "wazero: {text} is not a WebAssembly binary (it does not start with \\0asm)\n"
            )),
        ),
        case(
            "the text format",
            &["run", &wat_text],
            1,
            is(""),
            is(&format!(
                "wazero: {wat_text} is not a WebAssembly binary \
                 (it looks like the text format: convert it with wat2wasm first)\n"
            )),
        ),
        case(
            "an invalid module",
            &["run", &bad],
            1,
            is(""),
            is(&format!(
                "wazero: {bad}: malformed module at offset 0xa: malformed section id 127\n"
            )),
        ),
        case(
            "a missing import",
            &["run", &import],
            1,
            is(""),
            is("wazero: unknown import: module[env] not instantiated (needed for func env.missing); \
                the module expects type (i32) -> (); \
                the wazero command provides only WASI (wasi_snapshot_preview1, wasi_unstable)\n"),
        ),
        case(
            "a missing mount directory",
            &["run", "-mount", &format!("{no_dir}:/data"), &hello],
            1,
            is(""),
            is(&format!(
                "wazero: cannot mount {no_dir}: No such file or directory\n"
            )),
        ),
        case(
            "a file as mount",
            &["run", "-mount", &format!("{text}:/data"), &hello],
            1,
            is(""),
            is(&format!("wazero: cannot mount {text}: not a directory\n")),
        ),
        case(
            "no file",
            &["run"],
            2,
            is(""),
            has(&["wazero: the following required arguments were not provided: <FILE.wasm>\nUsage: wazero run"]),
        ),
        case(
            "an unknown flag",
            &["run", "-bogus", &hello],
            2,
            is(""),
            has(&["wazero: unexpected argument '--bogus' found\n"]),
        ),
        case(
            "a duration without unit",
            &["run", "-timeout", "5", &hello],
            2,
            is(""),
            has(&["wazero: invalid value '5' for '--timeout <DURATION>': invalid duration '5': missing unit\n"]),
        ),
        case(
            "an env without '='",
            &["run", "-env", "FOO", &hello],
            2,
            is(""),
            has(&["wazero: invalid value 'FOO' for '--env <KEY=VALUE>': expected KEY=VALUE\n"]),
        ),
        case(
            "compile a valid module",
            &["compile", &hello],
            0,
            is(""),
            is(""),
        ),
        case(
            "compile an invalid module",
            &["compile", &bad],
            1,
            is(""),
            is(&format!(
                "wazero: {bad}: malformed module at offset 0xa: malformed section id 127\n"
            )),
        ),
        case(
            "compile a missing file",
            &["compile", &missing],
            1,
            is(""),
            is(&format!(
                "wazero: cannot read {missing}: No such file or directory\n"
            )),
        ),
        case(
            "version",
            &["version"],
            0,
            is(&format!("{}\n", env!("CARGO_PKG_VERSION"))),
            is(""),
        ),
        case(
            "help",
            &["run", "-h"],
            0,
            has(&["Usage: wazero run", "--mount", "--timeout"]),
            is(""),
        ),
    ];
    for case in &cases {
        run(case);
    }
}

#[test]
fn cachedir_keeps_compiled_code_between_runs() {
    let dir = TempDir::new("cache");
    let cache = dir.path("c");
    let hello = program("hello");
    for round in 0..2 {
        let out = wazero()
            .args(["run", "-cachedir", &cache, &hello])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "round {round}: {out:?}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "hello from wasi\n");
    }
    let entries = std::fs::read_dir(&cache).unwrap().count();
    // The compiler stores its code; the interpreter (a build without the
    // compiler) keeps nothing on disk.
    let compiled = wazero()
        .args(["run", &hello])
        .output()
        .map(|_| std::fs::read_dir(&cache).unwrap().count())
        .unwrap();
    assert_eq!(entries, compiled);
    assert!(
        entries <= 1,
        "one entry for one program and engine: {entries}"
    );
}

/// A pipe whose read end is already closed: writing to it fails with EPIPE.
fn closed_pipe() -> Stdio {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    Stdio::from(writer)
}

#[test]
fn closed_standard_streams_never_panic() {
    let dir = TempDir::new("closed");
    // Writes to standard output until a write fails, then traps, as a program
    // whose print panics on EPIPE does: the trap report meets a closed stderr.
    let chatty = dir.write(
        "chatty.wasm",
        &wat::parse_str(
            r#"(module
              (import "wasi_snapshot_preview1" "fd_write"
                (func $fd_write (param i32 i32 i32 i32) (result i32)))
              (memory (export "memory") 1)
              (data (i32.const 16) "a line of output that goes on and on\n")
              (func (export "_start")
                (i32.store (i32.const 0) (i32.const 16))
                (i32.store (i32.const 4) (i32.const 37))
                (loop $again
                  (br_if $again (i32.eqz
                    (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
                unreachable))"#,
        )
        .unwrap(),
    );
    let missing = dir.path("missing.wasm");
    let hello = program("hello");
    // (name, args, close stdout, close stderr, exit code)
    let cases: &[(&str, &[&str], bool, bool, i32)] = &[
        (
            "a trap after output to a closed pipe, 2>&1",
            &["run", &chatty],
            true,
            true,
            1,
        ),
        (
            "a trap after output to a closed pipe",
            &["run", &chatty],
            true,
            false,
            1,
        ),
        (
            "hello with both streams closed",
            &["run", &hello],
            true,
            true,
            0,
        ),
        (
            "a failure reported to a closed stderr",
            &["run", &missing],
            false,
            true,
            1,
        ),
        (
            "a usage error reported to a closed stderr",
            &["run", "-bogus", &hello],
            false,
            true,
            2,
        ),
        ("version to a closed stdout", &["version"], true, false, 0),
        ("help to a closed stdout", &["run", "-h"], true, false, 0),
        (
            "the listening address to a closed stderr",
            &["run", "-listen", "127.0.0.1:0", &hello],
            false,
            true,
            0,
        ),
        (
            "host logging to a closed stderr",
            &["run", "-hostlogging", &hello],
            false,
            true,
            0,
        ),
    ];
    for &(name, args, close_stdout, close_stderr, code) in cases {
        let mut command = wazero();
        command.args(args).stdin(Stdio::null());
        command.stdout(if close_stdout {
            closed_pipe()
        } else {
            Stdio::piped()
        });
        command.stderr(if close_stderr {
            closed_pipe()
        } else {
            Stdio::piped()
        });
        let output = command.output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_ne!(output.status.code(), Some(101), "{name}: a panic\n{stderr}");
        assert_eq!(output.status.code(), Some(code), "{name}\n{stderr}");
        assert!(!stderr.contains("panicked"), "{name}:\n{stderr}");
    }
}

#[test]
fn runaway_recursion_prints_a_short_backtrace() {
    let dir = TempDir::new("recursion");
    let recursion = dir.write(
        "recursion.wasm",
        &wat::parse_str(
            r#"(module
              (func $recurse (call $recurse))
              (func $main (export "_start") (call $recurse)))"#,
        )
        .unwrap(),
    );
    let ping_pong = dir.write(
        "ping_pong.wasm",
        &wat::parse_str(
            r#"(module
              (func $ping (call $pong))
              (func $pong (call $ping))
              (func $main (export "_start") (call $ping)))"#,
        )
        .unwrap(),
    );
    for (wasm, frames) in [
        (
            &recursion,
            &[
                "  0: .recurse\n",
                "  ... .recurse repeated ",
                " more times (frames 1 to ",
                ": .main\n",
            ][..],
        ),
        (
            &ping_pong,
            &[
                "  0: .p",
                "  1: .p",
                "  19: .p",
                " frames omitted ...\n",
                ": .main\n",
            ][..],
        ),
    ] {
        for engine in [&[][..], &["-interpreter"][..]] {
            let output = wazero().arg("run").args(engine).arg(wasm).output().unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            let case = format!("{wasm} {engine:?}");
            assert_eq!(output.status.code(), Some(1), "{case}:\n{stderr}");
            assert!(
                stderr.starts_with("wazero: wasm trap: call stack exhausted\nwasm backtrace:\n"),
                "{case}:\n{stderr}"
            );
            assert!(
                stderr.lines().count() < 60,
                "{case}: {} lines",
                stderr.lines().count()
            );
            Expect::Has(frames.iter().map(|f| f.to_string()).collect())
                .check("stderr", &case, &stderr);
        }
    }
}

#[test]
fn a_module_that_runs_nothing_says_so() {
    let dir = TempDir::new("no_start");
    let library = dir.write(
        "library.wasm",
        &wat::parse_str(
            r#"(module (func (export "add") (param i32 i32) (result i32) unreachable))"#,
        )
        .unwrap(),
    );
    let start_section = dir.write(
        "start_section.wasm",
        &wat::parse_str(
            r#"(module
              (import "wasi_snapshot_preview1" "fd_write"
                (func $fd_write (param i32 i32 i32 i32) (result i32)))
              (memory (export "memory") 1)
              (data (i32.const 16) "from the start section\n")
              (func $init
                (i32.store (i32.const 0) (i32.const 16))
                (i32.store (i32.const 4) (i32.const 23))
                (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
              (start $init))"#,
        )
        .unwrap(),
    );
    let cases = [
        case(
            "neither _start nor a start section",
            &["run", &library],
            0,
            is(""),
            is(&format!(
                "wazero: warning: {library} has neither a _start function nor a start section: \
                 it was instantiated, but nothing was run\n"
            )),
        ),
        case(
            "a start section only",
            &["run", &start_section],
            0,
            is("from the start section\n"),
            is(""),
        ),
        case(
            "_start",
            &["run", &program("hello")],
            0,
            is("hello from wasi\n"),
            is("to stderr\n"),
        ),
    ];
    for case in &cases {
        run(case);
    }
}

#[test]
fn flags_after_the_file_go_to_the_program_with_a_warning() {
    let args_env = program("args_env");
    let cases = [
        case(
            "-mount after the file",
            &["run", &args_env, "-mount", "examples/data:/data"],
            0,
            is(
                "argc 3\nargv[0]=args_env.wasm\nargv[1]=-mount\nargv[2]=examples/data:/data\n\
                env count 0\n",
            ),
            is(&format!(
                "wazero: warning: '-mount' after {args_env} is passed to the program, not to \
                 wazero: wazero's flags go before the wasm file (write '--' right after the \
                 file to pass this argument to the program without this warning)\n"
            )),
        ),
        case(
            "-env and --timeout= after the file",
            &[
                "run",
                "-env",
                "A=1",
                &args_env,
                "x",
                "-env",
                "B=2",
                "--timeout=1s",
            ],
            0,
            is(
                "argc 5\nargv[0]=args_env.wasm\nargv[1]=x\nargv[2]=-env\nargv[3]=B=2\n\
                argv[4]=--timeout=1s\nenv A=1\nenv count 1\n",
            ),
            has(&[
                "wazero: warning: '-env', '--timeout=1s' after ",
                " are passed to the program, not to wazero",
            ]),
        ),
        case(
            "-- after the file: no warning",
            &["run", &args_env, "--", "-mount", "x"],
            0,
            is("argc 3\nargv[0]=args_env.wasm\nargv[1]=-mount\nargv[2]=x\nenv count 0\n"),
            is(""),
        ),
        case(
            "arguments that are not wazero's flags: no warning",
            &["run", &args_env, "-v", "--help", "-mounts"],
            0,
            is(
                "argc 4\nargv[0]=args_env.wasm\nargv[1]=-v\nargv[2]=--help\nargv[3]=-mounts\n\
                env count 0\n",
            ),
            is(""),
        ),
    ];
    for case in &cases {
        run(case);
    }
}

#[test]
fn exit_codes_above_255_are_not_success() {
    let dir = TempDir::new("exit");
    let exit_with = |code: u32| {
        dir.write(
            &format!("exit_{code}.wasm"),
            &wat::parse_str(format!(
                r#"(module
                  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
                  (memory (export "memory") 1)
                  (func (export "_start") (call $proc_exit (i32.const {code}))))"#,
                code = code as i32
            ))
            .unwrap(),
        )
    };
    let note = |code: u32| {
        format!(
            "wazero: the program exited with code {code}, which an exit status \
             cannot hold (0 to 255): exiting with 255\n"
        )
    };
    let wasm: Vec<(u32, String)> = [0, 1, 255, 256, 257, 512, u32::MAX]
        .into_iter()
        .map(|code| (code, exit_with(code)))
        .collect();
    let mut cases = Vec::new();
    for (code, wasm) in &wasm {
        let (status, stderr) = match *code {
            code @ 0..=255 => (code as i32, String::new()),
            code => (255, note(code)),
        };
        let name: &'static str = format!("proc_exit({code})").leak();
        cases.push(case(name, &["run", wasm], status, is(""), is(&stderr)));
    }
    for case in &cases {
        run(case);
    }
    // The help says what happens.
    run(&case(
        "help",
        &["run", "-h"],
        0,
        has(&["exits with its exit code (255 for a code above 255"]),
        is(""),
    ));
}

#[test]
fn cachedir_help_says_what_it_does() {
    for command in ["run", "compile"] {
        let output = wazero().args([command, "--help"]).output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{command}");
        let help = String::from_utf8_lossy(&output.stdout);
        let cachedir = help
            .split("--cachedir <DIR>")
            .nth(1)
            .unwrap_or_else(|| panic!("{command}: no --cachedir in\n{help}"));
        // The option's own text, up to the next option.
        let text = cachedir.split("\n  -").next().unwrap();
        for part in ["native code", "DIR", "skip", "compilation"] {
            assert!(text.contains(part), "{command}: {part:?} in {text}");
        }
        assert!(!text.contains("no effect"), "{command}: {text}");
    }
}

/// A program that throws and catches exceptions through several frames
/// (`testdata/exceptions/unwind.wat`, in the text format: Debian's C++
/// runtime for wasm32 is built without exception support) prints what it
/// caught, on both engines; an exception nothing catches ends the run with
/// an error naming its tag.
#[test]
fn exceptions_unwind_through_frames() {
    let source = root().join("testdata/exceptions/unwind.wat");
    let committed = root().join("testdata/exceptions/unwind.wasm");
    let assembled = wat::parse_file(&source).unwrap();
    if std::env::var_os("WAZERO_UPDATE_GOLDEN").is_some() {
        std::fs::write(&committed, &assembled).unwrap();
    }
    assert!(
        std::fs::read(&committed).unwrap() == assembled,
        "testdata/exceptions/unwind.wasm is not unwind.wat assembled \
         (WAZERO_UPDATE_GOLDEN=1 writes it)"
    );
    let expected = "caught overflow thrown at depth 3: value 18\n\
                    caught overflow thrown at depth 10: value 60\n\
                    cleanup at depth 4, then rethrown\n\
                    caught again: value 24\n\
                    legacy catch: value 30\n\
                    delegated past 1 handler: value 42\n";
    let wasm = "testdata/exceptions/unwind.wasm";
    let dir = TempDir::new("exceptions");
    let uncaught = dir.write(
        "uncaught.wasm",
        &wat::parse_str(
            r#"(module
                (tag $boom (export "boom") (param i32))
                (func $inner (throw $boom (i32.const 3)))
                (func (export "_start") (call $inner)))"#,
        )
        .unwrap(),
    );
    for engine in ["-compiler", "-interpreter"] {
        let args: Vec<&str> = ["run", engine, wasm]
            .into_iter()
            .filter(|a| *a != "-compiler")
            .collect();
        run(&case("unwind", &args, 0, is(expected), is("")));
        let args: Vec<&str> = ["run", engine, &uncaught]
            .into_iter()
            .filter(|a| *a != "-compiler")
            .collect();
        run(&case(
            "uncaught",
            &args,
            1,
            is(""),
            has(&["uncaught wasm exception of tag", "boom", "i32 0x3"]),
        ));
    }
}
