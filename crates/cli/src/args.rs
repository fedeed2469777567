//! The command line: the clap definitions, the rewrite of Go-style single-dash
//! long flags (`-mount`, `-env=K=V`) into clap's `--flag`, and the parsers of
//! flag values (mounts, Go durations, log scopes, environment variables,
//! listen addresses).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::hostlog::LogScopes;

const FLAG_SPELLING: &str = "Flags are written with one or two dashes (-mount or --mount), \
their values after a space or '=' (-env K=V, -env=K=V). Everything after the wasm file \
goes to the program (a '--' right after the file is dropped); wazero's own flags written \
there are passed on with a warning.";

/// The `wazero` command line.
#[derive(Debug, Parser)]
#[command(
    name = "wazero",
    version,
    about = "Runs WebAssembly programs with wazero for Rust.",
    arg_required_else_help = true,
    after_help = FLAG_SPELLING
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs a WebAssembly binary (a WASI command's `_start`) and exits with its
    /// exit code (255 for a code above 255, which an exit status cannot hold).
    #[command(
        override_usage = "wazero run [FLAGS] <FILE.wasm> [--] [ARGS]...",
        after_help = FLAG_SPELLING
    )]
    Run(RunArgs),
    /// Decodes, validates and compiles a WebAssembly binary; prints nothing if it is valid.
    #[command(override_usage = "wazero compile [FLAGS] <FILE.wasm>")]
    Compile(CompileArgs),
    /// Prints the version of the wazero command.
    Version,
}

/// `wazero run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Exposes a host directory to the program, at GUEST (default: HOST as
    /// written), read-only with the ':ro' suffix. Repeatable.
    #[arg(long = "mount", value_name = "HOST[:GUEST][:ro]", value_parser = parse_mount)]
    pub mounts: Vec<Mount>,
    /// Sets an environment variable of the program. Repeatable.
    #[arg(long = "env", value_name = "KEY=VALUE", value_parser = parse_env)]
    pub env: Vec<(String, String)>,
    /// Passes this process's environment to the program (before the -env ones).
    #[arg(long)]
    pub env_inherit: bool,
    /// Uses the interpreter alone: no compilation to native code.
    #[arg(long, conflicts_with_all = ["compiler", "tiered"])]
    pub interpreter: bool,
    /// Uses the native compiler alone: the whole program is compiled before
    /// it starts.
    #[arg(long, conflicts_with = "tiered")]
    pub compiler: bool,
    /// Uses the tiered engine, what runs without a flag where the compiler
    /// exists: the program starts at once in the interpreter and moves to
    /// compiled code once the compiler, on a background thread, has compiled
    /// it (its running loops too).
    #[arg(long)]
    pub tiered: bool,
    /// Stops the program after this long, compiling included (Go syntax: 500ms,
    /// 10s, 1m30s; 0 = never).
    #[arg(long, value_name = "DURATION", value_parser = parse_timeout)]
    pub timeout: Option<Timeout>,
    /// Logs WASI calls to stderr; SCOPES is a comma-separated list of all, clock,
    /// filesystem, memory, poll, proc, random, sock (default all).
    #[arg(
        long,
        value_name = "SCOPES",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "all",
        value_parser = parse_scopes
    )]
    pub hostlogging: Vec<LogScopes>,
    /// Keeps the native code the compiler produces in DIR (created if missing),
    /// so that later runs of the same module, by the same wazero version on the
    /// same kind of CPU, skip compilation; the interpreter stores nothing there.
    /// The tiered engine writes its entry when its background compilation is
    /// done, if the program runs that long (`wazero compile -cachedir DIR`
    /// writes it at once). DIR holds machine code: keep it writable only by
    /// users you trust.
    #[arg(long, value_name = "DIR")]
    pub cachedir: Option<PathBuf>,
    /// Opens a TCP listener on HOST:PORT for the program (sock_accept); port 0
    /// picks a free port, printed to stderr. Repeatable.
    #[arg(long, value_name = "HOST:PORT", value_parser = parse_listen)]
    pub listen: Vec<ListenAddr>,
    /// The WebAssembly binary.
    #[arg(value_name = "FILE.wasm")]
    pub file: PathBuf,
    /// The program's arguments (its `argv[0]` is the file's name).
    #[arg(
        value_name = "ARGS",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub args: Vec<OsString>,
}

