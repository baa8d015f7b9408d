/* Mount namespaces and mount(2)/umount2: a child unshares CLONE_NEWNS, mounts tmpfs,
 * bind mounts and proc; its mounts are invisible to the parent; MS_RDONLY, MS_NODEV and
 * MS_NOEXEC are honoured (also through remounts); umount2 and error cases. */
#include "common.h"
#include <sched.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>
#include <linux/capability.h>

#define DIR_ "/tmp/husk-mnt"

static int to_parent[2], to_child[2];

static int creat_file(const char *p) {
    int fd = open(p, O_CREAT | O_WRONLY, 0644);
    if (fd >= 0) close(fd);
    return fd < 0 ? -1 : 0;
}

static int copy_file(const char *from, const char *to) {
    int in = open(from, O_RDONLY), out = open(to, O_CREAT | O_WRONLY | O_TRUNC, 0755);
    if (in < 0 || out < 0) return -1;
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, n) != n) return -1;
    close(in);
    close(out);
    return 0;
}

static int child(void) {
    char c;
    RET("  unshare NEWNS", unshare(CLONE_NEWNS));
    RET("  make / rprivate", mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
    RET("  mount tmpfs mode=0700", mount("husk-tmp", DIR_, "tmpfs", 0, "mode=0700"));
    struct stat st;
    stat(DIR_, &st);
    printf("  root mode: %o\n", st.st_mode);
    RET("  create file in tmpfs", creat_file(DIR_ "/f"));
    if (write(to_parent[1], "1", 1) != 1 || read(to_child[0], &c, 1) != 1) DIE("sync");
    /* Remount read-only. */
    RET("  remount ro", mount(NULL, DIR_, NULL, MS_REMOUNT | MS_RDONLY, NULL));
    RET("  create on ro", creat_file(DIR_ "/g"));
    RET("  mkdir on ro", mkdir(DIR_ "/d", 0755));
    RET("  open existing for read", ({ int fd = open(DIR_ "/f", O_RDONLY); if (fd >= 0) close(fd); fd < 0 ? -1 : 0; }));
    RET("  remount rw", mount(NULL, DIR_, NULL, MS_REMOUNT, NULL));
    RET("  create after rw", creat_file(DIR_ "/g"));
    /* Bind mounts. */
    mkdir(DIR_ "/a", 0755);
    mkdir(DIR_ "/b", 0755);
    RET("  bind a on b", mount(DIR_ "/a", DIR_ "/b", NULL, MS_BIND, NULL));
    RET("  create in a", creat_file(DIR_ "/a/x"));
    RET("  visible in b", access(DIR_ "/b/x", F_OK));
    RET("  bind remount ro", mount(NULL, DIR_ "/b", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL));
    RET("  create in b (ro)", creat_file(DIR_ "/b/y"));
    RET("  create in a (rw)", creat_file(DIR_ "/a/y"));
    RET("  umount b", umount2(DIR_ "/b", 0));
    RET("  b empty again", access(DIR_ "/b/x", F_OK));
    RET("  umount b again", umount2(DIR_ "/b", 0));
    /* noexec */
    mkdir(DIR_ "/ne", 0755);
    RET("  mount tmpfs noexec", mount("none", DIR_ "/ne", "tmpfs", MS_NOEXEC, NULL));
    RET("  copy self", copy_file("/proc/self/exe", DIR_ "/ne/prog"));
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        execl(DIR_ "/ne/prog", "prog", "exec-ok", (char *)NULL);
        printf("  exec on noexec: -1 %s\n", en(errno));
        _exit(0);
    }
    wait_child(p);
    RET("  umount ne (lazy)", umount2(DIR_ "/ne", MNT_DETACH));
    /* nodev */
    mkdir(DIR_ "/nd", 0755);
    RET("  mount tmpfs nodev", mount("none", DIR_ "/nd", "tmpfs", MS_NODEV, NULL));
    RET("  mknod null", mknod(DIR_ "/nd/null", S_IFCHR | 0666, makedev(1, 3)));
    RET("  open dev on nodev", open(DIR_ "/nd/null", O_RDONLY));
    RET("  umount nd", umount2(DIR_ "/nd", 0));
    /* proc */
    mkdir(DIR_ "/p", 0755);
    RET("  mount proc", mount("proc", DIR_ "/p", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL));
    RET("  p/self/status", access(DIR_ "/p/self/status", R_OK));
    RET("  umount proc", umount2(DIR_ "/p", 0));
    RET("  p/self/status after", access(DIR_ "/p/self/status", R_OK));
    /* Errors. */
    RET("  mount unknown fs", mount("x", DIR_ "/p", "nosuchfs", 0, NULL));
    RET("  mount missing target", mount("x", DIR_ "/missing", "tmpfs", 0, NULL));
    RET("  mount on file", mount("x", DIR_ "/f", "tmpfs", 0, NULL));
    RET("  umount non-mount", umount2(DIR_ "/a", 0));
    RET("  umount bad flags", umount2(DIR_, 0x100));
    RET("  umount expire|detach", umount2(DIR_, MNT_EXPIRE | MNT_DETACH));
    RET("  remount non-mount", mount(NULL, DIR_ "/a", NULL, MS_REMOUNT, NULL));
    fflush(stdout);
    p = fork();
    if (p == 0) {
        struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
        struct __user_cap_data_struct d[2];
        syscall(SYS_capget, &h, d);
        d[0].effective &= ~(1u << CAP_SYS_ADMIN);
        syscall(SYS_capset, &h, d);
        RET("  mount without CAP_SYS_ADMIN", mount("x", DIR_ "/p", "tmpfs", 0, NULL));
        RET("  umount without CAP_SYS_ADMIN", umount2(DIR_, 0));
        RET("  unshare NEWNS without CAP_SYS_ADMIN", unshare(CLONE_NEWNS));
        _exit(0);
    }
    wait_child(p);
    RET("  umount tmpfs", umount2(DIR_, 0));
    RET("  file gone", access(DIR_ "/f", F_OK));
    return 0;
}

int main(int argc, char **argv) {
    setup(20);
    if (argc == 2 && strcmp(argv[1], "exec-ok") == 0) {
        printf("  exec on noexec: succeeded\n");
        return 0;
    }
    rmdir(DIR_);
    if (mkdir(DIR_, 0755) < 0) DIE("mkdir");
    if (pipe(to_parent) < 0 || pipe(to_child) < 0) DIE("pipe");
    fflush(stdout);
    pid_t p = fork();
    if (p < 0) DIE("fork");
    if (p == 0) _exit(child());
    char c;
    if (read(to_parent[0], &c, 1) == 1) {
        RET("parent: file in child's tmpfs", access(DIR_ "/f", F_OK));
        struct stat st;
        stat(DIR_, &st);
        printf("parent: dir mode %o\n", st.st_mode);
        if (write(to_child[1], "1", 1) != 1) DIE("write");
    }
    printf("child: %s\n", wstr(wait_child(p)));
    RET("rmdir", rmdir(DIR_));
    static char stack[64 * 1024];
    (void)stack;
    RET("clone NEWNS|FS", syscall(SYS_clone, CLONE_NEWNS | CLONE_FS | SIGCHLD, 0, 0, 0, 0));
    return 0;
}
