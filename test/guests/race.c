// race: two halves of a confinement race inside the first preopen (fd 3), for test/vfs/race.test.ts.
// Run one of each at the same time on the same host directory (see test/guests/README.md):
//   race swap     makes race_dir/secret.txt ("inside\n") and the symlink race_link -> ../outside (errors ignored),
//                 prints "ready", then renames race_dir -> race -> race_dir and race_link -> race -> race_link
//                 over and over until the file `stop` exists (checked every 16 rounds); prints "swaps N".
//   race probe N  N rounds of: read race/secret.txt, stat it, create race/c<i>, mkdir race/m<i>, symlink race/s<i>,
//                 hard-link race/secret.txt to l<i>, open race/secret.txt with O_TRUNC; then creates `stop` and
//                 prints "probe rounds=N ok=K secret=S": K operations succeeded, S reads returned the secret
//                 that lives outside the preopen (its text starts with "TOP-SECRET").
// Exit 0, or 2 on bad arguments.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

#define DIRFD 3
#define FOLLOW __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW
#define RIGHTS ((((__wasi_rights_t)1) << 30) - 1)

static int open_at(const char *path, __wasi_oflags_t of, __wasi_fd_t *fd) {
    __wasi_fdstat_t ds;
    __wasi_rights_t r = RIGHTS;
    if (__wasi_fd_fdstat_get(DIRFD, &ds) == 0) r &= ds.fs_rights_inheriting;
    return __wasi_path_open(DIRFD, FOLLOW, path, of, r, r, 0, fd);
}

static void put(const char *path, const char *text) {
    __wasi_fd_t fd;
    if (open_at(path, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, &fd)) return;
    __wasi_ciovec_t iov = {(const uint8_t *)text, strlen(text)};
    __wasi_size_t n;
    (void)__wasi_fd_write(fd, &iov, 1, &n);
    (void)__wasi_fd_close(fd);
}

static int swap(void) {
    (void)__wasi_path_create_directory(DIRFD, "race_dir");
    put("race_dir/secret.txt", "inside\n");
    (void)__wasi_path_symlink("../outside", DIRFD, "race_link");
    printf("ready\n");
    fflush(stdout);
    long swaps = 0;
    for (;; swaps++) {
        (void)__wasi_path_rename(DIRFD, "race_dir", DIRFD, "race");
        (void)__wasi_path_rename(DIRFD, "race", DIRFD, "race_dir");
        (void)__wasi_path_rename(DIRFD, "race_link", DIRFD, "race");
        (void)__wasi_path_rename(DIRFD, "race", DIRFD, "race_link");
        __wasi_filestat_t st;
        if (swaps % 16 == 0 && __wasi_path_filestat_get(DIRFD, 0, "stop", &st) == 0) break;
    }
    printf("swaps %ld\n", swaps);
    return 0;
}

static int probe(long rounds) {
    long ok = 0, secret = 0;
    char name[32], buf[64];
    for (long i = 0; i < rounds; i++) {
        __wasi_fd_t fd;
        if (open_at("race/secret.txt", 0, &fd) == 0) {
            __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf - 1};
            __wasi_size_t n = 0;
            if (__wasi_fd_read(fd, &iov, 1, &n) == 0) {
                ok++;
                buf[n] = 0;
                if (strncmp(buf, "TOP-SECRET", 10) == 0) secret++;
            }
            (void)__wasi_fd_close(fd);
        }
        __wasi_filestat_t st;
        if (__wasi_path_filestat_get(DIRFD, 0, "race/secret.txt", &st) == 0) ok++;
        snprintf(name, sizeof name, "race/c%ld", i);
        if (open_at(name, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, &fd) == 0) { ok++; (void)__wasi_fd_close(fd); }
        snprintf(name, sizeof name, "race/m%ld", i);
        if (__wasi_path_create_directory(DIRFD, name) == 0) ok++;
        snprintf(name, sizeof name, "race/s%ld", i);
        if (__wasi_path_symlink("x", DIRFD, name) == 0) ok++;
        snprintf(name, sizeof name, "l%ld", i);
        if (__wasi_path_link(DIRFD, 0, "race/secret.txt", DIRFD, name) == 0) ok++;
        if (open_at("race/secret.txt", __WASI_OFLAGS_TRUNC, &fd) == 0) { ok++; (void)__wasi_fd_close(fd); }
    }
    put("stop", "");
    printf("probe rounds=%ld ok=%ld secret=%ld\n", rounds, ok, secret);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "swap") == 0) return swap();
    if (argc == 3 && strcmp(argv[1], "probe") == 0) return probe(atol(argv[2]));
    fprintf(stderr, "usage: race swap | race probe N\n");
    return 2;
}
