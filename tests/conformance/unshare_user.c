/* User namespaces: unshare(CLONE_NEWUSER) gives all capabilities inside and unmapped
 * ids (65534) until uid_map/gid_map are written; the map rules (once, own id without
 * privilege over the parent, setgroups "deny" before gid_map); root in the namespace;
 * namespaces created from inside it; capabilities that do not reach outside it. */
#include "common.h"
#include <grp.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/utsname.h>
#include <linux/capability.h>

static int write_file(const char *path, const char *s) {
    int fd = open(path, O_WRONLY);
    if (fd < 0) return -1;
    ssize_t n = write(fd, s, strlen(s));
    int e = errno;
    close(fd);
    errno = e;
    return n < 0 ? -1 : 0;
}

static void show_file(const char *label, const char *path) {
    char buf[256] = {0};
    int fd = open(path, O_RDONLY);
    if (fd < 0) { printf("%s: open -1 %s\n", label, en(errno)); return; }
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n < 0) n = 0;
    buf[n] = 0;
    printf("%s: [%s]\n", label, buf);
}

static void caps(const char *label) {
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    syscall(SYS_capget, &h, d);
    unsigned long long e = ((unsigned long long)d[1].effective << 32 | d[0].effective);
    printf("%s: CAP_SYS_ADMIN %s, CAP_SETUID %s, full %s\n", label,
           e & (1ULL << CAP_SYS_ADMIN) ? "yes" : "no", e & (1ULL << CAP_SETUID) ? "yes" : "no",
           e == 0x1ffffffffffULL ? "yes" : "no");
}

static int ids(void) {
    printf("  ids: uid=%d euid=%d gid=%d egid=%d\n", (int)getuid(), (int)geteuid(), (int)getgid(), (int)getegid());
    return 0;
}

