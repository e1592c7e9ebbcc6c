// diff_branch [extra]: writes "one\n", reads the clock, writes "two\n"; with argv[1] = "extra" it then takes an
// extra branch that writes "extra\n" (one call more); then "three\n", the clock again, "four\n"; exit 0.
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>

int main(int argc, char **argv) {
    __wasi_timestamp_t t = 0;
    write(1, "one\n", 4);
    if (__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t) != 0) return 1;
    write(1, "two\n", 4);
    if (argc > 1 && strcmp(argv[1], "extra") == 0) write(1, "extra\n", 6);
    write(1, "three\n", 6);
    if (__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t) != 0) return 1;
    write(1, "four\n", 5);
    return 0;
}
