/*
 * many_files.c: a WASI-heavy benchmark: writes many small files, reads them
 * all back, removes them (path_open, fd_write, fd_read, fd_close,
 * path_unlink_file, path_create_directory, path_remove_directory).
 *
 * Run:    args [many_files, DIR] or [many_files, DIR, COUNT] or
 *         [many_files, DIR, COUNT, SIZE]: DIR is the guest path of a writable
 *         mount (default "/data"), COUNT the number of files (default 2000),
 *         SIZE the bytes per file (default 100, at most 65536). The program
 *         works in DIR/many_files_test, which must not exist yet, and removes
 *         it at the end. No env or stdin.
 * Stdout: "files COUNT bytes COUNT*SIZE checksum 0x<16 hex digits>\n": the
 *         FNV-1a 64 hash of all bytes read back, file after file. Byte j of
 *         file i is (i * 31 + j * 7) & 0xff. Defaults:
 *             files 2000 bytes 200000 checksum 0xbeeedf1085afbac5
 *         and with COUNT 10, SIZE 100:
 *             files 10 bytes 1000 checksum 0x9a6eba136ecc8981
 * Exit:   0. On failure (including a file reading back different bytes):
 *         "FAIL <what>: <strerror or detail>" and exit 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void fail_errno(const char *what, const char *path) {
    printf("FAIL %s %s: %s\n", what, path, strerror(errno));
    exit(1);
}

int main(int argc, char **argv) {
    const char *root = argc > 1 ? argv[1] : "/data";
    long count = argc > 2 ? atol(argv[2]) : 2000;
    long size = argc > 3 ? atol(argv[3]) : 100;
    if (count < 0 || size < 0 || size > 65536) {
        printf("FAIL args: COUNT >= 0, 0 <= SIZE <= 65536\n");
        return 1;
    }
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s/many_files_test", root);
    if (mkdir(dir, 0755) != 0) fail_errno("mkdir", dir);

    unsigned char *buf = malloc((size_t)size + 1), *got = malloc((size_t)size + 1);
    if (!buf || !got) fail_errno("malloc", "");
    for (long i = 0; i < count; i++) {
        for (long j = 0; j < size; j++) buf[j] = (unsigned char)((i * 31 + j * 7) & 0xff);
        snprintf(path, sizeof path, "%s/f%06ld", dir, i);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) fail_errno("create", path);
        for (long off = 0; off < size;) {
            ssize_t n = write(fd, buf + off, (size_t)(size - off));
            if (n <= 0) fail_errno("write", path);
            off += n;
        }
        if (close(fd) != 0) fail_errno("close", path);
    }

    uint64_t hash = 0xcbf29ce484222325ULL;
    for (long i = 0; i < count; i++) {
        snprintf(path, sizeof path, "%s/f%06ld", dir, i);
        int fd = open(path, O_RDONLY);
        if (fd < 0) fail_errno("open", path);
        long len = 0;
        for (;;) {
            ssize_t n = read(fd, got + len, (size_t)(size + 1 - len));
            if (n < 0) fail_errno("read", path);
            if (n == 0) break;
            len += n;
            if (len > size) break;
        }
        close(fd);
        if (len != size) {
            printf("FAIL read %s: %ld bytes, want %ld\n", path, len, size);
            return 1;
        }
        for (long j = 0; j < size; j++) {
            if (got[j] != (unsigned char)((i * 31 + j * 7) & 0xff)) {
                printf("FAIL read %s: byte %ld differs\n", path, j);
                return 1;
            }
            hash = (hash ^ got[j]) * 0x100000001b3ULL;
        }
        if (unlink(path) != 0) fail_errno("unlink", path);
    }
    if (rmdir(dir) != 0) fail_errno("rmdir", dir);
    printf("files %ld bytes %ld checksum 0x%016llx\n", count, count * size, (unsigned long long)hash);
    return 0;
}
