//! `cargo xtask wasi-testsuite`: the official WASI test suite
//! (WebAssembly/wasi-testsuite, its preview1 tests) run through the `wazero`
//! command on each engine, with the suite's own expectations.
//!
//! The tests live in `testdata/wasi-testsuite/tests/<language>/testsuite/wasm32-wasip1/`:
//! for each `NAME.wasm`, an optional `NAME.json` gives its `args`, `env`,
//! `root` (a directory next to it, mounted at `/`), and the expected
//! `exit_code` (default 0), `stdout` and `stderr` (compared when given), the
//! same fields the suite's Python runner reads. Each run gets a fresh copy of
//! its root, so tests that fail halfway leave nothing behind for the next.
//!
//! `--import DIR` refreshes the committed copy from a checkout of the suite's
//! `prod/testsuite-base` branch: the preview1 tests are copied with their
//! custom sections stripped (DWARF makes the Rust tests 2 MB each), except the
//! `name` section that backtraces use. Record the commit in
//! `testdata/wasi-testsuite/README.md`.

use crate::cargo::{cargo, jobs_args, workspace_root};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

/// Where the suite is committed, relative to the workspace root.
const SUITE: &str = "testdata/wasi-testsuite";

/// The languages the preview1 tests are written in (directories of the suite).
const LANGUAGES: &[&str] = &["assemblyscript", "c", "rust"];

/// How long one test may run before it counts as failed.
const TIMEOUT: Duration = Duration::from_secs(60);

/// Options of `cargo xtask wasi-testsuite`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The engines to run on: interpreter, compiler, tiered (the default),
    /// several of them separated by commas, or all.
    #[arg(long, default_value = "all")]
    pub engine: String,
    /// The `wazero` binary to run (default: build it with cargo, unoptimized).
    #[arg(long)]
    pub wazero: Option<PathBuf>,
    /// Run only the tests whose name contains this.
    #[arg(long)]
    pub filter: Option<String>,
    /// Instead of running: copy the preview1 tests from a checkout of
    /// WebAssembly/wasi-testsuite (branch prod/testsuite-base) into testdata,
    /// stripping their custom sections but `name`.
    #[arg(long, value_name = "CHECKOUT")]
    pub import: Option<PathBuf>,
    /// Parallel jobs for building the binary.
    #[arg(long, short)]
    pub jobs: Option<u32>,
}

/// One test: its module and what its `.json` says.
struct Case {
    language: &'static str,
    name: String,
    wasm: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
    root: Option<PathBuf>,
    exit_code: i32,
    stdout: Option<String>,
    stderr: Option<String>,
}

/// The directory of one language's preview1 tests.
fn tests_dir(base: &Path, language: &str) -> PathBuf {
    base.join("tests")
        .join(language)
        .join("testsuite")
        .join("wasm32-wasip1")
}

/// Reads every test of the committed suite, in a stable order.
fn cases(filter: Option<&str>) -> Result<Vec<Case>, String> {
    let base = workspace_root().join(SUITE);
    let mut out = Vec::new();
    for &language in LANGUAGES {
        let dir = tests_dir(&base, language);
        let mut wasms: Vec<PathBuf> = fs::read_dir(&dir)
            .map_err(|e| format!("{}: {e}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "wasm"))
            .collect();
        wasms.sort();
        for wasm in wasms {
            let name = wasm
                .file_stem()
                .and_then(|s| s.to_str())
                .ok_or_else(|| format!("{}: not a UTF-8 name", wasm.display()))?
                .to_string();
            if filter.is_some_and(|f| !name.contains(f)) {
                continue;
            }
            out.push(case(language, name, wasm)?);
        }
    }
    Ok(out)
}

/// A test from its module and its `.json`, if any.
fn case(language: &'static str, name: String, wasm: PathBuf) -> Result<Case, String> {
    let json = wasm.with_extension("json");
    let spec: serde_json::Value = match fs::read_to_string(&json) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| format!("{}: {e}", json.display()))?,
        Err(_) => serde_json::Value::Object(Default::default()),
    };
    let text = |key: &str| spec.get(key).and_then(|v| v.as_str()).map(str::to_string);
    let args = spec
        .get("args")
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let env = spec
        .get("env")
        .and_then(|v| v.as_object())
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                .collect()
        })
        .unwrap_or_default();
    let dir = wasm.parent().unwrap_or(Path::new("."));
    Ok(Case {
        language,
        root: text("root").map(|r| dir.join(r)),
        exit_code: spec
            .get("exit_code")
            .and_then(|v| v.as_i64())
            .map_or(0, |c| c as i32),
        stdout: text("stdout"),
        stderr: text("stderr"),
        name,
        wasm,
        args,
        env,
    })
}

