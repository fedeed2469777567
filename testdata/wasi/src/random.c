/*
 * random.c: random_get through libc's getentropy and directly.
 *
 * Run:    no args, env, mounts or stdin.
 * WASI calls: random_get(32 bytes) for getentropy, then random_get(16 bytes).
 * Stdout: "getentropy <64 lowercase hex digits>\n"
 *         "random_get <32 lowercase hex digits>\n"
 *         The bytes are the random source's first 48, in order; with a
 *         deterministic source injected by the test the output is fixed. For
 *         a source yielding bytes 0, 1, 2, ...:
 *             getentropy 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
 *             random_get 202122232425262728292a2b2c2d2e2f
 * Exit:   0 ("FAIL <what>: <strerror>" and 1 if a call fails).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>

static void print_hex(const char *label, const unsigned char *b, size_t n) {
    printf("%s ", label);
    for (size_t i = 0; i < n; i++) printf("%02x", b[i]);
    printf("\n");
}

int main(void) {
    unsigned char a[32], b[16];
    if (getentropy(a, sizeof a) != 0) {
        printf("FAIL getentropy: %s\n", strerror(errno));
        return 1;
    }
    print_hex("getentropy", a, sizeof a);
    __wasi_errno_t e = __wasi_random_get(b, sizeof b);
    if (e != 0) {
        printf("FAIL random_get: %s\n", strerror(e));
        return 1;
    }
    print_hex("random_get", b, sizeof b);
    return 0;
}
