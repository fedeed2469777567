//! The `wazero` command: runs WebAssembly programs from the command line, as Go
//! wazero's `wazero` CLI does.
//!
//! ```text
//! wazero run [-mount HOST[:GUEST][:ro]]... [-env K=V]... [-env-inherit]
//!            [-interpreter | -compiler | -tiered]
//!            [-timeout DURATION] [-hostlogging[=SCOPES]] [-listen HOST:PORT]...
//!            [-cachedir DIR] FILE.wasm [ARGS]...
//! wazero compile [-cachedir DIR] FILE.wasm
//! wazero version
//! ```
//!
//! Flags take one or two dashes and their value after a space or `=`; only
//! flags before FILE are the command's: everything after it goes to the
//! program, whose `argv[0]` is FILE's name without its directory (as in Go
//! wazero). `run` gives the program the process's standard streams, the host's
//! clocks and sleep, the mounted directories (GUEST defaults to HOST as
//! written, as in Go wazero) and the listeners (`-listen 127.0.0.1:0` picks a
//! free port and prints it), runs its `_start` and exits with its exit code (a
//! code above 255, which a Unix exit status cannot hold, exits with 255 and a
//! note on stderr, rather than with its low 8 bits, which may be 0). A module with neither `_start` nor
//! a start section is instantiated with a warning that nothing ran (exit 0). `-timeout` interrupts the program;
//! one blocked in a host call (reading input, sleeping) is ended 0.5 s later.
//! `-cachedir` keeps the native compiler's code in a directory, so that later
//! runs of the same program skip compilation (the interpreter stores nothing;
//! the module is still decoded and validated on each run). With `-tiered` the
//! entry is written once the background compilation is done (a shorter run
//! writes none), and an entry there, from either engine, starts the program
//! compiled.
//!
//! Every failure (an unreadable or invalid file, a missing mount directory or
//! import, a trap, a timeout) is reported as one `wazero: ` line on standard
//! error (a trap adds its backtrace) with exit code 1; a command-line mistake
//! exits with 2. Nothing the command prints panics on a closed standard
//! stream: write errors there are ignored.

mod args;
mod hostlog;
mod report;
mod run;

use args::Command;

fn main() {
    let code = match args::parse(std::env::args_os()) {
        Ok((cli, warning)) => match cli.command {
            Command::Run(run) => {
                if let Some(warning) = warning {
                    report::stderr(&format!("wazero: {warning}\n"));
                }
                run::run(run)
            }
            Command::Compile(compile) => run::compile(compile),
            Command::Version => {
                report::stdout(concat!(env!("CARGO_PKG_VERSION"), "\n"));
                0
            }
        },
        Err(code) => code,
    };
    std::process::exit(code);
}
