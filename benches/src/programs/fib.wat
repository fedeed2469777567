;; Naive recursive Fibonacci on i64, as clang -O2 emits it for
;;   int64_t fib(int64_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
;; Dominated by calls and returns: per call a compare, a branch, two subtractions
;; and an add.
(module
  (func $fib (export "run") (param $n i64) (result i64)
    (if (result i64) (i64.lt_u (local.get $n) (i64.const 2))
      (then (local.get $n))
      (else
        (i64.add
          (call $fib (i64.add (local.get $n) (i64.const -1)))
          (call $fib (i64.add (local.get $n) (i64.const -2))))))))
