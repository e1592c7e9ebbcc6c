;; Writes "a\n" to fd 1, moves stdout onto fd 2 with fd_renumber(1, 2) (closing stderr), writes "b\n" to fd 2
;; (so it goes to stdout), then tries "c\n" on fd 1, which is gone (EBADF). Exit code: that errno (8).
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_renumber" (func $fd_renumber (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "a\0ab\0ac\0a")
  ;; writes the 2 bytes at 100 + 2*$i ("a\n", "b\n", "c\n") to $fd (iovec at 0, nwritten at 16); returns the errno
  (func $say (param $fd i32) (param $i i32) (result i32)
    (i32.store (i32.const 0) (i32.add (i32.const 100) (i32.mul (local.get $i) (i32.const 2))))
    (i32.store (i32.const 4) (i32.const 2))
    (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 16)))
  (func (export "_start")
    (drop (call $say (i32.const 1) (i32.const 0)))
    (drop (call $fd_renumber (i32.const 1) (i32.const 2)))
    (drop (call $say (i32.const 2) (i32.const 1)))
    (call $exit (call $say (i32.const 1) (i32.const 2)))))
