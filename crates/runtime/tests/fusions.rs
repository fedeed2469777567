//! The interpreter fuses common instruction sequences into one instruction
//! (a bit field's shift and mask, a `switch`'s bias and `br_table`, an
//! address's constant and a load, ...). Each function here is made of such a
//! sequence, in the forms that take their operand or leave their result in
//! the accumulator; it must give, on every engine, what Rust computes from
//! the WebAssembly semantics, for inputs at the edges.

use wazero::{Runtime, RuntimeConfig};

/// One function of `(param i32) (result i32)`, and its meaning.
type Case = (&'static str, &'static str, fn(i32) -> i32);

const CASES: &[Case] = &[
    (
        "shift right, then mask",
        "local.get 0 i32.const 7 i32.shr_u i32.const 255 i32.and",
        |x| ((x as u32 >> 7) & 255) as i32,
    ),
    (
        "a shift count of 32 or more wraps",
        "local.get 0 i32.const 39 i32.shr_u i32.const 0x7f i32.and",
        |x| ((x as u32 >> 7) & 0x7f) as i32,
    ),
    (
        "the field of a computed value, into a computation",
        "local.get 0 local.get 0 i32.mul i32.const 3 i32.shr_u i32.const 0xffff i32.and \
         local.get 0 i32.add",
        |x| ((x.wrapping_mul(x) as u32 >> 3) & 0xffff) as i32 + x,
    ),
    (
        "mask, then shift left",
        "local.get 0 i32.const 255 i32.and i32.const 2 i32.shl",
        |x| (x & 255) << 2,
    ),
    (
        "a mask with the sign bit, shifted by 33",
        "local.get 0 i32.const 0x8000ffff i32.and i32.const 33 i32.shl \
         local.get 0 i32.xor",
        |x| ((x & 0x8000_ffffu32 as i32) << 1) ^ x,
    ),
    (
        "a switch from 5: br_table on the index less 5",
        "(block (block (block (block \
            (br_table 0 1 2 3 (i32.sub (local.get 0) (i32.const 5)))) \
            (return (i32.const 10))) (return (i32.const 20))) (return (i32.const 30))) \
         i32.const 40",
        |x| match x.wrapping_sub(5) {
            0 => 10,
            1 => 20,
            2 => 30,
            _ => 40,
        },
    ),
    (
        "a switch from -3 on a computed index",
        "(block (block (block \
            (br_table 0 1 2 (i32.add (i32.xor (local.get 0) (i32.const 1)) (i32.const 3)))) \
            (return (i32.const 1))) (return (i32.const 2))) \
         i32.const 3",
        |x| match (x ^ 1).wrapping_add(3) {
            0 => 1,
            1 => 2,
            _ => 3,
        },
    ),
    (
        "a load at an address plus a constant",
        "(i32.store (i32.const 64) (local.get 0)) \
         (i32.load8_u (i32.add (i32.and (local.get 0) (i32.const 3)) (i32.const 64)))",
        |x| i32::from(x.to_le_bytes()[(x & 3) as usize]),
    ),
];

const INPUTS: &[i32] = &[
    0,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    -1,
    -2,
    -3,
    -4,
    -5,
    0x7f,
    0x80,
    0xff,
    0x1234_5678,
    -0x1234_5679,
    i32::MAX,
    i32::MIN,
    i32::MIN + 4,
];

#[test]
fn fused_sequences_compute_what_their_instructions_do() {
    let functions: String = CASES
        .iter()
        .enumerate()
        .map(|(i, (_, body, _))| {
            format!("(func (export \"f{i}\") (param i32) (result i32) {body})\n")
        })
        .collect();
    let wasm = wat::parse_str(format!("(module (memory 1) {functions})")).unwrap();
    for (engine, config) in [
        ("interpreter", RuntimeConfig::interpreter()),
        ("default", RuntimeConfig::new()),
    ] {
        let runtime = Runtime::with_config(config);
        let module = runtime.instantiate(&wasm).unwrap();
        for (i, (what, _, meaning)) in CASES.iter().enumerate() {
            let f = module
                .exported_function(&format!("f{i}"))
                .unwrap()
                .typed::<i32, i32>()
                .unwrap();
            for &x in INPUTS {
                assert_eq!(
                    f.call(x).unwrap(),
                    meaning(x),
                    "{engine}: {what}, input {x}"
                );
            }
        }
    }
}
