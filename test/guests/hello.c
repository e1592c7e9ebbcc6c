// hello: "hello, world" to stdout, "hello, stderr" to stderr; exit code argv[1] (default 0).
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    fputs("hello, world\n", stdout);
    fflush(stdout);
    fputs("hello, stderr\n", stderr);
    return argc > 1 ? atoi(argv[1]) : 0;
}
