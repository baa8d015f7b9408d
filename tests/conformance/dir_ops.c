/* mkdirat, unlinkat (files, AT_REMOVEDIR, ENOTEMPTY, EISDIR), renameat/renameat2
 * (file over file, dir over empty dir, into own subdir EINVAL, RENAME_NOREPLACE,
 * RENAME_EXCHANGE), rmdir of "." (EINVAL), link/unlink counts. */
#include "common.h"

static const char *D = "/tmp/husk-dir_ops";

static int exists(int dfd, const char *p) { struct stat st; return fstatat(dfd, p, &st, AT_SYMLINK_NOFOLLOW) == 0; }

static void put(int dfd, const char *p, const char *content) {
    int fd = openat(dfd, p, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    write(fd, content, strlen(content));
    close(fd);
}

static void get(int dfd, const char *p) {
    char buf[32] = {0};
    int fd = openat(dfd, p, O_RDONLY);
    read(fd, buf, sizeof buf - 1);
    close(fd);
    printf("  %s contains: %s\n", p, fd >= 0 ? buf : "(missing)");
}

int main(void) {
    setup(10);
    RET("mkdir", mkdir(D, 0755));
    RET("mkdir existing", mkdir(D, 0755));
    int dfd = open(D, O_RDONLY | O_DIRECTORY);
    RET("mkdirat a", mkdirat(dfd, "a", 0755));
    RET("mkdirat a/b", mkdirat(dfd, "a/b", 0755));
    RET("mkdirat missing parent", mkdirat(dfd, "x/y", 0755));
    put(dfd, "f1", "one");
    put(dfd, "f2", "two");
    RET("mkdirat over file", mkdirat(dfd, "f1", 0755));
    RET("mkdirat under file", mkdirat(dfd, "f1/sub", 0755));

    RET("unlinkat dir without AT_REMOVEDIR", unlinkat(dfd, "a", 0));
    RET("unlinkat non-empty dir", unlinkat(dfd, "a", AT_REMOVEDIR));
    RET("unlinkat file with AT_REMOVEDIR", unlinkat(dfd, "f1", AT_REMOVEDIR));
    RET("unlinkat missing", unlinkat(dfd, "nope", 0));
    RET("unlinkat bad flag", unlinkat(dfd, "f1", 0x1));
    RET("rmdir .", rmdir("/tmp/husk-dir_ops/a/."));

    RET("renameat f1 -> f2 (replace)", renameat(dfd, "f1", dfd, "f2"));
    printf("f1 exists: %d\n", exists(dfd, "f1"));
    get(dfd, "f2");
    RET("renameat file over dir", renameat(dfd, "f2", dfd, "a"));
    RET("renameat dir over file", renameat(dfd, "a", dfd, "f2"));
    RET("mkdirat e", mkdirat(dfd, "e", 0755));
    RET("renameat dir over empty dir", renameat(dfd, "a", dfd, "e"));
    printf("e/b exists: %d, a exists: %d\n", exists(dfd, "e/b"), exists(dfd, "a"));
    RET("renameat dir into its own subdir", renameat(dfd, "e", dfd, "e/b/x"));
    mkdirat(dfd, "full", 0755);
    put(dfd, "full/x", "x");
    RET("renameat dir over non-empty dir", renameat(dfd, "e", dfd, "full"));
    RET("renameat missing source", renameat(dfd, "nope", dfd, "z"));
    RET("renameat same file", renameat(dfd, "f2", dfd, "f2"));

    put(dfd, "p", "P");
    put(dfd, "q", "Q");
    RET("RENAME_NOREPLACE onto existing", syscall(SYS_renameat2, dfd, "p", dfd, "q", 1));
    RET("RENAME_NOREPLACE to new name", syscall(SYS_renameat2, dfd, "p", dfd, "p2", 1));
    RET("RENAME_EXCHANGE", syscall(SYS_renameat2, dfd, "p2", dfd, "q", 2));
    get(dfd, "p2");
    get(dfd, "q");
    RET("RENAME_EXCHANGE with missing", syscall(SYS_renameat2, dfd, "p2", dfd, "missing", 2));
    RET("renameat2 bad flags", syscall(SYS_renameat2, dfd, "p2", dfd, "q", 3));

    /* Renaming an open file keeps the fd usable. */
    int fd = openat(dfd, "q", O_RDWR);
    renameat(dfd, "q", dfd, "q-renamed");
    char c = 0;
    pread(fd, &c, 1, 0);
    printf("open fd after rename reads: %c\n", c);
    close(fd);

    const char *files[] = {"f2", "full/x", "p2", "q-renamed"};
    for (int i = 0; i < 4; i++) RET("unlinkat file", unlinkat(dfd, files[i], 0));
    RET("unlinkat e/b", unlinkat(dfd, "e/b", AT_REMOVEDIR));
    RET("unlinkat e", unlinkat(dfd, "e", AT_REMOVEDIR));
    RET("unlinkat full", unlinkat(dfd, "full", AT_REMOVEDIR));
    close(dfd);
    RET("rmdir", rmdir(D));
    RET("rmdir again", rmdir(D));
    return 0;
}
