/*
 * sandbox.c: a mount cannot be escaped. Every path below is resolved by the
 * runtime relative to the mount's preopened directory fd (openat and friends
 * with that fd pass the path to path_open etc. unchanged), so the checks hit
 * the runtime's own path resolution, not wasi-libc's.
 *
 * Run:    args [sandbox, DIR, LINK] where DIR is the guest path of a writable
 *         mount (default "/sandbox") and LINK (default "escape_link") the name
 *         of a symlink the host created in the mount's root before the run,
 *         pointing outside the mount to an absolute host directory holding a
 *         file named "passwd" (e.g. escape_link -> /etc). The program creates
 *         (and at the end removes) sandbox_test/, sandbox_test/sub/,
 *         sandbox_test/inside.txt, sandbox_test/in_link -> inside.txt and
 *         symlinks abs_link, rel_link, chain_a, chain_b in the mount's root.
 *         The escape targets exist on a Unix host (/etc/passwd), so a
 *         resolver that lets them through is caught. No env or stdin.
 * Stdout: first the controls, which must work:
 *             ok control .
 *             ok control sandbox_test/sub/../inside.txt
 *             ok control sandbox_test/in_link
 *             ok control /DIR (found preopen "<name>")
 *         (the last line comes first, right after finding the preopen), then
 *         one line per escape attempt, in this order:
 *             refused <case> errno=<n> (<strerror>)
 *         with <case>:
 *             open ..
 *             open ../etc/passwd              (with enough ".." to reach /)
 *             open /etc/passwd                (absolute path to path_open)
 *             libc open /etc/passwd           (outside every preopen)
 *             open sandbox_test/sub/../../../etc/passwd
 *             stat ../etc/passwd
 *             open LINK/passwd                (host-made symlink, absolute)
 *             stat LINK/passwd
 *             open LINK (directory)
 *             create abs_link -> /etc/passwd  (only if symlink creation is refused)
 *             open abs_link                   (symlink made by the guest)
 *             create rel_link -> ../etc       (only if refused)
 *             open rel_link/passwd
 *             create chain_b -> LINK          (only if refused)
 *             create chain_a -> chain_b       (only if refused)
 *             open chain_a/passwd             (symlink to symlink to outside)
 *             mkdir ../sandbox_escape_dir
 *             rename into ../sandbox_escape_file
 *             link into ../sandbox_escape_link
 *             symlink at ../sandbox_escape_symlink
 *             unlink ../sandbox_probe
 *         <n> is the runtime's choice; typical are 76 (Capabilities
 *         insufficient), 63 (Operation not permitted), 44 (No such file or
 *         directory) and 32 (Too many levels of symbolic links). The three
 *         symlink creations with outside targets may be allowed (then no line
 *         is printed for them): a symlink's text is only data; following it
 *         is what must be refused. The last line is "no escape\n".
 * Exit:   0. An escape prints "ESCAPED <case>" and makes the exit code 1
 *         (all cases still run); a failed control prints
 *         "FAIL control <case>: <strerror>" and exits 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>

/* Enough ".." to reach the host's root from any mount. */
#define UP "../../../../../../../../../../../../../../../../../../../.."

static int escaped = 0;

static void refused(const char *what, int ret) {
    if (ret < 0) {
        printf("refused %s errno=%d (%s)\n", what, errno, strerror(errno));
    } else {
        printf("ESCAPED %s\n", what);
        escaped = 1;
    }
}

static void try_open(const char *what, int dirfd, const char *path, int flags) {
    int fd = openat(dirfd, path, flags);
    refused(what, fd);
    if (fd >= 0) close(fd);
}

static void try_stat(const char *what, int dirfd, const char *path) {
    struct stat st;
    refused(what, fstatat(dirfd, path, &st, 0));
}

static void control(const char *what, int ok) {
    if (!ok) {
        printf("FAIL control %s: %s\n", what, strerror(errno));
        exit(1);
    }
    printf("ok control %s\n", what);
}

/* Strips one leading "/" and trailing "/"s, so "/sandbox/" and "sandbox" match. */
static void normalize(char *s) {
    if (s[0] == '/') memmove(s, s + 1, strlen(s));
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == '/') s[--n] = 0;
}

