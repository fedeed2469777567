//! The `wazero` command: runs WebAssembly programs from the command line, as Go
//! wazero's `wazero` CLI does.
//!
//! ```text
//! wazero run [-mount HOST[:GUEST][:ro]]... [-env K=V]... [-env-inherit] [-interpreter]
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
//! free port and prints it), runs its `_start` and exits with its exit code (the
//! operating system keeps the low 8 bits). `-timeout` interrupts the program;
//! one blocked in a host call (reading input, sleeping) is ended 0.5 s later.
//! `-cachedir` keeps compiled code in a directory, so that later runs of the
//! same program skip compilation.
//!
//! Every failure (an unreadable or invalid file, a missing mount directory or
//! import, a trap, a timeout) is reported as one `wazero: ` line on standard
//! error (a trap adds its backtrace) with exit code 1; a command-line mistake
//! exits with 2.

mod args;
mod hostlog;
mod report;
mod run;

use args::Command;

fn main() {
    let code = match args::parse(std::env::args_os()) {
        Ok(cli) => match cli.command {
            Command::Run(run) => run::run(run),
            Command::Compile(compile) => run::compile(compile),
            Command::Version => {
                println!("{}", env!("CARGO_PKG_VERSION"));
                0
            }
        },
        Err(code) => code,
    };
    std::process::exit(code);
}
