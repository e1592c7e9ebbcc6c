// clock_random: checks clock_res_get/clock_time_get for all four clocks and an invalid id,
// then prints 16 random bytes and the realtime clock. With argv[1]="check" only the ok lines.
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

static int fail(const char *what, int e) {
    printf("FAIL %s (errno %d)\n", what, e);
    return 1;
}

int main(int argc, char **argv) {
    static const char *names[] = {"realtime", "monotonic", "process_cputime", "thread_cputime"};
    int check = argc > 1 && strcmp(argv[1], "check") == 0;
    for (__wasi_clockid_t id = 0; id < 4; id++) {
        __wasi_timestamp_t res = 0, t = 0, prev = 0;
        int e = __wasi_clock_res_get(id, &res);
        if (e || res == 0) return fail(names[id], e);
        e = __wasi_clock_time_get(id, 1, &t);
        if (e) return fail(names[id], e);
        if (id == __WASI_CLOCKID_REALTIME && t < 1577836800000000000ULL)
            return fail("realtime before 2020-01-01", 0);
        if (id == __WASI_CLOCKID_MONOTONIC) {
            prev = t;
            for (int i = 0; i < 1000; i++) {
                e = __wasi_clock_time_get(id, 1, &t);
                if (e) return fail(names[id], e);
                if (t < prev) return fail("monotonic went backwards", 0);
                prev = t;
            }
        }
        printf("clock %s ok\n", names[id]);
    }
    __wasi_timestamp_t x;
    int e1 = __wasi_clock_res_get(99, &x), e2 = __wasi_clock_time_get(99, 1, &x);
    if (e1 != __WASI_ERRNO_INVAL || e2 != __WASI_ERRNO_INVAL) {
        printf("FAIL clock invalid: res_get %d time_get %d\n", e1, e2);
        return 1;
    }
    printf("clock invalid ok\n");
    if (check) return 0;
    uint8_t buf[16];
    int e = __wasi_random_get(buf, sizeof buf);
    if (e) return fail("random_get", e);
    printf("random ");
    for (int i = 0; i < 16; i++) printf("%02x", buf[i]);
    printf("\n");
    __wasi_timestamp_t now;
    e = __wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &now);
    if (e) return fail("realtime", e);
    printf("time %llu\n", (unsigned long long)now);
    return 0;
}
