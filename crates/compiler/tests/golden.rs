//! Golden tests of the machine code the compiler generates for a few
//! representative functions, on each ISA for a fixed feature set (so the
//! listing is the same on every machine, and made on any host): x86-64 in
//! `tests/golden/*.txt`, AArch64 in `tests/golden/aarch64/*.txt`. A change in
//! code quality shows as a diff in review.
//!
//! After a deliberate change, regenerate with
//! `WAZERO_UPDATE_GOLDEN=1 cargo test -p wazero-compiler --test golden`.

use std::path::PathBuf;

use wazero_api::CoreFeatures;
use wazero_compiler::CodegenConfig;

/// The x86-64-v2 level: what every x86-64 server of the last decade has.
const FEATURES: &[&str] = &[
    "has_sse3",
    "has_ssse3",
    "has_sse41",
    "has_sse42",
    "has_popcnt",
];

struct Case {
    name: &'static str,
    wat: &'static str,
    /// The defined function to list.
    index: usize,
    guard_pages: bool,
}

/// Sums `n` i64s from `p`: a loop over linear memory.
const SUM_LOOP: &str = r#"(module (memory 1) (func (param $p i32) (param $n i32) (result i64) (local $s i64)
            (block $done (loop $l
              (br_if $done (i32.eqz (local.get $n)))
              (local.set $s (i64.add (local.get $s) (i64.load (local.get $p))))
              (local.set $p (i32.add (local.get $p) (i32.const 8)))
              (local.set $n (i32.sub (local.get $n) (i32.const 1)))
              (br $l)))
            (local.get $s)))"#;

const CASES: &[Case] = &[
    Case {
        name: "fib_recursive",
        wat: r#"(module (func $fib (param i32) (result i32)
            (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
              (then (local.get 0))
              (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                             (call $fib (i32.sub (local.get 0) (i32.const 2))))))))"#,
        index: 0,
        guard_pages: true,
    },
    Case {
        name: "sum_loop_guard_pages",
        wat: SUM_LOOP,
        index: 0,
        guard_pages: true,
    },
    Case {
        name: "sum_loop_explicit_checks",
        wat: SUM_LOOP,
        index: 0,
        guard_pages: false,
    },
    Case {
        name: "stack_pointer_global",
        wat: r#"(module (memory 1) (global $sp (mut i32) (i32.const 65536))
            (func (param i32) (result i32) (local $frame i32)
              (global.set $sp (local.tee $frame (i32.sub (global.get $sp) (i32.const 16))))
              (i32.store (local.get $frame) (local.get 0))
              (i32.load (local.get $frame))
              (global.set $sp (i32.add (local.get $frame) (i32.const 16)))))"#,
        index: 0,
        guard_pages: true,
    },
    Case {
        name: "call_indirect",
        wat: r#"(module (type $t (func (param i32) (result i32))) (table 4 funcref)
            (func (param i32 i32) (result i32)
              (call_indirect (type $t) (local.get 1) (local.get 0))))"#,
        index: 0,
        guard_pages: true,
    },
    Case {
        name: "host_call",
        wat: r#"(module (import "env" "f" (func $f (param i32 i64) (result i32)))
            (func (param i32) (result i32) (call $f (local.get 0) (i64.const 7))))"#,
        index: 0,
        guard_pages: true,
    },
    Case {
        name: "f64_math",
        wat: r#"(module (func (param f64 f64) (result f64)
            (f64.add (f64.sqrt (f64.mul (local.get 0) (local.get 0)))
                     (f64.min (local.get 1) (f64.nearest (local.get 0))))))"#,
        index: 0,
        guard_pages: true,
    },
    Case {
        name: "div_and_trunc_traps",
        wat: r#"(module (func (param i32 i32 f32) (result i32)
            (i32.add (i32.div_s (local.get 0) (local.get 1)) (i32.trunc_f32_s (local.get 2)))))"#,
        index: 0,
        guard_pages: true,
    },
];

/// A target whose listings are kept: its name, its directory under
/// `tests/golden`, and its Cranelift target.
struct Target {
    name: &'static str,
    dir: &'static str,
    isa: fn() -> Result<wazero_compiler::cranelift_codegen::isa::OwnedTargetIsa, String>,
}

const TARGETS: &[Target] = &[
    Target {
        name: "x86-64",
        dir: "",
        isa: || wazero_compiler_amd64::isa_for_features(FEATURES),
    },
    // ARMv8.0 without extensions: every AArch64 server and board.
    Target {
        name: "AArch64",
        dir: "aarch64",
        isa: || wazero_compiler_arm64::isa_for_features(&[]),
    },
];

fn listing(case: &Case, target: &Target) -> String {
    let wasm = wat::parse_str(case.wat).expect("test WAT parses");
    let module = wazero_decoder::decode(&wasm, CoreFeatures::V2).unwrap();
    let module = wazero_validator::validate(module, CoreFeatures::V2).unwrap();
    let isa = (target.isa)().unwrap();
    let config = CodegenConfig {
        guard_pages: case.guard_pages,
        ..CodegenConfig::default()
    };
    wazero_compiler::disassemble(&module, &*isa, config, case.index).unwrap()
}

#[test]
fn generated_code_matches_the_golden_listings() {
    let update = std::env::var_os("WAZERO_UPDATE_GOLDEN").is_some();
    let mut stale = Vec::new();
    for target in TARGETS {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/golden")
            .join(target.dir);
        for case in CASES {
            let got = format!(
                "; {}\n{}",
                case.wat.split_whitespace().collect::<Vec<_>>().join(" "),
                listing(case, target)
            );
            let path = dir.join(format!("{}.txt", case.name));
            if update {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(&path, &got).unwrap();
                continue;
            }
            let want = std::fs::read_to_string(&path).unwrap_or_default();
            if want != got {
                stale.push(format!("--- {} ({})\n{got}", path.display(), target.name));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "generated code differs from the golden listings (regenerate with \
         WAZERO_UPDATE_GOLDEN=1 if the change is intended):\n{}",
        stale.join("\n")
    );
}
