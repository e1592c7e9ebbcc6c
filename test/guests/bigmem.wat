;; Grows its memory to 2 GiB + 128 KiB (32,769 more pages), writes "high\n" from an address above 2 GiB to fd 1
;; (the iovec and nwritten live up there too), then exits 0. Needs about 2 GiB of address space: the test that
;; uses it runs only with WASI_TRACE_BIG=1.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (local $at i32)
    (if (i32.eq (memory.grow (i32.const 32769)) (i32.const -1)) (then (call $exit (i32.const 1))))
    ;; $at = 2 GiB + 64 KiB: the text at $at, the iovec at $at + 16, nwritten at $at + 32
    (local.set $at (i32.const 0x80010000))
    (i32.store (local.get $at) (i32.const 0x68676968)) ;; "high"
    (i32.store8 (i32.add (local.get $at) (i32.const 4)) (i32.const 10))
    (i32.store (i32.add (local.get $at) (i32.const 16)) (local.get $at))
    (i32.store (i32.add (local.get $at) (i32.const 20)) (i32.const 5))
    (call $exit (call $fd_write (i32.const 1) (i32.add (local.get $at) (i32.const 16)) (i32.const 1)
      (i32.add (local.get $at) (i32.const 32))))))
