//! The interpreter fuses common instruction sequences into one instruction
//! (a bit field's shift and mask, a `switch`'s bias and `br_table`, an
//! address's constant and a load, ...). Each function here is made of such a
//! sequence, in the forms that take their operand or leave their result in
//! the accumulator; it must give, on every engine, what Rust computes from
//! the WebAssembly semantics (a result, or a trap: `None`), for inputs at
//! the edges.

use wazero::{Runtime, RuntimeConfig};

/// One function of `(param i32) (result i32)`, and its meaning (`None`:
/// it traps).
type Case = (&'static str, &'static str, fn(i32) -> Option<i32>);

const CASES: &[Case] = &[
    (
        "shift right, then mask",
        "local.get 0 i32.const 7 i32.shr_u i32.const 255 i32.and",
        |x| Some(((x as u32 >> 7) & 255) as i32),
    ),
    (
        "a shift count of 32 or more wraps",
        "local.get 0 i32.const 39 i32.shr_u i32.const 0x7f i32.and",
        |x| Some(((x as u32 >> 7) & 0x7f) as i32),
    ),
    (
        "the field of a computed value, into a computation",
        "local.get 0 local.get 0 i32.mul i32.const 3 i32.shr_u i32.const 0xffff i32.and \
         local.get 0 i32.add",
        |x| Some(((x.wrapping_mul(x) as u32 >> 3) & 0xffff) as i32 + x),
    ),
    (
        "mask, then shift left",
        "local.get 0 i32.const 255 i32.and i32.const 2 i32.shl",
        |x| Some((x & 255) << 2),
    ),
    (
        "a mask with the sign bit, shifted by 33",
        "local.get 0 i32.const 0x8000ffff i32.and i32.const 33 i32.shl \
         local.get 0 i32.xor",
        |x| Some(((x & 0x8000_ffffu32 as i32) << 1) ^ x),
    ),
    (
        "a switch from 5: br_table on the index less 5",
        "(block (block (block (block \
            (br_table 0 1 2 3 (i32.sub (local.get 0) (i32.const 5)))) \
            (return (i32.const 10))) (return (i32.const 20))) (return (i32.const 30))) \
         i32.const 40",
        |x| {
            Some(match x.wrapping_sub(5) {
                0 => 10,
                1 => 20,
                2 => 30,
                _ => 40,
            })
        },
    ),
    (
        "a switch from -3 on a computed index",
        "(block (block (block \
            (br_table 0 1 2 (i32.add (i32.xor (local.get 0) (i32.const 1)) (i32.const 3)))) \
            (return (i32.const 1))) (return (i32.const 2))) \
         i32.const 3",
        |x| {
            Some(match (x ^ 1).wrapping_add(3) {
                0 => 1,
                1 => 2,
                _ => 3,
            })
        },
    ),
    (
        "a load at an address plus a constant",
        "(i32.store (i32.const 64) (local.get 0)) \
         (i32.load8_u (i32.add (i32.and (local.get 0) (i32.const 3)) (i32.const 64)))",
        |x| Some(i32::from(x.to_le_bytes()[(x & 3) as usize])),
    ),
    (
        "a load at the sum of two values, which wraps at 2^32",
        "(local $k i32) (local.set $k (i32.const 0xfffffffe)) \
         (i32.store (i32.const 64) (local.get 0)) \
         (i32.load8_u offset=64 (i32.add (i32.and (local.get 0) (i32.const 3)) (local.get $k)))",
        // (x & 3) - 2, wrapped: 0xfffffffe and 0xffffffff plus 64 are out
        // of bounds (an effective address does not wrap).
        |x| (x & 3 >= 2).then(|| i32::from(x.to_le_bytes()[(x & 3) as usize - 2])),
    ),
    (
        "a load at the sum of two values, the second computed",
        "(local $base i32) (local.set $base (i32.const 64)) \
         (i32.store (i32.const 64) (local.get 0)) \
         (i32.load8_s (i32.add (local.get $base) \
                               (i32.and (i32.xor (local.get 0) (i32.const 1)) (i32.const 3))))",
        |x| Some(i32::from(x.to_le_bytes()[((x ^ 1) & 3) as usize] as i8)),
    ),
    (
        "a pointer advanced, kept and read",
        "(local $p i32) (i32.store (i32.const 64) (i32.const 0x44332211)) \
         (local.set $p (i32.and (local.get 0) (i32.const 1))) \
         (i32.load8_u offset=64 (local.tee $p (i32.add (local.get $p) (i32.const 1)))) \
         (i32.shl (local.get $p) (i32.const 8)) i32.add",
        |x| {
            let p = (x & 1) + 1;
            Some([0x11, 0x22, 0x33][p as usize] + (p << 8))
        },
    ),
    (
        "a pointer advanced by a value, kept and read; it wraps, and traps past the end",
        "(local $p i32) (local $base i32) (local.set $base (i32.const 0xfffffffe)) \
         (i32.store (i32.const 64) (local.get 0)) \
         (local.set $p (i32.and (local.get 0) (i32.const 3))) \
         (i32.load8_u offset=64 (local.tee $p (i32.add (local.get $p) (local.get $base)))) \
         (i32.shl (local.get $p) (i32.const 8)) i32.add",
        |x| {
            let p = (x & 3) as u32;
            (p >= 2).then(|| i32::from(x.to_le_bytes()[p as usize - 2]) + ((p as i32 - 2) << 8))
        },
    ),
    (
        "a pointer loaded and followed",
        "(i32.store (i32.const 100) (i32.const 200)) (i32.store (i32.const 208) (local.get 0)) \
         (i32.load offset=8 (i32.load (i32.const 100)))",
        Some,
    ),
    (
        "a pointer followed out of bounds traps",
        "(i32.store (i32.const 100) (local.get 0)) \
         (i32.load offset=4 (i32.load (i32.const 100)))",
        // No input points at a byte written before (the pointer at 100,
        // the values at 64 and 208).
        |x| (x as u32 <= 65536 - 8).then_some(0),
    ),
    (
        "a byte moved from memory to memory",
        "(i32.store (i32.const 64) (local.get 0)) \
         (i32.store8 (i32.const 128) (i32.load8_s (i32.const 65))) \
         (i32.load8_u (i32.const 128))",
        |x| Some(i32::from(x.to_le_bytes()[1])),
    ),
    (
        "a move to an address out of bounds traps, and one in bounds stores",
        "(i64.store (i32.const 8) (i64.const 0x0102030405060708)) \
         (i64.store offset=16 (local.get 0) (i64.load (i32.const 8))) \
         (i32.load offset=20 (local.get 0))",
        |x| (x as u32 <= 65536 - 24).then_some(0x0102_0304),
    ),
    (
        "a copy, then a branch on another value, forward and backward",
        "(local $n i32) (local $c i32) (local $last i32) (local $k i32) \
         (local.set $n (i32.and (local.get 0) (i32.const 15))) \
         (block (local.set $last (local.get 0)) (br_if 0 (local.get $n)) (local.set $last (i32.const 7))) \
         (loop $l \
            (local.set $n (i32.sub (local.get $n) (i32.const 1))) \
            (local.set $c (i32.gt_s (local.get $n) (i32.const 0))) \
            (local.set $k (i32.add (local.get $k) (i32.const 1))) \
            (local.set $last (local.get $n)) \
            (br_if $l (local.get $c))) \
         (i32.add (i32.mul (local.get $last) (i32.const 100)) (local.get $k))",
        |x| {
            let n = x & 15;
            Some(if n == 0 { -100 + 1 } else { n })
        },
    ),
    (
        "two copies and a jump back (Fibonacci)",
        "(local $a i32) (local $b i32) (local $t i32) (local $n i32) \
         (local.set $n (i32.and (local.get 0) (i32.const 31))) \
         (local.set $b (i32.const 1)) \
         (block $done (loop $l \
            (br_if $done (i32.eqz (local.get $n))) \
            (local.set $n (i32.sub (local.get $n) (i32.const 1))) \
            (local.set $t (i32.add (local.get $a) (local.get $b))) \
            (local.set $a (local.get $b)) \
            (local.set $b (local.get $t)) \
            (br $l))) \
         (local.get $a)",
        |x| {
            let (mut a, mut b) = (0i32, 1i32);
            for _ in 0..(x & 31) {
                (a, b) = (b, a.wrapping_add(b));
            }
            Some(a)
        },
    ),
    (
        "a copy, then a load that may trap",
        "(local $v i32) (local $p i32) \
         (local.set $v (local.get 0)) \
         (local.set $p (i32.load (local.get 0))) \
         (i32.sub (local.get $v) (local.get 0))",
        |x| (x as u32 <= 65536 - 4).then_some(0),
    ),
    (
        "a copied argument, then a call (mutual recursion: the first call of \
         each function is made before it is translated)",
        "(call $down_a (i32.and (local.get 0) (i32.const 0x3ff)))",
        |x| Some((x & 0x3ff) * 3),
    ),
    (
        "a branch on a signed comparison with a negative constant",
        "(block (br_if 0 (i32.lt_s (local.get 0) (i32.const -5))) (return (i32.const 1))) \
         i32.const 2",
        |x| Some(if x < -5 { 2 } else { 1 }),
    ),
    (
        "a branch on an unsigned comparison with a constant above 2^31",
        "(block (br_if 0 (i32.gt_u (local.get 0) (i32.const 0xfffffff0))) \
         (return (i32.const 1))) i32.const 2",
        |x| Some(if x as u32 > 0xffff_fff0 { 2 } else { 1 }),
    ),
    (
        "a branch on a 64-bit unsigned comparison with a sign-extended constant",
        "(block (br_if 0 (i64.lt_u (i64.extend_i32_s (local.get 0)) (i64.const -3))) \
         (return (i32.const 1))) i32.const 2",
        |x| Some(if (x as i64 as u64) < (-3i64 as u64) { 2 } else { 1 }),
    ),
    (
        "a branch on a 64-bit signed comparison with -1",
        "(block (br_if 0 (i64.ge_s (i64.extend_i32_u (local.get 0)) (i64.const -1))) \
         (return (i32.const 1))) i32.const 2",
        |x| Some(if (x as u32 as i64) >= -1 { 2 } else { 1 }),
    ),
    (
        "a branch on a 64-bit comparison with a constant of more than 32 bits",
        "(block (br_if 0 (i64.gt_u (i64.extend_i32_u (local.get 0)) (i64.const 0x100000000))) \
         (return (i32.const 1))) i32.const 2",
        |_| Some(1),
    ),
    (
        "a branch on bits of a constant mask",
        "(block (br_if 0 (i32.and (local.get 0) (i32.const 0x80000001))) \
         (return (i32.const 1))) i32.const 2",
        |x| Some(if x as u32 & 0x8000_0001 != 0 { 2 } else { 1 }),
    ),
    (
        "a branch on bits of a constant mask being clear",
        "(block (br_if 0 (i32.eqz (i32.and (local.get 0) (i32.const 6)))) \
         (return (i32.const 1))) i32.const 2",
        |x| Some(if x & 6 == 0 { 2 } else { 1 }),
    ),
    (
        "an if on an unsigned comparison with a constant (the branch negated)",
        "(if (result i32) (i32.le_u (local.get 0) (i32.const 7)) \
         (then (i32.const 3)) (else (i32.const 4)))",
        |x| Some(if x as u32 <= 7 { 3 } else { 4 }),
    ),
    (
        "an if on a bit of the value (the bit test negated)",
        "(if (result i32) (i32.and (local.get 0) (i32.const 1)) \
         (then (i32.const 5)) (else (i32.const 6)))",
        |x| Some(if x & 1 != 0 { 5 } else { 6 }),
    ),
    (
        "constants stored in each width, read back",
        "(i64.store (local.get 0) (i64.const -2)) \
         (i32.store8 offset=1 (local.get 0) (i32.const 0x1ff)) \
         (i32.store16 offset=2 (local.get 0) (i32.const 0x12345)) \
         (i32.store offset=4 (local.get 0) (i32.const 0x01020304)) \
         (i32.xor (i32.load (local.get 0)) (i32.load offset=4 (local.get 0)))",
        |x| (x as u32 <= 65536 - 8).then_some(0x2345_fffe ^ 0x0102_0304),
    ),
    (
        "a stored 64-bit constant is sign-extended, a stored f32 kept bit for bit",
        "(i64.store (local.get 0) (i64.const -0x80000000)) \
         (i64.store32 offset=8 (local.get 0) (i64.const 0x7fffffff)) \
         (f32.store offset=12 (local.get 0) (f32.const -1.5)) \
         (i32.add (i32.wrap_i64 (i64.shr_u (i64.load (local.get 0)) (i64.const 32))) \
           (i32.add (i32.load offset=8 (local.get 0)) (i32.load offset=12 (local.get 0))))",
        |x| {
            (x as u32 <= 65536 - 16)
                .then_some((-1i32).wrapping_add(0x7fff_ffff).wrapping_add((-1.5f32).to_bits() as i32))
        },
    ),
    (
        "a comparison with a constant of a computed value",
        "(if (result i32) (i32.ge_s (i32.mul (local.get 0) (i32.const 3)) (i32.const 100)) \
         (then (i32.const 7)) (else (i32.const 8)))",
        |x| Some(if x.wrapping_mul(3) >= 100 { 7 } else { 8 }),
    ),
    (
        "a loaded value tested for zero by an if",
        "(i32.store (i32.const 16) (local.get 0)) \
         (if (result i32) (i32.load offset=16 (i32.const 0)) \
           (then (i32.const 1)) (else (i32.const 2)))",
        |x| Some(if x != 0 { 1 } else { 2 }),
    ),
    (
        "a value loaded from a computed address tested by an if, out of bounds at the edge",
        "(i32.store (i32.mul (local.get 0) (i32.const 4)) (local.get 0)) \
         (if (result i32) (i32.load (i32.mul (local.get 0) (i32.const 4))) \
           (then (i32.const 1)) (else (i32.const 2)))",
        |x| {
            let at = u64::from((x as u32).wrapping_mul(4));
            (at + 4 <= 65536).then_some(if x != 0 { 1 } else { 2 })
        },
    ),
    (
        "a loaded value kept in a local and tested by an if",
        "(local $p i32) \
         (i32.store (i32.const 32) (local.get 0)) \
         (if (result i32) (local.tee $p (i32.load (i32.const 32))) \
           (then (i32.add (local.get $p) (i32.const 1))) (else (i32.const -1)))",
        |x| Some(if x != 0 { x.wrapping_add(1) } else { -1 }),
    ),
    (
        "a loaded value set to a local, read, then tested by br_if",
        "(local $p i32) \
         (i32.store (i32.const 48) (i32.and (local.get 0) (i32.const 0xff0))) \
         (block $out (result i32) \
           (i32.const 5) \
           (local.set $p (i32.load offset=40 (i32.const 8))) \
           (br_if $out (local.get $p)) \
           (drop) \
           (local.get $p)) \
         (i32.add (local.get $p))",
        |x| Some(if x & 0xff0 != 0 { 5 + (x & 0xff0) } else { 0 }),
    ),
    (
        "a list walked to its end: p = p->next while p",
        "(local $p i32) (local $n i32) \
         (i32.store (i32.const 2000) (i32.const 2008)) \
         (i32.store (i32.const 2008) (i32.const 2016)) \
         (i32.store (i32.const 2016) (i32.const 0)) \
         (local.set $p (i32.add (i32.const 2000) (i32.mul (i32.const 8) \
           (i32.add (i32.and (local.get 0) (i32.const 1)) \
             (i32.and (i32.shr_u (local.get 0) (i32.const 1)) (i32.const 1)))))) \
         (loop $l \
           (local.set $n (i32.add (local.get $n) (i32.const 1))) \
           (br_if $l (local.tee $p (i32.load (local.get $p))))) \
         (i32.add (i32.mul (local.get $n) (i32.const 100)) (local.get $p))",
        |x| Some(100 * (3 - ((x & 1) + ((x >> 1) & 1)))),
    ),
    (
        "a loop while a loaded count is not zero",
        "(local $n i32) \
         (i32.store (i32.const 1000) (i32.add (i32.and (local.get 0) (i32.const 7)) (i32.const 1))) \
         (loop $l \
           (local.set $n (i32.add (local.get $n) (i32.const 1))) \
           (i32.store (i32.const 1000) (i32.sub (i32.load (i32.const 1000)) (i32.const 1))) \
           (br_if $l (i32.load offset=1000 (i32.const 0)))) \
         (local.get $n)",
        |x| Some((x & 7) + 1),
    ),
    (
        "C's stack pointer moved down in a prologue and back in an epilogue",
        "(local $fp i32) \
         (global.set $sp (local.tee $fp (i32.sub (global.get $sp) (i32.const 48)))) \
         (i32.store offset=8 (local.get $fp) (local.get 0)) \
         (local.set 0 (i32.add (i32.load offset=8 (local.get $fp)) (global.get $sp))) \
         (global.set $sp (i32.add (local.get $fp) (i32.const 48))) \
         (i32.add (local.get 0) (global.get $sp))",
        |x| Some(x.wrapping_add(952 + 1000)),
    ),
    (
        "a global moved by constants that wrap around, and back",
        "(global.set $g (i32.sub (global.get $g) (i32.const 0x7fffffff))) \
         (local.set 0 (i32.add (local.get 0) (global.get $g))) \
         (global.set $g (i32.add (global.get $g) (i32.const 0x7fffffff))) \
         (i32.add (local.get 0) (global.get $g))",
        |x| Some(x.wrapping_add(0x8000_0001u32 as i32)),
    ),
    (
        "a global read before a loop, moved inside it from the loop's parameter",
        "(local $i i32) \
         (global.set $g (i32.const 10)) \
         (global.get $g) \
         (loop $l (param i32) \
           (i32.sub (i32.const 1)) (global.set $g) \
           (local.set $i (i32.add (local.get $i) (i32.const 1))) \
           (br_if $l (i32.const 100) (i32.lt_u (local.get $i) (i32.const 3))) \
           (drop)) \
         (i32.add (global.get $g) (local.get 0)) \
         (global.set $g (i32.const 0))",
        |x| Some(x.wrapping_add(99)),
    ),
];

