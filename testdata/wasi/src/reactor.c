/*
 * reactor.c: a WASI reactor: no main; the runtime calls its _initialize at
 * instantiation, which runs its constructors, and then the host calls its
 * exports, any number of times.
 *
 * Extra flags: -mexec-model=reactor
 * Run:    instantiate with no args, env, mounts or stdin (no start functions
 *         configured: _initialize is called by default); then call the
 *         exports.
 * Exports: counter() -> i32: 42 the first time (set by a constructor), then
 *          one more each call; 0 first if _initialize was not called.
 *          greet() -> i32: prints "hello from a reactor, counter <n>\n" (n as
 *          counter() would return it next) to stdout and flushes; returns 0.
 * WASI calls: fd_write from greet; none at initialization (fd_fdstat_get may
 *          come from the first use of stdout).
 */
#include <stdio.h>

static int count;
/* Volatile, so that the compiler cannot run the constructor at build time
   (it would make count 42 in the data section). */
static volatile int start = 42;

__attribute__((constructor)) static void init(void) { count = start; }

__attribute__((export_name("counter"))) int counter(void) { return count++; }

__attribute__((export_name("greet"))) int greet(void) {
    printf("hello from a reactor, counter %d\n", count);
    return fflush(stdout) == 0 ? 0 : 1;
}