/// Copies `from` into `to` (directories, files and symbolic links).
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let ty = entry.file_type()?;
        if ty.is_dir() {
            copy_tree(&src, &dst)?;
        } else if ty.is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(&src)?, &dst)?;
        } else {
            fs::copy(&src, &dst)?;
        }
    }
    Ok(())
}

/// A scratch directory, removed on drop.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Runs one test on one engine; `Err` says how it failed.
fn run(wazero: &Path, engine: &str, case: &Case, scratch: &Path) -> Result<(), String> {
    let mut command = Command::new(wazero);
    command.arg("run").arg(format!("-{engine}"));
    for (k, v) in &case.env {
        command.arg(format!("-env={k}={v}"));
    }
    let _root = match &case.root {
        Some(root) => {
            let copy = scratch.join(format!("{}-{}-{engine}", case.language, case.name));
            let _ = fs::remove_dir_all(&copy);
            copy_tree(root, &copy).map_err(|e| format!("copying {}: {e}", root.display()))?;
            command.arg(format!("-mount={}:/", copy.display()));
            Some(Scratch(copy))
        }
        None => None,
    };
    command
        .arg(&case.wasm)
        .args(&case.args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", wazero.display()))?;
    // Drain both pipes on threads so a chatty test cannot block on a full pipe.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut out = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut out);
            }
            String::from_utf8_lossy(&out).into_owned()
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("timed out after {TIMEOUT:?}"));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(format!("wait: {e}")),
        }
    };
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    let mut problems = Vec::new();
    match status.code() {
        Some(code) if code == case.exit_code => {}
        code => problems.push(format!("exit code {code:?}, expected {}", case.exit_code)),
    }
    if case.stdout.as_ref().is_some_and(|want| *want != stdout) {
        problems.push(format!("stdout {stdout:?}, expected {:?}", case.stdout));
    }
    if case.stderr.as_ref().is_some_and(|want| *want != stderr) {
        problems.push(format!("stderr differs, expected {:?}", case.stderr));
    }
    if problems.is_empty() {
        return Ok(());
    }
    let head: String = stderr.lines().take(6).collect::<Vec<_>>().join("\n      ");
    Err(format!("{}\n      stderr: {head}", problems.join("; ")))
}

/// Builds the `wazero` binary (unoptimized: `cargo test` built its
/// dependencies already) and returns its path.
pub(crate) fn build_wazero(jobs: Option<u32>) -> Result<PathBuf, String> {
    let status = cargo()
        .args(["build", "-q", "-p", "wazero-cli"])
        .args(jobs_args(jobs))
        .status()
        .map_err(|e| format!("cargo build: {e}"))?;
    if !status.success() {
        return Err("cargo build -p wazero-cli failed".into());
    }
    let target = crate::cargo::target_dir();
    Ok(target.join("debug").join("wazero"))
}

