;; A guest with imports the preview1 schema does not know: env.add (i32 i32 -> i32), env.fill (writes len
;; bytes at ptr), env.big (-> i64). It writes the 8 bytes env.fill produced to stdout, then exits with
;; add(2, 3) + low 32 bits of big().
(module
  (import "env" "add" (func $add (param i32 i32) (result i32)))
  (import "env" "fill" (func $fill (param i32 i32)))
  (import "env" "big" (func $big (result i64)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (call $fill (i32.const 100) (i32.const 8))
    (i32.store (i32.const 0) (i32.const 100))
    (i32.store (i32.const 4) (i32.const 8))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16)))
    (call $exit (i32.add (call $add (i32.const 2) (i32.const 3)) (i32.wrap_i64 (call $big))))))
