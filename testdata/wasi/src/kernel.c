// A numeric loop in one function, called once: CHUNKS rounds of PER steps
// of a xorshift generator feeding a floating-point sum. After each round it
// prints the round's number and the milliseconds since it started, so a
// tiered engine's move from the interpreter to compiled code (which must
// happen in the middle of this one call) shows as rounds getting shorter;
// at the end, a checksum, the same on every engine. Arguments: CHUNKS
// (default 100) and PER (default 1,000,000).
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
    long chunks = argc > 1 ? atol(argv[1]) : 100;
    long per = argc > 2 ? atol(argv[2]) : 1000000;
    double start = now_ms();
    uint64_t x = 88172645463325252u;
    double sum = 0.0;
    for (long c = 0; c < chunks; c++) {
        for (long i = 0; i < per; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            sum += (double)(x & 0xffff) * 0.001;
        }
        printf("round %ld %.3f\n", c, now_ms() - start);
    }
    printf("checksum %llu %.3f\n", (unsigned long long)x, sum);
    return 0;
}
