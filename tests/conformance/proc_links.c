/* /proc/PID/{exe,cwd,root}: exe names the running binary (same inode), cwd follows
 * chdir and fchdir, shows " (deleted)" once the directory is removed, root follows
 * chroot (as the parent sees it, and as the child sees it), paths through the links
 * resolve, a short readlink buffer truncates, and a reaped child's links are gone. */
#include "common.h"

static char out[4096];

static const char *rl(const char *p) {
    ssize_t n = readlink(p, out, sizeof out - 1);
    if (n < 0) { snprintf(out, sizeof out, "-1 %s", en(errno)); return out; }
    out[n] = 0;
    return out;
}

static const char *rlat(int dfd, const char *p) {
    ssize_t n = readlinkat(dfd, p, out, sizeof out - 1);
    if (n < 0) { snprintf(out, sizeof out, "-1 %s", en(errno)); return out; }
    out[n] = 0;
    return out;
}

static char dir[64];

static int chroot_child(void) {
    char sub[128];
    snprintf(sub, sizeof sub, "%s/sub", dir);
    int pfd = open("/proc/self", O_RDONLY | O_DIRECTORY);
    RET("  chdir sub", chdir(sub));
    RET("  chroot .", chroot("."));
    RET("  /proc inside the chroot", access("/proc/self", F_OK));
    printf("  own root (via /proc fd opened before): %s\n", rlat(pfd, "root"));
    printf("  own cwd (at new root): %s\n", rlat(pfd, "cwd"));
    RET("  mkdir /inner", mkdir("/inner", 0755));
    RET("  chdir /inner", chdir("/inner"));
    printf("  own cwd: %s\n", rlat(pfd, "cwd"));
    char c = 'x';
    if (write(4, &c, 1) != 1) return 2;
    if (read(3, &c, 1) != 1) return 3;
    rmdir("/inner");
    return 0;
}

int main(int argc, char **argv) {
    (void)argc;
    setup(10);
    char real[4096];
    if (!realpath(argv[0], real)) DIE("realpath");
    YN("exe == realpath(argv0)", strcmp(rl("/proc/self/exe"), real) == 0);
    struct stat a, b;
    stat("/proc/self/exe", &a);
    stat(real, &b);
    YN("stat exe == stat argv0 (dev, ino)", a.st_ino == b.st_ino && a.st_dev == b.st_dev);
    lstat("/proc/self/exe", &a);
    YN("lstat exe is a link", S_ISLNK(a.st_mode));
    printf("root: %s\n", rl("/proc/self/root"));
    char small[4];
    RET("readlink exe into 4 bytes", readlink("/proc/self/exe", small, 4));
    YN("truncated prefix", memcmp(small, real, 4) == 0);

    strcpy(dir, "/tmp/husk-links-XXXXXX");
    if (!mkdtemp(dir)) DIE("mkdtemp");
    char sub[128];
    snprintf(sub, sizeof sub, "%s/sub", dir);
    mkdir(sub, 0755);
    RET("chdir dir", chdir(dir));
    YN("cwd == dir", strcmp(rl("/proc/self/cwd"), dir) == 0);
    RET("chdir sub (relative)", chdir("sub"));
    YN("cwd == dir/sub", strcmp(rl("/proc/self/cwd"), sub) == 0);
    RET("chdir ..", chdir(".."));
    YN("cwd == dir again", strcmp(rl("/proc/self/cwd"), dir) == 0);
    int sfd = open(sub, O_RDONLY | O_DIRECTORY);
    RET("fchdir sub", fchdir(sfd));
    YN("cwd == dir/sub after fchdir", strcmp(rl("/proc/self/cwd"), sub) == 0);
    close(sfd);
    /* Paths through the cwd link. */
    int fd = open("f", O_CREAT | O_WRONLY, 0644);
    close(fd);
    RET("access /proc/self/cwd/f", access("/proc/self/cwd/f", F_OK));
    RET("access /proc/self/cwd/../sub/f", access("/proc/self/cwd/../sub/f", F_OK));
    RET("access /proc/self/root/tmp", access("/proc/self/root/tmp", F_OK));
    unlink("f");
    /* The cwd is removed. */
    char gone[160];
    snprintf(gone, sizeof gone, "%s/gone", dir);
    mkdir(gone, 0755);
    chdir(gone);
    RET("rmdir cwd", rmdir(gone));
    char want[200];
    snprintf(want, sizeof want, "%s (deleted)", gone);
    YN("cwd link ends in (deleted)", strcmp(rl("/proc/self/cwd"), want) == 0);
    RET("getcwd of removed dir", getcwd(real, sizeof real) ? 0 : -1);
    chdir("/");
    printf("cwd after chdir /: %s\n", rl("/proc/self/cwd"));

    /* A child that chroots: how its parent sees its links. */
    int p2c[2], c2p[2];
    if (pipe(p2c) < 0 || pipe(c2p) < 0) DIE("pipe");
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        dup2(p2c[0], 3);
        dup2(c2p[1], 4);
        _exit(chroot_child());
    }
    char ch;
    if (read(c2p[0], &ch, 1) != 1) DIE("read");
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/root", (int)c);
    YN("parent sees child root == dir/sub", strcmp(rl(path), sub) == 0);
    snprintf(path, sizeof path, "/proc/%d/cwd", (int)c);
    snprintf(want, sizeof want, "%s/inner", sub);
    YN("parent sees child cwd == dir/sub/inner", strcmp(rl(path), want) == 0);
    snprintf(path, sizeof path, "/proc/%d/exe", (int)c);
    char myexe[4096];
    snprintf(myexe, sizeof myexe, "%s", rl("/proc/self/exe"));
    YN("parent sees child exe == ours", strcmp(rl(path), myexe) == 0);
    if (write(p2c[1], "g", 1) != 1) DIE("write");
    printf("chroot child: %s\n", wstr(wait_child(c)));
    snprintf(path, sizeof path, "/proc/%d/cwd", (int)c);
    printf("reaped child cwd: %s\n", rl(path));
    rmdir(sub);
    rmdir(dir);
    return 0;
}
