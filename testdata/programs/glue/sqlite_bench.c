/* Runs a database workload on SQLite in memory, `scale` times 1000 rows
 * (argv[1], default 10): inserts in a transaction, an index, range queries
 * through it, LIKE scans, GROUP BY into a second table, a join, a sort,
 * updates and deletes; prints what each step found. The work is SQLite's
 * (its parser, planner and bytecode engine, the B-tree and the pager).
 *
 * SQLite is built with SQLITE_OS_OTHER: the VFS below is all it has of an
 * operating system. It opens no file (the database and its temporary
 * tables live in memory), and its randomness and clock are fixed, so every
 * run prints the same.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sqlite3.h"

static int no_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *out) {
    (void)vfs, (void)name, (void)file, (void)flags, (void)out;
    return SQLITE_CANTOPEN;
}
static int no_delete(sqlite3_vfs *vfs, const char *name, int sync) {
    (void)vfs, (void)name, (void)sync;
    return SQLITE_IOERR_DELETE;
}
static int no_access(sqlite3_vfs *vfs, const char *name, int flags, int *out) {
    (void)vfs, (void)name, (void)flags;
    *out = 0;
    return SQLITE_OK;
}
static int full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out) {
    (void)vfs;
    sqlite3_snprintf(n, out, "%s", name);
    return SQLITE_OK;
}
static int randomness(sqlite3_vfs *vfs, int n, char *out) {
    (void)vfs;
    for (int i = 0; i < n; i++) out[i] = (char)(i * 37 + 11);
    return n;
}
static int sleep_none(sqlite3_vfs *vfs, int micros) {
    (void)vfs;
    return micros;
}
static int current_time(sqlite3_vfs *vfs, double *out) {
    (void)vfs;
    *out = 2461000.5; /* a fixed Julian day */
    return SQLITE_OK;
}
static int last_error(sqlite3_vfs *vfs, int n, char *out) {
    (void)vfs, (void)n, (void)out;
    return 0;
}

static sqlite3_vfs memory_only = {
    1, 0, 512, 0, "memory-only", 0, no_open, no_delete, no_access, full_pathname,
    0, 0, 0, 0, randomness, sleep_none, current_time, last_error,
};

int sqlite3_os_init(void) { return sqlite3_vfs_register(&memory_only, 1); }
int sqlite3_os_end(void) { return SQLITE_OK; }

static sqlite3 *db;

static void check(int rc, const char *what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        fprintf(stderr, "%s: %s\n", what, sqlite3_errmsg(db));
        exit(3);
    }
}

static void exec(const char *sql) { check(sqlite3_exec(db, sql, 0, 0, 0), sql); }

/* Runs a query of one row and prints it after `label`. */
static void show(const char *label, const char *sql) {
    sqlite3_stmt *st;
    check(sqlite3_prepare_v2(db, sql, -1, &st, 0), sql);
    check(sqlite3_step(st), sql);
    printf("%s:", label);
    for (int i = 0; i < sqlite3_column_count(st); i++) printf(" %s", sqlite3_column_text(st, i));
    printf("\n");
    sqlite3_finalize(st);
}

/* A number in words, as SQLite's speedtest1 fills its text columns. */
static void words(unsigned n, char *out) {
    static const char *ones[] = {"zero", "one", "two", "three", "four", "five", "six",
                                 "seven", "eight", "nine", "ten", "eleven", "twelve",
                                 "thirteen", "fourteen", "fifteen", "sixteen",
                                 "seventeen", "eighteen", "nineteen"};
    static const char *tens[] = {"", "", "twenty", "thirty", "forty", "fifty", "sixty",
                                 "seventy", "eighty", "ninety"};
    out[0] = 0;
    if (n >= 1000000) {
        words(n / 1000000, out + strlen(out));
        strcat(out, " million");
        n %= 1000000;
    }
    if (n >= 1000) {
        if (out[0]) strcat(out, " ");
        words(n / 1000, out + strlen(out));
        strcat(out, " thousand");
        n %= 1000;
    }
    if (n >= 100) {
        if (out[0]) strcat(out, " ");
        strcat(out, ones[n / 100]);
        strcat(out, " hundred");
        n %= 100;
    }
    if (n >= 20) {
        if (out[0]) strcat(out, " ");
        strcat(out, tens[n / 10]);
        n %= 10;
    }
    if (n > 0 || !out[0]) {
        if (out[0]) strcat(out, " ");
        strcat(out, ones[n]);
    }
}

