// poll_sleep: exercises poll_oneoff with clock and fd_write subscriptions, then libc sleeps.
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

#define MS 1000000ULL
static int failed;

static __wasi_timestamp_t now(void) {
    __wasi_timestamp_t t = 0;
    if (__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t)) failed = 1;
    return t;
}

static __wasi_subscription_t clk(__wasi_userdata_t ud, __wasi_timestamp_t timeout, int abs) {
    __wasi_subscription_t s;
    memset(&s, 0, sizeof s);
    s.userdata = ud;
    s.u.tag = __WASI_EVENTTYPE_CLOCK;
    s.u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    s.u.u.clock.timeout = timeout;
    s.u.u.clock.flags = abs ? __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME : 0;
    return s;
}

static void report(const char *name, int ok, const char *detail) {
    if (ok) printf("poll %s ok\n", name);
    else { printf("poll %s FAIL: %s\n", name, detail); failed = 1; }
    fflush(stdout);
}

int main(void) {
    __wasi_event_t ev[3];
    __wasi_size_t n = 0;
    char d[128];
    int e;

    /* (a) one relative 20 ms sleep */
    __wasi_subscription_t a = clk(1, 20 * MS, 0);
    __wasi_timestamp_t t0 = now();
    e = __wasi_poll_oneoff(&a, ev, 1, &n);
    __wasi_timestamp_t dt = now() - t0;
    snprintf(d, sizeof d, "errno %d n %lu ud %llu elapsed %llu", e, n, (unsigned long long)ev[0].userdata, (unsigned long long)dt);
    report("relative", e == 0 && n == 1 && ev[0].userdata == 1 && ev[0].type == __WASI_EVENTTYPE_CLOCK && dt >= 20 * MS, d);

    /* (b) three clocks: 5 ms, 50 ms, 1 ms; the 1 ms one must fire, the 50 ms one must not */
    __wasi_subscription_t b[3] = {clk(5, 5 * MS, 0), clk(50, 50 * MS, 0), clk(111, 1 * MS, 0)};
    e = __wasi_poll_oneoff(b, ev, 3, &n);
    int saw1 = 0, saw50 = 0;
    for (__wasi_size_t i = 0; e == 0 && i < n; i++) {
        if (ev[i].userdata == 111) saw1 = 1;
        if (ev[i].userdata == 50) saw50 = 1;
    }
    snprintf(d, sizeof d, "errno %d n %lu saw1 %d saw50 %d", e, n, saw1, saw50);
    report("multi", e == 0 && n >= 1 && saw1 && !saw50, d);

    /* (c) absolute monotonic deadline now + 10 ms */
    __wasi_timestamp_t deadline = now() + 10 * MS;
    __wasi_subscription_t c = clk(7, deadline, 1);
    e = __wasi_poll_oneoff(&c, ev, 1, &n);
    __wasi_timestamp_t after = now();
    snprintf(d, sizeof d, "errno %d n %lu early by %lld ns", e, n, (long long)(deadline - after));
    report("abstime", e == 0 && n == 1 && ev[0].userdata == 7 && after >= deadline, d);

    /* (d) fd_write on stdout plus a 1 s clock: must return immediately with the fd event */
    fflush(stdout);
    __wasi_subscription_t w[2];
    memset(w, 0, sizeof w);
    w[0].userdata = 42;
    w[0].u.tag = __WASI_EVENTTYPE_FD_WRITE;
    w[0].u.u.fd_write.file_descriptor = 1;
    w[1] = clk(1000, 1000 * MS, 0);
    t0 = now();
    e = __wasi_poll_oneoff(w, ev, 2, &n);
    dt = now() - t0;
    int sawfd = 0;
    for (__wasi_size_t i = 0; e == 0 && i < n; i++)
        if (ev[i].userdata == 42 && ev[i].type == __WASI_EVENTTYPE_FD_WRITE && ev[i].error == 0) sawfd = 1;
    snprintf(d, sizeof d, "errno %d n %lu sawfd %d elapsed %llu ms", e, n, sawfd, (unsigned long long)(dt / MS));
    report("fd_write", e == 0 && sawfd && dt < 500 * MS, d);

    /* (e) zero subscriptions */
    e = __wasi_poll_oneoff(&a, ev, 0, &n);
    snprintf(d, sizeof d, "errno %d", e);
    report("empty", e == __WASI_ERRNO_INVAL, d);

    /* libc: nanosleep and sleep are implemented with poll_oneoff in wasi-libc */
    t0 = now();
    struct timespec ts = {0, 15 * MS};
    e = nanosleep(&ts, NULL);
    dt = now() - t0;
    snprintf(d, sizeof d, "ret %d elapsed %llu", e, (unsigned long long)dt);
    report("nanosleep", e == 0 && dt >= 15 * MS, d);
    t0 = now();
    e = (int)sleep(1);
    dt = now() - t0;
    snprintf(d, sizeof d, "ret %d elapsed %llu", e, (unsigned long long)dt);
    report("sleep", e == 0 && dt >= 1000 * MS, d);
    return failed;
}
