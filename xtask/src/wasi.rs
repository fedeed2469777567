//! `cargo xtask build-wasi` and `cargo xtask check-wasi`: the C programs that
//! test the WASI implementation, compiled to `.wasm` and committed.
//!
//! The sources are `testdata/wasi/src/*.c` (built to `testdata/wasi/*.wasm`) and
//! `examples/*.c` (built to `examples/*.wasm`), each with a comment saying how it
//! is run and what it prints. They are compiled with clang for `wasm32-wasi`
//! against wasi-libc, with the flags in [`FLAGS`]: optimized, DWARF stripped,
//! the `name` section kept so that traps show function names; a program may
//! add one of the few [`EXTRA_FLAGS`] for itself in its header comment (a
//! reactor's exec model).
//!
//! Because the tests must run without a C toolchain, the `.wasm` files are
//! committed, and `testdata/wasi/MANIFEST` records for each program the hash of
//! the source it was built from and of the `.wasm` built, plus the toolchain
//! and flags. `check-wasi` then finds a `.wasm` that is stale (its source
//! changed since), missing, or edited by hand, always; and when a clang for
//! `wasm32-wasi` is at hand and is the toolchain the MANIFEST names, it
//! rebuilds every program into a temporary directory and requires the same
//! bytes. (Another clang or wasi-libc produces other, equally good bytes, so
//! that comparison is skipped with a note rather than failed.)
//!
//! The hash is FNV-1a 64, of the source with `\r\n` read as `\n` (so that a
//! checkout converting line endings still matches) and of the `.wasm` as is:
//! it detects change, it is not a defense against forgery.
//!
//! The clang used is `--clang PATH`, else `$WASI_CLANG`, else
//! `$WASI_SDK_PATH/bin/clang`, else `clang` on `PATH`. On Debian and Ubuntu:
//! `apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32` (the
//! version number following clang's).

use crate::cargo::workspace_root;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{SystemTime, UNIX_EPOCH};

/// The compiler flags, besides the input and `-o OUTPUT`. They are recorded in
/// the MANIFEST, so changing them makes every program stale.
pub const FLAGS: &[&str] = &[
    "--target=wasm32-wasi",
    "-O2",
    "-g0",
    "-Wall",
    "-Wextra",
    "-Wl,--strip-debug",
];

/// The flags a program may add to [`FLAGS`] for itself, with a line
/// ` * Extra flags: FLAG...` in its header comment: the exec model, for a WASI
/// reactor (no `main`; its constructors run in `_initialize`). The source hash
/// covers that line, so changing it makes the program stale like any edit.
pub const EXTRA_FLAGS: &[&str] = &["-mexec-model=reactor"];

/// The flags `source` adds for itself (see [`EXTRA_FLAGS`]).
pub fn extra_flags(source: &str) -> Result<Vec<String>, String> {
    let mut flags = Vec::new();
    for line in source.lines() {
        let line = line.trim_start();
        let Some(rest) = line
            .strip_prefix('*')
            .map(str::trim_start)
            .and_then(|l| l.strip_prefix("Extra flags:"))
        else {
            continue;
        };
        for flag in rest.split_whitespace() {
            if !EXTRA_FLAGS.contains(&flag) {
                return Err(format!(
                    "extra flag {flag:?} is not one a program may add (only {EXTRA_FLAGS:?})"
                ));
            }
            flags.push(flag.to_string());
        }
    }
    Ok(flags)
}

/// The directories holding C programs, each with the directory its `.wasm`
/// files go to, relative to the workspace root.
const SOURCE_DIRS: &[(&str, &str)] = &[
    ("testdata/wasi/src", "testdata/wasi"),
    ("examples", "examples"),
];

/// Where the MANIFEST is, relative to the workspace root.
const MANIFEST: &str = "testdata/wasi/MANIFEST";

/// What to run after a change.
const REBUILD: &str = "run cargo xtask build-wasi";

/// Options of `cargo xtask build-wasi`.
#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    /// The clang to compile with (default: $WASI_CLANG, else
    /// $WASI_SDK_PATH/bin/clang, else clang).
    #[arg(long)]
    pub clang: Option<PathBuf>,
}

/// Options of `cargo xtask check-wasi`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The clang to rebuild with (default: $WASI_CLANG, else
    /// $WASI_SDK_PATH/bin/clang, else clang).
    #[arg(long)]
    pub clang: Option<PathBuf>,
    /// Only compare hashes with the MANIFEST; do not rebuild, even when clang
    /// is available.
    #[arg(long)]
    pub no_rebuild: bool,
}

