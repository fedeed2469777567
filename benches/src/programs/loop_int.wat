;; An integer hashing loop over locals only: a 64-bit LCG feeds a 32-bit
;; FNV-style multiply/xor-shift hash, and a data-dependent branch picks how the
;; accumulator changes. `run(n)` does n iterations; about 25 instructions each,
;; mostly i64/i32 mul, xor, shifts, rotl, wrap/extend, one if/else and the
;; counted back-edge (the shape clang gives a `for` loop: block + loop + br_if).
(module
  (func (export "run") (param $n i64) (result i64)
    (local $i i64) (local $x i64) (local $h i32) (local $acc i64)
    (local.set $x (i64.const 0x853c49e6748fea9b))
    (local.set $h (i32.const 0x811c9dc5))
    (block $done
      (br_if $done (i64.eqz (local.get $n)))
      (loop $body
        ;; x = x * A + C
        (local.set $x
          (i64.add
            (i64.mul (local.get $x) (i64.const 6364136223846793005))
            (i64.const 1442695040888963407)))
        ;; h = (h ^ (uint32_t)(x >> 33)) * FNV_PRIME; h ^= h >> 15
        (local.set $h
          (i32.mul
            (i32.xor (local.get $h) (i32.wrap_i64 (i64.shr_u (local.get $x) (i64.const 33))))
            (i32.const 0x01000193)))
        (local.set $h (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 15))))
        (if (i32.and (local.get $h) (i32.const 1))
          (then
            (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (local.get $h)))))
          (else
            (local.set $acc (i64.xor (local.get $acc) (i64.rotl (local.get $x) (i64.const 7))))))
        (br_if $body
          (i64.ne (local.tee $i (i64.add (local.get $i) (i64.const 1))) (local.get $n)))))
    (i64.add (local.get $acc) (i64.extend_i32_u (local.get $h)))))
