//! What the command says when something goes wrong: one line on standard error
//! starting with `wazero: ` (a trap adds its backtrace), never a Rust `Debug`
//! dump or a panic.

use std::io;
use std::path::Path;

use wazero::api::ExternType;
use wazero::{CompiledModule, Error, LinkError};

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
        eprintln!("wazero: {}", self.message());
    }
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
        _ => Failure::new(err.to_string()),
    }
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
            eprintln!("wazero: {}", usage_summary(&text));
            if let Some(usage) = text.lines().find(|l| l.starts_with("Usage:")) {
                eprintln!("{usage} (-h for help)");
            }
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
