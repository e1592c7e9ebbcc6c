// fs_fdflags: fd stability, fd_fdstat_set_flags (NONBLOCK, APPEND) and fd_renumber.
#include "fs_util.h"

static int flags_of(__wasi_fd_t fd, __wasi_fdflags_t *fl) {
    __wasi_fdstat_t st;
    int e = __wasi_fd_fdstat_get(fd, &st);
    *fl = e ? 0 : st.fs_flags;
    return e;
}

int main(void) {
    char s[64], t[64];
    __wasi_fd_t a, b, c;
    __wasi_fdflags_t fl = 0;
    size_t n = 0;
    int e, e2, e3;

    // two opens of hello.txt; closing one leaves the other usable
    e = openf("hello.txt", 0, &a) | openf("hello.txt", 0, &b);
    e2 = __wasi_fd_close(a);
    e3 = rd(b, s, 3, &n);
    EXPECT("fd_stable", e == 0 && a != b && e2 == 0 && e3 == 0 && strcmp(s, "he") == 0,
           "open %d a=%u b=%u close %d read %d '%s'", e, a, b, e2, e3, s);

    // NONBLOCK then NONBLOCK|APPEND on b; fdstat reflects it; reading continues at offset 2
    e = __wasi_fd_fdstat_set_flags(b, __WASI_FDFLAGS_NONBLOCK);
    e2 = flags_of(b, &fl);
    EXPECT("set_flags_nonblock", e == 0 && e2 == 0 && (fl & __WASI_FDFLAGS_NONBLOCK),
           "set %d get %d flags 0x%x", e, e2, fl);
    e = __wasi_fd_fdstat_set_flags(b, __WASI_FDFLAGS_NONBLOCK | __WASI_FDFLAGS_APPEND);
    e2 = flags_of(b, &fl);
    EXPECT("set_flags_append", e == 0 && e2 == 0 && (fl & __WASI_FDFLAGS_APPEND) && (fl & __WASI_FDFLAGS_NONBLOCK),
           "set %d get %d flags 0x%x", e, e2, fl);
    e = rd(b, t, sizeof t, &n);
    strcat(s, t);
    EXPECT("read_continues", e == 0 && strcmp(s, "hello\n") == 0, "errno %d concatenation '%s'", e, s);
    (void)__wasi_fd_close(b);

    // APPEND given to path_open: a write after seeking to 0 still goes to the end
    __wasi_filesize_t pos;
    e = put_file("app.txt", "abc");
    e2 = open_in(DIRFD, "app.txt", FOLLOW, 0, R_ALL, __WASI_FDFLAGS_APPEND, &c);
    e3 = e2 ? e2 : (__wasi_fd_seek(c, 0, __WASI_WHENCE_SET, &pos) | wr(c, "XYZ") | flags_of(c, &fl));
    if (!e2) (void)__wasi_fd_close(c);
    get_file("app.txt", s, sizeof s);
    EXPECT("append_open", e == 0 && e3 == 0 && (fl & __WASI_FDFLAGS_APPEND) && strcmp(s, "abcXYZ") == 0,
           "errno %d/%d/%d flags 0x%x content '%s'", e, e2, e3, fl, s);

    // APPEND set later with fd_fdstat_set_flags
    e = openf("app.txt", 0, &c);
    e2 = e ? e : (__wasi_fd_fdstat_set_flags(c, __WASI_FDFLAGS_APPEND) | __wasi_fd_seek(c, 0, __WASI_WHENCE_SET, &pos) |
                  wr(c, "123"));
    if (!e) (void)__wasi_fd_close(c);
    get_file("app.txt", s, sizeof s);
    EXPECT("append_set_flags", e == 0 && e2 == 0 && strcmp(s, "abcXYZ123") == 0, "errno %d/%d content '%s'", e, e2, s);
    (void)__wasi_path_unlink_file(DIRFD, "app.txt");

    // fd_renumber(x, x) is a no-op
    e = openf("hello.txt", 0, &a);
    e2 = e ? e : __wasi_fd_renumber(a, a);
    e3 = rd(a, s, sizeof s, NULL);
    EXPECT("renumber_self", e == 0 && e2 == 0 && e3 == 0 && strcmp(s, "hello\n") == 0,
           "open %d renumber %d read %d '%s'", e, e2, e3, s);

    // fd_renumber(a, b): b now refers to a's file, a is closed
    e = openf("sub/inner.txt", 0, &b);
    e2 = e ? e : __wasi_fd_renumber(a, b);
    e3 = flags_of(a, &fl);
    __wasi_filesize_t p0;
    int e4 = __wasi_fd_seek(b, 0, __WASI_WHENCE_SET, &p0) | rd(b, s, sizeof s, NULL);
    EXPECT("renumber", e == 0 && e2 == 0 && e3 == __WASI_ERRNO_BADF && e4 == 0 && strcmp(s, "hello\n") == 0,
           "open %d renumber %d old-fd %d read %d '%s'", e, e2, e3, e4, s);

    // renumber the preopen (fd 3) onto b and keep using it as a directory
    e = __wasi_fd_renumber(DIRFD, b);
    e2 = flags_of(DIRFD, &fl);
    e3 = open_in(b, "sub/inner.txt", FOLLOW, 0, R_RO, 0, &c);
    e4 = e3 ? e3 : rd(c, s, sizeof s, NULL);
    EXPECT("renumber_preopen", e == 0 && e2 == __WASI_ERRNO_BADF && e3 == 0 && e4 == 0 && strcmp(s, "inner\n") == 0,
           "renumber %d fd3 %d open %d read %d '%s'", e, e2, e3, e4, s);
    return nfail ? 1 : 0;
}
