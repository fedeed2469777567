/*
 * hello.c: the smallest WASI program.
 *
 * Run:    no args, no env, no mounts, no stdin.
 * Stdout: "hello from wasi\n"
 * Stderr: "to stderr\n"
 * Exit:   0
 */
#include <stdio.h>

int main(void) {
    fputs("hello from wasi\n", stdout);
    fputs("to stderr\n", stderr);
    return 0;
}
