//! `wazero-bench --disasm PROGRAM [--explicit] [--no-interrupts] [--epochs]`: the machine
//! code wazero's compiler generates for every function of a benchmark program
//! (or call loop: `guest-call`, `host-call-typed`)
//! (`wazero_compiler::disassemble`, Cranelift's listing for this host's CPU),
//! for whoever compares it with another engine's. With the cargo feature
//! `wasmtime`, also writes wasmtime's compiled module (`Engine::precompile_module`,
//! an ELF object) to `PROGRAM.cwasm` in the current directory, for
//! `objdump -d PROGRAM.cwasm`; `--epochs` compiles it with epoch interruption.

use std::process::ExitCode;

use wazero::CoreFeatures;

use crate::engines::Result;
use crate::programs::{Callee, HostForm, PROGRAMS};

/// Prints the listing; `args` are what follows `--disasm`.
pub fn main(args: &[String]) -> ExitCode {
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wazero-bench --disasm: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<()> {
    let explicit = args.iter().any(|a| a == "--explicit");
    let no_interrupts = args.iter().any(|a| a == "--no-interrupts");
    let name = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .ok_or("usage: wazero-bench --disasm PROGRAM [--explicit] [--no-interrupts] [--epochs]")?;
    let wat = match name.as_str() {
        "guest-call" => Callee::Guest.wat(),
        "host-call-typed" | "host-call-raw" => Callee::Host(HostForm::Typed).wat(),
        _ => PROGRAMS
            .iter()
            .find(|p| p.name == name.as_str())
            .ok_or_else(|| format!("no program or call loop {name:?}"))?
            .wat
            .to_string(),
    };
    let wasm = wat::parse_str(&wat)?;
    let module = wazero_decoder::decode(&wasm, CoreFeatures::DEFAULT)?;
    let module = wazero_validator::validate(module, CoreFeatures::DEFAULT)?;
    let config = wazero_compiler::CodegenConfig {
        guard_pages: !explicit,
        memory64_guard_pages: !explicit,
        interrupt_checks: !no_interrupts,
    };
    listing(&module, config)?;
    #[cfg(feature = "wasmtime")]
    {
        // `--epochs`: wasmtime with epoch interruption, its counterpart of
        // wazero's interrupt checks; else its default configuration.
        let mut wasmtime_config = wasmtime::Config::default();
        wasmtime_config.epoch_interruption(args.iter().any(|a| a == "--epochs"));
        let engine = wasmtime::Engine::new(&wasmtime_config).map_err(|e| format!("{e:#}"))?;
        let object = engine
            .precompile_module(&wasm)
            .map_err(|e| format!("wasmtime: {e:#}"))?;
        let file = format!("{name}.cwasm");
        std::fs::write(&file, object)?;
        println!("; wasmtime's compiled module: {file} (objdump -d {file})");
    }
    Ok(())
}

#[cfg(target_arch = "x86_64")]
fn listing(
    module: &wazero_validator::ValidatedModule,
    config: wazero_compiler::CodegenConfig,
) -> Result<()> {
    let isa = wazero_compiler_amd64::isa()?;
    for index in 0..module.code.len() {
        println!("; function {index} ({config:?})");
        println!(
            "{}",
            wazero_compiler::disassemble(module, &*isa, config, index)?
        );
    }
    Ok(())
}

#[cfg(not(target_arch = "x86_64"))]
fn listing(
    _module: &wazero_validator::ValidatedModule,
    _config: wazero_compiler::CodegenConfig,
) -> Result<()> {
    Err("wazero's compiler is for x86-64 hosts only".into())
}
