;; A small module of the kind instantiated per request: a 1-page memory with a
;; data segment, a few globals, a table with an element segment and a handful of
;; functions. `run` reads a little of each so both engines can be checked.
(module
  (type $unop (func (param i32) (result i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 4096))
  (global $calls (mut i64) (i64.const 0))
  (global $scale f64 (f64.const 1.5))
  (global $magic i32 (i32.const 0x5eed))
  (table 4 funcref)
  (elem (i32.const 0) $double $square $inc $dec)
  (data (i32.const 16) "wazero for Rust: instantiation benchmark, data segment bytes")
  (func $double (type $unop) (i32.shl (local.get 0) (i32.const 1)))
  (func $square (type $unop) (i32.mul (local.get 0) (local.get 0)))
  (func $inc (type $unop) (i32.add (local.get 0) (i32.const 1)))
  (func $dec (type $unop) (i32.sub (local.get 0) (i32.const 1)))
  (func $alloc (param $size i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (local.get $p) (local.get $size)))
    (local.get $p))
  (func (export "run") (param $x i64) (result i64)
    (local $v i32)
    (global.set $calls (i64.add (global.get $calls) (i64.const 1)))
    (local.set $v
      (call_indirect (type $unop)
        (i32.add (i32.wrap_i64 (local.get $x)) (i32.load8_u (i32.const 16)))
        (i32.and (i32.wrap_i64 (local.get $x)) (i32.const 3))))
    (i32.store (call $alloc (i32.const 8)) (local.get $v))
    (i64.add
      (i64.add (i64.extend_i32_u (local.get $v)) (i64.extend_i32_u (global.get $magic)))
      (i64.add
        (i64.trunc_f64_s (f64.mul (global.get $scale) (f64.convert_i64_s (local.get $x))))
        (global.get $calls)))))