/// Functions the cases call.
const HELPERS: &str = "
    (func $down_a (param $n i32) (result i32) (local $m i32)
        (if (result i32) (i32.eqz (local.get $n)) (then (i32.const 0))
            (else
                (local.set $m (i32.sub (local.get $n) (i32.const 1)))
                (i32.add (call $down_b (local.get $m)) (i32.const 3)))))
    (func $down_b (param $n i32) (result i32) (local $m i32)
        (if (result i32) (i32.eqz (local.get $n)) (then (i32.const 0))
            (else
                (local.set $m (i32.sub (local.get $n) (i32.const 1)))
                (i32.add (call $down_a (local.get $m)) (i32.const 3)))))";

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
    let wasm = wat::parse_str(format!(
        "(module (memory 1) (global $sp (mut i32) (i32.const 1000)) \
         (global $g (mut i32) (i32.const 0)) {functions} {HELPERS})"
    ))
    .unwrap();
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
                let got = match f.call(x) {
                    Ok(v) => Some(v),
                    Err(e) => {
                        assert!(
                            e.to_string().contains("out of bounds"),
                            "{engine}: {what}, input {x}: {e}"
                        );
                        None
                    }
                };
                assert_eq!(got, meaning(x), "{engine}: {what}, input {x}");
            }
        }
    }
}
