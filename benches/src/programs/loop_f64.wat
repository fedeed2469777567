;; Mandelbrot escape-time counts over an n x n grid of [-2, 0.5] x [-1.25, 1.25],
;; at most 64 iterations per point, summed. Locals only; the inner loop is f64
;; mul/add/sub/gt plus an i32 counter, as clang emits
;;   for (it = 0; it < 64; it++) {
;;     double x2 = zr * zr, y2 = zi * zi;
;;     if (x2 + y2 > 4.0) break;
;;     zi = 2.0 * zr * zi + ci; zr = x2 - y2 + cr;
;;   }
(module
  (func (export "run") (param $n i64) (result i64)
    (local $side i32) (local $px i32) (local $py i32) (local $it i32)
    (local $step f64) (local $cr f64) (local $ci f64)
    (local $zr f64) (local $zi f64) (local $x2 f64) (local $y2 f64)
    (local $total i64)
    (local.set $side (i32.wrap_i64 (local.get $n)))
    (local.set $step (f64.div (f64.const 2.5) (f64.convert_i32_s (local.get $side))))
    (block $rows_done
      (br_if $rows_done (i32.le_s (local.get $side) (i32.const 0)))
      (loop $rows
        (local.set $ci
          (f64.add (f64.const -1.25)
            (f64.mul (f64.convert_i32_s (local.get $py)) (local.get $step))))
        (local.set $px (i32.const 0))
        (loop $cols
          (local.set $cr
            (f64.add (f64.const -2.0)
              (f64.mul (f64.convert_i32_s (local.get $px)) (local.get $step))))
          (local.set $zr (f64.const 0))
          (local.set $zi (f64.const 0))
          (local.set $it (i32.const 0))
          (block $escaped
            (loop $iterate
              (local.set $x2 (f64.mul (local.get $zr) (local.get $zr)))
              (local.set $y2 (f64.mul (local.get $zi) (local.get $zi)))
              (br_if $escaped
                (f64.gt (f64.add (local.get $x2) (local.get $y2)) (f64.const 4.0)))
              (local.set $zi
                (f64.add
                  (f64.mul (f64.add (local.get $zr) (local.get $zr)) (local.get $zi))
                  (local.get $ci)))
              (local.set $zr
                (f64.add (f64.sub (local.get $x2) (local.get $y2)) (local.get $cr)))
              (br_if $iterate
                (i32.lt_u
                  (local.tee $it (i32.add (local.get $it) (i32.const 1)))
                  (i32.const 64)))))
          (local.set $total (i64.add (local.get $total) (i64.extend_i32_u (local.get $it))))
          (br_if $cols
            (i32.lt_s
              (local.tee $px (i32.add (local.get $px) (i32.const 1)))
              (local.get $side))))
        (br_if $rows
          (i32.lt_s
            (local.tee $py (i32.add (local.get $py) (i32.const 1)))
            (local.get $side)))))
    (local.get $total)))
