// sock: sock_* on a bad fd must give EBADF (8); on stdout (not a socket) ENOTSOCK (57).
#include <stdio.h>
#include <wasi/api.h>

static int failed;

static void check(const char *name, int fd, int e, int want) {
    printf("%s fd%d %d %s\n", name, fd, e, e == want ? "ok" : "FAIL");
    if (e != want) failed = 1;
}

int main(void) {
    static const int fds[2] = {99, 1};
    static const int want[2] = {__WASI_ERRNO_BADF, __WASI_ERRNO_NOTSOCK};
    char buf[8] = "x";
    for (int i = 0; i < 2; i++) {
        int fd = fds[i];
        __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf};
        __wasi_ciovec_t ciov = {(const uint8_t *)buf, 1};
        __wasi_size_t n;
        __wasi_roflags_t ro;
        __wasi_fd_t nfd;
        check("sock_recv", fd, __wasi_sock_recv(fd, &iov, 1, 0, &n, &ro), want[i]);
        check("sock_send", fd, __wasi_sock_send(fd, &ciov, 1, 0, &n), want[i]);
        check("sock_shutdown", fd, __wasi_sock_shutdown(fd, __WASI_SDFLAGS_RD | __WASI_SDFLAGS_WR), want[i]);
        check("sock_accept", fd, __wasi_sock_accept(fd, 0, &nfd), want[i]);
    }
    return failed;
}
