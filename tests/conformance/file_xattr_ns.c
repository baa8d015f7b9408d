/* Extended attribute namespaces on a fresh tmpfs (mounted in a private mount namespace
 * so the file system is the same natively and under husk): user.* allowed on regular
 * files and directories but EPERM on symlinks (l*xattr), FIFOs and device nodes, where
 * trusted.* and security.* work; XATTR_CREATE/XATTR_REPLACE per namespace; listxattr
 * sizing (size 0, exact size, ERANGE one short) across namespaces; attributes shared by
 * hard links, kept across rename and on an unlinked-but-open file; removexattr and
 * ENODATA; a name without a namespace prefix EOPNOTSUPP; an empty value. */
#include "common.h"
#include <sched.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

static void list(const char *label, const char *path, int nofollow) {
    char b[512];
    ssize_t n = nofollow ? llistxattr(path, b, sizeof b) : listxattr(path, b, sizeof b);
    if (n < 0) {
        printf("%s: -1 %s\n", label, en(errno));
        return;
    }
    /* Sorted output: the order of names is not specified. */
    const char *names[32];
    int k = 0;
    for (ssize_t i = 0; i < n && k < 32; i += (ssize_t)strlen(b + i) + 1) names[k++] = b + i;
    for (int i = 0; i < k; i++)
        for (int j = i + 1; j < k; j++)
            if (strcmp(names[i], names[j]) > 0) {
                const char *t = names[i];
                names[i] = names[j];
                names[j] = t;
            }
    printf("%s: %zd [", label, n);
    for (int i = 0; i < k; i++) printf("%s%s", i ? " " : "", names[i]);
    printf("]\n");
}

static int child(void) {
    if (unshare(CLONE_NEWNS) != 0) DIE("unshare");
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) DIE("make private");
    char dir[] = "/tmp/xattrnsXXXXXX";
    if (!mkdtemp(dir)) DIE("mkdtemp");
    if (mount("tmpfs", dir, "tmpfs", 0, "size=1m") != 0) DIE("mount tmpfs");
    if (chdir(dir) != 0) DIE("chdir");
    int fd = open("f", O_RDWR | O_CREAT, 0644);
    if (fd < 0) DIE("open");
    if (mkdir("d", 0755) != 0) DIE("mkdir");
    if (symlink("f", "l") != 0) DIE("symlink");
    if (mkfifo("p", 0644) != 0) DIE("mkfifo");
    if (mknod("n", S_IFCHR | 0644, makedev(1, 3)) != 0) DIE("mknod");

    RET("user on file", setxattr("f", "user.a", "1", 1, 0));
    RET("user on dir", setxattr("d", "user.a", "1", 1, 0));
    RET("user on symlink", lsetxattr("l", "user.a", "1", 1, 0));
    RET("user on fifo", setxattr("p", "user.a", "1", 1, 0));
    RET("user on chardev", setxattr("n", "user.a", "1", 1, 0));
    RET("get user on symlink", lgetxattr("l", "user.a", NULL, 0));
    RET("trusted on symlink", lsetxattr("l", "trusted.t", "tv", 2, 0));
    RET("trusted on fifo", setxattr("p", "trusted.t", "tv", 2, 0));
    RET("security on chardev", setxattr("n", "security.s", "sv", 2, 0));
    RET("lget trusted on symlink", lgetxattr("l", "trusted.t", NULL, 0));
    RET("get via symlink follows to file", getxattr("l", "user.a", NULL, 0));
    list("llist symlink", "l", 1);
    list("list fifo", "p", 0);

    RET("trusted create", setxattr("f", "trusted.x", "abc", 3, XATTR_CREATE));
    RET("trusted create again", setxattr("f", "trusted.x", "abc", 3, XATTR_CREATE));
    RET("trusted replace", setxattr("f", "trusted.x", "abcd", 4, XATTR_REPLACE));
    RET("trusted replace missing", setxattr("f", "trusted.y", "q", 1, XATTR_REPLACE));
    RET("security create", setxattr("f", "security.z", "zz", 2, XATTR_CREATE));
    RET("user replace", setxattr("f", "user.a", "22", 2, XATTR_REPLACE));
    RET("user empty value", setxattr("f", "user.empty", "", 0, 0));
    RET("get empty value", getxattr("f", "user.empty", NULL, 0));
    RET("no prefix", setxattr("f", "plain", "1", 1, 0));
    RET("bogus prefix", setxattr("f", "bogus.x", "1", 1, 0));
    RET("prefix only", setxattr("f", "user.", "1", 1, 0));
    RET("get no prefix", getxattr("f", "plain", NULL, 0));

    ssize_t need = listxattr("f", NULL, 0);
    printf("list size 0: %zd\n", need);
    char b[512];
    RET("list exact size", listxattr("f", b, (size_t)need));
    RET("list one short", listxattr("f", b, (size_t)need - 1));
    list("list f", "f", 0);
    RET("get size", getxattr("f", "trusted.x", NULL, 0));
    RET("get one short", getxattr("f", "trusted.x", b, 3));
    RET("get exact", getxattr("f", "trusted.x", b, 4));
    printf("value: %.4s\n", b);

    RET("link", link("f", "h"));
    RET("get via hard link", getxattr("h", "user.a", b, sizeof b));
    RET("set via hard link", setxattr("h", "user.b", "B", 1, 0));
    RET("rename", rename("f", "g"));
    list("list after rename", "g", 0);
    RET("unlink g", unlink("g"));
    RET("unlink h", unlink("h"));
    RET("fget on unlinked", fgetxattr(fd, "user.b", b, sizeof b));
    RET("fset on unlinked", fsetxattr(fd, "user.c", "C", 1, 0));
    RET("fremove", fremovexattr(fd, "user.c"));
    RET("fremove again", fremovexattr(fd, "user.c"));
    RET("fget removed", fgetxattr(fd, "user.c", b, sizeof b));
    RET("remove trusted on symlink", lremovexattr("l", "trusted.t"));
    RET("remove user on dir", removexattr("d", "user.a"));
    list("list dir", "d", 0);
    RET("get on dangling symlink", getxattr("l", "user.a", b, sizeof b));
    close(fd);

    if (chdir("/") != 0) DIE("chdir /");
    RET("umount", umount(dir));
    RET("rmdir", rmdir(dir));
    return 0;
}

int main(void) {
    setup(10);
    in_child("child", child);
    return 0;
}
