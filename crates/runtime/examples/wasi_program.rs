//! Running WASI programs (C compiled with clang and wasi-libc, committed as
//! `.wasm`): arguments and environment, a read-only and a read-write mount of
//! host directories, standard output and error captured in a `SharedBuffer`,
//! and the exit code.
//!
//! A WASI program's `_start` runs when it is instantiated; a program that
//! exits with 0 instantiates fine, any other code is an error that carries it
//! (`Error::exit_code`).
//!
//! Run it with `cargo run -p wazero --example wasi_program`.

use std::path::{Path, PathBuf};

use wazero::{wasi_snapshot_preview1, FsConfig, ModuleConfig, Runtime, SharedBuffer};

/// A committed WASI program, relative to the workspace root.
fn program(path: &str) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path);
    std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()).into())
}

/// Runs the example; the integration tests call it too.
pub fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runtime = Runtime::new();
    // The WASI host module, once per runtime; every program below imports it.
    wasi_snapshot_preview1::instantiate(&runtime)?;

    // The read-only mount: the files next to the example program.
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/data");
    // The read-write mount: a fresh directory the programs may change.
    let work = std::env::temp_dir().join(format!("wazero-example-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    std::fs::write(work.join("note.txt"), "written by the host\n")?;
    let result = run_programs(&runtime, &data, &work);
    std::fs::remove_dir_all(&work)?;
    result
}

fn run_programs(
    runtime: &Runtime,
    data: &Path,
    work: &PathBuf,
) -> Result<(), Box<dyn std::error::Error>> {
    // What each guest sees: /data (read-only) and /work (read-write), nothing else.
    let fs = || {
        FsConfig::new()
            .with_read_only_dir_mount(data, "/data")
            .with_dir_mount(work, "/work")
    };

    // 1. `cat` prints a file from each mount, then exits with 0.
    let cat = runtime.compile_module(&program("examples/cat.wasm")?)?;
    let stdout = SharedBuffer::new();
    runtime.instantiate_module(
        &cat,
        ModuleConfig::new()
            .with_args(["cat", "/data/hello.txt", "/work/note.txt"])
            .with_stdout(stdout.clone())
            .with_fs_config(fs()),
    )?;
    print!("cat printed:\n{}", stdout.to_string_lossy());
    assert_eq!(
        stdout.to_string_lossy(),
        "Hello, WebAssembly!\nwritten by the host\n"
    );

    // 2. A file that is not there: `cat` says so on stderr and exits with 1,
    //    which makes instantiation fail with that exit code.
    let (stdout, stderr) = (SharedBuffer::new(), SharedBuffer::new());
    let err = runtime
        .instantiate_module(
            &cat,
            ModuleConfig::new()
                .with_args(["cat", "/data/missing.txt"])
                .with_stdout(stdout.clone())
                .with_stderr(stderr.clone())
                .with_fs_config(fs()),
        )
        .expect_err("cat of a missing file fails");
    println!(
        "cat /data/missing.txt -> {err}; stderr: {}",
        stderr.to_string_lossy().trim()
    );
    assert_eq!(err.exit_code(), Some(1));
    assert_eq!(
        stderr.to_string_lossy(),
        "cat: /data/missing.txt: No such file or directory\n"
    );

    // 3. Arguments and environment, as the guest sees them.
    let args_env = runtime.compile_module(&program("testdata/wasi/args_env.wasm")?)?;
    let stdout = SharedBuffer::new();
    runtime.instantiate_module(
        &args_env,
        ModuleConfig::new()
            .with_args(["args_env", "--greeting", "hi there"])
            .with_env("LANG", "C.UTF-8")
            .with_env("MODE", "example")
            .with_stdout(stdout.clone()),
    )?;
    print!("args_env printed:\n{}", stdout.to_string_lossy());
    assert_eq!(
        stdout.to_string_lossy(),
        "argc 3\nargv[0]=args_env\nargv[1]=--greeting\nargv[2]=hi there\n\
         env LANG=C.UTF-8\nenv MODE=example\nenv count 2\n"
    );

    // 4. Writing: `files` creates, writes, renames and removes files and
    //    directories under /work, checking each step, and cleans up after itself.
    let files = runtime.compile_module(&program("testdata/wasi/files.wasm")?)?;
    let stdout = SharedBuffer::new();
    runtime.instantiate_module(
        &files,
        ModuleConfig::new()
            .with_args(["files", "/work"])
            .with_stdout(stdout.clone())
            .with_fs_config(fs()),
    )?;
    let out = stdout.to_string_lossy();
    println!(
        "files: {} checks, last line {:?}",
        out.lines().count(),
        out.lines().last()
    );
    assert!(out.ends_with("all ok\n"), "{out}");
    assert!(
        work.join("note.txt").exists(),
        "the host's file is untouched"
    );

    // 5. The read-only mount stays read-only: `files` fails at its first write.
    let (stdout, stderr) = (SharedBuffer::new(), SharedBuffer::new());
    let err = runtime
        .instantiate_module(
            &files,
            ModuleConfig::new()
                .with_args(["files", "/data"])
                .with_stdout(stdout.clone())
                .with_stderr(stderr.clone())
                .with_fs_config(fs()),
        )
        .expect_err("writing to /data is refused");
    println!(
        "files /data -> {err}: {}",
        stdout.to_string_lossy().lines().last().unwrap_or_default()
    );
    assert_eq!(err.exit_code(), Some(1));
    assert!(!data.join("files_test").exists());
    Ok(())
}
