//! Every example in `crates/runtime/examples/` (`cargo run -p wazero --example
//! NAME`) is also a test: each `main` asserts what it shows, so a change of
//! behaviour fails here. They share this one test binary.

#[path = "../examples/allocation.rs"]
mod allocation;
#[path = "../examples/cache.rs"]
mod cache;
#[path = "../examples/calc.rs"]
mod calc;
#[path = "../examples/callback.rs"]
mod callback;
#[path = "../examples/host.rs"]
mod host;
#[path = "../examples/plugin_strings.rs"]
mod plugin_strings;
#[path = "../examples/server.rs"]
mod server;
#[path = "../examples/state.rs"]
mod state;
#[path = "../examples/untrusted.rs"]
mod untrusted;
#[path = "../examples/wasi_program.rs"]
mod wasi_program;

type Result = std::result::Result<(), Box<dyn std::error::Error>>;

#[test]
fn allocation() -> Result {
    allocation::main()
}

#[test]
fn cache() -> Result {
    cache::main()
}

#[test]
fn calc() -> Result {
    calc::main()
}

#[test]
fn callback() -> Result {
    callback::main()
}

#[test]
fn host() -> Result {
    host::main()
}

#[test]
fn plugin_strings() -> Result {
    plugin_strings::main()
}

#[test]
fn server() -> Result {
    server::main()
}

#[test]
fn state() -> Result {
    state::main()
}

#[test]
fn untrusted() -> Result {
    untrusted::main()
}

#[test]
fn wasi_program() -> Result {
    wasi_program::main()
}
