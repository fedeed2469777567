/*
 * trap.c: a trap three calls deep, for backtraces with function names. The
 * functions are noinline, so each keeps its own frame, and the module keeps
 * its "name" section (the build strips only DWARF).
 *
 * Run:    no args, env, mounts or stdin.
 * Stdout: "about to trap\n" (flushed before the trap).
 * Result: the run fails with the "unreachable" trap (wasm `unreachable`
 *         executed) raised in trap_c. The backtrace, innermost first, names:
 *             trap_c, trap_b, trap_a, main, __main_void, __original_main,
 *             _start, _start.command_export
 *         (the exported "_start" is wasm-ld's wrapper _start.command_export,
 *         which calls the crt's _start). No exit code: the module traps, it
 *         does not exit.
 */
#include <stdio.h>

__attribute__((noinline)) int trap_c(int x) {
    if (x != 12345) __builtin_trap();
    return x;
}

__attribute__((noinline)) int trap_b(int x) { return trap_c(x + 1) + 1; }

__attribute__((noinline)) int trap_a(int x) { return trap_b(x * 2) + 2; }

int main(int argc, char **argv) {
    (void)argv;
    puts("about to trap");
    fflush(stdout);
    return trap_a(argc);
}
