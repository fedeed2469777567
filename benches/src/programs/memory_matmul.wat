;; Dense 128x128 f64 matrix multiply in linear memory, C += A * B, repeated
;; `run(reps)` times after filling A and B and zeroing C. Row-major, rows of
;; 1024 bytes: A at 0, B at 128 KiB, C at 256 KiB. The i-k-j loop order clang
;; emits for the textbook triple loop (hoisting A[i][k]); the inner loop is
;; f64.load offset=131072, f64.mul, f64.load offset=262144, f64.add,
;; f64.store offset=262144, two pointer bumps and the back-edge. The result is
;; the bits of a weighted sum of C, so both engines must agree exactly.
(module
  (memory 7)
  (func (export "run") (param $reps i64) (result i64)
    (local $idx i32) (local $p i32) (local $i i32) (local $k i32) (local $r i64)
    (local $pa i32) (local $pb i32) (local $pc i32) (local $row_end i32)
    (local $a f64) (local $sum f64)
    ;; Fill: A[i][j] = ((i*j + 1) % 7) / 4, B[i][j] = (i + 2j) % 5 - 2, C = 0.
    (loop $fill
      (local.set $i (i32.shr_u (local.get $idx) (i32.const 7)))
      (local.set $k (i32.and (local.get $idx) (i32.const 127)))
      (local.set $p (i32.shl (local.get $idx) (i32.const 3)))
      (f64.store (local.get $p)
        (f64.mul
          (f64.convert_i32_u
            (i32.rem_u
              (i32.add (i32.mul (local.get $i) (local.get $k)) (i32.const 1))
              (i32.const 7)))
          (f64.const 0.25)))
      (f64.store offset=131072 (local.get $p)
        (f64.sub
          (f64.convert_i32_u
            (i32.rem_u
              (i32.add (local.get $i) (i32.shl (local.get $k) (i32.const 1)))
              (i32.const 5)))
          (f64.const 2)))
      (f64.store offset=262144 (local.get $p) (f64.const 0))
      (br_if $fill
        (i32.ne (local.tee $idx (i32.add (local.get $idx) (i32.const 1))) (i32.const 16384))))
    (block $done
      (br_if $done (i64.le_s (local.get $reps) (i64.const 0)))
      (loop $rep
        (local.set $i (i32.const 0))
        (loop $rows
          (local.set $k (i32.const 0))
          (loop $inner_k
            ;; a = A[i][k]; pb = &B[k][0]; pc = &C[i][0]
            (local.set $a
              (f64.load
                (i32.add (i32.shl (local.get $i) (i32.const 10)) (i32.shl (local.get $k) (i32.const 3)))))
            (local.set $pb (i32.shl (local.get $k) (i32.const 10)))
            (local.set $row_end (i32.add (local.get $pb) (i32.const 1024)))
            (local.set $pc (i32.shl (local.get $i) (i32.const 10)))
            (loop $cols
              (f64.store offset=262144 (local.get $pc)
                (f64.add
                  (f64.load offset=262144 (local.get $pc))
                  (f64.mul (local.get $a) (f64.load offset=131072 (local.get $pb)))))
              (local.set $pc (i32.add (local.get $pc) (i32.const 8)))
              (br_if $cols
                (i32.ne (local.tee $pb (i32.add (local.get $pb) (i32.const 8))) (local.get $row_end))))
            (br_if $inner_k
              (i32.ne (local.tee $k (i32.add (local.get $k) (i32.const 1))) (i32.const 128))))
          (br_if $rows
            (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 128))))
        (br_if $rep
          (i64.ne (local.tee $r (i64.add (local.get $r) (i64.const 1))) (local.get $reps)))))
    ;; Checksum: sum of C[idx] * ((idx & 15) + 1).
    (local.set $idx (i32.const 0))
    (loop $fold
      (local.set $sum
        (f64.add (local.get $sum)
          (f64.mul
            (f64.load offset=262144 (i32.shl (local.get $idx) (i32.const 3)))
            (f64.convert_i32_u (i32.add (i32.and (local.get $idx) (i32.const 15)) (i32.const 1))))))
      (br_if $fold
        (i32.ne (local.tee $idx (i32.add (local.get $idx) (i32.const 1))) (i32.const 16384))))
    (i64.reinterpret_f64 (local.get $sum))))
