// A compute-bound program: primes below N by the sieve of Eratosthenes, then
// a checksum of them mixed with 64-bit multiplies and a floating-point sum.
// Prints the count, the checksum and the sum, so that two engines (or two
// ISAs) running it can be compared by their output. N is the first argument
// (default 2,000,000).
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 2000000;
    if (n < 2) {
        fprintf(stderr, "usage: sieve [N >= 2]\n");
        return 2;
    }
    unsigned char *composite = calloc((size_t)n, 1);
    if (!composite) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    for (long i = 2; i * i < n; i++) {
        if (!composite[i]) {
            for (long j = i * i; j < n; j += i) composite[j] = 1;
        }
    }
    long count = 0;
    uint64_t checksum = 0x9e3779b97f4a7c15u;
    double sum = 0.0;
    for (long i = 2; i < n; i++) {
        if (!composite[i]) {
            count++;
            checksum = (checksum ^ (uint64_t)i) * 0x100000001b3u;
            sum += 1.0 / (double)i;
        }
    }
    free(composite);
    printf("primes below %ld: %ld\nchecksum %016llx\nsum of reciprocals %.12f\n", n, count,
           (unsigned long long)checksum, sum);
    return 0;
}
