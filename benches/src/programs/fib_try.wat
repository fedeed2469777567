;; `fib` with its recursive calls inside a `try_table` that catches every
;; exception (none is thrown), as a C++ function whose calls may throw
;; through a frame with a cleanup is compiled with Wasm exceptions. Side by
;; side with `fib`, it says what entering a `try_table` and calling inside a
;; module that catches exceptions cost when nothing throws.
(module
  (tag $never)
  (func $fib (export "run") (param $n i64) (result i64)
    (if (result i64) (i64.lt_u (local.get $n) (i64.const 2))
      (then (local.get $n))
      (else
        (block $caught
          (return
            (try_table (result i64) (catch_all $caught)
              (i64.add
                (call $fib (i64.add (local.get $n) (i64.const -1)))
                (call $fib (i64.add (local.get $n) (i64.const -2)))))))
        (throw $never)))))
