#!/usr/bin/env bash
# Rebuilds every test guest: *.c -> *.wasm (clang-14, wasm32-wasi) and *.wat -> *.wasm (wat2wasm).
# The .wasm files are committed so that the tests need no compiler.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

PKGS="clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32 wabt"
CC="${CC:-clang-14}"
if ! command -v "$CC" >/dev/null 2>&1; then
    echo "build.sh: $CC not found. On Debian/Ubuntu install: apt-get install $PKGS" >&2
    exit 1
fi
if ! command -v wat2wasm >/dev/null 2>&1; then
    echo "build.sh: wat2wasm not found. On Debian/Ubuntu install: apt-get install $PKGS" >&2
    exit 1
fi

# Probe the toolchain once (wasi-libc, lld and compiler-rt are separate packages).
probe="$(mktemp -d)"
trap 'rm -rf "$probe"' EXIT
printf 'int main(void){return 0;}\n' >"$probe/p.c"
if ! "$CC" --target=wasm32-wasi -O2 -s -o "$probe/p.wasm" "$probe/p.c"; then
    echo "build.sh: $CC cannot link for wasm32-wasi. On Debian/Ubuntu install: apt-get install $PKGS" >&2
    exit 1
fi

shopt -s nullglob
# memwatch keeps its name section (data segment and global names) and exports its data symbols, for `mem`.
MEMWATCH_FLAGS="-Wl,--strip-debug -Wl,--export=counter -Wl,--export=message -Wl,--export=seed -Wl,--export=__heap_base"
for src in *.c; do
    out="${src%.c}.wasm"
    echo "cc   $src -> $out"
    if [ "$src" = memwatch.c ]; then
        # shellcheck disable=SC2086
        "$CC" --target=wasm32-wasi -O2 -Wall $MEMWATCH_FLAGS -o "$out" "$src"
    else
        "$CC" --target=wasm32-wasi -O2 -s -Wall -o "$out" "$src"
    fi
done
# A second build of silent_store that stores another value (and differs in nothing else): see silent_store.c.
echo "cc   silent_store.c -DSTORED=2 -> silent_store2.wasm"
"$CC" --target=wasm32-wasi -O2 -s -Wall -DSTORED=2 -o silent_store2.wasm silent_store.c
for src in *.wat; do
    out="${src%.wat}.wasm"
    echo "wat  $src -> $out"
    if [ "$src" = names.wat ]; then
        wat2wasm --debug-names -o "$out" "$src" # its name section is what it is for
    else
        wat2wasm -o "$out" "$src"
    fi
done
echo "build.sh: all guests built"
