/*
 * clocks.c: clock_res_get, clock_time_get and sleeping (poll_oneoff with a
 * relative clock subscription) through libc.
 *
 * Run:    no args, env, mounts or stdin.
 * WASI calls, in this order (what an injected deterministic clock sees):
 *     1. clock_res_get(realtime)
 *     2. clock_res_get(monotonic)
 *     3. clock_time_get(realtime)                   -> "realtime"
 *     4. clock_time_get(monotonic)                  -> "monotonic 1"
 *     5. clock_time_get(monotonic)                  -> "monotonic 2"
 *     6. clock_time_get(realtime)  (time())         -> "time"
 *     7. clock_time_get(realtime)  (gettimeofday()) -> "gettimeofday"
 *     8. clock_time_get(process_cputime_id)
 *     9. poll_oneoff: one relative clock subscription of 1000000 ns (nanosleep)
 *    10. poll_oneoff: one relative clock subscription of 1000000 ns (usleep(1000))
 *    11. clock_time_get(monotonic)                  -> "monotonic 3"
 * Stdout, where REAL is the realtime clock in ns and MONO the monotonic one:
 *     realtime resolution <ns>
 *     monotonic resolution <ns>
 *     realtime <REAL / 1e9>.<REAL % 1e9, 9 digits>
 *     monotonic 1 <MONO>
 *     monotonic 2 <MONO>
 *     time <seconds>
 *     gettimeofday <seconds>.<microseconds, 6 digits>
 *     process cputime supported            (or: process cputime unsupported errno=<n> (<strerror>))
 *     nanosleep ok
 *     usleep ok
 *     monotonic 3 <MONO>
 *     monotonic non-decreasing
 * For example, with fake clocks like wazero's (realtime starting at
 * 1640995200000000000 ns, i.e. 2022-01-01, and monotonic at 0, each advancing
 * 1 ms per read, both with resolution 1000 ns, sleeps not reading them):
 *     realtime resolution 1000
 *     monotonic resolution 1000
 *     realtime 1640995200.000000000
 *     monotonic 1 0
 *     monotonic 2 1000000
 *     time 1640995200
 *     gettimeofday 1640995200.002000
 *     process cputime ...
 *     nanosleep ok
 *     usleep ok
 *     monotonic 3 2000000
 *     monotonic non-decreasing
 * Exit:   0. On failure: "FAIL <what>: <strerror or detail>" and exit 1
 *         (a resolution of 0, a monotonic clock going back, a failed sleep).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static void fail_errno(const char *what) {
    printf("FAIL %s: %s\n", what, strerror(errno));
    exit(1);
}

static long long ns(const struct timespec *t) { return (long long)t->tv_sec * 1000000000LL + t->tv_nsec; }

int main(void) {
    struct timespec res, real, m1, m2, m3, cpu;

    if (clock_getres(CLOCK_REALTIME, &res) != 0) fail_errno("clock_getres realtime");
    if (ns(&res) <= 0) {
        printf("FAIL clock_getres realtime: resolution %lld\n", ns(&res));
        return 1;
    }
    printf("realtime resolution %lld\n", ns(&res));
    if (clock_getres(CLOCK_MONOTONIC, &res) != 0) fail_errno("clock_getres monotonic");
    if (ns(&res) <= 0) {
        printf("FAIL clock_getres monotonic: resolution %lld\n", ns(&res));
        return 1;
    }
    printf("monotonic resolution %lld\n", ns(&res));

    if (clock_gettime(CLOCK_REALTIME, &real) != 0) fail_errno("clock_gettime realtime");
    printf("realtime %lld.%09ld\n", (long long)real.tv_sec, real.tv_nsec);
    if (clock_gettime(CLOCK_MONOTONIC, &m1) != 0) fail_errno("clock_gettime monotonic");
    printf("monotonic 1 %lld\n", ns(&m1));
    if (clock_gettime(CLOCK_MONOTONIC, &m2) != 0) fail_errno("clock_gettime monotonic");
    printf("monotonic 2 %lld\n", ns(&m2));

    time_t t = time(NULL);
    if (t == (time_t)-1) fail_errno("time");
    printf("time %lld\n", (long long)t);
    struct timeval tv;
    if (gettimeofday(&tv, NULL) != 0) fail_errno("gettimeofday");
    printf("gettimeofday %lld.%06ld\n", (long long)tv.tv_sec, (long)tv.tv_usec);

    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu) == 0) {
        printf("process cputime supported\n");
    } else {
        printf("process cputime unsupported errno=%d (%s)\n", errno, strerror(errno));
    }

    struct timespec nap = {0, 1000000};
    if (nanosleep(&nap, NULL) != 0) fail_errno("nanosleep");
    printf("nanosleep ok\n");
    if (usleep(1000) != 0) fail_errno("usleep");
    printf("usleep ok\n");

    if (clock_gettime(CLOCK_MONOTONIC, &m3) != 0) fail_errno("clock_gettime monotonic");
    printf("monotonic 3 %lld\n", ns(&m3));
    if (ns(&m2) < ns(&m1) || ns(&m3) < ns(&m2)) {
        printf("FAIL monotonic: went back\n");
        return 1;
    }
    printf("monotonic non-decreasing\n");
    return 0;
}
