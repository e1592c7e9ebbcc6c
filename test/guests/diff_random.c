// diff_random: reads the monotonic clock three times, takes 8 random bytes and prints them as a number
// ("random N\n"), then "done\n"; exit 0. Two runs differ first in behaviour at the write of the number.
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
#include <wasi/api.h>

int main(void) {
    __wasi_timestamp_t t = 0;
    for (int i = 0; i < 3; i++)
        if (__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t) != 0) return 1;
    uint64_t r = 0;
    if (__wasi_random_get((uint8_t *)&r, sizeof r) != 0) return 1;
    char line[64];
    int n = snprintf(line, sizeof line, "random %llu\n", (unsigned long long)r);
    write(1, line, (size_t)n);
    write(1, "done\n", 5);
    return 0;
}
