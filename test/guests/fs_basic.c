// fs_basic: basic file and directory operations inside the /sandbox preopen (fd 3).
#include <fcntl.h>
#include <unistd.h>
#include "fs_util.h"

struct ent { char name[64]; int type; __wasi_dircookie_t next; };

// Parses up to max entries from a readdir buffer; returns count (stops at a truncated entry).
static int parse(const uint8_t *buf, size_t used, struct ent *out, int max) {
    int n = 0;
    size_t off = 0;
    while (n < max && off + sizeof(__wasi_dirent_t) <= used) {
        __wasi_dirent_t d;
        memcpy(&d, buf + off, sizeof d);
        if (off + sizeof d + d.d_namlen > used || d.d_namlen >= sizeof out[n].name) break;
        memcpy(out[n].name, buf + off + sizeof d, d.d_namlen);
        out[n].name[d.d_namlen] = 0;
        out[n].type = d.d_type;
        out[n].next = d.d_next;
        off += sizeof d + d.d_namlen;
        n++;
    }
    return n;
}

// Checks that the entries are exactly . .. hello.txt sub with the right types.
static const char *check_listing(struct ent *e, int n) {
    static const char *names[4] = {".", "..", "hello.txt", "sub"};
    static const int types[4] = {__WASI_FILETYPE_DIRECTORY, __WASI_FILETYPE_DIRECTORY,
                                 __WASI_FILETYPE_REGULAR_FILE, __WASI_FILETYPE_DIRECTORY};
    int seen[4] = {0};
    static char seen_names[256];
    seen_names[0] = 0;
    for (int i = 0; i < n; i++) {
        strncat(seen_names, i ? " " : "saw: ", sizeof seen_names - strlen(seen_names) - 1);
        strncat(seen_names, e[i].name, sizeof seen_names - strlen(seen_names) - 1);
    }
    if (n != 4) return seen_names;
    for (int i = 0; i < n; i++) {
        int k = -1;
        for (int j = 0; j < 4; j++) if (strcmp(e[i].name, names[j]) == 0) k = j;
        if (k < 0) return "unexpected name";
        if (seen[k]++) return "duplicate name";
        if (e[i].type != types[k]) return "wrong d_type";
    }
    return NULL;
}