/* The preopened directory fd named `dir`, found with fd_prestat_get. */
static int find_preopen(const char *dir, char *name_out, size_t cap) {
    char want[512];
    snprintf(want, sizeof want, "%s", dir);
    normalize(want);
    for (__wasi_fd_t fd = 3; fd < 1024; fd++) {
        __wasi_prestat_t prestat;
        __wasi_errno_t e = __wasi_fd_prestat_get(fd, &prestat);
        if (e == __WASI_ERRNO_BADF) break;
        if (e != 0 || prestat.tag != __WASI_PREOPENTYPE_DIR) continue;
        size_t len = prestat.u.dir.pr_name_len;
        if (len + 1 > cap) continue;
        if (__wasi_fd_prestat_dir_name(fd, (uint8_t *)name_out, len) != 0) continue;
        name_out[len] = 0;
        char got[512];
        snprintf(got, sizeof got, "%s", name_out);
        normalize(got);
        if (strcmp(got, want) == 0) return (int)fd;
    }
    return -1;
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "/sandbox";
    const char *link_name = argc > 2 ? argv[2] : "escape_link";
    char path[1024], name[512], what[1200];

    int root = find_preopen(dir, name, sizeof name);
    if (root < 0) {
        errno = ENOENT;
        control("preopen", 0);
    }
    snprintf(what, sizeof what, "%s (found preopen \"%s\")", dir, name);
    control(what, 1);

    /* Controls: paths that stay inside must work. */
    if (mkdirat(root, "sandbox_test", 0755) != 0) control("mkdir sandbox_test", 0);
    if (mkdirat(root, "sandbox_test/sub", 0755) != 0) control("mkdir sandbox_test/sub", 0);
    int fd = openat(root, "sandbox_test/inside.txt", O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0 || write(fd, "inside\n", 7) != 7) control("create sandbox_test/inside.txt", 0);
    close(fd);
    if (symlinkat("inside.txt", root, "sandbox_test/in_link") != 0) control("symlink sandbox_test/in_link", 0);
    fd = openat(root, ".", O_RDONLY | O_DIRECTORY);
    control(".", fd >= 0);
    close(fd);
    fd = openat(root, "sandbox_test/sub/../inside.txt", O_RDONLY);
    control("sandbox_test/sub/../inside.txt", fd >= 0);
    close(fd);
    fd = openat(root, "sandbox_test/in_link", O_RDONLY);
    char buf[16] = {0};
    control("sandbox_test/in_link", fd >= 0 && read(fd, buf, sizeof buf) == 7 && memcmp(buf, "inside\n", 7) == 0);
    close(fd);

    /* Escapes through "..". */
    try_open("open ..", root, "..", O_RDONLY | O_DIRECTORY);
    try_open("open ../etc/passwd", root, UP "/etc/passwd", O_RDONLY);
    try_open("open /etc/passwd", root, "/etc/passwd", O_RDONLY);
    try_open("libc open /etc/passwd", AT_FDCWD, "/etc/passwd", O_RDONLY);
    try_open("open sandbox_test/sub/../../../etc/passwd", root, "sandbox_test/sub/../../" UP "/etc/passwd", O_RDONLY);
    try_stat("stat ../etc/passwd", root, UP "/etc/passwd");

    /* Escapes through a symlink the host made. */
    snprintf(path, sizeof path, "%s/passwd", link_name);
    snprintf(what, sizeof what, "open %s/passwd", link_name);
    try_open(what, root, path, O_RDONLY);
    snprintf(what, sizeof what, "stat %s/passwd", link_name);
    try_stat(what, root, path);
    snprintf(what, sizeof what, "open %s (directory)", link_name);
    try_open(what, root, link_name, O_RDONLY | O_DIRECTORY);

    /* Escapes through symlinks the guest makes. */
    if (symlinkat("/etc/passwd", root, "abs_link") != 0) refused("create abs_link -> /etc/passwd", -1);
    try_open("open abs_link", root, "abs_link", O_RDONLY);
    if (symlinkat(UP "/etc", root, "rel_link") != 0) refused("create rel_link -> ../etc", -1);
    try_open("open rel_link/passwd", root, "rel_link/passwd", O_RDONLY);
    if (symlinkat(link_name, root, "chain_b") != 0) {
        snprintf(what, sizeof what, "create chain_b -> %s", link_name);
        refused(what, -1);
    }
    if (symlinkat("chain_b", root, "chain_a") != 0) refused("create chain_a -> chain_b", -1);
    try_open("open chain_a/passwd", root, "chain_a/passwd", O_RDONLY);

    /* Changes outside. */
    refused("mkdir ../sandbox_escape_dir", mkdirat(root, "../sandbox_escape_dir", 0755));
    refused("rename into ../sandbox_escape_file",
            renameat(root, "sandbox_test/inside.txt", root, "../sandbox_escape_file"));
    refused("link into ../sandbox_escape_link",
            linkat(root, "sandbox_test/inside.txt", root, "../sandbox_escape_link", 0));
    refused("symlink at ../sandbox_escape_symlink", symlinkat("x", root, "../sandbox_escape_symlink"));
    refused("unlink ../sandbox_probe", unlinkat(root, "../sandbox_probe", 0));

    /* Clean up what the guest made (ignoring what was refused). */
    unlinkat(root, "abs_link", 0);
    unlinkat(root, "rel_link", 0);
    unlinkat(root, "chain_a", 0);
    unlinkat(root, "chain_b", 0);
    unlinkat(root, "sandbox_test/in_link", 0);
    unlinkat(root, "sandbox_test/inside.txt", 0);
    unlinkat(root, "sandbox_test/sub", AT_REMOVEDIR);
    unlinkat(root, "sandbox_test", AT_REMOVEDIR);

    if (escaped) return 1;
    printf("no escape\n");
    return 0;
}