/// `cargo xtask build-wasi`.
pub fn build_main(args: &BuildArgs) -> ExitCode {
    let root = workspace_root();
    let toolchain = match Toolchain::find(args.clang.as_deref()) {
        Ok(toolchain) => toolchain,
        Err(e) => {
            eprintln!("xtask build-wasi: {e}");
            return ExitCode::FAILURE;
        }
    };
    match build(&root, &toolchain) {
        Ok(manifest) => {
            println!(
                "xtask build-wasi: built {} programs with {}; wrote {MANIFEST}",
                manifest.entries.len(),
                toolchain.clang_version
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("xtask build-wasi: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `cargo xtask check-wasi`.
pub fn check_main(args: &CheckArgs) -> ExitCode {
    let root = workspace_root();
    let toolchain = if args.no_rebuild {
        println!("xtask check-wasi: note: not rebuilding (--no-rebuild)");
        None
    } else {
        match Toolchain::find(args.clang.as_deref()) {
            Ok(toolchain) => Some(toolchain),
            Err(e) => {
                println!("xtask check-wasi: note: not rebuilding: {e}");
                None
            }
        }
    };
    match check(&root, toolchain.as_ref()) {
        Ok(report) => {
            for note in &report.notes {
                println!("xtask check-wasi: note: {note}");
            }
            println!(
                "xtask check-wasi: {} programs up to date{}",
                report.programs,
                if report.rebuilt {
                    " (rebuilt: same bytes)"
                } else {
                    " (hashes checked, not rebuilt)"
                }
            );
            ExitCode::SUCCESS
        }
        Err(problems) => {
            for problem in &problems {
                eprintln!("xtask check-wasi: {problem}");
            }
            let plural = if problems.len() == 1 { "" } else { "s" };
            eprintln!("xtask check-wasi: {} problem{plural}", problems.len());
            ExitCode::FAILURE
        }
    }
}

/// One C program: its source and its `.wasm`, relative to the workspace root,
/// with `/` separators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    /// The C source, e.g. `testdata/wasi/src/hello.c`.
    pub source: String,
    /// The `.wasm` built from it, e.g. `testdata/wasi/hello.wasm`.
    pub wasm: String,
}

/// Every C program under `root`, sorted by source path.
pub fn programs(root: &Path) -> Result<Vec<Program>, String> {
    let mut programs = Vec::new();
    for (source_dir, wasm_dir) in SOURCE_DIRS {
        let dir = root.join(source_dir);
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(format!("cannot list {source_dir}: {e}")),
        };
        for entry in entries {
            let entry = entry.map_err(|e| format!("cannot list {source_dir}: {e}"))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let Some(stem) = name.strip_suffix(".c") else {
                continue;
            };
            if stem.is_empty() || name.contains(char::is_whitespace) {
                return Err(format!(
                    "{source_dir}/{name}: a program's name must be non-empty, without spaces"
                ));
            }
            programs.push(Program {
                source: format!("{source_dir}/{name}"),
                wasm: format!("{wasm_dir}/{stem}.wasm"),
            });
        }
    }
    programs.sort_by(|a, b| a.source.cmp(&b.source));
    Ok(programs)
}

/// FNV-1a 64 of `bytes`.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325_u64;
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// The hash of a C source: FNV-1a 64 with every `\r\n` read as `\n`.
pub fn source_hash(bytes: &[u8]) -> u64 {
    let mut normalized = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
            i += 1;
            continue;
        }
        normalized.push(bytes[i]);
        i += 1;
    }
    fnv1a64(&normalized)
}

/// A clang that builds for `wasm32-wasi`, and what identifies its output.
#[derive(Debug, Clone)]
pub struct Toolchain {
    /// The clang command.
    pub clang: PathBuf,
    /// The first line of `clang --version`.
    pub clang_version: String,
    /// FNV-1a 64 of the sysroot's `libc.a` (hex), or `unknown`.
    pub libc_hash: String,
}

impl Toolchain {
    /// The clang to use (see the module documentation), checked by compiling a
    /// small program for `wasm32-wasi`.
    pub fn find(explicit: Option<&Path>) -> Result<Toolchain, String> {
        let clang = match explicit {
            Some(clang) => clang.to_path_buf(),
            None => match (
                std::env::var_os("WASI_CLANG"),
                std::env::var_os("WASI_SDK_PATH"),
            ) {
                (Some(clang), _) => PathBuf::from(clang),
                (None, Some(sdk)) => Path::new(&sdk).join("bin").join("clang"),
                (None, None) => PathBuf::from("clang"),
            },
        };
        let output = Command::new(&clang)
            .arg("--version")
            .output()
            .map_err(|e| format!("cannot run {}: {e}", clang.display()))?;
        if !output.status.success() {
            return Err(format!("{} --version failed", clang.display()));
        }
        let clang_version = String::from_utf8_lossy(&output.stdout)
            .lines()
            .next()
            .unwrap_or("")
            .trim()
            .to_string();

        let libc_hash = Command::new(&clang)
            .args(["--target=wasm32-wasi", "-print-file-name=libc.a"])
            .output()
            .ok()
            .and_then(|out| {
                let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
                fs::read(path).ok()
            })
            .map_or_else(
                || "unknown".to_string(),
                |bytes| format!("{:016x}", fnv1a64(&bytes)),
            );

        let toolchain = Toolchain {
            clang,
            clang_version,
            libc_hash,
        };
        let dir = TempDir::new("probe")?;
        let source = dir.path.join("probe.c");
        fs::write(
            &source,
            "#include <stdio.h>\nint main(void) { puts(\"ok\"); return 0; }\n",
        )
        .map_err(|e| format!("cannot write {}: {e}", source.display()))?;
        toolchain
            .compile(&source, &dir.path.join("probe.wasm"))
            .map_err(|e| {
                format!(
                    "{} cannot build for wasm32-wasi (install clang, lld and wasi-libc, e.g. \
                 `apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32`, or set \
                 WASI_SDK_PATH to a wasi-sdk): {e}",
                    toolchain.clang.display()
                )
            })?;
        Ok(toolchain)
    }

    /// What the MANIFEST records of the toolchain.
    pub fn fingerprint(&self) -> String {
        format!("clang \"{}\" libc.a {}", self.clang_version, self.libc_hash)
    }

    /// Compiles `source` to `output` with [`FLAGS`] and the source's own
    /// [`extra_flags`], echoing clang's warnings.
    pub fn compile(&self, source: &Path, output: &Path) -> Result<(), String> {
        let text = fs::read_to_string(source)
            .map_err(|e| format!("cannot read {}: {e}", source.display()))?;
        let extra = extra_flags(&text).map_err(|e| format!("{}: {e}", source.display()))?;
        let out = Command::new(&self.clang)
            .args(FLAGS)
            .args(&extra)
            .arg("-o")
            .arg(output)
            .arg(source)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", self.clang.display()))?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            return Err(format!("compiling {} failed:\n{stderr}", source.display()));
        }
        if !stderr.trim().is_empty() {
            eprint!("{stderr}");
        }
        Ok(())
    }
}

