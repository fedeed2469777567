/*
 * sock_echo.c: accepts one TCP connection on a listener the host pre-opened,
 * echoes one line back, shuts the connection down (sock_accept, sock_recv,
 * sock_send, sock_shutdown).
 *
 * Run:    args [sock_echo] or [sock_echo, FD]. FD is the listener's fd; by
 *         default the program takes the first fd from 3 up whose
 *         fd_fdstat_get filetype is SOCKET_STREAM. The runtime must answer
 *         fd_prestat_get on the listener with EBADF (wasi-libc stops looking
 *         for preopens at the first EBADF and aborts on other errors), so a
 *         listener after the preopens is the safe place. No env, mounts or
 *         stdin. The host connects to the listener, sends a line ending in
 *         "\n" (at most 4096 bytes), and reads until EOF.
 * Stdout: "listener fd <fd>\n", "accepted\n", "echoed <n> bytes\n" where n is
 *         the line's length including its "\n" (or everything sent before
 *         EOF if no newline came), "shutdown\n".
 * Socket: the client receives its own line back, then EOF (the program shuts
 *         down both directions and closes the connection).
 * Exit:   0. On failure: "FAIL <what>: <strerror>" and exit 1. While the
 *         listener is not ready (EAGAIN, a non-blocking listener), accept is
 *         retried every 10 ms for up to 10 s; recv likewise.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

static void fail(const char *what, __wasi_errno_t e) {
    printf("FAIL %s: %s\n", what, strerror(e));
    exit(1);
}

static void nap(void) {
    struct timespec t = {0, 10000000};
    nanosleep(&t, NULL);
}

static int find_listener(void) {
    for (__wasi_fd_t fd = 3; fd < 1024; fd++) {
        __wasi_fdstat_t st;
        __wasi_errno_t e = __wasi_fd_fdstat_get(fd, &st);
        if (e == __WASI_ERRNO_BADF) break;
        if (e == 0 && st.fs_filetype == __WASI_FILETYPE_SOCKET_STREAM) return (int)fd;
    }
    return -1;
}

int main(int argc, char **argv) {
    int listener = argc > 1 ? atoi(argv[1]) : find_listener();
    if (listener < 0) fail("find listener", __WASI_ERRNO_BADF);
    printf("listener fd %d\n", listener);

    __wasi_fd_t conn;
    __wasi_errno_t e;
    for (int tries = 0;; tries++) {
        e = __wasi_sock_accept((__wasi_fd_t)listener, 0, &conn);
        if (e != __WASI_ERRNO_AGAIN || tries >= 1000) break;
        nap();
    }
    if (e != 0) fail("sock_accept", e);
    printf("accepted\n");

    char buf[4096];
    size_t len = 0;
    int tries = 0;
    while (len < sizeof buf && (len == 0 || buf[len - 1] != '\n')) {
        __wasi_iovec_t iov = {(uint8_t *)buf + len, sizeof buf - len};
        __wasi_size_t got = 0;
        __wasi_roflags_t roflags = 0;
        e = __wasi_sock_recv(conn, &iov, 1, 0, &got, &roflags);
        if (e == __WASI_ERRNO_AGAIN && ++tries < 1000) {
            nap();
            continue;
        }
        if (e != 0) fail("sock_recv", e);
        if (got == 0) break;
        len += got;
    }

    for (size_t off = 0; off < len;) {
        __wasi_ciovec_t iov = {(const uint8_t *)buf + off, len - off};
        __wasi_size_t sent = 0;
        e = __wasi_sock_send(conn, &iov, 1, 0, &sent);
        if (e == __WASI_ERRNO_AGAIN) {
            nap();
            continue;
        }
        if (e != 0) fail("sock_send", e);
        off += sent;
    }
    printf("echoed %zu bytes\n", len);

    e = __wasi_sock_shutdown(conn, __WASI_SDFLAGS_RD | __WASI_SDFLAGS_WR);
    if (e != 0) fail("sock_shutdown", e);
    printf("shutdown\n");
    e = __wasi_fd_close(conn);
    if (e != 0) fail("fd_close", e);
    return 0;
}
