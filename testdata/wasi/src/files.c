/*
 * files.c: the file system calls of WASI preview1 on a writable mount, one
 * check per line.
 *
 * Run:    args [files, DIR] where DIR is the guest path of a writable mount
 *         (default "/data"); the program works in DIR/files_test, which must
 *         not exist yet, and removes it at the end. No env or stdin.
 *         The host file system must keep nanosecond (or 100 ns) timestamps.
 * Stdout: one line per check, in this order, then "all ok":
 *             ok mkdir base
 *             ok open create
 *             ok write
 *             ok lseek set
 *             ok lseek cur
 *             ok lseek end
 *             ok read eof
 *             ok pwrite
 *             ok pread
 *             ok writev readv
 *             ok fstat
 *             ok ftruncate
 *             ok fallocate
 *             ok fadvise
 *             ok fsync
 *             ok fdatasync
 *             ok futimens
 *             ok fcntl append
 *             ok close
 *             ok stat
 *             ok utimensat
 *             ok utimensat omit
 *             ok utimensat now
 *             ok o_append
 *             ok o_trunc
 *             ok o_excl EEXIST
 *             ok missing ENOENT
 *             ok o_directory ENOTDIR
 *             ok file as dir ENOTDIR
 *             ok open directory
 *             ok rename
 *             ok rename replace
 *             ok rename dir
 *             ok link
 *             ok symlink
 *             ok readlink
 *             ok lstat
 *             ok readlink file EINVAL
 *             ok dangling symlink
 *             ok mkdir
 *             ok mkdir EEXIST
 *             ok rmdir ENOTEMPTY
 *             ok rmdir file ENOTDIR
 *             ok unlink dir refused
 *             ok rmdir
 *             ok unlink
 *             ok fd_renumber
 *             ok cleanup
 *             all ok
 * Exit:   0. On the first failed check: "FAIL <what>: <strerror or detail>" on
 *         stdout and exit 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <wasi/api.h>

static char base[512];

/* base/name, in a fresh allocation (never freed: the program is short). */
static const char *p(const char *name) {
    size_t len = strlen(base) + 1 + strlen(name) + 1;
    char *b = malloc(len);
    if (!b) abort();
    snprintf(b, len, "%s/%s", base, name);
    return b;
}

static void fail_errno(const char *what) {
    printf("FAIL %s: %s\n", what, strerror(errno));
    exit(1);
}

static void fail(const char *what, const char *fmt, ...) {
    va_list ap;
    printf("FAIL %s: ", what);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    exit(1);
}

static void ok(const char *what) { printf("ok %s\n", what); }

/* The call must fail with `want`. */
static void expect_errno(const char *what, int ret, int want) {
    if (ret >= 0) fail(what, "succeeded, want %s", strerror(want));
    if (errno != want) fail(what, "errno %d (%s), want %d (%s)", errno, strerror(errno), want, strerror(want));
}

static void write_file(const char *what, const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) fail_errno(what);
    size_t n = strlen(text);
    if (write(fd, text, n) != (ssize_t)n) fail_errno(what);
    if (close(fd) != 0) fail_errno(what);
}

static void read_file(const char *what, const char *path, char *out, size_t cap) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) fail_errno(what);
    ssize_t n = read(fd, out, cap - 1);
    if (n < 0) fail_errno(what);
    out[n] = 0;
    close(fd);
}

static void expect_content(const char *what, const char *path, const char *want) {
    char got[256];
    read_file(what, path, got, sizeof got);
    if (strcmp(got, want) != 0) fail(what, "content \"%s\", want \"%s\"", got, want);
}

