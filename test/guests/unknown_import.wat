;; unknown_import: imports env.mystery (not provided by WASI) and calls it from _start.
(module
  (import "env" "mystery" (func $mystery))
  (memory (export "memory") 1)
  (func (export "_start") (call $mystery)))
