/* Deflates and inflates a deterministic 1 MiB of text with zlib, `rounds`
 * times (argv[1], default 4), checking each round trip; prints the sizes and
 * the Adler-32 of the data. The work is zlib's (deflate at level 6, inflate).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "zlib.h"

#define SIZE (1 << 20)

/* Words from a small vocabulary, chosen by an LCG: compressible like text. */
static void fill(unsigned char *data) {
    static const char *words[] = {"wazero", "runtime", "module", "function", "memory",
                                  "table", "global", "import", "export", "instance",
                                  "compile", "trap", "the", "of", "and", "a", "to", "in"};
    unsigned long x = 12345;
    size_t at = 0;
    while (at < SIZE) {
        x = x * 1103515245 + 12345;
        const char *w = words[(x >> 16) % (sizeof words / sizeof *words)];
        size_t n = strlen(w);
        for (size_t i = 0; i < n && at < SIZE; i++) data[at++] = (unsigned char)w[i];
        if (at < SIZE) data[at++] = (x >> 8) % 11 == 0 ? '\n' : ' ';
    }
}

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 4;
    unsigned char *data = malloc(SIZE), *back = malloc(SIZE);
    uLongf bound = compressBound(SIZE);
    unsigned char *packed = malloc(bound);
    if (!data || !back || !packed) return 2;
    fill(data);
    uLongf packed_len = 0;
    for (int r = 0; r < rounds; r++) {
        packed_len = bound;
        if (compress2(packed, &packed_len, data, SIZE, 6) != Z_OK) return 3;
        uLongf back_len = SIZE;
        if (uncompress(back, &back_len, packed, packed_len) != Z_OK) return 4;
        if (back_len != SIZE || memcmp(back, data, SIZE) != 0) return 5;
    }
    printf("%d rounds: %d bytes -> %lu bytes, adler32 %08lx\n", rounds, SIZE,
           (unsigned long)packed_len, adler32(1L, data, SIZE));
    return 0;
}
