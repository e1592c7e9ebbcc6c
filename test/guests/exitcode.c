// exitcode: calls proc_exit(atoi(argv[1])) directly (default 3), printing nothing.
#include <stdlib.h>
#include <wasi/api.h>

int main(int argc, char **argv) {
    __wasi_proc_exit(argc > 1 ? (__wasi_exitcode_t)atoi(argv[1]) : 3);
}
