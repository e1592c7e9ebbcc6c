;; names: every kind of global and data segment `mem` may be asked to resolve by name (src/inspect/symbols.ts).
;; Built with wat2wasm --debug-names (see build.sh), so its name section names the globals and data segments.
(module
  (import "env" "imported" (global $imported i32))
  (memory (export "memory") 1)
  (global $mutable (export "mutable") (mut i32) (i32.const 100))
  (global $addr (export "addr") i32 (i32.const 0x200))
  (global $float (export "float") f32 (f32.const 1))
  (global $via_get (export "via_get") i32 (global.get $imported))
  (global $only_named i32 (i32.const 0x300))
  (global $big (export "big") i32 (i32.const -16))
  (data $active (i32.const 0x400) "abcdef")
  (data $passive "zz")
  (export "imported" (global $imported))
  (export "alias" (global $only_named)))
