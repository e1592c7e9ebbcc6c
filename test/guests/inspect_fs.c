// inspect_fs: a short, fixed sequence of raw preview1 filesystem calls for the dump's golden test (fd paths,
// flags, structs, errnos, renumber, close, readdir, poll). Expects "/sandbox" as fd 3 holding hello.txt
// ("hello\n") and sub/inner.txt ("inner\n"); leaves it as it was. Prints "inspect_fs ok" and exits 3 through
// proc_exit (so the dump shows one).
#include <string.h>
#include <wasi/api.h>

#define RIGHTS_READ (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_FILESTAT_GET)
#define RIGHTS_WRITE (__WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_SEEK)
#define RIGHTS_DIR (__WASI_RIGHTS_FD_READDIR | __WASI_RIGHTS_PATH_OPEN | __WASI_RIGHTS_PATH_FILESTAT_GET)

static void say(__wasi_fd_t fd, const char *s) {
    __wasi_ciovec_t iov = {(const uint8_t *)s, strlen(s)};
    __wasi_size_t n;
    if (__wasi_fd_write(fd, &iov, 1, &n) != 0) __wasi_proc_exit(1);
}

int main(void) {
    __wasi_fd_t a, b, d, bad;
    __wasi_size_t n;
    uint8_t buf[64];
    __wasi_iovec_t iov = {buf, sizeof buf};
    __wasi_filestat_t st;
    int fails = 0;

    fails += __wasi_path_open(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "hello.txt", 0, RIGHTS_READ, 0, 0, &a) != 0;
    fails += __wasi_fd_read(a, &iov, 1, &n) != 0 || n != 6;
    fails += __wasi_fd_filestat_get(a, &st) != 0 || st.size != 6;
    fails += __wasi_path_open(3, 0, "missing.txt", 0, RIGHTS_READ, 0, 0, &bad) != __WASI_ERRNO_NOENT;
    fails += __wasi_path_open(3, 0, "out.txt", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, RIGHTS_WRITE, 0,
                              __WASI_FDFLAGS_APPEND, &b) != 0;
    __wasi_ciovec_t out[2] = {{(const uint8_t *)"writ", 4}, {(const uint8_t *)"ten\n", 4}};
    fails += __wasi_fd_write(b, out, 2, &n) != 0 || n != 8;
    fails += __wasi_fd_renumber(b, a) != 0;
    __wasi_filesize_t pos;
    fails += __wasi_fd_seek(a, -3, __WASI_WHENCE_END, &pos) != 0 || pos != 5;
    fails += __wasi_fd_close(a) != 0;
    fails += __wasi_fd_close(a) != __WASI_ERRNO_BADF;
    fails += __wasi_path_open(3, 0, "sub", __WASI_OFLAGS_DIRECTORY, RIGHTS_DIR, 0, 0, &d) != 0;
    uint8_t dents[256];
    fails += __wasi_fd_readdir(d, dents, sizeof dents, 0, &n) != 0;
    fails += __wasi_path_filestat_get(d, 0, "inner.txt", &st) != 0 || st.filetype != __WASI_FILETYPE_REGULAR_FILE;
    fails += __wasi_fd_close(d) != 0;
    fails += __wasi_path_unlink_file(3, "out.txt") != 0;
    __wasi_subscription_t sub = {.userdata = 7, .u = {.tag = __WASI_EVENTTYPE_CLOCK,
        .u = {.clock = {.id = __WASI_CLOCKID_MONOTONIC, .timeout = 1000000, .precision = 0, .flags = 0}}}};
    __wasi_event_t ev;
    fails += __wasi_poll_oneoff(&sub, &ev, 1, &n) != 0 || n != 1 || ev.userdata != 7;
    say(1, fails ? "inspect_fs FAIL\n" : "inspect_fs ok\n");
    say(2, "bye\n");
    __wasi_proc_exit(3);
}