impl RunArgs {
    /// All `-hostlogging` scopes together.
    pub fn log_scopes(&self) -> LogScopes {
        self.hostlogging
            .iter()
            .fold(LogScopes::NONE, |all, s| all.union(*s))
    }
}

/// `wazero compile`.
#[derive(Debug, Args)]
pub struct CompileArgs {
    /// Stores the native code compiled in DIR (created if missing), so that a
    /// later `wazero run -cachedir DIR` of the same module, by the same wazero
    /// version on the same kind of CPU, skips compilation.
    #[arg(long, value_name = "DIR")]
    pub cachedir: Option<PathBuf>,
    /// The WebAssembly binary.
    #[arg(value_name = "FILE.wasm")]
    pub file: PathBuf,
}

/// Parses the command line (with the program name first) into the command and
/// a warning to print before running it (see [`misplaced_flags`]); on
/// failure, the exit code after the message (or help) was printed.
pub fn parse(argv: impl IntoIterator<Item = OsString>) -> Result<(Cli, Option<String>), i32> {
    let argv: Vec<OsString> = argv.into_iter().collect();
    let warning = misplaced_flags(&argv);
    let cli = Cli::try_parse_from(normalize(argv)).map_err(crate::report::usage_error)?;
    Ok((cli, warning))
}

/// A warning about the command's own flags written after the wasm file of
/// `run`: everything after the file goes to the program (as in Go wazero), so
/// `wazero run x.wasm -mount a:b` passes `-mount` and `a:b` to the program
/// and mounts nothing, which is rarely what was meant. They are still passed
/// on (a program may take flags of the same names); the warning is not given
/// once a `--` marks where the program's arguments start (before or right
/// after the file, or among the arguments), nor for `-h`/`-help`, which
/// programs commonly take.
pub fn misplaced_flags(argv: &[OsString]) -> Option<String> {
    let mut rest = argv.iter().skip(1);
    if rest.next()? != "run" {
        return None;
    }
    // Skip the command's flags (and their values) to the file.
    let mut file = None;
    while let Some(arg) = rest.next() {
        let Some(text) = arg.to_str().filter(|t| t.starts_with('-') && *t != "-") else {
            file = Some(arg);
            break;
        };
        if text == "--" {
            return None;
        }
        let body = text.strip_prefix("--").unwrap_or(&text[1..]);
        if body.contains('=') {
            continue;
        }
        // As `normalize_command` takes values.
        match flag_kind(body) {
            Some(FlagKind::Value) => {
                rest.next();
            }
            Some(FlagKind::Scopes) => {
                let scopes = rest.clone().next().and_then(|v| v.to_str());
                if scopes.is_some_and(|v| !v.is_empty() && parse_scopes(v).is_ok()) {
                    rest.next();
                }
            }
            _ => {}
        }
    }
    let file = file?;
    let flags: Vec<String> = rest
        .take_while(|arg| *arg != "--")
        .filter_map(|arg| arg.to_str())
        .filter(|text| {
            let Some(body) = text.strip_prefix("--").or_else(|| text.strip_prefix('-')) else {
                return false;
            };
            let name = body.split_once('=').map_or(body, |(name, _)| name);
            !matches!(name, "h" | "help") && flag_kind(name).is_some()
        })
        .map(|text| format!("'{text}'"))
        .collect();
    if flags.is_empty() {
        return None;
    }
    let (these, are) = if flags.len() == 1 {
        ("this argument", "is")
    } else {
        ("these arguments", "are")
    };
    Some(format!(
        "warning: {} after {} {are} passed to the program, not to wazero: \
         wazero's flags go before the wasm file (write '--' right after the file \
         to pass {these} to the program without this warning)",
        flags.join(", "),
        Path::new(file).display(),
    ))
}

/// How a flag of `run`/`compile` is followed, for [`normalize`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FlagKind {
    /// No value (`-interpreter`).
    Switch,
    /// A value, after '=' or as the next argument (`-env K=V`).
    Value,
    /// `-hostlogging`: an optional value; the next argument is taken only if it
    /// is a list of scopes.
    Scopes,
}

fn flag_kind(name: &str) -> Option<FlagKind> {
    match name {
        "mount" | "env" | "timeout" | "cachedir" | "listen" => Some(FlagKind::Value),
        "hostlogging" => Some(FlagKind::Scopes),
        "env-inherit" | "interpreter" | "compiler" | "tiered" | "help" => Some(FlagKind::Switch),
        _ => None,
    }
}

