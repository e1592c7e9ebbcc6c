// Latent bugs that ordinary runs never show, one per chaos knob: `chaos_bugs KNOB` runs the one for KNOB and
// exits 1 (with a line on stderr) when the bug bites, 0 otherwise. Needs a writable preopen at /tmp.
//   short-io  one read() of a 4000-byte file, assumed to return all of it
//   write     one write() of 3000 bytes to stdout, assumed to write all of it
//   readdir   files made as a, b, c, d assumed to be listed in that order
//   fds       the first file opened assumed to be fd 4 (right after the preopen at fd 3)
//   clock     two monotonic readings around nothing assumed less than a second apart
//   poll      two clock subscriptions due at once assumed to be reported together
//   eagain    a read from a non-blocking stdin assumed never to fail with EAGAIN
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>

static int fail(const char *what) {
    fprintf(stderr, "bug: %s\n", what);
    return 1;
}

static int make_file(const char *path, size_t size) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return -1;
    char buf[512];
    memset(buf, 'x', sizeof buf);
    for (size_t done = 0; done < size;) {  // a correct write loop
        size_t n = size - done < sizeof buf ? size - done : sizeof buf;
        ssize_t w = write(fd, buf, n);
        if (w <= 0) { close(fd); return -1; }
        done += (size_t)w;
    }
    return close(fd);
}

static int short_read(void) {
    if (make_file("/tmp/data", 4000)) return fail("cannot make /tmp/data");
    int fd = open("/tmp/data", O_RDONLY);
    static char buf[4000];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n != 4000) return fail("read() returned less than the whole file");
    return 0;
}

static int short_write(void) {
    static char buf[3000];
    memset(buf, '.', sizeof buf);
    buf[sizeof buf - 1] = '\n';
    ssize_t n = write(1, buf, sizeof buf);
    if (n != (ssize_t)sizeof buf) return fail("write() wrote less than asked");
    return 0;
}

static int readdir_order(void) {
    const char *names[] = {"a", "b", "c", "d"};
    mkdir("/tmp/dir", 0755);
    char path[32];
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "/tmp/dir/%s", names[i]);
        if (make_file(path, 1)) return fail("cannot make a file");
    }
    DIR *d = opendir("/tmp/dir");
    if (!d) return fail("cannot open /tmp/dir");
    int i = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        if (i >= 4 || strcmp(e->d_name, names[i]) != 0) return fail("entries not in creation order");
        i++;
    }
    closedir(d);
    return i == 4 ? 0 : fail("entries missing");
}

static int first_fd(void) {
    if (make_file("/tmp/f", 1)) return fail("cannot make /tmp/f");
    int fd = open("/tmp/f", O_RDONLY);
    if (fd != 4) return fail("the first file opened is not fd 4");
    return 0;
}

static int clock_gap(void) {
    __wasi_timestamp_t a = 0, b = 0;
    for (int i = 0; i < 200; i++) {
        if (__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &a)) return fail("clock_time_get failed");
        if (__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &b)) return fail("clock_time_get failed");
        if (b - a > 1000000000ULL) return fail("a second passed between two clock readings");
    }
    return 0;
}

static int poll_both(void) {
    __wasi_subscription_t s[2];
    memset(s, 0, sizeof s);
    for (int i = 0; i < 2; i++) {
        s[i].userdata = i + 1;
        s[i].u.tag = __WASI_EVENTTYPE_CLOCK;
        s[i].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
        s[i].u.u.clock.timeout = 0;
    }
    __wasi_event_t ev[2];
    __wasi_size_t n = 0;
    for (int round = 0; round < 20; round++) {
        if (__wasi_poll_oneoff(s, ev, 2, &n)) return fail("poll_oneoff failed");
        if (n != 2) return fail("poll_oneoff reported one of two ready events");
    }
    return 0;
}

static int nonblocking_read(void) {
    int flags = fcntl(0, F_GETFL);
    if (fcntl(0, F_SETFL, flags | O_NONBLOCK) != 0) return fail("cannot make stdin non-blocking");
    char c;
    for (int i = 0; i < 50; i++) {
        ssize_t n = read(0, &c, 1);
        if (n < 0 && errno == EAGAIN) return fail("read() failed with EAGAIN");
        if (n == 0) break;
    }
    return 0;
}

int main(int argc, char **argv) {
    const char *knob = argc > 1 ? argv[1] : "";
    if (!strcmp(knob, "short-io")) return short_read();
    if (!strcmp(knob, "write")) return short_write();
    if (!strcmp(knob, "readdir")) return readdir_order();
    if (!strcmp(knob, "fds")) return first_fd();
    if (!strcmp(knob, "clock")) return clock_gap();
    if (!strcmp(knob, "poll")) return poll_both();
    if (!strcmp(knob, "eagain")) return nonblocking_read();
    fprintf(stderr, "usage: chaos_bugs short-io|write|readdir|fds|clock|poll|eagain\n");
    return 2;
}
