/* Capabilities inside a user namespace (created by uid 1000, map "0 1000 1" and
 * "1 2000 1" written by root outside): CAP_DAC_OVERRIDE works for files whose owner
 * and group are mapped and not for unmapped (root-owned) ones, CAP_FOWNER likewise for
 * chmod, root in the namespace keeps its capabilities across exec, setuid(1) clears
 * them, the bounding set can be dropped, and capabilities do not reach processes
 * outside (kill). */
#include "common.h"
#include <grp.h>
#include <sched.h>
#include <sys/prctl.h>
#include <linux/capability.h>

static char dir[64], p_root[128], p_mapped[128], p_m2[128];

static unsigned long long eff(void) {
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    syscall(SYS_capget, &h, d);
    return ((unsigned long long)d[1].effective << 32 | d[0].effective);
}

static int try_open(const char *p, int fl) {
    int fd = open(p, fl);
    if (fd < 0) return -1;
    close(fd);
    return 0;
}

static char *self;

static int inside(int go_fd, int ready_fd) {
    if (unshare(CLONE_NEWUSER) < 0) return 2;
    if (write(ready_fd, "r", 1) != 1) return 3;
    char x;
    if (read(go_fd, &x, 1) != 1) return 4;
    printf("  uid %d, CapEff full: %s\n", (int)getuid(), eff() == 0x1ffffffffffULL ? "yes" : "no");
    RET("  open root-owned 0600 file (owner unmapped)", try_open(p_root, O_RDONLY));
    RET("  open mapped-owner 0600 file (uid 1000 -> 0)", try_open(p_mapped, O_RDONLY));
    RET("  open 0600 file owned by ns uid 1 (DAC_OVERRIDE)", try_open(p_m2, O_RDWR));
    RET("  chmod ns-uid-1 file (FOWNER)", chmod(p_m2, 0640));
    RET("  chmod root file", chmod(p_root, 0644));
    RET("  kill(parent outside, 0)", kill(getppid(), 0));
    RET("  bset drop SYS_BOOT", prctl(PR_CAPBSET_DROP, CAP_SYS_BOOT, 0, 0, 0));
    RET("  bset read SYS_BOOT", prctl(PR_CAPBSET_READ, CAP_SYS_BOOT, 0, 0, 0));
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        execl(self, self, "show", (char *)NULL);
        _exit(127);
    }
    printf("  exec as ns root: %s\n", wstr(wait_child(c)));
    RET("  setresuid(1,1,1)", setresuid(1, 1, 1));
    printf("  after setuid(1): uid %d, CapEff zero: %s\n", (int)getuid(), eff() == 0 ? "yes" : "no");
    RET("  open 0600 ns-uid-1 file as owner", try_open(p_m2, O_RDONLY));
    RET("  open mapped 0600 file (not owner now)", try_open(p_mapped, O_RDONLY));
    RET("  setuid(0) back", setuid(0));
    return 0;
}

int main(int argc, char **argv) {
    setup(10);
    if (argc == 2 && !strcmp(argv[1], "show")) {
        unsigned long long e = eff();
        printf("    after exec: uid %d, CapEff full but SYS_BOOT: %s\n", (int)getuid(),
               e == (0x1ffffffffffULL & ~(1ULL << CAP_SYS_BOOT)) ? "yes" : "no");
        return 0;
    }
    if (getuid() != 0) { printf("not root\n"); return 0; }
    self = argv[0];
    strcpy(dir, "/tmp/husk-unsc-XXXXXX");
    if (!mkdtemp(dir)) DIE("mkdtemp");
    chmod(dir, 0777);
    snprintf(p_root, sizeof p_root, "%s/root", dir);
    snprintf(p_mapped, sizeof p_mapped, "%s/mapped", dir);
    snprintf(p_m2, sizeof p_m2, "%s/m2", dir);
    const char *fs[] = {p_root, p_mapped, p_m2};
    for (int i = 0; i < 3; i++) {
        int fd = open(fs[i], O_CREAT | O_WRONLY, 0600);
        if (fd < 0) DIE("create");
        close(fd);
        chmod(fs[i], 0600);
    }
    chown(p_mapped, 1000, 1000);
    chown(p_m2, 2000, 1000);
    int go[2], ready[2];
    if (pipe(go) < 0 || pipe(ready) < 0) DIE("pipe");
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        if (setresgid(1000, 1000, 1000) < 0 || setgroups(0, NULL) < 0 || setresuid(1000, 1000, 1000) < 0) _exit(9);
        prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
        _exit(inside(go[0], ready[1]));
    }
    char x;
    if (read(ready[0], &x, 1) != 1) DIE("read");
    char p[64];
    snprintf(p, sizeof p, "/proc/%d/uid_map", (int)c);
    int fd = open(p, O_WRONLY);
    RET("write uid_map '0 1000 1\\n1 2000 1'", write(fd, "0 1000 1\n1 2000 1\n", 18));
    close(fd);
    snprintf(p, sizeof p, "/proc/%d/gid_map", (int)c);
    fd = open(p, O_WRONLY);
    RET("write gid_map '0 1000 1'", write(fd, "0 1000 1\n", 9));
    close(fd);
    if (write(go[1], "g", 1) != 1) DIE("write");
    printf("child: %s\n", wstr(wait_child(c)));
    struct stat st;
    stat(p_m2, &st);
    printf("m2 mode after chmod inside: %o\n", st.st_mode & 0777);
    stat(p_root, &st);
    printf("root file mode: %o\n", st.st_mode & 0777);
    for (int i = 0; i < 3; i++) unlink(fs[i]);
    rmdir(dir);
    return 0;
}