/// Rewrites a command line in Go wazero's spelling into clap's.
///
/// After `run` or `compile`, each flag before the wasm file becomes `--name` or
/// `--name=value` (from `-name`, `--name`, `-name=value`, `-name value`; `-h` is
/// `--help`), and a `--` is put before the file, so that the file may start with
/// a dash and everything after it (the program's arguments, even if they look
/// like flags) stays as it is. A `--` right after the file is dropped, as Go
/// wazero does.
pub fn normalize(argv: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    let mut argv = argv.into_iter();
    let mut out: Vec<OsString> = argv.next().into_iter().collect();
    let Some(first) = argv.next() else {
        return out;
    };
    match first.to_str() {
        Some("run" | "compile") => {
            out.push(first);
            normalize_command(argv.by_ref().collect(), &mut out);
        }
        Some("-h" | "-help") => out.push("--help".into()),
        Some("-version") => out.push("--version".into()),
        _ => out.push(first),
    }
    out.extend(argv);
    out
}

fn normalize_command(rest: Vec<OsString>, out: &mut Vec<OsString>) {
    let mut i = 0;
    while let Some(arg) = rest.get(i) {
        let Some(text) = arg.to_str().filter(|t| t.starts_with('-') && *t != "-") else {
            return push_file_and_args(&rest[i..], out);
        };
        i += 1;
        if text == "--" {
            return push_file_and_args(&rest[i..], out);
        }
        let body = text.strip_prefix("--").unwrap_or(&text[1..]);
        let (name, value) = match body.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (body, None),
        };
        let name = if name == "h" { "help" } else { name };
        match (flag_kind(name), value) {
            (_, Some(value)) => out.push(format!("--{name}={value}").into()),
            (Some(FlagKind::Value), None) => match rest.get(i) {
                Some(value) => {
                    let mut flag = OsString::from(format!("--{name}="));
                    flag.push(value);
                    out.push(flag);
                    i += 1;
                }
                // clap reports the missing value.
                None => out.push(format!("--{name}").into()),
            },
            (Some(FlagKind::Scopes), None) => {
                match rest
                    .get(i)
                    .and_then(|v| v.to_str())
                    .filter(|v| !v.is_empty() && parse_scopes(v).is_ok())
                {
                    Some(scopes) => {
                        out.push(format!("--{name}={scopes}").into());
                        i += 1;
                    }
                    None => out.push(format!("--{name}").into()),
                }
            }
            // Switches, and unknown flags for clap to report by their name.
            _ => out.push(format!("--{name}").into()),
        }
    }
}

fn push_file_and_args(rest: &[OsString], out: &mut Vec<OsString>) {
    let Some((file, args)) = rest.split_first() else {
        return;
    };
    out.push("--".into());
    out.push(file.clone());
    let args = match args.split_first() {
        Some((dashes, after)) if dashes == "--" => after,
        _ => args,
    };
    out.extend(args.iter().cloned());
}

/// A `-mount`: a host directory, where the guest sees it, and whether read-only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    /// The host directory, as written.
    pub host: PathBuf,
    /// The guest path (`/` when empty).
    pub guest: String,
    /// Whether the guest may only read.
    pub read_only: bool,
}

/// Parses `HOST[:GUEST][:ro]` as Go wazero does: a `:ro` suffix makes the mount
/// read-only, the last remaining `:` separates the guest path, and without one
/// the guest path is HOST as written (`-mount=/tmp` is `/tmp` in the guest,
/// `-mount=.` the guest's working directory). On Windows a drive letter
/// (`C:\dir`) is not taken for a separator.
pub fn parse_mount(spec: &str) -> Result<Mount, String> {
    let (spec, read_only) = match spec.strip_suffix(":ro") {
        Some(rest) => (rest, true),
        None => (spec, false),
    };
    let split = spec
        .rfind(':')
        .filter(|&i| !(cfg!(windows) && is_drive_letter(spec, i)));
    let (host, guest) = match split {
        Some(i) => (&spec[..i], &spec[i + 1..]),
        None => (spec, spec),
    };
    if host.is_empty() {
        return Err("expected HOST[:GUEST][:ro], with a host directory".to_string());
    }
    let guest = if guest.is_empty() { "/" } else { guest };
    Ok(Mount {
        host: PathBuf::from(host),
        guest: guest.to_string(),
        read_only,
    })
}

