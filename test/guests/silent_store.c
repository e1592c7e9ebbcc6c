// silent_store: makes N clock_time_get calls (argv[1], default 2000); just before call K (argv[2], default 1000) it
// stores STORED into a global that no call ever reads or writes, then prints "done". Built twice (build.sh):
// silent_store.wasm stores 1, silent_store2.wasm (-DSTORED=2) stores 2. The two builds differ in that one constant
// only, so a trace of one replays against the other call for call, and only memory tells them apart (the memory
// checkpoints of record and replay --verify).
#include <stdio.h>
#include <stdlib.h>
#include <wasi/api.h>

#ifndef STORED
#define STORED 1
#endif

volatile int marker;

int main(int argc, char **argv) {
    unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 2000UL;
    unsigned long k = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000UL;
    for (unsigned long i = 0; i < n; i++) {
        if (i == k) marker = STORED;
        __wasi_timestamp_t t;
        (void)!__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t);
    }
    printf("done\n");
    return 0;
}
