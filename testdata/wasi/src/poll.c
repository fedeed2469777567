/*
 * poll.c: poll() (wasi-libc turns it into poll_oneoff) on stdin, a regular
 * file and stdout, a pure timeout, and poll_oneoff called directly.
 *
 * Run:    args [poll, FILE] where FILE is the guest path of a readable,
 *         non-empty regular file in a mount (e.g. /data/hello.txt).
 *         Stdin: some bytes (e.g. "poll me\n") for the "ready" output below;
 *         stdin with nothing to read yet (an idle pipe) gives the "idle" one.
 *         No env.
 * Stdout, in order:
 *     stdin n=1 revents=POLLIN                 (ready: bytes or EOF waiting)
 *     stdin read <first line of stdin, at most 64 bytes, without its newline>
 *   or, when stdin stays idle for the 100 ms timeout:
 *     stdin n=0 revents=none
 *   then:
 *     file n=1 revents=POLLIN
 *     stdout n=1 revents=POLLOUT
 *     file and stdout n=2                      (both ready; WASI lets a runtime
 *                                               report fewer, so a runtime that
 *                                               returns every ready event is assumed)
 *     timeout n=0                              (poll(NULL, 0, 10 ms))
 *     poll_oneoff clock nevents=1 userdata=42 type=clock error=0
 *     poll_oneoff file nevents=1 userdata=7 type=fd_read error=0
 *   The "poll_oneoff file" line subscribes to a 10 s relative monotonic clock
 *   (userdata 6) and to FILE being readable (userdata 7): the file is ready at
 *   once, so only its event comes back and the call does not wait.
 * Exit:   0. On failure: "FAIL <what>: <strerror or detail>" and exit 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>

static void fail_errno(const char *what) {
    printf("FAIL %s: %s\n", what, strerror(errno));
    exit(1);
}

static void print_revents(const char *label, int n, short revents) {
    printf("%s n=%d revents=", label, n);
    if (!revents) printf("none");
    const char *sep = "";
    static const struct {
        short bit;
        const char *name;
    } names[] = {{POLLIN, "POLLIN"}, {POLLOUT, "POLLOUT"}, {POLLERR, "POLLERR"}, {POLLHUP, "POLLHUP"}, {POLLNVAL, "POLLNVAL"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (revents & names[i].bit) {
            printf("%s%s", sep, names[i].name);
            sep = "|";
        }
    }
    printf("\n");
}

static const char *event_type(__wasi_eventtype_t t) {
    switch (t) {
    case __WASI_EVENTTYPE_CLOCK: return "clock";
    case __WASI_EVENTTYPE_FD_READ: return "fd_read";
    case __WASI_EVENTTYPE_FD_WRITE: return "fd_write";
    default: return "unknown";
    }
}

int main(int argc, char **argv) {
    if (argc < 2) {
        printf("FAIL args: usage: poll FILE\n");
        return 1;
    }

    struct pollfd in = {.fd = 0, .events = POLLIN};
    int n = poll(&in, 1, 100);
    if (n < 0) fail_errno("poll stdin");
    print_revents("stdin", n, in.revents);
    if (n == 1 && (in.revents & POLLIN)) {
        char line[65] = {0};
        ssize_t got = 0;
        while (got < 64) {
            ssize_t r = read(0, line + got, 1);
            if (r < 0) fail_errno("read stdin");
            if (r == 0 || line[got] == '\n') break;
            got++;
        }
        line[got] = 0;
        printf("stdin read %s\n", line);
    }

    int fd = open(argv[1], O_RDONLY);
    if (fd < 0) fail_errno("open");
    struct pollfd f = {.fd = fd, .events = POLLIN};
    n = poll(&f, 1, 1000);
    if (n < 0) fail_errno("poll file");
    print_revents("file", n, f.revents);

    struct pollfd out = {.fd = 1, .events = POLLOUT};
    n = poll(&out, 1, 1000);
    if (n < 0) fail_errno("poll stdout");
    print_revents("stdout", n, out.revents);

    struct pollfd both[2] = {{.fd = fd, .events = POLLIN}, {.fd = 1, .events = POLLOUT}};
    n = poll(both, 2, 1000);
    if (n < 0) fail_errno("poll file and stdout");
    printf("file and stdout n=%d\n", n);

    n = poll(NULL, 0, 10);
    if (n < 0) fail_errno("poll timeout");
    printf("timeout n=%d\n", n);

    {
        __wasi_subscription_t sub;
        memset(&sub, 0, sizeof sub);
        sub.userdata = 42;
        sub.u.tag = __WASI_EVENTTYPE_CLOCK;
        sub.u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
        sub.u.u.clock.timeout = 5000000; /* 5 ms, relative */
        sub.u.u.clock.precision = 0;
        sub.u.u.clock.flags = 0;
        __wasi_event_t ev[2];
        __wasi_size_t nevents = 0;
        __wasi_errno_t e = __wasi_poll_oneoff(&sub, ev, 1, &nevents);
        if (e != 0) {
            errno = e;
            fail_errno("poll_oneoff clock");
        }
        printf("poll_oneoff clock nevents=%u userdata=%llu type=%s error=%u\n", (unsigned)nevents,
               (unsigned long long)ev[0].userdata, event_type(ev[0].type), (unsigned)ev[0].error);
    }

    {
        __wasi_subscription_t subs[2];
        memset(subs, 0, sizeof subs);
        subs[0].userdata = 6;
        subs[0].u.tag = __WASI_EVENTTYPE_CLOCK;
        subs[0].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
        subs[0].u.u.clock.timeout = 10000000000ULL; /* 10 s, relative */
        subs[1].userdata = 7;
        subs[1].u.tag = __WASI_EVENTTYPE_FD_READ;
        subs[1].u.u.fd_read.file_descriptor = (__wasi_fd_t)fd;
        __wasi_event_t ev[2];
        __wasi_size_t nevents = 0;
        __wasi_errno_t e = __wasi_poll_oneoff(subs, ev, 2, &nevents);
        if (e != 0) {
            errno = e;
            fail_errno("poll_oneoff file");
        }
        printf("poll_oneoff file nevents=%u", (unsigned)nevents);
        for (__wasi_size_t i = 0; i < nevents; i++) {
            printf(" userdata=%llu type=%s error=%u", (unsigned long long)ev[i].userdata, event_type(ev[i].type),
                   (unsigned)ev[i].error);
        }
        printf("\n");
    }
    close(fd);
    return 0;
}
