// Recurses argv[1] calls deep (default 3000), then exits with code 3 from the deepest frame: leaving the guest
// through proc_exit unwinds every one of those wasm frames (node:wasi throws an exception to get out).
#include <stdio.h>
#include <stdlib.h>

static volatile int sink;

static int down(int n) {
    if (n == 0) {
        fflush(stdout);
        exit(3);
    }
    int r = down(n - 1) + n; // not a tail call: every frame stays on the stack
    sink = r;
    return r;
}

int main(int argc, char **argv) {
    int depth = argc > 1 ? atoi(argv[1]) : 3000;
    printf("going %d deep\n", depth);
    return down(depth);
}
