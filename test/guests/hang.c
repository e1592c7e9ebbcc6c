// A guest that never ends: it prints one line, then sleeps one second at a time forever (record --until-fail
// --timeout, and stopping a recording that is blocked in poll_oneoff).
#include <stdio.h>
#include <unistd.h>

int main(void) {
    printf("started\n");
    fflush(stdout);
    for (;;) sleep(1);
}
