/* Runs PolyBench/C kernels (SMALL_DATASET) one after the other, each
 * `rounds` times (argv[1], default 1): the first time with its arrays dumped
 * (PolyBench's own check, asked for with 43 arguments and an empty argv[0])
 * into a buffer, whose FNV-1a hash it prints; then without. The work is
 * PolyBench's kernels. */
#include <stdio.h>
#include <stdlib.h>

FILE *polybench_dump;

int gemm_main(int, char **);
int jacobi_2d_main(int, char **);
int lu_main(int, char **);
int correlation_main(int, char **);
int fdtd_2d_main(int, char **);
int nussinov_main(int, char **);

static const struct {
    const char *name;
    int (*run)(int, char **);
} kernels[] = {
    {"gemm", gemm_main},
    {"jacobi-2d", jacobi_2d_main},
    {"lu", lu_main},
    {"correlation", correlation_main},
    {"fdtd-2d", fdtd_2d_main},
    {"nussinov", nussinov_main},
};

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 1;
    char *dump_argv[44] = {""};
    for (int i = 1; i < 43; i++) dump_argv[i] = "dump";
    for (unsigned k = 0; k < sizeof kernels / sizeof *kernels; k++) {
        char *buf = NULL;
        size_t len = 0;
        polybench_dump = open_memstream(&buf, &len);
        if (!polybench_dump) return 2;
        kernels[k].run(43, dump_argv);
        fclose(polybench_dump);
        unsigned long long hash = 0xcbf29ce484222325ULL;
        for (size_t i = 0; i < len; i++) hash = (hash ^ (unsigned char)buf[i]) * 0x100000001b3ULL;
        free(buf);
        char *plain_argv[] = {"polybench", NULL};
        for (int r = 1; r < rounds; r++) kernels[k].run(1, plain_argv);
        printf("%-12s %016llx\n", kernels[k].name, hash);
    }
    return 0;
}
