// fs_escape: every route out of the /sandbox preopen must be refused with ENOTCAPABLE (76)
// or EPERM (63), and no byte of a file outside the sandbox may be read.
#include "fs_util.h"

static int refused(int e) { return e == __WASI_ERRNO_NOTCAPABLE || e == __WASI_ERRNO_PERM; }

// Opens path (following symlinks); PASS only if the open is refused.
static void try_open(const char *c, const char *path, __wasi_oflags_t of) {
    __wasi_fd_t fd;
    int e = open_in(DIRFD, path, FOLLOW, of, of ? R_ALL : R_RO, 0, &fd);
    if (refused(e)) { printf("PASS %s (errno %d)\n", c, e); return; }
    if (e) { fail(c, "open '%s' gave errno %d, want 76 or 63", path, e); return; }
    char buf[256];
    size_t n = 0;
    rd(fd, buf, sizeof buf, &n);
    (void)__wasi_fd_close(fd);
    fail(c, "open '%s' SUCCEEDED (read %lu bytes)", path, (unsigned long)n);
}

// Creates a symlink then opens through it; refusing the symlink itself also passes.
static void try_link(const char *c, const char *target, const char *link, const char *open_path) {
    int e = __wasi_path_symlink(target, DIRFD, link);
    if (refused(e)) { printf("PASS %s (symlink refused, errno %d)\n", c, e); return; }
    if (e) { fail(c, "symlink '%s' -> '%s' gave errno %d", link, target, e); return; }
    try_open(c, open_path, 0);
}

int main(void) {
    try_open("dotdot", "../etc/passwd", 0);
    try_open("sub_dotdot", "sub/../../x", 0);
    try_open("absolute", "/etc/passwd", 0);
    try_open("create_outside", "../wasi-trace-escape-probe", __WASI_OFLAGS_CREAT);
    try_link("symlink_absolute", "/etc/passwd", "esc_abs", "esc_abs");
    try_link("symlink_relative", "../../../../etc/passwd", "esc_rel", "esc_rel");

    // chain: esc_hop1 -> sub/esc_hop2 -> ../../../../etc/passwd
    int e = __wasi_path_symlink("sub/esc_hop2", DIRFD, "esc_hop1");
    if (e) fail("symlink_chain", "symlink esc_hop1 gave errno %d", e);
    else try_link("symlink_chain", "../../../../etc/passwd", "sub/esc_hop2", "esc_hop1");

    try_link("symlink_dir_relative", "../../../../etc", "esc_dir", "esc_dir/passwd");
    try_link("symlink_dir_absolute", "/etc", "esc_dir_abs", "esc_dir_abs/passwd");

    // r1/r2/ln -> ../../hello.txt stays inside; after renaming r1/r2 to r2moved it climbs out
    char s[32] = "";
    e = __wasi_path_create_directory(DIRFD, "r1") | __wasi_path_create_directory(DIRFD, "r1/r2");
    int e1 = e ? e : __wasi_path_symlink("../../hello.txt", DIRFD, "r1/r2/ln");
    int e2 = e1 ? e1 : get_file("r1/r2/ln", s, sizeof s);
    int e3 = e2 ? e2 : __wasi_path_rename(DIRFD, "r1/r2", DIRFD, "r2moved");
    if (e == 0 && refused(e1))
        printf("PASS rename_escape (in-sandbox symlink refused, errno %d)\n", e1);
    else if (e || e1 || e2 || e3 || strcmp(s, "hello\n") != 0)
        fail("rename_escape", "mkdir %d symlink %d in-sandbox open %d '%s' rename %d", e, e1, e2, s, e3);
    else try_open("rename_escape", "r2moved/ln", 0);

    static const char *tmp[] = {"esc_abs", "esc_rel", "esc_hop1", "sub/esc_hop2", "esc_dir", "esc_dir_abs",
                                "r1/r2/ln", "r2moved/ln"};
    for (unsigned i = 0; i < sizeof tmp / sizeof *tmp; i++) (void)__wasi_path_unlink_file(DIRFD, tmp[i]);
    (void)__wasi_path_remove_directory(DIRFD, "r1/r2");
    (void)__wasi_path_remove_directory(DIRFD, "r2moved");
    (void)__wasi_path_remove_directory(DIRFD, "r1");
    return nfail ? 1 : 0;
}