/// Runs the suite and prints `wasi-testsuite: N passed, M failed`.
pub fn main(args: &Args) -> ExitCode {
    if let Some(checkout) = &args.import {
        return match import(checkout) {
            Ok(n) => {
                println!("wasi-testsuite: imported {n} modules into {SUITE}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("wasi-testsuite: {e}");
                ExitCode::FAILURE
            }
        };
    }
    const ENGINES: [&str; 3] = ["interpreter", "compiler", "tiered"];
    let engines: Vec<&str> = match args.engine.as_str() {
        "all" => ENGINES.to_vec(),
        list => list.split(',').collect(),
    };
    if let Some(other) = engines.iter().find(|e| !ENGINES.contains(e)) {
        eprintln!("wasi-testsuite: unknown engine {other:?} (interpreter, compiler, tiered, all)");
        return ExitCode::FAILURE;
    }
    let prepared = cases(args.filter.as_deref()).and_then(|cases| {
        let wazero = match &args.wazero {
            Some(path) => path.clone(),
            None => build_wazero(args.jobs)?,
        };
        Ok((cases, wazero))
    });
    let (cases, wazero) = match prepared {
        Ok(ready) => ready,
        Err(e) => {
            eprintln!("wasi-testsuite: {e}");
            return ExitCode::FAILURE;
        }
    };
    let scratch =
        Scratch(std::env::temp_dir().join(format!("wazero-wasi-testsuite-{}", std::process::id())));
    let (mut passed, mut failed) = (0, 0);
    for engine in engines {
        let started = Instant::now();
        let (mut engine_passed, mut engine_failed) = (0, 0);
        for case in &cases {
            match run(&wazero, engine, case, &scratch.0) {
                Ok(()) => engine_passed += 1,
                Err(why) => {
                    engine_failed += 1;
                    println!("FAIL {engine} {}/{}: {why}", case.language, case.name);
                }
            }
        }
        println!(
            "wasi-testsuite ({engine}): {engine_passed} passed, {engine_failed} failed in {:.1?}",
            started.elapsed()
        );
        passed += engine_passed;
        failed += engine_failed;
    }
    println!("wasi-testsuite: {passed} passed, {failed} failed");
    if failed == 0 && passed > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Copies the preview1 tests of a suite checkout into testdata; the number of
/// modules copied.
fn import(checkout: &Path) -> Result<usize, String> {
    let base = workspace_root().join(SUITE);
    let mut modules = 0;
    for &language in LANGUAGES {
        let (from, to) = (tests_dir(checkout, language), tests_dir(&base, language));
        let _ = fs::remove_dir_all(&to);
        copy_tree(&from, &to).map_err(|e| format!("{}: {e}", from.display()))?;
        for entry in fs::read_dir(&to).map_err(|e| e.to_string())? {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.extension().is_some_and(|x| x == "wasm") {
                let bytes = fs::read(&path).map_err(|e| e.to_string())?;
                let stripped = strip_custom_sections(&bytes)
                    .ok_or_else(|| format!("{}: not a wasm module", path.display()))?;
                fs::write(&path, stripped).map_err(|e| e.to_string())?;
                modules += 1;
            }
        }
    }
    fs::copy(checkout.join("LICENSE"), base.join("LICENSE")).map_err(|e| e.to_string())?;
    Ok(modules)
}

/// Reads an unsigned LEB128 at `*at`, moving past it.
fn leb128(bytes: &[u8], at: &mut usize) -> Option<usize> {
    let (mut value, mut shift) = (0usize, 0);
    loop {
        let byte = *bytes.get(*at)?;
        *at += 1;
        value |= usize::from(byte & 0x7f).checked_shl(shift)?;
        if byte < 0x80 {
            return Some(value);
        }
        shift += 7;
    }
}

/// `bytes` without its custom sections, but the `name` section.
fn strip_custom_sections(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = bytes.get(..8)?.to_vec();
    let mut at = 8;
    while at < bytes.len() {
        let start = at;
        let id = bytes[at];
        at += 1;
        let size = leb128(bytes, &mut at)?;
        let end = at.checked_add(size).filter(|&e| e <= bytes.len())?;
        let keep = id != 0 || {
            let mut name_at = at;
            let len = leb128(bytes, &mut name_at)?;
            bytes.get(name_at..name_at.checked_add(len)?)? == b"name"
        };
        if keep {
            out.extend_from_slice(&bytes[start..end]);
        }
        at = end;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stripping_keeps_everything_but_custom_sections_other_than_name() {
        let header = b"\0asm\x01\0\0\0";
        let mut module = header.to_vec();
        module.extend_from_slice(&[1, 4, 1, 0x60, 0, 0]); // type section
        module.extend_from_slice(&[0, 6, 4, b'n', b'a', b'm', b'e', 0xaa]);
        module.extend_from_slice(&[0, 7, 5, b'.', b'd', b'e', b'b', b'u', 0xbb]);
        let stripped = strip_custom_sections(&module).unwrap();
        let mut want = header.to_vec();
        want.extend_from_slice(&[1, 4, 1, 0x60, 0, 0]);
        want.extend_from_slice(&[0, 6, 4, b'n', b'a', b'm', b'e', 0xaa]);
        assert_eq!(stripped, want);
        assert_eq!(strip_custom_sections(&module[..module.len() - 1]), None);
    }
}