/// Whether the `:` at `colon` is a drive letter's (`C:\`, `c:/`).
fn is_drive_letter(spec: &str, colon: usize) -> bool {
    let bytes = spec.as_bytes();
    colon == 1
        && bytes[0].is_ascii_alphabetic()
        && matches!(bytes.get(2), None | Some(b'\\' | b'/'))
}

/// Parses `KEY=VALUE` (the value may be empty and contain `=`).
pub fn parse_env(spec: &str) -> Result<(String, String), String> {
    match spec.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_string(), value.to_string())),
        _ => Err("expected KEY=VALUE".to_string()),
    }
}

/// Parses a comma-separated list of log scopes (see [`LogScopes::NAMES`]).
pub fn parse_scopes(list: &str) -> Result<LogScopes, String> {
    let mut scopes = LogScopes::NONE;
    for name in list.split(',').filter(|s| !s.is_empty()) {
        let Some((_, scope)) = LogScopes::NAMES.iter().find(|(n, _)| *n == name) else {
            let names: Vec<&str> = LogScopes::NAMES.iter().map(|(n, _)| *n).collect();
            return Err(format!(
                "unknown scope '{name}' (expected a comma-separated list of {})",
                names.join(", ")
            ));
        };
        scopes = scopes.union(*scope);
    }
    Ok(scopes)
}

/// A `-listen` address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenAddr {
    /// The host (`0.0.0.0` when omitted), IPv6 addresses in brackets.
    pub host: String,
    /// The port; 0 picks a free one.
    pub port: u16,
}

