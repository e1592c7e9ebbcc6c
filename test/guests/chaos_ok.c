// The same work as chaos_bugs, done correctly: it must pass under every chaos knob and seed. It loops on short
// reads and writes, sorts directory entries, takes whatever fd it is given, only expects the monotonic clock not
// to go back, collects poll events until it has them all, and retries a non-blocking read that would block.
// Prints one summary line; exit 0, or 1 with a line on stderr. Needs a writable preopen at /tmp.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>

static int fail(const char *what) {
    fprintf(stderr, "chaos_ok: %s\n", what);
    return 1;
}

static int write_all(int fd, const char *buf, size_t size) {
    for (size_t done = 0; done < size;) {
        ssize_t w = write(fd, buf + done, size - done);
        if (w < 0 && errno == EAGAIN) continue;
        if (w <= 0) return -1;
        done += (size_t)w;
    }
    return 0;
}

static ssize_t read_all(int fd, char *buf, size_t size) {
    size_t done = 0;
    while (done < size) {
        ssize_t n = read(fd, buf + done, size - done);
        if (n < 0 && errno == EAGAIN) continue;
        if (n < 0) return -1;
        if (n == 0) break;
        done += (size_t)n;
    }
    return (ssize_t)done;
}

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(void) {
    static char buf[4000];
    memset(buf, 'x', sizeof buf);
    int fd = open("/tmp/data", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write_all(fd, buf, sizeof buf) || close(fd)) return fail("cannot write /tmp/data");
    fd = open("/tmp/data", O_RDONLY);
    if (fd < 0) return fail("cannot open /tmp/data");
    memset(buf, 0, sizeof buf);
    ssize_t got = read_all(fd, buf, sizeof buf);
    close(fd);
    if (got != 4000 || buf[0] != 'x' || buf[3999] != 'x') return fail("read back the wrong data");

    const char *names[] = {"d", "b", "a", "c"};
    if (mkdir("/tmp/dir", 0755)) return fail("cannot mkdir /tmp/dir");
    char path[32];
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "/tmp/dir/%s", names[i]);
        int f = open(path, O_WRONLY | O_CREAT, 0644);
        if (f < 0 || close(f)) return fail("cannot make a file");
    }
    DIR *d = opendir("/tmp/dir");
    if (!d) return fail("cannot open /tmp/dir");
    char *seen[8];
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        if (n == 8) return fail("too many entries");
        seen[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(seen, n, sizeof seen[0], cmp);
    char listing[16] = "";
    for (int i = 0; i < n; i++) strcat(listing, seen[i]);

    __wasi_timestamp_t last = 0, t = 0;
    for (int i = 0; i < 200; i++) {
        if (__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t)) return fail("clock_time_get failed");
        if (t < last) return fail("the monotonic clock went back");
        last = t;
    }

    __wasi_subscription_t s[2];
    memset(s, 0, sizeof s);
    for (int i = 0; i < 2; i++) {
        s[i].userdata = i + 1;
        s[i].u.tag = __WASI_EVENTTYPE_CLOCK;
        s[i].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    }
    int have = 0;
    while (have != 3) {
        __wasi_subscription_t pending[2];
        __wasi_size_t k = 0;
        for (int i = 0; i < 2; i++) if (!(have & (1 << i))) pending[k++] = s[i];
        __wasi_event_t ev[2];
        __wasi_size_t got_events = 0;
        if (__wasi_poll_oneoff(pending, ev, k, &got_events)) return fail("poll_oneoff failed");
        for (__wasi_size_t i = 0; i < got_events; i++) have |= 1 << (ev[i].userdata - 1);
    }

    int flags = fcntl(0, F_GETFL);
    if (fcntl(0, F_SETFL, flags | O_NONBLOCK)) return fail("cannot make stdin non-blocking");
    char in[64];
    ssize_t stdin_bytes = read_all(0, in, sizeof in);

    char line[128];
    int len = snprintf(line, sizeof line, "ok read %zd, dir %s, stdin %zd\n", got, listing, stdin_bytes);
    if (write_all(1, line, (size_t)len)) return fail("cannot write stdout");
    return 0;
}
