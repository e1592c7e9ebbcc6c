// The functions wasi-trace's zstd.wasm exports (src/trace/zstd.ts is their only caller). One compression and one
// decompression context each, reused for every frame; buffers come from malloc in the module's own memory.
#include <stdlib.h>
#include "zstd.h"

#define EXPORT(name) __attribute__((export_name(name)))

EXPORT("buffer_new") void *buffer_new(size_t size) { return malloc(size); }
EXPORT("buffer_free") void buffer_free(void *p) { free(p); }
EXPORT("cctx_new") ZSTD_CCtx *cctx_new(void) { return ZSTD_createCCtx(); }
EXPORT("dctx_new") ZSTD_DCtx *dctx_new(void) { return ZSTD_createDCtx(); }

// One frame with its content size and no checksum: the size written, or an error code (is_error).
EXPORT("compress") size_t compress(ZSTD_CCtx *cctx, void *dst, size_t capacity, const void *src, size_t size, int level) {
  return ZSTD_compressCCtx(cctx, dst, capacity, src, size, level);
}

// One or more whole frames: the size written (at most `capacity`), or an error code (is_error).
EXPORT("decompress") size_t decompress(ZSTD_DCtx *dctx, void *dst, size_t capacity, const void *src, size_t size) {
  return ZSTD_decompressDCtx(dctx, dst, capacity, src, size);
}

EXPORT("is_error") unsigned is_error(size_t code) { return ZSTD_isError(code); }
// A NUL-terminated description of an error code, in static memory.
EXPORT("error_name") const char *error_name(size_t code) { return ZSTD_getErrorName(code); }
EXPORT("version_number") unsigned version_number(void) { return ZSTD_versionNumber(); }
