/* Parses, walks and prints a deterministic JSON document with cJSON, `rounds`
 * times (argv[1], default 20); prints the document's size, the sum of its
 * numbers and the printed length. The work is cJSON's (parse, print).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cJSON.h"

/* An array of records: strings, numbers, booleans, nested arrays and objects. */
static char *document(int records) {
    size_t cap = (size_t)records * 200 + 16, len = 0;
    char *s = malloc(cap);
    if (!s) return NULL;
    len += (size_t)sprintf(s + len, "[");
    unsigned long x = 7;
    for (int i = 0; i < records; i++) {
        x = x * 6364136223846793005UL + 1442695040888963407UL;
        len += (size_t)sprintf(s + len,
            "%s{\"id\":%d,\"name\":\"item-%lu\",\"price\":%lu.%02lu,\"ok\":%s,"
            "\"tags\":[\"a%lu\",\"b\",\"c\\n\"],\"pos\":{\"x\":%d,\"y\":-%lu.5e1}}",
            i ? "," : "", i, (x >> 20) % 100000, (x >> 8) % 1000, (x >> 4) % 100,
            (x & 1) ? "true" : "false", (x >> 30) % 10, i % 97, (x >> 40) % 50);
    }
    sprintf(s + len, "]");
    return s;
}

static double sum(const cJSON *item) {
    double total = 0;
    if (cJSON_IsNumber(item)) total += item->valuedouble;
    for (const cJSON *child = item->child; child; child = child->next) total += sum(child);
    return total;
}

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 20;
    char *text = document(5000);
    if (!text) return 2;
    double total = 0;
    size_t printed = 0;
    for (int r = 0; r < rounds; r++) {
        cJSON *root = cJSON_Parse(text);
        if (!root) return 3;
        total = sum(root);
        char *out = cJSON_PrintUnformatted(root);
        if (!out) return 4;
        printed = strlen(out);
        free(out);
        cJSON_Delete(root);
    }
    printf("%d rounds: %zu bytes, sum %.2f, printed %zu bytes\n", rounds, strlen(text), total,
           printed);
    free(text);
    return 0;
}
