/*
 * exit_code.c: exits with a given code, through libc's exit() (which flushes
 * stdio, then calls proc_exit) or by calling __wasi_proc_exit directly.
 *
 * Run:    args [exit_code, CODE] or [exit_code, CODE, "proc_exit"]; CODE is a
 *         decimal number 0..255 (default 0). No env, mounts or stdin.
 * Stdout: "exiting with CODE via exit()\n", or with "proc_exit" as argv[2]:
 *         "exiting with CODE via proc_exit\n" (written and flushed before the
 *         call, so it must appear even though the module ends abruptly).
 * Exit:   CODE. A bad mode prints "usage: exit_code [CODE [proc_exit]]" to
 *         stderr and exits 2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

int main(int argc, char **argv) {
    int code = argc > 1 ? atoi(argv[1]) : 0;
    if (argc > 2 && strcmp(argv[2], "proc_exit") == 0) {
        printf("exiting with %d via proc_exit\n", code);
        fflush(stdout);
        __wasi_proc_exit((__wasi_exitcode_t)code);
    }
    if (argc > 2) {
        fputs("usage: exit_code [CODE [proc_exit]]\n", stderr);
        return 2;
    }
    printf("exiting with %d via exit()\n", code);
    exit(code);
}