/// A temporary directory, removed when dropped.
struct TempDir {
    path: PathBuf,
}

impl TempDir {
    fn new(what: &str) -> Result<TempDir, String> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let path =
            std::env::temp_dir().join(format!("xtask-wasi-{what}-{}-{nanos}", std::process::id()));
        fs::create_dir_all(&path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        Ok(TempDir { path })
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// One program's line in the MANIFEST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The program's paths.
    pub program: Program,
    /// [`source_hash`] of the source it was built from.
    pub source_hash: u64,
    /// [`fnv1a64`] of the `.wasm` built.
    pub wasm_hash: u64,
}

/// The contents of `testdata/wasi/MANIFEST`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// [`Toolchain::fingerprint`] of the toolchain that built the programs.
    pub toolchain: String,
    /// The flags they were built with, space-separated.
    pub flags: String,
    /// One entry per program, sorted by source.
    pub entries: Vec<Entry>,
}

impl Manifest {
    /// The MANIFEST's text.
    pub fn render(&self) -> String {
        let mut text = String::new();
        text.push_str(
            "# The C programs compiled to WASI: written by `cargo xtask build-wasi`, checked by\n\
             # `cargo xtask check-wasi`; do not edit. Hashes are FNV-1a 64 (the source's with\n\
             # \\r\\n read as \\n).\n",
        );
        let _ = writeln!(text, "toolchain {}", self.toolchain);
        let _ = writeln!(text, "flags {}", self.flags);
        text.push_str("# source source-hash wasm wasm-hash\n");
        for entry in &self.entries {
            let _ = writeln!(
                text,
                "{} {:016x} {} {:016x}",
                entry.program.source, entry.source_hash, entry.program.wasm, entry.wasm_hash
            );
        }
        text
    }

