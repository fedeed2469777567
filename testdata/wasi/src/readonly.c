/*
 * readonly.c: a read-only mount can be read but not changed.
 *
 * Run:    args [readonly, DIR, FILE, SUBDIR] where DIR is the guest path of a
 *         read-only mount (default "/ro"), FILE an existing regular file in it
 *         (default "hello.txt") and SUBDIR an existing empty directory in it
 *         (default "subdir"). No env or stdin.
 * Stdout: "ok read <size of FILE> bytes\n", "ok stat\n", "ok readdir\n", then
 *         for each refused operation, in this order:
 *             refused <op> errno=<n> (<strerror>)
 *         with <op> one of: create, open-write, open-rdwr, open-trunc,
 *         open-append, unlink, mkdir, rmdir, rename, rename-dir, symlink,
 *         link, utimensat, ftruncate, write-dir-fd.
 *         <n> is the runtime's choice, e.g. 69 (Read-only file system),
 *         76 (Capabilities insufficient), 63 (Operation not permitted) or
 *         2 (Permission denied). Two cases do not depend on the mount and
 *         fail anywhere: ftruncate of a fd opened O_RDONLY and write-dir-fd
 *         (write to a directory's fd), typically 8 (Bad file descriptor),
 *         28 (Invalid argument) or 31 (Is a directory). An open for writing
 *         that is allowed counts as refused if the file is unchanged (no
 *         O_TRUNC effect) and the first write is refused (the errno printed
 *         is the write's).
 *         Then "ok unchanged\n" (FILE still has its size and contents) and
 *         "all refused\n".
 * Exit:   0. If an operation succeeds: "ALLOWED <op>" and exit 1 at the end;
 *         if reading fails: "FAIL <what>: <strerror>" and exit 1.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int allowed = 0;
static char dir[512];
static char original[4096];
static ssize_t original_len;

static const char *p(const char *name) {
    size_t len = strlen(dir) + 1 + strlen(name) + 1;
    char *b = malloc(len);
    if (!b) abort();
    snprintf(b, len, "%s/%s", dir, name);
    return b;
}

static void fail_errno(const char *what) {
    printf("FAIL %s: %s\n", what, strerror(errno));
    exit(1);
}

/* Reports an operation that returned `ret` (negative: refused, with errno). */
static void check(const char *op, int ret) {
    if (ret < 0) {
        printf("refused %s errno=%d (%s)\n", op, errno, strerror(errno));
    } else {
        printf("ALLOWED %s\n", op);
        allowed = 1;
    }
}

/*
 * Opens `path` with `flags`. If the open is allowed, the file must not have
 * changed (O_TRUNC) and the first write must be refused.
 */
static void check_open_write(const char *op, const char *path, int flags) {
    int fd = open(path, flags, 0644);
    if (fd < 0) {
        check(op, -1);
        return;
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && st.st_size != original_len) {
        close(fd);
        check(op, 0);
        return;
    }
    int ret = (int)write(fd, "x", 1);
    close(fd);
    check(op, ret < 0 ? -1 : 0);
}

int main(int argc, char **argv) {
    snprintf(dir, sizeof dir, "%s", argc > 1 ? argv[1] : "/ro");
    const char *file = p(argc > 2 ? argv[2] : "hello.txt");
    const char *subdir = p(argc > 3 ? argv[3] : "subdir");
    struct stat st;

    int fd = open(file, O_RDONLY);
    if (fd < 0) fail_errno("open for reading");
    original_len = read(fd, original, sizeof original);
    if (original_len < 0) fail_errno("read");
    close(fd);
    printf("ok read %zd bytes\n", original_len);

    if (stat(file, &st) != 0) fail_errno("stat");
    if (!S_ISREG(st.st_mode) || st.st_size != original_len) {
        printf("FAIL stat: mode %o size %lld\n", st.st_mode, (long long)st.st_size);
        return 1;
    }
    printf("ok stat\n");

    DIR *d = opendir(dir);
    if (!d) fail_errno("opendir");
    int found = 0;
    const char *base = strrchr(file, '/') + 1;
    for (struct dirent *e; (e = readdir(d));) {
        if (strcmp(e->d_name, base) == 0) found = 1;
    }
    closedir(d);
    if (!found) {
        printf("FAIL readdir: %s not listed\n", base);
        return 1;
    }
    printf("ok readdir\n");

    check_open_write("create", p("new_file.txt"), O_WRONLY | O_CREAT | O_EXCL);
    check_open_write("open-write", file, O_WRONLY);
    check_open_write("open-rdwr", file, O_RDWR);
    check_open_write("open-trunc", file, O_WRONLY | O_TRUNC);
    check_open_write("open-append", file, O_WRONLY | O_APPEND);
    check("unlink", unlink(file));
    check("mkdir", mkdir(p("new_dir"), 0755));
    check("rmdir", rmdir(subdir));
    check("rename", rename(file, p("renamed.txt")));
    check("rename-dir", rename(subdir, p("renamed_dir")));
    check("symlink", symlink("hello.txt", p("new_link")));
    check("link", link(file, p("new_hard_link")));
    {
        struct timespec times[2] = {{1000000000, 0}, {1000000000, 0}};
        check("utimensat", utimensat(AT_FDCWD, file, times, 0));
    }
    fd = open(file, O_RDONLY);
    if (fd < 0) fail_errno("open for reading");
    check("ftruncate", ftruncate(fd, 0));
    close(fd);
    fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0) fail_errno("open directory");
    check("write-dir-fd", (int)write(fd, "x", 1));
    close(fd);

    char now[4096];
    fd = open(file, O_RDONLY);
    if (fd < 0) fail_errno("reopen");
    ssize_t n = read(fd, now, sizeof now);
    close(fd);
    if (n != original_len || memcmp(now, original, (size_t)n) != 0) {
        printf("FAIL unchanged: %s changed\n", file);
        return 1;
    }
    printf("ok unchanged\n");
    if (allowed) return 1;
    printf("all refused\n");
    return 0;
}
