//! What the command says when something goes wrong: one line on standard error
//! starting with `wazero: ` (a trap adds its backtrace), never a Rust `Debug`
//! dump or a panic.
//!
//! Everything the command itself prints goes through [`stdout`] and [`stderr`],
//! which ignore write errors: with a standard stream closed (`wazero run x.wasm
//! 2>&1 | head -1`), there is nobody left to tell, and the exit code still says
//! what happened. (`print!` and `eprint!` panic there instead.)

use std::io::{self, Write};
use std::path::Path;

use wazero::api::ExternType;
use wazero::{CompiledModule, Error, LinkError, Trap};

use crate::args::Timeout;

/// A failure to report: printed as `wazero: <message>`; the command then exits
/// with 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    message: String,
}

impl Failure {
    /// A failure saying `message`.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }

    /// The message, without the `wazero: ` prefix.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Prints the message to standard error.
    pub fn print(&self) {
        stderr(&format!("wazero: {}\n", self.message()));
    }
}

/// Writes `text` to standard output, ignoring errors (a closed pipe).
pub fn stdout(text: &str) {
    let mut out = io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// Writes `text` to standard error, ignoring errors (a closed pipe).
pub fn stderr(text: &str) {
    let _ = io::stderr().lock().write_all(text.as_bytes());
}

/// An I/O error as a person reads it: "No such file or directory", without
/// Rust's " (os error 2)".
pub fn io_message(err: &io::Error) -> String {
    let text = err.to_string();
    match (err.raw_os_error(), text.rfind(" (os error ")) {
        (Some(_), Some(end)) => text[..end].to_string(),
        _ => text,
    }
}

/// The file could not be read.
pub fn cannot_read(path: &Path, err: &io::Error) -> Failure {
    Failure::new(format!(
        "cannot read {}: {}",
        path.display(),
        io_message(err)
    ))
}

/// The file is not a WebAssembly binary (`bytes` lack the `\0asm` magic).
pub fn not_wasm(path: &Path, bytes: &[u8]) -> Failure {
    let trimmed = bytes.trim_ascii_start();
    let why = if bytes.is_empty() {
        "it is empty"
    } else if trimmed.starts_with(b"(module") || trimmed.starts_with(b";;") {
        "it looks like the text format: convert it with wat2wasm first"
    } else {
        "it does not start with \\0asm"
    };
    Failure::new(format!(
        "{} is not a WebAssembly binary ({why})",
        path.display()
    ))
}

/// Decoding, validating or compiling the module at `path` failed.
pub fn module_error(path: &Path, err: &Error) -> Failure {
    Failure::new(format!("{}: {err}", path.display()))
}

/// Instantiating or running the module failed (not with an exit code).
pub fn run_error(compiled: &CompiledModule, err: &Error) -> Failure {
    match err {
        Error::Link(link) => Failure::new(link_message(compiled, link)),
        Error::Trap(trap) => Failure::new(trap_message(trap)),
        _ => Failure::new(err.to_string()),
    }
}

/// How many lines of a long backtrace are shown from its innermost end; the
/// outermost [`BACKTRACE_TAIL`] follow them after a line saying how many frames
/// were left out.
const BACKTRACE_HEAD: usize = 20;
/// How many lines of a long backtrace are shown from its outermost end.
const BACKTRACE_TAIL: usize = 5;
/// A run of the same frame at least this long is shown as one frame and a line
/// saying how many times it repeats.
const REPEAT_MIN: usize = 3;

/// The trap and its backtrace, short enough to read: runaway recursion leaves
/// tens of thousands of frames, so runs of one frame are collapsed
/// (`... m.f repeated 9998 more times ...`) and a backtrace still longer than
/// [`BACKTRACE_HEAD`] + [`BACKTRACE_TAIL`] lines keeps its innermost and
/// outermost lines only (`... 12345 frames omitted ...`). Frames keep their
/// numbers (0 is the innermost), so what is left out is visible.
fn trap_message(trap: &Trap) -> String {
    let mut message = format!("wasm trap: {}", trap.code);
    if !trap.backtrace.is_empty() {
        message.push_str("\nwasm backtrace:");
        for line in backtrace_lines(&trap.backtrace) {
            message.push_str("\n  ");
            message.push_str(&line);
        }
    }
    message
}

/// The lines of [`trap_message`]'s backtrace, without indentation.
fn backtrace_lines(frames: &[String]) -> Vec<String> {
    // Each entry: the lines showing a run of frames, and how many frames it covers.
    let mut runs: Vec<(Vec<String>, usize)> = Vec::new();
    let mut i = 0;
    while i < frames.len() {
        let frame = &frames[i];
        let len = frames[i..].iter().take_while(|f| *f == frame).count();
        let first = format!("{i}: {frame}");
        if len >= REPEAT_MIN {
            let more = len - 1;
            let repeat = format!(
                "... {frame} repeated {more} more times (frames {} to {}) ...",
                i + 1,
                i + more
            );
            runs.push((vec![first, repeat], len));
        } else {
            for (k, f) in frames[i..i + len].iter().enumerate() {
                runs.push((vec![format!("{}: {f}", i + k)], 1));
            }
        }
        i += len;
    }
    let total: usize = runs.iter().map(|(lines, _)| lines.len()).sum();
    if total <= BACKTRACE_HEAD + BACKTRACE_TAIL + 1 {
        return runs.into_iter().flat_map(|(lines, _)| lines).collect();
    }
    // Whole runs from each end, so that a repeated frame keeps its count.
    let mut head = Vec::new();
    let mut taken = 0;
    while head.len() + runs[taken].0.len() <= BACKTRACE_HEAD {
        head.extend(runs[taken].0.iter().cloned());
        taken += 1;
    }
    let mut tail = Vec::new();
    let mut kept = runs.len();
    while kept > taken && tail.len() + runs[kept - 1].0.len() <= BACKTRACE_TAIL {
        kept -= 1;
        tail.splice(0..0, runs[kept].0.iter().cloned());
    }
    let omitted: usize = runs[taken..kept].iter().map(|(_, n)| n).sum();
    head.push(format!("... {omitted} frames omitted ..."));
    head.extend(tail);
    head
}

/// The link error, with the type the module expects for a missing function and
/// what the command provides when a whole module is missing.
fn link_message(compiled: &CompiledModule, link: &LinkError) -> String {
    let mut message = link.to_string();
    let (module, field, kind) = match link {
        LinkError::UnknownModule {
            module,
            field,
            kind,
        }
        | LinkError::UnknownExport {
            module,
            field,
            kind,
        } => (module, field, *kind),
        _ => return message,
    };
    if kind == ExternType::Func {
        let import = Some((module.clone(), field.clone()));
        if let Some(def) = compiled
            .imported_functions()
            .into_iter()
            .find(|d| d.import == import)
        {
            let list = |types: &[wazero::ValueType]| {
                types
                    .iter()
                    .map(|t| t.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            message.push_str(&format!(
                "; the module expects type ({}) -> ({})",
                list(&def.param_types),
                list(&def.result_types)
            ));
        }
    }
    if matches!(link, LinkError::UnknownModule { .. }) {
        message.push_str(
            "; the wazero command provides only WASI (wasi_snapshot_preview1, wasi_unstable)",
        );
    }
    message
}

/// The `-timeout` expired.
pub fn timeout(timeout: &Timeout) -> Failure {
    Failure::new(format!(
        "timeout after {}: the guest was interrupted",
        timeout.text
    ))
}

/// `-timeout` expired while the module was still being compiled.
pub fn compile_timeout(timeout: &Timeout) -> Failure {
    Failure::new(format!(
        "timeout after {}: the module was still being compiled",
        timeout.text
    ))
}

/// Prints a command-line error (or the help or version asked for) and returns
/// the exit code: 0 for help and version, 2 for a usage error.
pub fn usage_error(err: clap::Error) -> i32 {
    use clap::error::ErrorKind;
    match err.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = err.print();
            0
        }
        _ => {
            let text = err.render().to_string();
            let mut message = format!("wazero: {}\n", usage_summary(&text));
            if let Some(usage) = text.lines().find(|l| l.starts_with("Usage:")) {
                message.push_str(&format!("{usage} (-h for help)\n"));
            }
            stderr(&message);
            2
        }
    }
}

/// The first paragraph of clap's message on one line, without "error: ".
fn usage_summary(rendered: &str) -> String {
    rendered
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
        .trim_start_matches("error: ")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_read_without_the_os_error_number() {
        let cases = [
            (io::Error::from_raw_os_error(2), "No such file or directory"),
            (
                io::Error::other("custom (os error 5)"),
                "custom (os error 5)",
            ),
        ];
        for (err, expected) in cases {
            assert_eq!(io_message(&err), expected);
        }
    }

    #[test]
    fn files_that_are_not_wasm_say_why() {
        let cases: [(&[u8], &str); 4] = [
            (b"", "x is not a WebAssembly binary (it is empty)"),
            (
                b"hello\n",
                "x is not a WebAssembly binary (it does not start with \\0asm)",
            ),
            (
                b"  (module)",
                "x is not a WebAssembly binary (it looks like the text format: convert it with wat2wasm first)",
            ),
            (
                b"\0as",
                "x is not a WebAssembly binary (it does not start with \\0asm)",
            ),
        ];
        for (bytes, expected) in cases {
            assert_eq!(not_wasm(Path::new("x"), bytes).message(), expected);
        }
    }

    #[test]
    fn link_errors_name_the_expected_type() {
        let runtime = wazero::Runtime::new();
        let wasm =
            wat::parse_str(r#"(module (import "env" "missing" (func (param i32) (result i64))))"#)
                .unwrap();
        let compiled = runtime.compile_module(&wasm).unwrap();
        let err = runtime
            .instantiate_module(&compiled, wazero::ModuleConfig::new())
            .unwrap_err();
        let message = run_error(&compiled, &err).message().to_string();
        for part in ["env", "missing", "(i32) -> (i64)", "provides only WASI"] {
            assert!(message.contains(part), "{part} in {message}");
        }
        assert!(!message.contains('\n'), "{message}");
    }

    #[test]
    fn long_backtraces_are_cut_and_repeats_collapsed() {
        let names = |spec: &[(&str, usize)]| -> Vec<String> {
            spec.iter()
                .flat_map(|&(name, n)| std::iter::repeat_n(name.to_string(), n))
                .collect()
        };
        let numbered = |from: usize, to: usize| -> Vec<String> {
            (from..to).map(|i| format!("{i}: f{i}")).collect()
        };
        let distinct: Vec<String> = (0..100).map(|i| format!("f{i}")).collect();
        let cases: Vec<(&str, Vec<String>, Vec<String>)> = vec![
            ("empty", vec![], vec![]),
            (
                "short",
                names(&[("a", 1), ("b", 2), ("_start", 1)]),
                vec![
                    "0: a".into(),
                    "1: b".into(),
                    "2: b".into(),
                    "3: _start".into(),
                ],
            ),
            (
                "runaway recursion",
                names(&[("m.f", 100_000), ("m._start", 1)]),
                vec![
                    "0: m.f".into(),
                    "... m.f repeated 99999 more times (frames 1 to 99999) ...".into(),
                    "100000: m._start".into(),
                ],
            ),
            (
                "26 distinct frames, all shown",
                distinct[..26].to_vec(),
                numbered(0, 26),
            ),
            (
                "100 distinct frames",
                distinct.clone(),
                [
                    numbered(0, 20),
                    vec!["... 75 frames omitted ...".to_string()],
                    numbered(95, 100),
                ]
                .concat(),
            ),
        ];
        for (name, frames, expected) in cases {
            assert_eq!(backtrace_lines(&frames), expected, "{name}");
        }
        // Mutual recursion does not repeat one frame: the cut bounds it.
        let ping_pong: Vec<String> = (0..50_000)
            .map(|i| if i % 2 == 0 { "m.ping" } else { "m.pong" }.to_string())
            .chain(["m._start".to_string()])
            .collect();
        let lines = backtrace_lines(&ping_pong);
        assert_eq!(lines.len(), 26, "{lines:#?}");
        assert_eq!(lines[20], "... 49976 frames omitted ...");
        assert_eq!(lines[25], "50000: m._start");
        let trap = Trap {
            code: wazero::TrapCode::StackExhausted,
            backtrace: names(&[("m.f", 3)]),
        };
        assert_eq!(
            trap_message(&trap),
            "wasm trap: call stack exhausted\nwasm backtrace:\n  0: m.f\n  \
             ... m.f repeated 2 more times (frames 1 to 2) ..."
        );
    }

    #[test]
    fn usage_summaries_are_one_line() {
        let cases = [
            (
                "error: unexpected argument '--x' found\n\n  tip: ...\n\nUsage: wazero run\n",
                "unexpected argument '--x' found",
            ),
            (
                "error: the following required arguments were not provided:\n  <FILE.wasm>\n\nUsage: x\n",
                "the following required arguments were not provided: <FILE.wasm>",
            ),
        ];
        for (rendered, expected) in cases {
            assert_eq!(usage_summary(rendered), expected);
        }
    }
}
