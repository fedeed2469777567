;; The loop of `guest-call` written as tail recursion: `$loop(acc, i, n)`
;; returns `acc` when `i == n`, else `return_call`s itself with `acc + i` and
;; `i + 1`. Each of its n iterations is one tail call where `guest-call`'s is a
;; call and a return (plus the same adds and compare), so the two side by side
;; say what a tail call costs against a call.
(module
  (func $loop (param $acc i32) (param $i i32) (param $n i32) (result i32)
    (if (result i32) (i32.eq (local.get $i) (local.get $n))
      (then (local.get $acc))
      (else
        (return_call $loop
          (i32.add (local.get $acc) (local.get $i))
          (i32.add (local.get $i) (i32.const 1))
          (local.get $n)))))
  (func (export "run") (param $n i64) (result i64)
    (i64.extend_i32_u
      (call $loop (i32.const 0) (i32.const 0) (i32.wrap_i64 (local.get $n))))))
