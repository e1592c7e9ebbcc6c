// memwatch: globals that change between calls, for `mem` (--at, --watch, names) and `replay --stop-at`.
// Built with its data symbols exported (counter, message, seed, __heap_base) and its name section kept (the data
// segments .rodata, .data, .bss): see build.sh. Calls: #0 fd_write "start", #1 random_get into seed, #2..#4
// fd_write "tick" (counter 10, 20, 30 set just before each), #5 fd_write "done" (message and counter were
// overwritten just before it, by the guest's own code), #6 proc_exit(3).
#include <string.h>
#include <unistd.h>

int counter = 7;
char message[16] = "fine";
unsigned char seed[8];

static void say(const char *s) { write(1, s, strlen(s)); }

int main(void) {
    say("start\n");
    getentropy(seed, sizeof seed);
    for (int i = 1; i <= 3; i++) {
        counter = i * 10;
        say("tick\n");
    }
    strcpy(message, "corrupted");
    counter = -1;
    say("done\n");
    return 3;
}
