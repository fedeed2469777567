/*
 * args_env.c: prints its arguments and environment (args_get, args_sizes_get,
 * environ_get, environ_sizes_get).
 *
 * Run:    any args and env, no mounts, no stdin.
 * Stdout: "argc <argc>\n", then "argv[<i>]=<argv[i]>\n" for each argument
 *         (argv[0] included), then "env <NAME=VALUE>\n" for each environment
 *         entry in the order the runtime gives them, then "env count <n>\n".
 *         Example, args ["args_env", "a", "b c"] and env FOO=bar, EMPTY=:
 *             argc 3
 *             argv[0]=args_env
 *             argv[1]=a
 *             argv[2]=b c
 *             env FOO=bar
 *             env EMPTY=
 *             env count 2
 * Exit:   0
 */
#include <stdio.h>

extern char **environ;

int main(int argc, char **argv) {
    printf("argc %d\n", argc);
    for (int i = 0; i < argc; i++) {
        printf("argv[%d]=%s\n", i, argv[i]);
    }
    int count = 0;
    if (environ) {
        for (char **e = environ; *e; e++) {
            printf("env %s\n", *e);
            count++;
        }
    }
    printf("env count %d\n", count);
    return 0;
}
