#!/usr/bin/env bash
# Rebuilds a small wasm module that a TypeScript file embeds (as base64, on its line `const WASM = '...'; // WASM`)
# from its C source, so that no build of wasi-trace needs a compiler. Needs clang-14 and lld-14 (no wasi-libc: the
# modules use none). Memory: the module's own, with a 16 KiB stack; its data and stack lie below 64 KiB, where the
# TypeScript side puts its input.
#   src/embed-wasm.sh src/trace/sha256.c src/trace/sha256.ts 131072
#   src/embed-wasm.sh src/calls/xxh64.c src/calls/xxh64.ts 1179648
# (source, target, initial memory in bytes)
set -euo pipefail
source="$1" target="$2" memory="$3"
CC="${CC:-clang-14}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$CC" --target=wasm32 -O2 -nostdlib -fno-builtin -Wl,--no-entry -Wl,--initial-memory="$memory" -Wl,-z,stack-size=16384 \
  -Wl,--strip-all -o "$work/module.wasm" "$source"
b64="$(base64 -w0 "$work/module.wasm")"
sed -i "s#^const WASM = '.*'; // WASM\$#const WASM = '$b64'; // WASM#" "$target"
grep -q "$b64" "$target" || { echo "embed-wasm.sh: no WASM line in $target" >&2; exit 1; }
echo "$target: $(stat -c %s "$work/module.wasm") bytes of wasm"
