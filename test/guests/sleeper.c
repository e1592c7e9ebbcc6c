// sleeper: prints "tick I" (I = 0..N-1, flushed) and sleeps MS milliseconds after each; argv: [N] [MS]
// (default 1000 ticks of 100 ms). A slow guest for tests that kill a recording while it runs.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv) {
    unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000UL;
    unsigned long ms = argc > 2 ? strtoul(argv[2], NULL, 10) : 100UL;
    for (unsigned long i = 0; i < n; i++) {
        printf("tick %lu\n", i);
        fflush(stdout);
        struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    return 0;
}
