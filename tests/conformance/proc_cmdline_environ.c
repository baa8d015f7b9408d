/* /proc/PID/cmdline and environ: exact bytes (NUL separated, empty arguments, no
 * environment) after execve with a custom argv and envp, read by the process itself and
 * by its parent; in-place edits of argv and environ memory show up; a zombie's
 * cmdline and environ are empty; a reaped pid's files are gone (ENOENT/ESRCH). */
#include "common.h"

static char buf[65536];

static int readall(const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return -1;
    int total = 0;
    for (;;) {
        ssize_t n = read(fd, buf + total, sizeof buf - 1 - total);
        if (n < 0) { int e = errno; close(fd); errno = e; return -1; }
        if (n == 0) break;
        total += (int)n;
    }
    close(fd);
    return total;
}

static void dump(const char *label, int n) {
    printf("%s: %d bytes [", label, n);
    for (int i = 0; i < n; i++) {
        if (buf[i] == 0) printf("\\0");
        else putchar(buf[i]);
    }
    printf("]\n");
}

static void show(const char *label, const char *path) {
    int n = readall(path);
    if (n < 0) printf("%s: -1 %s\n", label, en(errno));
    else dump(label, n);
}

int main(int argc, char **argv, char **envp) {
    setup(10);
    if (argc >= 2 && strcmp(argv[1], "child") == 0) {
        /* argv[0] is our own path, rest fixed. */
        int n = readall("/proc/self/cmdline");
        int plen = (int)strlen(argv[0]) + 1;
        YN("  cmdline starts with argv[0]\\0", n > plen && memcmp(buf, argv[0], plen) == 0);
        memmove(buf, buf + plen, n - plen);
        dump("  cmdline after argv[0]", n - plen);
        show("  environ", "/proc/self/environ");
        int cnt = 0;
        while (envp[cnt]) cnt++;
        printf("  envp count %d\n", cnt);
        /* Edit argv and environ in place, as setproctitle does. */
        argv[2][0] = 'X';
        envp[0][0] = 'Z';
        n = readall("/proc/self/cmdline");
        memmove(buf, buf + plen, n - plen);
        dump("  cmdline after edit", n - plen);
        show("  environ after edit", "/proc/self/environ");
        /* Tell the parent we are ready, then wait to be read. */
        char c = 'r';
        if (write(4, &c, 1) != 1) return 2;
        if (read(3, &c, 1) != 1) return 3;
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "noenv") == 0) {
        show("  environ (empty envp)", "/proc/self/environ");
        int n = readall("/proc/self/cmdline");
        YN("  cmdline of argv={self,noenv} ends in noenv\\0", n >= 6 && memcmp(buf + n - 6, "noenv", 6) == 0);
        return 0;
    }

    int p2c[2], c2p[2];
    if (pipe(p2c) < 0 || pipe(c2p) < 0) DIE("pipe");
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        dup2(p2c[0], 3);
        dup2(c2p[1], 4);
        char *av[] = {argv[0], "child", "a b", "", "last arg", NULL};
        char *ev[] = {"FOO=bar", "EMPTY=", "X=1 2 3", "NOEQUALS", NULL};
        execve(argv[0], av, ev);
        _exit(127);
    }
    close(p2c[0]);
    close(c2p[1]);
    char ch;
    if (read(c2p[0], &ch, 1) != 1) DIE("read");
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)c);
    int n = readall(path);
    int plen = (int)strlen(argv[0]) + 1;
    YN("parent reads child cmdline with argv[0]", n > plen && memcmp(buf, argv[0], plen) == 0);
    memmove(buf, buf + plen, n - plen);
    dump("parent: child cmdline after argv[0]", n - plen);
    snprintf(path, sizeof path, "/proc/%d/environ", (int)c);
    show("parent: child environ", path);
    /* Small reads at an offset. */
    snprintf(path, sizeof path, "/proc/%d/environ", (int)c);
    int fd = open(path, O_RDONLY);
    char small[5] = {0};
    RET("pread environ 4 bytes at 2", pread(fd, small, 4, 2));
    printf("bytes: [%s]\n", small);
    close(fd);
    if (write(p2c[1], "g", 1) != 1) DIE("write");
    /* Wait until it is a zombie (without reaping). */
    siginfo_t si;
    memset(&si, 0, sizeof si);
    RET("waitid WNOWAIT", waitid(P_PID, c, &si, WEXITED | WNOWAIT));
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)c);
    show("zombie cmdline", path);
    snprintf(path, sizeof path, "/proc/%d/environ", (int)c);
    fd = open(path, O_RDONLY);
    if (fd < 0) printf("zombie environ open: -1 %s\n", en(errno));
    else {
        RET("zombie environ read", read(fd, buf, sizeof buf));
        close(fd);
    }
    printf("child: %s\n", wstr(wait_child(c)));
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)c);
    show("reaped cmdline", path);

    fflush(stdout);
    c = fork();
    if (c == 0) {
        char *av[] = {argv[0], "noenv", NULL};
        char *ev[] = {NULL};
        execve(argv[0], av, ev);
        _exit(127);
    }
    printf("noenv child: %s\n", wstr(wait_child(c)));
    return 0;
}