int main(int argc, char **argv) {
    int scale = argc > 1 ? atoi(argv[1]) : 10;
    int rows = scale * 1000;
    char text[200], sql[200];
    if (scale <= 0) return 2;
    check(sqlite3_open(":memory:", &db), "open");
    exec("PRAGMA temp_store = MEMORY");
    exec("CREATE TABLE t1(a INTEGER PRIMARY KEY, b INTEGER, c TEXT)");

    exec("BEGIN");
    sqlite3_stmt *ins;
    check(sqlite3_prepare_v2(db, "INSERT INTO t1 VALUES(?1, ?2, ?3)", -1, &ins, 0), "insert");
    unsigned x = 12345;
    for (int i = 1; i <= rows; i++) {
        x = x * 1103515245u + 12345u;
        unsigned b = (x >> 8) % 1000000;
        words(b, text);
        sqlite3_bind_int(ins, 1, i);
        sqlite3_bind_int(ins, 2, (int)b);
        sqlite3_bind_text(ins, 3, text, -1, SQLITE_STATIC);
        check(sqlite3_step(ins), "insert step");
        sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);
    exec("COMMIT");
    show("rows", "SELECT count(*), sum(b), sum(length(c)) FROM t1");

    exec("CREATE INDEX t1b ON t1(b)");
    sqlite3_stmt *range;
    check(sqlite3_prepare_v2(db,
                             "SELECT count(*), coalesce(sum(a), 0) FROM t1 WHERE b BETWEEN ?1 AND ?2",
                             -1, &range, 0),
          "range");
    long long found = 0, sum = 0;
    for (int i = 0; i < rows / 10; i++) {
        int lo = (i * 7919) % 1000000;
        sqlite3_bind_int(range, 1, lo);
        sqlite3_bind_int(range, 2, lo + 2000);
        check(sqlite3_step(range), "range step");
        found += sqlite3_column_int64(range, 0);
        sum += sqlite3_column_int64(range, 1);
        sqlite3_reset(range);
    }
    sqlite3_finalize(range);
    printf("range queries: %d found %lld, sum of keys %lld\n", rows / 10, found, sum);

    show("like", "SELECT count(*), sum(a % 1000) FROM t1 WHERE c LIKE '%seven hundred%'");
    show("glob", "SELECT count(*) FROM t1 WHERE c GLOB '*thousand fifty*'");

    exec("CREATE TABLE t2 AS SELECT b % 1000 AS k, count(*) AS n, sum(a) AS s, max(c) AS m "
         "FROM t1 GROUP BY 1");
    show("groups", "SELECT count(*), sum(n), sum(s), max(length(m)) FROM t2");
    show("join", "SELECT count(*), sum(t2.n * (t1.b % 7)) FROM t1 JOIN t2 ON t2.k = t1.b % 1000 "
                 "WHERE t1.a % 4 = 0");
    snprintf(sql, sizeof sql, "SELECT a, c FROM t1 ORDER BY c, a LIMIT 1 OFFSET %d", rows / 2);
    show("sorted", sql);
    show("distinct", "SELECT count(DISTINCT substr(c, 1, 6)) FROM t1");

    exec("UPDATE t1 SET b = b + 1, c = upper(c) WHERE a % 3 = 0");
    exec("DELETE FROM t1 WHERE a % 5 = 0");
    show("after", "SELECT count(*), sum(b), sum(length(c)), sum(c GLOB '*[A-Z]*') FROM t1");
    show("check", "PRAGMA integrity_check");
    sqlite3_close(db);
    return 0;
}
