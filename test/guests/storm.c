// storm: calls clock_time_get(MONOTONIC) N times (argv[1], default 1000000); prints "calls N".
#include <stdio.h>
#include <stdlib.h>
#include <wasi/api.h>

int main(int argc, char **argv) {
    unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000UL;
    volatile __wasi_timestamp_t sink = 0;
    __wasi_timestamp_t acc = 0;
    unsigned long errs = 0;
    for (unsigned long i = 0; i < n; i++) {
        __wasi_timestamp_t t;
        if (__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t) != 0) errs++;
        acc ^= t + i;
    }
    sink = acc;
    (void)sink;
    if (errs) { printf("errors %lu\n", errs); return 1; }
    printf("calls %lu\n", n);
    return 0;
}
