// bigwrite N: writes N bytes of 'a' to stdout in as few write() calls as it can (one, unless a write is short),
// so one call carries more data than a trace event holds (it travels as blob pieces).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    size_t n = argc > 1 ? (size_t)strtoul(argv[1], 0, 10) : 400000;
    char *buf = malloc(n);
    if (!buf) return 2;
    memset(buf, 'a', n);
    for (size_t off = 0; off < n;) {
        ssize_t w = write(1, buf + off, n - off);
        if (w <= 0) return 1;
        off += (size_t)w;
    }
    return 0;
}
