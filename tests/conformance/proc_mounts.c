/* /proc/self/mounts and mountinfo (stable facts only): "/" and "/proc" (type proc) are
 * listed, /proc/mounts is a link to self/mounts, mountinfo lines have the documented
 * shape with unique mount ids and known parent ids; in a new mount namespace a tmpfs
 * mounted on a fresh directory appears in both files (rw, then ro after a read-only
 * remount, with the mount point path), in our namespace only, and disappears on
 * umount. */
#include "common.h"
#include <sched.h>
#include <sys/mount.h>

static char buf[1 << 16];

static int load(const char *p) {
    int fd = open(p, O_RDONLY);
    if (fd < 0) return -1;
    int t = 0;
    for (;;) {
        ssize_t n = read(fd, buf + t, sizeof buf - 1 - t);
        if (n <= 0) break;
        t += (int)n;
    }
    close(fd);
    buf[t] = 0;
    return t;
}

/* In the loaded /proc/PID/mounts: the fields of the line whose mount point is mp. */
static int mounts_line(const char *mp, char *fstype, char *opts) {
    int found = 0;
    for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        char src[256], dir[256], ty[64], op[512];
        if (sscanf(l, "%255s %255s %63s %511s", src, dir, ty, op) == 4 && !strcmp(dir, mp)) {
            strcpy(fstype, ty);
            strcpy(opts, op);
            found++;
        }
    }
    return found;
}

struct mi { int id, parent; char root[256], mp[256], opts[256], fstype[64]; };

static int mi_parse(const char *l, struct mi *m) {
    char rest[1024];
    if (sscanf(l, "%d %d %*s %255s %255s %255s %1023[^\n]", &m->id, &m->parent, m->root, m->mp, m->opts, rest) != 6) return -1;
    char *dash = strstr(rest, "- ");
    if (!dash) return -1;
    return sscanf(dash + 2, "%63s", m->fstype) == 1 ? 0 : -1;
}

static int mi_find(const char *mp, struct mi *out) {
    int n = 0;
    for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        struct mi m;
        if (mi_parse(l, &m) == 0 && !strcmp(m.mp, mp)) { *out = m; n++; }
    }
    return n;
}

static char dir[64];

static int ns_child(void) {
    RET("  unshare NEWNS", unshare(CLONE_NEWNS));
    RET("  make / rprivate", mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
    RET("  mount tmpfs", mount("husktest", dir, "tmpfs", 0, "size=1m"));
    char ty[64], op[512];
    load("/proc/self/mounts");
    int n = mounts_line(dir, ty, op);
    printf("  mounts lines for dir: %d, type %s, first option %.2s\n", n, ty, op);
    YN("  source field is husktest", strstr(buf, "husktest ") != NULL);
    load("/proc/self/mountinfo");
    struct mi m, root;
    printf("  mountinfo lines for dir: %d\n", mi_find(dir, &m));
    printf("  mountinfo fstype %s, root %s, opts start %.2s\n", m.fstype, m.root, m.opts);
    int ids_ok = 1, lines = 0;
    for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        struct mi a;
        if (mi_parse(l, &a) < 0) { ids_ok = 0; continue; }
        lines++;
        for (char *l2 = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL; l2 && *l2; l2 = strchr(l2, '\n') ? strchr(l2, '\n') + 1 : NULL) {
            struct mi b;
            if (mi_parse(l2, &b) == 0 && b.id == a.id) ids_ok = 0;
        }
    }
    YN("  all mountinfo lines parse, ids unique", ids_ok && lines > 2);
    /* Its parent is the mount holding /tmp (or /). */
    int pid_ok = 0;
    for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (mi_parse(l, &root) == 0 && root.id == m.parent) pid_ok = 1;
    YN("  parent id names an existing mount", pid_ok);
    RET("  remount ro", mount(NULL, dir, NULL, MS_REMOUNT | MS_RDONLY, NULL));
    load("/proc/self/mounts");
    mounts_line(dir, ty, op);
    printf("  after remount first option: %.2s\n", op);
    char c = 'x';
    if (write(4, &c, 1) != 1) return 2;
    if (read(3, &c, 1) != 1) return 3;
    RET("  umount", umount(dir));
    load("/proc/self/mounts");
    printf("  lines for dir after umount: %d\n", mounts_line(dir, ty, op));
    return 0;
}

int main(void) {
    setup(10);
    char ty[64], op[512];
    RET("load /proc/self/mounts", load("/proc/self/mounts") > 0 ? 0 : -1);
    YN("'/' listed", mounts_line("/", ty, op) >= 1);
    int n = mounts_line("/proc", ty, op);
    printf("/proc listed: %s, type %s\n", n >= 1 ? "yes" : "no", ty);
    char l[64] = {0};
    RET("readlink /proc/mounts", readlink("/proc/mounts", l, sizeof l - 1));
    printf("/proc/mounts -> %s\n", l);
    struct stat st;
    lstat("/proc/mounts", &st);
    YN("/proc/mounts is a symlink", S_ISLNK(st.st_mode));
    char self_m[1 << 12];
    int a = load("/proc/mounts");
    memcpy(self_m, buf, a < (int)sizeof self_m ? a : (int)sizeof self_m);
    int b = load("/proc/self/mounts");
    YN("/proc/mounts == /proc/self/mounts", a == b && memcmp(self_m, buf, a < (int)sizeof self_m ? a : (int)sizeof self_m) == 0);
    load("/proc/self/mountinfo");
    struct mi m;
    YN("mountinfo has /proc as proc", mi_find("/proc", &m) >= 1 && !strcmp(m.fstype, "proc"));
    YN("mountinfo has /", mi_find("/", &m) >= 1);

    strcpy(dir, "/tmp/husk-mnt-XXXXXX");
    if (!mkdtemp(dir)) DIE("mkdtemp");
    int p2c[2], c2p[2];
    if (pipe(p2c) < 0 || pipe(c2p) < 0) DIE("pipe");
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        dup2(p2c[0], 3);
        dup2(c2p[1], 4);
        _exit(ns_child());
    }
    char x;
    if (read(c2p[0], &x, 1) != 1) DIE("read");
    load("/proc/self/mounts");
    printf("parent's mounts lines for dir: %d\n", mounts_line(dir, ty, op));
    char p[64];
    snprintf(p, sizeof p, "/proc/%d/mounts", (int)c);
    load(p);
    printf("child's mounts (read by parent) lines for dir: %d\n", mounts_line(dir, ty, op));
    if (write(p2c[1], "g", 1) != 1) DIE("write");
    printf("ns child: %s\n", wstr(wait_child(c)));
    rmdir(dir);
    return 0;
}
