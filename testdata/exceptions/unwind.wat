;; A WASI program that throws and catches exceptions through several frames,
;; with the instructions of WebAssembly 3.0 (try_table, throw, throw_ref)
;; and the legacy ones (try, catch, rethrow, delegate). `unwind.wasm` is
;; this file assembled (the CLI's tests check that they agree).
;;
;; Expected output:
;;   caught overflow thrown at depth 3: value 18
;;   caught overflow thrown at depth 10: value 60
;;   cleanup at depth 4, then rethrown
;;   caught again: value 24
;;   legacy catch: value 30
;;   delegated past 1 handler: value 42
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (tag $overflow (param i32 i32))
  (global $len (mut i32) (i32.const 0))
  (data (i32.const 256) "caught overflow thrown at depth ")
  (data (i32.const 320) ": value ")
  (data (i32.const 336) "cleanup at depth ")
  (data (i32.const 368) ", then rethrown")
  (data (i32.const 400) "caught again: value ")
  (data (i32.const 432) "legacy catch: value ")
  (data (i32.const 464) "delegated past 1 handler: value ")

  ;; Output: bytes collect at 1024 and go out line by line.
  (func $byte (param $b i32)
    (i32.store8 (i32.add (i32.const 1024) (global.get $len)) (local.get $b))
    (global.set $len (i32.add (global.get $len) (i32.const 1))))
  (func $str (param $at i32) (param $n i32)
    (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (call $byte (i32.load8_u (i32.add (local.get $at) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next))))
  (func $num (param $v i32)
    (if (i32.ge_u (local.get $v) (i32.const 10))
      (then (call $num (i32.div_u (local.get $v) (i32.const 10)))))
    (call $byte (i32.add (i32.const 48) (i32.rem_u (local.get $v) (i32.const 10)))))
  (func $line
    (call $byte (i32.const 10))
    (i32.store (i32.const 0) (i32.const 1024))
    (i32.store (i32.const 4) (global.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (global.set $len (i32.const 0)))

  ;; Recurses to depth `n` and throws there: `n` frames to unwind.
  (func $descend (param $depth i32) (param $n i32) (result i32)
    (if (i32.eq (local.get $depth) (local.get $n))
      (then (throw $overflow (local.get $depth) (i32.mul (local.get $n) (i32.const 6)))))
    (i32.add
      (call $descend (i32.add (local.get $depth) (i32.const 1)) (local.get $n))
      (i32.const 1)))

  (func $catch_deep (param $n i32)
    (block $caught (result i32 i32)
      (try_table (catch $overflow $caught)
        (drop (call $descend (i32.const 0) (local.get $n))))
      (unreachable))
    (local.set $n)
    (call $str (i32.const 256) (i32.const 32))
    (call $num)
    (call $str (i32.const 320) (i32.const 8))
    (call $num (local.get $n))
    (call $line))

  ;; A frame that cleans up and passes the exception on (as C++ destructors
  ;; do): catch_all_ref, then throw_ref.
  (func $cleanup (param $n i32) (result i32)
    (block $unwinding (result exnref)
      (try_table (catch_all_ref $unwinding)
        (return (call $descend (i32.const 0) (local.get $n))))
      (unreachable))
    (call $str (i32.const 336) (i32.const 17))
    (call $num (local.get $n))
    (call $str (i32.const 368) (i32.const 15))
    (call $line)
    (throw_ref))

  (func $catch_again (param $n i32)
    (block $caught (result i32 i32)
      (try_table (catch $overflow $caught)
        (drop (call $cleanup (local.get $n))))
      (unreachable))
    (local.set $n)
    (drop)
    (call $str (i32.const 400) (i32.const 20))
    (call $num (local.get $n))
    (call $line))

  ;; The legacy instructions.
  (func $legacy (param $n i32)
    try
      (drop (call $descend (i32.const 0) (local.get $n)))
    catch $overflow
      (call $str (i32.const 432) (i32.const 20))
      (call $num)
      (drop)
      (call $line)
    end)

  (func $delegated (result i32)
    (local $v i32)
    try (result i32)
      try (result i32)
        try (result i32)
          (call $descend (i32.const 0) (i32.const 7))
        delegate 1
      catch_all
        (i32.const 0)
      end
    catch $overflow
      (local.set $v)
      (drop)
      (local.get $v)
    end)

  (func (export "_start")
    (call $catch_deep (i32.const 3))
    (call $catch_deep (i32.const 10))
    (call $catch_again (i32.const 4))
    (call $legacy (i32.const 5))
    (call $str (i32.const 464) (i32.const 32))
    (call $num (call $delegated))
    (call $line)))
