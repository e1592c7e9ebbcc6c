// fs_unlinked: an open fd keeps working after its path has been unlinked.
#include "fs_util.h"

int main(void) {
    __wasi_fd_t fd;
    __wasi_filestat_t st;
    __wasi_filesize_t pos;
    char s[32];
    int e, e1, e2;

    e = openf("gone.txt", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, &fd);
    if (e) { fail("setup", "create errno %d", e); return 1; }
    e = wr(fd, "data");
    e1 = __wasi_path_unlink_file(DIRFD, "gone.txt");
    EXPECT("unlink_open_file", e == 0 && e1 == 0, "write %d unlink %d", e, e1);

    e = ftype(0, "gone.txt", &st);
    EXPECT("path_gone", e == __WASI_ERRNO_NOENT, "stat errno %d, want 44", e);

    e = __wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos);
    e1 = rd(fd, s, sizeof s, NULL);
    EXPECT("read_after_unlink", e == 0 && e1 == 0 && strcmp(s, "data") == 0, "seek %d read %d '%s'", e, e1, s);

    e = wr(fd, "more");
    e1 = __wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos);
    e2 = rd(fd, s, sizeof s, NULL);
    EXPECT("write_after_unlink", e == 0 && e1 == 0 && e2 == 0 && strcmp(s, "datamore") == 0,
           "write %d seek %d read %d '%s'", e, e1, e2, s);

    e = __wasi_fd_filestat_get(fd, &st);
    EXPECT("filestat_after_unlink", e == 0 && st.size == 8 && st.filetype == __WASI_FILETYPE_REGULAR_FILE,
           "errno %d size %llu type %d nlink %llu", e, st.size, st.filetype, st.nlink);

    e = __wasi_fd_close(fd);
    e1 = ftype(0, "gone.txt", &st);
    EXPECT("close_after_unlink", e == 0 && e1 == __WASI_ERRNO_NOENT, "close %d stat %d", e, e1);
    return nfail ? 1 : 0;
}
