/* /proc/self/limits: the header, one line per resource whose soft and hard values
 * match getrlimit for every resource, "unlimited" for RLIM_INFINITY, updates after
 * setrlimit (soft and hard), a child's file seen by its parent, and prlimit on a child. */
#include "common.h"

static char buf[8192];

static const char *names[] = {"Max cpu time", "Max file size", "Max data size", "Max stack size",
    "Max core file size", "Max resident set", "Max processes", "Max open files",
    "Max locked memory", "Max address space", "Max file locks", "Max pending signals",
    "Max msgqueue size", "Max nice priority", "Max realtime priority", "Max realtime timeout"};

static int load(const char *p) {
    int fd = open(p, O_RDONLY);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n < 0 ? 0 : n] = 0;
    return (int)n;
}

/* Soft and hard of resource r as text. */
static int row(int r, char *soft, char *hard) {
    for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (strncmp(l, names[r], strlen(names[r])) == 0 && l[strlen(names[r])] == ' ') {
            return sscanf(l + 26, "%31s %31s", soft, hard) == 2 ? 0 : -1;
        }
    }
    return -1;
}

static void fmt(rlim_t v, char *o) {
    if (v == RLIM_INFINITY) strcpy(o, "unlimited");
    else sprintf(o, "%llu", (unsigned long long)v);
}

static int check_all(const char *p) {
    load(p);
    int bad = 0;
    for (int r = 0; r < 16; r++) {
        char s[32], h[32], ws[32], wh[32];
        struct rlimit rl;
        getrlimit(r, &rl);
        fmt(rl.rlim_cur, ws);
        fmt(rl.rlim_max, wh);
        if (row(r, s, h) < 0 || strcmp(s, ws) || strcmp(h, wh)) {
            printf("  mismatch %s: [%s %s] want [%s %s]\n", names[r], s, h, ws, wh);
            bad++;
        }
    }
    return bad;
}

int main(void) {
    setup(10);
    RET("load", load("/proc/self/limits") > 0 ? 0 : -1);
    char hdr[128];
    sscanf(buf, "%127[^\n]", hdr);
    printf("header: [%s]\n", hdr);
    int lines = 0;
    for (char *q = buf; *q; q++) if (*q == '\n') lines++;
    printf("lines: %d\n", lines);
    printf("all rows match getrlimit: %s\n", check_all("/proc/self/limits") == 0 ? "yes" : "no");
    char s[32], h[32];
    struct rlimit rl = {100, 200};
    RET("setrlimit CORE 100/200", setrlimit(RLIMIT_CORE, &rl));
    load("/proc/self/limits");
    row(RLIMIT_CORE, s, h);
    printf("core: %s %s\n", s, h);
    rl.rlim_cur = 64; rl.rlim_max = 128;
    RET("setrlimit NOFILE 64/128", setrlimit(RLIMIT_NOFILE, &rl));
    load("/proc/self/limits");
    row(RLIMIT_NOFILE, s, h);
    printf("nofile: %s %s\n", s, h);
    rl.rlim_cur = RLIM_INFINITY; rl.rlim_max = RLIM_INFINITY;
    RET("setrlimit CPU unlimited", setrlimit(RLIMIT_CPU, &rl));
    load("/proc/self/limits");
    row(RLIMIT_CPU, s, h);
    printf("cpu: %s %s\n", s, h);
    rl.rlim_cur = 1 << 20; rl.rlim_max = RLIM_INFINITY;
    setrlimit(RLIMIT_FSIZE, &rl);
    load("/proc/self/limits");
    row(RLIMIT_FSIZE, s, h);
    printf("fsize: %s %s\n", s, h);
    char u[32];
    for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (strncmp(l, "Max file size", 13) == 0) { sscanf(l + 68, "%31s", u); printf("fsize units: %s\n", u); }
    printf("all rows match after changes: %s\n", check_all("/proc/self/limits") == 0 ? "yes" : "no");

    int pp[2];
    if (pipe(pp) < 0) DIE("pipe");
    pid_t c = fork();
    if (c == 0) {
        char x;
        close(pp[1]);
        struct rlimit r2 = {10, 20};
        setrlimit(RLIMIT_MSGQUEUE, &r2);
        if (read(pp[0], &x, 1) < 0) _exit(1);
        printf("  child sees prlimit'ed STACK: %s\n", ({ struct rlimit q; getrlimit(RLIMIT_STACK, &q); q.rlim_cur == 1 << 20 ? "yes" : "no"; }));
        _exit(0);
    }
    close(pp[0]);
    char p[64];
    snprintf(p, sizeof p, "/proc/%d/limits", (int)c);
    /* Wait for the child's setrlimit to show. */
    int ok = 0;
    for (int i = 0; i < 200 && !ok; i++) {
        load(p);
        row(RLIMIT_MSGQUEUE, s, h);
        ok = strcmp(s, "10") == 0;
        if (!ok) sleep_ms(5);
    }
    printf("child's msgqueue in its limits: %s %s\n", s, h);
    row(RLIMIT_NOFILE, s, h);
    printf("child's inherited nofile: %s %s\n", s, h);
    struct rlimit nl = {1 << 20, RLIM_INFINITY}, old;
    getrlimit(RLIMIT_STACK, &old);
    nl.rlim_max = old.rlim_max;
    RET("prlimit child STACK", prlimit(c, RLIMIT_STACK, &nl, NULL));
    load(p);
    row(RLIMIT_STACK, s, h);
    printf("child's stack soft after prlimit: %s\n", s);
    close(pp[1]);
    printf("child: %s\n", wstr(wait_child(c)));
    return 0;
}
