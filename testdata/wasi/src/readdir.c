/*
 * readdir.c: lists a directory of many entries with opendir/readdir, which
 * wasi-libc implements with fd_readdir over a 4 KiB buffer, so the listing
 * takes several calls that resume from a cookie.
 *
 * Run:    args [readdir, DIR] or [readdir, DIR, N] where DIR is the guest path
 *         of a writable mount (default "/data") and N the number of files
 *         (default 300, at most 100000). The program creates DIR/readdir_test
 *         (which must not exist yet) holding N empty files named
 *         "entry_with_a_long_name_NNNNN" (NNNNN = 00000..N-1), lists it,
 *         checks every name comes exactly once (plus "." and "..", which are
 *         allowed but not required, at most once each), that d_type is DT_REG
 *         for the files (and DT_DIR for "." and ".." when present), then
 *         rewinds with rewinddir and lists again, and finally removes
 *         everything. No env or stdin.
 * Stdout: "entries N\n", then "rewound entries N\n", then "ok\n".
 * Exit:   0. On failure: "FAIL <what>: <strerror or detail>" and exit 1.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PREFIX "entry_with_a_long_name_"

static void fail_errno(const char *what) {
    printf("FAIL %s: %s\n", what, strerror(errno));
    exit(1);
}

static void fail(const char *what, const char *detail, const char *name) {
    printf("FAIL %s: %s %s\n", what, detail, name);
    exit(1);
}

/* Lists `d` once; returns the number of files seen, checking each once. */
static int list(DIR *d, unsigned char *seen, int n) {
    int count = 0, dots = 0, dotdots = 0;
    memset(seen, 0, (size_t)n);
    for (;;) {
        errno = 0;
        struct dirent *e = readdir(d);
        if (!e) {
            if (errno != 0) fail_errno("readdir");
            break;
        }
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            int *c = e->d_name[1] ? &dotdots : &dots;
            if (++*c > 1) fail("readdir", "listed twice:", e->d_name);
            if (e->d_type != DT_DIR) fail("readdir", "d_type is not DT_DIR for", e->d_name);
            continue;
        }
        size_t plen = strlen(PREFIX);
        if (strncmp(e->d_name, PREFIX, plen) != 0 || strlen(e->d_name) != plen + 5)
            fail("readdir", "unexpected entry", e->d_name);
        int i = atoi(e->d_name + plen);
        if (i < 0 || i >= n) fail("readdir", "unexpected entry", e->d_name);
        if (seen[i]) fail("readdir", "listed twice:", e->d_name);
        if (e->d_type != DT_REG) fail("readdir", "d_type is not DT_REG for", e->d_name);
        seen[i] = 1;
        count++;
    }
    for (int i = 0; i < n; i++) {
        if (!seen[i]) {
            char name[64];
            snprintf(name, sizeof name, PREFIX "%05d", i);
            fail("readdir", "missing entry", name);
        }
    }
    return count;
}

int main(int argc, char **argv) {
    const char *root = argc > 1 ? argv[1] : "/data";
    int n = argc > 2 ? atoi(argv[2]) : 300;
    if (n < 0 || n > 100000) {
        printf("FAIL args: N must be 0..100000\n");
        return 1;
    }
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s/readdir_test", root);
    if (mkdir(dir, 0755) != 0) fail_errno("mkdir");
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/" PREFIX "%05d", dir, i);
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
        if (fd < 0) fail_errno("create");
        close(fd);
    }

    unsigned char *seen = malloc((size_t)n + 1);
    if (!seen) fail_errno("malloc");
    DIR *d = opendir(dir);
    if (!d) fail_errno("opendir");
    printf("entries %d\n", list(d, seen, n));
    rewinddir(d);
    printf("rewound entries %d\n", list(d, seen, n));
    if (closedir(d) != 0) fail_errno("closedir");

    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/" PREFIX "%05d", dir, i);
        if (unlink(path) != 0) fail_errno("unlink");
    }
    if (rmdir(dir) != 0) fail_errno("rmdir");
    printf("ok\n");
    return 0;
}
