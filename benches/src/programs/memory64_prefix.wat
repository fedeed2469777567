;; `memory-prefix` on a 64-bit memory (memory64): the same fill, four prefix-sum
;; passes unrolled by four and checksum, with i64 addresses and pointers, so
;; that its time against `memory-prefix` is the cost of 64-bit addressing
;; (explicit bounds checks where 32-bit memories have guard pages).
(module
  (memory i64 65)
  (func (export "run") (param $n64 i64) (result i64)
    (local $end i64) (local $p i64) (local $i i32) (local $s i32) (local $pass i32)
    (local $acc i64)
    ;; n rounded down to a multiple of 4, at most 1M elements.
    (local.set $end
      (i64.shl (i64.and (local.get $n64) (i64.const 0x1ffffc)) (i64.const 2)))
    (block $done
      (br_if $done (i64.eqz (local.get $end)))
      (loop $fill
        (i32.store (local.get $p)
          (i32.xor
            (i32.shr_u (i32.mul (local.get $i) (i32.const 0x9e3779b1)) (i32.const 7))
            (local.get $i)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $fill
          (i64.lt_u (local.tee $p (i64.add (local.get $p) (i64.const 4))) (local.get $end))))
      (loop $passes
        (local.set $s (i32.const 0))
        (local.set $p (i64.const 0))
        (loop $scan
          (local.set $s (i32.add (local.get $s) (i32.load (local.get $p))))
          (i32.store (local.get $p) (local.get $s))
          (local.set $s (i32.add (local.get $s) (i32.load offset=4 (local.get $p))))
          (i32.store offset=4 (local.get $p) (local.get $s))
          (local.set $s (i32.add (local.get $s) (i32.load offset=8 (local.get $p))))
          (i32.store offset=8 (local.get $p) (local.get $s))
          (local.set $s (i32.add (local.get $s) (i32.load offset=12 (local.get $p))))
          (i32.store offset=12 (local.get $p) (local.get $s))
          (br_if $scan
            (i64.lt_u (local.tee $p (i64.add (local.get $p) (i64.const 16))) (local.get $end))))
        (br_if $passes
          (i32.lt_u (local.tee $pass (i32.add (local.get $pass) (i32.const 1))) (i32.const 4))))
      (local.set $p (i64.const 0))
      (loop $fold
        (local.set $acc
          (i64.add
            (i64.mul (local.get $acc) (i64.const 31))
            (i64.extend_i32_u (i32.load (local.get $p)))))
        (br_if $fold
          (i64.lt_u (local.tee $p (i64.add (local.get $p) (i64.const 4))) (local.get $end)))))
    (local.get $acc)))
