// Shared helpers for the fs_*.c conformance guests (header only; not built on its own).
// The harness preopens a directory as "/sandbox" (fd 3) holding hello.txt ("hello\n")
// and sub/inner.txt ("inner\n"). Each case prints "PASS <case>" or "FAIL <case>: <details>".
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

#define DIRFD 3
#define FOLLOW __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW
#define R_ALL ((((__wasi_rights_t)1) << 30) - 1)
#define R_RO (R_ALL & ~(__WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_DATASYNC | \
                         __WASI_RIGHTS_FD_ALLOCATE | __WASI_RIGHTS_FD_FILESTAT_SET_SIZE))
#define R_DIR R_RO

static int nfail;

static inline void pass(const char *c) { printf("PASS %s\n", c); }

__attribute__((format(printf, 2, 3))) static inline void fail(const char *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    printf("FAIL %s: ", c);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    nfail++;
}

#define EXPECT(c, cond, ...) do { if (cond) pass(c); else fail(c, __VA_ARGS__); } while (0)

// path_open relative to the preopen (or another dir fd). The requested rights are masked
// with the directory's inheriting rights, as wasi-libc does.
static inline int open_in(__wasi_fd_t dir, const char *path, __wasi_lookupflags_t lf,
                          __wasi_oflags_t of, __wasi_rights_t r, __wasi_fdflags_t ff, __wasi_fd_t *fd) {
    __wasi_fdstat_t ds;
    if (__wasi_fd_fdstat_get(dir, &ds) == 0) r &= ds.fs_rights_inheriting;
    *fd = (__wasi_fd_t)-1;
    return __wasi_path_open(dir, lf, path, of, r, r, ff, fd);
}
static inline int openf(const char *path, __wasi_oflags_t of, __wasi_fd_t *fd) {
    return open_in(DIRFD, path, FOLLOW, of, R_ALL, 0, fd);
}
static inline int opend(const char *path, __wasi_fd_t *fd) {
    return open_in(DIRFD, path, FOLLOW, __WASI_OFLAGS_DIRECTORY, R_DIR, 0, fd);
}

// Writes all of s; returns errno.
static inline int wr(__wasi_fd_t fd, const char *s) {
    __wasi_ciovec_t iov = {(const uint8_t *)s, strlen(s)};
    __wasi_size_t n = 0;
    int e = __wasi_fd_write(fd, &iov, 1, &n);
    return e ? e : (n == iov.buf_len ? 0 : -1);
}

// Reads until EOF or cap-1 bytes, NUL-terminates; returns errno, length in *len.
static inline int rd(__wasi_fd_t fd, char *buf, size_t cap, size_t *len) {
    size_t off = 0;
    for (;;) {
        __wasi_iovec_t iov = {(uint8_t *)buf + off, cap - 1 - off};
        __wasi_size_t n = 0;
        int e = __wasi_fd_read(fd, &iov, 1, &n);
        if (e) { buf[off] = 0; if (len) *len = off; return e; }
        off += n;
        if (n == 0 || off == cap - 1) break;
    }
    buf[off] = 0;
    if (len) *len = off;
    return 0;
}

// Creates/truncates path with content; returns errno.
static inline int put_file(const char *path, const char *content) {
    __wasi_fd_t fd;
    int e = openf(path, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, &fd);
    if (e) return e;
    e = wr(fd, content);
    (void)__wasi_fd_close(fd);
    return e;
}

// Reads the whole file into buf (NUL-terminated); returns errno.
static inline int get_file(const char *path, char *buf, size_t cap) {
    __wasi_fd_t fd;
    buf[0] = 0;
    int e = open_in(DIRFD, path, FOLLOW, 0, R_RO, 0, &fd);
    if (e) return e;
    e = rd(fd, buf, cap, NULL);
    (void)__wasi_fd_close(fd);
    return e;
}

static inline int ftype(__wasi_lookupflags_t lf, const char *path, __wasi_filestat_t *st) {
    memset(st, 0, sizeof *st);
    return __wasi_path_filestat_get(DIRFD, lf, path, st);
}