    /// Parses a MANIFEST's text.
    pub fn parse(text: &str) -> Result<Manifest, String> {
        let mut toolchain = None;
        let mut flags = None;
        let mut entries = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(rest) = line.strip_prefix("toolchain ") {
                toolchain = Some(rest.to_string());
                continue;
            }
            if let Some(rest) = line.strip_prefix("flags ") {
                flags = Some(rest.to_string());
                continue;
            }
            let bad = || format!("{MANIFEST}:{}: cannot parse {line:?}", n + 1);
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [source, source_hash, wasm, wasm_hash] = fields[..] else {
                return Err(bad());
            };
            entries.push(Entry {
                program: Program {
                    source: source.to_string(),
                    wasm: wasm.to_string(),
                },
                source_hash: u64::from_str_radix(source_hash, 16).map_err(|_| bad())?,
                wasm_hash: u64::from_str_radix(wasm_hash, 16).map_err(|_| bad())?,
            });
        }
        Ok(Manifest {
            toolchain: toolchain.ok_or_else(|| format!("{MANIFEST}: no toolchain line"))?,
            flags: flags.ok_or_else(|| format!("{MANIFEST}: no flags line"))?,
            entries,
        })
    }
}

/// Compiles every program under `root` in place and writes the MANIFEST. A
/// `.wasm` whose bytes do not change is left untouched.
pub fn build(root: &Path, toolchain: &Toolchain) -> Result<Manifest, String> {
    let programs = programs(root)?;
    let scratch = TempDir::new("build")?;
    let mut entries = Vec::new();
    for program in programs {
        let source = fs::read(root.join(&program.source))
            .map_err(|e| format!("cannot read {}: {e}", program.source))?;
        let built = scratch.path.join("out.wasm");
        toolchain.compile(&root.join(&program.source), &built)?;
        let bytes =
            fs::read(&built).map_err(|e| format!("cannot read {}: {e}", built.display()))?;
        let target = root.join(&program.wasm);
        if fs::read(&target).ok().as_deref() != Some(&bytes[..]) {
            fs::write(&target, &bytes)
                .map_err(|e| format!("cannot write {}: {e}", program.wasm))?;
            println!(
                "xtask build-wasi: {} -> {} ({} bytes)",
                program.source,
                program.wasm,
                bytes.len()
            );
        } else {
            println!("xtask build-wasi: {} unchanged", program.wasm);
        }
        entries.push(Entry {
            source_hash: source_hash(&source),
            wasm_hash: fnv1a64(&bytes),
            program,
        });
    }
    let manifest = Manifest {
        toolchain: toolchain.fingerprint(),
        flags: FLAGS.join(" "),
        entries,
    };
    fs::write(root.join(MANIFEST), manifest.render())
        .map_err(|e| format!("cannot write {MANIFEST}: {e}"))?;
    Ok(manifest)
}

/// What a successful [`check`] found.
#[derive(Debug, Clone)]
pub struct CheckReport {
    /// How many programs are up to date.
    pub programs: usize,
    /// Whether they were also rebuilt and compared byte for byte.
    pub rebuilt: bool,
    /// Remarks, such as why the rebuild was skipped.
    pub notes: Vec<String>,
}

