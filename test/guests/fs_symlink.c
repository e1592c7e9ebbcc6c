// fs_symlink: symlinks, hard links and dangling links inside /sandbox.
#include "fs_util.h"

int main(void) {
    __wasi_filestat_t st, st2;
    __wasi_fd_t fd;
    char s[64];
    __wasi_size_t n = 0;
    int e, e1, e2;

    e = __wasi_path_symlink("hello.txt", DIRFD, "ln_file");
    memset(s, 0, sizeof s);
    e1 = e ? e : __wasi_path_readlink(DIRFD, "ln_file", (uint8_t *)s, sizeof s, &n);
    EXPECT("symlink_readlink", e == 0 && e1 == 0 && n == 9 && strcmp(s, "hello.txt") == 0,
           "symlink %d readlink %d n %lu '%s'", e, e1, n, s);

    e = ftype(0, "ln_file", &st);
    EXPECT("stat_nofollow", e == 0 && st.filetype == __WASI_FILETYPE_SYMBOLIC_LINK, "errno %d type %d", e, st.filetype);
    e = ftype(FOLLOW, "ln_file", &st);
    EXPECT("stat_follow", e == 0 && st.filetype == __WASI_FILETYPE_REGULAR_FILE && st.size == 6,
           "errno %d type %d size %llu", e, st.filetype, st.size);

    e = get_file("ln_file", s, sizeof s);
    EXPECT("open_follow", e == 0 && strcmp(s, "hello\n") == 0, "errno %d '%s'", e, s);
    e = open_in(DIRFD, "ln_file", 0, 0, R_RO, 0, &fd);
    EXPECT("open_nofollow", e == __WASI_ERRNO_LOOP, "errno %d, want 32", e);
    if (e == 0) (void)__wasi_fd_close(fd);

    // O_DIRECTORY without follow on a symlink to a directory: ENOTDIR or ELOOP
    e = __wasi_path_symlink("sub", DIRFD, "ln_dir");
    e1 = open_in(DIRFD, "ln_dir", 0, __WASI_OFLAGS_DIRECTORY, R_DIR, 0, &fd);
    if (e == 0 && (e1 == __WASI_ERRNO_NOTDIR || e1 == __WASI_ERRNO_LOOP)) printf("PASS open_dir_nofollow (errno %d)\n", e1);
    else fail("open_dir_nofollow", "symlink %d open %d, want 54 or 32", e, e1);
    if (e1 == 0) (void)__wasi_fd_close(fd);
    e1 = open_in(DIRFD, "ln_dir", FOLLOW, __WASI_OFLAGS_DIRECTORY, R_DIR, 0, &fd);
    if (e1 == 0) (void)__wasi_fd_close(fd);
    e2 = get_file("ln_dir/inner.txt", s, sizeof s);
    EXPECT("open_dir_follow", e1 == 0 && e2 == 0 && strcmp(s, "inner\n") == 0,
           "open dir %d open through link %d '%s'", e1, e2, s);

    // hard link: nlink == 2, content shared
    e = put_file("orig.txt", "orig");
    e1 = e ? e : __wasi_path_link(DIRFD, 0, "orig.txt", DIRFD, "hard.txt");
    e2 = ftype(0, "orig.txt", &st) | ftype(0, "hard.txt", &st2);
    int e3 = openf("hard.txt", 0, &fd);
    __wasi_filesize_t pos;
    if (e3 == 0) { e3 = __wasi_fd_seek(fd, 0, __WASI_WHENCE_END, &pos) | wr(fd, "+"); (void)__wasi_fd_close(fd); }
    get_file("orig.txt", s, sizeof s);
    EXPECT("hardlink", e == 0 && e1 == 0 && e2 == 0 && e3 == 0 && st.nlink == 2 && st2.nlink == 2 &&
           st.ino == st2.ino && strcmp(s, "orig+") == 0,
           "create %d link %d stat %d write %d nlink %llu/%llu content '%s'", e, e1, e2, e3, st.nlink, st2.nlink, s);

    // dangling symlink
    e = __wasi_path_symlink("no-such-target", DIRFD, "dangle");
    e1 = ftype(FOLLOW, "dangle", &st);
    e2 = ftype(0, "dangle", &st2);
    e3 = openf("dangle", 0, &fd);
    EXPECT("dangling", e == 0 && e1 == __WASI_ERRNO_NOENT && e2 == 0 && st2.filetype == __WASI_FILETYPE_SYMBOLIC_LINK &&
           e3 == __WASI_ERRNO_NOENT, "symlink %d stat-follow %d stat-nofollow %d type %d open %d",
           e, e1, e2, st2.filetype, e3);
    if (e3 == 0) (void)__wasi_fd_close(fd);

    static const char *tmp[] = {"ln_file", "ln_dir", "orig.txt", "hard.txt", "dangle"};
    for (unsigned i = 0; i < sizeof tmp / sizeof *tmp; i++) (void)__wasi_path_unlink_file(DIRFD, tmp[i]);
    return nfail ? 1 : 0;
}
