;; no_start: a valid module exporting memory but no _start.
(module
  (memory (export "memory") 1)
  (func (export "not_start") (result i32) (i32.const 42)))
