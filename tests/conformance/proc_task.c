/* /proc/self/task and /proc/thread-self: the task directory lists exactly the threads,
 * thread-self points at the caller's own task entry (main thread; in other threads, at
 * a task entry of the process), a thread's comm set by PR_SET_NAME shows in
 * task/TID/comm only, a non-leader tid is reachable as /proc/TID but not listed in
 * /proc, task/TID of another process is ENOENT, and an exited thread's entry
 * disappears. */
#include "common.h"
#include <dirent.h>
#include <pthread.h>
#include <sys/prctl.h>

#define N 3
static pthread_barrier_t bar, bar2;
static pid_t tids[N];
static char tself[N][64];

static char out[256];
static const char *rl(const char *p) {
    ssize_t n = readlink(p, out, sizeof out - 1);
    if (n < 0) { snprintf(out, sizeof out, "-1 %s", en(errno)); return out; }
    out[n] = 0;
    return out;
}

static void *thr(void *a) {
    int i = (int)(long)a;
    tids[i] = (pid_t)syscall(SYS_gettid);
    char name[16];
    snprintf(name, sizeof name, "worker-%d", i);
    prctl(PR_SET_NAME, name, 0, 0, 0);
    snprintf(tself[i], sizeof tself[i], "%s", rl("/proc/thread-self"));
    pthread_barrier_wait(&bar);
    pthread_barrier_wait(&bar2);
    return NULL;
}

static int listed(const char *dir, pid_t want) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    struct dirent *e;
    int found = 0;
    while ((e = readdir(d)))
        if (atoi(e->d_name) == want && e->d_name[0] != '.') found++;
    closedir(d);
    return found;
}

static int count_tasks(void) {
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.') n++;
    closedir(d);
    return n;
}

static const char *slurp(const char *p) {
    int fd = open(p, O_RDONLY);
    if (fd < 0) { snprintf(out, sizeof out, "-1 %s", en(errno)); return out; }
    ssize_t n = read(fd, out, sizeof out - 1);
    close(fd);
    out[n < 0 ? 0 : n] = 0;
    char *nl = strchr(out, '\n');
    if (nl) *nl = 0;
    return out;
}

int main(void) {
    setup(10);
    pid_t me = getpid();
    printf("tasks alone: %d\n", count_tasks());
    YN("own pid listed in task/", listed("/proc/self/task", me) == 1);
    char want[64];
    snprintf(want, sizeof want, "%d/task/%d", (int)me, (int)me);
    YN("thread-self == PID/task/PID", strcmp(rl("/proc/thread-self"), want) == 0);
    struct stat st;
    RET("stat /proc/thread-self/comm", stat("/proc/thread-self/comm", &st));

    pthread_barrier_init(&bar, NULL, N + 1);
    pthread_barrier_init(&bar2, NULL, N + 1);
    pthread_t t[N];
    for (int i = 0; i < N; i++) pthread_create(&t[i], NULL, thr, (void *)(long)i);
    pthread_barrier_wait(&bar);
    printf("tasks with %d threads: %d\n", N, count_tasks());
    for (int i = 0; i < N; i++) {
        snprintf(want, sizeof want, "%d/task/%d", (int)me, (int)tids[i]);
        printf("thread %d: thread-self names a task of ours: %s", i, strncmp(tself[i], want, strlen(want) - strlen(strrchr(want, '/'))) == 0 ? "yes" : "no");
        char p[64];
        snprintf(p, sizeof p, "/proc/self/task/%d/comm", (int)tids[i]);
        printf(", comm [%s]", slurp(p));
        printf(", listed in task/ %d, in /proc %d", listed("/proc/self/task", tids[i]), listed("/proc", tids[i]));
        snprintf(p, sizeof p, "/proc/%d/status", (int)tids[i]);
        int fd = open(p, O_RDONLY);
        printf(", /proc/TID reachable %s\n", fd >= 0 ? "yes" : "no");
        if (fd >= 0) close(fd);
    }

    char p[64];
    snprintf(p, sizeof p, "/proc/self/task/%d/comm", (int)me);
    char mc[64];
    snprintf(mc, sizeof mc, "%s", slurp(p));
    YN("task/PID/comm == /proc/self/comm", strcmp(mc, slurp("/proc/self/comm")) == 0);
    YN("main comm is not worker-*", strncmp(mc, "worker-", 7) != 0);
    /* Shared fd table: a fd opened now appears in each thread's fd dir. */
    int fd = open("/dev/null", O_RDONLY);
    snprintf(p, sizeof p, "/proc/self/task/%d/fd/%d", (int)tids[0], fd);
    printf("thread fd link: %s\n", rl(p));
    close(fd);
    pthread_barrier_wait(&bar2);
    for (int i = 0; i < N; i++) pthread_join(t[i], NULL);
    /* The kernel may still be tearing the threads down right after join. */
    int n = 0;
    for (int i = 0; i < 200 && (n = count_tasks()) != 1; i++) sleep_ms(5);
    printf("tasks after join: %d\n", n);
    snprintf(p, sizeof p, "/proc/self/task/%d", (int)tids[0]);
    RET("access exited thread's task dir", access(p, F_OK));

    /* Another process's tid under our task dir. */
    int pp[2];
    if (pipe(pp) < 0) DIE("pipe");
    pid_t c = fork();
    if (c == 0) {
        char x;
        close(pp[1]);
        if (read(pp[0], &x, 1) < 0) _exit(1);
        _exit(0);
    }
    snprintf(p, sizeof p, "/proc/self/task/%d", (int)c);
    RET("access other process under own task/", access(p, F_OK));
    snprintf(p, sizeof p, "/proc/%d/task/%d", (int)c, (int)c);
    RET("access child's task/CHILD", access(p, F_OK));
    snprintf(p, sizeof p, "/proc/%d/task", (int)c);
    YN("child's task dir lists only itself", listed(p, c) == 1);
    close(pp[1]);
    wait_child(c);
    RET("task dir of a reaped child", access(p, F_OK));
    return 0;
}
