/* Extended attributes: set/get/list/remove by path, link and fd; flags, limits,
 * namespaces and permissions. */
#include "common.h"
#include <sys/xattr.h>

#define D "/tmp/xattr.dir"
#define F D "/file"
#define L D "/link"

/* Prints the NUL-separated list sorted (file systems order it differently). */
static void show_list(const char *label, const char *buf, long n) {
    const char *names[32];
    int k = 0;
    for (long i = 0; i < n && k < 32; i += (long)strlen(buf + i) + 1) names[k++] = buf + i;
    for (int i = 0; i < k; i++)
        for (int j = i + 1; j < k; j++)
            if (strcmp(names[j], names[i]) < 0) { const char *t = names[i]; names[i] = names[j]; names[j] = t; }
    printf("%s (%ld):", label, n);
    for (int i = 0; i < k; i++) printf(" %s", names[i]);
    printf("\n");
}

static int as_user(void) {
    if (setgid(1000) || setuid(1000)) return 98;
    char b[16];
    RET("user set trusted", setxattr(F, "trusted.t", "v", 1, 0));
    RET("user get trusted", getxattr(F, "trusted.t", b, sizeof b));
    RET("user get user", getxattr(F, "user.a", b, sizeof b));
    RET("user set user (no write perm)", setxattr(F, "user.z", "v", 1, 0));
    char l[256];
    long n = listxattr(F, l, sizeof l);
    show_list("user list", l, n);
    return 0;
}

int main(void) {
    setup(20);
    mkdir(D, 0755);
    int fd = open(F, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) DIE("open");
    symlink("file", L);
    char b[128];
    char l[512];
    RET("get none", getxattr(F, "user.a", b, sizeof b));
    RET("list none", listxattr(F, l, sizeof l));
    RET("set", setxattr(F, "user.a", "hello", 5, 0));
    RET("get size", getxattr(F, "user.a", NULL, 0));
    long n = getxattr(F, "user.a", b, sizeof b);
    printf("get: %ld \"%.*s\"\n", n, (int)(n > 0 ? n : 0), b);
    RET("get small", getxattr(F, "user.a", b, 2));
    RET("create existing", setxattr(F, "user.a", "x", 1, XATTR_CREATE));
    RET("replace missing", setxattr(F, "user.b", "x", 1, XATTR_REPLACE));
    RET("replace", setxattr(F, "user.a", "world!", 6, XATTR_REPLACE));
    n = getxattr(F, "user.a", b, sizeof b);
    printf("get: %ld \"%.*s\"\n", n, (int)(n > 0 ? n : 0), b);
    RET("create new", fsetxattr(fd, "user.b", "", 0, XATTR_CREATE));
    RET("get empty", fgetxattr(fd, "user.b", b, sizeof b));
    RET("bad flags", setxattr(F, "user.c", "x", 1, 4));
    RET("empty name", setxattr(F, "", "x", 1, 0));
    char longname[300];
    memset(longname, 'a', sizeof longname);
    memcpy(longname, "user.", 5);
    longname[256] = 0;
    RET("long name", setxattr(F, longname, "x", 1, 0));
    longname[255] = 0;
    RET("255 name", setxattr(F, longname, "x", 1, 0));
    RET("remove 255", removexattr(F, longname));
    static char big[65537];
    RET("too big", setxattr(F, "user.big", big, sizeof big, 0));
    RET("unknown ns", setxattr(F, "foo.bar", "x", 1, 0));
    RET("get unknown ns", getxattr(F, "foo.bar", b, sizeof b));
    RET("set trusted", setxattr(F, "trusted.t", "tv", 2, 0));
    RET("set security", setxattr(F, "security.s", "sv", 2, 0));
    RET("list size", listxattr(F, NULL, 0));
    n = listxattr(F, l, sizeof l);
    show_list("list", l, n);
    RET("list small", listxattr(F, l, 3));
    n = flistxattr(fd, l, sizeof l);
    show_list("flist", l, n);
    /* symlinks: user.* is refused on the link itself */
    RET("lset user on link", lsetxattr(L, "user.x", "v", 1, 0));
    RET("lget user on link", lgetxattr(L, "user.x", b, sizeof b));
    n = getxattr(L, "user.a", b, sizeof b);
    printf("get through link: %ld\n", n);
    RET("llist link", llistxattr(L, l, sizeof l));
    /* directories */
    RET("set on dir", setxattr(D, "user.d", "dv", 2, 0));
    RET("get on dir", getxattr(D, "user.d", b, sizeof b));
    RET("remove", removexattr(F, "user.b"));
    RET("remove again", removexattr(F, "user.b"));
    RET("fremove", fremovexattr(fd, "security.s"));
    RET("lremove on link", lremovexattr(L, "user.a"));
    n = listxattr(F, l, sizeof l);
    show_list("list after", l, n);
    RET("get missing file", getxattr(D "/nope", "user.a", b, sizeof b));
    RET("fget bad fd", fgetxattr(-1, "user.a", b, sizeof b));
    int p[2];
    if (pipe(p)) DIE("pipe");
    RET("fset on pipe", fsetxattr(p[0], "user.a", "v", 1, 0));
    /* a file in /proc has none */
    RET("get on proc", getxattr("/proc/self/status", "user.a", b, sizeof b));
    fflush(stdout);
    in_child("as user", as_user);
    /* a file of the image (lower layer): no attributes until set */
    RET("get on image file", getxattr("/bin/sh", "user.a", b, sizeof b));
    close(fd);
    unlink(L);
    unlink(F);
    rmdir(D);
    return 0;
}
