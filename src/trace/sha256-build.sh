#!/usr/bin/env bash
# Rebuilds the small SHA-256 module src/trace/sha256.ts embeds (as base64, between its WASM markers) from sha256.c,
# so that no build of wasi-trace needs a compiler. Needs clang-14 and lld-14 (no wasi-libc: the module uses none).
# Memory: 2 pages; data and a 16 KiB stack below 64 KiB, where sha256.ts puts its input (and grows the memory).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
CC="${CC:-clang-14}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$CC" --target=wasm32 -O2 -nostdlib -fno-builtin -Wl,--no-entry -Wl,--initial-memory=131072 -Wl,-z,stack-size=16384 \
  -Wl,--strip-all -o "$work/sha256.wasm" sha256.c
b64="$(base64 -w0 "$work/sha256.wasm")"
sed -i "s#^const WASM = '.*'; // WASM\$#const WASM = '$b64'; // WASM#" sha256.ts
grep -q "$b64" sha256.ts || { echo "sha256-build.sh: no WASM line in sha256.ts" >&2; exit 1; }
echo "sha256.ts: $(stat -c %s "$work/sha256.wasm") bytes of wasm"