static int mapped(void) {
    RET("  unshare NEWUSER", unshare(CLONE_NEWUSER));
    ids();
    caps("  caps");
    show_file("  uid_map before", "/proc/self/uid_map");
    show_file("  setgroups", "/proc/self/setgroups");
    RET("  setuid(0) unmapped", setuid(0));
    RET("  uid_map bad line", write_file("/proc/self/uid_map", "0 0\n"));
    RET("  uid_map count 0", write_file("/proc/self/uid_map", "0 0 0\n"));
    RET("  uid_map other id", write_file("/proc/self/uid_map", "0 1000 1\n"));
    RET("  uid_map own id", write_file("/proc/self/uid_map", "0 0 1\n"));
    RET("  uid_map again", write_file("/proc/self/uid_map", "0 0 1\n"));
    RET("  gid_map before deny", write_file("/proc/self/gid_map", "0 0 1\n"));
    RET("  setgroups bad word", write_file("/proc/self/setgroups", "maybe"));
    RET("  setgroups deny", write_file("/proc/self/setgroups", "deny"));
    RET("  setgroups allow after deny", write_file("/proc/self/setgroups", "allow"));
    RET("  gid_map own id", write_file("/proc/self/gid_map", "0 0 1\n"));
    show_file("  uid_map", "/proc/self/uid_map");
    show_file("  gid_map", "/proc/self/gid_map");
    show_file("  setgroups now", "/proc/self/setgroups");
    ids();
    caps("  caps");
    {
        FILE *f = fopen("/proc/self/status", "r");
        char line[256];
        while (f && fgets(line, sizeof line, f))
            if (!strncmp(line, "Uid:", 4) || !strncmp(line, "Gid:", 4)) printf("  status %s", line);
        if (f) fclose(f);
    }
    RET("  setgroups() denied", setgroups(0, NULL));
    RET("  setuid(0)", setuid(0));
    RET("  setuid(5) unmapped", setuid(5));
    /* Capabilities in the namespace do not reach the sandbox's resources. */
    RET("  sethostname (initial UTS ns)", sethostname("x", 1));
    RET("  mknod (needs initial ns)", mknod("/tmp/husk-userns-node", S_IFCHR | 0600, 0x103));
    RET("  setrlimit raise hard NOFILE", ({ struct rlimit rl; getrlimit(RLIMIT_NOFILE, &rl); rl.rlim_max += 1; setrlimit(RLIMIT_NOFILE, &rl); }));
    /* But namespaces it creates belong to it. */
    RET("  unshare NEWUTS", unshare(CLONE_NEWUTS));
    RET("  sethostname (own UTS ns)", sethostname("inside", 6));
    struct utsname u;
    uname(&u);
    printf("  nodename: %s\n", u.nodename);
    RET("  unshare NEWNS", unshare(CLONE_NEWNS));
    RET("  make / rprivate", mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
    RET("  mount tmpfs", mount("none", "/tmp", "tmpfs", 0, NULL));
    RET("  umount tmpfs", umount2("/tmp", 0));
    RET("  nested unshare NEWUSER", unshare(CLONE_NEWUSER));
    ids();
    show_file("  nested uid_map", "/proc/self/uid_map");
    return 0;
}

static int unmapped_child(void) {
    RET("  unshare NEWUSER", unshare(CLONE_NEWUSER));
    ids();
    {
        FILE *f = fopen("/proc/self/status", "r");
        char line[256];
        while (f && fgets(line, sizeof line, f))
            if (!strncmp(line, "Uid:", 4)) printf("  status %s", line);
        if (f) fclose(f);
    }
    RET("  open /proc/self/status", ({ int fd = open("/proc/self/status", O_RDONLY); if (fd >= 0) close(fd); fd; }) >= 0 ? 0 : -1);
    gid_t g[4];
    int n = getgroups(4, g);
    printf("  getgroups: %d first=%d\n", n, n > 0 ? (int)g[0] : -1);
    return 0;
}

static int parent_writes(void) {
    /* A child in a new user namespace; its parent (root outside) writes its maps. */
    int go[2], done[2];
    if (pipe(go) < 0 || pipe(done) < 0) DIE("pipe");
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        char c;
        if (unshare(CLONE_NEWUSER) < 0) _exit(2);
        if (write(done[1], "1", 1) != 1) _exit(3);
        if (read(go[0], &c, 1) != 1) _exit(4);
        ids();
        caps("  child caps");
        RET("  child setuid(100)", setuid(100));
        ids();
        caps("  child caps after setuid(100)");
        _exit(0);
    }
    char c;
    if (read(done[0], &c, 1) != 1) DIE("read");
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/uid_map", (int)p);
    RET("  parent writes uid_map 0..999", write_file(path, "0 1000 1000\n"));
    snprintf(path, sizeof path, "/proc/%d/gid_map", (int)p);
    RET("  parent writes gid_map with setgroups allowed", write_file(path, "0 1000 1000\n"));
    show_file("  parent reads uid_map", ({ snprintf(path, sizeof path, "/proc/%d/uid_map", (int)p); path; }));
    if (write(go[1], "1", 1) != 1) DIE("write");
    printf("  child: %s\n", wstr(wait_child(p)));
    return 0;
}

static int clone_fn(void *arg) {
    (void)arg;
    ids();
    caps("  clone child caps");
    RET("  sethostname (clone NEWUSER|NEWUTS)", sethostname("cl", 2));
    return 0;
}

int main(void) {
    setup(10);
    show_file("initial uid_map", "/proc/self/uid_map");
    in_child("mapped", mapped);
    in_child("unmapped", unmapped_child);
    in_child("parent writes", parent_writes);
    static char stack[64 * 1024];
    fflush(stdout);
    pid_t c = clone(clone_fn, stack + sizeof stack, CLONE_NEWUSER | CLONE_NEWUTS | SIGCHLD, NULL);
    if (c < 0) printf("clone: -1 %s\n", en(errno));
    else printf("clone NEWUSER|NEWUTS: %s\n", wstr(wait_child(c)));
    errno = 0;
    c = clone(clone_fn, stack + sizeof stack, CLONE_NEWUSER | CLONE_FS | SIGCHLD, NULL);
    printf("clone NEWUSER|FS: %d %s\n", (int)c, en(errno));
    return 0;
}
