// stdin_echo: copies stdin to stdout in 4 KiB chunks, then "\nread N bytes" to stderr.
#include <stdio.h>
#include <unistd.h>

int main(void) {
    static char buf[4096];
    unsigned long total = 0;
    for (;;) {
        ssize_t n = read(0, buf, sizeof buf);
        if (n < 0) { perror("read"); return 1; }
        if (n == 0) break;
        total += (unsigned long)n;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(1, buf + off, (size_t)(n - off));
            if (w < 0) { perror("write"); return 1; }
            off += w;
        }
    }
    fprintf(stderr, "\nread %lu bytes\n", total);
    return 0;
}
