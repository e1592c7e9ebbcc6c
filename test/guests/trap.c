// trap: prints "before trap" (flushed) then executes an unreachable instruction.
#include <stdio.h>

int main(void) {
    fputs("before trap\n", stdout);
    fflush(stdout);
    __builtin_trap();
}