int main(void) {
    static uint8_t buf[4096];
    struct ent ents[16];
    char s[128];
    __wasi_size_t used = 0;
    __wasi_filestat_t st;
    __wasi_fd_t fd;
    int e;

    // libc read of hello.txt
    int lfd = open("/sandbox/hello.txt", O_RDONLY);
    ssize_t n = lfd >= 0 ? read(lfd, s, sizeof s - 1) : -1;
    if (lfd >= 0) close(lfd);
    EXPECT("read_hello", n == 6 && memcmp(s, "hello\n", 6) == 0, "open/read returned %d", (int)n);

    // fd_readdir of the preopen (before anything is created)
    e = __wasi_fd_readdir(DIRFD, buf, sizeof buf, 0, &used);
    int cnt = e ? 0 : parse(buf, used, ents, 16);
    const char *why = e ? "readdir failed" : check_listing(ents, cnt);
    EXPECT("readdir_list", !why, "%s (errno %d, %d entries)", why, e, cnt);
    __wasi_size_t total = used;

    // cookie resume: one entry at a time, using d_next as the next cookie
    __wasi_dircookie_t cookie = 0;
    int got = 0;
    for (int guard = 0; guard < 10 && got < 16; guard++) {
        e = __wasi_fd_readdir(DIRFD, buf, sizeof buf, cookie, &used);
        if (e || parse(buf, used, &ents[got], 1) != 1) break;
        cookie = ents[got++].next;
    }
    why = e ? "readdir failed" : check_listing(ents, got);
    EXPECT("readdir_cookie", !why, "%s (errno %d, %d entries)", why, e, got);

    // a buffer too short for the last entry: filled completely (truncated entry)
    __wasi_size_t used2 = 0, used3 = 0;
    e = __wasi_fd_readdir(DIRFD, buf, total - 1, 0, &used2);
    int e3 = __wasi_fd_readdir(DIRFD, buf, 10, 0, &used3);
    EXPECT("readdir_truncated", e == 0 && e3 == 0 && used2 == total - 1 && used3 == 10,
           "full %lu; buf_len %lu -> errno %d bufused %lu; buf_len 10 -> errno %d bufused %lu",
           total, total - 1, e, used2, e3, used3);

    // prestat
    __wasi_prestat_t ps;
    char name[32] = {0};
    e = __wasi_fd_prestat_get(DIRFD, &ps);
    int e2 = e ? e : __wasi_fd_prestat_dir_name(DIRFD, (uint8_t *)name, ps.u.dir.pr_name_len);
    EXPECT("prestat", e == 0 && e2 == 0 && ps.tag == __WASI_PREOPENTYPE_DIR && ps.u.dir.pr_name_len == 8 &&
           memcmp(name, "/sandbox", 8) == 0, "errno %d/%d tag %d len %lu name '%s'", e, e2, ps.tag,
           ps.u.dir.pr_name_len, name);

    // create, write, read back
    e = put_file("new.txt", "abc123");
    e2 = get_file("new.txt", s, sizeof s);
    EXPECT("create_write_read", e == 0 && e2 == 0 && strcmp(s, "abc123") == 0, "errno %d/%d content '%s'", e, e2, s);

    // seek / tell
    __wasi_filesize_t p1 = 0, p2 = 0, p3 = 0, t = 0;
    e = openf("new.txt", 0, &fd);
    if (e == 0) {
        e = __wasi_fd_seek(fd, 2, __WASI_WHENCE_SET, &p1) | __wasi_fd_tell(fd, &t) |
            __wasi_fd_seek(fd, 1, __WASI_WHENCE_CUR, &p2) | __wasi_fd_seek(fd, -2, __WASI_WHENCE_END, &p3);
        rd(fd, s, 3, NULL);
    }
    EXPECT("seek_tell", e == 0 && p1 == 2 && t == 2 && p2 == 3 && p3 == 4 && strcmp(s, "23") == 0,
           "errno %d set %llu tell %llu cur %llu end %llu read '%s'", e, p1, t, p2, p3, s);

    // pread / pwrite do not move the position
    __wasi_filesize_t before = 0, after = 0;
    __wasi_size_t nr = 0, nw = 0;
    char pb[8] = {0};
    __wasi_iovec_t riov = {(uint8_t *)pb, 3};
    __wasi_ciovec_t wiov = {(const uint8_t *)"XY", 2};
    e = __wasi_fd_seek(fd, 1, __WASI_WHENCE_SET, &before) | __wasi_fd_pread(fd, &riov, 1, 3, &nr) |
        __wasi_fd_pwrite(fd, &wiov, 1, 0, &nw) | __wasi_fd_tell(fd, &after);
    e2 = get_file("new.txt", s, sizeof s);
    EXPECT("pread_pwrite", e == 0 && nr == 3 && memcmp(pb, "123", 3) == 0 && nw == 2 && after == 1 &&
           strcmp(s, "XYc123") == 0, "errno %d pread '%s' pos %llu content '%s'", e, pb, after, s);

    // fd_filestat_get / set_size
    e = __wasi_fd_filestat_get(fd, &st);
    EXPECT("fd_filestat_get", e == 0 && st.size == 6 && st.filetype == __WASI_FILETYPE_REGULAR_FILE,
           "errno %d size %llu type %d", e, st.size, st.filetype);
    e = __wasi_fd_filestat_set_size(fd, 3);
    e2 = get_file("new.txt", s, sizeof s);
    EXPECT("set_size_truncate", e == 0 && strcmp(s, "XYc") == 0, "errno %d content '%s'", e, s);
    e = __wasi_fd_filestat_set_size(fd, 8) | __wasi_fd_filestat_get(fd, &st);
    nr = 0;
    memset(pb, 'z', sizeof pb);
    riov.buf = (uint8_t *)pb;
    riov.buf_len = 8;
    e2 = __wasi_fd_pread(fd, &riov, 1, 0, &nr);
    EXPECT("set_size_extend", e == 0 && e2 == 0 && st.size == 8 && nr == 8 && memcmp(pb, "XYc\0\0\0\0\0", 8) == 0,
           "errno %d/%d size %llu read %lu", e, e2, st.size, nr);

    // fd_advise, fd_allocate (0 or ENOTSUP), fd_sync, fd_datasync
    e = __wasi_fd_advise(fd, 0, 8, __WASI_ADVICE_SEQUENTIAL);
    EXPECT("fd_advise", e == 0, "errno %d", e);
    e = __wasi_fd_allocate(fd, 0, 16);
    if (e == 0 || e == __WASI_ERRNO_NOTSUP) printf("PASS fd_allocate (errno %d)\n", e);
    else fail("fd_allocate", "errno %d", e);
    e = __wasi_fd_sync(fd);
    EXPECT("fd_sync", e == 0, "errno %d", e);
    e = __wasi_fd_datasync(fd);
    EXPECT("fd_datasync", e == 0, "errno %d", e);
    (void)__wasi_fd_close(fd);

    // path_filestat_get on a file and a directory
    e = ftype(FOLLOW, "hello.txt", &st);
    e2 = st.filetype;
    __wasi_filesize_t hsz = st.size;
    e3 = ftype(FOLLOW, "sub", &st);
    EXPECT("path_filestat_get", e == 0 && e3 == 0 && e2 == __WASI_FILETYPE_REGULAR_FILE && hsz == 6 &&
           st.filetype == __WASI_FILETYPE_DIRECTORY, "errno %d/%d types %d/%d", e, e3, e2, st.filetype);

    // mkdir / rmdir
    e = __wasi_path_create_directory(DIRFD, "newdir");
    e2 = ftype(0, "newdir", &st);
    int t1 = st.filetype;
    e3 = __wasi_path_remove_directory(DIRFD, "newdir");
    int e4 = ftype(0, "newdir", &st);
    EXPECT("mkdir_rmdir", e == 0 && e2 == 0 && t1 == __WASI_FILETYPE_DIRECTORY && e3 == 0 && e4 == __WASI_ERRNO_NOENT,
           "create %d stat %d type %d remove %d stat-after %d", e, e2, t1, e3, e4);

    // unlink
    e = put_file("del.txt", "x");
    e2 = __wasi_path_unlink_file(DIRFD, "del.txt");
    e3 = ftype(0, "del.txt", &st);
    EXPECT("unlink", e == 0 && e2 == 0 && e3 == __WASI_ERRNO_NOENT, "create %d unlink %d stat-after %d", e, e2, e3);

    // rename: plain, over an existing file, directory onto an empty directory
    e = put_file("a.txt", "A") | __wasi_path_rename(DIRFD, "a.txt", DIRFD, "b.txt");
    e2 = ftype(0, "a.txt", &st);
    e3 = get_file("b.txt", s, sizeof s);
    EXPECT("rename_file", e == 0 && e2 == __WASI_ERRNO_NOENT && e3 == 0 && strcmp(s, "A") == 0,
           "errno %d old %d new %d '%s'", e, e2, e3, s);
    e = put_file("c.txt", "C") | __wasi_path_rename(DIRFD, "b.txt", DIRFD, "c.txt");
    e2 = ftype(0, "b.txt", &st);
    e3 = get_file("c.txt", s, sizeof s);
    EXPECT("rename_over_file", e == 0 && e2 == __WASI_ERRNO_NOENT && e3 == 0 && strcmp(s, "A") == 0,
           "errno %d old %d new %d '%s'", e, e2, e3, s);
    e = __wasi_path_create_directory(DIRFD, "d1") | put_file("d1/f", "F") | __wasi_path_create_directory(DIRFD, "d2");
    e2 = e ? e : __wasi_path_rename(DIRFD, "d1", DIRFD, "d2");
    e3 = get_file("d2/f", s, sizeof s);
    e4 = ftype(0, "d1", &st);
    EXPECT("rename_dir", e == 0 && e2 == 0 && e3 == 0 && strcmp(s, "F") == 0 && e4 == __WASI_ERRNO_NOENT,
           "setup %d rename %d read %d '%s' old %d", e, e2, e3, s, e4);

    // timestamps keep full nanoseconds
    const __wasi_timestamp_t ts = 1234567890123456789ULL;
    e = __wasi_path_filestat_set_times(DIRFD, FOLLOW, "c.txt", ts, ts, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM);
    e2 = ftype(FOLLOW, "c.txt", &st);
    EXPECT("set_times_ns", e == 0 && e2 == 0 && st.atim == ts && st.mtim == ts, "errno %d/%d atim %llu mtim %llu",
           e, e2, st.atim, st.mtim);

    // clean up so the sandbox looks as it did
    (void)__wasi_path_unlink_file(DIRFD, "c.txt");
    (void)__wasi_path_unlink_file(DIRFD, "new.txt");
    (void)__wasi_path_unlink_file(DIRFD, "d2/f");
    (void)__wasi_path_remove_directory(DIRFD, "d2");
    (void)__wasi_path_unlink_file(DIRFD, "d1/f");
    (void)__wasi_path_remove_directory(DIRFD, "d1");
    return nfail ? 1 : 0;
}
