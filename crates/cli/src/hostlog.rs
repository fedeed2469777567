//! `-hostlogging`: which WASI calls are logged to standard error.
//!
//! The WASI host module writes two lines per call
//! (`==> wasi_snapshot_preview1.fd_write(fd=1,...)` then `<== ESUCCESS`; only the
//! first for `proc_exit`). [`ScopedLog`] keeps the pairs of the functions in the
//! chosen scopes, grouped as in Go wazero: `clock` (`clock_*`), `filesystem`
//! (`fd_*`, `path_*`), `memory` (no WASI function), `poll` (`poll_oneoff`),
//! `proc` (`proc_exit`), `random` (`random_get`), `sock` (`sock_*`), and `all`
//! (every function, `args_*`, `environ_*`, `sched_yield` and `proc_raise`
//! included).

use std::io::{self, Write};

/// A set of logging scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LogScopes(u8);

impl LogScopes {
    /// No scope: nothing is logged.
    pub const NONE: Self = Self(0);
    /// `clock_res_get`, `clock_time_get`.
    pub const CLOCK: Self = Self(1);
    /// `fd_*` and `path_*`.
    pub const FILESYSTEM: Self = Self(1 << 1);
    /// Memory functions (none in WASI preview1; accepted for Go wazero's spelling).
    pub const MEMORY: Self = Self(1 << 2);
    /// `poll_oneoff`.
    pub const POLL: Self = Self(1 << 3);
    /// `proc_exit`.
    pub const PROC: Self = Self(1 << 4);
    /// `random_get`.
    pub const RANDOM: Self = Self(1 << 5);
    /// `sock_*`.
    pub const SOCK: Self = Self(1 << 6);
    /// Every function.
    pub const ALL: Self = Self(u8::MAX);

    /// The scopes by name, as `-hostlogging` spells them.
    pub const NAMES: [(&'static str, Self); 8] = [
        ("all", Self::ALL),
        ("clock", Self::CLOCK),
        ("filesystem", Self::FILESYSTEM),
        ("memory", Self::MEMORY),
        ("poll", Self::POLL),
        ("proc", Self::PROC),
        ("random", Self::RANDOM),
        ("sock", Self::SOCK),
    ];

    /// Both sets.
    pub fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// Whether nothing is logged.
    pub fn is_empty(self) -> bool {
        self == Self::NONE
    }

    /// Whether calls of the WASI function `function` (e.g. `fd_write`) are logged.
    pub fn logs(self, function: &str) -> bool {
        if self == Self::ALL {
            return true;
        }
        let scope = if function.starts_with("clock_") {
            Self::CLOCK
        } else if function.starts_with("fd_") || function.starts_with("path_") {
            Self::FILESYSTEM
        } else if function == "proc_exit" {
            Self::PROC
        } else if function == "poll_oneoff" {
            Self::POLL
        } else if function == "random_get" {
            Self::RANDOM
        } else if function.starts_with("sock_") {
            Self::SOCK
        } else {
            return false;
        };
        self.0 & scope.0 != 0
    }
}

/// A writer for the WASI host log that passes on only the calls in `scopes`.
#[derive(Debug)]
pub struct ScopedLog<W> {
    out: W,
    scopes: LogScopes,
    line: Vec<u8>,
    keep: bool,
}

impl<W: Write> ScopedLog<W> {
    /// Filters the log lines written to it by `scopes`, writing the rest to `out`.
    pub fn new(out: W, scopes: LogScopes) -> Self {
        Self {
            out,
            scopes,
            line: Vec::new(),
            keep: true,
        }
    }

    /// Writes the buffered line if its call is in scope.
    fn emit(&mut self) -> io::Result<()> {
        let line = std::mem::take(&mut self.line);
        if let Some(call) = line.strip_prefix(b"==> ") {
            self.keep = self.scopes.logs(&function_name(call));
        } else if !line.starts_with(b"<== ") {
            // Not a line of the call log: pass it on.
            self.keep = true;
        }
        if self.keep {
            self.out.write_all(&line)?;
        }
        Ok(())
    }
}

/// `fd_write` from `wasi_snapshot_preview1.fd_write(fd=1,...)`.
fn function_name(call: &[u8]) -> String {
    let end = call.iter().position(|&b| b == b'(').unwrap_or(call.len());
    let qualified = &call[..end];
    let start = qualified
        .iter()
        .rposition(|&b| b == b'.')
        .map_or(0, |i| i + 1);
    String::from_utf8_lossy(&qualified[start..]).into_owned()
}

impl<W: Write> Write for ScopedLog<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut rest = buf;
        while let Some(newline) = rest.iter().position(|&b| b == b'\n') {
            self.line.extend_from_slice(&rest[..=newline]);
            self.emit()?;
            rest = &rest[newline + 1..];
        }
        self.line.extend_from_slice(rest);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "==> wasi_snapshot_preview1.fd_write(fd=1,iovs=8)\n<== ESUCCESS\n\
                       ==> wasi_snapshot_preview1.clock_time_get(id=0)\n<== ESUCCESS\n\
                       ==> wasi_snapshot_preview1.args_get(argv=1)\n<== ESUCCESS\n\
                       ==> wasi_snapshot_preview1.random_get(buf=1)\n<== EIO\n\
                       ==> wasi_snapshot_preview1.proc_exit(rval=3)\n<== exit\n";

    #[test]
    fn scopes_select_the_calls_they_name() {
        let cases: &[(LogScopes, &[&str])] = &[
            (
                LogScopes::ALL,
                &[
                    "fd_write",
                    "clock_time_get",
                    "args_get",
                    "random_get",
                    "proc_exit",
                ],
            ),
            (LogScopes::FILESYSTEM, &["fd_write"]),
            (LogScopes::CLOCK, &["clock_time_get"]),
            (
                LogScopes::RANDOM.union(LogScopes::PROC),
                &["random_get", "proc_exit"],
            ),
            (LogScopes::MEMORY, &[]),
            (LogScopes::NONE, &[]),
        ];
        for (scopes, expected) in cases {
            let mut log = ScopedLog::new(Vec::new(), *scopes);
            // Byte by byte: lines split across writes are reassembled.
            for b in LOG.as_bytes() {
                log.write_all(std::slice::from_ref(b)).unwrap();
            }
            let text = String::from_utf8(log.out).unwrap();
            let calls: Vec<&str> = text
                .lines()
                .filter_map(|l| l.strip_prefix("==> wasi_snapshot_preview1."))
                .map(|l| &l[..l.find('(').unwrap()])
                .collect();
            assert_eq!(&calls, expected, "{scopes:?}");
            // Each call kept comes with its result line.
            assert_eq!(
                text.lines().filter(|l| l.starts_with("<== ")).count(),
                expected.len(),
                "{scopes:?}"
            );
        }
    }

    #[test]
    fn function_names_are_found_with_or_without_a_module() {
        for (call, name) in [
            (&b"wasi_snapshot_preview1.fd_write(fd=1)\n"[..], "fd_write"),
            (b"wasi_unstable.path_open()\n", "path_open"),
            (b"sock_accept(fd=3)\n", "sock_accept"),
            (b"odd\n", "odd\n"),
        ] {
            assert_eq!(function_name(call), name);
        }
    }
}
