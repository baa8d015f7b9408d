/* faccessat/access: F_OK/R_OK/W_OK/X_OK for files of various modes (as the current
 * user, and as an unprivileged user in a child), AT_EACCESS, AT_SYMLINK_NOFOLLOW, errors. */
#include "common.h"

static const char *dir = "/tmp/husk-faccessat";
static const char *files[] = {"m000", "m400", "m200", "m100", "m755"};
static const mode_t modes[] = {0, 0400, 0200, 0100, 0755};

static void table(const char *who) {
    for (int i = 0; i < 5; i++) {
        char p[128];
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        printf("%s %s: F=%d R=%d W=%d X=%d\n", who, files[i], access(p, F_OK) == 0, access(p, R_OK) == 0,
               access(p, W_OK) == 0, access(p, X_OK) == 0);
    }
    char d[128];
    snprintf(d, sizeof d, "%s", dir);
    printf("%s dir: X=%d\n", who, access(d, X_OK) == 0);
}

static int as_nobody(void) {
    if (getuid() != 0) { printf("  not root: skipped\n"); return 0; }
    setresgid(65534, 65534, 65534);
    setresuid(65534, 65534, 65534);
    table("  nobody");
    return 0;
}

int main(void) {
    setup(10);
    umask(0);
    mkdir(dir, 0755);
    for (int i = 0; i < 5; i++) {
        char p[128];
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        close(open(p, O_CREAT | O_WRONLY, 0644));
        chmod(p, modes[i]);
    }
    printf("running as root: %s\n", getuid() == 0 ? "yes" : "no");
    table("self");
    in_child("as nobody", as_nobody);

    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    RET("faccessat rel F_OK", faccessat(dfd, "m755", F_OK, 0));
    RET("faccessat AT_EACCESS", faccessat(dfd, "m755", R_OK, AT_EACCESS));
    symlinkat("nowhere", dfd, "dangling");
    RET("faccessat dangling", faccessat(dfd, "dangling", F_OK, 0));
    RET("faccessat dangling NOFOLLOW", faccessat(dfd, "dangling", F_OK, AT_SYMLINK_NOFOLLOW));
    RET("bad mode", faccessat(dfd, "m755", 0x40, 0));
    RET("bad flags", faccessat(dfd, "m755", F_OK, 0x1));
    RET("ENOENT", access("/tmp/husk-faccessat/nope", F_OK));
    RET("ENOTDIR", access("/tmp/husk-faccessat/m755/x", F_OK));
    RET("empty path", access("", F_OK));
    RET("faccessat2 AT_EMPTY_PATH", syscall(SYS_faccessat2, dfd, "", F_OK, AT_EMPTY_PATH));
    unlinkat(dfd, "dangling", 0);
    for (int i = 0; i < 5; i++) unlinkat(dfd, files[i], 0);
    close(dfd);
    RET("rmdir", rmdir(dir));
    return 0;
}
