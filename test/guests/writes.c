// writes: opens out.bin in the first preopen ("/" by convention: run with --dir HOST::/) and makes N small
// fd_write calls of 8 bytes each to it (argv[1], default 200000); prints "writes N bytes B".
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <wasi/api.h>

int main(int argc, char **argv) {
    unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 200000UL;
    int fd = open("/out.bin", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) { perror("open /out.bin"); return 1; }
    static const char payload[8] = "payload\n";
    __wasi_ciovec_t iov = { (const uint8_t *)payload, sizeof payload };
    unsigned long bytes = 0;
    for (unsigned long i = 0; i < n; i++) {
        __wasi_size_t written = 0;
        if (__wasi_fd_write(fd, &iov, 1, &written) != 0) { fprintf(stderr, "write failed at %lu\n", i); return 1; }
        bytes += written;
    }
    close(fd);
    printf("writes %lu bytes %lu\n", n, bytes);
    return 0;
}
