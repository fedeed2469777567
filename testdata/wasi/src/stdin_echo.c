/*
 * stdin_echo.c: copies stdin to stdout, ASCII letters uppercased (fd_read on
 * fd 0 until EOF, fd_write on fd 1).
 *
 * Run:    no args, env or mounts; stdin: any bytes.
 * Stdout: stdin with a-z turned into A-Z, every other byte unchanged
 *         ("Hello, stdin!\n" -> "HELLO, STDIN!\n"; empty stdin -> nothing).
 * Exit:   0 (1 with "stdin_echo: <strerror>" on stderr if a read or write fails).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void) {
    char buf[4096];
    for (;;) {
        ssize_t n = read(0, buf, sizeof buf);
        if (n == 0) break;
        if (n < 0) {
            if (errno == EINTR) continue;
            fprintf(stderr, "stdin_echo: %s\n", strerror(errno));
            return 1;
        }
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] >= 'a' && buf[i] <= 'z') buf[i] = (char)(buf[i] - 'a' + 'A');
        }
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(1, buf + off, (size_t)(n - off));
            if (w < 0) {
                if (errno == EINTR) continue;
                fprintf(stderr, "stdin_echo: %s\n", strerror(errno));
                return 1;
            }
            off += w;
        }
    }
    return 0;
}
