#!/usr/bin/env bash
# Rebuilds zstd.wasm, the zstd library wasi-trace compresses and decompresses traces with (src/trace/zstd.ts), from
# zstd's own C sources, so that no build of wasi-trace needs a compiler (zstd.wasm is committed).
#
# The sources are zstd 1.5.7's lib/ as shipped inside the npm package zstd-napi 0.0.13 (deps/zstd); `npm pack`
# fetches it from the configured registry and checks its integrity. Needs clang-14, lld-14 and wasi-libc
# (Debian/Ubuntu: apt-get install clang-14 lld-14 wasi-libc).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
CC="${CC:-clang-14}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent zstd-napi@0.0.13 >/dev/null && tar xzf zstd-napi-0.0.13.tgz)
lib="$work/package/deps/zstd/lib"
grep -q '#define ZSTD_VERSION_RELEASE  7' "$lib/zstd.h" || { echo "build.sh: expected zstd 1.5.7 sources" >&2; exit 1; }
cmp -s LICENSE "$work/package/deps/zstd/LICENSE" || { echo "build.sh: zstd's LICENSE differs from ./LICENSE" >&2; exit 1; }
# A reactor (no main), no imports at all (nothing below calls into WASI), single-threaded, no assembly, at most
# 1 GiB of memory (levels 1-9 on 1 MiB frames need a few MiB).
"$CC" --target=wasm32-wasi -mexec-model=reactor -O3 -msimd128 -mbulk-memory -s \
  -DZSTD_DISABLE_ASM -DZSTD_TRACE=0 -DDEBUGLEVEL=0 -DZSTD_LEGACY_SUPPORT=0 \
  -I"$lib" -I"$lib/common" \
  zstd-exports.c "$lib"/common/*.c "$lib"/compress/*.c "$lib"/decompress/*.c \
  -Wl,--gc-sections -Wl,--max-memory=1073741824 -o zstd.wasm.tmp
mv zstd.wasm.tmp zstd.wasm
ls -l zstd.wasm
