/* /proc/self/stat and statm: pid, comm (also with spaces and parentheses set by
 * PR_SET_NAME), state, ppid/pgrp/session against getppid/getpgrp/getsid, nice and
 * priority after setpriority, num_threads while a thread runs, rsslim, the field count,
 * statm size against stat vsize, vsize and rss growth after mmap and touching pages,
 * a thread's task/TID/stat and a child's stat (ppid, starttime). */
#include "common.h"
#include <pthread.h>
#include <sys/prctl.h>

static char buf[4096];
static long long f[64]; /* f[i] = field i (1-based), from field 3 on */
static char comm[64];
static int nfields;

static int readfile(const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n < 0) return -1;
    buf[n] = 0;
    return (int)n;
}

/* Parses a stat file; returns 0, or -1. State is stored as its character in f[3]. */
static int parse(const char *path) {
    memset(f, 0, sizeof f);
    if (readfile(path) < 0) return -1;
    char *l = strchr(buf, '('), *r = strrchr(buf, ')');
    if (!l || !r) return -1;
    f[1] = atoll(buf);
    snprintf(comm, sizeof comm, "%.*s", (int)(r - l - 1), l + 1);
    char *p = r + 2;
    f[3] = *p;
    p += 2;
    nfields = 3;
    for (int i = 4; i < 64 && *p && *p != '\n'; i++) {
        f[i] = strtoll(p, &p, 10);
        nfields = i;
        while (*p == ' ') p++;
    }
    return 0;
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int state_;
static pid_t ttid;

static void *thr(void *a) {
    (void)a;
    pthread_mutex_lock(&mu);
    ttid = (pid_t)syscall(SYS_gettid);
    state_ = 1;
    pthread_cond_broadcast(&cv);
    while (state_ != 2) pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    return NULL;
}

static int nice_child(void) {
    RET("  setpriority(nice 7)", setpriority(PRIO_PROCESS, 0, 7));
    parse("/proc/self/stat");
    printf("  nice=%lld priority=%lld\n", f[19], f[18]);
    return 0;
}

int main(int argc, char **argv) {
    (void)argc;
    setup(10);
    RET("parse /proc/self/stat", parse("/proc/self/stat"));
    YN("pid == getpid", f[1] == getpid());
    const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    YN("comm == basename(argv0)[:15]", strncmp(comm, base, 15) == 0 && strlen(comm) == (strlen(base) > 15 ? 15 : strlen(base)));
    printf("state: %c\n", (char)f[3]);
    YN("ppid == getppid", f[4] == getppid());
    YN("pgrp == getpgrp", f[5] == getpgrp());
    YN("session == getsid", f[6] == getsid(0));
    printf("priority=%lld nice=%lld num_threads=%lld itrealvalue=%lld\n", f[18], f[19], f[20], f[21]);
    struct rlimit rl;
    getrlimit(RLIMIT_RSS, &rl);
    YN("rsslim == RLIMIT_RSS cur", (unsigned long long)f[25] == (unsigned long long)rl.rlim_cur || (rl.rlim_cur == RLIM_INFINITY && f[25] == -1LL) || (f[25] == 0x7fffffffffffffffLL));
    YN("at least 52 fields", nfields >= 52);
    YN("exit_signal == SIGCHLD", f[38] == SIGCHLD);
    YN("processor < ncpus", f[39] >= 0 && f[39] < sysconf(_SC_NPROCESSORS_CONF));
    YN("utime,stime >= 0", f[14] >= 0 && f[15] >= 0);
    YN("vsize > 0", f[23] > 0);
    YN("rss > 0", f[24] > 0);

    /* statm against stat, read without allocating in between. */
    long long vsize = f[23], rss = f[24];
    readfile("/proc/self/statm");
    long long sz = 0, res = 0, shared = 0;
    sscanf(buf, "%lld %lld %lld", &sz, &res, &shared);
    YN("statm size*4096 == stat vsize", sz * 4096 == vsize);
    YN("statm resident <= size", res <= sz);
    YN("statm resident > 0", res > 0);

    size_t len = 32 << 20;
    char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    parse("/proc/self/stat");
    YN("vsize grew by >= 32 MiB after mmap", f[23] - vsize >= (long long)len);
    YN("rss grew by < 1 MiB without touching", (f[24] - rss) * 4096 < (1 << 20));
    long long rss1 = f[24];
    for (size_t i = 0; i < len / 2; i += 4096) m[i] = 1;
    parse("/proc/self/stat");
    YN("rss grew by >= 15 MiB after touching 16 MiB", (f[24] - rss1) * 4096 >= (15 << 20));
    munmap(m, len);
    parse("/proc/self/stat");
    YN("vsize back after munmap", f[23] == vsize || (f[23] - vsize) < (1 << 20));

    /* num_threads with a thread alive; the thread's own stat. */
    pthread_t t;
    pthread_create(&t, NULL, thr, NULL);
    pthread_mutex_lock(&mu);
    while (state_ != 1) pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    parse("/proc/self/stat");
    printf("num_threads with a thread: %lld\n", f[20]);
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)ttid);
    RET("parse task/TID/stat", parse(path));
    YN("task stat pid field == tid", f[1] == ttid);
    YN("task stat ppid == getppid", f[4] == getppid());
    printf("task stat num_threads: %lld\n", f[20]);
    pthread_mutex_lock(&mu);
    state_ = 2;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    pthread_join(t, NULL);
    parse("/proc/self/stat");
    /* The joined thread may still be counted for a moment (Linux wakes the joiner
     * before the thread has left its group), so only the bound is stable. */
    printf("num_threads after join <= 2: %s\n", f[20] >= 1 && f[20] <= 2 ? "yes" : "no");

    /* comm with spaces and parentheses. */
    prctl(PR_SET_NAME, "a) b (c) d", 0, 0, 0);
    parse("/proc/self/stat");
    printf("comm after PR_SET_NAME: [%s]\n", comm);
    printf("state after odd comm: %c\n", (char)f[3]);
    YN("ppid still parses", f[4] == getppid());
    prctl(PR_SET_NAME, "0123456789abcdefghij", 0, 0, 0);
    parse("/proc/self/stat");
    printf("comm after long name: [%s]\n", comm);

    /* A child's stat. */
    long long mystart;
    parse("/proc/self/stat");
    mystart = f[22];
    int pfd[2];
    if (pipe(pfd) < 0) DIE("pipe");
    pid_t c = fork();
    if (c == 0) {
        char x;
        close(pfd[1]);
        if (read(pfd[0], &x, 1) < 0) _exit(1);
        _exit(0);
    }
    snprintf(path, sizeof path, "/proc/%d/stat", (int)c);
    RET("parse child stat", parse(path));
    YN("child pid field", f[1] == c);
    YN("child ppid == getpid", f[4] == getpid());
    YN("child pgrp == our pgrp", f[5] == getpgrp());
    YN("child starttime >= ours", f[22] >= mystart);
    printf("child comm: [%s]\n", comm);
    int sleeping = 0;
    for (int i = 0; i < 200 && !sleeping; i++) {
        parse(path);
        sleeping = f[3] == 'S';
        if (!sleeping) sleep_ms(5);
    }
    YN("child reaches S while blocked in read", sleeping);
    close(pfd[1]);
    wait_child(c);
    in_child("nice child", nice_child);
    return 0;
}
