/* The /proc/PID/ns files and setns: the links read "TYPE:[INODE]", the inode is what fstat of
 * the opened file shows, a child in a new UTS namespace has another one, and setns
 * joins it (host name seen); wrong types and non-namespace files give EINVAL. */
#include "common.h"
#include <dirent.h>
#include <sched.h>
#include <sys/utsname.h>

static unsigned long long link_ino(const char *path, char *kind, size_t kn) {
    char buf[128];
    ssize_t n = readlink(path, buf, sizeof buf - 1);
    if (n < 0) return 0;
    buf[n] = 0;
    char *c = strchr(buf, ':');
    if (!c || c[1] != '[') return 0;
    *c = 0;
    snprintf(kind, kn, "%s", buf);
    return strtoull(c + 2, NULL, 10);
}

int main(void) {
    setup(10);
    DIR *d = opendir("/proc/self/ns");
    if (!d) DIE("opendir");
    char names[16][32];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 16)
        if (e->d_name[0] != '.') snprintf(names[n++], 32, "%.31s", e->d_name);
    closedir(d);
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (strcmp(names[i], names[j]) > 0) {
                char t[32];
                strcpy(t, names[i]); strcpy(names[i], names[j]); strcpy(names[j], t);
            }
    printf("ns entries:");
    for (int i = 0; i < n; i++) printf(" %s", names[i]);
    printf("\n");
    const char *kinds[] = {"uts", "ipc", "mnt", "user", "pid", "net", "cgroup"};
    for (int i = 0; i < 7; i++) {
        char p[64], k[32] = "";
        snprintf(p, sizeof p, "/proc/self/ns/%s", kinds[i]);
        unsigned long long ino = link_ino(p, k, sizeof k);
        int fd = open(p, O_RDONLY);
        struct stat st;
        int same = fd >= 0 && fstat(fd, &st) == 0 && st.st_ino == ino;
        printf("%s: link kind %s, inode matches fstat: %s\n", kinds[i], k, same ? "yes" : "no");
        if (fd >= 0) close(fd);
    }
    int go[2], ready[2];
    if (pipe(go) < 0 || pipe(ready) < 0) DIE("pipe");
    pid_t a = fork();
    if (a == 0) {
        char c;
        if (unshare(CLONE_NEWUTS) < 0 || sethostname("ns-a", 4) < 0) _exit(2);
        if (write(ready[1], "1", 1) != 1) _exit(3);
        if (read(go[0], &c, 1) != 1) _exit(4);
        _exit(0);
    }
    char c;
    if (read(ready[0], &c, 1) != 1) DIE("read");
    char pa[64], k1[32], k2[32];
    snprintf(pa, sizeof pa, "/proc/%d/ns/uts", (int)a);
    unsigned long long ia = link_ino(pa, k1, sizeof k1), is = link_ino("/proc/self/ns/uts", k2, sizeof k2);
    YN("child's uts ns differs", ia != is && ia != 0);
    char pi[64];
    snprintf(pi, sizeof pi, "/proc/%d/ns/ipc", (int)a);
    YN("child's ipc ns same", link_ino(pi, k1, sizeof k1) == link_ino("/proc/self/ns/ipc", k2, sizeof k2));
    int fd = open(pa, O_RDONLY);
    if (fd < 0) DIE("open ns");
    fflush(stdout);
    pid_t b = fork();
    if (b == 0) {
        RET("  setns wrong type", setns(fd, CLONE_NEWIPC));
        RET("  setns regular file", ({ int f = open("/proc/self/status", O_RDONLY); setns(f, 0); }));
        RET("  setns bad fd", setns(999, 0));
        RET("  setns uts", setns(fd, CLONE_NEWUTS));
        struct utsname u;
        uname(&u);
        printf("  nodename after setns: %s\n", u.nodename);
        char k[32];
        YN("  own uts link now child's", link_ino("/proc/self/ns/uts", k, sizeof k) == ia);
        int uf = open("/proc/self/ns/user", O_RDONLY);
        RET("  setns own user ns", setns(uf, CLONE_NEWUSER));
        int mf = open("/proc/self/ns/mnt", O_RDONLY);
        RET("  setns own mnt ns", setns(mf, CLONE_NEWNS));
        RET("  setns by type 0", setns(fd, 0));
        _exit(0);
    }
    printf("setns child: %s\n", wstr(wait_child(b)));
    struct utsname u;
    uname(&u);
    YN("parent nodename unchanged", strcmp(u.nodename, "ns-a") != 0);
    if (write(go[1], "1", 1) != 1) DIE("write");
    printf("child a: %s\n", wstr(wait_child(a)));
    return 0;
}