/// Checks the committed `.wasm` files against their sources and the MANIFEST
/// and, with a `toolchain` that is the one the MANIFEST names, rebuilds them
/// into a temporary directory and compares the bytes. Returns every problem
/// found, each a sentence saying what to do.
pub fn check(root: &Path, toolchain: Option<&Toolchain>) -> Result<CheckReport, Vec<String>> {
    let programs = programs(root).map_err(|e| vec![e])?;
    let text = fs::read_to_string(root.join(MANIFEST))
        .map_err(|e| vec![format!("cannot read {MANIFEST}: {e}; {REBUILD}")])?;
    let manifest = Manifest::parse(&text).map_err(|e| vec![format!("{e}; {REBUILD}")])?;
    let mut problems = Vec::new();
    let mut notes = Vec::new();

    let flags = FLAGS.join(" ");
    if manifest.flags != flags {
        problems.push(format!(
            "stale: the programs were built with flags \"{}\", the build now uses \"{flags}\"; {REBUILD}",
            manifest.flags
        ));
    }
    for entry in &manifest.entries {
        if !programs.contains(&entry.program) {
            problems.push(format!(
                "stale: {MANIFEST} lists {} built from {}, which no longer exists; {REBUILD}",
                entry.program.wasm, entry.program.source
            ));
        }
    }
    for program in &programs {
        let source_name = program.source.rsplit('/').next().unwrap_or(&program.source);
        let Some(entry) = manifest.entries.iter().find(|e| e.program == *program) else {
            problems.push(format!(
                "new: {} has no entry in {MANIFEST} (is {} built?); {REBUILD}",
                program.source, program.wasm
            ));
            continue;
        };
        match fs::read(root.join(&program.source)) {
            Ok(source) if source_hash(&source) == entry.source_hash => {}
            Ok(_) => problems.push(format!(
                "stale: {} was built from an older {source_name}; {REBUILD}",
                program.wasm
            )),
            Err(e) => problems.push(format!("cannot read {}: {e}", program.source)),
        }
        match fs::read(root.join(&program.wasm)) {
            Ok(wasm) if fnv1a64(&wasm) == entry.wasm_hash => {}
            Ok(_) => problems.push(format!(
                "stale: {} is not the .wasm {MANIFEST} records for {source_name} (changed by hand?); {REBUILD}",
                program.wasm
            )),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => problems.push(format!(
                "missing: {} (built from {}) does not exist; {REBUILD}",
                program.wasm, program.source
            )),
            Err(e) => problems.push(format!("cannot read {}: {e}", program.wasm)),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }

    let mut rebuilt = false;
    match toolchain {
        None => {}
        Some(toolchain) if toolchain.fingerprint() != manifest.toolchain => notes.push(format!(
            "not rebuilding: the MANIFEST's programs were built with {}, this toolchain is {} \
             (its bytes would differ without either being stale)",
            manifest.toolchain,
            toolchain.fingerprint()
        )),
        Some(toolchain) => {
            let scratch = TempDir::new("check").map_err(|e| vec![e])?;
            for program in &programs {
                let built = scratch.path.join("out.wasm");
                if let Err(e) = toolchain.compile(&root.join(&program.source), &built) {
                    problems.push(e);
                    continue;
                }
                let fresh = fs::read(&built).unwrap_or_default();
                let committed = fs::read(root.join(&program.wasm)).unwrap_or_default();
                if fresh != committed {
                    problems.push(format!(
                        "stale: rebuilding {} gives a .wasm other than the committed {}; {REBUILD}",
                        program.source, program.wasm
                    ));
                }
            }
            rebuilt = true;
        }
    }
    if problems.is_empty() {
        Ok(CheckReport {
            programs: programs.len(),
            rebuilt,
            notes,
        })
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_flags_come_from_the_header_and_are_limited() {
        let cases: &[(&str, Result<Vec<&str>, ()>)] = &[
            ("/*\n * hello.c\n */\n", Ok(vec![])),
            (
                "/*\n * Extra flags: -mexec-model=reactor\n */\n",
                Ok(vec!["-mexec-model=reactor"]),
            ),
            ("/*\n * Extra flags: -O0\n */\n", Err(())),
            (
                "/*\n * Extra flags: -mexec-model=reactor -lfoo\n */\n",
                Err(()),
            ),
        ];
        for (source, want) in cases {
            let got = extra_flags(source).map_err(drop);
            let want = want
                .clone()
                .map(|v| v.iter().map(|s| s.to_string()).collect());
            assert_eq!(got, want, "{source:?}");
        }
    }

    #[test]
    fn fnv1a64_known_values() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn source_hash_ignores_crlf() {
        assert_eq!(source_hash(b"a\r\nb\n"), source_hash(b"a\nb\n"));
        assert_ne!(source_hash(b"a\rb"), source_hash(b"ab"));
    }

    #[test]
    fn manifest_round_trips() {
        let manifest = Manifest {
            toolchain: "clang \"Debian clang version 14.0.6\" libc.a 0123456789abcdef".to_string(),
            flags: FLAGS.join(" "),
            entries: vec![Entry {
                program: Program {
                    source: "testdata/wasi/src/hello.c".to_string(),
                    wasm: "testdata/wasi/hello.wasm".to_string(),
                },
                source_hash: 1,
                wasm_hash: u64::MAX,
            }],
        };
        assert_eq!(Manifest::parse(&manifest.render()), Ok(manifest));
    }
}
