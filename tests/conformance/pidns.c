/* PID namespaces: unshare(CLONE_NEWPID) leaves the caller where it is and puts its next
 * child in a new namespace as its init (pid 1, parent 0, group and session outside
 * invisible: 0); later children count from 2; IDs are translated for wait, kill and
 * getppid; orphans are reparented to the namespace's init; init ignores signals from
 * inside the namespace that it has no handler for, even SIGKILL; when init exits, the
 * rest of the namespace is killed and no new process can enter it (ENOMEM); a second
 * unshare(CLONE_NEWPID) and threads after it fail with EINVAL; clone(CLONE_NEWPID)
 * makes a fresh namespace directly. */
#include "common.h"
#include <pthread.h>
#include <sched.h>
#include <sys/prctl.h>

static void *nothing(void *arg) { return arg; }

/* Runs in the namespace's init. */
static int ns_init(int report) {
    char buf[256];
    int n = 0;
    n += snprintf(buf + n, sizeof buf - n, "init: pid %d ppid %d pgrp %d tid %d\n",
                  getpid(), getppid(), getpgrp(), (int)syscall(SYS_gettid));
    /* Unhandled signals from inside the namespace do not reach init. */
    n += snprintf(buf + n, sizeof buf - n, "init: kill(1, SIGTERM) %d\n", kill(1, SIGTERM));
    pid_t c = fork();
    if (c == 0) {
        kill(1, SIGKILL);
        /* An orphan of ours goes to init. */
        pid_t g = fork();
        if (g == 0) {
            for (int i = 0; i < 200 && getppid() != 1; i++) usleep(5000);
            _exit(getppid() == 1 ? 42 : 43);
        }
        _exit(g == 3 ? 7 : 8);
    }
    int st = 0;
    pid_t w = waitpid(c, &st, 0);
    n += snprintf(buf + n, sizeof buf - n, "init: child pid %d, waitpid %d, exit %d\n", c,
                  w, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    w = waitpid(-1, &st, 0);
    n += snprintf(buf + n, sizeof buf - n, "init: orphan reaped pid %d exit %d\n", w,
                  WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    n += snprintf(buf + n, sizeof buf - n, "init: setsid %d, getsid %d\n", setsid(),
                  getsid(0));
    if (write(report, buf, n) != n) return 1;
    /* A sleeper that dies with us. */
    if (fork() == 0) {
        for (;;) pause();
    }
    return 5;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    pid_t me = getpid();
    /* clone(CLONE_NEWPID): the child is init of a fresh namespace at once. */
    long r = syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, 0, 0, 0, 0);
    if (r == 0) {
        pid_t g = fork();
        if (g == 0) _exit(getpid() == 2 && getppid() == 1 ? 0 : 1);
        int gs = 0;
        pid_t gw = waitpid(g, &gs, 0);
        _exit(getpid() == 1 && getppid() == 0 && gw == 2 && gs == 0 ? 3 : 4);
    }
    int cst = 0;
    pid_t cw = waitpid((pid_t)r, &cst, 0);
    printf("clone(CLONE_NEWPID): waited for it: %s, exit %d\n", cw == r ? "yes" : "no",
           WIFEXITED(cst) ? WEXITSTATUS(cst) : -1);
    char ns1[64] = {0}, ns2[64] = {0};
    readlink("/proc/self/ns/pid", ns1, sizeof ns1 - 1);
    readlink("/proc/self/ns/pid_for_children", ns2, sizeof ns2 - 1);
    printf("before: pid_for_children is our namespace: %s\n", strcmp(ns1, ns2) ? "no" : "yes");
    RET("unshare(CLONE_NEWPID)", unshare(CLONE_NEWPID));
    printf("pid unchanged: %s\n", getpid() == me ? "yes" : "no");
    memset(ns2, 0, sizeof ns2);
    readlink("/proc/self/ns/pid_for_children", ns2, sizeof ns2 - 1);
    printf("after: pid_for_children is our namespace: %s; is a pid namespace: %s\n",
           strcmp(ns1, ns2) ? "no" : "yes", strncmp(ns2, "pid:[", 5) ? "no" : "yes");
    /* setns back to our own namespace for children is allowed, and undoes it. */
    int own = open("/proc/self/ns/pid", O_RDONLY);
    RET("setns(own pid namespace)", setns(own, CLONE_NEWPID));
    memset(ns2, 0, sizeof ns2);
    readlink("/proc/self/ns/pid_for_children", ns2, sizeof ns2 - 1);
    printf("after setns: pid_for_children is our namespace: %s\n", strcmp(ns1, ns2) ? "no" : "yes");
    RET("unshare(CLONE_NEWPID) again", unshare(CLONE_NEWPID));
    close(own);
    RET("second unshare(CLONE_NEWPID)", unshare(CLONE_NEWPID));
    pthread_t th;
    printf("pthread_create after unshare: %s\n", en(pthread_create(&th, NULL, nothing, NULL)));

    int p[2];
    if (pipe(p)) return 1;
    pid_t c = fork();
    if (c == 0) {
        close(p[0]);
        _exit(ns_init(p[1]));
    }
    close(p[1]);
    char buf[512];
    ssize_t len = read(p[0], buf, sizeof buf - 1);
    buf[len > 0 ? len : 0] = 0;
    printf("%s", buf);
    /* init exits with 5; its sleeper is killed and comes to us (the subreaper). */
    int statuses[2] = {0, 0}, got = 0;
    for (int i = 0; i < 2; i++) {
        int st;
        pid_t w = waitpid(-1, &st, 0);
        if (w == c) statuses[0] = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        else if (w > 0) statuses[1] = WIFSIGNALED(st) ? WTERMSIG(st) : -1, got++;
    }
    printf("init exit %d; sleeper reaped by us: %d, killed by signal %d\n", statuses[0], got,
           statuses[1]);
    errno = 0;
    pid_t late = fork();
    if (late == 0) _exit(0);
    printf("fork into the dead namespace: %d %s\n", late < 0 ? -1 : 0, en(errno));
    if (late > 0) waitpid(late, NULL, 0);
    return 0;
}