int main(int argc, char **argv) {
    const char *root = argc > 1 ? argv[1] : "/data";
    snprintf(base, sizeof base, "%s/files_test", root);
    char buf[256];
    struct stat st;

    if (mkdir(base, 0755) != 0) fail_errno("mkdir base");
    ok("mkdir base");

    const char *f = p("f.txt");
    int fd = open(f, O_RDWR | O_CREAT | O_EXCL, 0644);
    if (fd < 0) fail_errno("open create");
    ok("open create");

    if (write(fd, "hello world", 11) != 11) fail_errno("write");
    ok("write");

    if (lseek(fd, 0, SEEK_SET) != 0) fail_errno("lseek set");
    if (read(fd, buf, 5) != 5) fail_errno("lseek set");
    if (memcmp(buf, "hello", 5) != 0) fail("lseek set", "read \"%.5s\"", buf);
    ok("lseek set");

    off_t pos = lseek(fd, 1, SEEK_CUR);
    if (pos != 6) fail("lseek cur", "position %lld, want 6", (long long)pos);
    if (read(fd, buf, 5) != 5 || memcmp(buf, "world", 5) != 0) fail("lseek cur", "did not read \"world\"");
    ok("lseek cur");

    pos = lseek(fd, -5, SEEK_END);
    if (pos != 6) fail("lseek end", "position %lld, want 6", (long long)pos);
    pos = lseek(fd, 0, SEEK_END);
    if (pos != 11) fail("lseek end", "position %lld, want 11", (long long)pos);
    ok("lseek end");

    ssize_t n = read(fd, buf, sizeof buf);
    if (n != 0) fail("read eof", "read returned %zd, want 0", n);
    ok("read eof");

    if (pwrite(fd, "WORLD", 5, 6) != 5) fail_errno("pwrite");
    pos = lseek(fd, 0, SEEK_CUR);
    if (pos != 11) fail("pwrite", "moved the position to %lld", (long long)pos);
    ok("pwrite");

    memset(buf, 0, sizeof buf);
    if (pread(fd, buf, 64, 0) != 11) fail_errno("pread");
    if (strcmp(buf, "hello WORLD") != 0) fail("pread", "read \"%s\"", buf);
    pos = lseek(fd, 0, SEEK_CUR);
    if (pos != 11) fail("pread", "moved the position to %lld", (long long)pos);
    ok("pread");

    {
        struct iovec out[3] = {{"ab", 2}, {"", 0}, {"cde", 3}};
        n = writev(fd, out, 3);
        if (n < 0) fail_errno("writev readv");
        if (n != 5) fail("writev readv", "writev wrote %zd bytes, want 5", n);
        char x[2], y[8];
        struct iovec in[2] = {{x, 2}, {y, 8}};
        if (lseek(fd, 11, SEEK_SET) != 11) fail_errno("writev readv");
        n = readv(fd, in, 2);
        if (n != 5 || memcmp(x, "ab", 2) != 0 || memcmp(y, "cde", 3) != 0)
            fail("writev readv", "readv returned %zd", n);
    }
    ok("writev readv");

    if (fstat(fd, &st) != 0) fail_errno("fstat");
    if (!S_ISREG(st.st_mode)) fail("fstat", "not a regular file (mode %o)", st.st_mode);
    if (st.st_size != 16) fail("fstat", "size %lld, want 16", (long long)st.st_size);
    if (st.st_nlink != 1) fail("fstat", "nlink %llu, want 1", (unsigned long long)st.st_nlink);
    ok("fstat");

    if (ftruncate(fd, 5) != 0) fail_errno("ftruncate");
    if (fstat(fd, &st) != 0) fail_errno("ftruncate");
    if (st.st_size != 5) fail("ftruncate", "size %lld after shrinking, want 5", (long long)st.st_size);
    if (ftruncate(fd, 100) != 0) fail_errno("ftruncate");
    if (fstat(fd, &st) != 0) fail_errno("ftruncate");
    if (st.st_size != 100) fail("ftruncate", "size %lld after growing, want 100", (long long)st.st_size);
    memset(buf, 1, sizeof buf);
    if (pread(fd, buf, 200, 0) != 100) fail_errno("ftruncate");
    if (memcmp(buf, "hello", 5) != 0) fail("ftruncate", "lost the first bytes");
    for (int i = 5; i < 100; i++) {
        if (buf[i] != 0) fail("ftruncate", "byte %d is %d, want 0", i, buf[i]);
    }
    ok("ftruncate");

    int err = posix_fallocate(fd, 0, 4096);
    if (err != 0) {
        errno = err;
        fail_errno("fallocate");
    }
    if (fstat(fd, &st) != 0) fail_errno("fallocate");
    if (st.st_size != 4096) fail("fallocate", "size %lld, want 4096", (long long)st.st_size);
    ok("fallocate");

    err = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    if (err != 0) {
        errno = err;
        fail_errno("fadvise");
    }
    ok("fadvise");

    if (fsync(fd) != 0) fail_errno("fsync");
    ok("fsync");
    if (fdatasync(fd) != 0) fail_errno("fdatasync");
    ok("fdatasync");

    {
        struct timespec times[2] = {{1000000000, 123456700}, {1500000000, 987654300}};
        if (futimens(fd, times) != 0) fail_errno("futimens");
        if (fstat(fd, &st) != 0) fail_errno("futimens");
        if (st.st_atim.tv_sec != 1000000000 || st.st_atim.tv_nsec != 123456700)
            fail("futimens", "atime %lld.%09ld", (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec);
        if (st.st_mtim.tv_sec != 1500000000 || st.st_mtim.tv_nsec != 987654300)
            fail("futimens", "mtime %lld.%09ld", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    }
    ok("futimens");

    {
        int flags = fcntl(fd, F_GETFL);
        if (flags < 0) fail_errno("fcntl append");
        if ((flags & O_ACCMODE) != O_RDWR) fail("fcntl append", "access mode %#x, want O_RDWR", flags & O_ACCMODE);
        if (flags & O_APPEND) fail("fcntl append", "O_APPEND set before asking");
        if (fcntl(fd, F_SETFL, flags | O_APPEND) != 0) fail_errno("fcntl append");
        flags = fcntl(fd, F_GETFL);
        if (flags < 0) fail_errno("fcntl append");
        if (!(flags & O_APPEND)) fail("fcntl append", "O_APPEND not set after F_SETFL");
        if (lseek(fd, 0, SEEK_SET) != 0) fail_errno("fcntl append");
        if (write(fd, "Z", 1) != 1) fail_errno("fcntl append");
        if (fstat(fd, &st) != 0) fail_errno("fcntl append");
        if (st.st_size != 4097) fail("fcntl append", "size %lld, want 4097", (long long)st.st_size);
    }
    ok("fcntl append");

    if (close(fd) != 0) fail_errno("close");
    if (fstat(fd, &st) == 0 || errno != EBADF) fail("close", "fd still usable after close");
    ok("close");

    if (stat(f, &st) != 0) fail_errno("stat");
    if (!S_ISREG(st.st_mode) || st.st_size != 4097) fail("stat", "mode %o size %lld", st.st_mode, (long long)st.st_size);
    if (stat(base, &st) != 0) fail_errno("stat");
    if (!S_ISDIR(st.st_mode)) fail("stat", "base is not a directory (mode %o)", st.st_mode);
    ok("stat");

    {
        struct timespec times[2] = {{1100000000, 100}, {1200000000, 200}};
        if (utimensat(AT_FDCWD, f, times, 0) != 0) fail_errno("utimensat");
        if (stat(f, &st) != 0) fail_errno("utimensat");
        if (st.st_atim.tv_sec != 1100000000 || st.st_atim.tv_nsec != 100 || st.st_mtim.tv_sec != 1200000000 ||
            st.st_mtim.tv_nsec != 200)
            fail("utimensat", "atime %lld.%09ld mtime %lld.%09ld", (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
                 (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    }
    ok("utimensat");
    {
        struct timespec times[2] = {{0, UTIME_OMIT}, {1300000000, 0}};
        if (utimensat(AT_FDCWD, f, times, 0) != 0) fail_errno("utimensat omit");
        if (stat(f, &st) != 0) fail_errno("utimensat omit");
        if (st.st_atim.tv_sec != 1100000000 || st.st_atim.tv_nsec != 100)
            fail("utimensat omit", "atime changed to %lld.%09ld", (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec);
        if (st.st_mtim.tv_sec != 1300000000 || st.st_mtim.tv_nsec != 0)
            fail("utimensat omit", "mtime %lld.%09ld", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    }
    ok("utimensat omit");
    {
        /* wasi-libc (2022-05) refuses UTIME_NOW next to UTIME_OMIT itself with
         * EINVAL before any WASI call, so ask WASI directly. */
        int tfd = open(f, O_RDWR);
        if (tfd < 0) fail_errno("utimensat now");
        __wasi_errno_t terr = __wasi_fd_filestat_set_times(tfd, 0, 0, __WASI_FSTFLAGS_MTIM_NOW);
        close(tfd);
        if (terr != 0) fail("utimensat now", "fd_filestat_set_times errno %d", terr);
        if (stat(f, &st) != 0) fail_errno("utimensat now");
        if (st.st_mtim.tv_sec == 1300000000 && st.st_mtim.tv_nsec == 0) fail("utimensat now", "mtime unchanged");
        if (st.st_atim.tv_sec != 1100000000 || st.st_atim.tv_nsec != 100)
            fail("utimensat now", "atime changed to %lld.%09ld", (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec);
    }
    ok("utimensat now");

    {
        const char *a = p("append.txt");
        write_file("o_append", a, "one");
        fd = open(a, O_WRONLY | O_APPEND);
        if (fd < 0) fail_errno("o_append");
        if (lseek(fd, 0, SEEK_SET) != 0) fail_errno("o_append");
        if (write(fd, "two", 3) != 3) fail_errno("o_append");
        close(fd);
        expect_content("o_append", a, "onetwo");
    }
    ok("o_append");

    {
        const char *a = p("append.txt");
        fd = open(a, O_WRONLY | O_TRUNC);
        if (fd < 0) fail_errno("o_trunc");
        if (fstat(fd, &st) != 0) fail_errno("o_trunc");
        if (st.st_size != 0) fail("o_trunc", "size %lld after opening, want 0", (long long)st.st_size);
        close(fd);
        if (unlink(a) != 0) fail_errno("o_trunc");
    }
    ok("o_trunc");

    expect_errno("o_excl EEXIST", open(f, O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST);
    ok("o_excl EEXIST");

    expect_errno("missing ENOENT", open(p("missing.txt"), O_RDONLY), ENOENT);
    expect_errno("missing ENOENT", stat(p("missing.txt"), &st), ENOENT);
    expect_errno("missing ENOENT", open(p("missing_dir/x.txt"), O_WRONLY | O_CREAT, 0644), ENOENT);
    ok("missing ENOENT");

    expect_errno("o_directory ENOTDIR", open(f, O_RDONLY | O_DIRECTORY), ENOTDIR);
    ok("o_directory ENOTDIR");
    expect_errno("file as dir ENOTDIR", open(p("f.txt/x"), O_RDONLY), ENOTDIR);
    ok("file as dir ENOTDIR");

    fd = open(base, O_RDONLY | O_DIRECTORY);
    if (fd < 0) fail_errno("open directory");
    if (fstat(fd, &st) != 0) fail_errno("open directory");
    if (!S_ISDIR(st.st_mode)) fail("open directory", "fstat mode %o is not a directory", st.st_mode);
    close(fd);
    ok("open directory");

    {
        const char *g = p("g.txt");
        write_file("rename", f, "renamed");
        if (rename(f, g) != 0) fail_errno("rename");
        expect_errno("rename", stat(f, &st), ENOENT);
        expect_content("rename", g, "renamed");
        ok("rename");

        write_file("rename replace", f, "replacement");
        if (rename(f, g) != 0) fail_errno("rename replace");
        expect_errno("rename replace", stat(f, &st), ENOENT);
        expect_content("rename replace", g, "replacement");
        ok("rename replace");

        if (mkdir(p("d1"), 0755) != 0) fail_errno("rename dir");
        write_file("rename dir", p("d1/inner.txt"), "inner");
        if (rename(p("d1"), p("d2")) != 0) fail_errno("rename dir");
        expect_errno("rename dir", stat(p("d1"), &st), ENOENT);
        expect_content("rename dir", p("d2/inner.txt"), "inner");
        ok("rename dir");
    }

    {
        const char *g = p("g.txt"), *h = p("h.txt");
        if (link(g, h) != 0) fail_errno("link");
        struct stat sg, sh;
        if (stat(g, &sg) != 0 || stat(h, &sh) != 0) fail_errno("link");
        if (sg.st_nlink != 2 || sh.st_nlink != 2)
            fail("link", "nlink %llu and %llu, want 2", (unsigned long long)sg.st_nlink,
                 (unsigned long long)sh.st_nlink);
        if (sg.st_ino != sh.st_ino || sg.st_dev != sh.st_dev) fail("link", "different inodes");
        write_file("link", h, "through the link");
        expect_content("link", g, "through the link");
        if (unlink(h) != 0) fail_errno("link");
        if (stat(g, &sg) != 0) fail_errno("link");
        if (sg.st_nlink != 1) fail("link", "nlink %llu after unlink, want 1", (unsigned long long)sg.st_nlink);
        ok("link");
    }

    {
        const char *s = p("sl");
        if (symlink("g.txt", s) != 0) fail_errno("symlink");
        expect_content("symlink", s, "through the link");
        if (stat(s, &st) != 0) fail_errno("symlink");
        if (!S_ISREG(st.st_mode) || st.st_size != 16) fail("symlink", "stat through it: mode %o size %lld", st.st_mode, (long long)st.st_size);
        ok("symlink");

        memset(buf, 0, sizeof buf);
        n = readlink(s, buf, sizeof buf);
        if (n < 0) fail_errno("readlink");
        if (n != 5 || memcmp(buf, "g.txt", 5) != 0) fail("readlink", "returned %zd \"%.*s\"", n, (int)(n > 0 ? n : 0), buf);
        ok("readlink");

        if (lstat(s, &st) != 0) fail_errno("lstat");
        if (!S_ISLNK(st.st_mode)) fail("lstat", "mode %o is not a symlink", st.st_mode);
        ok("lstat");

        expect_errno("readlink file EINVAL", (int)readlink(p("g.txt"), buf, sizeof buf), EINVAL);
        ok("readlink file EINVAL");

        const char *d = p("dangling");
        if (symlink("nowhere", d) != 0) fail_errno("dangling symlink");
        expect_errno("dangling symlink", stat(d, &st), ENOENT);
        expect_errno("dangling symlink", open(d, O_RDONLY), ENOENT);
        if (lstat(d, &st) != 0) fail_errno("dangling symlink");
        if (!S_ISLNK(st.st_mode)) fail("dangling symlink", "lstat mode %o", st.st_mode);
        if (unlink(d) != 0 || unlink(s) != 0) fail_errno("dangling symlink");
        expect_content("dangling symlink", p("g.txt"), "through the link");
        ok("dangling symlink");
    }

    {
        const char *d = p("dir");
        if (mkdir(d, 0755) != 0) fail_errno("mkdir");
        if (stat(d, &st) != 0) fail_errno("mkdir");
        if (!S_ISDIR(st.st_mode)) fail("mkdir", "mode %o is not a directory", st.st_mode);
        ok("mkdir");
        expect_errno("mkdir EEXIST", mkdir(d, 0755), EEXIST);
        ok("mkdir EEXIST");
        write_file("rmdir ENOTEMPTY", p("dir/x"), "x");
        expect_errno("rmdir ENOTEMPTY", rmdir(d), ENOTEMPTY);
        ok("rmdir ENOTEMPTY");
        expect_errno("rmdir file ENOTDIR", rmdir(p("dir/x")), ENOTDIR);
        ok("rmdir file ENOTDIR");
        if (unlink(d) == 0) fail("unlink dir refused", "unlink removed a directory");
        if (errno != EISDIR && errno != EPERM && errno != EACCES)
            fail("unlink dir refused", "errno %d (%s), want EISDIR, EPERM or EACCES", errno, strerror(errno));
        ok("unlink dir refused");
        if (unlink(p("dir/x")) != 0) fail_errno("rmdir");
        if (rmdir(d) != 0) fail_errno("rmdir");
        expect_errno("rmdir", stat(d, &st), ENOENT);
        ok("rmdir");
    }

    if (unlink(p("g.txt")) != 0) fail_errno("unlink");
    expect_errno("unlink", stat(p("g.txt"), &st), ENOENT);
    expect_errno("unlink", unlink(p("g.txt")), ENOENT);
    ok("unlink");

    {
        write_file("fd_renumber", p("r1"), "first");
        write_file("fd_renumber", p("r2"), "second");
        int a = open(p("r1"), O_RDONLY), b = open(p("r2"), O_RDONLY);
        if (a < 0 || b < 0) fail_errno("fd_renumber");
        __wasi_errno_t e = __wasi_fd_renumber((__wasi_fd_t)a, (__wasi_fd_t)b);
        if (e != 0) {
            errno = e;
            fail_errno("fd_renumber");
        }
        memset(buf, 0, sizeof buf);
        if (pread(b, buf, sizeof buf - 1, 0) != 5 || strcmp(buf, "first") != 0)
            fail("fd_renumber", "fd %d reads \"%s\", want \"first\"", b, buf);
        expect_errno("fd_renumber", fstat(a, &st), EBADF);
        close(b);
        if (unlink(p("r1")) != 0 || unlink(p("r2")) != 0) fail_errno("fd_renumber");
        ok("fd_renumber");
    }

    if (unlink(p("d2/inner.txt")) != 0 || rmdir(p("d2")) != 0 || rmdir(base) != 0) fail_errno("cleanup");
    expect_errno("cleanup", stat(base, &st), ENOENT);
    ok("cleanup");

    printf("all ok\n");
    return 0;
}
