;; Insertion sort of n pseudo-random i32 in linear memory, then a weighted
;; checksum. Pointer-based, as clang -O2 emits
;;   for (i = 1; i < n; i++) {
;;     int key = a[i], *q = &a[i - 1];
;;     while (q >= a && *q > key) { q[1] = q[0]; q--; }
;;     q[1] = key;
;;   }
;; About n*n/4 inner iterations: i32.load, i32.le_s + br_if, i32.store offset=4,
;; pointer decrement, compare and back-edge.
(module
  (memory 2)
  (func (export "run") (param $n64 i64) (result i64)
    (local $n i32) (local $base i32) (local $end i32) (local $p i32) (local $q i32)
    (local $prev i32) (local $seed i32) (local $key i32) (local $v i32) (local $i i32)
    (local $sum i64)
    (local.set $n (i32.wrap_i64 (local.get $n64)))
    (local.set $base (i32.const 1024))
    (local.set $end (i32.add (local.get $base) (i32.shl (local.get $n) (i32.const 2))))
    (block $filled
      (br_if $filled (i32.eqz (local.get $n)))
      (local.set $seed (i32.const 12345))
      (local.set $p (local.get $base))
      (loop $fill
        (local.set $seed
          (i32.add (i32.mul (local.get $seed) (i32.const 1103515245)) (i32.const 12345)))
        (i32.store (local.get $p) (i32.shr_s (local.get $seed) (i32.const 4)))
        (br_if $fill
          (i32.ne (local.tee $p (i32.add (local.get $p) (i32.const 4))) (local.get $end)))))
    (block $sorted
      (br_if $sorted (i32.lt_u (local.get $n) (i32.const 2)))
      (local.set $p (i32.add (local.get $base) (i32.const 4)))
      (loop $outer
        (local.set $key (i32.load (local.get $p)))
        (local.set $q (i32.sub (local.get $p) (i32.const 4)))
        (block $place
          (loop $shift
            (br_if $place (i32.le_s (local.tee $v (i32.load (local.get $q))) (local.get $key)))
            (i32.store offset=4 (local.get $q) (local.get $v))
            (local.set $prev (local.get $q))
            (local.set $q (i32.sub (local.get $q) (i32.const 4)))
            (br_if $shift (i32.ne (local.get $prev) (local.get $base)))))
        (i32.store offset=4 (local.get $q) (local.get $key))
        (br_if $outer
          (i32.ne (local.tee $p (i32.add (local.get $p) (i32.const 4))) (local.get $end)))))
    (block $summed
      (br_if $summed (i32.eqz (local.get $n)))
      (local.set $p (local.get $base))
      (loop $checksum
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (local.set $sum
          (i64.add (local.get $sum)
            (i64.mul (i64.extend_i32_s (i32.load (local.get $p))) (i64.extend_i32_u (local.get $i)))))
        (br_if $checksum
          (i32.ne (local.tee $p (i32.add (local.get $p) (i32.const 4))) (local.get $end)))))
    (local.get $sum)))
