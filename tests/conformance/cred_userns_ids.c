/* Id translation in user namespaces: after unshare(CLONE_NEWUSER) and maps
 * "0 1000 1" (uid) / "0 1000 1" (gid) written by the parent, getuid/getgid report the
 * mapped ids; stat shows 0 for files owned by the mapped host id and 65534 for
 * unmapped owners; files created inside belong to host id 1000 (seen from outside);
 * chown to an unmapped id is EINVAL, to a mapped one works; /proc/self/status shows
 * namespace ids; CapEff is full; a nested namespace maps its own ids on top. */
#include "common.h"
#include <grp.h>
#include <sched.h>
#include <sys/prctl.h>
#include <linux/capability.h>

static char dir[64];

static int write_file(const char *path, const char *s) {
    int fd = open(path, O_WRONLY);
    if (fd < 0) return -1;
    ssize_t n = write(fd, s, strlen(s));
    int e = errno;
    close(fd);
    errno = e;
    return n < 0 ? -1 : 0;
}

static void owner(const char *label, const char *p) {
    struct stat st;
    if (stat(p, &st) < 0) { printf("%s: stat -1 %s\n", label, en(errno)); return; }
    printf("%s: %d:%d\n", label, (int)st.st_uid, (int)st.st_gid);
}

static void status_ids(const char *label) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "Uid:", 4) || !strncmp(line, "Gid:", 4)) printf("%s %s", label, line);
    if (f) fclose(f);
}

static void capeff(const char *label) {
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    syscall(SYS_capget, &h, d);
    unsigned long long e = ((unsigned long long)d[1].effective << 32 | d[0].effective);
    printf("%s: CapEff full: %s\n", label, e == 0x1ffffffffffULL ? "yes" : "no");
}

static char p_root[128], p_1000[128], p_2000[128], p_new[128], p_nested[128];

static int inside(int go_fd, int ready_fd) {
    if (unshare(CLONE_NEWUSER) < 0) return 2;
    if (write(ready_fd, "r", 1) != 1) return 3;
    char x;
    if (read(go_fd, &x, 1) != 1) return 4;
    printf("  ids: uid=%d euid=%d gid=%d egid=%d\n", (int)getuid(), (int)geteuid(), (int)getgid(), (int)getegid());
    capeff("  ");
    status_ids("  status");
    owner("  stat root-owned file", p_root);
    owner("  stat 1000-owned file", p_1000);
    owner("  stat 2000:2000 file", p_2000);
    owner("  stat / ", "/");
    owner("  stat /proc/self", "/proc/self");
    owner("  stat /proc/self/status", "/proc/self/status");
    struct stat st;
    int fd = open(p_1000, O_RDONLY);
    fstat(fd, &st);
    printf("  fstat 1000-owned: %d:%d\n", (int)st.st_uid, (int)st.st_gid);
    close(fd);
    struct statx sx;
    RET("  statx 2000 file", statx(AT_FDCWD, p_2000, 0, STATX_UID | STATX_GID, &sx));
    printf("  statx: %d:%d\n", (int)sx.stx_uid, (int)sx.stx_gid);
    fd = open(p_new, O_CREAT | O_WRONLY, 0644);
    RET("  create file", fd < 0 ? -1 : 0);
    fstat(fd, &st);
    printf("  new file as seen inside: %d:%d\n", (int)st.st_uid, (int)st.st_gid);
    close(fd);
    RET("  chown new file to 5 (unmapped)", chown(p_new, 5, -1));
    RET("  chown new file to -1,5 (unmapped gid)", chown(p_new, -1, 5));
    RET("  chown new file to 0:0 (mapped)", chown(p_new, 0, 0));
    RET("  chown 2000 file to 0 (owner unmapped)", chown(p_2000, 0, 0));
    RET("  chmod 2000 file (owner unmapped)", chmod(p_2000, 0600));
    RET("  chmod 1000 file (owner mapped)", chmod(p_1000, 0640));
    RET("  setuid(0)", setuid(0));
    RET("  setresuid(0,0,0)", setresuid(0, 0, 0));
    RET("  setgid(1)", setgid(1));
    /* A nested namespace: its root maps to our 0 (host 1000). */
    if (unshare(CLONE_NEWUSER) < 0) { printf("  nested unshare: %s\n", en(errno)); return 0; }
    printf("  nested before maps: uid=%d\n", (int)getuid());
    owner("  nested: stat 1000-owned before maps", p_1000);
    RET("  nested uid_map 7 0 1", write_file("/proc/self/uid_map", "7 0 1\n"));
    RET("  nested setgroups deny", write_file("/proc/self/setgroups", "deny"));
    RET("  nested gid_map 9 0 1", write_file("/proc/self/gid_map", "9 0 1\n"));
    printf("  nested ids: uid=%d gid=%d\n", (int)getuid(), (int)getgid());
    owner("  nested: stat 1000-owned", p_1000);
    owner("  nested: stat root-owned", p_root);
    fd = open(p_nested, O_CREAT | O_WRONLY, 0644);
    fstat(fd, &st);
    printf("  nested new file: %d:%d\n", (int)st.st_uid, (int)st.st_gid);
    close(fd);
    status_ids("  nested status");
    capeff("  nested");
    return 0;
}

int main(void) {
    setup(10);
    if (getuid() != 0) { printf("not root\n"); return 0; }
    strcpy(dir, "/tmp/husk-uns-XXXXXX");
    if (!mkdtemp(dir)) DIE("mkdtemp");
    chmod(dir, 0777);
    snprintf(p_root, sizeof p_root, "%s/root", dir);
    snprintf(p_1000, sizeof p_1000, "%s/u1000", dir);
    snprintf(p_2000, sizeof p_2000, "%s/u2000", dir);
    snprintf(p_new, sizeof p_new, "%s/new", dir);
    snprintf(p_nested, sizeof p_nested, "%s/nested", dir);
    close(open(p_root, O_CREAT | O_WRONLY, 0644));
    close(open(p_1000, O_CREAT | O_WRONLY, 0644));
    close(open(p_2000, O_CREAT | O_WRONLY, 0644));
    chown(p_1000, 1000, 1000);
    chown(p_2000, 2000, 2000);
    int go[2], ready[2];
    if (pipe(go) < 0 || pipe(ready) < 0) DIE("pipe");
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        /* Drop to 1000 first so the namespace is owned by uid 1000. */
        if (setresgid(1000, 1000, 1000) < 0 || setgroups(0, NULL) < 0 || setresuid(1000, 1000, 1000) < 0) _exit(9);
        /* The id change made us non-dumpable: /proc/self would belong to root. */
        prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
        _exit(inside(go[0], ready[1]));
    }
    char x;
    if (read(ready[0], &x, 1) != 1) DIE("read");
    char p[64];
    snprintf(p, sizeof p, "/proc/%d/uid_map", (int)c);
    RET("parent writes uid_map 0 1000 1", write_file(p, "0 1000 1\n"));
    snprintf(p, sizeof p, "/proc/%d/gid_map", (int)c);
    RET("parent writes gid_map 0 1000 1", write_file(p, "0 1000 1\n"));
    if (write(go[1], "g", 1) != 1) DIE("write");
    printf("child: %s\n", wstr(wait_child(c)));
    owner("new file seen outside", p_new);
    owner("nested file seen outside", p_nested);
    owner("1000 file after chmod", p_1000);
    struct stat st;
    stat(p_1000, &st);
    printf("1000 file mode: %o\n", st.st_mode & 0777);
    unlink(p_root); unlink(p_1000); unlink(p_2000); unlink(p_new); unlink(p_nested);
    rmdir(dir);
    return 0;
}