impl ListenAddr {
    /// The address to bind, `host:port`.
    pub fn bind_addr(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

/// Parses `[HOST]:PORT`.
pub fn parse_listen(spec: &str) -> Result<ListenAddr, String> {
    let Some((host, port)) = spec.rsplit_once(':') else {
        return Err("expected HOST:PORT, e.g. 127.0.0.1:8080".to_string());
    };
    let port = port
        .parse::<u16>()
        .map_err(|_| format!("invalid port '{port}' (expected 0 to 65535)"))?;
    let host = if host.is_empty() { "0.0.0.0" } else { host };
    Ok(ListenAddr {
        host: host.to_string(),
        port,
    })
}

/// A `-timeout`: the duration, and the text it was given as (for messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeout {
    /// How long the program may run.
    pub duration: Duration,
    /// As written on the command line.
    pub text: String,
}

fn parse_timeout(text: &str) -> Result<Timeout, String> {
    Ok(Timeout {
        duration: parse_duration(text)?,
        text: text.to_string(),
    })
}

/// Parses a duration in Go's syntax (`time.ParseDuration`): a sequence of
/// decimal numbers, each with an optional fraction and a unit (`ns`, `us` or
/// `µs`, `ms`, `s`, `m`, `h`), such as `300ms`, `1.5h` or `2h45m`; `0` alone
/// needs no unit. Negative durations are refused.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let invalid = || format!("invalid duration '{text}' (expected e.g. 500ms, 10s, 1m30s)");
    let mut s = text.strip_prefix('+').unwrap_or(text);
    if s.starts_with('-') {
        return Err(format!("invalid duration '{text}': may not be negative"));
    }
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut total: u128 = 0;
    while !s.is_empty() {
        let digits = |s: &str| s.bytes().take_while(u8::is_ascii_digit).count();
        let int_len = digits(s);
        let (int, rest) = s.split_at(int_len);
        let (frac, rest) = match rest.strip_prefix('.') {
            Some(after) => after.split_at(digits(after)),
            None => ("", rest),
        };
        if int.is_empty() && frac.is_empty() {
            return Err(invalid());
        }
        let unit_len = rest
            .char_indices()
            .find(|&(_, c)| c == '.' || c.is_ascii_digit())
            .map_or(rest.len(), |(i, _)| i);
        let (unit, rest) = rest.split_at(unit_len);
        let unit_nanos: u128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "" => return Err(format!("invalid duration '{text}': missing unit")),
            _ => return Err(format!("invalid duration '{text}': unknown unit '{unit}'")),
        };
        let too_long = || format!("invalid duration '{text}': too long");
        let int: u128 = if int.is_empty() {
            0
        } else {
            int.parse().map_err(|_| too_long())?
        };
        // Digits past the nineteenth cannot change a nanosecond count.
        let frac = &frac[..frac.len().min(19)];
        let frac_nanos = if frac.is_empty() {
            0
        } else {
            let value: u128 = frac.parse().map_err(|_| invalid())?;
            value * unit_nanos / 10u128.pow(frac.len() as u32)
        };
        total = int
            .checked_mul(unit_nanos)
            .and_then(|n| n.checked_add(frac_nanos))
            .and_then(|n| n.checked_add(total))
            .filter(|&n| n <= u128::from(u64::MAX))
            .ok_or_else(too_long)?;
        s = rest;
    }
    // The filter above keeps the total within u64.
    Ok(Duration::from_nanos(total as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn single_dash_flags_are_rewritten_before_the_file_only() {
        let cases: &[(&[&str], &[&str])] = &[
            (
                &["wazero", "run", "-mount", "a:/b", "x.wasm"],
                &["wazero", "run", "--mount=a:/b", "--", "x.wasm"],
            ),
            (
                &[
                    "wazero",
                    "run",
                    "-mount=a:/b",
                    "--env",
                    "K=V",
                    "x.wasm",
                    "-mount",
                    "y",
                ],
                &[
                    "wazero",
                    "run",
                    "--mount=a:/b",
                    "--env=K=V",
                    "--",
                    "x.wasm",
                    "-mount",
                    "y",
                ],
            ),
            (
                &[
                    "wazero",
                    "run",
                    "-env-inherit",
                    "-interpreter",
                    "x.wasm",
                    "--",
                    "-h",
                ],
                &[
                    "wazero",
                    "run",
                    "--env-inherit",
                    "--interpreter",
                    "--",
                    "x.wasm",
                    "-h",
                ],
            ),
            (
                &["wazero", "run", "x.wasm", "--"],
                &["wazero", "run", "--", "x.wasm"],
            ),
            (
                &["wazero", "run", "x.wasm", "a", "--"],
                &["wazero", "run", "--", "x.wasm", "a", "--"],
            ),
            (
                &["wazero", "run", "-timeout", "1s", "--", "-odd.wasm", "-x"],
                &["wazero", "run", "--timeout=1s", "--", "-odd.wasm", "-x"],
            ),
            // A value that looks like a flag stays the flag's value.
            (
                &["wazero", "run", "-env", "-K=V", "x.wasm"],
                &["wazero", "run", "--env=-K=V", "--", "x.wasm"],
            ),
            // -hostlogging takes the next argument only if it is a list of scopes.
            (
                &["wazero", "run", "-hostlogging", "x.wasm"],
                &["wazero", "run", "--hostlogging", "--", "x.wasm"],
            ),
            (
                &[
                    "wazero",
                    "run",
                    "-hostlogging",
                    "filesystem,clock",
                    "x.wasm",
                ],
                &[
                    "wazero",
                    "run",
                    "--hostlogging=filesystem,clock",
                    "--",
                    "x.wasm",
                ],
            ),
            (
                &["wazero", "run", "-hostlogging=all", "x.wasm"],
                &["wazero", "run", "--hostlogging=all", "--", "x.wasm"],
            ),
            (&["wazero", "run", "-h"], &["wazero", "run", "--help"]),
            (&["wazero", "run", "-mount"], &["wazero", "run", "--mount"]),
            (
                &["wazero", "run", "-bogus", "x.wasm"],
                &["wazero", "run", "--bogus", "--", "x.wasm"],
            ),
            (
                &["wazero", "compile", "-cachedir", "/c", "x.wasm"],
                &["wazero", "compile", "--cachedir=/c", "--", "x.wasm"],
            ),
            (&["wazero", "-h"], &["wazero", "--help"]),
            (&["wazero", "-version"], &["wazero", "--version"]),
            (&["wazero", "version"], &["wazero", "version"]),
            (&["wazero"], &["wazero"]),
        ];
        for (input, expected) in cases {
            assert_eq!(normalize(os(input)), os(expected), "{input:?}");
        }
    }

    #[test]
    fn flags_after_the_file_are_warned_about() {
        let warning = |flags: &str, these: &str, are: &str| {
            Some(format!(
                "warning: {flags} after x.wasm {are} passed to the program, not to wazero: \
                 wazero's flags go before the wasm file (write '--' right after the file \
                 to pass {these} to the program without this warning)"
            ))
        };
        let one = |flag: &str| warning(&format!("'{flag}'"), "this argument", "is");
        let cases: &[(&[&str], Option<String>)] = &[
            (&["wazero", "run", "x.wasm", "-mount", "a:b"], one("-mount")),
            (
                &["wazero", "run", "x.wasm", "--mount=a:b"],
                one("--mount=a:b"),
            ),
            (
                &["wazero", "run", "x.wasm", "a", "-interpreter"],
                one("-interpreter"),
            ),
            (
                &[
                    "wazero",
                    "run",
                    "-env",
                    "A=1",
                    "x.wasm",
                    "-env",
                    "B=2",
                    "-timeout=1s",
                    "y",
                ],
                warning("'-env', '-timeout=1s'", "these arguments", "are"),
            ),
            (
                &["wazero", "run", "-env", "-mount", "x.wasm", "-listen"],
                one("-listen"),
            ),
            (
                &["wazero", "run", "-hostlogging", "x.wasm", "--env-inherit"],
                one("--env-inherit"),
            ),
            (
                &[
                    "wazero",
                    "run",
                    "-hostlogging",
                    "clock",
                    "x.wasm",
                    "-cachedir",
                    "c",
                ],
                one("-cachedir"),
            ),
            // Not the command's flags, or explicitly the program's.
            (
                &["wazero", "run", "x.wasm", "-v", "--verbose", "-mounted"],
                None,
            ),
            (&["wazero", "run", "x.wasm", "-h", "--help"], None),
            (&["wazero", "run", "x.wasm", "--", "-mount", "a:b"], None),
            (
                &["wazero", "run", "-interpreter", "--", "x.wasm", "-mount"],
                None,
            ),
            (&["wazero", "run", "x.wasm", "a", "--", "-env"], None),
            (&["wazero", "run", "-mount", "x.wasm"], None),
            (&["wazero", "compile", "x.wasm", "-cachedir", "c"], None),
            (&["wazero", "run"], None),
            (&["wazero"], None),
        ];
        for (argv, expected) in cases {
            assert_eq!(&misplaced_flags(&os(argv)), expected, "{argv:?}");
        }
    }

    #[test]
    fn run_arguments_parse() {
        let cli = Cli::try_parse_from(normalize(os(&[
            "wazero",
            "run",
            "-mount=data:/d:ro",
            "-env",
            "A=1",
            "-env=B=",
            "-env-inherit",
            "-timeout=1m30s",
            "-hostlogging",
            "-hostlogging=clock",
            "-listen",
            ":8080",
            "-cachedir",
            "/tmp/c",
            "prog.wasm",
            "-env",
            "x",
        ])))
        .unwrap();
        let Command::Run(run) = cli.command else {
            panic!("not run")
        };
        assert_eq!(
            run.mounts,
            [Mount {
                host: "data".into(),
                guest: "/d".into(),
                read_only: true
            }]
        );
        assert_eq!(
            run.env,
            [("A".into(), "1".into()), ("B".into(), String::new())]
        );
        assert!(run.env_inherit && !run.interpreter);
        assert_eq!(
            run.timeout.as_ref().unwrap().duration,
            Duration::from_secs(90)
        );
        assert_eq!(run.log_scopes(), LogScopes::ALL);
        assert_eq!(run.listen[0].bind_addr(), "0.0.0.0:8080");
        assert_eq!(run.cachedir, Some(PathBuf::from("/tmp/c")));
        assert_eq!(run.file, PathBuf::from("prog.wasm"));
        assert_eq!(run.args, os(&["-env", "x"]));
    }

    /// One engine flag at most: `-interpreter`, `-compiler` or `-tiered`.
    #[test]
    fn engine_flags_parse_and_exclude_each_other() {
        // (flags, Some((interpreter, compiler, tiered)) or None for an error)
        type Picked = Option<(bool, bool, bool)>;
        let cases: &[(&[&str], Picked)] = &[
            (&[], Some((false, false, false))),
            (&["-interpreter"], Some((true, false, false))),
            (&["-compiler"], Some((false, true, false))),
            (&["--tiered"], Some((false, false, true))),
            (&["-interpreter", "-tiered"], None),
            (&["-compiler", "-interpreter"], None),
            (&["-tiered", "-compiler"], None),
        ];
        for (flags, expected) in cases {
            let mut argv = vec!["wazero", "run"];
            argv.extend_from_slice(flags);
            argv.push("prog.wasm");
            let parsed = Cli::try_parse_from(normalize(os(&argv))).ok().map(|cli| {
                let Command::Run(run) = cli.command else {
                    panic!("not run")
                };
                (run.interpreter, run.compiler, run.tiered)
            });
            assert_eq!(parsed, *expected, "{flags:?}");
        }
    }

    #[test]
    fn mounts_parse_as_go_wazero_does() {
        let m = |host: &str, guest: &str, read_only| Mount {
            host: host.into(),
            guest: guest.into(),
            read_only,
        };
        let cases = [
            (
                "examples/data:/data",
                Ok(m("examples/data", "/data", false)),
            ),
            ("/tmp", Ok(m("/tmp", "/tmp", false))),
            (".", Ok(m(".", ".", false))),
            ("dir:/", Ok(m("dir", "/", false))),
            ("dir:", Ok(m("dir", "/", false))),
            ("dir:/ro:ro", Ok(m("dir", "/ro", true))),
            ("dir:ro", Ok(m("dir", "dir", true))),
            ("/etc:ro", Ok(m("/etc", "/etc", true))),
            ("a:b:/c", Ok(m("a:b", "/c", false))),
            ("", Err(())),
            (":/guest", Err(())),
            (":ro", Err(())),
        ];
        for (spec, expected) in cases {
            assert_eq!(parse_mount(spec).map_err(drop), expected, "{spec:?}");
        }
        assert!(is_drive_letter(r"C:\dir", 1));
        assert!(is_drive_letter("c:", 1));
        assert!(!is_drive_letter("ab:/x", 2));
        assert!(!is_drive_letter("a:x", 1));
    }

    #[test]
    fn durations_parse_as_go_does() {
        let ms = Duration::from_millis;
        let cases = [
            ("0", Ok(Duration::ZERO)),
            ("500ms", Ok(ms(500))),
            ("10s", Ok(Duration::from_secs(10))),
            ("1m30s", Ok(Duration::from_secs(90))),
            ("1.5h", Ok(Duration::from_secs(5400))),
            ("2h45m", Ok(Duration::from_secs(9900))),
            (".5s", Ok(ms(500))),
            ("1.s", Ok(ms(1000))),
            ("+3ms", Ok(ms(3))),
            ("250us", Ok(Duration::from_micros(250))),
            ("250µs", Ok(Duration::from_micros(250))),
            ("7ns", Ok(Duration::from_nanos(7))),
            ("1.000000001s", Ok(Duration::from_nanos(1_000_000_001))),
            (
                "0.1234567891234567891234s",
                Ok(Duration::from_nanos(123_456_789)),
            ),
            ("0s", Ok(Duration::ZERO)),
            ("", Err(())),
            ("5", Err(())),
            ("-1s", Err(())),
            ("1d", Err(())),
            ("s", Err(())),
            (".s", Err(())),
            ("1s5", Err(())),
            ("99999999999999999999999h", Err(())),
            ("10000000h", Err(())),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_duration(text).map_err(drop), expected, "{text:?}");
        }
    }

    #[test]
    fn env_scopes_and_listen_addresses_parse() {
        let env = [
            ("K=V", Ok(("K", "V"))),
            ("K=", Ok(("K", ""))),
            ("K=a=b", Ok(("K", "a=b"))),
            ("K", Err(())),
            ("=V", Err(())),
        ];
        for (spec, expected) in env {
            let got = parse_env(spec);
            let got = got
                .as_ref()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .map_err(drop);
            assert_eq!(got, expected, "{spec:?}");
        }
        let scopes = [
            ("all", Ok(LogScopes::ALL)),
            ("", Ok(LogScopes::NONE)),
            (
                "filesystem,sock",
                Ok(LogScopes::FILESYSTEM.union(LogScopes::SOCK)),
            ),
            (
                "clock,,random",
                Ok(LogScopes::CLOCK.union(LogScopes::RANDOM)),
            ),
            ("files", Err(())),
        ];
        for (list, expected) in scopes {
            assert_eq!(parse_scopes(list).map_err(drop), expected, "{list:?}");
        }
        let listen = [
            ("127.0.0.1:8080", Ok("127.0.0.1:8080")),
            (":0", Ok("0.0.0.0:0")),
            ("[::1]:80", Ok("[::1]:80")),
            ("localhost:9", Ok("localhost:9")),
            ("8080", Err(())),
            ("host:http", Err(())),
            ("host:70000", Err(())),
        ];
        for (spec, expected) in listen {
            let got = parse_listen(spec).map(|a| a.bind_addr());
            assert_eq!(got.as_deref().map_err(drop), expected, "{spec:?}");
        }
    }
}
