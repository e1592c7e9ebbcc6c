// A flaky guest for record --until-fail: it fails (exit 3, a line on stderr) when its first random byte is a
// multiple of 8 — one run in eight on average — and passes otherwise.
#include <stdio.h>
#include <unistd.h>

int main(void) {
    unsigned char b;
    if (getentropy(&b, 1) != 0) return 2;
    if (b % 8 == 0) {
        fprintf(stderr, "unlucky %u\n", b);
        return 3;
    }
    printf("lucky %u\n", b);
    return 0;
}
