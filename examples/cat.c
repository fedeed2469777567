/*
 * cat.c: the README's example program. `cat FILE...` writes each file to
 * stdout in order; with no FILE it copies stdin. Built to examples/cat.wasm
 * (by `cargo xtask build-wasi`); examples/data/hello.txt is a file to give it.
 *
 * Run:    args [cat, FILE...]; the files' directories must be mounted, e.g.
 *         examples/data at /data and args [cat, /data/hello.txt]. No env.
 * Stdout: the files' bytes, concatenated ("Hello, WebAssembly!\n" for
 *         /data/hello.txt).
 * Stderr: for each file that cannot be opened or read,
 *         "cat: <path>: <strerror>\n" (e.g. "cat: /data/missing.txt: No such
 *         file or directory"); the other files are still printed.
 * Exit:   0, or 1 if any file failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Copies `fd` to stdout; returns 0, or the errno of a failed read or write. */
static int copy(int fd) {
    char buf[8192];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n == 0) return 0;
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(1, buf + off, (size_t)(n - off));
            if (w < 0) {
                if (errno == EINTR) continue;
                return errno;
            }
            off += w;
        }
    }
}

int main(int argc, char **argv) {
    if (argc < 2) {
        int err = copy(0);
        if (err) fprintf(stderr, "cat: -: %s\n", strerror(err));
        return err ? 1 : 0;
    }
    int status = 0;
    for (int i = 1; i < argc; i++) {
        int fd = open(argv[i], O_RDONLY);
        int err = fd < 0 ? errno : copy(fd);
        if (fd >= 0) close(fd);
        if (err) {
            fprintf(stderr, "cat: %s: %s\n", argv[i], strerror(err));
            status = 1;
        }
    }
    return status;
}
