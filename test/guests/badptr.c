// badptr: passes pointers/lengths outside linear memory to raw syscalls; each must return EFAULT (21).
#include <stdio.h>
#include <wasi/api.h>

#define BAD ((void *)0xFFFFFF00u)
static int failed;

static void check(const char *name, int e) {
    printf("%s %d %s\n", name, e, e == __WASI_ERRNO_FAULT ? "ok" : "FAIL");
    if (e != __WASI_ERRNO_FAULT) failed = 1;
}

int main(void) {
    __wasi_size_t a, b;
    unsigned long memsize = __builtin_wasm_memory_size(0) * 65536UL;
    uint8_t *end = (uint8_t *)memsize;

    check("args_sizes_get", __wasi_args_sizes_get(BAD, &b));
    check("args_sizes_get2", __wasi_args_sizes_get(&a, BAD));
    check("clock_time_get", __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, BAD));
    check("clock_time_get_edge", __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, (void *)(end - 4)));
    check("random_get", __wasi_random_get(end - 8, 16));
    check("random_get_bad", __wasi_random_get(BAD, 16));

    __wasi_ciovec_t iov = {BAD, 16};
    check("fd_write_buf", __wasi_fd_write(1, &iov, 1, &a));
    check("fd_write_iovs", __wasi_fd_write(1, BAD, 1, &a));
    __wasi_ciovec_t edge = {end - 4, 8};
    check("fd_write_edge", __wasi_fd_write(1, &edge, 1, &a));

    __wasi_event_t ev;
    check("poll_oneoff_in", __wasi_poll_oneoff(BAD, &ev, 1, &a));
    return failed;
}
