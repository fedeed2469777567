//! `wazero-bench --density [FILE.wasm...]`: machine instructions the compiler
//! generates per WebAssembly instruction, on x86-64 and on AArch64 side by
//! side, for the benchmark programs and real programs built by others (the
//! WASI test suite's Rust and C binaries, the `cat` example), or the files
//! given.
//!
//! Both targets are fixed (x86-64-v2; ARMv8.0 without extensions), so the
//! figures are the same on every host, and both are made on any host: it is
//! the evidence about AArch64 code that an x86-64 machine can give (emulated
//! timings are not AArch64 timings). Instructions are counted from Cranelift's
//! listing of each function after register allocation (one line per
//! instruction; a few pseudo-instructions expand to more than one).

use std::process::ExitCode;

use wazero::CoreFeatures;
use wazero_compiler::cranelift_codegen::isa::OwnedTargetIsa;
use wazero_compiler::CodegenConfig;

use crate::engines::Result;
use crate::programs::PROGRAMS;

/// Real programs, relative to the workspace root.
const REAL: &[&str] = &[
    "examples/cat.wasm",
    "testdata/wasi-testsuite/tests/rust/testsuite/wasm32-wasip1/fd_readdir.wasm",
    "testdata/wasi-testsuite/tests/rust/testsuite/wasm32-wasip1/poll_oneoff_stdio.wasm",
    "testdata/wasi-testsuite/tests/c/testsuite/wasm32-wasip1/fdopendir-with-access.wasm",
    "testdata/wasi-testsuite/tests/c/testsuite/wasm32-wasip1/lseek.wasm",
];

/// One program's counts.
struct Counts {
    wasm: usize,
    x86: usize,
    arm: usize,
}

/// Prints the table; `args` are what follows `--density`.
pub fn main(args: &[String]) -> ExitCode {
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wazero-bench --density: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<()> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("no workspace root")?
        .to_path_buf();
    let mut inputs: Vec<(String, Vec<u8>)> = Vec::new();
    if args.is_empty() {
        for p in PROGRAMS {
            inputs.push((p.name.to_string(), wat::parse_str(p.wat)?));
        }
        for path in REAL {
            inputs.push((short_name(path), std::fs::read(root.join(path))?));
        }
    } else {
        for path in args {
            inputs.push((short_name(path), std::fs::read(path)?));
        }
    }
    let x86 = wazero_compiler_amd64::isa_for_features(&[
        "has_sse3",
        "has_ssse3",
        "has_sse41",
        "has_sse42",
        "has_popcnt",
    ])?;
    let arm = wazero_compiler_arm64::isa_for_features(&[])?;
    println!(
        "| program | wasm instructions | x86-64 instructions | per wasm | AArch64 instructions | per wasm | AArch64 / x86-64 |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let (mut all_x86, mut all_arm) = (0, 0);
    for (name, wasm) in &inputs {
        let c = count(wasm, &x86, &arm).map_err(|e| format!("{name}: {e}"))?;
        all_x86 += c.x86;
        all_arm += c.arm;
        println!(
            "| {name} | {} | {} | {:.2} | {} | {:.2} | {:.2}x |",
            c.wasm,
            c.x86,
            c.x86 as f64 / c.wasm as f64,
            c.arm,
            c.arm as f64 / c.wasm as f64,
            c.arm as f64 / c.x86 as f64
        );
    }
    println!(
        "\nAll programs: AArch64 / x86-64 instructions = {:.2}x",
        all_arm as f64 / all_x86 as f64
    );
    Ok(())
}

/// The file name without directories.
fn short_name(path: &str) -> String {
    path.rsplit('/').next().unwrap_or(path).to_string()
}

/// Counts one module's wasm operators and the instructions of each target.
fn count(wasm: &[u8], x86: &OwnedTargetIsa, arm: &OwnedTargetIsa) -> Result<Counts> {
    let features = CoreFeatures::DEFAULT;
    let module = wazero_decoder::decode(wasm, features)?;
    let module = wazero_validator::validate(module, features)?;
    let config = CodegenConfig::default();
    let mut counts = Counts {
        wasm: wasm_operators(wasm)?,
        x86: 0,
        arm: 0,
    };
    for index in 0..module.code.len() {
        counts.x86 += instructions(&wazero_compiler::disassemble(
            &module, &**x86, config, index,
        )?);
        counts.arm += instructions(&wazero_compiler::disassemble(
            &module, &**arm, config, index,
        )?);
    }
    Ok(counts)
}

/// The instruction lines of a listing (indented; labels are not).
fn instructions(listing: &str) -> usize {
    listing
        .lines()
        .filter(|l| l.starts_with("  ") && !l.trim().is_empty())
        .count()
}

/// The operators of every function body of `wasm` (the final `end` of each
/// body included).
fn wasm_operators(wasm: &[u8]) -> Result<usize> {
    let mut total = 0;
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        if let wasmparser::Payload::CodeSectionEntry(body) = payload? {
            let mut ops = body.get_operators_reader()?;
            while !ops.eof() {
                ops.read()?;
                total += 1;
            }
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_operators_and_listing_lines() {
        let wasm = wat::parse_str(
            "(module (func (param i32) (result i32) (i32.add (local.get 0) (i32.const 1))))",
        )
        .unwrap();
        // local.get, i32.const, i32.add, end.
        assert_eq!(wasm_operators(&wasm).unwrap(), 4);
        assert_eq!(instructions("block0:\n  add w0, w0, #1\n  ret\n"), 2);
        let x86 = wazero_compiler_amd64::isa_for_features(&[]).unwrap();
        let arm = wazero_compiler_arm64::isa_for_features(&[]).unwrap();
        let c = count(&wasm, &x86, &arm).unwrap();
        assert!(c.x86 > 0 && c.arm > 0, "{} {}", c.x86, c.arm);
    }
}
