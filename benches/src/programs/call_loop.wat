;; A counted loop calling `$add(acc, i)` n times:
;;   uint32_t acc = 0; for (uint32_t i = 0; i != n; i++) acc = add(acc, i);
;; `$add` is the host function `env.add` or a function of this module with the
;; body the host's does (`i32.add`): the harness replaces the placeholder line
;; below with the import or the local definition (`programs::Callee::wat`), and
;; the rest of the module is the same in all three benchmarks. Besides the call,
;; an iteration runs the loop's own add, compare and `br_if`.
(module
  ;; $add
  (func (export "run") (param $n i64) (result i64)
    (local $count i32) (local $i i32) (local $acc i32)
    (local.set $count (i32.wrap_i64 (local.get $n)))
    (block $done
      (br_if $done (i32.eqz (local.get $count)))
      (loop $body
        (local.set $acc (call $add (local.get $acc) (local.get $i)))
        (br_if $body
          (i32.ne
            (local.tee $i (i32.add (local.get $i) (i32.const 1)))
            (local.get $count)))))
    (i64.extend_i32_u (local.get $acc))))
